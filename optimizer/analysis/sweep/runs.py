"""What a sweep runs: parameter values and draws as runs keyed by their inputs, and the task.

A run is the base document (the variant and every ``--set`` applied) with one value per
varied path and, for a sample, one draw of the ``uncertainty`` list. Its key is a hash of
everything that decides its outcome: the base document, the solver options, its values and
its draw. ``run_task`` solves one run and returns its row; it never raises, so a run that
fails is a row like any other. The same function runs in-process, on the local pool and on
Dask workers.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ruamel.yaml import YAMLError

from optimizer.input.draws import apply_draw
from optimizer.input.errors import ScenarioError
from optimizer.input.load import read_value, set_value, validate
from optimizer.solve.stages import solve

SOLVER_TIME = ("stage1", "stage2")
"""The timings that are HiGHS at work; the rest of a run's time is overhead."""


@dataclass(frozen=True)
class Job:
    """What every run of a sweep shares; sent to each worker."""

    document: dict = field(repr=False)
    """The base document: the scenario with its variant and ``--set`` patches."""
    options: dict
    """Solver options for every solve (``time_limit``, ``mip_gap``, ``threads``)."""
    audit: bool = False
    """Re-check every plan (``Result.audit``) and count the violations in the row."""

    @cached_property
    def digest(self) -> str:
        """A hash of the base document and the options (computed once: the document is large)."""
        return _hash({"document": self.document, "options": self.options})


@dataclass(frozen=True)
class Run:
    """One solve of a sweep: values for the varied paths and, for a sample, its draw."""

    key: str
    kind: str
    """``grid``, ``sample`` or ``breakpoint``."""
    values: tuple[tuple[str, Any], ...] = ()
    """(path, value) pairs, applied like ``--set``."""
    sample: int | None = None
    drawn: tuple[tuple[str, float], ...] = ()
    """The draw's values by ``<field>.<item>`` (``optimizer.input.draws.drawn``)."""

    def inputs(self) -> dict[str, Any]:
        """The row's input columns."""
        columns: dict[str, Any] = dict(self.values)
        if self.sample is not None:
            columns["sample"] = self.sample
            columns.update({f"drawn.{name}": value for name, value in self.drawn})
        return columns


def _hash(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def make_run(
    job: Job,
    kind: str,
    values: dict[str, Any],
    sample: tuple[int, int, int] | None = None,
    drawn: dict[str, float] | None = None,
) -> Run:
    """A run keyed by its inputs; ``sample`` is (seed, samples, index) of its draw."""
    key = _hash({"job": job.digest, "values": values, "sample": sample})
    index = sample[2] if sample is not None else None
    return Run(key, kind, tuple(values.items()), index, tuple((drawn or {}).items()))


# Reading --vary and --breakpoints ---------------------------------------------------------


def _value(text: str, where: str) -> Any:
    try:
        return read_value(text)
    except (YAMLError, RecursionError) as error:
        raise ScenarioError([f"{where}: {text!r} is not a valid value: {error}"]) from None


def _number(text: str, where: str) -> float | int:
    value = _value(text, where)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError([f"{where}: {text!r} is not a finite number"])
    return value


def _split(assignment: str, option: str) -> tuple[str, str]:
    path, sep, text = assignment.partition("=")
    path = path.strip()
    if not sep or not text.strip() or not all(path.split(".")):
        raise ScenarioError([f"{option} {assignment}: expected PATH=VALUES"])
    return path, text.strip()


def parse_vary(assignment: str) -> tuple[str, list[Any]]:
    """``PATH=V1,V2,...`` or ``PATH=LO:HI:STEP`` (HI included) as (path, values)."""
    path, text = _split(assignment, "--vary")
    where = f"--vary {assignment}"
    if text.count(":") == 2 and "{" not in text:
        low, high, step = (_number(part, where) for part in text.split(":"))
        if step <= 0 or high < low:
            raise ScenarioError([f"{where}: LO:HI:STEP needs LO ≤ HI and STEP > 0"])
        count = math.floor((high - low) / step + 1e-9) + 1
        whole = all(isinstance(v, int) for v in (low, high, step))
        values = [low + i * step if whole else round(low + i * step, 12) for i in range(count)]
        return path, values
    values: list[Any] = []
    for part in text.split(","):
        value = _value(part.strip(), where)
        if value not in values:
            values.append(value)
    return path, values


def parse_range(assignment: str) -> tuple[str, float | int, float | int]:
    """``PATH=LO:HI`` as (path, LO, HI)."""
    path, text = _split(assignment, "--breakpoints")
    where = f"--breakpoints {assignment}"
    parts = text.split(":")
    if len(parts) != 2:
        raise ScenarioError([f"{where}: expected PATH=LO:HI, e.g. rules.safe65.value=0.5:0.9"])
    low, high = (_number(part, where) for part in parts)
    if not low < high:
        raise ScenarioError([f"{where}: LO must be below HI"])
    return path, low, high


def value_at(document: Any, path: str) -> Any:
    """The value at a ``--set`` path (list items named by id), None where there is none."""
    for key in path.split("."):
        if isinstance(document, list):
            document = next(
                (i for i in document if isinstance(i, dict) and i.get("id") == key), None
            )
        elif isinstance(document, dict):
            document = document.get(int(key) if key.isascii() and key.isdigit() else key)
        else:
            return None
    return document


# The task --------------------------------------------------------------------------------


def scenario_of(job: Job, run: Run):
    """The validated scenario of one run (``ScenarioError`` if its values make it invalid)."""
    document = job.document
    for path, value in run.values:
        document = set_value(document, path, value)
    scenario = validate(document)
    return apply_draw(scenario, dict(run.drawn)) if run.drawn else scenario


def run_task(job: Job, run: Run) -> dict[str, Any]:
    """Solve one run; its row: inputs, status, reason, objective, MIP gap, KPIs, timings."""
    began = time.perf_counter()
    row: dict[str, Any] = {"key": run.key, "kind": run.kind, **run.inputs()}
    try:
        result = solve(scenario_of(job, run), **job.options)
    except ScenarioError as error:
        row.update(status="invalid", reason="; ".join(error.problems))
    except Exception as error:  # a failed run is a row; the sweep goes on
        row.update(status="failed", reason=f"{type(error).__name__}: {error}")
    else:
        row.update(
            status=result.status,
            reason=result.message,
            objective=result.objective,
            mip_gap=result.mip_gap,
            plan_systems=plan_systems(result),
        )
        if job.audit and result.has_plan:
            row["violations"] = len(result.audit())
        row.update({k: float(v) for k, v in result.kpis.items()})
        row["time.solver"] = sum(result.timings.get(step, 0.0) for step in SOLVER_TIME)
    row["time.total"] = time.perf_counter() - began
    return row


def plan_systems(result) -> str:
    """The systems the plan orders, sorted and comma-separated ("" without orders)."""
    if not result.has_plan or result.orders.empty:
        return ""
    ordered = result.orders.groupby("system")["quantity"].sum()
    return ",".join(sorted(ordered.index[ordered > 0]))


def failed_row(run: Run, status: str, reason: str) -> dict[str, Any]:
    """The row of a run that did not return: its worker died or it overran."""
    return {"key": run.key, "kind": run.kind, **run.inputs(), "status": status, "reason": reason}
