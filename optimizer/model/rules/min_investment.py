"""Σ_{s∈select} Σ_t k_{b,s,t} ≥ amount, or ≥ share·Σ_{s,t} pay_{b,s,t}, over the rule's buyers.

k_{b,s,t} is what buyer b pays towards expansion steps (K_s·z_{s,t} with one buyer).

=========  ============================  ===================================
symbol     component                     meaning
=========  ============================  ===================================
K_s        ``System.expansion.cost``     money per production step
z_{s,t}    ``m.expansion_steps[s, t]``   steps bought for s in year t
pay_{s,t}  ``m.payment[s, t]``           what s costs in year t
=========  ============================  ===================================
"""

import pyomo.environ as pyo

from models import Scenario
from models.rules import MinInvestment
from optimizer.model.rules import expansion_paid, payments_of

TYPE = "min_investment"


def add(
    block: pyo.Block,
    m: pyo.ConcreteModel,
    scenario: Scenario,
    rule: MinInvestment,
    buyers: list[str],
) -> None:
    """Require a floor on spending for production expansion of the selected systems."""
    chosen = set(scenario.select(rule.select))
    invested = sum(
        expansion_paid(m, b, s, t) for s, t in m.EXPANSIONS if s in chosen for b in buyers
    )
    if rule.amount is not None:
        floor = rule.amount
    else:
        floor = rule.share * payments_of(m, list(m.SYSTEMS), buyers)
    if isinstance(invested, int):
        # Nothing selected can be expanded: the floor can only be met at zero.
        block.no_expansion = pyo.Var(bounds=(0, 0), doc="stands for Σ K·z when it is empty")
        invested = block.no_expansion
    block.investment_floor = pyo.Constraint(expr=invested >= floor, doc="Σ K·z ≥ floor")
