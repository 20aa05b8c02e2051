"""Σ_{s contributes to c} o_s ≤ v for each listed capability c, with x_{s,t} ≤ U_{s,t}·o_s.

=========  ======================  ===========================================
symbol     component               meaning
=========  ======================  ===========================================
o_s        ``block.ordered[s]``    s is ordered at least once (binary)
x_{s,t}    ``m.order[s, t]``       units ordered, bounded by U_{s,t}
=========  ======================  ===========================================
"""

import pyomo.environ as pyo

from models import Scenario
from models.rules import MaxTypes

TYPE = "max_types"


def add(block: pyo.Block, m: pyo.ConcreteModel, scenario: Scenario, rule: MaxTypes) -> None:
    """Limit the number of distinct systems ordered for each listed capability."""
    capabilities = rule.capabilities or list(m.CAPABILITIES)
    systems = [
        s
        for s in m.SYSTEMS
        if any(c in m.system[s].contributes for c in capabilities)
        and any(o == s for o, _ in m.ORDERS)
    ]
    block.ordered = pyo.Var(systems, domain=pyo.Binary, doc="o_s")
    orders = [(s, t) for s, t in m.ORDERS if s in set(systems)]

    @block.Constraint(orders, doc="x_{s,t} ≤ U_{s,t}·o_s")
    def order_counts_type(b, s, t):
        return m.order[s, t] <= m.order[s, t].ub * b.ordered[s]

    @block.Constraint(capabilities, doc="Σ_s o_s ≤ v")
    def type_limit(b, c):
        types = [b.ordered[s] for s in systems if c in m.system[s].contributes]
        return sum(types) <= rule.value if types else pyo.Constraint.Skip
