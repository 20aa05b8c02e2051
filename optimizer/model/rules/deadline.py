"""l_{c,t} ≥ fraction·r_{c,t} for each listed capability c and every year t ≥ year.

=========  ==================  ==================================
symbol     component           meaning
=========  ==================  ==================================
l_{c,t}    ``m.level[c, t]``   level of capability c in year t
r_{c,t}    ``requirement``     the capability's requirement
=========  ==================  ==================================
"""

import pyomo.environ as pyo

from models import Scenario
from models.rules import Deadline

TYPE = "deadline"


def add(block: pyo.Block, m: pyo.ConcreteModel, scenario: Scenario, rule: Deadline) -> None:
    """Hold the listed capabilities at the required fraction from the rule's year."""
    requirement = {c.id: scenario.series(c.requirement) for c in scenario.capabilities}
    index = [(c, t) for c in rule.capabilities for t in m.YEARS if t >= rule.year]

    @block.Constraint(index, doc="l_{c,t} ≥ fraction·r_{c,t}")
    def level_reached(b, c, t):
        return m.level[c, t] >= rule.fraction * requirement[c][t]
