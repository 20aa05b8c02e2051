"""The ``Result`` of a solve (DESIGN §7): status, objective, tidy frames and KPIs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyomo.environ as pyo

from models import Scenario, SolverOptions
from optimizer.solve.audit import audit

if TYPE_CHECKING:
    from optimizer.solve.highs import Stage

COLUMNS = {
    "orders": [
        "buyer",
        "system",
        "supplier",
        "country",
        "year",
        "quantity",
        "unit_cost",
        "cost",
        "delivery_year",
    ],
    "deliveries": ["buyer", "system", "year", "quantity", "pipeline"],
    "capabilities": ["buyer", "capability", "year", "requirement", "level", "gap", "gap_share"],
    "spending": ["year", "budget", "buyer", "system", "supplier", "country", "amount"],
    "investments": [
        "buyer",
        "system",
        "year",
        "steps",
        "cost",
        "extra_capacity",
        "first_output_year",
    ],
    "adoptions": ["buyer", "system", "year", "cost"],
    "allocations": ["system", "year", "buyer", "quantity", "capacity", "share"],
}
ZERO = 1e-7  # solver noise below this is no order, no payment
MET = 1e-4  # a gap below this share of the requirement counts as met (solver tolerance)


@dataclass
class Result:
    """What a solve returns. Frames are empty and KPIs absent unless a plan was found."""

    status: str
    objective: float | None
    mip_gap: float | None
    scenario: Scenario = field(repr=False)
    variant: str | None
    message: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    options: SolverOptions | None = None
    orders: pd.DataFrame = field(default_factory=lambda: _frame("orders", []), repr=False)
    deliveries: pd.DataFrame = field(default_factory=lambda: _frame("deliveries", []), repr=False)
    capabilities: pd.DataFrame = field(
        default_factory=lambda: _frame("capabilities", []), repr=False
    )
    spending: pd.DataFrame = field(default_factory=lambda: _frame("spending", []), repr=False)
    investments: pd.DataFrame = field(default_factory=lambda: _frame("investments", []), repr=False)
    adoptions: pd.DataFrame = field(default_factory=lambda: _frame("adoptions", []), repr=False)
    allocations: pd.DataFrame = field(default_factory=lambda: _frame("allocations", []), repr=False)
    """Who received how much of each line's output from new orders, per delivery year."""
    kpis: pd.Series = field(default_factory=lambda: pd.Series(dtype=float), repr=False)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    """For an infeasible scenario: the rules to relax, what was asked, what is reachable."""

    @property
    def has_plan(self) -> bool:
        """Whether the solve produced a plan (optimal or stopped at the limit)."""
        return self.status in ("optimal", "feasible-at-limit")

    def frames(self) -> dict[str, pd.DataFrame]:
        """The tidy tables by name."""
        return {name: getattr(self, name) for name in COLUMNS}

    def audit(self) -> list[str]:
        """Every constraint the plan violates, re-checked in pandas; empty when valid."""
        if not self.has_plan:
            return []
        return audit(self.scenario, self.frames(), self.objective)

    def _repr_html_(self) -> str:
        """A notebook's view: the status line, the KPIs and the orders."""
        head = f"<p><b>{self.scenario.name}</b> ({self.variant or 'baseline'}): {self.status}"
        if not self.has_plan:
            return head + f" — {self.message}</p>"
        head += f", objective {self.objective:.4g}</p>"
        kpis = self.kpis.rename("value").to_frame().to_html(float_format="{:,.4g}".format)
        return head + kpis + self.orders.to_html(index=False, float_format="{:,.4g}".format)

    def summary(self) -> dict[str, Any]:
        """Status, objective, gap, timings and KPIs as plain JSON-ready values."""
        return {
            "scenario": self.scenario.name,
            "variant": self.variant or "baseline",
            "status": self.status,
            "message": self.message,
            "objective": self.objective,
            "mip_gap": self.mip_gap,
            "kpis": {
                k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in self.kpis.items()
            },
            "timings": self.timings,
            "conflicts": self.conflicts,
        }


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS[name])


def _value(var: Any, integer: bool) -> float:
    value = pyo.value(var)
    if integer:
        return float(round(value))
    return 0.0 if abs(value) < ZERO else float(value)


def _overall(stages: list[Stage]) -> tuple[str, str]:
    first = stages[0]
    if first.status != "optimal" or len(stages) == 1:
        return first.status, first.message
    second = stages[1]
    if second.status == "optimal":
        return "optimal", "optimal"
    return "feasible-at-limit", f"primary optimal; secondary stage: {second.message}"


