"""Explaining an infeasible scenario in the analyst's terms (DESIGN §9).

Doing nothing is always feasible without hard rules (gaps absorb any
shortfall), so infeasibility comes from the rules. The smallest sets of
enabled rules whose removal makes the scenario feasible are found by trying
sets of growing size (single rules, then pairs, then triples). For a deadline
that alone explains it, the reachable fraction of its requirement is found by
maximising φ subject to l_{c,t} ≥ φ·r_{c,t}; for a share, an interoperability
floor, a supplier cap, a type limit or an investment floor, the tightest value
that is still feasible is found by bisection on its parameter.
"""

from itertools import combinations
from typing import Any

import pyomo.environ as pyo

from models import Scenario, SolverOptions
from models.rules import Deadline, Joint
from optimizer.model.formulation import build_model
from optimizer.solve.highs import INFEASIBLE, Session, Stage
from optimizer.solve.standard_form import StandardForm, compile_if_feasible

LARGEST_SET = 3
HAS_PLAN = ("optimal", "feasible-at-limit")


def without(scenario: Scenario, rule_ids: set[str]) -> Scenario:
    """The scenario with the named rules switched off."""
    rules = [
        r.model_copy(update={"enabled": False}) if r.id in rule_ids else r for r in scenario.rules
    ]
    return scenario.model_copy(update={"rules": rules})


def feasible(scenario: Scenario, options: SolverOptions) -> bool:
    """Whether any plan meets every enabled rule (the first plan found will do)."""
    stage = _run(build_model(scenario), "primary_objective", options, mip_gap=1.0)
    return stage.status in HAS_PLAN


def _run(
    m: pyo.ConcreteModel,
    objective: str,
    options: SolverOptions,
    form: StandardForm | None = None,
    freed: set[str] = frozenset(),
    **run: Any,
) -> Stage:
    """One HiGHS run of ``m`` (compiled here unless ``form`` is given) for ``objective``.

    The ``freed`` rules' rows are made free; the plan, if any, is loaded into ``m``.
    """
    form = form or compile_if_feasible(m)
    if form is None:
        return INFEASIBLE
    session = Session(options, form, freed)
    session.optimise(objective)
    stage = session.run(options.time_limit, **run)
    if session.plan is not None:
        form.load(session.plan)
    return stage


def reachable_fraction(scenario: Scenario, rule: Deadline, options: SolverOptions) -> float | None:
    """The largest φ ≤ fraction with Σ_b l_{b,c,t} ≥ φ·Σ_b r_{b,c,t} for the rule's rows.

    The sums run over each group of buyers the rule binds (each buyer, or all ``together``).
    """
    m = build_model(without(scenario, {rule.id}))
    m.reachable = pyo.Var(bounds=(0, rule.fraction), doc="φ")
    index = [
        (g, c, t)
        for g, group in enumerate(scenario.buyer_groups(rule))
        for c in rule.capabilities
        for t in m.YEARS
        if t >= rule.year and any((b, c) in m.LEVELS for b in group)
    ]
    groups = scenario.buyer_groups(rule)

    @m.Constraint(index, doc="Σ_b l_{b,c,t} ≥ φ·Σ_b r_{b,c,t}")
    def reach(m, g, c, t):
        buyers = [b for b in groups[g] if (b, c) in m.LEVELS]
        needed = sum(scenario.series(m.needs[b][c].requirement)[t] for b in buyers)
        return sum(m.level[b, c, t] for b in buyers) >= m.reachable * needed

    m.primary_objective.deactivate()
    m.most_reachable = pyo.Objective(expr=m.reachable, sense=pyo.maximize)
    stage = _run(m, "most_reachable", options)
    return pyo.value(m.reachable) if stage.status in HAS_PLAN else None


def joint_shortfall(scenario: Scenario, rule: Joint, options: SolverOptions) -> str | None:
    """Which system and year the best plan without the rule pays for with too few buyers."""
    m = build_model(without(scenario, {rule.id}))
    if _run(m, "primary_objective", options).status not in HAS_PLAN:
        return None
    first = rule.from_year if rule.from_year is not None else scenario.horizon.start
    last = rule.until_year if rule.until_year is not None else scenario.horizon.end
    partners = rule.buyers or scenario.buyer_ids
    short = []
    for s, t in sorted(
        {
            (s, t)
            for beta, _, s, t in m.FUNDING
            if beta in rule.budgets
            and first <= t <= last
            and pyo.value(m.funding[beta, _, s, t]) > 1e-6
        },
        key=lambda st: (st[1], st[0]),
    ):
        ordering = [
            b for b in partners if (b, s, t) in m.order and pyo.value(m.order[b, s, t]) > 1 - 1e-6
        ]
        if len(ordering) < rule.min_buyers:
            short.append((s, t, len(ordering)))
    if not short:
        return None
    s, t, count = short[0]
    which = ORDINALS.get(count + 1, f"{count + 1}th") if count else ""
    words = f"no {which} buyer orders {s} in {t}".replace("  ", " ")
    return words + (f" (and {len(short) - 1} more system-years)" if len(short) > 1 else "")


