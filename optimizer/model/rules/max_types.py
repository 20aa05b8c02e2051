"""Σ_{s contributes to c} o_s ≤ v for each listed capability c, with x_{b,s,t} ≤ U_{s,t}·o_s.

o_s counts the rule's buyers' orders: one buyer's types, or those of the buyers together.

=========  ======================  ===========================================
symbol     component               meaning
=========  ======================  ===========================================
o_s        ``block.ordered[s]``    s is ordered at least once (binary)
x_{b,s,t}  ``m.order[b,s,t]``     units ordered, bounded by U_{s,t}
=========  ======================  ===========================================
"""

import pyomo.environ as pyo

from models import Scenario
from models.rules import MaxTypes

TYPE = "max_types"


def add(
    block: pyo.Block, m: pyo.ConcreteModel, scenario: Scenario, rule: MaxTypes, buyers: list[str]
) -> None:
    """Limit the number of distinct systems ordered for each listed capability."""
    capabilities = rule.capabilities or list(m.CAPABILITIES)
    relevant = {s for s in m.SYSTEMS if any(c in m.system[s].contributes for c in capabilities)}
    orders = [(b, s, t) for b, s, t in m.ORDERS if s in relevant and b in buyers]
    systems = sorted({s for _, s, _ in orders}, key=m.SYSTEMS.ord)
    block.ordered = pyo.Var(systems, domain=pyo.Binary, doc="o_s")

    @block.Constraint(orders, doc="x_{b,s,t} ≤ U_{s,t}·o_s")
    def order_counts_type(blk, b, s, t):
        return m.order[b, s, t] <= m.order[b, s, t].ub * blk.ordered[s]

    @block.Constraint(capabilities, doc="Σ_s o_s ≤ v")
    def type_limit(blk, c):
        types = [blk.ordered[s] for s in systems if c in m.system[s].contributes]
        return sum(types) <= rule.value if types else pyo.Constraint.Skip
