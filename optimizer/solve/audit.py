"""An independent re-check of a plan against its scenario, in plain pandas.

Nothing here reads the Pyomo model: the plan's frames are checked against the
scenario document's numbers, constraint family by constraint family, and every
violation is returned as one line (``capacity[patriot, 2029]: 5 > 4``).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models import IMPLICIT_BUYER, Scenario
from models.rules import (
    Deadline,
    Exclude,
    Interoperability,
    Joint,
    MaxSupplierShare,
    MaxTypes,
    MinInvestment,
    Share,
)
from optimizer.input.draws import draw
from optimizer.solve.replay import replay

TOLERANCE = 1e-6


def _exceeds(value: float, limit: float) -> bool:
    """``value > limit`` beyond solver tolerance."""
    return value > limit + TOLERANCE * max(1.0, abs(limit))


def _at(name: str, *key: object) -> str:
    """``order[pl, patriot, 2027]``; without buyers: ``order[patriot, 2027]``."""
    return f"{name}[{', '.join(str(k) for k in key if k != IMPLICIT_BUYER)}]"


def _differs(a: float, b: float) -> bool:
    return abs(a - b) > TOLERANCE * max(1.0, abs(a), abs(b))


@dataclass(frozen=True)
class Plan:
    """The plan under audit: its tidy frames (as in ``Result``) and its reported objective."""

    orders: pd.DataFrame
    deliveries: pd.DataFrame
    capabilities: pd.DataFrame
    spending: pd.DataFrame
    investments: pd.DataFrame
    adoptions: pd.DataFrame
    allocations: pd.DataFrame
    objective: float

    def of(self, buyers: list[str]) -> "Plan":
        """The part of the plan that is these buyers': their orders, money, levels."""
        return Plan(
            **{
                name: frame[frame["buyer"].isin(buyers)]
                for name, frame in vars(self).items()
                if isinstance(frame, pd.DataFrame)
            },
            objective=self.objective,
        )


def audit(scenario: Scenario, frames: Mapping[str, pd.DataFrame], objective: float) -> list[str]:
    """Every constraint that the plan in ``frames`` violates; empty when the plan is valid.

    ``frames`` are a plan's tidy tables by name (``Result.frames()``) and
    ``objective`` the primary objective reported with it.
    """
    plan = Plan(**frames, objective=objective)
    checks = [
        _orders,
        _capacity,
        _investments,
        _adoptions,
        _payments,
        _budgets,
        _levels,
        _allocations,
        _objective,
    ]
    problems = [p for check in checks for p in check(scenario, plan)]
    for rule in scenario.enabled_rules:
        groups = [[]] if rule.type == "joint" else scenario.buyer_groups(rule)
        for group in groups:
            # a rule on each buyer's own sums is checked on that buyer's part of the plan
            part = plan.of(group) if group else plan
            where = f"rule {rule.id} ({rule.type})"
            if scenario.buyers and len(group) == 1:
                where += f" for {group[0]}"
            problems += [f"{where}: {p}" for p in RULE_CHECKS[rule.type](scenario, part, rule)]
    return problems


def _systems(scenario: Scenario) -> dict[str, Any]:
    return {s.id: s for s in scenario.systems}


def _orders(scenario: Scenario, plan: Plan) -> list[str]:
    systems, problems = _systems(scenario), []
    last = scenario.delivery_years[-1]
    needs = {b: scenario.needs_of(b) for b in scenario.buyer_ids}
    for row in plan.orders.itertuples():
        s = systems[row.system]
        where = _at("order", row.buyer, row.system, row.year)
        if row.buyer not in needs or not any(c in needs[row.buyer] for c in s.contributes):
            problems.append(f"{where}: the buyer needs nothing the system provides")
        if not scenario.horizon.start <= row.year <= scenario.horizon.end:
            problems.append(f"{where}: ordered outside the horizon")
        if row.delivery_year != row.year + s.lead_time or row.delivery_year > last:
            problems.append(
                f"{where}: delivered in {row.delivery_year}, lead time {s.lead_time}, "
                f"deliveries end {last}"
            )
        if row.quantity < 0 or (s.integer and row.quantity != round(row.quantity)):
            problems.append(f"{where}: quantity {row.quantity} is not a whole non-negative number")
        price = scenario.series(s.unit_cost)[row.year]
        if _differs(row.cost, row.quantity * price):
            problems.append(f"{where}: cost {row.cost} ≠ {row.quantity} × {price}")
    expected = plan.orders.groupby(["buyer", "system", "delivery_year"])["quantity"].sum()
    got = plan.deliveries.groupby(["buyer", "system", "year"])["quantity"].sum()
    for b in scenario.buyer_ids:
        for s in scenario.systems:
            pipeline = s.pipeline_for(b)
            for t in scenario.delivery_years:
                want = expected.get((b, s.id, t), 0.0) + pipeline.get(t, 0.0)
                have = got.get((b, s.id, t), 0.0)
                if _differs(have, want):
                    problems.append(
                        f"{_at('delivery', b, s.id, t)}: {have} ≠ orders and pipeline {want}"
                    )
    return problems


