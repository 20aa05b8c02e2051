"""x_{s,t} = 0 for s ∈ systems and from_year ≤ t ≤ until_year.

=========  ===================  ==============================
symbol     component            meaning
=========  ===================  ==============================
x_{s,t}    ``m.order[s, t]``    units of s ordered in year t
=========  ===================  ==============================
"""

import pyomo.environ as pyo

from models import Scenario
from models.rules import Exclude

TYPE = "exclude"


def add(block: pyo.Block, m: pyo.ConcreteModel, scenario: Scenario, rule: Exclude) -> None:
    """Forbid orders of the matching systems in the rule's years."""
    first = rule.from_year if rule.from_year is not None else scenario.horizon.start
    last = rule.until_year if rule.until_year is not None else scenario.horizon.end
    systems = set(scenario.select(rule.systems))
    index = [(s, t) for s, t in m.ORDERS if s in systems and first <= t <= last]

    @block.Constraint(index, doc="x_{s,t} = 0")
    def no_order(b, s, t):
        return m.order[s, t] <= 0
