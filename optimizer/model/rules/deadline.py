"""Σ_b l_{b,c,t} ≥ fraction·Σ_b r_{b,c,t} for each listed capability c and year t ≥ year.

The sums run over the rule's buyers: one buyer, or the listed ones ``together``.

=========  ==================  ==================================
symbol     component           meaning
=========  ==================  ==================================
l_{b,c,t}  ``m.level[b,c,t]``  buyer b's level of capability c
r_{b,c,t}  ``requirement``     buyer b's requirement
=========  ==================  ==================================
"""

import pyomo.environ as pyo

from models import Scenario
from models.rules import Deadline

TYPE = "deadline"


def add(
    block: pyo.Block, m: pyo.ConcreteModel, scenario: Scenario, rule: Deadline, buyers: list[str]
) -> None:
    """Hold the listed capabilities at the required fraction from the rule's year."""
    needing = {c: [b for b in buyers if (b, c) in m.LEVELS] for c in rule.capabilities}
    requirement = {
        (b, c): scenario.series(m.needs[b][c].requirement) for c in needing for b in needing[c]
    }
    index = [(c, t) for c in rule.capabilities if needing[c] for t in m.YEARS if t >= rule.year]

    @block.Constraint(index, doc="Σ_b l_{b,c,t} ≥ fraction·Σ_b r_{b,c,t}")
    def level_reached(_, c, t):
        level = sum(m.level[b, c, t] for b in needing[c])
        return level >= rule.fraction * sum(requirement[b, c][t] for b in needing[c])
