"""Draws of a scenario's ``uncertainty`` list (DESIGN §14): reproducible from a seed.

Each draw gives every system a lead-time slip (whole years), a capacity factor and a
price factor, and every budget an amount factor. The stress test replays a plan under
the draws; robust plans (``objective.risk``) are optimised over them.
"""

from dataclasses import dataclass

import numpy as np

from models import Scenario
from models.uncertainty import Distribution, Uncertainty


@dataclass
class Draws:
    """N draws: per system a slip, a capacity and a price factor; per budget an amount factor."""

    systems: list[str]
    budgets: list[str]
    slip: np.ndarray  # N × S, whole years
    capacity: np.ndarray  # N × S
    price: np.ndarray  # N × S
    amount: np.ndarray  # N × B


def _sample(dist: Distribution, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    if dist.choice is not None:
        return rng.choice(np.array(dist.choice, dtype=float), size=shape, p=dist.p)
    if dist.uniform is not None:
        return rng.uniform(*dist.uniform, size=shape)
    if dist.triangular is not None:
        low, mode, high = dist.triangular
        if low == high:
            return np.full(shape, low)
        return rng.triangular(low, mode, high, size=shape)
    mean, sd = dist.normal
    return np.clip(rng.normal(mean, sd, size=shape), 0.0, None)


def draw(scenario: Scenario, samples: int, seed: int = 0) -> Draws:
    """``samples`` draws of the scenario's uncertainty list, reproducible from ``seed``.

    Entries are drawn in document order from one generator, so the same seed
    gives the same draws. Entries that match the same item combine: slips add,
    factors multiply.
    """
    rng = np.random.default_rng(seed)
    systems = [s.id for s in scenario.systems]
    budgets = [b.id for b in scenario.budgets]
    supplier = {s.id: s.supplier for s in scenario.systems}
    n = samples
    out = Draws(
        systems,
        budgets,
        slip=np.zeros((n, len(systems))),
        capacity=np.ones((n, len(systems))),
        price=np.ones((n, len(systems))),
        amount=np.ones((n, len(budgets))),
    )
    for entry in scenario.uncertainty:
        if entry.field == "amount":
            columns = [budgets.index(b) for b in entry.budgets]
            out.amount[:, columns] *= _sample(entry.multiply, rng, (n, 1))
            continue
        chosen = set(scenario.select(entry.systems)) if entry.systems else set(systems)
        columns = [j for j, s in enumerate(systems) if s in chosen]
        values = _draw_per(entry, rng, n, [systems[j] for j in columns], supplier)
        target = {"lead_time": out.slip, "capacity": out.capacity, "unit_cost": out.price}
        if entry.field == "lead_time":
            target["lead_time"][:, columns] += values
        else:
            target[entry.field][:, columns] *= values
    return out


def _draw_per(
    entry: Uncertainty, rng: np.random.Generator, n: int, systems: list[str], supplier: dict
) -> np.ndarray:
    """N × len(systems): one draw shared by all, or one per system or per supplier."""
    dist = entry.add or entry.multiply
    if entry.per == "system":
        return _sample(dist, rng, (n, len(systems)))
    if entry.per == "supplier":
        owners = sorted({supplier[s] for s in systems})
        drawn = _sample(dist, rng, (n, len(owners)))
        return drawn[:, [owners.index(supplier[s]) for s in systems]]
    return np.repeat(_sample(dist, rng, (n, 1)), len(systems), axis=1)


def drawn(draws: Draws) -> list[dict[str, float]]:
    """Each draw as ``{"<field>.<item>": value}``, leaving out what no draw moves."""
    columns = {
        "lead_time": (draws.systems, draws.slip, 0.0),
        "capacity": (draws.systems, draws.capacity, 1.0),
        "unit_cost": (draws.systems, draws.price, 1.0),
        "amount": (draws.budgets, draws.amount, 1.0),
    }
    moved = [
        (f"{name}.{item}", table[:, j])
        for name, (items, table, neutral) in columns.items()
        for j, item in enumerate(items)
        if np.any(table[:, j] != neutral)
    ]
    return [{name: float(values[k]) for name, values in moved} for k in range(len(draws.slip))]


def apply_draw(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """The scenario as one draw (``drawn``) makes it, known in advance.

    Slips add whole years to the lead time and move contracted pipeline deliveries with it;
    factors multiply capacity (expansion steps included), unit cost and budget amounts. A
    robust objective is dropped: nothing is uncertain any more.
    """
    changed: dict[str, dict[str, float]] = {}
    for name, value in values.items():
        field, item = name.split(".", 1)
        changed.setdefault(item, {})[field] = value
    systems = [_system(s, changed.get(s.id, {})) for s in scenario.systems]
    budgets = [
        b.model_copy(update={"amount": _times(b.amount, changed[b.id]["amount"])})
        if "amount" in changed.get(b.id, {})
        else b
        for b in scenario.budgets
    ]
    objective = scenario.objective.model_copy(update={"risk": None})
    return scenario.model_copy(
        update={"systems": systems, "budgets": budgets, "objective": objective}
    )


def _times(series: dict[int, float], factor: float) -> dict[int, float]:
    return {year: value * factor for year, value in series.items()}


def _system(system, change: dict[str, float]):
    update: dict = {}
    if slip := int(change.get("lead_time", 0)):
        update["lead_time"] = max(0, system.lead_time + slip)
        update["pipeline"] = _slipped(system.pipeline, slip)
    if "capacity" in change:
        factor = change["capacity"]
        update["capacity"] = _times(system.capacity, factor)
        if system.expansion is not None:
            capacity = system.expansion.capacity * factor
            update["expansion"] = system.expansion.model_copy(update={"capacity": capacity})
    if "unit_cost" in change:
        update["unit_cost"] = _times(system.unit_cost, change["unit_cost"])
    return system.model_copy(update=update) if update else system


def _slipped(pipeline: dict, slip: int) -> dict:
    """Contracted deliveries ``slip`` years later (by buyer where the pipeline is)."""
    if pipeline and not isinstance(next(iter(pipeline)), int):
        return {buyer: _slipped(events, slip) for buyer, events in pipeline.items()}
    return {year + slip: quantity for year, quantity in pipeline.items()}
