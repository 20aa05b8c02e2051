"""Infeasible scenarios: status ``infeasible``, no plan, and the rules to relax named (§9).

The scenarios are ``test_rules.micro()`` (one capability ``air`` needing 4,
``us_sys`` at 100 and ``fr_sys`` at 200, capacity 4 each, budget 400, one year)
with the changes each test states. Without hard rules, ordering nothing is
always feasible (gaps absorb any shortfall), so every infeasibility comes from
the rules; the diagnosis names the smallest sets of rules whose removal makes
the scenario feasible, and for a deadline the fraction of its requirement that
can be reached.
"""

import json

import pytest
from ruamel.yaml import YAML
from test_rules import micro, solve_checked
from typer.testing import CliRunner

from optimizer import solve
from optimizer.cli import app

runner = CliRunner()


def solve_infeasible(doc):
    result = solve(doc)
    assert result.status == "infeasible", result.status
    assert not result.has_plan
    assert result.objective is None
    assert result.orders.empty
    assert result.audit() == []  # nothing to audit without a plan
    return result


def named(result) -> dict[str, dict]:
    return {c["rule"]: c for c in result.conflicts}


# An unreachable deadline ----------------------------------------------------------------


def unreachable_deadline_doc():
    # 2026–2028, requirement 10, lead time 1 for both systems, capacity 2 each, money
    # aplenty (10 000 a year). Full air defence from 2027 on.
    rule = {"id": "air_2027", "type": "deadline", "capabilities": ["air"], "year": 2027}
    return micro(
        [rule],
        years=3,
        budget=10_000,
        capabilities=[{"id": "air", "name": "Air defence", "requirement": 10}],
        us={"capacity": 2, "lead_time": 1},
        fr={"capacity": 2, "lead_time": 1},
    )


def test_unreachable_deadline_reports_the_reachable_fraction():
    # Orders in 2026 arrive in 2027: at most 2 + 2 = 4 units; 2027 orders add 4 more in 2028.
    # Levels at most 4 (2027) and 8 (2028) of 10; the deadline holds from 2027 on, so the
    # largest φ with level ≥ φ·10 in both years is min(4/10, 8/10) = 0.4.
    result = solve_infeasible(unreachable_deadline_doc())
    assert [c["rule"] for c in result.conflicts] == ["air_2027"]
    conflict = result.conflicts[0]
    assert conflict["type"] == "deadline"
    assert conflict["relax_with"] == []
    assert conflict["asked"] == pytest.approx(1.0)
    assert conflict["reachable"] == pytest.approx(0.4)
    assert "40%" in conflict["explanation"]


def test_relaxing_the_deadline_to_the_reachable_fraction_is_feasible():
    # The fraction the diagnosis reports is reachable: at 0.4 the scenario solves, with
    # 2 + 2 units ordered in 2026 (to arrive by 2027) and 4 more in 2027.
    # Gaps: 2026 10/10, 2027 6/10, 2028 2/10 → 1.8.
    result = solve_checked(unreachable_deadline_doc(), sets=["rules.air_2027.fraction=0.4"])
    assert result.objective == pytest.approx(1.8)
    assert result.orders.groupby("year")["quantity"].sum().to_dict() == {2026: 4.0, 2027: 4.0}


# A content share no supplier mix can meet -----------------------------------------------


def content_doc():
    # SAFE-style content ≥ 0.65, but us_sys has 0.2 and fr_sys 0.6 eu_content: any purchase
    # lowers the share below 0.65. Initial level 1 of 4, and a deadline: half by 2026.
    rules = [
        {"id": "safe65", "type": "share", "select": {}, "measure": "content", "value": 0.65},
        {
            "id": "air_half",
            "type": "deadline",
            "capabilities": ["air"],
            "year": 2026,
            "fraction": 0.5,
        },
    ]
    return micro(
        rules,
        capabilities=[{"id": "air", "name": "Air defence", "requirement": 4, "initial": 1}],
        fr={"eu_content": 0.6},
    )


