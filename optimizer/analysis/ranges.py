"""Near-optimal ranges (DESIGN §15): what the capability goal forces and what is a choice.

With P* a scenario's primary optimum, a plan is *near-optimal* when it keeps
every rule and its primary is at most P*·(1 + slack) + abs_slack. For each axis,
a KPI of the plan, the range is the smallest and the largest value over the
near-optimal plans: "within 1 % of the best gap the US share of spending lies
between 12 and 31 %: 12 % is forced, the rest is chosen".

Everything runs on one compiled model per variant: the primary is held by a cap
row, and each axis is made the objective by changing costs (the solve step's
``Session``). Axes that are shares, numerator / denominator, are found exactly by
Dinkelbach's method: minimise numerator − v·denominator, set v to the share of
the plan found, and repeat until no plan does better than v (each step a MIP;
two or three steps in practice). Alternatives are plans within the slack that
differ most, in which systems they order, from the optimal plan and from each
other (a Hamming objective on the ordered-at-least-once binaries).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from models import Scenario
from models.options import AnalysisOptions
from optimizer.analysis.pool import pool_of, starting
from optimizer.input.errors import ScenarioError
from optimizer.input.load import (
    BASELINE,
    ScenarioLike,
    checked_options,
    load_scenario,
    variant_names,
)
from optimizer.model.formulation import build_model
from optimizer.solve.highs import Session, Stage
from optimizer.solve.results import Result, extract
from optimizer.solve.stages import solve, solver_options
from optimizer.solve.standard_form import Objective, StandardForm, compile_if_feasible

MINIMISE, MAXIMISE = 1, -1
DINKELBACH_STEPS = 20  # a share axis converges in a few steps; this only bounds a stall
AXIS_FORMS = (
    "spend_share.<group, country code or other>",
    "total_spend",
    "spend.<system or supplier>",
    "units.<system or supplier>",
    "investment",
    "n_system_types",
)


@dataclass
class Ranges:
    """Near-optimal ranges of one scenario's variants, and their alternative plans."""

    scenario: Scenario = field(repr=False)
    slack: float
    abs_slack: float
    table: pd.DataFrame = field(repr=False)
    """One row per variant and axis: ``optimum`` (the optimal plan's value), ``min``, ``max``."""
    ends: dict[tuple[str, str, str], Result] = field(default_factory=dict, repr=False)
    """The plan behind each end: (variant, axis, "min" or "max") → its ``Result``."""
    alternatives: dict[str, list[Result]] = field(default_factory=dict, repr=False)
    """Per variant, plans within the slack that order the most different systems."""
    optima: dict[str, Result] = field(default_factory=dict, repr=False)
    """Per variant, the optimal plan (as ``solve`` returns it)."""

    def _repr_html_(self) -> str:
        head = f"<p><b>{self.scenario.name}</b>: near-optimal ranges, slack {self.slack:g}</p>"
        return head + self.table.to_html(index=False, float_format="{:,.4g}".format)


def default_axes(scenario: Scenario) -> list[str]:
    """Every origin group's spend share and the US's, investment, number of system types."""
    return [
        *(f"spend_share.{g}" for g in scenario.groups),
        "spend_share.US",
        "investment",
        "n_system_types",
    ]


def _systems_of_origin(scenario: Scenario, origin: str) -> list[str]:
    """The systems whose supplier is in group ``origin``, in country ``origin``, or in no group."""
    country = {k.id: k.country for k in scenario.suppliers}
    grouped = {c for members in scenario.groups.values() for c in members}
    if origin in scenario.groups:
        members = set(scenario.groups[origin])
        return [s.id for s in scenario.systems if country[s.supplier] in members]
    if origin == "other":
        return [s.id for s in scenario.systems if country[s.supplier] not in grouped]
    return [s.id for s in scenario.systems if country[s.supplier] == origin]


