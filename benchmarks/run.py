"""Benchmark ladder runner: where the time of one solve goes, rung by rung.

    python benchmarks/run.py --rungs 50x10 200x15 --time-limit 60 --mip-gap 0.01 --label before
    python benchmarks/run.py --rungs 40x10x8 40x10x8x2b27 --seed 1 --label buyers

Each rung is generated (``benchmarks/generate.py``, seeded; ``…bN`` gives N buyers,
DESIGN §13) and then measured in a fresh
Python process, so that peak memory is that rung's alone. The steps of
``optimizer.solve.stages.solve`` are run one by one with the project's own functions and
timed separately: load, build, compile (Pyomo's standard-form compiler), the transfer to
HiGHS (``passModel``), stage 1 (primary), stage 2 (secondary), writing the plan back into
the model, result extraction. Then a variant is prepared twice, by rebuilding and by
editing the kept arrays (the first rule's rows freed: ``safe_joint`` in a rung with two
buyers or more, else ``safe65``), and the same stage-1 model is handed to a
fresh highspy by hand and solved with the same options: the "HiGHS-only" time of the
same run.

``--time-limit`` covers both stages, as in ``solve()`` (runs before the fast path gave
each stage its own). One row per rung is appended to
``benchmarks/results/<YYYY-MM-DD>-<label>.csv``; the columns are described in
``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import highspy
import numpy as np
import pyomo
from pyomo.common.tee import capture_output
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from optimizer import load_scenario
from optimizer.model.formulation import build_model
from optimizer.solve.diagnose import without
from optimizer.solve.highs import Session
from optimizer.solve.results import extract
from optimizer.solve.stages import Clock, run_stages
from optimizer.solve.standard_form import compile_model

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import Rung, write  # noqa: E402  (a sibling script, not a package)
from record import commit  # noqa: E402

COLUMNS = [
    # what was run
    "date", "label", "rung", "scenario", "seed", "time_limit", "mip_gap", "threads",
    # model size, as HiGHS holds it after the transfer (stage 1)
    "columns", "rows", "nonzeros", "integer_columns",
    # seconds
    "load_s", "build_s", "compile_s", "transfer_s", "stage1_s", "stage2_s", "plan_s",
    "extract_s", "total_s", "overhead_s", "overhead_ratio",
    # preparing a variant that switches one rule off: rebuilt, or edited in place
    "variant_rebuild_s", "variant_edit_s", "variant_ratio",
    # outcome
    "status", "stage1_status", "stage1_objective", "stage1_gap",
    "stage2_status", "stage2_objective", "stage2_gap",
    "peak_rss_mb",
    # the same model straight into highspy
    "highs_only_compile_s", "highs_only_pass_s", "highs_only_stage1_s",
    "highs_only_status", "highs_only_objective", "highs_only_gap", "highs_only_options",
    "peak_rss_end_mb",
    # where it ran
    "load_avg_1m", "platform", "cpu", "cpu_count", "python", "pyomo", "highspy", "git",
]  # fmt: skip


def _rss_mb() -> float:
    """Peak resident memory of this process so far (``ru_maxrss``), in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def machine() -> dict:
    """Where the run happens: platform, CPU, versions, commit."""
    return {
        "platform": platform.platform(),
        "cpu": _cpu(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "pyomo": pyomo.__version__,
        "highspy": version("highspy"),
        "git": commit(),
    }


def _highs_status(highs: highspy.Highs) -> str:
    status = highs.getModelStatus()
    has_plan = highs.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
    if status == highspy.HighsModelStatus.kOptimal:
        return "optimal"
    if status in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kIterationLimit):
        return "feasible-at-limit" if has_plan else "error"
    if status == highspy.HighsModelStatus.kInfeasible:
        return "infeasible"
    return "error: " + highs.modelStatusToString(status)


def _standard_form_lp(m) -> highspy.HighsLp:
    """The active objective and rows of ``m`` as a HighsLp, by Pyomo's standard-form compiler.

    Written here by hand, apart from ``optimizer.solve.standard_form``, as the yardstick.
    """
    form = LinearStandardFormCompiler().write(m, mixed_form=True)
    a = form.A.tocsc()
    sense = np.array([r.bound_type for r in form.rows])  # 1: ≤, -1: ≥, 0: =
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = a.shape[1], a.shape[0]
    lp.col_cost_ = form.c.toarray().ravel() if form.c.shape[0] else np.zeros(a.shape[1])
    lp.offset_ = float(form.c_offset[0]) if len(form.c_offset) else 0.0
    lp.col_lower_ = np.array([-inf if v.lb is None else v.lb for v in form.columns], dtype=float)
    lp.col_upper_ = np.array([inf if v.ub is None else v.ub for v in form.columns], dtype=float)
    lp.row_lower_ = np.where(sense >= 0, np.where(sense == 0, form.rhs, -inf), form.rhs)
    lp.row_upper_ = np.where(sense <= 0, np.where(sense == 0, form.rhs, inf), form.rhs)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if v.is_integer() or v.is_binary() else
        highspy.HighsVarType.kContinuous
        for v in form.columns
    ]  # fmt: skip
    return lp


