"""Robust plans: solve time of the extensive form against the number of samples K.

Usage: ``python benchmarks/robust.py [--samples 5 10 20 50] [--out results/FILE.csv]``.
europe-2030's robust-dual-track variant with K samples (its other settings as bundled:
expected weighted gap, 1 % MIP gap, 120 s limit), then its plan replayed under 2,000 fresh
draws beside dual-track's. Recorded, never asserted.
"""

import argparse
import time
from pathlib import Path

from record import commit, write_rows

from models.scenario import Risk
from optimizer import load_scenario, solve
from optimizer.input.draws import draw
from optimizer.solve.replay import replay

FIELDS = [
    "samples",
    "status",
    "mip_gap",
    "objective",
    "weighted_gap",
    "build_s",
    "transfer_s",
    "stage1_s",
    "stage2_s",
    "total_s",
    "out_of_sample_mean",
    "dual_track_mean",
    "git",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[5, 10, 20, 50])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    base = load_scenario("europe-2030", "robust-dual-track")
    plain = solve("europe-2030", "dual-track")
    fresh = draw(base, 2000, seed=1)
    plain_mean = float(replay(plain.scenario, plain.frames(), fresh).weighted_gap.mean())
    rows, git = [], commit()
    for k in args.samples:
        risk = Risk(**{**base.objective.risk.model_dump(), "samples": k})
        scenario = base.model_copy(
            update={"objective": base.objective.model_copy(update={"risk": risk})}
        )
        began = time.perf_counter()
        result = solve(scenario, time_limit=120)
        timings = result.timings
        out_of_sample = replay(result.scenario, result.frames(), fresh).weighted_gap.mean()
        rows.append(
            {
                "samples": k,
                "status": result.status,
                "mip_gap": result.mip_gap,
                "objective": result.objective,
                "weighted_gap": float(result.kpis["weighted_gap"]),
                **{
                    f"{step}_s": round(timings.get(step, 0.0), 2)
                    for step in ("build", "transfer", "stage1", "stage2")
                },
                "total_s": round(time.perf_counter() - began, 2),
                "out_of_sample_mean": round(float(out_of_sample), 3),
                "dual_track_mean": round(plain_mean, 3),
                "git": git,
            }
        )
        print(rows[-1], flush=True)
    if args.out:
        write_rows(args.out, FIELDS, rows)


if __name__ == "__main__":
    main()
