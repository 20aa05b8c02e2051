"""A plan replayed under draws of the uncertainty list (DESIGN §14), in numpy over the draws.

An order placed in t can arrive from t + L_s + slip on; a system delivers at most its
realised capacity a year (its capacity, with the plan's expansion, times the factor),
oldest orders first, and carries the rest over; contracted pipeline deliveries slip with
the lead time and use no capacity, as in the model; deliveries after the horizon's tail
are lost. Levels, gaps and the weighted gap follow as in the model. A price rise is paid
and shows as overspend against the budgets. No solver runs: the stress test replays
plans with it, and the audit re-checks a robust plan's objective with it.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models import Scenario
from optimizer.input.draws import Draws


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

    @property
    def shares(self) -> np.ndarray:
        """N × C × Y: gap / requirement (0 where the requirement is 0)."""
        r = self.requirement[None]
        return np.divide(self.gap, r, out=np.zeros_like(self.gap), where=r > 0)


def replay(scenario: Scenario, plan: Mapping[str, pd.DataFrame], draws: Draws) -> Replay:
    """A plan (its frames by name, as ``Result.frames()``) under every draw."""
    years = list(scenario.delivery_years)
    first = years[0]
    n, index = draws.slip.shape[0], {s: j for j, s in enumerate(draws.systems)}
    delivered = {}
    ordered = plan["orders"].groupby(["system", "year"])["quantity"].sum()
    ordered = {s: rows.droplevel(0) for s, rows in ordered.groupby(level=0)}
    invested = dict(tuple(plan["investments"].groupby("system")))
    for s in scenario.systems:
        j = index[s.id]
        slip = draws.slip[:, j].astype(int)
        arrivals = np.zeros((n, len(years)))
        for year, quantity in ordered.get(s.id, {}).items():
            _scatter(arrivals, year + s.lead_time + slip - first, quantity)
        pipeline = np.zeros((n, len(years)))
        for year, quantity in s.pipeline.items():
            _scatter(pipeline, year + slip - first, quantity)
        capacity = np.array([scenario.series(s.capacity)[y] for y in years], dtype=float)
        for row in invested[s.id].itertuples() if s.id in invested else []:
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
    replayed = Replay(years, caps, level, gap, requirement, np.zeros(n), np.zeros(n))
    weights = np.array([c.weight for c in scenario.capabilities])[None, :, None]
    horizon = np.array([y <= scenario.horizon.end for y in years])
    replayed.weighted_gap = (weights * replayed.shares)[:, :, horizon].sum(axis=(1, 2))
    replayed.overspend = _overspend(scenario, plan, draws)
    return replayed


def _scatter(target: np.ndarray, column: np.ndarray | int, quantity: float) -> None:
    """Add ``quantity`` at each draw's ``column``; columns past the last year are lost."""
    column = np.broadcast_to(np.asarray(column), (target.shape[0],))
    inside = (column >= 0) & (column < target.shape[1])
    rows = np.nonzero(inside)[0]
    np.add.at(target, (rows, column[inside]), quantity)


def _overspend(scenario: Scenario, plan: Mapping[str, pd.DataFrame], draws: Draws) -> np.ndarray:
    """What the plan's payments at realised prices exceed the realised budgets by, per draw.

    Each budget pays what it paid in the plan, its order part at the realised price
    (adoption and expansion as planned). A budget without carryover is short in a
    year by what it pays beyond that year's realised amount, summed over the years;
    one with carryover by the most its running payments exceed its running amount.
    The budgets' shortfalls are added up.
    """
    years = list(scenario.years)
    index = {s: j for j, s in enumerate(draws.systems)}
    n = draws.price.shape[0]
    paid = plan["spending"].groupby(["system", "year"])["amount"].sum()
    orders = plan["orders"].groupby(["system", "year"])["cost"].sum()
    total = np.zeros(n)
    for k, b in enumerate(scenario.budgets):
        spent = np.zeros((n, len(years)))
        rows = plan["spending"][plan["spending"]["budget"] == b.id]
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