def _capacity(scenario: Scenario, plan: Plan) -> list[str]:
    arriving = plan.orders.groupby(["system", "delivery_year"])["quantity"].sum()
    problems = []
    for (system, year), quantity in arriving.items():
        if year not in scenario.delivery_years:
            continue  # flagged by the orders check
        s = _systems(scenario)[system]
        invested = plan.investments
        extra = invested.loc[
            (invested["system"] == system) & (invested["first_output_year"] <= year),
            "extra_capacity",
        ].sum()
        limit = scenario.series(s.capacity)[year] + extra
        if _exceeds(quantity, limit):
            problems.append(f"capacity[{system}, {year}]: {quantity} > {limit}")
    return problems


def _investments(scenario: Scenario, plan: Plan) -> list[str]:
    systems, problems = _systems(scenario), []
    for row in plan.investments.itertuples():
        expansion = systems[row.system].expansion
        where = f"expansion[{row.system}, {row.year}]"
        if expansion is None:
            problems.append(f"{where}: the system has no expansion")
            continue
        if (
            row.first_output_year != row.year + expansion.ramp_up
            or _differs(row.cost, row.steps * expansion.cost)
            or _differs(row.extra_capacity, row.steps * expansion.capacity)
        ):
            problems.append(
                f"{where}: cost, capacity or first output year do not match the expansion's terms"
            )
    for (system, year), steps in (
        plan.investments.groupby(["system", "year"])["steps"].sum().items()
    ):
        if _differs(steps, round(steps)):
            problems.append(f"expansion[{system}, {year}]: {steps} steps is not a whole number")
    for system, steps in plan.investments.groupby("system")["steps"].sum().items():
        expansion = systems[system].expansion
        if expansion is not None and _exceeds(steps, expansion.max_steps):
            problems.append(f"expansion_limit[{system}]: {steps} steps > {expansion.max_steps}")
    return problems


def _adoptions(scenario: Scenario, plan: Plan) -> list[str]:
    problems = []
    for b in scenario.buyer_ids:
        mine, adoptions = plan.orders[plan.orders["buyer"] == b], plan.adoptions
        for s in scenario.systems:
            adopted = adoptions[(adoptions["buyer"] == b) & (adoptions["system"] == s.id)]
            ordered = mine.loc[mine["system"] == s.id, "year"]
            where = _at("adoption", b, s.id)
            needs = not s.in_service_for(b) and s.adoption_cost > 0
            if needs and len(ordered) and (adopted.empty or adopted["year"].min() > ordered.min()):
                problems.append(f"{where}: ordered in {ordered.min()} before adoption")
            if len(adopted) > 1:
                problems.append(f"{where}: adopted {len(adopted)} times")
            if len(adopted) and not len(ordered):
                problems.append(f"{where}: adopted but never ordered")
            if len(adopted) and _differs(adopted["cost"].sum(), s.adoption_cost * len(adopted)):
                problems.append(f"{where}: cost ≠ adoption_cost {s.adoption_cost}")
    return problems


def payments(plan: Plan) -> pd.Series:
    """What each (buyer, system, year) costs under the plan: orders, adoption and expansion."""
    key = ["buyer", "system", "year"]
    parts = [
        plan.orders.groupby(key)["cost"].sum(),
        plan.adoptions.groupby(key)["cost"].sum(),
        plan.investments.groupby(key)["cost"].sum(),
    ]
    return pd.concat(parts).groupby(level=[0, 1, 2]).sum()


