"""Σ_{s∈A, of k} pay_{s,t} ≤ v·Σ_{s∈A} pay_{s,t} for each supplier k, summed over t.

=========  ====================  ===============================
symbol     component             meaning
=========  ====================  ===============================
pay_{s,t}  ``m.payment[b,s,t]``  what s costs the rule's buyers in t
A          ``rule.select``       the systems the rule looks at
=========  ====================  ===============================
"""

import pyomo.environ as pyo

from models import Scenario
from models.rules import MaxSupplierShare
from optimizer.model.rules import payments_of, row

TYPE = "max_supplier_share"


def add(
    block: pyo.Block,
    m: pyo.ConcreteModel,
    scenario: Scenario,
    rule: MaxSupplierShare,
    buyers: list[str],
) -> None:
    """Cap every supplier's share of the spending on the selected systems."""
    among = scenario.select(rule.select)
    suppliers = sorted({m.system[s].supplier for s in among})

    @block.Constraint(suppliers, doc="Σ_{s of k} pay ≤ v·Σ_A pay")
    def supplier_share(b, k):
        own = [s for s in among if m.system[s].supplier == k]
        return row(payments_of(m, own, buyers) <= rule.value * payments_of(m, among, buyers))
