"""Across families (issue 16): dualtrack's time to a 1 % gap against the plain yardstick.

    python benchmarks/ladder.py --rungs 200x15 --seeds 8 --time-limit 300
    python benchmarks/ladder.py --rungs 1000x20 --seeds 8 --time-limit 300 --stop-at 19:25
    python benchmarks/ladder.py --summarise benchmarks/results/2026-12-03-families-200x15.csv

For each rung, seed and family (``families.py``: ladder, share-only, dense) the scenario is
generated, then solved twice, one solve at a time, each in a fresh Python process:

- **dualtrack**: the steps of ``optimizer.solve`` (``load_scenario``, ``build_model``,
  ``compile_if_feasible``, ``solve_model``) with ``--mip-gap``, ``--time-limit`` and the
  secondary objective set to ``none``, so that only stage 1 runs (the same model and start as
  in a full solve: the secondary only changes what happens after stage 1). Its time is
  ``Result.timings["stage1"]``: HiGHS's run on the primary, until the gap is proved.
- **plain**: ``plain.py``, the same stage-1 MIP written on highspy with default options.

The ratio is dualtrack's seconds over plain's. A solve that stops at the time limit (or is
killed at twice the limit) counts as the limit, and says so in ``*_at_limit``. One CSV per
rung, ``benchmarks/results/<date>-families-<rung>.csv``, never overwritten (``record.py``'s
convention), a row appended as each seed × family finishes; the per-rung and per-family median
and worst ratio are printed at the end (and by ``--summarise``).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import families  # noqa: E402  (sibling scripts, not a package)
import plain  # noqa: E402
from record import commit  # noqa: E402

COLUMNS = [
    "date", "family", "rung", "seed", "scenario", "time_limit", "mip_gap",
    "dualtrack_s", "plain_s", "ratio",
    "dualtrack_status", "dualtrack_gap", "dualtrack_objective", "dualtrack_at_limit",
    "plain_status", "plain_gap", "plain_objective", "plain_at_limit",
    "dualtrack_nonzeros", "plain_nonzeros", "dualtrack_columns", "plain_columns",
    "dualtrack_rows", "plain_rows", "dualtrack_prepare_s", "plain_prepare_s",
    "load_avg_1m", "git",
]  # fmt: skip


def dualtrack_once(path: Path, time_limit: float, mip_gap: float) -> dict:
    """Stage 1 of dualtrack on the file at ``path``, in this process.

    Imported here, not at the top: the parent and the plain child never load ``optimizer``.
    """
    from optimizer.input.load import load_scenario
    from optimizer.model.formulation import build_model
    from optimizer.solve.stages import Clock, solve_model, solver_options
    from optimizer.solve.standard_form import compile_if_feasible

    clock = Clock()
    scenario = load_scenario(path)
    stage_one = scenario.objective.model_copy(update={"secondary": "none"})
    scenario = scenario.model_copy(update={"objective": stage_one})
    options = solver_options(scenario, dict(time_limit=time_limit, mip_gap=mip_gap))
    clock.lap("load")
    m = build_model(scenario)
    clock.lap("build")
    form = compile_if_feasible(m)
    clock.lap("compile")
    result = solve_model(m, form, scenario, None, options, clock=clock)
    laps = result.timings
    return {
        "status": result.status,
        "objective": result.objective,
        "gap": result.mip_gap,
        "solve_s": laps.get("stage1", 0.0) + laps.get("start", 0.0),  # a greedy start is solving
        "prepare_s": laps["build"] + laps["compile"] + laps.get("transfer", 0.0),
        "columns": form.matrix.shape[1] if form else None,
        "rows": form.matrix.shape[0] if form else None,
        "nonzeros": form.matrix.nnz if form else None,
    }


def plain_once(path: Path, time_limit: float, mip_gap: float) -> dict:
    """The plain yardstick on the file at ``path``, in this process."""
    outcome = plain.solve(path, mip_gap=mip_gap, time_limit=time_limit)
    outcome["prepare_s"] = outcome["build_s"] + outcome["pass_s"]
    return outcome


def _in_subprocess(side: str, path: Path, time_limit: float, mip_gap: float) -> dict:
    """One solve in a fresh interpreter; killed at twice the limit plus a minute."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "outcome.json"
        command = [
            sys.executable, __file__, "--child", side, "--scenario", str(path),
            "--time-limit", str(time_limit), "--mip-gap", str(mip_gap), "--child-out", str(out),
        ]  # fmt: skip
        try:
            done = subprocess.run(
                command, timeout=2 * time_limit + 60, capture_output=True, text=True
            )
            if out.exists():
                return json.loads(out.read_text())
            return {"status": f"error: exit {done.returncode}: {done.stderr.strip()[-300:]}"}
        except subprocess.TimeoutExpired:
            return {"status": "killed"}


def _seconds(outcome: dict, time_limit: float, mip_gap: float) -> tuple[float, bool]:
    """Seconds to the gap, and whether the limit stood in for it (no proof of the gap)."""
    gap = outcome.get("gap")
    proved = outcome.get("status") == "optimal" and gap is not None and gap <= mip_gap + 1e-9
    if proved:
        return outcome["solve_s"], False
    return time_limit, True


