"""The ``dualtrack`` command line: thin commands over ``optimizer``.

Exit codes: 0 ok, 2 invalid input, 3 infeasible, 4 solver failure. Every
error is mapped to its code inside the command, so typer's test runner sees
the same codes as a shell.
"""

import functools
import json
import logging
from collections.abc import Callable
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from models import Scenario
from models.references import scenario_warnings
from optimizer.analysis.compare import compare as run_compare
from optimizer.analysis.ranges import ranges as run_ranges
from optimizer.analysis.stress import stress as run_stress
from optimizer.analysis.sweep import sweep as run_sweep
from optimizer.analysis.sweep.store import SweepExistsError
from optimizer.input.errors import ScenarioError
from optimizer.input.load import DEFAULT_SCENARIO, bundled, load_scenario, read_document
from optimizer.output.errors import OutputExistsError, ReportError
from optimizer.output.files import (
    check_target,
    write_comparison,
    write_ranges,
    write_result,
    write_stress,
)
from optimizer.output.terminal import (
    print_comparison,
    print_ranges,
    print_result,
    print_stress,
    print_sweep,
    print_why,
)
from optimizer.solve.stages import solve as run_solve

app = typer.Typer(
    help="dualtrack: what each procurement rule costs in capability, money and years.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)  # problems stay one per line

EXIT_BY_STATUS = {"optimal": 0, "feasible-at-limit": 0, "infeasible": 3, "error": 4}


class Format(StrEnum):
    """How results print on stdout."""

    table = "table"
    json = "json"
    csv = "csv"


ScenarioArg = Annotated[
    str | None,
    typer.Argument(
        help=f"A YAML/JSON file, an .xlsx workbook or a bundled name (default: {DEFAULT_SCENARIO})."
    ),
]
VariantOpt = Annotated[
    str | None, typer.Option("--variant", "-v", help="A variant of the scenario.")
]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="PATH=VALUE patch; repeatable.")]


def _report(lines: list[str]) -> None:
    for line in lines:
        err.print(line, markup=False, highlight=False)


def _fail(problems: list[str], code: int) -> typer.Exit:
    _report(problems)
    return typer.Exit(code=code)


def _problems(error: Exception) -> list[str]:
    if isinstance(error, OSError):  # a full or read-only disk, a folder that vanished
        return [f"{error.filename or 'output'}: cannot be written: {error.strerror or error}"]
    return getattr(error, "problems", None) or [str(error)]


def _exit_codes(command: Callable) -> Callable:
    """Invalid input, unwritable output (2) and Ctrl-C (130) as one message, no traceback."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (ScenarioError, OutputExistsError, SweepExistsError, ReportError, OSError) as error:
            raise _fail(_problems(error), 2) from None
        except KeyboardInterrupt:
            raise _fail(["interrupted"], 130) from None

    return run


def _check_output(out_dir: Path | None, report: bool, force: bool) -> None:
    """Refuse --report without --out, and an --out that exists, before any solve."""
    if report and out_dir is None:
        raise ScenarioError(["--report needs --out DIR"])
    if out_dir is not None:
        check_target(out_dir, force)


def _log_patches() -> None:
    handler = RichHandler(console=err, show_time=False, show_path=False, show_level=False)
    logger = logging.getLogger("optimizer.input.load")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)


@app.command()
@_exit_codes
def solve(
    scenario: ScenarioArg = None,
    variant: VariantOpt = None,
    set_: SetOpt = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write tables and manifest here.")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
    force: Annotated[bool, typer.Option(help="Replace an existing --out folder.")] = False,
    report: Annotated[
        bool, typer.Option(help="Also write report.html and charts/ into --out.")
    ] = False,
    time_limit: Annotated[float | None, typer.Option(help="Seconds, both stages.")] = None,
    mip_gap: Annotated[float | None, typer.Option(help="Relative MIP gap.")] = None,
    threads: Annotated[int | None, typer.Option(help="HiGHS threads.")] = None,
    seed: Annotated[int | None, typer.Option(help="HiGHS random seed.")] = None,
) -> None:
    """Solve a scenario and print the plan's KPIs."""
    _log_patches()
    _check_output(out_dir, report, force)
    with err.status("solving…"):
        result = run_solve(
            scenario,
            variant,
            sets=set_,
            time_limit=time_limit,
            mip_gap=mip_gap,
            threads=threads,
            seed=seed,
        )
    if out_dir is not None and result.has_plan:
        write_result(result, out_dir, force, report)
    print_result(result, fmt.value, out, err)
    raise typer.Exit(code=EXIT_BY_STATUS[result.status])


