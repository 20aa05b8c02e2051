"""Explaining an infeasible scenario in the analyst's terms (DESIGN §9).

Doing nothing is always feasible without hard rules (gaps absorb any
shortfall), so infeasibility comes from the rules. The smallest sets of
enabled rules whose removal makes the scenario feasible are found by trying
sets of growing size (single rules, then pairs, then triples). For a deadline
in such a set, the reachable fraction of its requirement is found by
maximising φ subject to l_{c,t} ≥ φ·r_{c,t}, with the rest of the set removed.
"""

from itertools import combinations
from typing import Any

import pyomo.environ as pyo

from models import Scenario, SolverOptions
from models.rules import Deadline
from optimizer.formulation import build_model
from optimizer.highs import Session

LARGEST_SET = 3
HAS_PLAN = ("optimal", "feasible-at-limit")


def without(scenario: Scenario, rule_ids: set[str]) -> Scenario:
    """The scenario with the named rules switched off."""
    rules = [r.model_copy(update={"enabled": False}) if r.id in rule_ids else r
             for r in scenario.rules]
    return scenario.model_copy(update={"rules": rules})


def feasible(scenario: Scenario, options: SolverOptions) -> bool:
    """Whether any plan meets every enabled rule (the first plan found will do)."""
    stage = Session(options).run(build_model(scenario), options.time_limit, mip_gap=1.0)
    return stage.status in HAS_PLAN


def reachable_fraction(scenario: Scenario, rule: Deadline, options: SolverOptions) -> float | None:
    """The largest φ ≤ fraction with l_{c,t} ≥ φ·r_{c,t} for the rule's capabilities from its year."""
    m = build_model(without(scenario, {rule.id}))
    requirement = {c.id: scenario.series(c.requirement) for c in scenario.capabilities}
    m.reachable = pyo.Var(bounds=(0, rule.fraction), doc="φ")
    index = [(c, t) for c in rule.capabilities for t in m.YEARS if t >= rule.year]

    @m.Constraint(index, doc="l_{c,t} ≥ φ·r_{c,t}")
    def reach(m, c, t):
        return m.level[c, t] >= m.reachable * requirement[c][t]

    m.primary_objective.deactivate()
    m.most_reachable = pyo.Objective(expr=m.reachable, sense=pyo.maximize)
    stage = Session(options).run(m, options.time_limit)
    return pyo.value(m.reachable) if stage.status in HAS_PLAN else None


def _conflict(scenario: Scenario, rule: Any, others: list[str], options: SolverOptions) -> dict:
    conflict = {"rule": rule.id, "type": rule.type, "relax_with": others,
                "asked": None, "reachable": None}
    together = f" together with {', '.join(others)}" if others else ""
    if isinstance(rule, Deadline) and not others:
        fraction = reachable_fraction(scenario, rule, options)
        conflict.update(asked=rule.fraction, reachable=fraction)
        if fraction is not None:
            conflict["explanation"] = (
                f"deadline {rule.id}: at most {fraction:.0%} of the requirement can be reached "
                f"by {rule.year} (asked {rule.fraction:.0%})")
            return conflict
    conflict["explanation"] = (f"{rule.type} {rule.id}: cannot be met{together}; relaxing it"
                               f"{together} makes the scenario feasible")
    return conflict


def explain(scenario: Scenario, options: SolverOptions) -> list[dict]:
    """The rules to relax, what each asks and what is reachable; empty if none explains it.

    Every smallest set is listed: each entry names its rule and the other
    rules of its set (``relax_with``).
    """
    enabled = scenario.enabled_rules
    for size in range(1, min(LARGEST_SET, len(enabled)) + 1):
        sets = [c for c in combinations(enabled, size)
                if feasible(without(scenario, {r.id for r in c}), options)]
        if sets:
            return [_conflict(scenario, rule, [r.id for r in found if r is not rule], options)
                    for found in sets for rule in found]
    return []
