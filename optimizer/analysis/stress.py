"""Stress tests (DESIGN §14): a plan held fixed and replayed under sampled delivery outcomes.

Each draw of the scenario's ``uncertainty`` list gives every system a lead-time
slip (whole years), a capacity factor and a price factor, and every budget an
amount factor. The plan's orders then become a backlog: an order placed in t
can arrive from t + L_s + slip on; a system delivers at most its realised
capacity a year (its capacity, with the plan's expansion, times the factor),
oldest orders first; contracted pipeline deliveries slip with the lead time and
use no capacity, as in the model. Levels, gaps and the weighted gap follow as in
the model. A price rise is paid: what the plan's payments exceed the realised
budgets by, year by year, is its overspend. The replay is numpy arithmetic over
all draws at once; no solver runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models import Scenario
from optimizer.input.draws import Draws, draw
from optimizer.input.errors import ScenarioError
from optimizer.input.load import BASELINE, ScenarioLike, load_scenario
from optimizer.solve.results import MET, Result
from optimizer.solve.stages import solve


@dataclass
class Replay:
    """One plan replayed under N draws: deliveries, levels and gaps per draw."""

    years: list[int]
    capabilities: list[str]
    level: np.ndarray  # N × C × Y
    gap: np.ndarray  # N × C × Y
    requirement: np.ndarray  # C × Y
    weighted_gap: np.ndarray  # N: the horizon's weighted gap, as the KPI
    overspend: np.ndarray  # N


def replay(result: Result, draws: Draws) -> Replay:
    """The plan of ``result`` under every draw (see the module's docstring)."""
    scenario = result.scenario
    years = list(scenario.delivery_years)
    first = years[0]
    n, index = draws.slip.shape[0], {s: j for j, s in enumerate(draws.systems)}
    delivered = {}
    ordered = result.orders.groupby(["system", "year"])["quantity"].sum()
    invested = result.investments
    for s in scenario.systems:
        j = index[s.id]
        slip = draws.slip[:, j].astype(int)
        arrivals = np.zeros((n, len(years)))
        for (system, year), quantity in ordered.items():
            if system == s.id:
                _scatter(arrivals, year + s.lead_time + slip - first, quantity)
        pipeline = np.zeros((n, len(years)))
        for year, quantity in s.pipeline.items():
            _scatter(pipeline, year + slip - first, quantity)
        capacity = np.array([scenario.series(s.capacity)[y] for y in years], dtype=float)
        for row in invested[invested["system"] == s.id].itertuples():
            capacity[max(0, row.first_output_year - first) :] += row.extra_capacity
        realised = capacity[None, :] * draws.capacity[:, [j]]
        out, backlog = np.zeros((n, len(years))), np.zeros(n)
        for k in range(len(years)):  # oldest orders first: only the total a year matters here
            backlog += arrivals[:, k]
            out[:, k] = np.minimum(backlog, realised[:, k])
            backlog -= out[:, k]
        delivered[s.id] = out + pipeline
    caps = [c.id for c in scenario.capabilities]
    level = np.zeros((n, len(caps), len(years)))
    requirement = np.zeros((len(caps), len(years)))
    for i, c in enumerate(scenario.capabilities):
        initial = np.array([scenario.series(c.initial)[y] for y in years])
        used = np.cumsum([scenario.series(c.consumption)[y] for y in years])
        added = sum(
            (
                e * np.cumsum(delivered[s.id], axis=1)
                for s in scenario.systems
                if (e := s.contributes.get(c.id))
            ),
            np.zeros((n, len(years))),
        )
        level[:, i, :] = initial[None, :] + added - used[None, :]
        requirement[i] = [scenario.series(c.requirement)[y] for y in years]
    gap = np.clip(requirement[None, :, :] - level, 0.0, None)
    weights = np.array([c.weight for c in scenario.capabilities])[:, None]
    horizon = np.array([y <= scenario.horizon.end for y in years])
    shares = np.divide(gap, requirement, out=np.zeros_like(gap), where=requirement > 0)
    weighted = (weights[None] * shares)[:, :, horizon].sum(axis=(1, 2))
    return Replay(years, caps, level, gap, requirement, weighted, _overspend(result, draws))


def _scatter(target: np.ndarray, column: np.ndarray | int, quantity: float) -> None:
    """Add ``quantity`` at each draw's ``column``; columns past the last year are lost."""
    column = np.broadcast_to(np.asarray(column), (target.shape[0],))
    inside = (column >= 0) & (column < target.shape[1])
    rows = np.nonzero(inside)[0]
    np.add.at(target, (rows, column[inside]), quantity)


def _overspend(result: Result, draws: Draws) -> np.ndarray:
    """What the plan's payments at realised prices exceed the realised budgets by, per draw.

    Each budget pays what it paid in the plan, its order part at the realised price
    (adoption and expansion as planned). A budget without carryover is short in a
    year by what it pays beyond that year's realised amount, summed over the years;
    one with carryover by the most its running payments exceed its running amount.
    The budgets' shortfalls are added up.
    """
    scenario = result.scenario
    years = list(scenario.years)
    index = {s: j for j, s in enumerate(draws.systems)}
    n = draws.price.shape[0]
    paid = result.spending.groupby(["system", "year"])["amount"].sum()
    orders = result.orders.groupby(["system", "year"])["cost"].sum()
    total = np.zeros(n)
    for k, b in enumerate(scenario.budgets):
        spent = np.zeros((n, len(years)))
        rows = result.spending[result.spending["budget"] == b.id]
        for row in rows.itertuples():
            ordered = orders.get((row.system, row.year), 0.0) / paid[row.system, row.year]
            factor = 1 + (draws.price[:, index[row.system]] - 1) * ordered
            spent[:, years.index(row.year)] += row.amount * factor
        amount = np.array([scenario.series(b.amount)[y] for y in years])[None, :]
        money = amount * draws.amount[:, [k]]
        if b.carryover:
            short = np.cumsum(spent, axis=1) - np.cumsum(money, axis=1)
            total += np.clip(short.max(axis=1), 0.0, None)
        else:
            total += np.clip(spent - money, 0.0, None).sum(axis=1)
    return total


NEVER = 1e9  # a first-met year for draws that never meet the requirement, for percentiles


@dataclass
class StressResult:
    """Each variant's optimal plan replayed under the same N draws: tidy tables."""

    scenario: Scenario
    samples: int
    seed: int
    summary: pd.DataFrame
    """Per variant: the plan's weighted gap, and over the draws its mean, P10, P50, P90; the
    overspend's mean and P90."""
    met: pd.DataFrame
    """Per variant, capability and year: the probability that the requirement is met."""
    first_met: pd.DataFrame
    """Per variant and capability: the mean first year met to the end (over the draws that
    meet it), its P90, and the share of draws that never meet it."""
    gaps: pd.DataFrame
    """Per variant and year: P10, P50, P90 of the weight-averaged gap share."""
    plans: dict[str, Result] = field(default_factory=dict, repr=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name, ready to write."""
        return {
            "summary": self.summary,
            "met": self.met,
            "first_met": self.first_met,
            "gaps": self.gaps,
        }


def _met(replayed: Replay) -> np.ndarray:
    """N × C × Y: the requirement is met (gap within the solver tolerance, as first_met)."""
    return replayed.gap <= MET * np.maximum(replayed.requirement, 1.0)[None]


def _variant_tables(variant: str, plan: Result, replayed: Replay, scenario: Scenario) -> tuple:
    met = _met(replayed)
    horizon = [k for k, y in enumerate(replayed.years) if y <= scenario.horizon.end]
    to_end = np.flip(np.logical_and.accumulate(np.flip(met[:, :, horizon], 2), axis=2), 2)
    years = np.array(replayed.years)[horizon]
    first = np.where(to_end.any(axis=2), years[to_end.argmax(axis=2)], np.inf)  # N × C
    weights = np.array([c.weight for c in scenario.capabilities])[None, :, None]
    counted = (replayed.requirement > 0)[None]
    shares = np.divide(
        replayed.gap,
        replayed.requirement,
        out=np.zeros_like(replayed.gap),
        where=replayed.requirement > 0,
    )
    by_year = (weights * shares).sum(axis=1) / np.maximum((weights * counted).sum(axis=1), 1e-12)
    summary = {
        "variant": variant,
        "status": plan.status,
        "plan_weighted_gap": float(plan.kpis["weighted_gap"]),
        "weighted_gap_mean": float(replayed.weighted_gap.mean()),
        **{
            f"weighted_gap_p{q}": float(np.percentile(replayed.weighted_gap, q))
            for q in (10, 50, 90)
        },
        "overspend_mean": float(replayed.overspend.mean()),
        "overspend_p90": float(np.percentile(replayed.overspend, 90)),
    }
    met_rows = [
        {"variant": variant, "capability": c, "year": y, "p_met": float(met[:, i, k].mean())}
        for i, c in enumerate(replayed.capabilities)
        for k, y in enumerate(replayed.years)
    ]
    first_rows = []
    for i, c in enumerate(replayed.capabilities):
        years_met = first[:, i]
        finite = years_met[np.isfinite(years_met)]
        p90 = float(np.percentile(np.where(np.isfinite(years_met), years_met, NEVER), 90))
        first_rows.append(
            {
                "variant": variant,
                "capability": c,
                "expected": float(finite.mean()) if len(finite) else math.nan,
                "p90": p90 if p90 < NEVER else math.nan,
                "never": float(1 - len(finite) / len(years_met)),
            }
        )
    gap_rows = [
        {
            "variant": variant,
            "year": y,
            **{f"p{q}": float(np.percentile(by_year[:, k], q)) for q in (10, 50, 90)},
        }
        for k, y in enumerate(replayed.years)
    ]
    return summary, met_rows, first_rows, gap_rows


def stress(
    scenario: ScenarioLike | None = None,
    variants: list[str] | None = None,
    samples: int = 1000,
    seed: int = 0,
    *,
    sets: list[str] | None = None,
    **options,
) -> StressResult:
    """Each variant's optimal plan (default: the baseline's) replayed under ``samples`` draws.

    The draws come from each variant's ``uncertainty`` list with the same seed, so
    variants that share their systems and list are compared under the same futures.
    """
    if samples < 1:
        raise ScenarioError([f"--samples {samples}: must be ≥ 1"])
    base = load_scenario(scenario, sets=sets)
    names = list(dict.fromkeys(variants or [BASELINE]))
    unknown = [v for v in names if v != BASELINE and v not in base.variants]
    if unknown:
        known = ", ".join([BASELINE, *base.variants])
        raise ScenarioError([f"variant {v!r}: unknown (known: {known})" for v in unknown])
    summary, met, first, gaps, plans = [], [], [], [], {}
    for variant in names:
        plan = solve(base, None if variant == BASELINE else variant, **options)
        plans[variant] = plan
        if not plan.has_plan:
            summary.append({"variant": variant, "status": plan.status})
            continue
        # the same seed for every variant: the same futures, where the variants share systems
        draws = draw(plan.scenario, samples, seed)
        tables = _variant_tables(variant, plan, replay(plan, draws), plan.scenario)
        summary.append(tables[0])
        met += tables[1]
        first += tables[2]
        gaps += tables[3]
    return StressResult(
        base,
        samples,
        seed,
        pd.DataFrame(summary),
        pd.DataFrame(met),
        pd.DataFrame(first),
        pd.DataFrame(gaps),
        plans,
    )