def _systems_named(scenario: Scenario, name: str) -> list[str] | None:
    """A system id, or a supplier id (its systems); None when it names neither."""
    if any(s.id == name for s in scenario.systems):
        return [name]
    if any(k.id == name for k in scenario.suppliers):
        return [s.id for s in scenario.systems if s.supplier == name]
    return None


def check_axes(scenario: Scenario, axes: list[str]) -> None:
    """Raise ``ScenarioError`` listing every axis that names nothing in the scenario."""
    problems = []
    for axis in axes:
        kind, _, name = axis.partition(".")
        known = {
            "spend_share": name in scenario.groups
            or name == "other"
            or (len(name) == 2 and name.isupper()),
            "spend": _systems_named(scenario, name) is not None,
            "units": _systems_named(scenario, name) is not None,
        }.get(kind, axis in ("total_spend", "investment", "n_system_types"))
        if not known:
            problems.append(f"--axis {axis}: unknown (axes: {', '.join(AXIS_FORMS)})")
    if problems:
        raise ScenarioError(problems)


def axis_value(result: Result, axis: str) -> float:
    """The value of ``axis`` for the plan of ``result``, read from its frames."""
    if axis in result.kpis.index:  # total_spend, investment, n_system_types, shares of groups
        return float(result.kpis[axis])
    scenario = result.scenario
    kind, _, name = axis.partition(".")
    if kind == "units":
        chosen = result.orders["system"].isin(_systems_named(scenario, name))
        return float(result.orders.loc[chosen, "quantity"].sum())
    spending = result.spending
    if kind == "spend":
        return float(
            spending.loc[spending["system"].isin(_systems_named(scenario, name)), "amount"].sum()
        )
    total = float(spending["amount"].sum())
    part = spending.loc[spending["system"].isin(_systems_of_origin(scenario, name)), "amount"].sum()
    return float(part) / total if total > 0 else math.nan


class _Axes:
    """Each axis as cost vectors over the compiled model's columns: numerator (and denominator)."""

    def __init__(self, m: Any, form: StandardForm, scenario: Scenario):
        self.scenario = scenario
        self.n = len(form.columns)
        self.funding: dict[str, list[int]] = {}  # system → columns of its funding
        self.orders: dict[str, list[int]] = {}  # system → columns of its orders
        self.investment = np.zeros(self.n)
        self.ordered: dict[int, str] = {}  # column of o_s → s
        for j, var in enumerate(form.columns):
            component, index = var.parent_component().local_name, var.index()
            if component == "funding":  # (β, b, s, t)
                self.funding.setdefault(index[2], []).append(j)
            elif component == "order":  # (b, s, t)
                self.orders.setdefault(index[1], []).append(j)
            elif component == "expansion_steps":
                self.investment[j] = m.system[index[0]].expansion.cost
            elif component == "ordered":
                self.ordered[j] = index

    def _money(self, systems: list[str]) -> np.ndarray:
        cost = np.zeros(self.n)
        for s in systems:
            cost[self.funding.get(s, [])] = 1.0
        return cost

    def vectors(self, axis: str) -> tuple[np.ndarray, np.ndarray | None]:
        """(numerator, denominator): the axis is numerator·x, or numerator·x / denominator·x."""
        kind, _, name = axis.partition(".")
        everything = [s.id for s in self.scenario.systems]
        if axis == "total_spend":
            return self._money(everything), None
        if axis == "investment":
            return self.investment, None
        if axis == "n_system_types":
            types = np.zeros(self.n)
            types[list(self.ordered)] = 1.0
            return types, None
        if kind == "spend":
            return self._money(_systems_named(self.scenario, name)), None
        if kind == "units":
            cost = np.zeros(self.n)
            for s in _systems_named(self.scenario, name):
                cost[self.orders.get(s, [])] = 1.0
            return cost, None
        return self._money(_systems_of_origin(self.scenario, name)), self._money(everything)


class NoPlan(Exception):
    """The model with the ordered binaries has no plan (where the plain model had one)."""