@app.command()
@_exit_codes
def validate(
    scenario: Annotated[
        str, typer.Argument(help="A YAML/JSON file, an .xlsx workbook or a bundled name.")
    ],
    variant: VariantOpt = None,
    set_: SetOpt = None,
    strict: Annotated[bool, typer.Option(help="Also warn about figures without a source.")] = False,
) -> None:
    """Check a scenario: every problem as a path into the document."""
    loaded = load_scenario(scenario, variant, set_)
    _report([f"warning: {w}" for w in scenario_warnings(loaded, strict)])
    out.print(
        f"{loaded.name}: valid ({len(loaded.capabilities)} capabilities, "
        f"{len(loaded.systems)} systems, {len(loaded.budgets)} budgets, "
        f"{len(loaded.rules)} rules, {len(loaded.variants)} variants)"
    )


@app.command()
@_exit_codes
def convert(
    source: Annotated[str, typer.Argument(help="A YAML/JSON file, a workbook or a bundled name.")],
    target: Annotated[Path, typer.Argument(help="The file to write: .yaml, .json or .xlsx.")],
    force: Annotated[bool, typer.Option(help="Replace an existing TARGET.")] = False,
) -> None:
    """Convert a scenario between YAML, JSON and an Excel workbook, without loss."""
    from optimizer.output.convert import convert as run_convert  # openpyxl only when asked

    loaded = run_convert(source, target, force)
    out.print(f"{loaded.name}: written to {target}")


@app.command()
def scenarios() -> None:
    """List the bundled scenarios."""
    table = Table("name", "description", "variants", title="Bundled scenarios")
    for name, path in sorted(bundled().items()):
        doc = read_document(path)
        default = " (default)" if name == DEFAULT_SCENARIO else ""
        description = " ".join(str(doc.get("description", "")).split())
        table.add_row(name + default, description, ", ".join(doc.get("variants", {})))
    out.print(table)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a scenario document."""
    print(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2))


@app.command()
@_exit_codes
def compare(
    scenario: ScenarioArg = None,
    variant: Annotated[
        list[str] | None,
        typer.Option("--variant", "-v", help="A variant; repeatable (default all)."),
    ] = None,
    set_: SetOpt = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write the tables here.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
    force: Annotated[bool, typer.Option(help="Replace an existing --out folder.")] = False,
    report: Annotated[bool, typer.Option(help="Also write report.html into --out.")] = False,
    brief: Annotated[
        bool, typer.Option(help="Also write brief.html, one printable page, into --out.")
    ] = False,
    attribute: Annotated[
        bool, typer.Option(help="Switch each enabled rule off in turn: what it costs.")
    ] = False,
    jobs: Annotated[int | None, typer.Option(help="Worker processes (default: cores).")] = None,
    with_ranges: Annotated[
        bool, typer.Option("--ranges", help="Add each KPI's range near the best gap.")
    ] = False,
    slack: Annotated[float, typer.Option(help="With --ranges: the slack (0.01 = 1 %).")] = 0.01,
    time_limit: Annotated[float | None, typer.Option(help="Seconds per solve.")] = None,
    mip_gap: Annotated[float | None, typer.Option(help="Relative MIP gap.")] = None,
) -> None:
    """Solve variants side by side: KPIs, changes against baseline, and rule costs."""
    if brief and out_dir is None:
        raise ScenarioError(["--brief needs --out DIR"])
    _check_output(out_dir, report, force)
    with err.status("solving variants…"):
        comparison = run_compare(
            scenario,
            variant,
            sets=set_,
            jobs=jobs,
            attribute_rules=attribute,
            time_limit=time_limit,
            mip_gap=mip_gap,
        )
    if with_ranges:
        with err.status("finding the ranges…"):
            found = run_ranges(
                scenario,
                comparison.variants,
                slack,
                sets=set_,
                jobs=jobs,
                time_limit=time_limit,
            )
        comparison.ranges = found.table
    about = {"ranges": {"slack": slack, "abs_slack": 0.0}} if with_ranges else None
    if out_dir is not None:
        write_comparison(comparison, out_dir, force, report, about=about)
    if brief and out_dir is not None:  # refused above without --out
        from optimizer.output.brief import write_brief  # matplotlib only when asked for

        err.print(f"wrote {write_brief(out_dir)}", markup=False, highlight=False)
    print_comparison(comparison, fmt.value, out)
    codes = [EXIT_BY_STATUS[r.status] for r in comparison.results.values()]
    raise typer.Exit(code=max(codes))


@app.command()
@_exit_codes
def ranges(
    scenario: ScenarioArg = None,
    variant: Annotated[
        list[str] | None,
        typer.Option("--variant", "-v", help="A variant; repeatable (default: baseline)."),
    ] = None,
    set_: SetOpt = None,
    slack: Annotated[
        float, typer.Option(help="Plans within this share of the best gap (0.01 = 1 %).")
    ] = 0.01,
    abs_slack: Annotated[float, typer.Option(help="And this much more, absolute.")] = 0.0,
    axis: Annotated[
        list[str] | None,
        typer.Option("--axis", help="A KPI to range over; repeatable (default: shares, ...)."),
    ] = None,
    alternatives: Annotated[
        int, typer.Option(help="Also find this many plans ordering the most different systems.")
    ] = 0,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write the tables here.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
    force: Annotated[bool, typer.Option(help="Replace an existing --out folder.")] = False,
    report: Annotated[bool, typer.Option(help="Also write report.html into --out.")] = False,
    jobs: Annotated[int | None, typer.Option(help="Worker processes (default: cores).")] = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds per solve.")] = None,
    mip_gap: Annotated[float | None, typer.Option(help="Relative MIP gap.")] = None,
) -> None:
    """What is forced and what is chosen: each KPI's range over plans near the best gap."""
    _check_output(out_dir, report, force)
    with err.status("finding the ranges…"):
        found = run_ranges(
            scenario,
            variant,
            slack,
            axis,
            alternatives,
            abs_slack=abs_slack,
            sets=set_,
            jobs=jobs,
            time_limit=time_limit,
            mip_gap=mip_gap,
        )
    if out_dir is not None:
        write_ranges(found, out_dir, force, report)
    print_ranges(found, fmt.value, out)
    for variant, optimum in found.optima.items():
        if not optimum.has_plan:
            print_why(optimum, err, f"{variant}: ")
    codes = [EXIT_BY_STATUS[r.status] for r in found.optima.values()]
    raise typer.Exit(code=max(codes))


