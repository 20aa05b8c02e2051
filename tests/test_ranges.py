"""Near-optimal ranges and alternatives (DESIGN §15), on micro scenarios worked out by hand.

Every plan behind a range end and every alternative is audited and has a primary within
the slack; the slack-0 ranges are checked against a brute-force enumeration of every plan
of a scenario small enough to enumerate.
"""

import itertools
import json
import math

import pytest
import yaml_helpers
from conftest import micro
from typer.testing import CliRunner

import optimizer
from optimizer.cli import app
from optimizer.input.errors import ScenarioError


def ranges(*args, **kwargs):
    """``optimizer.ranges`` in this process (one test checks the worker processes)."""
    return optimizer.ranges(*args, **{"jobs": 1, **kwargs})


def interchangeable(eu_capacity: float = 10) -> dict:
    # One year, requirement 10, nothing in stock. An EU (DE) and a US system, each 1 a unit,
    # each contributing 1, delivered in the year ordered; money 100.
    return micro(
        capability={"requirement": 10},
        suppliers=[{"id": "de", "country": "DE"}, {"id": "us", "country": "US"}],
        systems=[
            {"id": "eu_sys", "supplier": "de", "capacity": eu_capacity},
            {"id": "us_sys", "supplier": "us"},
        ],
    )


def check_plans(found, slack: float = 0.0, abs_slack: float = 0.0) -> None:
    """Every plan behind the table is valid and near-optimal."""
    for variant, optimum in found.optima.items():
        cap = optimum.objective * (1 + slack) + abs_slack + 1e-6
        for plan in [r for (v, _, _), r in found.ends.items() if v == variant] + found.alternatives[
            variant
        ]:
            assert plan.audit() == []
            assert plan.objective <= cap


def test_interchangeable_systems_leave_the_us_share_free():
    # 10 units of either close the gap (P* = 0); at slack 0 every mix of 10 units, and any
    # extra the money allows, is optimal: the US share ranges over [0, 1].
    found = ranges(interchangeable(), axes=["spend_share.US", "spend_share.eu"], slack=0.0)
    table = found.table.set_index("axis")
    assert table.loc["spend_share.US", ["min", "max"]].tolist() == pytest.approx([0.0, 1.0])
    assert table.loc["spend_share.eu", ["min", "max"]].tolist() == pytest.approx([0.0, 1.0])
    check_plans(found)


def test_a_capacity_limit_forces_part_of_the_us_share():
    # The EU line delivers at most 4: closing the gap needs at least 6 US units, so the US
    # share is at least 6 / (4 + 6) = 0.6 (buying more US only raises it); at most 1 (all US).
    found = ranges(interchangeable(eu_capacity=4), axes=["spend_share.US"], slack=0.0)
    row = found.table.set_index("axis").loc["spend_share.US"]
    assert (row["min"], row["max"]) == pytest.approx((0.6, 1.0))
    low = found.ends["baseline", "spend_share.US", "min"]
    assert low.orders.set_index("system")["quantity"].to_dict() == pytest.approx(
        {"eu_sys": 4, "us_sys": 6}
    )
    check_plans(found)


def test_no_plan_pays_to_adopt_a_system_a_rule_excludes():
    # The US system needs adoption (5) and a rule excludes it. A near-optimal plan could pay
    # the adoption without ordering (the primary does not mind): adoption needs an order, so
    # the US share stays 0 at both ends.
    doc = interchangeable()
    doc["systems"][1].update(in_service=False, adoption_cost=5)
    doc["rules"] = [{"id": "no_us", "type": "exclude", "systems": {"countries": ["US"]}}]
    found = ranges(doc, axes=["spend_share.US"], slack=0.0)
    assert found.table.set_index("axis").loc["spend_share.US", ["min", "max"]].tolist() == [0, 0]
    check_plans(found)


# Brute force --------------------------------------------------------------------------------

# (A's cost, B's cost, capacity of each a year, money a year, requirement). The second case
# needs more than one Dinkelbach step: the plan that maximises US − v·total from the
# optimum's share v is not yet the one with the largest US share.
CASES = [(2, 1, 2, 5, 3), (1, 1, 3, 4, 3)]


def small(a_cost, b_cost, capacity, money, need) -> dict:
    # Two years, nothing in stock; A (DE) and B (US), whole units delivered in the year
    # ordered, each up to ``capacity`` a year; ``money`` a year, no carryover.
    return micro(
        years=2,
        capability={"requirement": need},
        suppliers=[{"id": "de", "country": "DE"}, {"id": "us", "country": "US"}],
        systems=[
            {
                "id": "a",
                "supplier": "de",
                "unit_cost": a_cost,
                "capacity": capacity,
                "integer": True,
            },
            {
                "id": "b",
                "supplier": "us",
                "unit_cost": b_cost,
                "capacity": capacity,
                "integer": True,
            },
        ],
        budget={"amount": money},
    )


