"""One hand-solved micro scenario per policy rule type and per variant of its parameters.

Every rule test solves its scenario with the rule and with the rule switched
off (``--set rules.<id>.enabled=false`` or a variant patch); ``with_and_without``
also checks that switching a rule off gives the optimum of the file without
it. Both optima are worked out by hand in the comment above the assertions,
and every plan must pass the independent audit.

Unless a test says otherwise the scenario is ``micro()``:

- one year, 2026; one capability ``air`` (weight 1, requirement 4, initial 0);
- ``us_sys`` from ``us_co`` (US): unit cost 100, capacity 4, eu_content 0.2,
  interoperability 1.0, ITAR;
- ``fr_sys`` from ``fr_co`` (FR): unit cost 200, capacity 4, eu_content 0.8,
  interoperability 0.5;
- lead time 0, one budget ``national`` of 400 a year, group ``eu`` = FR, DE.

The objective is Σ_t w·gap/requirement (so one missing unit of four is 0.25 a
year), and the cheapest plan wins among plans with the optimal gap. With u US
and f FR units in a year the budget reads 100u + 200f ≤ 400.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from buyer_docs import joint_doc
from ruamel.yaml import YAML
from typer.testing import CliRunner

from models.filters import Filter
from models.references import scenario_warnings
from optimizer import load_scenario, solve
from optimizer.cli import app
from optimizer.input.errors import ScenarioError

START = 2026


def micro(
    rules: list[dict] | None = None,
    *,
    years: int = 1,
    budget: Any = 400,
    us: dict | None = None,
    fr: dict | None = None,
    capabilities: list[dict] | None = None,
    extra_systems: list[dict] | None = None,
    **top: Any,
) -> dict:
    """The scenario described in the module docstring, as a plain document."""
    doc = {
        "name": "rule-micro",
        "horizon": {"start": START, "end": START + years - 1},
        "groups": {"eu": ["FR", "DE"]},
        "capabilities": capabilities or [{"id": "air", "name": "Air defence", "requirement": 4}],
        "suppliers": [
            {"id": "us_co", "name": "US company", "country": "US"},
            {"id": "fr_co", "name": "French company", "country": "FR"},
        ],
        "systems": [
            {
                "id": "us_sys",
                "name": "US system",
                "supplier": "us_co",
                "contributes": {"air": 1},
                "unit_cost": 100,
                "capacity": 4,
                "eu_content": 0.2,
                "interoperability": 1.0,
                "itar": True,
                **(us or {}),
            },
            {
                "id": "fr_sys",
                "name": "French system",
                "supplier": "fr_co",
                "contributes": {"air": 1},
                "unit_cost": 200,
                "capacity": 4,
                "eu_content": 0.8,
                "interoperability": 0.5,
                **(fr or {}),
            },
            *(extra_systems or []),
        ],
        "budgets": [{"id": "national", "name": "National budget", "amount": budget}],
        "rules": copy.deepcopy(rules or []),
        "solver": {"time_limit": 30, "mip_gap": 0.0},
    }
    doc.update(copy.deepcopy(top))
    return doc


def solve_checked(doc: Any, variant: str | None = None, sets: list[str] | None = None):
    """Solve, require an optimal plan that the independent audit finds valid."""
    result = solve(doc, variant, sets=sets)
    assert result.status == "optimal", f"{result.status}: {result.message} {result.conflicts}"
    problems = result.audit()
    assert problems == [], "audit found violations:\n" + "\n".join(problems)
    return result


def with_and_without(doc: dict, rule_id: str):
    """The optimum with the rule, and with it switched off by ``--set``.

    Switching the rule off must give the same optimum as leaving it out of the file.
    """
    switched_off = solve_checked(doc, sets=[f"rules.{rule_id}.enabled=false"])
    left_out = solve_checked({**doc, "rules": [r for r in doc["rules"] if r["id"] != rule_id]})
    assert switched_off.objective == pytest.approx(left_out.objective)
    assert spend(switched_off) == pytest.approx(spend(left_out))
    return solve_checked(doc), switched_off


def ordered(result, system: str) -> dict[int, float]:
    """{order year: quantity} of one system."""
    rows = result.orders[result.orders["system"] == system]
    return {int(r.year): float(r.quantity) for r in rows.itertuples()}


def spend(result) -> float:
    return float(result.kpis["total_spend"])


# exclude ------------------------------------------------------------------------------


EXCLUDE_US = {"id": "no_us", "type": "exclude", "systems": {"countries": ["US"]}}


def exclude_doc() -> dict:
    return micro(
        [EXCLUDE_US],
        variants={
            "allow-us": {
                "description": "US systems allowed again",
                "patch": {"rules": [{"id": "no_us", "enabled": False}]},
            }
        },
    )


def test_exclude_over_the_horizon():
    # Without: US units cost 100, so the 400 buy 4 → level 4, gap 0; objective 0, spend 400.
    # With no US orders at all: only fr_sys at 200 → 2 units, level 2, gap 2/4 → 0.5.
    # The rule is switched off here through a variant patch instead of --set.
    doc = exclude_doc()
    banned = solve_checked(doc)
    free = solve_checked(doc, variant="allow-us")
    assert free.objective == pytest.approx(0.0)
    assert ordered(free, "us_sys") == {2026: 4.0}
    assert spend(free) == pytest.approx(400.0)
    assert banned.objective == pytest.approx(0.5)
    assert ordered(banned, "us_sys") == {}
    assert ordered(banned, "fr_sys") == {2026: 2.0}


def test_exclude_from_year():
    # 2026–2027, US capacity 2, budget 200 a year: one can afford 2 US or 1 FR a year.
    # Without: 2 US in 2026 (level 2, gap 0.5) and 2 US in 2027 (level 4, gap 0) → 0.5.
    # With US banned from 2027: 2026 unchanged (2 US; 1 FR would leave level 1), 2027 only
    # 1 FR (200) → level 3, gap 0.25 → 0.5 + 0.25 = 0.75. The French order falls in 2027.
    rule = {**EXCLUDE_US, "from_year": 2027}
    doc = micro([rule], years=2, budget=200, us={"capacity": 2})
    banned, free = with_and_without(doc, "no_us")
    assert free.objective == pytest.approx(0.5)
    assert ordered(free, "us_sys") == {2026: 2.0, 2027: 2.0}
    assert banned.objective == pytest.approx(0.75)
    assert ordered(banned, "us_sys") == {2026: 2.0}
    assert ordered(banned, "fr_sys") == {2027: 1.0}


def test_exclude_until_year():
    # Same scenario, US banned until 2026 (so only in 2026). Without: 0.5 as above.
    # With: 2026 only 1 FR (level 1, gap 0.75); 2027 2 US (level 3, gap 0.25) → 1.0.
    # Waiting (nothing in 2026, 2 US in 2027) would give 1 + 0.5 = 1.5, worse.
    rule = {**EXCLUDE_US, "until_year": 2026}
    doc = micro([rule], years=2, budget=200, us={"capacity": 2})
    banned, free = with_and_without(doc, "no_us")
    assert free.objective == pytest.approx(0.5)
    assert banned.objective == pytest.approx(1.0)
    assert ordered(banned, "fr_sys") == {2026: 1.0}
    assert ordered(banned, "us_sys") == {2027: 2.0}


# share: spend -------------------------------------------------------------------------


def test_share_spend_min_over_the_horizon():
    # EU spend ≥ 0.5 of all spend: 200f ≥ 0.5(100u + 200f) ⇔ u ≤ 2f.
    # Without: 4 US (400), gap 0 → 0.
    # With: 3 units at most: (u, f) = (2, 1) costs 400 and meets u ≤ 2f; 4 units would need
    # f ≥ 2 (cost ≥ 600). Level 3, gap 0.25; the plan is 2 US + 1 FR.
    rule = {
        "id": "eu_half",
        "type": "share",
        "select": {"groups": ["eu"]},
        "measure": "spend",
        "bound": "min",
        "value": 0.5,
    }
    ruled, free = with_and_without(micro([rule]), "eu_half")
    assert free.objective == pytest.approx(0.0)
    assert ordered(free, "fr_sys") == {}
    assert ruled.objective == pytest.approx(0.25)
    assert ordered(ruled, "us_sys") == {2026: 2.0}
    assert ordered(ruled, "fr_sys") == {2026: 1.0}


def test_share_spend_max_over_the_horizon():
    # US spend ≤ 0.4 of all spend: 100u ≤ 0.4(100u + 200f) ⇔ 60u ≤ 80f ⇔ u ≤ 4f/3.
    # Without: 4 US → 0.
    # With: 3 units would be (2, 1) (u > 4/3) or (1, 2) (cost 500 > 400): impossible.
    # 2 units: (1, 1) for 300 or (0, 2) for 400 — both gap 0.5, the cheaper (1, 1) wins.
    rule = {
        "id": "us_cap",
        "type": "share",
        "select": {"countries": ["US"]},
        "measure": "spend",
        "bound": "max",
        "value": 0.4,
    }
    ruled, free = with_and_without(micro([rule]), "us_cap")
    assert free.objective == pytest.approx(0.0)
    assert ruled.objective == pytest.approx(0.5)
    assert ordered(ruled, "us_sys") == {2026: 1.0}
    assert ordered(ruled, "fr_sys") == {2026: 1.0}
    assert spend(ruled) == pytest.approx(300.0)


@pytest.mark.parametrize(
    "measure, select",
    [
        # spend: EU spend ≥ 0.5 of all ⇔ u ≤ 2f (as above)
        ("spend", {"groups": ["eu"]}),
        # content over all systems: 0.2·100u + 0.8·200f ≥ 0.5(100u + 200f) ⇔ 60f ≥ 30u ⇔ u ≤ 2f
        ("content", {}),
    ],
)
def test_share_per_year_against_horizon(measure, select):
    # 2026–2027, budget 400 a year, the bound reads u ≤ 2f (see the parameters).
    # Without: 4 US in 2026 → gap 0 in both years → 0, spend 400.
    # Horizon scope: 4 US in 2026 still, balanced by 2 FR in 2027 (U = 4 ≤ 2F = 4) → 0;
    # the cheapest plan reaching level 4 in 2026 is 4 US, so balancing costs 400 more: 800.
    # Per year: in 2026 at most (2, 1) = 3 units → gap 0.25; in 2027 one more unit, and
    # alone it must be French (200) → level 4. Objective 0.25, spend 400 + 200 = 600.
    rule = {
        "id": "eu_half",
        "type": "share",
        "select": select,
        "measure": measure,
        "bound": "min",
        "value": 0.5,
        "scope": "per_year",
    }
    doc = micro([rule], years=2)
    yearly, free = with_and_without(doc, "eu_half")
    horizon = solve_checked(doc, sets=["rules.eu_half.scope=horizon"])
    assert free.objective == pytest.approx(0.0)
    assert spend(free) == pytest.approx(400.0)
    assert horizon.objective == pytest.approx(0.0)
    assert ordered(horizon, "us_sys") == {2026: 4.0}
    assert ordered(horizon, "fr_sys") == {2027: 2.0}
    assert spend(horizon) == pytest.approx(800.0)
    assert yearly.objective == pytest.approx(0.25)
    assert ordered(yearly, "us_sys") == {2026: 2.0}
    assert ordered(yearly, "fr_sys") == {2026: 1.0, 2027: 1.0}
    assert spend(yearly) == pytest.approx(600.0)


def test_share_spend_per_capability():
    # Two capabilities, air and arty (requirement 4 each), budget 800. A third system
    # fr_arty (FR, 100, arty only). EU spend ≥ 0.5 of spend.
    # Without: 4 us_sys (400) + 4 fr_arty (400) → gap 0 → 0.
    # Horizon scope: that plan has EU spend 400 of 800 = 0.5 → it stands, objective 0.
    # Per capability: for air alone u ≤ 2f (arty is all European). Arty 4 (400) leaves 400
    # for air: (2, 1) = 3 units → air gap 0.25. Taking money from arty never pays: air 4
    # needs (2, 2) = 600, leaving arty 2 → 0.5. Objective 0.25.
    capabilities = [
        {"id": "air", "name": "Air defence", "requirement": 4},
        {"id": "arty", "name": "Artillery", "requirement": 4},
    ]
    fr_arty = {
        "id": "fr_arty",
        "name": "French shells",
        "supplier": "fr_co",
        "contributes": {"arty": 1},
        "unit_cost": 100,
        "capacity": 4,
        "eu_content": 0.9,
    }
    rule = {
        "id": "eu_half",
        "type": "share",
        "select": {"groups": ["eu"]},
        "measure": "spend",
        "bound": "min",
        "value": 0.5,
        "scope": "per_capability",
    }
    doc = micro([rule], budget=800, capabilities=capabilities, extra_systems=[fr_arty])
    ruled, free = with_and_without(doc, "eu_half")
    horizon = solve_checked(doc, sets=["rules.eu_half.scope=horizon"])
    # `among` narrows the denominator: over the horizon, among the air systems only, is the
    # same row as the per-capability row for air (arty's has no bite), so again 0.25.
    among_air = solve_checked(
        doc, sets=["rules.eu_half.scope=horizon", "rules.eu_half.among={capabilities: [air]}"]
    )
    assert free.objective == pytest.approx(0.0)
    assert horizon.objective == pytest.approx(0.0)
    assert ordered(horizon, "fr_sys") == {}
    assert ruled.objective == pytest.approx(0.25)
    assert ordered(ruled, "us_sys") == {2026: 2.0}
    assert ordered(ruled, "fr_sys") == {2026: 1.0}
    assert ordered(ruled, "fr_arty") == {2026: 4.0}
    assert among_air.objective == pytest.approx(0.25)
    assert ordered(among_air, "fr_sys") == {2026: 1.0}


# share: content -----------------------------------------------------------------------


def test_share_content_min_safe_rule():
    # SAFE-style: eu_content-weighted spend ≥ 0.65 of all spend (select = every system):
    # 0.2·100u + 0.8·200f ≥ 0.65(100u + 200f) ⇔ 30f ≥ 45u ⇔ u ≤ 2f/3.
    # Without: 4 US → 0.
    # With: f = 1 allows no US; f = 2 allows u = 1 but costs 500 > 400. Best: 2 FR (400),
    # level 2, gap 0.5. (A spend share on "select: everything" would not bite at all.)
    rule = {
        "id": "safe65",
        "type": "share",
        "select": {},
        "measure": "content",
        "bound": "min",
        "value": 0.65,
    }
    ruled, free = with_and_without(micro([rule]), "safe65")
    assert free.objective == pytest.approx(0.0)
    assert ruled.objective == pytest.approx(0.5)
    assert ordered(ruled, "us_sys") == {}
    assert ordered(ruled, "fr_sys") == {2026: 2.0}


def test_share_content_max():
    # US capacity 2. At most 0.4 content-weighted share:
    # 20u + 160f ≤ 0.4(100u + 200f) ⇔ 80f ≤ 20u ⇔ f ≤ u/4.
    # Without: 2 US (200) + 1 FR (200) → level 3, gap 0.25, spend 400.
    # With: u ≤ 2 so f = 0: 2 US, gap 0.5, spend 200.
    rule = {
        "id": "content_cap",
        "type": "share",
        "select": {},
        "measure": "content",
        "bound": "max",
        "value": 0.4,
    }
    ruled, free = with_and_without(micro([rule], us={"capacity": 2}), "content_cap")
    assert free.objective == pytest.approx(0.25)
    assert ordered(free, "fr_sys") == {2026: 1.0}
    assert ruled.objective == pytest.approx(0.5)
    assert ordered(ruled, "fr_sys") == {}
    assert spend(ruled) == pytest.approx(200.0)


# share: capability --------------------------------------------------------------------


def test_share_capability_min():
    # European units ≥ 0.5 of the new units: f ≥ 0.5(u + f) ⇔ f ≥ u.
    # Without: 4 US → 0.
    # With: 3 units need f ≥ 2 (cost ≥ 500); 2 units: (1, 1) for 300 or (0, 2) for 400 →
    # gap 0.5 with 1 US + 1 FR. With one capability, scope per_capability is the same row.
    rule = {
        "id": "eu_units",
        "type": "share",
        "select": {"groups": ["eu"]},
        "measure": "capability",
        "bound": "min",
        "value": 0.5,
    }
    doc = micro([rule])
    ruled, free = with_and_without(doc, "eu_units")
    per_capability = solve_checked(doc, sets=["rules.eu_units.scope=per_capability"])
    assert free.objective == pytest.approx(0.0)
    assert ruled.objective == pytest.approx(0.5)
    assert ordered(ruled, "us_sys") == {2026: 1.0}
    assert ordered(ruled, "fr_sys") == {2026: 1.0}
    assert per_capability.objective == pytest.approx(0.5)


def test_share_capability_max():
    # ITAR units ≤ 0.25 of the new units: u ≤ 0.25(u + f) ⇔ f ≥ 3u.
    # Without: 4 US → 0.
    # With: one US unit needs 3 FR (700 in all, > 400), so no US: 2 FR, gap 0.5.
    rule = {
        "id": "itar_cap",
        "type": "share",
        "select": {"itar": True},
        "measure": "capability",
        "bound": "max",
        "value": 0.25,
    }
    ruled, free = with_and_without(micro([rule]), "itar_cap")
    assert free.objective == pytest.approx(0.0)
    assert ruled.objective == pytest.approx(0.5)
    assert ordered(ruled, "us_sys") == {}
    assert ordered(ruled, "fr_sys") == {2026: 2.0}


def test_share_capability_per_year():
    # 2026–2027, budget 400 a year, European units ≥ half of the units (f ≥ u).
    # Without: 4 US in 2026 → 0.
    # Horizon: level 4 in 2026 needs 4 US, then F ≥ 4 in 2027 costs 800 > 400: no. Level 3
    # in 2026 with (2, 1) = 400, then 1 FR in 2027 (200): F = 2 ≥ U = 2 → 0.25, spend 600.
    # Per year: f ≥ u in each year, so at most 2 units a year ((1, 1) for 300 beats (0, 2)):
    # 2026 level 2 (gap 0.5), 2027 level 4 → 0.5, spend 600.
    rule = {
        "id": "eu_units",
        "type": "share",
        "select": {"groups": ["eu"]},
        "measure": "capability",
        "bound": "min",
        "value": 0.5,
        "scope": "per_year",
    }
    doc = micro([rule], years=2)
    yearly, free = with_and_without(doc, "eu_units")
    horizon = solve_checked(doc, sets=["rules.eu_units.scope=horizon"])
    assert free.objective == pytest.approx(0.0)
    assert horizon.objective == pytest.approx(0.25)
    assert ordered(horizon, "fr_sys") == {2026: 1.0, 2027: 1.0}
    assert spend(horizon) == pytest.approx(600.0)
    assert yearly.objective == pytest.approx(0.5)
    assert ordered(yearly, "us_sys") == {2026: 1.0, 2027: 1.0}
    assert ordered(yearly, "fr_sys") == {2026: 1.0, 2027: 1.0}


# interoperability ---------------------------------------------------------------------


def test_interoperability_over_the_horizon():
    # US capacity 2. Average interoperability of new units ≥ 0.9:
    # (1 − 0.9)u + (0.5 − 0.9)f ≥ 0 ⇔ u ≥ 4f.
    # Without: 2 US + 1 FR (400) → level 3, gap 0.25.
    # With: u ≤ 2 < 4, so f = 0: 2 US → gap 0.5, spend 200.
    rule = {"id": "nato", "type": "interoperability", "value": 0.9}
    ruled, free = with_and_without(micro([rule], us={"capacity": 2}), "nato")
    assert free.objective == pytest.approx(0.25)
    assert ordered(free, "fr_sys") == {2026: 1.0}
    assert ruled.objective == pytest.approx(0.5)
    assert ordered(ruled, "fr_sys") == {}
    assert ordered(ruled, "us_sys") == {2026: 2.0}


def test_interoperability_per_year():
    # 2026–2027, US capacity 2, budget 400 a year, bound u ≥ 4f as above.
    # Without: 2026 2 US + 1 FR (level 3, gap 0.25), 2027 1 US (level 4) → 0.25, spend 500.
    # Horizon: the 2026 FR unit is balanced by 4 US over the two years: 2027 buys 2 US
    # (U = 4 ≥ 4F = 4) → 0.25, spend 600.
    # Per year: no FR in 2026 (2 < 4): level 2 (gap 0.5); 2027 2 US → level 4 → 0.5.
    rule = {
        "id": "nato",
        "type": "interoperability",
        "value": 0.9,
        "capabilities": ["air"],
        "scope": "per_year",
    }
    doc = micro([rule], years=2, us={"capacity": 2})
    yearly, free = with_and_without(doc, "nato")
    horizon = solve_checked(doc, sets=["rules.nato.scope=horizon"])
    assert free.objective == pytest.approx(0.25)
    assert ordered(free, "us_sys") == {2026: 2.0, 2027: 1.0}
    assert spend(free) == pytest.approx(500.0)
    assert horizon.objective == pytest.approx(0.25)
    assert ordered(horizon, "us_sys") == {2026: 2.0, 2027: 2.0}
    assert spend(horizon) == pytest.approx(600.0)
    assert yearly.objective == pytest.approx(0.5)
    assert ordered(yearly, "fr_sys") == {}


def test_interoperability_per_year_with_lead_time():
    # 2026–2027, lead time 1 for both systems, US capacity 2, budget 400 a year. Orders can
    # only be placed in 2026 (a 2027 order would arrive in 2028, after the horizon), so no
    # new unit arrives in 2026: that year's row sums over nothing and holds (0 ≥ 0).
    # Without: 2026 orders 2 US + 1 FR (400) → level 0 in 2026 (gap 1) and 3 in 2027
    # (gap 0.25) → 1.25.
    # With: the units arriving in 2027 need u ≥ 4f → 2 US only → level 2 in 2027 → 1.5.
    rule = {"id": "nato", "type": "interoperability", "value": 0.9, "scope": "per_year"}
    doc = micro([rule], years=2, us={"capacity": 2, "lead_time": 1}, fr={"lead_time": 1})
    yearly, free = with_and_without(doc, "nato")
    assert free.objective == pytest.approx(1.25)
    assert ordered(free, "fr_sys") == {2026: 1.0}
    assert yearly.objective == pytest.approx(1.5)
    assert ordered(yearly, "us_sys") == {2026: 2.0}
    assert ordered(yearly, "fr_sys") == {}


@pytest.mark.parametrize(
    "rule",
    [
        {"id": "void", "type": "interoperability", "value": 0.9, "capabilities": ["arty"]},
        {"id": "void", "type": "max_supplier_share", "value": 0.5, "select": {"tags": ["ammo"]}},
    ],
    ids=["interoperability", "max_supplier_share"],
)
def test_interoperability_and_max_supplier_share_over_systems_that_cannot_arrive(rule):
    # One year; air and arty need 4 each. fr_arty, the only arty system (tag ammo), has
    # lead time 1: it can never arrive inside the horizon, so it is never ordered or paid.
    # A rule about arty's new units, or about the spending on fr_arty, sums over nothing
    # (0 ≥ 0, 0 ≤ 0.5·0) and cannot bind. With or without it: 4 US (400) close air, arty
    # keeps its gap → objective 0 + 1 = 1.0.
    capabilities = [
        {"id": "air", "name": "Air defence", "requirement": 4},
        {"id": "arty", "name": "Artillery", "requirement": 4},
    ]
    fr_arty = {
        "id": "fr_arty",
        "name": "French shells",
        "supplier": "fr_co",
        "contributes": {"arty": 1},
        "unit_cost": 100,
        "capacity": 4,
        "lead_time": 1,
        "tags": ["ammo"],
    }
    doc = micro([rule], capabilities=capabilities, extra_systems=[fr_arty])
    ruled, free = with_and_without(doc, "void")
    assert free.objective == pytest.approx(1.0)
    assert ruled.objective == pytest.approx(1.0)
    assert ordered(ruled, "us_sys") == {2026: 4.0}


# max_supplier_share -------------------------------------------------------------------


def test_max_supplier_share():
    # No supplier above 0.6 of spend: 100u ≤ 0.6(100u + 200f) ⇔ u ≤ 3f, and
    # 200f ≤ 0.6(100u + 200f) ⇔ f ≤ 0.75u.
    # Without: 4 US → 0.
    # With: 4 units would need f ≥ 1 and u ≤ 3f: (3, 1) costs 500 > 400. 3 units: (2, 1)
    # for 400 meets both (US 0.5, FR 0.5). Gap 0.25.
    rule = {"id": "no_monopoly", "type": "max_supplier_share", "value": 0.6}
    ruled, free = with_and_without(micro([rule]), "no_monopoly")
    assert free.objective == pytest.approx(0.0)
    assert ruled.objective == pytest.approx(0.25)
    assert ordered(ruled, "us_sys") == {2026: 2.0}
    assert ordered(ruled, "fr_sys") == {2026: 1.0}


def test_max_supplier_share_select_limits_what_is_counted():
    # A third system, de_sys (DE, 100, capacity 4, not selected). The cap 0.6 applies among
    # us_sys and fr_sys only. Without: 4 of the cheapest — a tie between us_sys and de_sys
    # at 100 each, objective 0. With the cap on {us_sys, fr_sys}: buying 4 de_sys spends
    # nothing on the selected systems (0 ≤ 0.6·0), so objective 0 still, spend 400 — but no
    # US unit may be bought without a French one: US alone would be 100 % of the selected
    # spend. So us_sys gets no order.
    de_co = {"id": "de_co", "name": "German company", "country": "DE"}
    de_sys = {
        "id": "de_sys",
        "name": "German system",
        "supplier": "de_co",
        "contributes": {"air": 1},
        "unit_cost": 100,
        "capacity": 4,
    }
    rule = {
        "id": "no_monopoly",
        "type": "max_supplier_share",
        "value": 0.6,
        "select": {"systems": ["us_sys", "fr_sys"]},
    }
    doc = micro([rule], extra_systems=[de_sys])
    doc["suppliers"].append(de_co)
    ruled, free = with_and_without(doc, "no_monopoly")
    assert free.objective == pytest.approx(0.0)
    assert spend(free) == pytest.approx(400.0)
    assert ruled.objective == pytest.approx(0.0)
    assert ordered(ruled, "us_sys") == {}
    assert ordered(ruled, "de_sys") == {2026: 4.0}


# max_types ----------------------------------------------------------------------------


def test_max_types():
    # US capacity 2. Without: 2 US + 1 FR (400) → level 3, gap 0.25 — two types.
    # At most one type for air: US only gives 2 units (200), FR only 2 units (400); both
    # leave gap 0.5 and the cheaper US-only plan wins.
    rule = {"id": "one_type", "type": "max_types", "value": 1, "capabilities": ["air"]}
    ruled, free = with_and_without(micro([rule], us={"capacity": 2}), "one_type")
    assert free.objective == pytest.approx(0.25)
    assert set(free.orders["system"]) == {"us_sys", "fr_sys"}
    assert ruled.objective == pytest.approx(0.5)
    assert ordered(ruled, "us_sys") == {2026: 2.0}
    assert ordered(ruled, "fr_sys") == {}
    assert spend(ruled) == pytest.approx(200.0)


def test_max_types_ignores_systems_only_in_service():
    # fr_sys is in service (already operated) but not ordered: it does not count.
    # value 1 with US capacity 4: 4 US alone → 0, as without the rule.
    rule = {"id": "one_type", "type": "max_types", "value": 1}
    ruled, free = with_and_without(micro([rule], fr={"in_service": True}), "one_type")
    assert free.objective == pytest.approx(0.0)
    assert ruled.objective == pytest.approx(0.0)
    assert ordered(ruled, "us_sys") == {2026: 4.0}


# deadline -----------------------------------------------------------------------------


def deadline_doc() -> dict:
    capabilities = [
        {"id": "air", "name": "Air defence", "requirement": 4, "weight": 3},
        {"id": "arty", "name": "Artillery", "requirement": 4, "weight": 1},
    ]
    rule = {
        "id": "arty_2027",
        "type": "deadline",
        "capabilities": ["arty"],
        "year": 2027,
        "fraction": 0.75,
    }
    return micro([rule], years=2, capabilities=capabilities, fr={"contributes": {"arty": 1}})


def test_deadline_from_a_year_on():
    # 2026–2027, budget 400 a year. Two capabilities, requirement 4 each: air (weight 3),
    # met by us_sys (100), and arty (weight 1), met by fr_sys (200) only.
    # Without: a US unit removes 3/4 per 100, a FR unit 1/4 per 200, so 2026 buys 4 US (air
    # gap 0 for good) and 2027 2 FR: arty gaps 1 + 0.5 → objective 1.5.
    # With arty ≥ 0.75·4 = 3 from 2027: 2027 buys at most 2 FR, so one FR must come in
    # 2026, leaving 200 for 2 US: air level 2 in both years (3·0.5·2 = 3), arty 1 then 3
    # (0.75 + 0.25 = 1) → 4.0. (Two FR in 2026 and 1 FR + 2 US in 2027 gives 5.25.)
    ruled, free = with_and_without(deadline_doc(), "arty_2027")
    assert free.objective == pytest.approx(1.5)
    assert ordered(free, "us_sys") == {2026: 4.0}
    assert ordered(free, "fr_sys") == {2027: 2.0}
    assert ruled.objective == pytest.approx(4.0)
    assert ordered(ruled, "us_sys") == {2026: 2.0}
    assert ordered(ruled, "fr_sys") == {2026: 1.0, 2027: 2.0}


# min_investment -----------------------------------------------------------------------

EXPANSION = {"expansion": {"cost": 100, "capacity": 1, "ramp_up": 0, "max_steps": 2}}


def test_min_investment_amount():
    # fr_sys can expand: 100 a step, +1 unit a year, no ramp-up, at most 2 steps.
    # Without: 4 US → 0, nothing invested (the expansion adds nothing the plan needs).
    # With at least 100 invested in French lines: 1 step (100) leaves 300 → 3 US, gap 0.25.
    rule = {
        "id": "build_fr",
        "type": "min_investment",
        "select": {"suppliers": ["fr_co"]},
        "amount": 100,
    }
    ruled, free = with_and_without(micro([rule], fr=EXPANSION), "build_fr")
    assert free.objective == pytest.approx(0.0)
    assert free.investments.empty
    assert ruled.objective == pytest.approx(0.25)
    assert ruled.investments["system"].tolist() == ["fr_sys"]
    assert ruled.investments["steps"].sum() == pytest.approx(1.0)
    assert ordered(ruled, "us_sys") == {2026: 3.0}


def test_min_investment_share():
    # The same expansion; investment ≥ 0.5 of all spend (the investment included):
    # 100z ≥ 0.5(100u + 200f + 100z) ⇔ 50z ≥ 50u + 100f. With z ≤ 2: u ≤ 2 and f = 0 buys
    # the most; u = 2, z = 2 costs 400 → gap 0.5. (f = 1, u = 1 needs z ≥ 3 > max_steps.)
    rule = {
        "id": "build_half",
        "type": "min_investment",
        "select": {"groups": ["eu"]},
        "share": 0.5,
    }
    ruled, free = with_and_without(micro([rule], fr=EXPANSION), "build_half")
    assert free.objective == pytest.approx(0.0)
    assert ruled.objective == pytest.approx(0.5)
    assert ruled.investments["steps"].sum() == pytest.approx(2.0)
    assert ordered(ruled, "us_sys") == {2026: 2.0}
    assert ordered(ruled, "fr_sys") == {}


# filters and validation ---------------------------------------------------------------


def test_filter_selecting_nothing_is_a_warning_not_an_error():
    # No system comes from China: the rule selects nothing, which is legal (a warning).
    # It excludes nothing, so the optimum is the unconstrained one: 4 US, gap 0.
    rule = {"id": "no_cn", "type": "exclude", "systems": {"countries": ["CN"]}}
    doc = micro([rule])
    doc["budgets"].append({"id": "lunar", "amount": 100, "eligible": {"tags": ["moon"]}})
    warnings = scenario_warnings(load_scenario(doc))
    assert "rules[0] (no_cn).systems: selects no system" in warnings
    assert "budgets[1].eligible: selects no system" in warnings
    result = solve_checked(doc)
    assert result.objective == pytest.approx(0.0)
    assert ordered(result, "us_sys") == {2026: 4.0}


def test_share_min_with_a_select_that_selects_nothing_forbids_spending():
    # Nothing is Chinese: the numerator is 0, so 0 ≥ 0.5·(all spend) allows no spending.
    # Without: 4 US → 0. With: nothing bought → gap 4/4 → 1.0 (and a warning, not an error).
    rule = {"id": "cn_half", "type": "share", "select": {"countries": ["CN"]}, "value": 0.5}
    doc = micro([rule])
    assert scenario_warnings(load_scenario(doc)) == ["rules[0] (cn_half).select: selects no system"]
    ruled, free = with_and_without(doc, "cn_half")
    assert free.objective == pytest.approx(0.0)
    assert ruled.objective == pytest.approx(1.0)
    assert ruled.orders.empty


def test_filter_keys_and_across_or_within_and_not():
    # AND across keys, OR inside a list, `not` inverts. fr_arty as in the per-capability test.
    fr_arty = {
        "id": "fr_arty",
        "name": "French shells",
        "supplier": "fr_co",
        "contributes": {"arty": 1},
        "unit_cost": 100,
        "capacity": 4,
        "eu_content": 0.9,
        "tags": ["ammo"],
    }
    capabilities = [
        {"id": "air", "name": "Air defence", "requirement": 4},
        {"id": "arty", "name": "Artillery", "requirement": 4},
    ]
    scenario = load_scenario(micro(capabilities=capabilities, extra_systems=[fr_arty]))

    def select(**keys):
        return scenario.select(Filter.model_validate(keys))

    assert select() == ["us_sys", "fr_sys", "fr_arty"]
    assert select(countries=["US", "FR"]) == ["us_sys", "fr_sys", "fr_arty"]
    assert select(groups=["eu"], capabilities=["air"]) == ["fr_sys"]
    assert select(capabilities=["air", "arty"], eu_content_min=0.5) == ["fr_sys", "fr_arty"]
    assert select(eu_content_max=0.5) == ["us_sys"]
    assert select(itar=False, interoperability_min=0.9) == ["fr_arty"]
    assert select(**{"not": {"tags": ["ammo"]}}) == ["us_sys", "fr_sys"]
    assert select(suppliers=["fr_co"], systems=["us_sys"]) == []


def test_unknown_rule_type_and_out_of_range_value_name_the_rule():
    doc = micro(
        [
            {"id": "typo", "type": "exclusion", "systems": {}},
            {"id": "too_much", "type": "share", "select": {}, "value": 1.5},
        ]
    )
    with pytest.raises(ScenarioError) as error:
        load_scenario(doc)
    problems = error.value.problems
    assert any(p.startswith("rules[0] (typo)") for p in problems), problems
    assert "rules[1] (too_much).value: must be ≤ 1" in problems


# For the catalogue's audit test: a scenario per rule type in which the optimum without
# the rule breaks the rule (so the audit must flag that plan once the rule is on).
# joint ------------------------------------------------------------------------------------
# Two buyers (tests/buyer_docs.py): a needs 10 of cap, b needs 1 and has it. The system costs
# 1 a unit, capacity 20, content 0.9. a's only money is a_safe (10), usable only when two
# buyers order the system in the same year; b has b_money (5).


def test_joint_makes_a_second_buyer_order_one_unit():
    # Without the rule a buys 10 from a_safe: P* = 0, cost 10. With it, a_safe pays only for a
    # joint order, so b orders one unit from b_money (useless to b, but it unlocks a's
    # money): P* = 0 still, cost 11; b orders exactly 1.
    joint, free = with_and_without(joint_doc(), "safe_joint")
    assert joint.objective == pytest.approx(0.0) and free.objective == pytest.approx(0.0)
    b_orders = joint.orders[joint.orders["buyer"] == "b"]
    assert b_orders["quantity"].sum() == 1 and spend(joint) == pytest.approx(11.0)
    assert free.orders["buyer"].tolist() == ["a"] and spend(free) == pytest.approx(10.0)


def test_joint_cannot_be_met_exits_3_naming_the_rule(tmp_path):
    # b has no money, so no joint order is possible and a_safe stays shut; a's deadline (10 by
    # 2026) then cannot be met. Dropping either rule makes it feasible; the joint rule's
    # explanation names the order that lacks a partner.
    doc = joint_doc()
    doc["budgets"][1]["amount"] = 0
    doc["rules"].append(
        {
            "id": "a_ready",
            "type": "deadline",
            "capabilities": ["cap"],
            "year": 2026,
            "buyers": ["a"],
        }
    )
    path = tmp_path / "joint.yaml"
    with path.open("w") as stream:
        YAML(typ="safe", pure=True).dump(doc, stream)
    result = CliRunner().invoke(app, ["solve", str(path)])
    assert result.exit_code == 3, result.output
    assert "joint safe_joint: no second buyer orders sys in 2026" in result.stderr
    assert "a_ready" in result.stderr


BITING = {
    "joint": (joint_doc, "safe_joint"),
    "exclude": (exclude_doc, "no_us"),
    "share": (
        lambda: micro(
            [{"id": "eu_half", "type": "share", "select": {"groups": ["eu"]}, "value": 0.5}]
        ),
        "eu_half",
    ),
    "interoperability": (
        lambda: micro(
            [{"id": "nato", "type": "interoperability", "value": 0.9}], us={"capacity": 2}
        ),
        "nato",
    ),
    "max_supplier_share": (
        lambda: micro([{"id": "no_monopoly", "type": "max_supplier_share", "value": 0.6}]),
        "no_monopoly",
    ),
    "max_types": (
        lambda: micro([{"id": "one_type", "type": "max_types", "value": 1}], us={"capacity": 2}),
        "one_type",
    ),
    "deadline": (deadline_doc, "arty_2027"),
    "min_investment": (
        lambda: micro(
            [
                {
                    "id": "build_fr",
                    "type": "min_investment",
                    "select": {"suppliers": ["fr_co"]},
                    "amount": 100,
                }
            ],
            fr=EXPANSION,
        ),
        "build_fr",
    ),
}
