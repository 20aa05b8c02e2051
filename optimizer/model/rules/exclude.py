"""x_{b,s,t} = 0 for the rule's buyers, s ∈ systems and from_year ≤ t ≤ until_year.

=========  ===================  ==============================
symbol     component            meaning
=========  ===================  ==============================
x_{b,s,t}  ``m.order[b,s,t]``   units of s b orders in year t
=========  ===================  ==============================
"""

import pyomo.environ as pyo

from models import Scenario
from models.rules import Exclude

TYPE = "exclude"


def add(
    block: pyo.Block, m: pyo.ConcreteModel, scenario: Scenario, rule: Exclude, buyers: list[str]
) -> None:
    """Forbid orders of the matching systems in the rule's years."""
    first = rule.from_year if rule.from_year is not None else scenario.horizon.start
    last = rule.until_year if rule.until_year is not None else scenario.horizon.end
    systems = set(scenario.select(rule.systems))
    index = [
        (b, s, t) for b, s, t in m.ORDERS if b in buyers and s in systems and first <= t <= last
    ]

    @block.Constraint(index, doc="x_{b,s,t} = 0")
    def no_order(_, b, s, t):
        return m.order[b, s, t] <= 0