def highs_only(m, options, seconds: float, extra: dict | None = None) -> dict:
    """Stage 1 of ``m`` solved by highspy alone, with the options ``Session`` sets.

    ``extra`` HiGHS options (``--highs-option``) try a setting on this solve only.
    """
    with capture_output(capture_fd=True):
        highs = highspy.Highs()
        started = time.perf_counter()
        lp = _standard_form_lp(m)
        compiled = time.perf_counter()
        highs.passModel(lp)
        passed = time.perf_counter()
        highs.setOptionValue("log_to_console", True)
        if options.threads is not None:
            highs.setOptionValue("threads", options.threads)
        highs.setOptionValue("time_limit", max(seconds, 0.01))
        highs.setOptionValue("mip_rel_gap", options.mip_gap)
        highs.setOptionValue("random_seed", options.seed)
        for name, value in (extra or {}).items():
            highs.setOptionValue(name, value)
        ran = time.perf_counter()
        highs.run()
        done = time.perf_counter()
    info = highs.getInfo()
    status = _highs_status(highs)
    has_plan = status in ("optimal", "feasible-at-limit")
    return {
        "highs_only_compile_s": compiled - started,
        "highs_only_pass_s": passed - compiled,
        "highs_only_stage1_s": done - ran,
        "highs_only_status": status,
        "highs_only_objective": info.objective_function_value if has_plan else None,
        "highs_only_gap": info.mip_gap if has_plan else None,
    }


def variant_preparation(scenario, form, options) -> dict:
    """Seconds to make a variant (the first rule off) ready to run: rebuilt, or edited.

    Rebuilt: ``build_model`` + ``compile_model`` + ``Session`` (what ``solve`` does).
    Edited: ``Session`` on the kept arrays with the rule's rows freed (what ``solve_all``
    does for a variant that only switches rules). The solves after either are the same.
    """
    rule = scenario.enabled_rules[0].id
    started = time.perf_counter()
    variant = without(scenario, {rule})
    rebuilt = compile_model(build_model(variant))
    Session(options, rebuilt).optimise("primary_objective")
    middle = time.perf_counter()
    Session(options, form, {rule}).optimise("primary_objective")
    done = time.perf_counter()
    rebuild, edit = middle - started, done - middle
    return {"variant_rebuild_s": rebuild, "variant_edit_s": edit, "variant_ratio": rebuild / edit}


def run_rung(
    path: str | Path,
    time_limit: float,
    mip_gap: float,
    *,
    threads: int | None = None,
    seed: int = 0,
    label: str = "",
    rung: str = "",
    highs_options: dict | None = None,
) -> dict:
    """Measure one scenario file in this process; the CSV row (every column of ``COLUMNS``)."""
    row: dict = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "label": label,
        "rung": rung,
        "seed": seed,
        "time_limit": time_limit,
        "mip_gap": mip_gap,
        "threads": threads,
        "load_avg_1m": os.getloadavg()[0],
        **machine(),  # read now: the commit measured is the one the run started with
    }
    clock = Clock()
    scenario = load_scenario(path)
    row["scenario"] = scenario.name
    update = dict(time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed)
    options = scenario.solver.model_copy(update={k: v for k, v in update.items() if v is not None})
    clock.lap("load")
    m = build_model(scenario)
    clock.lap("build")
    form = compile_model(m)
    clock.lap("compile")
    stages = run_stages(m, form, scenario, options, set(), clock)
    result = extract(m, scenario, None, stages, options)
    clock.lap("extract")
    laps = clock.timings()
    row["peak_rss_mb"] = _rss_mb()
    total = laps["total"] - laps["load"]
    solving = laps["stage1"] + laps.get("stage2", 0.0)
    row.update({f"{step}_s": seconds for step, seconds in laps.items() if step != "total"})
    row.update(
        columns=form.matrix.shape[1],
        rows=form.matrix.shape[0],
        nonzeros=form.matrix.nnz,
        integer_columns=int(form.integer.sum()),
        total_s=total,
        overhead_s=total - solving,
        overhead_ratio=(total - solving) / total if total > 0 else None,
        status=result.status,
        stage1_status=stages[0].status,
        stage1_objective=stages[0].objective,
        stage1_gap=stages[0].gap,
        stage2_status=stages[1].status if len(stages) > 1 else "",
        stage2_objective=stages[1].objective if len(stages) > 1 else None,
        stage2_gap=stages[1].gap if len(stages) > 1 else None,
    )
    if scenario.enabled_rules:
        row.update(variant_preparation(scenario, form, options))
    row.update(highs_only(m, options, time_limit, highs_options))
    row["highs_only_options"] = json.dumps(highs_options) if highs_options else ""
    row["peak_rss_end_mb"] = _rss_mb()
    return {column: row.get(column) for column in COLUMNS}


