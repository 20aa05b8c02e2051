"""Joint procurement: the listed budgets pay for s in t only when enough buyers order s in t.

j_{b,s,t} ∈ {0,1} says buyer b orders s in t (j_{b,s,t} ≤ x_{b,s,t}: at least one unit, also of
a divisible system, so that a token order does not make a partner); w_{s,t} ∈ {0,1} says
the order is joint: Σ_b j_{b,s,t} ≥ min_buyers·w_{s,t} and, for each group g in
``min_in_group``, Σ_{b in g} j_{b,s,t} ≥ n_g·w_{s,t}; each listed budget β then pays for s
in t only with w: Σ_b f_{β,b,s,t} ≤ M_{β,t}·w_{s,t}, M_{β,t} the most β can pay in t. The
binaries exist only for the (s, t) that a listed budget could fund.

===========  ===========================  =============================================
symbol       component                    meaning
===========  ===========================  =============================================
j_{b,s,t}    ``block.orders[b, s, t]``    buyer b orders s in year t (binary)
w_{s,t}      ``block.joint[s, t]``        s is ordered jointly in year t (binary)
f_{β,b,s,t}  ``m.funding[β, b, s, t]``    money from budget β paying b's bill for s
===========  ===========================  =============================================

A buyer counts for a group when every one of its countries is in that group.
"""

import pyomo.environ as pyo

from models import Scenario
from models.rules import Joint

TYPE = "joint"


def add(
    block: pyo.Block, m: pyo.ConcreteModel, scenario: Scenario, rule: Joint, buyers: list[str]
) -> None:
    """Let the listed budgets pay for a system in a year only when it is ordered jointly."""
    first = rule.from_year if rule.from_year is not None else scenario.horizon.start
    last = rule.until_year if rule.until_year is not None else scenario.horizon.end
    partners = rule.buyers or scenario.buyer_ids
    listed = set(rule.budgets)
    funded = [
        (beta, b, s, t) for beta, b, s, t in m.FUNDING if beta in listed and first <= t <= last
    ]
    lines = sorted({(s, t) for _, _, s, t in funded}, key=lambda st: (m.SYSTEMS.ord(st[0]), st[1]))
    orders = [(b, s, t) for s, t in lines for b in partners if (b, s, t) in m.order]
    block.orders = pyo.Var(orders, domain=pyo.Binary, doc="j_{b,s,t}")
    block.joint = pyo.Var(lines, domain=pyo.Binary, doc="w_{s,t}")

    @block.Constraint(orders, doc="j_{b,s,t} ≤ x_{b,s,t}")
    def counts_only_an_order(blk, b, s, t):
        return blk.orders[b, s, t] <= m.order[b, s, t]

    ordering = {st: [] for st in lines}
    for b, s, t in orders:
        ordering[s, t].append(b)

    @block.Constraint(lines, doc="Σ_b j_{b,s,t} ≥ min_buyers·w_{s,t}")
    def enough_buyers(blk, s, t):
        return sum(blk.orders[b, s, t] for b in ordering[s, t]) >= rule.min_buyers * blk.joint[s, t]

    countries = {b.id: set(b.countries) for b in scenario.buyers}
    members = {
        g: [b for b in partners if countries.get(b) and countries[b] <= set(scenario.groups[g])]
        for g in rule.min_in_group
    }

    @block.Constraint(lines, list(rule.min_in_group), doc="Σ_{b∈g} j_{b,s,t} ≥ n_g·w_{s,t}")
    def enough_in_group(blk, s, t, g):
        inside = sum(blk.orders[b, s, t] for b in ordering[s, t] if b in members[g])
        return inside >= rule.min_in_group[g] * blk.joint[s, t]

    most = {(beta, t): scenario.money_by(m.budget[beta], t) for beta in listed for t in m.YEARS}
    paying = {(beta, s, t): [] for beta, _, s, t in funded}
    for beta, b, s, t in funded:
        paying[beta, s, t].append(m.funding[beta, b, s, t])

    @block.Constraint(list(paying), doc="Σ_b f_{β,b,s,t} ≤ M_{β,t}·w_{s,t}")
    def pays_only_joint(blk, beta, s, t):
        return sum(paying[beta, s, t]) <= most[beta, t] * blk.joint[s, t]
