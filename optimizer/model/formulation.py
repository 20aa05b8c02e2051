"""The Pyomo model of a scenario (DESIGN §4, with buyers §13), built in one place.

``build_model`` is pure: no I/O, no solver. It reads as an ordered list of
``add_*`` calls, one per constraint family; the shared expressions
(``payment``, ``level``, ``spend``) are built once here and the policy rules
in ``optimizer/model/rules`` add rows that use them. A document without
``buyers:`` has one implicit buyer (``all``), so every index below carries a
buyer b and a single-buyer model is the same model as before buyers existed.

Symbols (see docs/formulation.md):

=================  ==============================  ==========================================
symbol             component                       meaning
=================  ==============================  ==========================================
x_{b,s,t}          ``order[b, s, t]``              units of s buyer b orders in year t
a_{b,s,t}          ``adopted[b, s, t]``            s adopted by buyer b by year t (binary)
z_{s,t}            ``expansion_steps[s, t]``       production steps bought for line s in t
k_{b,s,t}          ``expansion_share[b, s, t]``    buyer b's part of z's cost (several buyers)
f_{β,b,s,t}        ``funding[β, b, s, t]``         money from budget β paying b's bill for s
pay_{b,s,t}        ``payment[b, s, t]``            what s costs buyer b in year t
l_{b,c,t}          ``level[b, c, t]``              buyer b's level of capability c in year t
g_{b,c,t}          ``gap[b, c, t]``                its shortfall against b's requirement
o_s                ``ordered[s]``                  s ordered at least once (only when asked for)
=================  ==============================  ==========================================
"""

from typing import Any

import pyomo.environ as pyo

from models import Scenario, System
from optimizer.input.draws import draw
from optimizer.model import rules

PRIMARY_TOLERANCE = 1e-6  # how far stage two may move the primary from its optimum


def build_model(
    scenario: Scenario, rules_built: set[str] | None = None, ordered: bool = False
) -> pyo.ConcreteModel:
    """The whole model of ``scenario``: variables, constraints, both objectives.

    ``rules_built`` (default: the enabled rules) are the ids of the rules given
    rows; see ``optimizer.model.rules.add_all``. With ``ordered``, binaries say
    which systems are ordered at all (``add_ordered``), for analyses that count
    or compare the systems a plan orders.
    """
    scenario = scenario.in_id_order()
    m = pyo.ConcreteModel(name=scenario.name)
    m.scenario = scenario
    add_sets(m, scenario)
    add_orders(m, scenario)
    add_adoption(m, scenario)
    add_expansion(m, scenario)
    add_payments(m, scenario)
    add_budgets(m, scenario)
    add_levels(m, scenario)
    add_gaps(m, scenario)
    rules.add_all(m, scenario, rules_built)
    add_objectives(m, scenario)
    if ordered:
        add_ordered(m, scenario)
    return m


def _orderable(scenario: Scenario, buyer: str) -> list[str]:
    """The systems ``buyer`` may order: those that serve a capability it needs.

    The implicit buyer needs every capability, so it may order every system.
    """
    needs = scenario.needs_of(buyer)
    return [s.id for s in scenario.systems if any(c in needs for c in s.contributes)]


