"""The Pyomo model of a scenario (DESIGN §4), built in one place.

``build_model`` is pure: no I/O, no solver. It reads as an ordered list of
``add_*`` calls, one per constraint family; the shared expressions
(``payment``, ``delivered``, ``level``, ``spend``) are built once here and the
policy rules in ``optimizer/model/rules`` add rows that use them.

Symbols (see docs/formulation.md):

=================  ==========================  ==========================================
symbol             component                   meaning
=================  ==========================  ==========================================
x_{s,t}            ``order[s, t]``             units of s ordered in year t
a_{s,t}            ``adopted[s, t]``           s adopted by year t (binary)
z_{s,t}            ``expansion_steps[s, t]``   production steps bought for s in year t
f_{b,s,t}          ``funding[b, s, t]``        money from budget b paying for s in t
pay_{s,t}          ``payment[s, t]``           what s costs in year t
d_{s,t}            ``delivered[s, t]``         units of s arriving in year t
l_{c,t}            ``level[c, t]``             level of capability c in year t
g_{c,t}            ``gap[c, t]``               shortfall of c against its requirement
o_s                ``ordered[s]``              s ordered at least once (only when asked for)
=================  ==========================  ==========================================
"""

from typing import Any

import pyomo.environ as pyo

from models import Budget, Scenario, System
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