def _payments(scenario: Scenario, plan: Plan) -> list[str]:
    owed = payments(plan)
    paid = plan.spending.groupby(["buyer", "system", "year"])["amount"].sum()
    problems = [
        f"{_at('payment', *key)}: paid {paid.get(key, 0.0)} ≠ owed {owed.get(key, 0.0)}"
        for key in owed.index.union(paid.index)
        if _differs(paid.get(key, 0.0), owed.get(key, 0.0))
    ]
    for b in scenario.budgets:
        eligible = set(scenario.select(b.eligible))
        spent = plan.spending[plan.spending["budget"] == b.id]
        for system in sorted(set(spent["system"]) - eligible):
            problems.append(f"eligibility[{b.id}, {system}]: the budget may not pay for it")
        for buyer in sorted(set(spent["buyer"]) - set(scenario.payers(b))):
            problems.append(f"payer[{b.id}, {buyer}]: the budget is {b.buyer}'s, not {buyer}'s")
    return problems


def _budgets(scenario: Scenario, plan: Plan) -> list[str]:
    problems = []
    for b in scenario.budgets:
        amount = pd.Series(scenario.series(b.amount)).loc[list(scenario.years)]
        spent = plan.spending[plan.spending["budget"] == b.id].groupby("year")["amount"].sum()
        spent = spent.reindex(amount.index, fill_value=0.0)
        if b.carryover:
            spent, amount = spent.cumsum(), amount.cumsum()
        for year in amount.index:
            if _exceeds(spent[year], amount[year]):
                kind = "spent to date" if b.carryover else "spent"
                problems.append(f"budget[{b.id}, {year}]: {kind} {spent[year]} > {amount[year]}")
    return problems


def levels(scenario: Scenario, plan: Plan) -> pd.DataFrame:
    """Levels per buyer recomputed from deliveries, by cumulative sums, through the tail.

    ``weight`` is W_b·w_c, the row's weight in the objective.
    """
    years = list(scenario.delivery_years)
    frames = []
    for b in scenario.buyer_ids:
        mine = plan.deliveries[plan.deliveries["buyer"] == b]
        by_system = mine.pivot_table(
            index="year", columns="system", values="quantity", aggfunc="sum"
        ).reindex(years, fill_value=0.0)
        for c in scenario.capabilities:
            need = scenario.needs_of(b).get(c.id)
            if need is None:
                continue
            added = sum(
                (
                    by_system[s.id].fillna(0.0) * s.contributes[c.id]
                    for s in scenario.systems
                    if c.id in s.contributes and s.id in by_system
                ),
                pd.Series(0.0, index=years),
            )
            used = pd.Series(scenario.series(need.consumption)).cumsum()
            level = pd.Series(scenario.series(need.initial)) + added.cumsum() - used
            requirement = pd.Series(scenario.series(need.requirement))
            frames.append(
                pd.DataFrame(
                    {
                        "buyer": b,
                        "capability": c.id,
                        "year": years,
                        "weight": scenario.buyer_weight(b) * c.weight,
                        "requirement": requirement.values,
                        "level": level.values,
                    }
                )
            )
    table = pd.concat(frames, ignore_index=True)
    table["gap"] = (table["requirement"] - table["level"]).clip(lower=0.0)
    return table


def _levels(scenario: Scenario, plan: Plan) -> list[str]:
    key = ["buyer", "capability", "year"]
    mine = levels(scenario, plan).set_index(key)
    theirs = plan.capabilities.set_index(key)
    return [
        f"{_at('level', *i)}: reported {theirs.at[i, column]} ≠ {mine.at[i, column]}"
        for i in mine.index
        for column in ("level", "gap")
        if _differs(theirs.at[i, column], mine.at[i, column])
    ]


def _allocations(scenario: Scenario, plan: Plan) -> list[str]:
    key = ["system", "delivery_year", "buyer"]
    ordered = plan.orders.groupby(key)["quantity"].sum()
    allocated = plan.allocations.groupby(["system", "year", "buyer"])["quantity"].sum()
    return [
        f"{_at('allocation', *i)}: {allocated.get(i, 0.0)} ≠ ordered {ordered.get(i, 0.0)}"
        for i in ordered.index.union(allocated.index)
        if _differs(allocated.get(i, 0.0), ordered.get(i, 0.0))
    ]


def _objective(scenario: Scenario, plan: Plan) -> list[str]:
    if scenario.objective.risk is not None:
        return _risk_objective(scenario, plan)
    table = levels(scenario, plan)
    table = table[table["requirement"] > 0]
    in_tail = table["year"] > scenario.horizon.end
    shares = table["weight"] * table["gap"] / table["requirement"]
    shares = shares.where(~in_tail, shares * scenario.horizon.tail_weight)
    primary = shares.sum() if scenario.objective.primary == "weighted_gap" else shares.max()
    cap = plan.objective * (1 + 1e-6) + 1e-6
    if _exceeds(primary, cap):
        return [
            f"objective: the plan's {scenario.objective.primary} {primary} > reported "
            f"{plan.objective}"
        ]
    return []