def add_sets(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """Years, entities, and the sparse index sets where variables can be non-zero.

    Orders and payments fall in the horizon (``YEARS``); deliveries, levels
    and gaps run on through the tail (``DELIVERY_YEARS``).
    """
    last = scenario.delivery_years[-1]
    m.YEARS = pyo.Set(initialize=list(scenario.years), ordered=True)
    m.DELIVERY_YEARS = pyo.Set(initialize=list(scenario.delivery_years), ordered=True)
    m.BUYERS = pyo.Set(initialize=scenario.buyer_ids, ordered=True)
    m.SYSTEMS = pyo.Set(initialize=[s.id for s in scenario.systems], ordered=True)
    m.CAPABILITIES = pyo.Set(initialize=[c.id for c in scenario.capabilities], ordered=True)
    m.BUDGETS = pyo.Set(initialize=[b.id for b in scenario.budgets], ordered=True)
    m.system = {s.id: s for s in scenario.systems}
    m.budget = {b.id: b for b in scenario.budgets}
    m.needs = {b: scenario.needs_of(b) for b in m.BUYERS}
    # each system's capacity expanded once: order bounds and capacity rows read it per (s, t)
    m.yearly_capacity = {s.id: scenario.series(s.capacity) for s in scenario.systems}
    m.LINE_YEARS = pyo.Set(
        dimen=2,
        ordered=True,
        doc="(s, t) with t + L_s ≤ end + tail: an order of s in t arrives in time",
        initialize=[
            (s.id, t) for s in scenario.systems for t in scenario.years if t + s.lead_time <= last
        ],
    )
    m.buyers_of = {s: [] for s in m.SYSTEMS}
    for b in m.BUYERS:
        for s in _orderable(scenario, b):
            m.buyers_of[s].append(b)
    m.ORDERS = pyo.Set(
        dimen=3,
        ordered=True,
        doc="(b, s, t): buyer b may order s in t and it arrives in time",
        initialize=[(b, s, t) for s, t in m.LINE_YEARS for b in m.buyers_of[s]],
    )
    m.EXPANSIONS = pyo.Set(
        dimen=2,
        ordered=True,
        doc="(s, t): steps bought in t add output by the end of the tail",
        initialize=[
            (s.id, t)
            for s in scenario.systems
            if s.expansion and s.expansion.max_steps
            for t in scenario.years
            if t + s.expansion.ramp_up <= last and scenario.horizon.start + s.lead_time <= last
        ],
    )
    m.ADOPTIONS = pyo.Set(
        dimen=3,
        ordered=True,
        doc="(b, s, t) for systems buyer b must adopt before ordering",
        initialize=[
            (b, s, t)
            for b, s, t in m.ORDERS
            if not m.system[s].in_service_for(b) and m.system[s].adoption_cost > 0
        ],
    )
    # with one buyer it pays each step outright; with several, the step's cost is shared out
    m.co_funded = len(m.BUYERS) > 1
    m.EXPANSION_SHARES = pyo.Set(
        dimen=3,
        ordered=True,
        doc="(b, s, t): buyer b may pay towards expanding line s in t",
        initialize=[(b, s, t) for s, t in m.EXPANSIONS for b in m.buyers_of[s]]
        if m.co_funded
        else [],
    )
    expansion_bills = (
        set(m.EXPANSION_SHARES)
        if m.co_funded
        else {(b, s, t) for s, t in m.EXPANSIONS for b in m.BUYERS}
    )
    m.PAYMENTS = pyo.Set(
        dimen=3,
        ordered=True,
        initialize=sorted(
            set(m.ORDERS) | expansion_bills,
            key=lambda bst: (m.BUYERS.ord(bst[0]), m.SYSTEMS.ord(bst[1]), bst[2]),
        ),
    )
    eligible = {b.id: set(scenario.select(b.eligible)) for b in scenario.budgets}
    payers = {b.id: set(scenario.payers(b)) for b in scenario.budgets}
    has_money = {
        (b.id, t) for b in scenario.budgets for t in scenario.years if scenario.money_by(b, t) > 0
    }
    m.FUNDING = pyo.Set(
        dimen=4,
        ordered=True,
        doc="(β, b, s, t): s eligible for budget β, b among its payers, money in β by year t",
        initialize=[
            (beta, b, s, t)
            for beta in m.BUDGETS
            for b, s, t in m.PAYMENTS
            if s in eligible[beta] and b in payers[beta] and (beta, t) in has_money
        ],
    )
    m.LEVELS = pyo.Set(
        dimen=2,
        ordered=True,
        doc="(b, c): capability c that buyer b needs",
        initialize=[(b, c) for b in m.BUYERS for c in m.needs[b]],
    )
    m.GAPS = pyo.Set(
        dimen=3,
        ordered=True,
        doc="(b, c, t) with a positive requirement",
        initialize=[
            (b, c, t)
            for b, c in m.LEVELS
            for t, r in scenario.series(m.needs[b][c].requirement).items()
            if r > 0
        ],
    )


def order_bound(m: pyo.ConcreteModel, scenario: Scenario, system: System, year: int) -> float:
    """U_{s,t}: the most of s that capacity lets arrive from an order in ``year``."""
    arrival = year + system.lead_time
    bound = m.yearly_capacity[system.id][arrival]
    if system.expansion and arrival - system.expansion.ramp_up >= scenario.horizon.start:
        bound += system.expansion.capacity * system.expansion.max_steps
    return bound


def add_orders(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """x_{b,s,t}, integer unless the system is divisible, bounded by the line's capacity."""

    def domain(m: pyo.ConcreteModel, b: str, s: str, t: int) -> pyo.Set:
        return pyo.NonNegativeIntegers if m.system[s].integer else pyo.NonNegativeReals

    m.order = pyo.Var(
        m.ORDERS,
        domain=domain,
        bounds=lambda m, b, s, t: (0, order_bound(m, scenario, m.system[s], t)),
        doc="x_{b,s,t}: units ordered",
    )


def add_adoption(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """a_{b,s,t}: each buyer adopts a system once, before or in the year of its first order."""
    m.adopted = pyo.Var(m.ADOPTIONS, domain=pyo.Binary, doc="a_{b,s,t}: adopted by year t")

    @m.Constraint(m.ADOPTIONS, doc="x_{b,s,t} ≤ U_{s,t}·a_{b,s,t}")
    def order_needs_adoption(m, b, s, t):
        return m.order[b, s, t] <= m.order[b, s, t].ub * m.adopted[b, s, t]

    @m.Constraint(m.ADOPTIONS, doc="a_{b,s,t} ≥ a_{b,s,t-1}")
    def adoption_is_kept(m, b, s, t):
        if (b, s, t - 1) not in m.adopted:
            return pyo.Constraint.Skip
        return m.adopted[b, s, t] >= m.adopted[b, s, t - 1]

    # Without this row an adoption without any order costs money and changes no gap: only
    # the cost stage removes it, and a cost stage stopped at its time limit may not.
    last = {(b, s): t for b, s, t in m.ADOPTIONS}  # ADOPTIONS is ordered by year

    @m.Constraint(list(last), doc="δ_s·a_{b,s,last} ≤ Σ_t x_{b,s,t}")
    def adoption_has_order(m, b, s):
        ordered = rules.units_ordered(m, s, buyers=[b])
        return rules.smallest_order(m.system[s]) * m.adopted[b, s, last[b, s]] <= ordered


def add_expansion(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """z_{s,t}: production steps on a line, each adding capacity for all buyers after ramp-up."""
    m.expansion_steps = pyo.Var(
        m.EXPANSIONS,
        domain=pyo.NonNegativeIntegers,
        bounds=lambda m, s, t: (0, m.system[s].expansion.max_steps),
        doc="z_{s,t}: expansion steps bought",
    )
    expanding = sorted({s for s, _ in m.EXPANSIONS}, key=m.SYSTEMS.ord)

    @m.Constraint(expanding, doc="Σ_t z_{s,t} ≤ max_steps")
    def expansion_limit(m, s):
        steps = [m.expansion_steps[s, t] for t in m.YEARS if (s, t) in m.expansion_steps]
        return sum(steps) <= m.system[s].expansion.max_steps

    ordering = {st: [] for st in m.LINE_YEARS}
    for b, s, t in m.ORDERS:
        ordering[s, t].append(b)

    @m.Constraint(m.LINE_YEARS, doc="Σ_b x_{b,s,t−L} ≤ cap_{s,t} + Δ_s·Σ_{τ ≤ t−R} z_{s,τ}")
    def capacity(m, s, t):
        system = m.system[s]
        if system.expansion is None and len(ordering[s, t]) <= 1:
            return pyo.Constraint.Skip  # the variable's bound is the capacity
        if not ordering[s, t]:
            return pyo.Constraint.Skip
        arrival = t + system.lead_time
        steps = 0
        if system.expansion is not None:
            steps = system.expansion.capacity * sum(
                m.expansion_steps[s, tau]
                for tau in m.YEARS
                if tau <= arrival - system.expansion.ramp_up and (s, tau) in m.expansion_steps
            )
        total = sum(m.order[b, s, t] for b in ordering[s, t])
        return total <= m.yearly_capacity[s][arrival] + steps

    m.expansion_share = pyo.Var(
        m.EXPANSION_SHARES, domain=pyo.NonNegativeReals, doc="k_{b,s,t}: b's part of K·z"
    )

    @m.Constraint(m.EXPANSIONS if m.co_funded else [], doc="Σ_b k_{b,s,t} = K_s·z_{s,t}")
    def expansion_co_funded(m, s, t):
        shares = [m.expansion_share[b, s, t] for b in m.buyers_of[s]]
        return sum(shares) == m.system[s].expansion.cost * m.expansion_steps[s, t]


def add_payments(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """pay_{b,s,t} = p·x + F·(a_t − a_{t−1}) + k, and the budgets that fund it."""
    price = {s.id: scenario.series(s.unit_cost) for s in scenario.systems}

    @m.Expression(m.PAYMENTS, doc="pay_{b,s,t}")
    def payment(m, b, s, t):
        system = m.system[s]
        total = 0
        if (b, s, t) in m.order:
            total += price[s][t] * m.order[b, s, t]
        if (b, s, t) in m.adopted:
            before = m.adopted[b, s, t - 1] if (b, s, t - 1) in m.adopted else 0
            total += system.adoption_cost * (m.adopted[b, s, t] - before)
        return total + rules.expansion_paid(m, b, s, t)

    m.funding = pyo.Var(m.FUNDING, domain=pyo.NonNegativeReals, doc="f_{β,b,s,t}")
    sources: dict[tuple, list] = {bst: [] for bst in m.PAYMENTS}
    for beta, b, s, t in m.FUNDING:
        sources[b, s, t].append(m.funding[beta, b, s, t])

    @m.Constraint(m.PAYMENTS, doc="Σ_β f_{β,b,s,t} = pay_{b,s,t}")
    def payment_funded(m, b, s, t):
        return sum(sources[b, s, t]) == m.payment[b, s, t]


def add_budgets(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """Σ_{b,s} f_{β,b,s,t} ≤ amount_{β,t}, or cumulatively with carryover."""
    by_budget_year: dict[tuple[str, int], list] = {
        (beta, t): [] for beta in m.BUDGETS for t in m.YEARS
    }
    for beta, b, s, t in m.FUNDING:
        by_budget_year[beta, t].append(m.funding[beta, b, s, t])

    @m.Expression(m.BUDGETS, m.YEARS, doc="spend_{β,t}")
    def spend(m, beta, t):
        return sum(by_budget_year[beta, t])

    carried = [b.id for b in scenario.budgets if b.carryover]
    amount = {b.id: scenario.series(b.amount) for b in scenario.budgets}

    @m.Constraint(m.BUDGETS, m.YEARS, doc="spend_{β,t} ≤ amount_{β,t}")
    def budget_limit(m, beta, t):
        if beta in carried or not by_budget_year[beta, t]:
            return pyo.Constraint.Skip
        return m.spend[beta, t] <= amount[beta][t]

    # With carryover, Σ_{τ≤t} spend ≤ Σ_{τ≤t} amount is written year by year through the
    # money left over, so each year's row holds that year's payments only.
    m.unspent = pyo.Var(carried, m.YEARS, domain=pyo.NonNegativeReals, doc="money carried on")

    @m.Constraint(carried, m.YEARS, doc="unspent_t = unspent_{t−1} + amount_t − spend_t")
    def carryover(m, beta, t):
        before = m.unspent[beta, t - 1] if t > m.YEARS.first() else 0
        return m.unspent[beta, t] == before + amount[beta][t] - m.spend[beta, t]


def delivered(m: pyo.ConcreteModel, buyer: str, system: str, year: int) -> Any:
    """d_{b,s,t} = x_{b,s,t−L_s} + pipeline_{b,s,t}."""
    s = m.system[system]
    key = (buyer, system, year - s.lead_time)
    return (m.order[key] if key in m.order else 0) + s.pipeline_for(buyer).get(year, 0.0)


def add_levels(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """l_{b,c,t} from the buyer's initial stock, deliveries and consumption."""
    m.contributors = {
        c: [(s.id, s.contributes[c]) for s in scenario.systems if c in s.contributes]
        for c in m.CAPABILITIES
    }
    initial = {(b, c): scenario.series(m.needs[b][c].initial) for b, c in m.LEVELS}
    consumption = {(b, c): scenario.series(m.needs[b][c].consumption) for b, c in m.LEVELS}

    # l_{b,c,t} = i + Σ_s e_{s,c}·Σ_{τ≤t} d_{b,s,τ} − Σ_{τ≤t} u, written year on year
    # so that each row holds one year's deliveries (the cumulative form grows with T²).
    m.level = pyo.Var(m.LEVELS, m.DELIVERY_YEARS, doc="l_{b,c,t}")

    @m.Constraint(m.LEVELS, m.DELIVERY_YEARS, doc="l_t = l_{t−1} + (i_t − i_{t−1}) + Σ e·d_t − u_t")
    def level_balance(m, b, c, t):
        first = t == m.DELIVERY_YEARS.first()
        before = 0 if first else m.level[b, c, t - 1]
        change = initial[b, c][t] - (0 if first else initial[b, c][t - 1])
        arrived = sum(e * delivered(m, b, s, t) for s, e in m.contributors[c])
        return m.level[b, c, t] == before + change + arrived - consumption[b, c][t]


def add_gaps(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """g_{b,c,t} ≥ r_{b,c,t} − l_{b,c,t}, g ≥ 0, where the requirement is positive."""
    requirement = {(b, c): scenario.series(m.needs[b][c].requirement) for b, c in m.LEVELS}
    m.gap = pyo.Var(m.GAPS, domain=pyo.NonNegativeReals, doc="g_{b,c,t}")

    @m.Constraint(m.GAPS, doc="g_{b,c,t} ≥ r_{b,c,t} − l_{b,c,t}")
    def gap_definition(m, b, c, t):
        return m.gap[b, c, t] >= requirement[b, c][t] - m.level[b, c, t]

    weight = {
        (b, c.id): scenario.buyer_weight(b) * c.weight
        for b in m.BUYERS
        for c in scenario.capabilities
    }
    end, tail_weight = scenario.horizon.end, scenario.horizon.tail_weight

    @m.Expression(m.GAPS, doc="W_b·w_c·g_{b,c,t}/r_{b,c,t}, times tail_weight in the tail")
    def weighted_gap_share(m, b, c, t):
        share = weight[b, c] * m.gap[b, c, t] / requirement[b, c][t]
        return share * tail_weight if t > end else share


def add_ordered(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """o_s ∈ {0,1}: s is ordered at least once (by any buyer), both ways; adoption only with it.

    x_{b,s,t} ≤ U_{s,t}·o_s (an order sets o_s), o_s·δ_s ≤ Σ_{b,t} x_{b,s,t} (o_s = 1 needs
    an order of at least δ_s: one unit of an integer system, 1e-3 of a divisible one), and
    a_{b,s,t} ≤ o_s.
    """
    orderable = sorted({s for _, s, _ in m.ORDERS}, key=m.SYSTEMS.ord)
    m.ordered = pyo.Var(orderable, domain=pyo.Binary, doc="o_s: s ordered at least once")

    @m.Constraint(m.ORDERS, doc="x_{b,s,t} ≤ U_{s,t}·o_s")
    def order_sets_ordered(m, b, s, t):
        return m.order[b, s, t] <= m.order[b, s, t].ub * m.ordered[s]

    @m.Constraint(orderable, doc="o_s·δ_s ≤ Σ_{b,t} x_{b,s,t}")
    def ordered_needs_order(m, s):
        return rules.smallest_order(m.system[s]) * m.ordered[s] <= rules.units_ordered(m, s)

    # a plan that only needs to stay near the optimum could otherwise pay to adopt a system
    # it never orders (even one a rule excludes): adoption comes with an order
    @m.Constraint(m.ADOPTIONS, doc="a_{b,s,t} ≤ o_s")
    def adoption_needs_order(m, b, s, t):
        return m.adopted[b, s, t] <= m.ordered[s]


def add_objectives(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """The primary objective (active), and the secondary with its cap on the primary (inactive).

    The solve step activates the secondary stage once it knows P*.
    """
    if scenario.objective.primary == "max_gap":
        m.max_gap = pyo.Var(domain=pyo.NonNegativeReals, doc="max_{c,t} w_c·g_{c,t}/r_{c,t}")

        @m.Constraint(m.GAPS, doc="max_gap ≥ W_b·w_c·g_{b,c,t}/r_{b,c,t}")
        def max_gap_bound(m, b, c, t):
            return m.max_gap >= m.weighted_gap_share[b, c, t]

        m.primary = pyo.Expression(expr=m.max_gap)
    elif scenario.objective.risk is not None:
        m.primary = pyo.Expression(expr=add_risk(m, scenario))
    else:
        m.primary = pyo.Expression(expr=sum(m.weighted_gap_share[g] for g in m.GAPS))
    m.primary_objective = pyo.Objective(expr=m.primary, sense=pyo.minimize)

    m.primary_cap = pyo.Param(mutable=True, initialize=0.0, doc="P*·(1+1e-6)+1e-6")
    m.primary_at_optimum = pyo.Constraint(expr=m.primary <= m.primary_cap)
    m.primary_at_optimum.deactivate()
    eu_content = {s.id: s.eu_content for s in scenario.systems}
    if scenario.objective.secondary == "non_eu_spend":
        secondary = sum((1 - eu_content[s]) * m.payment[b, s, t] for b, s, t in m.PAYMENTS)
    else:
        secondary = sum(m.payment[bst] for bst in m.PAYMENTS)
    m.secondary_objective = pyo.Objective(expr=secondary, sense=pyo.minimize)
    m.secondary_objective.deactivate()


def add_risk(m: pyo.ConcreteModel, scenario: Scenario) -> Any:
    """The weighted gap's mean or CVaR over K sampled delivery outcomes (the extensive form).

    One set of orders and expansions; for each sample k, the delivery rules of the
    replay (``optimizer.solve.replay``) written linearly: orders arrive L_s + slip_{k,s}
    years after they are placed and wait in a backlog b_{k,s,y}; deliveries
    d_{k,s,y} ≤ f_{k,s}·(cap_{s,y} + Δ_s·Σ z), slipped pipeline on top; levels, gaps and
    the weighted gap W_k as in the model. Returns (1/K)·Σ_k W_k, or with ``cvar``
    η + Σ_k e_k / ((1 − α)·K) with e_k ≥ W_k − η, e_k ≥ 0.
    """
    risk = scenario.objective.risk
    drawn = draw(scenario, risk.samples, risk.seed)
    slip = {s: drawn.slip[:, j].astype(int) for j, s in enumerate(drawn.systems)}
    factor = {s: drawn.capacity[:, j] for j, s in enumerate(drawn.systems)}
    samples, years = range(risk.samples), list(m.DELIVERY_YEARS)
    buyer = m.BUYERS.first()  # a robust objective is for one buyer (refused with buyers:)
    orderable = sorted({s for _, s, _ in m.ORDERS}, key=m.SYSTEMS.ord)
    flows = [(k, s, y) for k in samples for s in orderable for y in years]
    m.sample_delivered = pyo.Var(flows, domain=pyo.NonNegativeReals, doc="d_{k,s,y}")
    m.sample_backlog = pyo.Var(flows, domain=pyo.NonNegativeReals, doc="b_{k,s,y}")

    def arrivals(k: int, s: str, y: int) -> Any:
        key = (buyer, s, y - m.system[s].lead_time - int(slip[s][k]))
        return m.order[key] if key in m.order else 0

    @m.Constraint(flows, doc="b_{k,s,y} = b_{k,s,y−1} + arrivals − d_{k,s,y}")
    def sample_backlog_balance(m, k, s, y):
        before = m.sample_backlog[k, s, y - 1] if y > years[0] else 0
        return m.sample_backlog[k, s, y] == before + arrivals(k, s, y) - m.sample_delivered[k, s, y]

    @m.Constraint(flows, doc="d_{k,s,y} ≤ f_{k,s}·(cap_{s,y} + Δ_s·Σ_{τ ≤ y−R} z_{s,τ})")
    def sample_capacity(m, k, s, y):
        system, cap = m.system[s], m.yearly_capacity[s][y]
        steps = 0
        if system.expansion is not None:
            steps = sum(
                m.expansion_steps[s, tau]
                for tau in m.YEARS
                if tau <= y - system.expansion.ramp_up and (s, tau) in m.expansion_steps
            )
            steps = system.expansion.capacity * steps
        return m.sample_delivered[k, s, y] <= factor[s][k] * (cap + steps)

    needs = m.needs[buyer]
    initial = {c: scenario.series(n.initial) for c, n in needs.items()}
    consumption = {c: scenario.series(n.consumption) for c, n in needs.items()}
    requirement = {c: scenario.series(n.requirement) for c, n in needs.items()}
    m.sample_level = pyo.Var(samples, m.CAPABILITIES, years, doc="l_{k,c,y}")

    def pipeline(k: int, s: str, y: int) -> float:
        return m.system[s].pipeline_for(buyer).get(y - int(slip[s][k]), 0.0)

    @m.Constraint(samples, m.CAPABILITIES, years, doc="l_{k,c,y} year on year")
    def sample_level_balance(m, k, c, y):
        first = y == years[0]
        before = 0 if first else m.sample_level[k, c, y - 1]
        change = initial[c][y] - (0 if first else initial[c][y - 1])
        arrived = sum(
            e * ((m.sample_delivered[k, s, y] if s in orderable else 0) + pipeline(k, s, y))
            for s, e in m.contributors[c]
        )
        return m.sample_level[k, c, y] == before + change + arrived - consumption[c][y]

    gaps = [(k, c, y) for k in samples for _, c, y in m.GAPS]
    m.sample_gap = pyo.Var(gaps, domain=pyo.NonNegativeReals, doc="g_{k,c,y}")

    @m.Constraint(gaps, doc="g_{k,c,y} ≥ r_{c,y} − l_{k,c,y}")
    def sample_gap_definition(m, k, c, y):
        return m.sample_gap[k, c, y] >= requirement[c][y] - m.sample_level[k, c, y]

    end, tail_weight = scenario.horizon.end, scenario.horizon.tail_weight
    weight = {c.id: c.weight for c in scenario.capabilities}

    def weighted(k: int) -> Any:
        return sum(
            weight[c] * m.sample_gap[k, c, y] / requirement[c][y] * (tail_weight if y > end else 1)
            for _, c, y in m.GAPS
        )

    if risk.measure == "expected":
        return sum(weighted(k) for k in samples) / risk.samples
    m.cvar_threshold = pyo.Var(doc="η")
    m.cvar_excess = pyo.Var(samples, domain=pyo.NonNegativeReals, doc="e_k")

    @m.Constraint(samples, doc="e_k ≥ W_k − η")
    def cvar_excess_definition(m, k):
        return m.cvar_excess[k] >= weighted(k) - m.cvar_threshold

    share = 1 / ((1 - risk.alpha) * risk.samples)
    return m.cvar_threshold + share * sum(m.cvar_excess[k] for k in samples)


def primary_cap(primary_optimum: float) -> float:
    """P*·(1+1e-6)+1e-6: how high stage two may let the primary go."""
    return primary_optimum * (1 + PRIMARY_TOLERANCE) + PRIMARY_TOLERANCE


def switch_to_secondary(m: pyo.ConcreteModel, primary_optimum: float) -> None:
    """Stage two on the Pyomo model: cap the primary and minimise the secondary instead.

    The solve step makes the same edit on HiGHS's copy (``Session.cap``).
    """
    m.primary_cap.set_value(primary_cap(primary_optimum))
    m.primary_at_optimum.activate()
    m.primary_objective.deactivate()
    m.secondary_objective.activate()


def levels_without_orders(m: pyo.ConcreteModel, scenario: Scenario, b: str, c: str) -> list[float]:
    """l_{b,c,t} for every delivery year from stock, pipeline and consumption alone."""
    need = m.needs[b][c]
    initial, used = scenario.series(need.initial), scenario.series(need.consumption)
    levels, level, stock_before = [], 0.0, 0.0
    for t in scenario.delivery_years:
        arrived = sum(e * m.system[s].pipeline_for(b).get(t, 0.0) for s, e in m.contributors[c])
        level += initial[t] - stock_before + arrived - used[t]
        stock_before = initial[t]
        levels.append(level)
    return levels


HARD_RULES = ("deadline", "min_investment")  # the only rules that doing nothing can break


def start_from_nothing(m: pyo.ConcreteModel, scenario: Scenario) -> bool:
    """Load the do-nothing plan into the variables, when it is feasible; whether it is.

    Nothing ordered, adopted, expanded or paid: levels from initial stock,
    pipeline and consumption alone, and the gaps they leave. It meets every
    rule but deadlines and investment floors, so as HiGHS's first incumbent it
    guarantees a plan from a time-limited solve.
    """
    if scenario.objective.risk or any(r.type in HARD_RULES for r in scenario.enabled_rules):
        return False  # (a robust model's sample levels are not set here)
    for var in m.component_data_objects(pyo.Var, descend_into=True):
        var.set_value(0, skip_validation=True)
    for b, c in m.LEVELS:
        requirement = scenario.series(m.needs[b][c].requirement)
        levels = levels_without_orders(m, scenario, b, c)
        for t, level in zip(scenario.delivery_years, levels, strict=True):
            m.level[b, c, t].set_value(level, skip_validation=True)
            if (b, c, t) in m.gap:
                m.gap[b, c, t].set_value(max(0.0, requirement[t] - level), skip_validation=True)
    for b, t in m.unspent:
        m.unspent[b, t].set_value(scenario.money_by(m.budget[b], t), skip_validation=True)
    if hasattr(m, "max_gap"):
        m.max_gap.set_value(max((pyo.value(m.weighted_gap_share[g]) for g in m.GAPS), default=0))
    return True