class _NearOptimal:
    """One variant's compiled model with the primary capped near its optimum."""

    def __init__(self, scenario: Scenario, variant: str, slack: float, abs_slack: float, options):
        self.scenario, self.variant, self.options = scenario, variant, options
        self.m = build_model(scenario, ordered=True)
        form = compile_if_feasible(self.m)
        if form is None:
            raise NoPlan("a row cannot hold")
        self.form, self.session = form, Session(options, form)
        self.session.optimise("primary_objective")
        first = self.session.run(options.time_limit)
        if first.objective is None:
            raise NoPlan(first.message)
        self.primary = form.objectives["primary_objective"]
        self.cap = first.objective * (1 + slack) + abs_slack
        self.session.cap("primary_objective", self.cap)
        self.start = self.session.plan
        self.axes = _Axes(self.m, form, scenario)

    def result(self, plan: np.ndarray, stage: Stage, what: str) -> Result:
        """The ``Result`` of ``plan``; its objective is the plan's own primary value."""
        self.form.load(plan)
        primary = float(self.primary.cost @ plan + self.primary.offset)
        own = Stage(stage.status, primary, stage.gap, what)
        return extract(self.m, self.scenario, self.variant, [own], self.options)

    def run(self, goal: Objective) -> tuple[Stage, np.ndarray | None]:
        self.session.optimise(goal)
        stage = self.session.run(self.options.time_limit, start=self.start)
        return stage, self.session.plan

    def extreme(self, axis: str, sense: int) -> tuple[Stage, np.ndarray | None]:
        """The near-optimal plan with the smallest (sense 1) or largest (−1) value of ``axis``."""
        numerator, denominator = self.axes.vectors(axis)
        if denominator is None:
            return self.run(Objective(numerator, 0.0, sense))
        share = _share(numerator, denominator, self.start)
        best = (None, None)
        for _ in range(DINKELBACH_STEPS):
            stage, plan = self.run(Objective(numerator - share * denominator, 0.0, sense))
            if plan is None:
                return stage, best[1]
            found = _share(numerator, denominator, plan)
            best = (stage, plan)
            if not sense * (share - found) > 1e-9 * max(1.0, abs(share)):
                return best  # no plan beats the share v: v is the extreme
            share = found
        return best

    def alternative(self, ordered_before: list[set[str]]) -> tuple[Stage, np.ndarray | None]:
        """The near-optimal plan whose ordered systems differ most from all ``ordered_before``."""
        cost = np.zeros(self.axes.n)
        for j, system in self.axes.ordered.items():
            cost[j] = sum(-1.0 if system in before else 1.0 for before in ordered_before)
        return self.run(Objective(cost, 0.0, MAXIMISE))


def _share(numerator: np.ndarray, denominator: np.ndarray, plan: np.ndarray) -> float:
    whole = float(denominator @ plan)
    return float(numerator @ plan) / whole if whole > 1e-9 else 0.0


def ordered_systems(result: Result) -> set[str]:
    """The systems a plan orders."""
    return set(result.orders["system"])


def _variant_ranges(
    scenario: Scenario, variant: str, axes: list[str], slack, abs_slack, alternatives, options
) -> tuple[list[dict], dict, list[Result], Result]:
    optimum = solve(scenario, **options)
    optimum.variant = None if variant == BASELINE else variant
    rows, ends, others = [], {}, []
    unknown = [
        dict(variant=variant, axis=a, optimum=math.nan, min=math.nan, max=math.nan) for a in axes
    ]
    if not optimum.has_plan:
        return unknown, ends, others, optimum
    try:
        near = _NearOptimal(scenario, optimum.variant, slack, abs_slack, optimum.options)
    except NoPlan as reason:
        optimum.message += f"; no ranges: {reason}"
        return unknown, ends, others, optimum
    for axis in axes:
        row = dict(variant=variant, axis=axis, optimum=axis_value(optimum, axis))
        for end, sense in (("min", MINIMISE), ("max", MAXIMISE)):
            stage, plan = near.extreme(axis, sense)
            if plan is None:
                row[end] = math.nan
                continue
            ends[variant, axis, end] = near.result(plan, stage, f"{axis} {end}")
            row[end] = axis_value(ends[variant, axis, end], axis)
        rows.append(row)
    seen = [ordered_systems(optimum)]
    for k in range(alternatives):
        stage, plan = near.alternative(seen)
        if plan is None:
            break
        alternative = near.result(plan, stage, f"alternative {k + 1}")
        if ordered_systems(alternative) in seen:
            break  # no plan within the slack orders a different set of systems
        seen.append(ordered_systems(alternative))
        others.append(alternative)
    return rows, ends, others, optimum


