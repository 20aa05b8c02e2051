"""Solve times of every bundled scenario and variant, with its horizon tail and without.

Usage: ``python benchmarks/bundled.py [--repeats 3] [--out results/FILE.csv]``. Each
(scenario, variant, tail) is solved ``repeats`` times in this process; the row keeps the
median of ``timings['total']`` and the objective, the horizon's weighted gap, the tail gap
and the money left unspent. Timings are recorded, never asserted.
"""

import argparse
import statistics
from pathlib import Path

from record import commit, write_rows

from optimizer import load_scenario, solve
from optimizer.input.load import BASELINE, bundled

FIELDS = [
    "scenario",
    "variant",
    "tail",
    "seconds_median",
    "seconds_min",
    "seconds_max",
    "status",
    "objective",
    "weighted_gap",
    "gap_tail",
    "total_spend",
    "unspent",
    "git",
]


def row(name: str, variant: str, tail: int, repeats: int) -> dict:
    """One (scenario, variant, tail): solved ``repeats`` times."""
    sets = [f"horizon.tail={tail}"]
    runs = [
        solve(name, None if variant == BASELINE else variant, sets=sets) for _ in range(repeats)
    ]
    seconds = [r.timings["total"] for r in runs]
    result = runs[0]
    scenario = result.scenario
    money = sum(scenario.series(b.amount)[t] for b in scenario.budgets for t in scenario.years)
    return {
        "scenario": name,
        "variant": variant,
        "tail": tail,
        "seconds_median": round(statistics.median(seconds), 3),
        "seconds_min": round(min(seconds), 3),
        "seconds_max": round(max(seconds), 3),
        "status": result.status,
        "objective": result.objective,
        "weighted_gap": result.kpis.get("weighted_gap"),
        "gap_tail": result.kpis.get("gap_tail", 0.0),
        "total_spend": round(result.kpis.get("total_spend", 0.0), 1),
        "unspent": round(money - result.kpis.get("total_spend", 0.0), 1),
        "git": commit(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    rows = []
    for name in sorted(bundled()):
        scenario = load_scenario(name)
        for variant in [BASELINE, *scenario.variants]:
            for tail in sorted({0, scenario.horizon.tail}):
                rows.append(row(name, variant, tail, args.repeats))
                print(rows[-1])
    if args.out:
        write_rows(args.out, FIELDS, rows)


if __name__ == "__main__":
    main()