def measure(family: str, rung: str, seed: int, args: argparse.Namespace) -> dict:
    """Generate one scenario, solve it both ways, and the CSV row."""
    path = families.write(family, rung, args.scenarios, seed)
    row = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "family": family,
        "rung": rung,
        "seed": seed,
        "scenario": path.name,
        "time_limit": args.time_limit,
        "mip_gap": args.mip_gap,
        "load_avg_1m": os.getloadavg()[0],
        "git": commit(),
    }
    seconds = {}
    for side in ("dualtrack", "plain"):
        outcome = _in_subprocess(side, path, args.time_limit, args.mip_gap)
        seconds[side], at_limit = _seconds(outcome, args.time_limit, args.mip_gap)
        row.update({f"{side}_s": seconds[side], f"{side}_at_limit": at_limit})
        for key in ("status", "gap", "objective", "nonzeros", "columns", "rows", "prepare_s"):
            row[f"{side}_{key}"] = outcome.get(key)
    row["ratio"] = seconds["dualtrack"] / seconds["plain"]
    return row


def _cell(value: object) -> object:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else value


def summarise(rows: list[dict]) -> list[dict]:
    """Median and worst ratio per rung × family, and per rung over every family."""
    groups: dict[tuple[str, str], list[float]] = {}
    limits: dict[tuple[str, str], int] = {}
    for row in rows:
        for key in ((row["rung"], row["family"]), (row["rung"], "all")):
            groups.setdefault(key, []).append(float(row["ratio"]))
            hit = str(row["dualtrack_at_limit"]) == "True" or str(row["plain_at_limit"]) == "True"
            limits[key] = limits.get(key, 0) + hit
    return [
        {
            "rung": rung,
            "family": family,
            "runs": len(ratios),
            "median": statistics.median(ratios),
            "quartiles": statistics.quantiles(ratios, n=4)[::2] if len(ratios) > 1 else ratios * 2,
            "worst": max(ratios),
            "best": min(ratios),
            "at_limit": limits[rung, family],
        }
        for (rung, family), ratios in sorted(groups.items(), key=_order)
    ]


def _order(item: tuple) -> tuple:
    """Rungs as met, families in ``FAMILIES`` order, "all" last."""
    (rung, family), _ = item
    known = list(families.FAMILIES)
    return (rung, known.index(family) if family in known else len(known))


def print_summary(rows: list[dict]) -> None:
    print("rung      family       runs  median  quartiles    worst   best   runs with a limit hit")
    for s in summarise(rows):
        low, high = s["quartiles"]
        print(
            f"{s['rung']:<9} {s['family']:<11} {s['runs']:>5}  {s['median']:6.2f}  "
            f"{low:4.2f}–{high:4.2f}  {s['worst']:6.2f}  {s['best']:5.2f}  {s['at_limit']}"
        )


def _line(row: dict) -> str:
    return (
        f"{row['rung']} {row['family']:<10} seed {row['seed']}: dualtrack "
        f"{row['dualtrack_s']:7.2f} s ({row['dualtrack_status']}, gap "
        f"{_cell(row['dualtrack_gap'])})  plain {row['plain_s']:7.2f} s ({row['plain_status']}, "
        f"gap {_cell(row['plain_gap'])})  ratio {row['ratio']:.2f}"
    )


def _past(stop_at: str | None) -> bool:
    """Whether the UTC wall clock is past ``HH:MM`` (no new solve is started then)."""
    if stop_at is None:
        return False
    now = datetime.datetime.now(datetime.UTC).strftime("%H:%M")
    return now >= stop_at


def run(args: argparse.Namespace) -> None:
    """Every rung × seed × family, one solve at a time, a row written as each finishes."""
    for rung in args.rungs:
        path = args.out / f"{datetime.date.today().isoformat()}-{args.label}-{rung}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", newline="") as f:  # never overwrite a recorded run
            csv.DictWriter(f, fieldnames=COLUMNS).writeheader()
        rows, began = [], time.perf_counter()
        runs = [
            (seed, family)
            for seed in range(args.first_seed, args.first_seed + args.seeds)
            for family in args.families
        ]  # seed by seed, so that a run stopped early still covers every family
        for seed, family in runs:
            if _past(args.stop_at):
                print(f"stopped at {args.stop_at} UTC: no new solve started", flush=True)
                break
            row = measure(family, rung, seed, args)
            rows.append(row)
            with path.open("a", newline="") as f:
                csv.DictWriter(f, fieldnames=COLUMNS).writerow(
                    {k: _cell(row.get(k)) for k in COLUMNS}
                )
            print(_line(row), flush=True)
        print(f"{rung}: {time.perf_counter() - began:.0f} s in all; written {path}")
        if rows:
            print_summary(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rungs", nargs="+", default=["200x15"])
    parser.add_argument("--families", nargs="+", default=list(families.FAMILIES))
    parser.add_argument("--seeds", type=int, default=8, help="how many seeds per rung")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per solve")
    parser.add_argument("--mip-gap", type=float, default=0.01)
    parser.add_argument("--label", default="families")
    parser.add_argument("--stop-at", default=None, help="HH:MM UTC: start no solve after it")
    parser.add_argument("--scenarios", type=Path, default=HERE / "generated")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--summarise", nargs="+", type=Path, help="print the summary of CSVs")
    parser.add_argument("--child", choices=("dualtrack", "plain"), help=argparse.SUPPRESS)
    parser.add_argument("--scenario", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        once = dualtrack_once if args.child == "dualtrack" else plain_once
        args.child_out.write_text(json.dumps(once(args.scenario, args.time_limit, args.mip_gap)))
        return 0
    if args.summarise:
        rows = []
        for path in args.summarise:
            with path.open(newline="") as f:
                rows += list(csv.DictReader(f))
        print_summary(rows)
        return 0
    unknown = set(args.families) - set(families.FAMILIES)
    if unknown:
        parser.error(f"unknown families {sorted(unknown)}; known: {', '.join(families.FAMILIES)}")
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
