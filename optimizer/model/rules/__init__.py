"""Policy rules: one module per rule type, registered by its ``type``.

Each module defines ``TYPE`` (the rule's ``type`` in the document) and
``add(block, m, scenario, rule)``, which adds the rule's rows to ``block``
(``m.rules[rule.id]``) using only the core's shared expressions. Adding a rule
type means adding its module here, its parameter model in ``models.rules``,
its tests and its entry in ``docs/rules.md``.
"""

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

import pyomo.environ as pyo

from models import Scenario

AddRule = Callable[[pyo.Block, pyo.ConcreteModel, Scenario, Any], None]


def _discover() -> dict[str, AddRule]:
    registry = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        registry[module.TYPE] = module.add
    return registry


def add_all(m: pyo.ConcreteModel, scenario: Scenario, built: set[str] | None = None) -> None:
    """Give every enabled rule (or every rule in ``built``) its own block, named by id, and rows.

    A rule built but switched off has its rows made free by the solve step, so
    variants that differ only in which rules are on share one model.
    """
    built = [r for r in scenario.rules if (r.enabled if built is None else r.id in built)]
    m.RULES = pyo.Set(initialize=[r.id for r in built], ordered=True)
    m.rules = pyo.Block(m.RULES)
    for rule in built:
        REGISTRY[rule.type](m.rules[rule.id], m, scenario, rule)


def row(relation: Any) -> Any:
    """A constraint rule's return value; a relation between plain numbers is decided here.

    A row whose sums are empty (nothing can be ordered or paid there) is a
    bool, which Pyomo rejects: it holds trivially or cannot hold at all.
    """
    if relation is True:
        return pyo.Constraint.Skip
    if relation is False:
        return pyo.Constraint.Infeasible
    return relation


def payments_of(m: pyo.ConcreteModel, systems: list[str], year: int | None = None) -> Any:
    """Σ pay_{s,t} over ``systems`` (and one year, when given)."""
    return sum(
        m.payment[s, t]
        for s in systems
        for t in m.YEARS
        if (s, t) in m.payment and (year is None or t == year)
    )


def new_units(m: pyo.ConcreteModel, system: str, year: int | None = None) -> Any:
    """D_s = Σ_t x_{s,t}, or the units that new orders deliver in ``year``."""
    lead = m.system[system].lead_time
    if year is None:
        return sum(m.order[system, t] for t in m.YEARS if (system, t) in m.order)
    ordered = year - lead
    return m.order[system, ordered] if (system, ordered) in m.order else 0


# Discovered last: the rule modules import the helpers above.
REGISTRY: dict[str, AddRule] = _discover()
