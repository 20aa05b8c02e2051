"""Replay throughput of the stress test: draws per second on the bundled scenarios.

Usage: ``python benchmarks/stress.py [--samples 1000 10000 100000] [--out results/FILE.csv]``.
Each bundled scenario's baseline plan is solved once and replayed under the given numbers
of draws of ILLUSTRATIVE uncertainty (below: not a bundled scenario's list, only a load of
the same shape: a common slip of the EU lines, a capacity factor per system, a US price
factor). Recorded, never asserted.
"""

import argparse
import time
from pathlib import Path

from generate import Rung, generate
from record import commit, write_rows

from models.uncertainty import Uncertainty
from optimizer import solve
from optimizer.input.draws import draw
from optimizer.input.load import bundled, load_scenario
from optimizer.solve.replay import replay

LOAD = [
    {
        "id": "eu_slip",
        "systems": {"groups": ["eu"]},
        "field": "lead_time",
        "add": {"choice": [0, 1, 2], "p": [0.5, 0.3, 0.2]},
    },
    {
        "id": "capacity",
        "systems": {},
        "field": "capacity",
        "multiply": {"uniform": [0.6, 1.0]},
        "per": "system",
    },
    {
        "id": "us_price",
        "systems": {"countries": ["US"]},
        "field": "unit_cost",
        "multiply": {"triangular": [1.0, 1.1, 1.4]},
    },
]
FIELDS = [
    "scenario",
    "systems",
    "samples",
    "draw_s",
    "replay_s",
    "draws_per_s",
    "weighted_gap_plan",
    "weighted_gap_mean",
    "git",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--rung", nargs="*", default=[], help="also ladder rungs, e.g. 1000x20")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    rows, git = [], commit()
    scenarios = {name: load_scenario(name) for name in sorted(bundled())}
    for text in args.rung:  # a generated rung: its plan within 120 s, replayed as any other
        scenarios[text] = load_scenario(generate(Rung.parse(text)))
    for name, scenario in scenarios.items():
        load = [Uncertainty.model_validate(u) for u in LOAD]
        plan = solve(scenario.model_copy(update={"uncertainty": load}), time_limit=120)
        for samples in args.samples:
            began = time.perf_counter()
            drawn = draw(plan.scenario, samples, seed=0)
            middle = time.perf_counter()
            replayed = replay(plan.scenario, plan.frames(), drawn)
            ended = time.perf_counter()
            rows.append(
                {
                    "scenario": name,
                    "systems": len(scenario.systems),
                    "samples": samples,
                    "draw_s": round(middle - began, 4),
                    "replay_s": round(ended - middle, 4),
                    "draws_per_s": round(samples / (ended - began)),
                    "weighted_gap_plan": round(float(plan.kpis["weighted_gap"]), 4),
                    "weighted_gap_mean": round(float(replayed.weighted_gap.mean()), 4),
                    "git": git,
                }
            )
            print(rows[-1], flush=True)
    if args.out:
        write_rows(args.out, FIELDS, rows)


if __name__ == "__main__":
    main()