Piece = tuple[str, list[str], int]  # a variant, some of its axes, its alternatives (or 0)


def _pieces(names: list[str], axes: list[str], alternatives: int, jobs: int) -> list[Piece]:
    """The work cut into about ``jobs`` pieces: each variant's axes (and alternatives) dealt out."""
    per_variant = max(1, math.ceil(jobs / len(names)))
    pieces = []
    for variant in names:
        items = [*axes, *(["alternatives"] if alternatives else [])]
        for k in range(min(per_variant, len(items))):
            dealt = items[k::per_variant]
            chosen = [a for a in dealt if a != "alternatives"]
            pieces.append((variant, chosen, alternatives if "alternatives" in dealt else 0))
    return pieces


def _solve_piece(base: Scenario, piece: Piece, slack, abs_slack, options) -> tuple:
    variant, axes, alternatives = piece
    loaded = load_scenario(base, None if variant == BASELINE else variant)
    return _variant_ranges(loaded, variant, axes, slack, abs_slack, alternatives, options)


def ranges(
    scenario: ScenarioLike | None = None,
    variants: list[str] | None = None,
    slack: float = 0.01,
    axes: list[str] | None = None,
    alternatives: int = 0,
    *,
    abs_slack: float = 0.0,
    sets: list[str] | None = None,
    jobs: int | None = None,
    **options: Any,
) -> Ranges:
    """Near-optimal ranges of ``axes`` (default ``default_axes``) for each variant.

    ``variants`` default to the baseline alone. A plan is near-optimal when its
    primary is at most P*·(1 + slack) + abs_slack. With ``alternatives`` K,
    up to K plans within the slack that order the most different systems.
    ``jobs`` worker processes (default: the number of cores) share the variants'
    axes out; each builds its own model. Options (``time_limit``, ``mip_gap``,
    ...) are passed to each solve.
    """
    given = dict(slack=slack, abs_slack=abs_slack, alternatives=alternatives, jobs=jobs)
    checked_options(AnalysisOptions, given)
    base = load_scenario(scenario, sets=sets)
    solver_options(base, options)  # an option out of range: exit 2 before any worker starts
    names = variant_names(base, variants or [BASELINE])
    axes = list(dict.fromkeys(axes or default_axes(base)))
    check_axes(base, axes)
    jobs = jobs or os.cpu_count() or 1
    pieces = _pieces(names, axes, alternatives, jobs)
    parallel = jobs > 1 and len(pieces) > 1
    used = {**options, "threads": 1} if parallel else options  # one HiGHS thread a worker
    solve_piece = partial(_solve_piece, base, slack=slack, abs_slack=abs_slack, options=used)
    if parallel:
        with pool_of(min(jobs, len(pieces))) as pool:
            with starting():
                pending = pool.map(solve_piece, pieces)
            solved = list(pending)
    else:
        solved = [solve_piece(piece) for piece in pieces]
    result = Ranges(base, slack, abs_slack, pd.DataFrame())
    rows = []
    for (variant, _, _), (found, ends, others, optimum) in zip(pieces, solved, strict=True):
        rows += found
        result.ends |= ends
        result.alternatives[variant] = result.alternatives.get(variant, []) + others
        result.optima.setdefault(variant, optimum)
    rows.sort(key=lambda row: (names.index(row["variant"]), axes.index(row["axis"])))
    result.table = pd.DataFrame(rows, columns=["variant", "axis", "optimum", "min", "max"])
    return result
