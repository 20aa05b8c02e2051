"""Worker processes for the analyses: spawned, quiet on Ctrl-C, gone with their parent.

The workers start as every child does (``optimizer.solve.processes``); submit inside
``starting()``. An error or Ctrl-C that leaves a pool kills its workers at once.
"""

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from optimizer.solve.processes import start_child, starting

__all__ = ["kill", "new_pool", "pool_of", "starting"]


def new_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes (started on the first submits)."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=start_child,
        initargs=(os.getpid(),),
    )


def kill(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's workers now, whatever they are doing."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()  # no public way before Python 3.14's kill_workers()
    # Waiting takes milliseconds once the workers are dead, and lets the pool's manager
    # thread close its pipes now: at interpreter exit Python would write to one of them
    # unlocked while that thread closes it ("OSError: Bad file descriptor" on stderr).
    pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def pool_of(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool that is shut down when done, and killed when an error or Ctrl-C leaves it."""
    executor = new_pool(workers)
    try:
        yield executor
    except BaseException:
        kill(executor)
        raise
    executor.shutdown()
