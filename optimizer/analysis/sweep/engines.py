"""Where a sweep's runs are solved: a local process pool, or a Dask cluster.

Both take the same task (``run_task``) and yield rows as runs finish. The local pool keeps
one single-process executor per slot and one run in each, so it knows which run a worker
was solving: a worker that dies has its run retried once on a fresh worker, then recorded;
a run that overruns ``run_timeout`` has its worker killed and is recorded. On Dask the
scheduler retries a run whose worker dies (once, on a ``LocalCluster`` started here) and
then raises ``KilledWorker``, which is recorded; a run's time there is bounded by the
solver's own time limit.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from optimizer.analysis.pool import kill as kill_pool
from optimizer.analysis.pool import new_pool, starting
from optimizer.analysis.sweep.runs import Job, Run, failed_row, run_task

POLL = 0.5
"""Seconds between looks at the clock while runs are in flight (for ``run_timeout``)."""


class LocalPool:
    """``jobs`` worker processes (spawn), one HiGHS thread and one run at a time each."""

    def __init__(self, jobs: int | None = None, run_timeout: float | None = None):
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.run_timeout = run_timeout
        self.slots: list[ProcessPoolExecutor | None] = [None] * self.jobs

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        for k in range(self.jobs):
            self._stop(k, kill=exc[0] is not None)

    def _slot(self, k: int) -> ProcessPoolExecutor:
        if self.slots[k] is None:
            self.slots[k] = new_pool(1)
        return self.slots[k]

    def _stop(self, k: int, kill: bool) -> None:
        executor, self.slots[k] = self.slots[k], None
        if executor is None:
            return
        if kill:
            kill_pool(executor)
        else:
            executor.shutdown()

    def map(self, job: Job, runs: list[Run]) -> Iterator[dict[str, Any]]:
        """Rows of ``runs`` as they finish."""
        queue = deque((run, 1) for run in runs)
        busy: dict[Future, tuple[int, Run, int, float]] = {}
        while queue or busy:
            for k in set(range(self.jobs)) - {slot for slot, *_ in busy.values()}:
                if queue:
                    run, attempt = queue.popleft()
                    with starting():
                        future = self._slot(k).submit(run_task, job, run)
                    busy[future] = (k, run, attempt, time.monotonic())
            done, _ = wait(busy, timeout=POLL, return_when=FIRST_COMPLETED)
            for future in done:
                k, run, attempt, _ = busy.pop(future)
                try:
                    yield future.result()
                except BrokenProcessPool:
                    self._stop(k, kill=True)
                    if attempt == 1:
                        queue.appendleft((run, 2))
                    else:
                        yield failed_row(run, "failed", "its worker process died twice")
                except Exception as error:  # the row could not come back (it could not be pickled)
                    yield failed_row(run, "failed", f"{type(error).__name__}: {error}")
            yield from self._overrun(busy)

    def _overrun(self, busy: dict[Future, tuple[int, Run, int, float]]) -> Iterator[dict]:
        if self.run_timeout is None:
            return
        now = time.monotonic()
        for future, (k, run, _, started) in list(busy.items()):
            if now - started > self.run_timeout and not future.done():
                del busy[future]
                self._stop(k, kill=True)
                reason = f"overran the run time limit of {self.run_timeout:g} s"
                yield failed_row(run, "timeout", reason)


class DaskEngine:
    """Runs on a Dask cluster at ``scheduler``, or on a ``LocalCluster`` of ``jobs`` workers."""

    def __init__(self, scheduler: str | None = None, jobs: int | None = None):
        import dask  # the dask extra; sweep() checks that it is installed
        from distributed import Client, LocalCluster

        self.cluster = None
        if scheduler:
            self.client = Client(scheduler)
        else:
            # a run whose worker dies is tried once more, then raises KilledWorker
            with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
                self.cluster = LocalCluster(
                    n_workers=max(1, jobs or os.cpu_count() or 1),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
            self.client = Client(self.cluster)

    def __enter__(self) -> DaskEngine:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def map(self, job: Job, runs: list[Run]) -> Iterator[dict[str, Any]]:
        """Rows of ``runs`` as they finish."""
        from distributed import as_completed

        # a fresh key each time: a content key would be released with the last batch's future
        shared = self.client.scatter(job, broadcast=True, hash=False)
        futures = {
            self.client.submit(run_task, shared, run, key=f"dualtrack-{run.key}", pure=False): run
            for run in runs
        }
        # results come with their futures, fetched in batches rather than one round trip each
        for future, result in as_completed(futures, with_results=True, raise_errors=False):
            if future.status == "finished":
                yield result
            else:  # KilledWorker, cancelled and the like: recorded, the sweep goes on
                error = result[1] if isinstance(result, tuple) else result
                yield failed_row(futures[future], "failed", f"{type(error).__name__}: {error}")
            future.release()


def open_engine(
    engine: str, jobs: int | None, scheduler: str | None, run_timeout: float | None
) -> LocalPool | DaskEngine:
    """The engine named ``local`` or ``dask``."""
    if engine == "dask":
        return DaskEngine(scheduler, jobs)
    return LocalPool(jobs, run_timeout)
