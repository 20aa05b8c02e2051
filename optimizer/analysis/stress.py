"""Stress tests (DESIGN §14): each variant's plan held fixed and replayed under sampled risks.

The draws come from the scenario's ``uncertainty`` list (``optimizer.input.draws``); the
replay (``optimizer.solve.replay``) turns the plan's orders into a backlog under each
draw. This module sums the replays up: the weighted gap's distribution, the probability
that each requirement is met by each year, the first year met, and the overspend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models import Scenario
from models.options import AnalysisOptions
from optimizer.input.draws import draw
from optimizer.input.errors import ScenarioError
from optimizer.input.load import (
    BASELINE,
    ScenarioLike,
    checked_options,
    load_scenario,
    variant_names,
)
from optimizer.solve.replay import Replay, replay
from optimizer.solve.results import MET, Result
from optimizer.solve.stages import solve

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
    by_year = (weights * replayed.shares).sum(axis=1) / np.maximum(
        (weights * counted).sum(axis=1), 1e-12
    )
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
    """Each variant's optimal plan (default: baseline and every variant) replayed under draws.

    The draws come from each variant's ``uncertainty`` list with the same seed, so
    variants that share their systems and list are compared under the same futures.
    """
    if samples < 1:
        raise ScenarioError([f"--samples {samples}: must be ≥ 1"])
    checked_options(AnalysisOptions, {"seed": seed})
    base = load_scenario(scenario, sets=sets)
    names = variant_names(base, [BASELINE, *base.variants] if variants is None else variants)
    summary, met, first, gaps, plans = [], [], [], [], {}
    for variant in names:
        plan = solve(base, None if variant == BASELINE else variant, **options)
        plans[variant] = plan
        if not plan.has_plan:
            summary.append({"variant": variant, "status": plan.status})
            continue
        # the same seed for every variant: the same futures, where the variants share systems
        draws = draw(plan.scenario, samples, seed)
        replayed = replay(plan.scenario, plan.frames(), draws)
        tables = _variant_tables(variant, plan, replayed, plan.scenario)
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