def extract(
    m: pyo.ConcreteModel,
    scenario: Scenario,
    variant: str | None,
    stages: list[Stage],
    options: SolverOptions,
) -> Result:
    """The ``Result`` of a solved model; no values are read unless a plan was found."""
    status, message = _overall(stages)
    result = Result(
        status=status,
        objective=stages[0].objective,
        mip_gap=stages[0].gap,
        scenario=scenario,
        variant=variant,
        message=message,
        options=options,
    )
    if not result.has_plan:
        result.objective = result.mip_gap = None
        return result
    _read_plan(m, scenario, result)
    result.kpis = kpis(result)
    return result


def _read_plan(m: pyo.ConcreteModel, scenario: Scenario, result: Result) -> None:
    country = {k.id: k.country for k in scenario.suppliers}
    price = {s.id: scenario.series(s.unit_cost) for s in scenario.systems}
    orders, spending, investments, adoptions, deliveries = [], [], [], [], []
    for b, s, t in m.ORDERS:
        system = m.system[s]
        quantity = _value(m.order[b, s, t], system.integer)
        if quantity > 0:
            orders.append(
                dict(
                    buyer=b,
                    system=s,
                    supplier=system.supplier,
                    country=country[system.supplier],
                    year=t,
                    quantity=quantity,
                    unit_cost=price[s][t],
                    cost=quantity * price[s][t],
                    delivery_year=t + system.lead_time,
                )
            )
    for b, s, t in m.ADOPTIONS:
        before = _value(m.adopted[b, s, t - 1], True) if (b, s, t - 1) in m.adopted else 0
        if _value(m.adopted[b, s, t], True) > before:
            adoptions.append(dict(buyer=b, system=s, year=t, cost=m.system[s].adoption_cost))
    for s, t in m.EXPANSIONS:
        steps = _value(m.expansion_steps[s, t], True)
        if steps > 0:
            investments += _investment_rows(m, s, t, steps)
    for beta, b, s, t in m.FUNDING:
        amount = _value(m.funding[beta, b, s, t], False)
        if amount > 0:
            supplier = m.system[s].supplier
            spending.append(
                dict(
                    year=t,
                    budget=beta,
                    buyer=b,
                    system=s,
                    supplier=supplier,
                    country=country[supplier],
                    amount=amount,
                )
            )
    ordered = {(o["buyer"], o["system"], o["delivery_year"]): o["quantity"] for o in orders}
    for b in m.BUYERS:
        for s in m.SYSTEMS:
            contracted = m.system[s].pipeline_for(b)
            for t in m.DELIVERY_YEARS:
                pipeline = contracted.get(t, 0.0)
                quantity = ordered.get((b, s, t), 0.0) + pipeline
                if quantity > 0:
                    deliveries.append(
                        dict(buyer=b, system=s, year=t, quantity=quantity, pipeline=pipeline)
                    )
    result.orders = _frame("orders", orders)
    result.spending = _frame("spending", spending)
    result.investments = _frame("investments", investments)
    result.adoptions = _frame("adoptions", adoptions)
    result.deliveries = _frame("deliveries", deliveries)
    result.capabilities = capability_table(scenario, result.deliveries)
    result.allocations = allocation_table(scenario, result.orders, result.investments)


def _investment_rows(m: pyo.ConcreteModel, s: str, t: int, steps: float) -> list[dict]:
    """The steps bought on line s in year t, split by buyer in proportion to what each paid."""
    expansion = m.system[s].expansion
    paid = {m.BUYERS.first(): steps * expansion.cost}
    if m.co_funded:
        paid = {b: _value(m.expansion_share[b, s, t], False) for b in m.buyers_of[s]}
        paid = {b: k for b, k in paid.items() if k > 0} or {m.buyers_of[s][0]: 0.0}
    total = sum(paid.values())
    rows = []
    for b, cost in paid.items():
        part = steps * cost / total if total > 0 else steps
        rows.append(
            dict(
                buyer=b,
                system=s,
                year=t,
                steps=part,
                cost=cost,
                extra_capacity=part * expansion.capacity,
                first_output_year=t + expansion.ramp_up,
            )
        )
    return rows


