"""Σ_{s∈S} q_s ≥ v·Σ_{s∈A} q_s (≤ for bound max), per horizon, year or capability.

A is what ``among`` selects (default all), S ⊆ A what ``select`` also selects.
The measure q is ``spend`` (pay_{s,t}), ``content`` (eu_s·pay_{s,t} in the
numerator, pay_{s,t} in the denominator) or ``capability`` (e_{s,c}·x, one row
per capability c).

===========  ======================  ==========================================
symbol       component               meaning
===========  ======================  ==========================================
pay_{s,t}    ``m.payment[b,s,t]``    what s costs in year t, summed over the buyers
x_{s,t}      ``m.order[b,s,t]``      units ordered (D_s = Σ_{b,t} x_{b,s,t})
eu_s         ``System.eu_content``   share of s's value from the content group
e_{s,c}      ``System.contributes``  capability units per unit of s
===========  ======================  ==========================================
"""

from typing import Any

import pyomo.environ as pyo

from models import Scenario
from models.rules import Share
from optimizer.model.rules import new_units, payments_of, row

TYPE = "share"


def _row(rule: Share, part: Any, whole: Any) -> Any:
    if rule.bound == "min":
        return row(part >= rule.value * whole)
    return row(part <= rule.value * whole)


def add(
    block: pyo.Block, m: pyo.ConcreteModel, scenario: Scenario, rule: Share, buyers: list[str]
) -> None:
    """Bound the share of ``select`` within ``among``."""
    among = scenario.select(rule.among)
    chosen = set(scenario.select(rule.select))
    select = [s for s in among if s in chosen]
    content = {s.id: s.eu_content for s in scenario.systems}

    def money(systems: list[str], year: int | None, weighted: bool) -> Any:
        if not weighted:
            return payments_of(m, systems, buyers, year)
        return sum(content[s] * payments_of(m, [s], buyers, year) for s in systems)

    def units(systems: list[str], c: str, year: int | None) -> Any:
        return sum(
            m.system[s].contributes[c] * new_units(m, s, buyers, year)
            for s in systems
            if c in m.system[s].contributes
        )

    content_measure = rule.measure == "content"
    if rule.measure == "capability":
        years = list(m.DELIVERY_YEARS) if rule.scope == "per_year" else [None]
        index = [(c, t) for c in m.CAPABILITIES for t in years]

        @block.Constraint(index, doc="Σ_S e·D ≥ v·Σ_A e·D per capability")
        def capability_share(b, c, t):
            return _row(rule, units(select, c, t), units(among, c, t))
    elif rule.scope == "per_year":

        @block.Constraint(m.YEARS, doc="share of payments in year t")
        def yearly_share(b, t):
            return _row(rule, money(select, t, content_measure), money(among, t, False))
    elif rule.scope == "per_capability":

        def contributing(systems: list[str], c: str) -> list[str]:
            return [s for s in systems if c in m.system[s].contributes]

        @block.Constraint(m.CAPABILITIES, doc="share of payments for capability c")
        def capability_spend_share(b, c):
            return _row(
                rule,
                money(contributing(select, c), None, content_measure),
                money(contributing(among, c), None, False),
            )
    else:
        block.horizon_share = pyo.Constraint(
            rule=lambda b: _row(
                rule, money(select, None, content_measure), money(among, None, False)
            ),
            doc="share of payments over the horizon",
        )
