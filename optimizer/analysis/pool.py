"""Worker processes for the analyses: spawned, quiet on Ctrl-C, gone with their parent.

Every pool here starts its workers with spawn (a forked child would inherit the parent's
HiGHS thread pool) and with SIGINT blocked, then ignored, so a Ctrl-C reaches only the
parent, which kills the workers at once instead of waiting for their solves, and nothing
prints a worker's traceback. A worker also watches its parent and exits when the parent is gone
(a ``kill -9`` of the command leaves no worker behind).
"""

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager


def _start_worker(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def new_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes (started on the first submits)."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )


@contextmanager
def starting() -> Iterator[None]:
    """Block Ctrl-C in this thread while submitting: workers spawned meanwhile inherit it.

    A spawned child starts with the signal mask of the thread that forked it, through the
    exec, so a Ctrl-C during a worker's start (its imports) never reaches it. The command
    loses nothing: a Ctrl-C meanwhile is delivered when the block ends (or at once to
    another of its threads).
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def kill(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's workers now, whatever they are doing."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()  # no public way before Python 3.14's kill_workers()
    pool.shutdown(wait=False, cancel_futures=True)


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