def record(rows: list[dict], path: Path) -> Path:
    """Append ``rows`` to the CSV at ``path`` (header written when the file is new)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with path.open("a", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        if new:
            writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(v) for k, v in row.items()})
    return path


def _cell(value: object) -> object:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else value


def _in_subprocess(path: Path, args: argparse.Namespace, rung: str) -> dict:
    """``run_rung`` in a fresh interpreter; a failed or timed-out rung is a row saying so."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "row.json"
        command = [
            sys.executable, __file__, "--one", str(path), "--row-out", str(out),
            "--time-limit", str(args.time_limit), "--mip-gap", str(args.mip_gap),
            "--seed", str(args.seed), "--label", args.label, "--rung-name", rung,
            *[a for option in args.highs_option for a in ("--highs-option", option)],
        ]  # fmt: skip
        if args.threads is not None:
            command += ["--threads", str(args.threads)]
        try:
            done = subprocess.run(
                command, timeout=args.rung_timeout, capture_output=True, text=True
            )
            if out.exists():
                return json.loads(out.read_text())
            failure = f"error: exit {done.returncode}: {done.stderr.strip()[-300:]}"
        except subprocess.TimeoutExpired:
            failure = f"not run: over --rung-timeout {args.rung_timeout} s"
    row = dict.fromkeys(COLUMNS)
    row.update(machine())
    row.update(
        date=datetime.datetime.now().isoformat(timespec="seconds"),
        label=args.label,
        rung=rung,
        seed=args.seed,
        time_limit=args.time_limit,
        mip_gap=args.mip_gap,
        threads=args.threads,
        status=failure,
    )
    return row


def _summary(row: dict) -> str:
    def f(key: str) -> str:
        value = row.get(key)
        return "-" if value is None else f"{value:.2f}"

    return (
        f"{row['rung']}: {row['status']}  build {f('build_s')}  compile {f('compile_s')}  "
        f"transfer {f('transfer_s')}  "
        f"stage1 {f('stage1_s')}  stage2 {f('stage2_s')}  extract {f('extract_s')}  "
        f"overhead {f('overhead_ratio')}  highs-only {f('highs_only_stage1_s')}  "
        f"rss {f('peak_rss_mb')} MiB"
    )


def _option(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` with VALUE read as a number or a bool where it is one."""
    name, _, value = text.partition("=")
    for read in (int, float):
        try:
            return name, read(value)
        except ValueError:
            pass
    return name, {"true": True, "false": False}.get(value.lower(), value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rungs", nargs="+", default=["50x10", "200x15", "1000x20", "3000x30"],
        help="SxT, SxTxC or SxTxCxB, optionally ending in bN for N buyers (40x10x8x2b27)",
    )  # fmt: skip
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds, both stages")
    parser.add_argument("--mip-gap", type=float, default=0.01)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0, help="generator and HiGHS seed")
    parser.add_argument("--label", default="run")
    parser.add_argument("--rung-timeout", type=float, default=None, help="seconds per rung")
    parser.add_argument(
        "--highs-option", action="append", default=[], metavar="NAME=VALUE",
        help="a HiGHS option for the HiGHS-only solve (e.g. mip_lp_solver=ipm)",
    )  # fmt: skip
    parser.add_argument("--scenarios", type=Path, default=HERE / "generated")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # child: one scenario file
    parser.add_argument("--row-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rung-name", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        row = run_rung(
            args.one, args.time_limit, args.mip_gap, threads=args.threads, seed=args.seed,
            label=args.label, rung=args.rung_name,
            highs_options=dict(_option(o) for o in args.highs_option),
        )  # fmt: skip
        args.row_out.write_text(json.dumps(row))
        return 0
    target = args.out / f"{datetime.date.today().isoformat()}-{args.label}.csv"
    for text in args.rungs:
        path = write(Rung.parse(text), args.scenarios, args.seed)
        row = _in_subprocess(path, args, text)
        record([row], target)
        print(_summary(row), flush=True)
    print(f"written: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