def add_sets(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """Years, entities, and the sparse index sets where variables can be non-zero.

    Orders and payments fall in the horizon (``YEARS``); deliveries, levels
    and gaps run on through the tail (``DELIVERY_YEARS``).
    """
    last = scenario.delivery_years[-1]
    m.YEARS = pyo.Set(initialize=list(scenario.years), ordered=True)
    m.DELIVERY_YEARS = pyo.Set(initialize=list(scenario.delivery_years), ordered=True)
    m.SYSTEMS = pyo.Set(initialize=[s.id for s in scenario.systems], ordered=True)
    m.CAPABILITIES = pyo.Set(initialize=[c.id for c in scenario.capabilities], ordered=True)
    m.BUDGETS = pyo.Set(initialize=[b.id for b in scenario.budgets], ordered=True)
    m.system = {s.id: s for s in scenario.systems}
    m.budget = {b.id: b for b in scenario.budgets}
    # each system's capacity expanded once: order bounds and capacity rows read it per (s, t)
    m.yearly_capacity = {s.id: scenario.series(s.capacity) for s in scenario.systems}
    m.ORDERS = pyo.Set(
        dimen=2,
        ordered=True,
        doc="(s, t) with t + L_s ≤ end + tail: the order arrives in time",
        initialize=[
            (s.id, t) for s in scenario.systems for t in scenario.years if t + s.lead_time <= last
        ],
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
        dimen=2,
        ordered=True,
        doc="(s, t) for systems that must be adopted before ordering",
        initialize=[
            (s, t)
            for s, t in m.ORDERS
            if not m.system[s].in_service and m.system[s].adoption_cost > 0
        ],
    )
    m.PAYMENTS = pyo.Set(
        dimen=2,
        ordered=True,
        initialize=sorted(
            set(m.ORDERS) | set(m.EXPANSIONS), key=lambda st: (m.SYSTEMS.ord(st[0]), st[1])
        ),
    )
    eligible = {b.id: set(scenario.select(b.eligible)) for b in scenario.budgets}
    has_money = {
        (b.id, t) for b in scenario.budgets for t in scenario.years if _money_by(scenario, b, t) > 0
    }
    m.FUNDING = pyo.Set(
        dimen=3,
        ordered=True,
        doc="(b, s, t) with s eligible for budget b, and money in b by year t",
        initialize=[
            (b, s, t)
            for b in m.BUDGETS
            for s, t in m.PAYMENTS
            if s in eligible[b] and (b, t) in has_money
        ],
    )
    m.GAPS = pyo.Set(
        dimen=2,
        ordered=True,
        doc="(c, t) with a positive requirement",
        initialize=[
            (c.id, t)
            for c in scenario.capabilities
            for t, r in scenario.series(c.requirement).items()
            if r > 0
        ],
    )


def _money_by(scenario: Scenario, budget: Budget, year: int) -> float:
    """What ``budget`` can pay in ``year``: that year's amount, or all so far with carryover."""
    amount = scenario.series(budget.amount)
    if budget.carryover:
        return sum(amount[t] for t in scenario.years if t <= year)
    return amount[year]


def order_bound(m: pyo.ConcreteModel, scenario: Scenario, system: System, year: int) -> float:
    """U_{s,t}: the most of s that capacity lets arrive from an order in ``year``."""
    arrival = year + system.lead_time
    bound = m.yearly_capacity[system.id][arrival]
    if system.expansion and arrival - system.expansion.ramp_up >= scenario.horizon.start:
        bound += system.expansion.capacity * system.expansion.max_steps
    return bound


def add_orders(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """x_{s,t}, integer unless the system is divisible, bounded by capacity."""

    def domain(m: pyo.ConcreteModel, s: str, t: int) -> pyo.Set:
        return pyo.NonNegativeIntegers if m.system[s].integer else pyo.NonNegativeReals

    m.order = pyo.Var(
        m.ORDERS,
        domain=domain,
        bounds=lambda m, s, t: (0, order_bound(m, scenario, m.system[s], t)),
        doc="x_{s,t}: units ordered",
    )


def add_adoption(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """a_{s,t}: a system is adopted once, before or in the year of its first order."""
    m.adopted = pyo.Var(m.ADOPTIONS, domain=pyo.Binary, doc="a_{s,t}: adopted by year t")

    @m.Constraint(m.ADOPTIONS, doc="x_{s,t} ≤ U_{s,t}·a_{s,t}")
    def order_needs_adoption(m, s, t):
        return m.order[s, t] <= m.order[s, t].ub * m.adopted[s, t]

    @m.Constraint(m.ADOPTIONS, doc="a_{s,t} ≥ a_{s,t-1}")
    def adoption_is_kept(m, s, t):
        if (s, t - 1) not in m.adopted:
            return pyo.Constraint.Skip
        return m.adopted[s, t] >= m.adopted[s, t - 1]


def add_expansion(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """z_{s,t}: production steps, each adding capacity after its ramp-up."""
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

    @m.Constraint(m.ORDERS, doc="x_{s,t−L} ≤ cap_{s,t} + Δ_s·Σ_{τ ≤ t−R} z_{s,τ}")
    def capacity(m, s, t):
        system = m.system[s]
        if system.expansion is None:
            return pyo.Constraint.Skip  # the variable's bound is the capacity
        arrival = t + system.lead_time
        steps = [
            m.expansion_steps[s, tau]
            for tau in m.YEARS
            if tau <= arrival - system.expansion.ramp_up and (s, tau) in m.expansion_steps
        ]
        cap = m.yearly_capacity[s][arrival]
        return m.order[s, t] <= cap + system.expansion.capacity * sum(steps)


def add_payments(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """pay_{s,t} = p·x + F·(a_t − a_{t−1}) + K·z, and the budgets that fund it."""
    price = {s.id: scenario.series(s.unit_cost) for s in scenario.systems}

    @m.Expression(m.PAYMENTS, doc="pay_{s,t}")
    def payment(m, s, t):
        system = m.system[s]
        total = 0
        if (s, t) in m.order:
            total += price[s][t] * m.order[s, t]
        if (s, t) in m.adopted:
            before = m.adopted[s, t - 1] if (s, t - 1) in m.adopted else 0
            total += system.adoption_cost * (m.adopted[s, t] - before)
        if (s, t) in m.expansion_steps:
            total += system.expansion.cost * m.expansion_steps[s, t]
        return total

    m.funding = pyo.Var(m.FUNDING, domain=pyo.NonNegativeReals, doc="f_{b,s,t}")

    @m.Constraint(m.PAYMENTS, doc="Σ_b f_{b,s,t} = pay_{s,t}")
    def payment_funded(m, s, t):
        sources = [m.funding[b, s, t] for b in m.BUDGETS if (b, s, t) in m.funding]
        return sum(sources) == m.payment[s, t]


def add_budgets(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """Σ_s f_{b,s,t} ≤ amount_{b,t}, or cumulatively with carryover."""
    by_budget_year: dict[tuple[str, int], list] = {(b, t): [] for b in m.BUDGETS for t in m.YEARS}
    for b, s, t in m.FUNDING:
        by_budget_year[b, t].append(m.funding[b, s, t])

    @m.Expression(m.BUDGETS, m.YEARS, doc="spend_{b,t}")
    def spend(m, b, t):
        return sum(by_budget_year[b, t])

    carried = [b.id for b in scenario.budgets if b.carryover]
    amount = {b.id: scenario.series(b.amount) for b in scenario.budgets}

    @m.Constraint(m.BUDGETS, m.YEARS, doc="spend_{b,t} ≤ amount_{b,t}")
    def budget_limit(m, b, t):
        if b in carried or not by_budget_year[b, t]:
            return pyo.Constraint.Skip
        return m.spend[b, t] <= amount[b][t]

    # With carryover, Σ_{τ≤t} spend ≤ Σ_{τ≤t} amount is written year by year through the
    # money left over, so each year's row holds that year's payments only.
    m.unspent = pyo.Var(carried, m.YEARS, domain=pyo.NonNegativeReals, doc="money carried on")

    @m.Constraint(carried, m.YEARS, doc="unspent_t = unspent_{t−1} + amount_t − spend_t")
    def carryover(m, b, t):
        before = m.unspent[b, t - 1] if t > m.YEARS.first() else 0
        return m.unspent[b, t] == before + amount[b][t] - m.spend[b, t]


def add_levels(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """d_{s,t} from orders and pipeline; l_{c,t} from initial, deliveries and consumption."""

    @m.Expression(m.SYSTEMS, m.DELIVERY_YEARS, doc="d_{s,t} = x_{s,t−L_s} + pipeline_{s,t}")
    def delivered(m, s, t):
        system = m.system[s]
        ordered = t - system.lead_time
        new = m.order[s, ordered] if (s, ordered) in m.order else 0
        return new + system.pipeline.get(t, 0.0)

    m.contributors = contributors = {
        c: [(s.id, s.contributes[c]) for s in scenario.systems if c in s.contributes]
        for c in m.CAPABILITIES
    }
    initial = {c.id: scenario.series(c.initial) for c in scenario.capabilities}
    consumption = {c.id: scenario.series(c.consumption) for c in scenario.capabilities}

    # l_{c,t} = i_{c,t} + Σ_s e_{s,c}·Σ_{τ≤t} d_{s,τ} − Σ_{τ≤t} u_{c,τ}, written year on year
    # so that each row holds one year's deliveries (the cumulative form grows with T²).
    m.level = pyo.Var(m.CAPABILITIES, m.DELIVERY_YEARS, doc="l_{c,t}")

    @m.Constraint(
        m.CAPABILITIES, m.DELIVERY_YEARS, doc="l_t = l_{t−1} + (i_t − i_{t−1}) + Σ e·d_t − u_t"
    )
    def level_balance(m, c, t):
        first = t == m.DELIVERY_YEARS.first()
        before = 0 if first else m.level[c, t - 1]
        change = initial[c][t] - (0 if first else initial[c][t - 1])
        arrived = sum(e * m.delivered[s, t] for s, e in contributors[c])
        return m.level[c, t] == before + change + arrived - consumption[c][t]


def add_gaps(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """g_{c,t} ≥ r_{c,t} − l_{c,t}, g ≥ 0, where the requirement is positive."""
    requirement = {c.id: scenario.series(c.requirement) for c in scenario.capabilities}
    m.gap = pyo.Var(m.GAPS, domain=pyo.NonNegativeReals, doc="g_{c,t}")

    @m.Constraint(m.GAPS, doc="g_{c,t} ≥ r_{c,t} − l_{c,t}")
    def gap_definition(m, c, t):
        return m.gap[c, t] >= requirement[c][t] - m.level[c, t]

    weight = {c.id: c.weight for c in scenario.capabilities}
    end, tail_weight = scenario.horizon.end, scenario.horizon.tail_weight

    @m.Expression(m.GAPS, doc="w_c·g_{c,t}/r_{c,t}, times tail_weight in the tail")
    def weighted_gap_share(m, c, t):
        share = weight[c] * m.gap[c, t] / requirement[c][t]
        return share * tail_weight if t > end else share


SMALLEST_ORDER = 1e-3  # of a divisible system's unit: less counts as not ordered


def add_ordered(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """o_s ∈ {0,1}: s is ordered at least once, both ways; adoption only with an order.

    x_{s,t} ≤ U_{s,t}·o_s (an order sets o_s), o_s·δ_s ≤ Σ_t x_{s,t} (o_s = 1 needs an
    order of at least δ_s: one unit of an integer system, 1e-3 of a divisible one), and
    a_{s,t} ≤ o_s.
    """
    orderable = sorted({s for s, _ in m.ORDERS}, key=m.SYSTEMS.ord)
    m.ordered = pyo.Var(orderable, domain=pyo.Binary, doc="o_s: s ordered at least once")

    @m.Constraint(m.ORDERS, doc="x_{s,t} ≤ U_{s,t}·o_s")
    def order_sets_ordered(m, s, t):
        return m.order[s, t] <= m.order[s, t].ub * m.ordered[s]

    @m.Constraint(orderable, doc="o_s·δ_s ≤ Σ_t x_{s,t}")
    def ordered_needs_order(m, s):
        least = 1.0 if m.system[s].integer else SMALLEST_ORDER
        units = sum(m.order[s, t] for t in m.YEARS if (s, t) in m.order)
        return least * m.ordered[s] <= units

    # a plan that only needs to stay near the optimum could otherwise pay to adopt a system
    # it never orders (even one a rule excludes): adoption comes with an order
    @m.Constraint(m.ADOPTIONS, doc="a_{s,t} ≤ o_s")
    def adoption_needs_order(m, s, t):
        return m.adopted[s, t] <= m.ordered[s]


def add_objectives(m: pyo.ConcreteModel, scenario: Scenario) -> None:
    """The primary objective (active), and the secondary with its cap on the primary (inactive).

    The solve step activates the secondary stage once it knows P*.
    """
    if scenario.objective.primary == "max_gap":
        m.max_gap = pyo.Var(domain=pyo.NonNegativeReals, doc="max_{c,t} w_c·g_{c,t}/r_{c,t}")

        @m.Constraint(m.GAPS, doc="max_gap ≥ w_c·g_{c,t}/r_{c,t}")
        def max_gap_bound(m, c, t):
            return m.max_gap >= m.weighted_gap_share[c, t]

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
        secondary = sum((1 - eu_content[s]) * m.payment[s, t] for s, t in m.PAYMENTS)
    else:
        secondary = sum(m.payment[s, t] for s, t in m.PAYMENTS)
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
    orderable = sorted({s for s, _ in m.ORDERS}, key=m.SYSTEMS.ord)
    flows = [(k, s, y) for k in samples for s in orderable for y in years]
    m.sample_delivered = pyo.Var(flows, domain=pyo.NonNegativeReals, doc="d_{k,s,y}")
    m.sample_backlog = pyo.Var(flows, domain=pyo.NonNegativeReals, doc="b_{k,s,y}")

    def arrivals(k: int, s: str, y: int) -> Any:
        ordered = y - m.system[s].lead_time - int(slip[s][k])
        return m.order[s, ordered] if (s, ordered) in m.order else 0

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

    initial = {c.id: scenario.series(c.initial) for c in scenario.capabilities}
    consumption = {c.id: scenario.series(c.consumption) for c in scenario.capabilities}
    requirement = {c.id: scenario.series(c.requirement) for c in scenario.capabilities}
    m.sample_level = pyo.Var(samples, m.CAPABILITIES, years, doc="l_{k,c,y}")

    def pipeline(k: int, s: str, y: int) -> float:
        return m.system[s].pipeline.get(y - int(slip[s][k]), 0.0)

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

    gaps = [(k, c, y) for k in samples for c, y in m.GAPS]
    m.sample_gap = pyo.Var(gaps, domain=pyo.NonNegativeReals, doc="g_{k,c,y}")

    @m.Constraint(gaps, doc="g_{k,c,y} ≥ r_{c,y} − l_{k,c,y}")
    def sample_gap_definition(m, k, c, y):
        return m.sample_gap[k, c, y] >= requirement[c][y] - m.sample_level[k, c, y]

    end, tail_weight = scenario.horizon.end, scenario.horizon.tail_weight
    weight = {c.id: c.weight for c in scenario.capabilities}

    def weighted(k: int) -> Any:
        return sum(
            weight[c] * m.sample_gap[k, c, y] / requirement[c][y] * (tail_weight if y > end else 1)
            for c, y in m.GAPS
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
    for c in scenario.capabilities:
        initial, used = scenario.series(c.initial), scenario.series(c.consumption)
        requirement = scenario.series(c.requirement)
        level, stock_before = 0.0, 0.0
        for t in scenario.delivery_years:
            arrived = sum(e * m.system[s].pipeline.get(t, 0.0) for s, e in m.contributors[c.id])
            level += initial[t] - stock_before + arrived - used[t]
            stock_before = initial[t]
            m.level[c.id, t].set_value(level, skip_validation=True)
            if (c.id, t) in m.gap:
                m.gap[c.id, t].set_value(max(0.0, requirement[t] - level), skip_validation=True)
    for b, t in m.unspent:
        m.unspent[b, t].set_value(_money_by(scenario, m.budget[b], t), skip_validation=True)
    if hasattr(m, "max_gap"):
        m.max_gap.set_value(max((pyo.value(m.weighted_gap_share[g]) for g in m.GAPS), default=0))
    return True