def test_content_share_alone_is_met_by_buying_nothing():
    # 0 ≥ 0.65·0: without a deadline the share rule is met by ordering nothing, so the
    # scenario is feasible: level 1 of 4 → gap 0.75, no orders.
    result = solve_checked(content_doc(), sets=["rules.air_half.enabled=false"])
    assert result.objective == pytest.approx(0.75)
    assert result.orders.empty


def test_content_share_no_mix_can_meet_conflicts_with_a_deadline():
    # The deadline needs level 2, one unit more than the initial 1; every unit lowers the
    # content share below 0.65 (0.2 and 0.6 < 0.65). Relaxing either rule alone makes the
    # scenario feasible: both are named, each on its own.
    # - air_half, with safe65 in force: nothing can be bought, the level stays at the
    #   initial 1 of 4 → reachable 0.25 of the asked 0.5.
    # - safe65, with the deadline in force: at least one unit is bought; French only gives
    #   the highest content share, 0.6 → reachable 0.6 of the asked 0.65 (found by
    #   bisection, to within 0.65/1024).
    result = solve_infeasible(content_doc())
    assert result.message == "the scenario is infeasible; relax any one of these rules:"
    conflicts = named(result)
    assert set(conflicts) == {"safe65", "air_half"}
    assert conflicts["safe65"]["type"] == "share"
    assert conflicts["safe65"]["relax_with"] == []
    assert conflicts["safe65"]["asked"] == pytest.approx(0.65)
    assert conflicts["safe65"]["reachable"] == pytest.approx(0.6, abs=1e-3)
    assert conflicts["air_half"]["asked"] == pytest.approx(0.5)
    assert conflicts["air_half"]["reachable"] == pytest.approx(0.25)
    assert "25%" in conflicts["air_half"]["explanation"]


# Rules that contradict each other -------------------------------------------------------


def contradiction_doc():
    # EU spend ≥ 0.6 AND EU spend ≤ 0.3 of all spend: only "no spending" meets both. A
    # deadline (full requirement in 2026, initial 1) forces 3 units. Budget 600. A fourth
    # rule, max_types 2, is a bystander.
    eu = {"groups": ["eu"]}
    rules = [
        {"id": "eu_min", "type": "share", "select": eu, "bound": "min", "value": 0.6},
        {"id": "eu_max", "type": "share", "select": eu, "bound": "max", "value": 0.3},
        {"id": "air_now", "type": "deadline", "capabilities": ["air"], "year": 2026},
        {"id": "few_types", "type": "max_types", "value": 2},
    ]
    return micro(
        rules,
        budget=600,
        capabilities=[{"id": "air", "name": "Air defence", "requirement": 4, "initial": 1}],
    )


def test_contradicting_shares_are_named_and_the_bystander_is_not():
    # Relax eu_min: 3 US (300), EU share 0 ≤ 0.3, 1 type → feasible.
    # Relax eu_max: 1 US + 2 FR (500 ≤ 600), EU share 400/500 = 0.8 ≥ 0.6, 2 types → feasible.
    # Relax air_now: order nothing → feasible.
    # Relax few_types alone: still only "no spending" → infeasible, so it is not named.
    # Reachable values, each with the other rules in force:
    # - air_now: both shares allow only no spending → the initial 1 of 4 → 0.25;
    # - eu_min: 3+ units within 600 with EU share ≤ 0.3: one FR unit needs u ≥ 5 (700 >
    #   600), so no FR at all → the EU share is 0 → 0.0;
    # - eu_max: 3+ units with EU share ≥ 0.6: (u, f) = (1, 2) gives 0.8, (2, 2) gives
    #   400/600 = 2/3, (2, 1) only 0.5 → the lowest cap that can be kept is 2/3.
    result = solve_infeasible(contradiction_doc())
    conflicts = named(result)
    assert set(conflicts) == {"eu_min", "eu_max", "air_now"}
    assert all(c["relax_with"] == [] for c in result.conflicts)
    assert conflicts["air_now"]["reachable"] == pytest.approx(0.25)
    assert conflicts["eu_min"]["reachable"] == pytest.approx(0.0, abs=1e-3)
    assert conflicts["eu_max"]["reachable"] == pytest.approx(2 / 3, abs=1e-3)