def every_plan(a_cost, b_cost, capacity, money, need):
    """(primary, US share, total spend, units of a) of every plan the budget allows."""
    for a1, b1, a2, b2 in itertools.product(range(capacity + 1), repeat=4):
        if a_cost * a1 + b_cost * b1 > money or a_cost * a2 + b_cost * b2 > money:
            continue
        level1, level2 = a1 + b1, a1 + b1 + a2 + b2
        primary = (max(0, need - level1) + max(0, need - level2)) / need
        spend = a_cost * (a1 + a2) + b_cost * (b1 + b2)
        share = b_cost * (b1 + b2) / spend if spend else math.nan
        yield primary, share, spend, a1 + a2


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("abs_slack", [0.0, 0.34, 1.0])
def test_ranges_match_a_brute_force_enumeration(case, abs_slack):
    plans = list(every_plan(*case))
    best = min(p for p, *_ in plans)
    near = [p for p in plans if p[0] <= best + abs_slack + 1e-9]
    shares = [s for _, s, _, _ in near if not math.isnan(s)]
    expected = {
        "spend_share.US": (min(shares), max(shares)),
        "total_spend": (min(p[2] for p in near), max(p[2] for p in near)),
        "units.a": (min(p[3] for p in near), max(p[3] for p in near)),
    }
    found = ranges(small(*case), axes=list(expected), slack=0.0, abs_slack=abs_slack)
    table = found.table.set_index("axis")
    for axis, (low, high) in expected.items():
        assert (table.loc[axis, "min"], table.loc[axis, "max"]) == pytest.approx((low, high))
        assert low - 1e-9 <= table.loc[axis, "optimum"] <= high + 1e-9
    check_plans(found, abs_slack=abs_slack)


# Alternatives ----------------------------------------------------------------------------------


def three_alike() -> dict:
    # Requirement 10 met by 10 units of any of three equal systems (DE, FR, US), 1 a unit.
    # Within slack 0 every plan buys 10 units; alternatives order other systems.
    return micro(
        capability={"requirement": 10},
        suppliers=[
            {"id": "de", "country": "DE"},
            {"id": "fr", "country": "FR"},
            {"id": "us", "country": "US"},
        ],
        systems=[{"id": k, "supplier": k} for k in ("de", "fr", "us")],
    )


def test_alternatives_differ_from_the_optimum_and_from_each_other():
    found = ranges(three_alike(), axes=["n_system_types"], slack=0.0, alternatives=2)
    plans = [found.optima["baseline"], *found.alternatives["baseline"]]
    ordered = [frozenset(p.orders["system"]) for p in plans]
    assert len(plans) == 3
    assert len(set(ordered)) == 3  # pairwise different in which systems they order
    check_plans(found)
    # the number of types ranges from 1 (one system does it all) to 3 (all three share it)
    row = found.table.set_index("axis").loc["n_system_types"]
    assert (row["min"], row["max"]) == (1, 3)


def test_unknown_axes_and_variants_are_refused():
    with pytest.raises(ScenarioError) as error:
        ranges(interchangeable(), axes=["spend_share.nowhere", "units.nothing"], variants=None)
    assert len(error.value.problems) == 2
    with pytest.raises(ScenarioError):
        ranges(interchangeable(), variants=["none-such"])


def test_the_command_prints_the_ranges_as_json(tmp_path):
    path = tmp_path / "micro.json"
    path.write_text(json.dumps(interchangeable(eu_capacity=4)))
    result = CliRunner().invoke(
        app, ["ranges", str(path), "--axis", "spend_share.US", "--slack", "0", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows == [
        {
            "variant": "baseline",
            "axis": "spend_share.US",
            "optimum": pytest.approx(rows[0]["optimum"]),
            "min": pytest.approx(0.6),
            "max": pytest.approx(1.0),
        }
    ]


def test_an_infeasible_variant_has_no_ranges_and_exits_3(tmp_path):
    path = yaml_helpers.write_impossible_deadline(tmp_path)
    result = CliRunner().invoke(app, ["ranges", str(path)])
    assert result.exit_code == 3, result.output
    assert "baseline: infeasible" in result.stderr and "air_2027" in result.stderr


def test_worker_processes_find_the_same_ranges():
    # The axes and the alternatives dealt out to two processes, each with its own model.
    doc = small(*CASES[1])
    axes = ["spend_share.US", "total_spend", "units.a"]
    serial = ranges(doc, axes=axes, slack=0.0, abs_slack=0.34, alternatives=1)
    parallel = ranges(doc, axes=axes, slack=0.0, abs_slack=0.34, alternatives=1, jobs=2)
    assert parallel.table.equals(serial.table)
    assert len(parallel.alternatives["baseline"]) == len(serial.alternatives["baseline"])