def allocation_table(
    scenario: Scenario, orders: pd.DataFrame, investments: pd.DataFrame
) -> pd.DataFrame:
    """Each line's output from new orders by delivery year and buyer, against its capacity."""
    arriving = orders.groupby(["system", "delivery_year", "buyer"], sort=True)["quantity"].sum()
    line_total = arriving.groupby(level=[0, 1]).sum()
    systems = {x.id: x for x in scenario.systems}
    steps = {
        s: list(zip(rows["first_output_year"], rows["extra_capacity"], strict=True))
        for s, rows in (investments.groupby("system") if not investments.empty else [])
    }
    capacity: dict[str, dict[int, float]] = {}
    rows = []
    for (s, year, b), quantity in arriving.items():
        if s not in capacity:
            capacity[s] = scenario.series(systems[s].capacity)
        extra = sum(added for first, added in steps.get(s, []) if first <= year)
        rows.append(
            dict(
                system=s,
                year=int(year),
                buyer=b,
                quantity=float(quantity),
                capacity=capacity[s][year] + float(extra),
                share=float(quantity / line_total[s, year]),
            )
        )
    return _frame("allocations", rows)


def capability_table(scenario: Scenario, deliveries: pd.DataFrame) -> pd.DataFrame:
    """Levels and gaps per buyer, capability and year (the horizon and its tail)."""
    delivered = deliveries.groupby(["buyer", "system", "year"])["quantity"].sum().to_dict()
    rows = []
    for b in scenario.buyer_ids:
        for c in scenario.capabilities:
            need = scenario.needs_of(b).get(c.id)
            if need is None:
                continue
            requirement = scenario.series(need.requirement)
            initial = scenario.series(need.initial)
            consumption = scenario.series(need.consumption)
            arrived = used = 0.0
            for t in scenario.delivery_years:
                arrived += sum(
                    s.contributes[c.id] * delivered.get((b, s.id, t), 0.0)
                    for s in scenario.systems
                    if c.id in s.contributes
                )
                used += consumption[t]
                level = initial[t] + arrived - used
                gap = max(0.0, requirement[t] - level)
                share = gap / requirement[t] if requirement[t] > 0 else math.nan
                rows.append(
                    dict(
                        buyer=b,
                        capability=c.id,
                        year=t,
                        requirement=requirement[t],
                        level=level,
                        gap=gap,
                        gap_share=share,
                    )
                )
    return _frame("capabilities", rows)


def gap_weights(scenario: Scenario, capabilities: pd.DataFrame) -> pd.Series:
    """W_b·w_c for each row of a capability table."""
    weight = {c.id: c.weight for c in scenario.capabilities}
    buyer = {b: scenario.buyer_weight(b) for b in scenario.buyer_ids}
    return capabilities["capability"].map(weight).astype(float) * capabilities["buyer"].map(
        buyer
    ).astype(float)


def primary_values(scenario: Scenario, capabilities: pd.DataFrame) -> dict[str, float]:
    """``weighted_gap`` and ``max_gap`` of a capability table (buyers' weights included)."""
    counted = capabilities[capabilities["requirement"] > 0]
    weighted = counted["gap_share"] * gap_weights(scenario, counted)
    return {
        "weighted_gap": float(weighted.sum()),
        "max_gap": float(weighted.max()) if len(weighted) else 0.0,
    }


def _average_gap_share(scenario: Scenario, rows: pd.DataFrame) -> float:
    """The weight-averaged gap share of capability-table rows (0 when none has a requirement)."""
    rows = rows[rows["requirement"] > 0]
    weights = gap_weights(scenario, rows)
    return float((rows["gap_share"] * weights).sum() / weights.sum()) if len(rows) else 0.0


def kpis(result: Result) -> pd.Series:
    """The KPIs of DESIGN §7 for all buyers together and, with ``buyers:``, for each (§13).

    A buyer's own KPIs are named ``<kpi>.<buyer>`` (``weighted_gap.pl``, ``spend_share.eu.pl``)
    and ``first_met.<buyer>.<capability>``; its ``weighted_gap`` leaves out its weight W_b.
    """
    values = _kpis(
        result.scenario,
        result.capabilities,
        result.spending,
        result.orders,
        result.investments,
        result.scenario.buyer_ids,
    )
    for b in [b.id for b in result.scenario.buyers]:
        own = _kpis(
            result.scenario,
            result.capabilities[result.capabilities["buyer"] == b],
            result.spending[result.spending["buyer"] == b],
            result.orders[result.orders["buyer"] == b],
            result.investments[result.investments["buyer"] == b],
            [b],
        )
        own["weighted_gap"] /= result.scenario.buyer_weight(b)
        own["max_gap"] /= result.scenario.buyer_weight(b)
        for name, value in own.items():
            kind, _, rest = name.partition(".")
            values[f"first_met.{b}.{rest}" if kind == "first_met" else f"{name}.{b}"] = value
    return pd.Series(values, dtype=float)