def _risk_objective(scenario: Scenario, plan: Plan) -> list[str]:
    """A robust plan's objective: the measure over the same samples, replayed in numpy.

    The replay delivers as soon as capacity allows; the model may deliver later where
    that changes no gap, so the replayed measure is at most the reported one.
    """
    risk = scenario.objective.risk
    frames = {"orders": plan.orders, "investments": plan.investments, "spending": plan.spending}
    replayed = replay(scenario, frames, draw(scenario, risk.samples, risk.seed))
    end, tail = scenario.horizon.end, scenario.horizon.tail_weight
    weights = np.array([c.weight for c in scenario.capabilities])[None, :, None]
    years = np.array([tail if y > end else 1.0 for y in replayed.years])[None, None, :]
    sampled = (weights * years * replayed.shares).sum(axis=(1, 2))
    if risk.measure == "expected":
        measure = float(sampled.mean())
    else:  # CVaR: min over η of η + mean((W − η)⁺) / (1 − α); the minimum is at a sample
        measure = min(
            float(eta + np.clip(sampled - eta, 0, None).mean() / (1 - risk.alpha))
            for eta in sampled
        )
    if _exceeds(measure, plan.objective * (1 + 1e-6) + 1e-6):
        return [f"objective: the plan's {risk.measure} weighted gap {measure} > {plan.objective}"]
    return []


# Policy rules, one check per type.


def _exclude(scenario: Scenario, plan: Plan, rule: Exclude) -> list[str]:
    first = scenario.horizon.start if rule.from_year is None else rule.from_year
    last = scenario.horizon.end if rule.until_year is None else rule.until_year
    banned = plan.orders[
        plan.orders["system"].isin(scenario.select(rule.systems))
        & plan.orders["year"].between(first, last)
    ]
    return [f"{row.system} ordered in {row.year}" for row in banned.itertuples()]


def _bounded(rule: Any, part: float, whole: float, where: str) -> list[str]:
    if rule.bound == "min" and _exceeds(rule.value * whole, part):
        return [f"{where}: {part} < {rule.value} × {whole}"]
    if rule.bound == "max" and _exceeds(part, rule.value * whole):
        return [f"{where}: {part} > {rule.value} × {whole}"]
    return []


def _share(scenario: Scenario, plan: Plan, rule: Share) -> list[str]:
    among = scenario.select(rule.among)
    select = [s for s in scenario.select(rule.select) if s in among]
    systems = _systems(scenario)
    if rule.measure == "capability":
        return _capability_share(scenario, plan, rule, among, select)
    pay = payments(plan).rename("amount").reset_index()
    pay["content"] = pay["system"].map({s: systems[s].eu_content for s in systems}).astype(float)
    numerator = pay["amount"] * (pay["content"] if rule.measure == "content" else 1.0)
    in_select, in_among = pay["system"].isin(select), pay["system"].isin(among)
    if rule.scope == "horizon":
        groups = {"horizon": pd.Series(True, index=pay.index)}
    elif rule.scope == "per_year":
        groups = {str(t): pay["year"] == t for t in scenario.years}
    else:
        groups = {
            c.id: pay["system"].map(lambda s, c=c.id: c in systems[s].contributes).astype(bool)
            for c in scenario.capabilities
        }
    problems = []
    for where, mask in groups.items():
        problems += _bounded(
            rule, numerator[mask & in_select].sum(), pay.loc[mask & in_among, "amount"].sum(), where
        )
    return problems


def _units(
    scenario: Scenario, plan: Plan, systems: list[str], capability: str, year: int | None
) -> float:
    orders = plan.orders[plan.orders["system"].isin(systems)]
    if year is not None:
        orders = orders[orders["delivery_year"] == year]
    contribution = {s.id: s.contributes.get(capability, 0.0) for s in scenario.systems}
    return float((orders["quantity"] * orders["system"].map(contribution).astype(float)).sum())


def _capability_share(
    scenario: Scenario, plan: Plan, rule: Share, among: list[str], select: list[str]
) -> list[str]:
    years = list(scenario.delivery_years) if rule.scope == "per_year" else [None]
    problems = []
    for c in scenario.capabilities:
        for t in years:
            where = c.id if t is None else f"{c.id}, {t}"
            problems += _bounded(
                rule,
                _units(scenario, plan, select, c.id, t),
                _units(scenario, plan, among, c.id, t),
                where,
            )
    return problems


