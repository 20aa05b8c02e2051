"""A plan at 3000×30 (issue 16, part 3): ``solve()`` with a 10-minute limit, across seeds.

Each family × seed is solved in a fresh process, as a user would call it (both stages,
``--time-limit`` and ``--mip-gap``), one at a time. Recorded: the wall time of the call,
the status, the primary objective and its gap (stage 1's, HiGHS's relative gap), the
steps' timings, and peak memory of the command and of its child (the guarded HiGHS run).
The target: a plan within 5 % in ≤ 10 min, peak memory ≤ 2 GB (command and child).
With ``--reference S`` each plan is also measured against the LP relaxation (interior
point without crossover, up to S seconds, in another fresh process): ``lp_bound`` and the
plan's relative distance from it, ``gap_to_lp``, which bounds its true gap.

    python benchmarks/large.py --families ladder dense share-only --seeds 0 --reference 600 \\
        --out benchmarks/results/2026-12-08-3000x30-families.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import families  # noqa: E402  (a sibling script, not a package)
from record import commit, write_rows  # noqa: E402

CHILD = """
import json, resource, sys, time
from optimizer import solve
began = time.perf_counter()
result = solve(sys.argv[1], time_limit=float(sys.argv[2]), mip_gap=float(sys.argv[3]))
wall = time.perf_counter() - began
print(json.dumps({
    "wall": wall, "status": result.status, "objective": result.objective,
    "primary_gap": result.mip_gap, "message": result.message,
    "timings": result.timings,
    "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    "peak_mib_child": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
}))
"""
REFERENCE = """
import json, sys
from optimizer import load_scenario
from optimizer.model.formulation import build_model
from optimizer.solve.highs import Session
from optimizer.solve.standard_form import compile_model
scenario = load_scenario(sys.argv[1])
form = compile_model(build_model(scenario))
session = Session(scenario.solver, form)
session.optimise("primary_objective")
plan = session.relaxation(float(sys.argv[2]))
goal = form.objectives["primary_objective"]
print(json.dumps({"lp_bound": None if plan is None else float(goal.cost @ plan + goal.offset)}))
"""
FIELDS = [
    "family", "rung", "seed", "time_limit", "mip_gap", "wall", "status", "objective",
    "primary_gap", "message", "t_load", "t_build", "t_transfer", "t_start", "t_stage1",
    "t_stage2", "t_total", "peak_mib", "peak_mib_child", "lp_bound", "gap_to_lp", "commit",
]  # fmt: skip


def measure(code: str, *args: object) -> dict:
    """The JSON line that ``code`` prints, run in a fresh process with ``args``."""
    run = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, check=True
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def gap_to(objective: float | None, bound: float | None) -> float | None:
    """The plan's relative gap to a lower bound, or None without both."""
    if objective is None or bound is None:
        return None
    return (objective - bound) / max(abs(objective), 1e-9)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rung", default="3000x30")
    parser.add_argument("--families", nargs="+", default=list(families.FAMILIES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--mip-gap", type=float, default=0.05)
    parser.add_argument(
        "--reference", type=float, default=0.0,
        help="seconds for the LP relaxation, a lower bound to measure each plan by (0: none)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    write_rows(args.out, FIELDS, [])  # the header now: an existing file is refused at once
    with tempfile.TemporaryDirectory() as folder:
        for seed in args.seeds:
            for family in args.families:
                path = families.write(family, args.rung, Path(folder), seed)
                outcome = measure(CHILD, path, args.time_limit, args.mip_gap)
                laps = outcome.pop("timings")
                if args.reference:
                    outcome.update(measure(REFERENCE, path, args.reference))
                    outcome["gap_to_lp"] = gap_to(outcome["objective"], outcome["lp_bound"])
                row = {
                    "family": family, "rung": args.rung, "seed": seed,
                    "time_limit": args.time_limit, "mip_gap": args.mip_gap, **outcome,
                    **{f"t_{k}": round(v, 2) for k, v in laps.items() if f"t_{k}" in FIELDS},
                    "commit": commit(),
                }  # fmt: skip
                with args.out.open("a", newline="") as f:  # each row as it is measured
                    csv.DictWriter(f, fieldnames=FIELDS).writerow(row)
                print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
