"""Σ_s (ι_s − v)·e_{s,c}·D_s ≥ 0 for each listed capability c (per year: deliveries in t).

=========  ============================  ============================================
symbol     component                     meaning
=========  ============================  ============================================
ι_s        ``System.interoperability``   NATO standards compliance of s, 0..1
e_{s,c}    ``System.contributes``        capability units per unit of s
D_s        ``Σ_{b,t} m.order[b,s,t]``    units the buyers order (per year: arriving in t)
=========  ============================  ============================================
"""

import pyomo.environ as pyo

from models import Scenario
from models.rules import Interoperability
from optimizer.model.rules import new_units, row

TYPE = "interoperability"


def add(
    block: pyo.Block,
    m: pyo.ConcreteModel,
    scenario: Scenario,
    rule: Interoperability,
    buyers: list[str],
) -> None:
    """Keep the average interoperability of new capability units at or above ``value``."""
    capabilities = rule.capabilities or list(m.CAPABILITIES)
    years = list(m.DELIVERY_YEARS) if rule.scope == "per_year" else [None]

    @block.Constraint(
        [(c, t) for c in capabilities for t in years], doc="Σ_s (ι_s − v)·e_{s,c}·D_s ≥ 0"
    )
    def average_interoperability(b, c, t):
        terms = [
            (m.system[s].interoperability - rule.value)
            * m.system[s].contributes[c]
            * new_units(m, s, buyers, t)
            for s in m.SYSTEMS
            if c in m.system[s].contributes
        ]
        return row(sum(terms) >= 0)
