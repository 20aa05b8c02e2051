"""Comparing variants side by side, and attributing outcomes to single rules.

Variants are independent solves of one scenario; they run on a local process
pool (one HiGHS thread per worker) and are gathered in the order asked for,
so the tables do not depend on which solve finishes first.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from models import Scenario
from models.options import AnalysisOptions
from models.scenario import supplier_origin
from optimizer.analysis.pool import pool_of, starting
from optimizer.input.load import (
    BASELINE,
    ScenarioLike,
    checked_options,
    load_scenario,
    variant_names,
)
from optimizer.solve.diagnose import without
from optimizer.solve.results import Result
from optimizer.solve.stages import Task, solve_all, solver_options

NOISE = 1e-5
LOWER_IS_BETTER = ("weighted_gap", "max_gap", "gap_", "first_met.")
ATTRIBUTED = (
    "weighted_gap",
    "max_gap",
    "total_spend",
    "spend_share.eu",
    "eu_content_share",
    "investment",
)  # with gap_<year> and first_met.<capability>


@dataclass
class Comparison:
    """Solved variants of one scenario, ``baseline`` first."""

    scenario: Scenario = field(repr=False)
    results: dict[str, Result] = field(repr=False)
    attribution: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """Per variant and enabled rule: what the rule changes (with it minus without it)."""
    ranges: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """Per variant and KPI: its range over plans near the best gap (``optimizer.ranges``)."""

    @property
    def variants(self) -> list[str]:
        """The variant names, in the order compared."""
        return list(self.results)

    @property
    def statuses(self) -> pd.DataFrame:
        """Status, objective, MIP gap and message per variant."""
        rows = {
            v: {
                "status": r.status,
                "objective": r.objective,
                "mip_gap": r.mip_gap,
                "message": r.message,
            }
            for v, r in self.results.items()
        }
        return pd.DataFrame.from_dict(rows, orient="index")

    @property
    def kpis(self) -> pd.DataFrame:
        """KPI × variant."""
        return pd.DataFrame({v: r.kpis for v, r in self.results.items()}, columns=self.variants)

    @property
    def diff(self) -> pd.DataFrame:
        """Each variant minus ``baseline`` (see ``change``; empty without a baseline)."""
        kpis = self.kpis
        if BASELINE not in kpis:
            return pd.DataFrame()
        base = kpis[BASELINE]
        columns = {v: [change(a, b) for a, b in zip(kpis[v], base, strict=True)] for v in kpis}
        return pd.DataFrame(columns, index=kpis.index)

    def not_significant(self) -> list[tuple[str, str]]:
        """(variant, KPI) pairs whose difference from baseline is within the solves' gaps.

        The primary objective of two solves is known only up to each one's
        optimality gap; a difference smaller than the sum of the two is noise.
        """
        primary = self.scenario.objective.primary
        base = self.results.get(BASELINE)
        if base is None or not base.has_plan:
            return []
        flagged = []
        for variant, result in self.results.items():
            if variant == BASELINE or not result.has_plan:
                continue
            slack = sum(_uncertainty(r) for r in (base, result))
            difference = abs(result.objective - base.objective)
            if slack > 0 and difference <= slack:
                flagged.append((variant, primary))
        return flagged

    def gaps(self) -> dict[str, pd.DataFrame]:
        """Gap share of requirement, capability × year, per variant (buyers' gaps together)."""
        tables = {}
        for v, r in self.results.items():
            if r.has_plan:
                summed = r.capabilities.groupby(["capability", "year"], sort=False)[
                    ["gap", "requirement"]
                ].sum()
                share = summed["gap"] / summed["requirement"].where(summed["requirement"] > 0)
                tables[v] = share.unstack("year")
        return tables

    def spending_by_origin(self) -> pd.DataFrame:
        """Money per variant × supplier origin (``eu`` group, ``US``, else the country code)."""
        frames = [origin_spending(r).assign(variant=v) for v, r in self.results.items()]
        spending = pd.concat(frames, ignore_index=True)
        table = spending.pivot_table(
            index="variant", columns="origin", values="amount", aggfunc="sum", fill_value=0.0
        )
        return table.reindex(self.variants, fill_value=0.0)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the comparison, long or wide, ready to write."""
        long = {
            name: pd.concat(
                [getattr(r, name).assign(variant=v) for v, r in self.results.items()],
                ignore_index=True,
            )
            for name in ("capabilities", "orders", "spending", "investments", "allocations")
        }
        long = {n: t[["variant", *t.columns.drop("variant")]] for n, t in long.items()}
        tables = {
            "kpis": self.kpis.rename_axis("kpi").reset_index(),
            "diff": self.diff.rename_axis("kpi").reset_index(),
            "statuses": self.statuses.rename_axis("variant").reset_index(),
            **long,
        }
        if not self.attribution.empty:
            tables["attribution"] = self.attribution
        if not self.ranges.empty:
            tables["ranges"] = self.ranges
        return tables

    def _repr_html_(self) -> str:
        head = f"<p><b>{self.scenario.name}</b>: {len(self.results)} variants</p>"
        return head + self.statuses.to_html() + self.kpis.to_html(float_format="{:.4g}".format)


def _uncertainty(result: Result) -> float:
    """How far the true optimum may lie from the objective: the gap, relative unless P* ≈ 0."""
    gap = result.mip_gap or 0.0
    return gap * abs(result.objective) if abs(result.objective) > 1e-9 else gap


def origin_spending(result: Result) -> pd.DataFrame:
    """The spending frame with each supplier's origin: ``EU``, ``US``, or its country code."""
    eu = set(result.scenario.groups.get("eu", []))
    spending = result.spending.copy()
    spending["origin"] = [supplier_origin(c, eu) for c in spending["country"]]
    return spending


def _run_all(tasks: list[Task], jobs: int | None) -> list[Result]:
    """Solve every task, in parallel when ``jobs`` > 1, results in task order.

    Each worker takes every ``jobs``-th task and solves its share with
    ``solve_all``, so variants that differ only in their rules share one model.
    """
    jobs = min(jobs or os.cpu_count() or 1, len(tasks))
    if jobs <= 1:
        return solve_all(tasks)
    single = [(s, {**o, "threads": 1}) for s, o in tasks]  # one HiGHS thread per worker
    shares = [single[k::jobs] for k in range(jobs)]
    with pool_of(jobs) as pool:
        with starting():
            pending = pool.map(solve_all, shares)
        solved = list(pending)
    results: list[Result] = [None] * len(tasks)  # type: ignore[list-item]
    for k, share in enumerate(solved):
        results[k::jobs] = share
    return results


def _variants(scenario: Scenario, variants: list[str] | None) -> list[str]:
    chosen = variants if variants is not None else scenario.variants
    return variant_names(scenario, [BASELINE, *chosen])  # baseline first, once


def compare(
    scenario: ScenarioLike | None = None,
    variants: list[str] | None = None,
    *,
    sets: list[str] | None = None,
    jobs: int | None = None,
    attribute_rules: bool = False,
    **options: Any,
) -> Comparison:
    """Solve ``baseline`` and the named variants (all when none are named).

    ``jobs`` worker processes (default: the number of cores). With
    ``attribute_rules``, every compared variant's enabled rules are also
    switched off in turn (see ``attribute``). Options are passed to ``solve``.
    """
    checked_options(AnalysisOptions, {"jobs": jobs})
    base = load_scenario(scenario, sets=sets)
    solver_options(base, options)  # an option out of range: exit 2 before any worker starts
    names = _variants(base, variants)
    loaded = {v: load_scenario(base, None if v == BASELINE else v) for v in names}
    switched_off = [(v, rule) for v in names if attribute_rules for rule in loaded[v].enabled_rules]
    tasks = [(loaded[v], options) for v in names]
    tasks += [(without(loaded[v], {rule.id}), options) for v, rule in switched_off]
    solved = _run_all(tasks, jobs)
    results = dict(zip(names, solved[: len(names)], strict=True))
    for name, result in results.items():
        result.variant = None if name == BASELINE else name
    rows = [
        _rule_row(v, rule, results[v], free)
        for (v, rule), free in zip(switched_off, solved[len(names) :], strict=True)
    ]
    return Comparison(base, results, pd.DataFrame(rows))


def attribute(
    scenario: ScenarioLike | None = None,
    variant: str | None = None,
    *,
    sets: list[str] | None = None,
    jobs: int | None = None,
    **options: Any,
) -> pd.DataFrame:
    """What each enabled rule of one variant costs: the variant with it minus without it.

    Each rule is switched off in turn and the scenario re-solved; one row per
    rule, with the change in weighted gap, gap in the report years, total
    spend, European share of spending and each capability's first-met year.
    """
    loaded = load_scenario(scenario, variant, sets)
    rules = loaded.enabled_rules
    solved = _run_all(
        [(loaded, options)] + [(without(loaded, {r.id}), options) for r in rules], jobs
    )
    name = variant or BASELINE
    return pd.DataFrame(
        [_rule_row(name, r, solved[0], free) for r, free in zip(rules, solved[1:], strict=True)]
    )


def _rule_row(variant: str, rule: Any, bound: Result, free: Result) -> dict[str, Any]:
    """One attribution row: KPIs with the rule minus without it."""
    row: dict[str, Any] = {
        "variant": variant,
        "rule": rule.id,
        "type": rule.type,
        "status": bound.status,
        "status_without": free.status,
    }
    if not (bound.has_plan and free.has_plan):
        return row
    for kpi in bound.kpis.index:
        if kpi in ATTRIBUTED or kpi.startswith(("gap_", "first_met.")):
            row[kpi] = change(bound.kpis[kpi], free.kpis.get(kpi, math.nan))
    return row


def change(value: float, reference: float) -> float:
    """``value − reference``; a year that is never reached (NaN) counts as infinitely late.

    Differences within solver tolerance (1e-5, relative above 1) are zero.
    """
    if math.isnan(value) or math.isnan(reference):
        return (
            0.0
            if math.isnan(value) == math.isnan(reference)
            else (math.inf if math.isnan(value) else -math.inf)
        )
    difference = value - reference
    # below this, a change is the lexicographic stage's allowance (1e-6·P* + 1e-6), not a result
    return 0.0 if abs(difference) <= NOISE * max(1.0, abs(reference)) else difference


def better(kpi: str, change: float) -> bool | None:
    """Whether a change in ``kpi`` is an improvement; None when direction has no meaning."""
    if abs(change) < 1e-9 or math.isnan(change):
        return None
    if kpi.startswith(LOWER_IS_BETTER):
        return change < 0
    return None