def test_investment_floor_against_an_eu_spend_cap():
    # fr_sys can expand (100 a step). At least 100 must go into French lines, and EU spend
    # may be at most 0.3 of all spend; budget 300. The 100 invested is EU spend, so
    # 100 ≤ 0.3(100 + 100u) needs u ≥ 7/3 → 3 US → 400 > 300 (FR units only add EU
    # spend): infeasible, with no deadline involved. Relax the floor: 3 US, feasible. Relax
    # the cap: invest 100 and buy 2 US, feasible. Both rules are named, with what can be
    # reached: under the cap the one step (100) cannot be afforded → investment 0; with the
    # step bought the EU share is at least 100/(100 + 2·100) = 1/3.
    rules = [
        {
            "id": "build_fr",
            "type": "min_investment",
            "select": {"countries": ["FR"]},
            "amount": 100,
        },
        {
            "id": "eu_cap",
            "type": "share",
            "select": {"groups": ["eu"]},
            "bound": "max",
            "value": 0.3,
        },
    ]
    doc = micro(
        rules,
        budget=300,
        fr={"expansion": {"cost": 100, "capacity": 1, "ramp_up": 0, "max_steps": 1}},
    )
    result = solve_infeasible(doc)
    conflicts = named(result)
    assert set(conflicts) == {"build_fr", "eu_cap"}
    assert conflicts["build_fr"]["reachable"] == pytest.approx(0.0, abs=1e-6)
    assert conflicts["eu_cap"]["reachable"] == pytest.approx(1 / 3, abs=1e-3)


def test_two_deadlines_each_unreachable_must_be_relaxed_together():
    # Two capabilities, air (us_sys) and arty (fr_sys), requirement 10 each, capacity 4
    # each, ample money: both deadlines (full requirement in 2026) are out of reach on
    # their own. Relaxing one leaves the other infeasible; the smallest set is the pair,
    # and each is named with the other to relax.
    rules = [
        {"id": "air_now", "type": "deadline", "capabilities": ["air"], "year": 2026},
        {"id": "arty_now", "type": "deadline", "capabilities": ["arty"], "year": 2026},
    ]
    capabilities = [
        {"id": "air", "name": "Air defence", "requirement": 10},
        {"id": "arty", "name": "Artillery", "requirement": 10},
    ]
    doc = micro(rules, budget=10_000, capabilities=capabilities, fr={"contributes": {"arty": 1}})
    result = solve_infeasible(doc)
    conflicts = named(result)
    assert set(conflicts) == {"air_now", "arty_now"}
    assert conflicts["air_now"]["relax_with"] == ["arty_now"]
    assert conflicts["arty_now"]["relax_with"] == ["air_now"]
    assert conflicts["air_now"]["explanation"].startswith(
        "deadline air_now: cannot be met together with arty_now"
    )


# Through the command line ---------------------------------------------------------------


def test_cli_exits_3_naming_the_contradicting_rules(tmp_path):
    path = tmp_path / "contradiction.yaml"
    with path.open("w") as stream:
        YAML(typ="safe", pure=True).dump(contradiction_doc(), stream)
    result = runner.invoke(app, ["solve", str(path)])
    assert result.exit_code == 3, result.output
    assert "infeasible" in result.stderr
    for rule_id in ("eu_min", "eu_max", "air_now"):
        assert rule_id in result.stderr
    assert "few_types" not in result.stderr


def test_cli_json_scenario_reports_the_reachable_fraction(tmp_path):
    path = tmp_path / "deadline.json"
    path.write_text(json.dumps(unreachable_deadline_doc()))
    result = runner.invoke(app, ["solve", str(path), "--format", "json"])
    assert result.exit_code == 3, result.output
    assert "air_2027" in result.stderr
    assert "40%" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "infeasible"
    assert summary["conflicts"][0]["reachable"] == pytest.approx(0.4)
