"""Time near-optimal ranges on every bundled scenario and variant (default axes, 2 alternatives).

Usage: ``python benchmarks/ranges.py [--slack 0.01] [--jobs N] [--out results/FILE.csv]``.
One row per (scenario, variant, axis) with the range, and the variant's seconds for all of
its axes and alternatives together (one ``ranges()`` per variant, with ``jobs`` workers).
Recorded, never asserted.
"""

import argparse
import time
from pathlib import Path

from record import commit, write_rows

from optimizer import load_scenario, ranges
from optimizer.input.load import BASELINE, bundled

FIELDS = [
    "scenario",
    "variant",
    "axis",
    "optimum",
    "min",
    "max",
    "alternatives",
    "jobs",
    "seconds",
    "git",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slack", type=float, default=0.01)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes per ranges()")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    git = commit()
    rows = []
    for name in sorted(bundled()):
        for variant in [BASELINE, *load_scenario(name).variants]:
            began = time.perf_counter()
            found = ranges(name, [variant], args.slack, alternatives=2, jobs=args.jobs)
            seconds = round(time.perf_counter() - began, 2)
            for row in found.table.to_dict("records"):
                rows.append(
                    {
                        "scenario": name,
                        **row,
                        "alternatives": len(found.alternatives[variant]),
                        "jobs": args.jobs,
                        "seconds": seconds,
                        "git": git,
                    }
                )
            print(name, variant, seconds, flush=True)
    if args.out:
        write_rows(args.out, FIELDS, rows)


if __name__ == "__main__":
    main()