def _kpis(
    scenario: Scenario,
    capabilities: pd.DataFrame,
    spending: pd.DataFrame,
    orders: pd.DataFrame,
    investments: pd.DataFrame,
    buyers: list[str],
) -> dict[str, float]:
    """The KPIs of the given buyers' rows: the horizon proper, and ``gap_tail``."""
    end = scenario.horizon.end
    caps = capabilities[capabilities["year"] <= end]
    values: dict[str, float] = primary_values(scenario, caps)
    for year in sorted({end, *scenario.report_years}):
        values[f"gap_{year}"] = _average_gap_share(scenario, caps[caps["year"] == year])
    if scenario.horizon.tail:
        tail = capabilities[capabilities["year"] > end]
        values["gap_tail"] = _average_gap_share(scenario, tail)
    for c in scenario.capabilities:
        rows = caps[caps["capability"] == c.id]
        if len(rows):
            values[f"first_met.{c.id}"] = first_met(rows)
    total = float(spending["amount"].sum())
    values["total_spend"] = total
    values |= _origin_shares("spend_share", scenario, spending)
    values |= _origin_shares(
        "spend_share_with_pipeline",
        scenario,
        pd.concat([spending[["country", "amount"]], pipeline_value(scenario, buyers)]),
    )
    content = {s.id: s.eu_content for s in scenario.systems}
    values["eu_content_share"] = _share(
        (spending["amount"] * spending["system"].map(content).astype(float)).sum(), total
    )
    values["n_system_types"] = float(orders["system"].nunique())
    values["investment"] = float(investments["cost"].sum())
    return values


def buyer_kpi(name: str, buyers: list[str]) -> tuple[str, str | None]:
    """``("weighted_gap", "pl")`` for ``weighted_gap.pl``, ``first_met.pl.air`` → ``first_met.air``.

    A KPI of all buyers together comes back with buyer None.
    """
    parts = name.split(".")
    if parts[0] == "first_met" and len(parts) == 3 and parts[1] in buyers:
        return f"first_met.{parts[2]}", parts[1]
    if len(parts) > 1 and parts[-1] in buyers and not name.startswith("first_met."):
        return ".".join(parts[:-1]), parts[-1]
    return name, None


def split_by_buyer(kpis: pd.Series, buyers: list[str]) -> tuple[pd.Series, pd.DataFrame]:
    """The KPIs of all buyers together, and each buyer's as a table (KPI × buyer)."""
    keys = [buyer_kpi(name, buyers) for name in kpis.index]
    together = kpis[[b is None for _, b in keys]]
    rows = [(kpi, b, value) for (kpi, b), value in zip(keys, kpis, strict=True) if b is not None]
    table = pd.DataFrame(rows, columns=["kpi", "buyer", "value"])
    own = table.pivot(index="kpi", columns="buyer", values="value")
    return together, own.reindex(columns=buyers)


def _origin_shares(name: str, scenario: Scenario, money: pd.DataFrame) -> dict[str, float]:
    """``<name>.<group>`` for each group, ``<name>.US`` and ``<name>.other`` (in no group)."""
    total = float(money["amount"].sum())
    shares, in_any = {}, pd.Series(False, index=money.index)
    for group, countries in scenario.groups.items():
        member = money["country"].isin(countries)
        in_any |= member
        shares[f"{name}.{group}"] = _share(money.loc[member, "amount"].sum(), total)
    shares[f"{name}.US"] = _share(money.loc[money["country"] == "US", "amount"].sum(), total)
    shares[f"{name}.other"] = _share(money.loc[~in_any, "amount"].sum(), total)
    return shares


def pipeline_value(scenario: Scenario, buyers: list[str] | None = None) -> pd.DataFrame:
    """The contracted pipeline's deliveries valued at unit cost in their year: country, amount.

    The pipeline is paid outside the scenario's budgets; valuing it shows the
    plan's origin shares with what is already contracted (an estimate of the
    contracts' value, not their price).
    """
    country = {k.id: k.country for k in scenario.suppliers}
    rows = [
        {"country": country[s.supplier], "amount": quantity * scenario.series(s.unit_cost)[t]}
        for b in buyers or scenario.buyer_ids
        for s in scenario.systems
        for t, quantity in s.pipeline_for(b).items()
        if t in scenario.delivery_years
    ]
    return pd.DataFrame(rows, columns=["country", "amount"])


def first_met(rows: pd.DataFrame) -> float:
    """The first year from which the requirement is met to the end of the horizon, or NaN."""
    unmet = rows.loc[rows["gap"] > MET * rows["requirement"].clip(lower=1), "year"]
    if unmet.empty:
        return float(rows["year"].min())
    later = rows.loc[rows["year"] > unmet.max(), "year"]
    return float(later.min()) if len(later) else math.nan


def _share(part: float, total: float) -> float:
    return float(part / total) if total > 0 else math.nan
