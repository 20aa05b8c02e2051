"""Policy rules: one module per rule type, registered by its ``type``.

Each module defines ``TYPE`` (the rule's ``type`` in the document) and
``add(block, m, scenario, rule, buyers)``, which adds the rule's rows for the
sums of ``buyers`` to ``block`` (``m.rules[rule.id]``, or with several groups
of buyers ``m.rules[rule.id].buyers[name]``) using only the core's shared
expressions. Adding a rule
type means adding its module here, its parameter model in ``models.rules``,
its tests and its entry in ``docs/rules.md``.
"""

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

import pyomo.environ as pyo

from models import Scenario, System

SMALLEST_ORDER = 1e-3  # of a divisible system's unit: less counts as not ordered

AddRule = Callable[[pyo.Block, pyo.ConcreteModel, Scenario, Any, list[str]], None]


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
        block, groups = m.rules[rule.id], scenario.buyer_groups(rule)
        if rule.type == "joint" or len(groups) == 1:
            REGISTRY[rule.type](block, m, scenario, rule, groups[0] if len(groups) == 1 else [])
            continue
        # one sub-block per buyer that the rule binds on its own
        block.buyers = pyo.Block([g[0] for g in groups])
        for group in groups:
            REGISTRY[rule.type](block.buyers[group[0]], m, scenario, rule, group)


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


def smallest_order(system: System) -> float:
    """δ_s: one unit of an integer system, 1e-3 of a divisible one."""
    return 1.0 if system.integer else SMALLEST_ORDER


def units_ordered(
    m: pyo.ConcreteModel, system: str, year: int | None = None, buyers: list[str] | None = None
) -> Any:
    """Σ x_{b,s,t} over the buyers (default all) and years (default all) given."""
    return sum(
        m.order[b, system, t]
        for b in (buyers if buyers is not None else m.buyers_of[system])
        for t in (m.YEARS if year is None else [year])
        if (b, system, t) in m.order
    )


def expansion_paid(m: pyo.ConcreteModel, buyer: str, system: str, year: int) -> Any:
    """What ``buyer`` pays in ``year`` towards expanding ``system``'s line (0 if nothing)."""
    if m.co_funded:
        key = (buyer, system, year)
        return m.expansion_share[key] if key in m.expansion_share else 0
    if (system, year) in m.expansion_steps:
        return m.system[system].expansion.cost * m.expansion_steps[system, year]
    return 0


def payments_of(
    m: pyo.ConcreteModel, systems: list[str], buyers: list[str], year: int | None = None
) -> Any:
    """Σ pay_{b,s,t} over ``buyers`` and ``systems`` (and one year, when given)."""
    return sum(
        m.payment[b, s, t]
        for b in buyers
        for s in systems
        for t in (m.YEARS if year is None else [year])
        if (b, s, t) in m.payment
    )


def new_units(m: pyo.ConcreteModel, system: str, buyers: list[str], year: int | None = None) -> Any:
    """D_s = Σ_{b,t} x_{b,s,t} over ``buyers``, or the units new orders deliver in ``year``."""
    if year is None:
        return units_ordered(m, system, buyers=buyers)
    return units_ordered(m, system, year - m.system[system].lead_time, buyers)


# Discovered last: the rule modules import the helpers above.
REGISTRY: dict[str, AddRule] = _discover()
