"""Sweeps (DESIGN §10): many solves of one scenario, streamed to Parquet, resumable.

Three kinds, built on the same task (``runs.run_task``): a grid of values for one or more
paths (their cartesian product), re-planned samples of the ``uncertainty`` list (the best
plan for each draw, known in advance; with a grid, every draw at every point), and the
breakpoints of one parameter. Runs go to a local process pool or a Dask cluster
(``engines``); with ``out``, each finished run is stored at once (``store``).
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from models import Scenario
from models.options import AnalysisOptions
from optimizer.analysis.sweep.breakpoints import search, table
from optimizer.analysis.sweep.engines import open_engine
from optimizer.analysis.sweep.runs import Job, Run, make_run, parse_range, parse_vary, value_at
from optimizer.analysis.sweep.store import RunStore
from optimizer.input.draws import draw, drawn
from optimizer.input.errors import ScenarioError
from optimizer.input.load import (
    ScenarioLike,
    checked_options,
    load_scenario,
    set_value,
    unlogged,
    validate,
)
from optimizer.solve.stages import solver_options

log = logging.getLogger(__name__)

ENGINES = ("local", "dask")
QUANTILES = {"p10": 0.1, "p50": 0.5, "p90": 0.9}
PLANNED = ("optimal", "feasible-at-limit")
NOT_KPIS = {"key", "kind", "sample", "status", "reason", "objective", "mip_gap", "violations"}


@dataclass
class Sweep:
    """The runs of a sweep, one row each, and what the sweep found."""

    scenario: Scenario = field(repr=False)
    kind: str
    """``grid``, ``samples``, ``grid+samples`` or ``breakpoints``."""
    parameters: list[str]
    """The varied paths."""
    runs: pd.DataFrame = field(repr=False)
    """One row per run: inputs, status, reason, objective, MIP gap, KPIs, timings."""
    breakpoints: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """With ``breakpoints``: where the plan's choice changes, and what changed."""

    def kpi_columns(self) -> list[str]:
        """The KPI columns of the runs (not inputs, status, draws or timings)."""
        return [
            c
            for c in self.runs.columns
            if c not in {*NOT_KPIS, *self.parameters}
            and not c.startswith(("drawn.", "time."))
            and pd.api.types.is_numeric_dtype(self.runs[c])
        ]

    def distributions(self) -> pd.DataFrame:
        """Per grid point and KPI, over the samples with a plan: mean, P10, P50, P90."""
        if "samples" not in self.kind or self.runs.empty:
            return pd.DataFrame()
        planned = self.runs[self.runs["status"].isin(PLANNED)]
        by_point = (
            planned.groupby(self.parameters, sort=False) if self.parameters else [((), planned)]
        )
        records = []
        for point, rows in by_point:
            point = point if isinstance(point, tuple) else (point,)
            for kpi in self.kpi_columns():
                values = rows[kpi].dropna()
                records.append(
                    {
                        **dict(zip(self.parameters, point, strict=True)),
                        "kpi": kpi,
                        "runs": len(values),
                        "mean": values.mean(),
                        **{name: values.quantile(q) for name, q in QUANTILES.items()},
                    }
                )
        return pd.DataFrame(records)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The finished tables by name (``runs``, and ``breakpoints`` or ``distributions``)."""
        tables = {"runs": self.runs}
        if self.kind == "breakpoints":
            tables["breakpoints"] = self.breakpoints
        if "samples" in self.kind:
            tables["distributions"] = self.distributions()
        return tables

    def _repr_html_(self) -> str:
        head = f"<p><b>{self.scenario.name}</b>: {self.kind} sweep, {len(self.runs)} runs</p>"
        found = self.breakpoints.to_html() if not self.breakpoints.empty else ""
        return head + found + self.runs.head(50).to_html(float_format="{:.4g}".format)


def _base(
    scenario: ScenarioLike | None, variant: str | None, sets: list[str] | None, paths: dict
) -> tuple[Scenario, dict]:
    """The validated base scenario and its document, with the varied rules switched on.

    ``paths`` maps each varied path to a value it takes. A path that names no item or no
    field is an error here, before any solve. Varying a field of a rule that is off would
    change nothing: the sweep switches the rule on (and says so), which is what asking for
    its values means.
    """
    loaded = load_scenario(scenario, variant, sets)
    document = loaded.model_dump(by_alias=True, exclude_none=True)
    for path, value in paths.items():
        with unlogged():
            patched = set_value(document, path, value)  # an unknown id raises ScenarioError
        if value_at(document, path) is None:
            _unknown_field(patched, path)
    rules = {r.id: r for r in loaded.rules}
    for path in paths:
        parts = path.split(".")
        if parts[0] == "rules" and len(parts) > 2 and parts[2] != "enabled":
            rule = rules.get(parts[1])
            if rule is not None and not rule.enabled:
                log.warning("rules.%s is off in this scenario: the sweep switches it on", rule.id)
                document = set_value(document, f"rules.{rule.id}.enabled", True)
    return validate(document), document


def _unknown_field(document: dict, path: str) -> None:
    try:
        validate(document)
    except ScenarioError as error:
        unknown = [p for p in error.problems if p.endswith("unknown key")]
        if unknown:
            raise ScenarioError(
                [f"{path}: names no field of the scenario ({unknown[0]})"]
            ) from None


def _grid(vary: Iterable[str] | dict[str, list] | None) -> dict[str, list]:
    if vary is None:
        return {}
    if isinstance(vary, dict):
        return {path: list(values) for path, values in vary.items()}
    return dict(parse_vary(assignment) for assignment in vary)


class _Runner:
    """Solves batches of runs on an engine, skipping and storing what ``store`` holds."""

    def __init__(self, job, engine, store, progress):
        self.job, self.engine, self.store, self.progress = job, engine, store, progress
        self.rows: dict[str, dict] = {}
        self.done = 0
        self.total = 0

    def solve(self, runs: list[Run], more: int = 0) -> list[dict]:
        """The rows of ``runs`` (stored ones read back), in order; ``more`` runs may follow."""
        stored = self.store.keys() if self.store else set()
        kept = self.store.table([r.key for r in runs if r.key in stored]) if stored else None
        for row in kept.to_dict("records") if kept is not None else []:
            self.rows[row["key"]] = row
        missing = [r for r in runs if r.key not in self.rows]
        self.total = self.done + len(missing) + more
        self._tick()
        for row in self.engine.map(self.job, missing) if missing else []:
            if self.store:
                self.store.add(row)
            self.rows[row["key"]] = row
            self.done += 1
            self._tick()
        return [self.rows[r.key] for r in runs]

    def _tick(self) -> None:
        if self.progress:
            self.progress(self.done, self.total)


def sweep(
    scenario: ScenarioLike | None = None,
    variant: str | None = None,
    *,
    sets: list[str] | None = None,
    vary: Iterable[str] | dict[str, list] | None = None,
    samples: int = 0,
    seed: int = 0,
    breakpoints: str | tuple[str, float, float] | None = None,
    tolerance: float | None = None,
    share_step: float = 0.05,
    engine: str = "local",
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    force: bool = False,
    run_timeout: float | None = None,
    audit: bool = False,
    progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> Sweep:
    """Solve a scenario many times and gather one row per run.

    Args:
        scenario: A path, a bundled name, a mapping or a ``Scenario``.
        variant: The variant the sweep starts from.
        sets: ``PATH=VALUE`` patches of the variant, as ``--set``.
        vary: ``PATH=V1,V2,...`` or ``PATH=LO:HI:STEP`` assignments (or ``{path: values}``);
            several make a cartesian product.
        samples: Draws of the ``uncertainty`` list, each re-planned.
        seed: Fixes the draws (the same as ``stress`` with the same seed and number).
        breakpoints: ``PATH=LO:HI`` (or ``(path, lo, hi)``): where the optimal plan's
            choice changes.
        tolerance: The widest a breakpoint's interval may be (default 1 % of the range).
        share_step: The smallest move of an origin group's spend share that counts.
        engine: ``local`` (a process pool) or ``dask``.
        jobs: Worker processes of the pool or the ``LocalCluster`` (default: cores).
        scheduler: The address of a Dask scheduler (default: a ``LocalCluster``).
        out: A folder for the Parquet dataset of runs.
        resume: Run only the runs ``out`` lacks.
        force: Empty ``out`` first.
        run_timeout: Seconds after which a run's worker is stopped (local pool; default
            three times the solver's time limit plus a minute).
        audit: Re-check every plan and count its violations (column ``violations``).
        progress: Called with (runs done, runs in all) as runs finish.
        options: Solver options (``time_limit``, ``mip_gap``) for every run.

    Raises:
        ScenarioError: an invalid scenario or sweep definition (before any solve).
    """
    given = dict(jobs=jobs, samples=samples, seed=seed, tolerance=tolerance)
    checked_options(AnalysisOptions, given | dict(share_step=share_step, run_timeout=run_timeout))
    grid = _grid(vary)
    bisect = parse_range(breakpoints) if isinstance(breakpoints, str) else breakpoints
    problems = _definition_problems(grid, samples, bisect, engine)
    if problems:
        raise ScenarioError(problems)
    paths = [bisect[0]] if bisect else list(grid)
    first = {bisect[0]: bisect[1]} if bisect else {p: values[0] for p, values in grid.items()}
    base, document = _base(scenario, variant, sets, first)
    if samples and not base.uncertainty:
        raise ScenarioError(["--samples: the scenario has no uncertainty list to draw from"])
    solver_options(base, options)  # an option out of range: exit 2 before any run
    given = {k: v for k, v in options.items() if v is not None}
    job = Job(document, {**given, "threads": 1}, audit)
    limit = given.get("time_limit", base.solver.time_limit)
    definition = {
        "scenario": base.name,
        "document": job.digest,
        "variant": variant,
        "sets": sets or [],
        "vary": grid,
        "samples": samples,
        "seed": seed,
        "breakpoints": None
        if bisect is None
        else {
            "parameter": bisect[0],
            "low": bisect[1],
            "high": bisect[2],
            "tolerance": tolerance,
            "share_step": share_step,
        },
        "options": job.options,
    }
    store = RunStore.open(Path(out), definition, resume, force) if out is not None else None
    kind = (
        "breakpoints"
        if bisect
        else "+".join(k for k, on in (("grid", grid), ("samples", samples)) if on)
    )
    with open_engine(engine, jobs, scheduler, run_timeout or 3 * limit + 60) as pool:
        runner = _Runner(job, pool, store, progress)
        if bisect:
            rows, found = _breakpoints(runner, job, bisect, tolerance, share_step)
        else:
            rows, found = runner.solve(_grid_runs(job, base, grid, samples, seed)), pd.DataFrame()
    result = Sweep(base, kind, paths, pd.DataFrame(rows), found)
    if store is not None:
        for name, table in result.tables().items():
            store.write_table(name, table)
    return result


def _definition_problems(grid: dict, samples: int, bisect, engine: str) -> list[str]:
    problems = []
    if not (grid or samples or bisect):
        problems.append("a sweep needs --vary, --samples or --breakpoints")
    if bisect and (grid or samples):
        problems.append("--breakpoints searches one parameter: not with --vary or --samples")
    if engine not in ENGINES:
        problems.append(f"--engine {engine}: must be one of {', '.join(ENGINES)}")
    if engine == "dask" and importlib.util.find_spec("distributed") is None:
        problems.append("--engine dask needs dask.distributed: pip install 'dualtrack[dask]'")
    problems += [f"--vary {path}: no values" for path, values in grid.items() if not values]
    return problems


def _grid_runs(job: Job, base: Scenario, grid: dict, samples: int, seed: int) -> list[Run]:
    """Every grid point, each with every draw when ``samples``."""
    points = [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]
    if not samples:
        return [make_run(job, "grid", point) for point in points]
    draws = drawn(draw(base, samples, seed))
    return [
        make_run(job, "sample", point, (seed, samples, k), values)
        for point in points
        for k, values in enumerate(draws)
    ]


def _breakpoints(runner: _Runner, job: Job, bisect, tolerance, share_step):
    path, low, high = bisect
    tolerance = tolerance if tolerance is not None else (high - low) / 100
    by_value: dict[float, dict] = {}

    def solve(values: list[float]) -> dict[float, dict]:
        runs = [make_run(job, "breakpoint", {path: v}) for v in values]
        rows = runner.solve(runs, more=len(values))  # the next round is about as large
        by_value.update(zip(values, rows, strict=True))
        return dict(zip(values, rows, strict=True))

    whole = isinstance(value_at(job.document, path), int)  # and not a share written as 1
    found = search(solve, low, high, tolerance, share_step, whole)
    rows = [by_value[v] for v in sorted(by_value)]
    return rows, table(path, found, by_value)