@app.command()
@_exit_codes
def stress(
    scenario: ScenarioArg = None,
    variant: Annotated[
        list[str] | None,
        typer.Option("--variant", "-v", help="A variant; repeatable (default: all)."),
    ] = None,
    set_: SetOpt = None,
    samples: Annotated[int, typer.Option(help="Draws of the scenario's uncertainty list.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the draws.")] = 0,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write the tables here.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
    force: Annotated[bool, typer.Option(help="Replace an existing --out folder.")] = False,
    report: Annotated[bool, typer.Option(help="Also write report.html into --out.")] = False,
    time_limit: Annotated[float | None, typer.Option(help="Seconds per solve.")] = None,
) -> None:
    """How each plan fares when lines slip, fall short and prices rise (no solver in the replay)."""
    _check_output(out_dir, report, force)
    with err.status("solving and replaying…"):
        found = run_stress(scenario, variant, samples, seed, sets=set_, time_limit=time_limit)
    if out_dir is not None:
        write_stress(found, out_dir, force, report)
    print_stress(found, fmt.value, out)
    for name, plan in found.plans.items():
        if not plan.has_plan:
            print_why(plan, err, f"{name}: ")
    raise typer.Exit(code=max(EXIT_BY_STATUS[p.status] for p in found.plans.values()))


class Engine(StrEnum):
    """Where a sweep's runs are solved."""

    local = "local"
    dask = "dask"


