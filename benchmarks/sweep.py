"""Sweep throughput: serial against the local pool and a Dask LocalCluster; bisection's solves.

Usage: ``python benchmarks/sweep.py [--jobs 2] [--out results/FILE.csv]``.

- teaching-155, 200 runs (``rules.content65.value`` 0.500, 0.502, …, 0.898) and
  europe-2030, 50 runs (``rules.safe65.value`` 0.500, 0.505, …, 0.745), each run by
  ``run_task`` in this process one after another (serial), on the local pool and on a
  Dask ``LocalCluster`` of ``--jobs`` workers. Throughput is runs per wall-clock second of
  the whole sweep (engine start included); overhead per task is everything in a run but
  HiGHS (the run's time less its stage-1 and stage-2 time), as a share of the run.
- The breakpoint search on ``rules.content65.value`` 0:1 and ``rules.safe65.value``
  0.5:0.9 at a tolerance of 1 % of the range, against the 101 values of a grid at that
  resolution. Recorded, never asserted.
"""

import argparse
import time
from pathlib import Path

import pandas as pd
from record import commit, write_rows

from optimizer import sweep
from optimizer.analysis.sweep import _base
from optimizer.analysis.sweep.runs import Job, make_run, run_task

CASES = {
    "teaching-155": ("rules.content65.value", [round(0.5 + 0.002 * i, 3) for i in range(200)]),
    "europe-2030": ("rules.safe65.value", [round(0.5 + 0.005 * i, 3) for i in range(50)]),
}
RANGES = {"teaching-155": "rules.content65.value=0:1", "europe-2030": "rules.safe65.value=0.5:0.9"}
FIELDS = [
    "scenario",
    "engine",
    "jobs",
    "runs",
    "wall_s",
    "runs_per_s",
    "first_row_s",
    "steady_runs_per_s",
    "speedup",
    "steady_speedup",
    "overhead_share_mean",
    "overhead_s_mean",
    "solver_s_mean",
    "statuses",
    "git",
]


class Clock:
    """Wall-clock seconds from the start to the first row and to the end."""

    def __init__(self):
        self.began = time.perf_counter()
        self.first = None

    def progress(self, done: int, total: int) -> None:
        if done >= 1 and self.first is None:
            self.first = time.perf_counter() - self.began

    def wall(self) -> float:
        return time.perf_counter() - self.began


def _serial(name: str, path: str, values: list, clock: Clock) -> pd.DataFrame:
    _, document = _base(name, None, None, {path: values[0]})
    job = Job(document, {"threads": 1})
    rows = []
    for v in values:
        rows.append(run_task(job, make_run(job, "grid", {path: v})))
        clock.progress(len(rows), len(values))
    return pd.DataFrame(rows)


def _row(name: str, engine: str, jobs: int, runs: pd.DataFrame, clock: Clock) -> dict:
    overhead = runs["time.total"] - runs["time.solver"]
    wall = clock.wall()
    return {
        "scenario": name,
        "engine": engine,
        "jobs": jobs,
        "runs": len(runs),
        "wall_s": round(wall, 2),
        "runs_per_s": round(len(runs) / wall, 3),
        "first_row_s": round(clock.first, 2),
        "steady_runs_per_s": round((len(runs) - 1) / (wall - clock.first), 3),
        "overhead_share_mean": round((overhead / runs["time.total"]).mean(), 4),
        "overhead_s_mean": round(overhead.mean(), 4),
        "solver_s_mean": round(runs["time.solver"].mean(), 4),
        "statuses": ";".join(f"{k}={v}" for k, v in runs["status"].value_counts().items()),
        "git": commit(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = []
    for name, (path, values) in CASES.items():
        clock = Clock()
        serial = _serial(name, path, values, clock)
        rows.append(_row(name, "serial", 1, serial, clock))
        for engine in ("local", "dask"):
            clock = Clock()
            found = sweep(
                name, vary={path: values}, engine=engine, jobs=args.jobs, progress=clock.progress
            )
            rows.append(_row(name, engine, args.jobs, found.runs, clock))
        for row in rows[-3:]:
            row["speedup"] = round(row["runs_per_s"] / rows[-3]["runs_per_s"], 3)
            row["steady_speedup"] = round(
                row["steady_runs_per_s"] / rows[-3]["steady_runs_per_s"], 3
            )
            print(row)
    for name, assignment in RANGES.items():
        clock = Clock()
        found = sweep(name, breakpoints=assignment, jobs=args.jobs, progress=clock.progress)
        row = _row(name, "bisection", args.jobs, found.runs, clock)
        row["statuses"] += f";breakpoints={len(found.breakpoints)};grid_runs=101"
        rows.append(row)
        print(row, found.breakpoints[["at", "change"]].to_string())
    if args.out:
        write_rows(args.out, FIELDS, rows)


if __name__ == "__main__":
    main()