ORDINALS = {1: "", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


BISECTIONS = 10  # the reachable value of a share or amount to 0.1 % of its range


def _with_value(scenario: Scenario, rule: Any, name: str, value: float) -> Scenario:
    rules = [r.model_copy(update={name: value}) if r.id == rule.id else r for r in scenario.rules]
    return scenario.model_copy(update={"rules": rules})


def _parameter(rule: Any) -> tuple[str, float, float] | None:
    """The rule's numeric parameter: its name, the value asked, and its loosest value."""
    if rule.type == "share":
        return "value", rule.value, 0.0 if rule.bound == "min" else 1.0
    if rule.type == "interoperability":
        return "value", rule.value, 0.0
    if rule.type == "max_supplier_share":
        return "value", rule.value, 1.0
    if rule.type == "min_investment":
        return (
            ("amount", rule.amount, 0.0) if rule.amount is not None else ("share", rule.share, 0.0)
        )
    return None


def reachable_value(scenario: Scenario, rule: Any, options: SolverOptions) -> float | None:
    """The tightest value of the rule's parameter that the rest of the scenario allows."""
    if rule.type == "max_types":
        for value in range(rule.value + 1, len(scenario.systems) + 1):
            if feasible(_with_value(scenario, rule, "value", value), options):
                return float(value)
        return None
    parameter = _parameter(rule)
    if parameter is None:
        return None
    name, tight, loose = parameter
    if not feasible(_with_value(scenario, rule, name, loose), options):
        return None
    for _ in range(BISECTIONS):
        middle = (tight + loose) / 2
        if feasible(_with_value(scenario, rule, name, middle), options):
            loose = middle
        else:
            tight = middle
    return loose


def _words(rule: Any, asked: float, reachable: float) -> str:
    """What is reachable, in the analyst's words."""
    if rule.type == "deadline":
        return (
            f"at most {reachable:.0%} of the requirement can be reached by {rule.year} "
            f"(asked {asked:.0%})"
        )
    if rule.type == "share" and rule.bound == "min":
        return (
            f"a {rule.measure} share of at most {reachable:.1%} can be reached (asked {asked:.0%})"
        )
    if rule.type == "share":
        return f"a {rule.measure} share below {reachable:.1%} cannot be kept (asked {asked:.0%})"
    if rule.type == "interoperability":
        return f"an average interoperability of at most {reachable:.3f} is possible (asked {asked})"
    if rule.type == "max_supplier_share":
        return f"no supplier cap below {reachable:.1%} can be met (asked {asked:.0%})"
    if rule.type == "max_types":
        return f"at least {reachable:.0f} system types are needed (asked at most {asked:.0f})"
    if rule.share is not None:
        return f"at most {reachable:.1%} of spending can go to expansion (asked {asked:.0%})"
    return f"at most {reachable:,.0f} can be invested in expansion (asked {asked:,.0f})"


def _conflict(scenario: Scenario, rule: Any, others: list[str], options: SolverOptions) -> dict:
    conflict = {
        "rule": rule.id,
        "type": rule.type,
        "relax_with": others,
        "asked": None,
        "reachable": None,
    }
    if isinstance(rule, Joint):
        shortfall = joint_shortfall(scenario, rule, options)
        if shortfall is not None:
            conflict["explanation"] = f"joint {rule.id}: {shortfall}"
            return conflict
    if not others and rule.type not in ("exclude", "joint"):
        if isinstance(rule, Deadline):
            asked, reachable = rule.fraction, reachable_fraction(scenario, rule, options)
        else:
            asked = (
                rule.value
                if rule.type in ("share", "interoperability", "max_supplier_share", "max_types")
                else _parameter(rule)[1]
            )
            reachable = reachable_value(scenario, rule, options)
        if reachable is not None:
            conflict.update(
                asked=asked,
                reachable=reachable,
                explanation=f"{rule.type} {rule.id}: {_words(rule, asked, reachable)}",
            )
            return conflict
    together = f" together with {', '.join(others)}" if others else ""
    conflict["explanation"] = (
        f"{rule.type} {rule.id}: cannot be met{together}; relaxing it"
        f"{together} makes the scenario feasible"
    )
    return conflict


def explain(scenario: Scenario, options: SolverOptions) -> list[dict]:
    """The rules to relax, what each asks and what is reachable; empty if none explains it.

    Every smallest set is listed: each entry names its rule and the other
    rules of its set (``relax_with``).
    """
    enabled = scenario.enabled_rules
    m = build_model(scenario)  # one model for every candidate set: each frees its rules' rows
    form = compile_if_feasible(m)

    def feasible_without(rules: tuple) -> bool:
        freed = {r.id for r in rules}
        if form is None:  # a rule's row cannot hold: rebuild without the candidates
            return feasible(without(scenario, freed), options)
        stage = _run(m, "primary_objective", options, form, freed, mip_gap=1.0)
        return stage.status in HAS_PLAN

    for size in range(1, min(LARGEST_SET, len(enabled)) + 1):
        sets = [c for c in combinations(enabled, size) if feasible_without(c)]
        if sets:
            return [
                _conflict(scenario, rule, [r.id for r in found if r is not rule], options)
                for found in sets
                for rule in found
            ]
    return []


def summary(conflicts: list[dict]) -> str:
    """One line saying what to relax."""
    if not conflicts:
        return f"the scenario is infeasible, and no set of up to {LARGEST_SET} rules explains it"
    if all(not c["relax_with"] for c in conflicts):
        if len(conflicts) == 1:
            return "the scenario is infeasible; relax this rule:"
        return "the scenario is infeasible; relax any one of these rules:"
    return "the scenario is infeasible; relax one of these sets of rules together:"