@app.command()
@_exit_codes
def sweep(
    scenario: ScenarioArg = None,
    variant: VariantOpt = None,
    set_: SetOpt = None,
    vary: Annotated[
        list[str] | None,
        typer.Option(help="PATH=V1,V2,... or PATH=LO:HI:STEP; repeatable (cartesian product)."),
    ] = None,
    samples: Annotated[
        int, typer.Option(help="Re-plan this many draws of the uncertainty list.")
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the draws.")] = 0,
    breakpoints: Annotated[
        str | None, typer.Option(help="PATH=LO:HI: where the optimal plan's choice changes.")
    ] = None,
    tolerance: Annotated[
        float | None, typer.Option(help="Width of a breakpoint (default 1 % of the range).")
    ] = None,
    share_step: Annotated[
        float, typer.Option(help="A spend share move that counts as a change (0.05 = 5 pp).")
    ] = 0.05,
    engine: Annotated[Engine, typer.Option(help="local (process pool) or dask.")] = Engine.local,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address (default: a LocalCluster).")
    ] = None,
    jobs: Annotated[int | None, typer.Option(help="Worker processes (default: cores).")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Stream each run into this folder (Parquet).")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Run only the runs --out lacks.")] = False,
    force: Annotated[bool, typer.Option(help="Empty an existing --out folder first.")] = False,
    report: Annotated[bool, typer.Option(help="Also write report.html into --out.")] = False,
    fmt: Annotated[Format, typer.Option("--format", help="table, json or csv.")] = Format.table,
    time_limit: Annotated[float | None, typer.Option(help="Seconds per solve.")] = None,
    mip_gap: Annotated[float | None, typer.Option(help="Relative MIP gap.")] = None,
    run_timeout: Annotated[
        float | None, typer.Option(help="Stop a run after this many seconds (local engine).")
    ] = None,
) -> None:
    """Solve many variants of a scenario: a grid, re-planned samples, or breakpoints."""
    _log_patches()
    try:
        if report and out_dir is None:
            raise ScenarioError(["--report needs --out DIR"])
        with _progress() as bar:
            found = run_sweep(
                scenario,
                variant,
                sets=set_,
                vary=vary,
                samples=samples,
                seed=seed,
                breakpoints=breakpoints,
                tolerance=tolerance,
                share_step=share_step,
                engine=engine.value,
                jobs=jobs,
                scheduler=scheduler,
                out=out_dir,
                resume=resume,
                force=force,
                run_timeout=run_timeout,
                progress=bar,
                time_limit=time_limit,
                mip_gap=mip_gap,
            )
    except KeyboardInterrupt:
        kept = f"; the runs finished are in {out_dir}: --resume to run the rest" if out_dir else ""
        raise _fail([f"interrupted{kept}"], 130) from None
    if report:
        from optimizer.output.sweep_report import write_sweep_report  # matplotlib when asked

        write_sweep_report(out_dir, force=True)
    print_sweep(found, fmt.value, out)


@contextmanager
def _progress():
    """A progress bar on stderr (runs done / all, runs per second, time left)."""
    columns = (
        TextColumn("sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("sweep", total=None, rate="")

        def update(done: int, total: int) -> None:
            speed = bar.tasks[0].speed
            rate = f"{speed:.2f} runs/s" if speed else ""
            bar.update(task, completed=done, total=total, rate=rate)

        yield update


@app.command()
@_exit_codes
def report(
    folder: Annotated[
        Path, typer.Argument(help="A folder written by solve, compare or sweep --out.")
    ],
    force: Annotated[bool, typer.Option(help="Replace an existing report.html.")] = False,
) -> None:
    """Write report.html (self-contained, opens offline) and charts/*.png into a result folder."""
    from optimizer.output.report import write_report  # matplotlib only when asked for
    from optimizer.output.sweep_report import is_sweep, write_sweep_report

    page = (write_sweep_report if is_sweep(folder) else write_report)(folder, force)
    out.print(f"wrote {page} and {page.parent / 'charts'}/", markup=False, highlight=False)


@app.command()
@_exit_codes
def brief(
    folder: Annotated[
        Path, typer.Argument(help="A folder written by compare --out (or ranges, stress --out).")
    ],
    force: Annotated[
        bool, typer.Option(help="Replace an existing brief.html and brief.pdf.")
    ] = False,
    pdf: Annotated[
        bool, typer.Option(help="Also print brief.pdf with Chromium or Chrome from PATH.")
    ] = False,
) -> None:
    """Write brief.html: one printable A4 page on what each variant and rule changes."""
    from optimizer.output.brief import write_brief  # matplotlib only when asked for

    page = write_brief(folder, force, pdf)
    printed = f" and {page.with_suffix('.pdf')}" if pdf else ""
    out.print(f"wrote {page}{printed}", markup=False, highlight=False, soft_wrap=True)


if __name__ == "__main__":
    app()