def _interoperability(scenario: Scenario, plan: Plan, rule: Interoperability) -> list[str]:
    years = list(scenario.delivery_years) if rule.scope == "per_year" else [None]
    problems = []
    for c in rule.capabilities or [c.id for c in scenario.capabilities]:
        for t in years:
            total = sum(
                (s.interoperability - rule.value) * _units(scenario, plan, [s.id], c, t)
                for s in scenario.systems
            )
            if total < -TOLERANCE:
                where = c if t is None else f"{c}, {t}"
                problems.append(
                    f"{where}: average interoperability of new units below {rule.value}"
                )
    return problems


def _max_supplier_share(scenario: Scenario, plan: Plan, rule: MaxSupplierShare) -> list[str]:
    among = scenario.select(rule.select)
    pay = payments(plan).rename("amount").reset_index()
    pay = pay[pay["system"].isin(among)]
    supplier = {s.id: s.supplier for s in scenario.systems}
    by_supplier = pay.groupby(pay["system"].map(supplier))["amount"].sum()
    total = pay["amount"].sum()
    return [
        f"supplier {k}: {v} > {rule.value} × {total}"
        for k, v in by_supplier.items()
        if _exceeds(v, rule.value * total)
    ]


def _max_types(scenario: Scenario, plan: Plan, rule: MaxTypes) -> list[str]:
    ordered = set(plan.orders["system"])
    problems = []
    for c in rule.capabilities or [c.id for c in scenario.capabilities]:
        types = [s.id for s in scenario.systems if c in s.contributes and s.id in ordered]
        if len(types) > rule.value:
            problems.append(
                f"{c}: {len(types)} system types ordered ({', '.join(types)}) > {rule.value}"
            )
    return problems


def _deadline(scenario: Scenario, plan: Plan, rule: Deadline) -> list[str]:
    table = plan.capabilities  # this rule's buyers' rows: their levels together
    late = (
        table[
            table["capability"].isin(rule.capabilities)
            & table["year"].between(rule.year, scenario.horizon.end)
        ]
        .groupby(["capability", "year"], as_index=False)[["level", "requirement"]]
        .sum()
    )
    return [
        f"{row.capability}, {row.year}: level {row.level} < {rule.fraction} × {row.requirement}"
        for row in late.itertuples()
        if _exceeds(rule.fraction * row.requirement, row.level)
    ]


def _min_investment(scenario: Scenario, plan: Plan, rule: MinInvestment) -> list[str]:
    chosen = scenario.select(rule.select)
    invested = plan.investments.loc[plan.investments["system"].isin(chosen), "cost"].sum()
    floor = rule.amount if rule.amount is not None else rule.share * payments(plan).sum()
    return [f"investment {invested} < {floor}"] if _exceeds(floor, invested) else []


def _joint(scenario: Scenario, plan: Plan, rule: Joint) -> list[str]:
    first = scenario.horizon.start if rule.from_year is None else rule.from_year
    last = scenario.horizon.end if rule.until_year is None else rule.until_year
    partners = rule.buyers or scenario.buyer_ids
    paid = plan.spending[
        plan.spending["budget"].isin(rule.budgets) & plan.spending["year"].between(first, last)
    ]
    countries = {b.id: set(b.countries) for b in scenario.buyers}
    problems = []
    for (system, year), rows in paid.groupby(["system", "year"]):
        orders = plan.orders
        ordering = sorted(
            set(
                orders.loc[
                    (orders["system"] == system)
                    & (orders["year"] == year)
                    & (orders["quantity"] >= 1 - TOLERANCE)
                    & orders["buyer"].isin(partners),
                    "buyer",
                ]
            )
        )
        if len(ordering) < rule.min_buyers:
            problems.append(
                f"{system} in {year} is paid from {', '.join(sorted(set(rows['budget'])))} "
                f"but ordered by {len(ordering)} buyer(s) ({', '.join(ordering) or 'none'}) "
                f"< {rule.min_buyers}"
            )
        for group, n in rule.min_in_group.items():
            members = set(scenario.groups[group])
            inside = [b for b in ordering if countries.get(b) and countries[b] <= members]
            if len(inside) < n:
                problems.append(f"{system} in {year}: {len(inside)} buyer(s) from {group} < {n}")
    return problems


RULE_CHECKS: dict[str, Callable[..., list[str]]] = {
    "exclude": _exclude,
    "share": _share,
    "interoperability": _interoperability,
    "max_supplier_share": _max_supplier_share,
    "max_types": _max_types,
    "deadline": _deadline,
    "min_investment": _min_investment,
    "joint": _joint,
}
