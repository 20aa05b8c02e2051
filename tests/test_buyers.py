"""Several buyers (DESIGN §13): a shared line, co-funding, whose budget pays, rules per buyer.

Every optimum is worked out by hand in the test's comment. Documents come from
``buyer_docs``: one capability ``cap``, one year (2026) unless said, lead time 0.
"""

import copy
import json

import pandas as pd
import pytest
from buyer_docs import buyer, with_buyers
from conftest import micro
from typer.testing import CliRunner

from optimizer import load_scenario, solve
from optimizer.cli import app
from optimizer.input.load import read_document


def units(result, buyer_id: str, system: str | None = None) -> float:
    orders = result.orders[result.orders["buyer"] == buyer_id]
    if system is not None:
        orders = orders[orders["system"] == system]
    return float(orders["quantity"].sum())


def test_a_scarce_shared_line_goes_to_the_heavier_buyer(solve_audited):
    # a (W=2) and b (W=1) each need 10; the line makes 10 a year for both together.
    # P = 2·(10 − x_a)/10 + (10 − x_b)/10 with x_a + x_b ≤ 10: x_a = 10, x_b = 0, P* = 1.
    doc = with_buyers(
        [buyer("a", weight=2), buyer("b")],
        budgets=[{"id": "pool", "shared": True, "amount": 100}],
    )
    result = solve_audited(doc)
    assert result.objective == pytest.approx(1.0)
    assert units(result, "a") == 10 and units(result, "b") == 0
    assert result.kpis["weighted_gap.a"] == pytest.approx(0.0)
    assert result.kpis["weighted_gap.b"] == pytest.approx(1.0)
    assert result.kpis["weighted_gap"] == pytest.approx(1.0)  # Σ W_b·weighted_gap.b
    allocation = result.allocations.set_index("buyer").loc["a"]
    assert (allocation.system, allocation.quantity, allocation.capacity) == ("sys", 10, 10)
    assert allocation.share == pytest.approx(1.0)


def test_buyers_co_fund_an_expansion_neither_can_pay_alone(solve_audited):
    # Line 10 a year; one step (cost 30, +10 a year, no ramp-up) lets both get their 10.
    # Each has 25: 10 units + its part k of the step; k_a + k_b = 30 with k ≤ 15 each, so
    # only k_a = k_b = 15 closes both gaps: P* = 0, spend 50. Alone, 10 + 30 > 25.
    doc = with_buyers(
        [buyer("a"), buyer("b")],
        system={"expansion": {"cost": 30, "capacity": 10, "max_steps": 1}},
        budgets=[
            {"id": "a_money", "buyer": "a", "amount": 25},
            {"id": "b_money", "buyer": "b", "amount": 25},
        ],
    )
    result = solve_audited(doc)
    assert result.objective == pytest.approx(0.0)
    paid = result.investments.set_index("buyer")["cost"]
    assert paid.to_dict() == pytest.approx({"a": 15.0, "b": 15.0})
    assert result.investments["steps"].sum() == pytest.approx(1.0)
    assert result.kpis["investment.a"] == pytest.approx(15.0)
    assert result.kpis["total_spend"] == pytest.approx(50.0)


def test_a_buyers_budget_pays_only_its_own_orders(solve_audited):
    # a has 20, b has nothing; each needs 10 at 1 a unit. a's money cannot buy for b:
    # a orders 10, b nothing, P* = (10 − 0)/10 = 1.
    doc = with_buyers(
        [buyer("a"), buyer("b")],
        system={"capacity": 20},
        budgets=[{"id": "a_money", "buyer": "a", "amount": 20}],
    )
    result = solve_audited(doc)
    assert result.objective == pytest.approx(1.0)
    assert (units(result, "a"), units(result, "b")) == (10, 0)


def test_a_shared_budget_pays_any_buyers_orders(solve_audited):
    # The same 20 as a shared budget buys 10 for each: P* = 0.
    doc = with_buyers(
        [buyer("a"), buyer("b")],
        system={"capacity": 20},
        budgets=[{"id": "pool", "shared": True, "amount": 20}],
    )
    result = solve_audited(doc)
    assert result.objective == pytest.approx(0.0)
    assert set(result.spending["buyer"]) == {"a", "b"}
    assert result.kpis["total_spend.b"] == pytest.approx(10.0)


def content_doc(together: bool) -> dict:
    """A 65 % content share, per buyer or together: eu_sys costs 2 (content 1), us_sys 1 (0)."""
    return with_buyers(
        [buyer("a"), buyer("b")],
        suppliers=[{"id": "sup", "country": "DE"}, {"id": "us_co", "country": "US"}],
        systems=[
            {"id": "eu_sys", "unit_cost": 2, "eu_content": 1.0, "capacity": 20},
            {"id": "us_sys", "supplier": "us_co", "capacity": 20},
        ],
        budgets=[
            {"id": "a_money", "buyer": "a", "amount": 30},
            {"id": "b_money", "buyer": "b", "amount": 10},
        ],
        rules=[
            {
                "id": "safe65",
                "type": "share",
                "select": {},
                "measure": "content",
                "value": 0.65,
                "together": together,
            }
        ],
    )


def test_a_content_share_binds_each_buyer_on_its_own(solve_audited):
    # Each buyer's own spend must be ≥ 65 % content. b (10 to spend) buys e eu_sys and u us_sys:
    # 2e + u ≤ 10 and 2e ≥ 0.65·(2e + u). e=3, u=3 (spend 9, content 0.667) gives 6; 7 units
    # need e ≥ 3 and u ≤ 1.07e, so 2e + u ≥ 10 only at e=3,u=4 (content 0.6) or e=4,u=3 (11):
    # b gets 6, gap 0.4. a buys 10 eu_sys for 20. P* = 0.4.
    result = solve_audited(content_doc(together=False))
    assert result.objective == pytest.approx(0.4)
    assert units(result, "b") == 6
    assert result.kpis["eu_content_share.b"] >= 0.65 - 1e-9


def test_a_content_share_together_pools_the_buyers(solve_audited):
    # Pooled: a buys 10 eu_sys (20, content 20), b 10 us_sys (10): 20/30 = 0.667 ≥ 0.65, P* = 0.
    result = solve_audited(content_doc(together=True))
    assert result.objective == pytest.approx(0.0)
    assert units(result, "b", "us_sys") == 10


def test_a_rule_for_listed_buyers_leaves_the_others_free(solve_audited):
    # Buyer b may not order us_sys (cheaper); a may. Each has 10 and needs 10:
    # a buys 10 us_sys (10), b buys 5 eu_sys (10) and keeps a gap of 0.5. P* = 0.5.
    doc = content_doc(together=False)
    doc["rules"] = [
        {"id": "no_us_for_b", "type": "exclude", "systems": {"countries": ["US"]}, "buyers": ["b"]}
    ]
    doc["budgets"][0]["amount"] = 10
    result = solve_audited(doc)
    assert result.objective == pytest.approx(0.5)
    assert units(result, "a", "us_sys") == 10 and units(result, "b", "eu_sys") == 5


def one_explicit_buyer(doc: dict) -> dict:
    """The same document with its one buyer written out: needs, pipelines and budgets its own."""
    doc = copy.deepcopy(doc)
    needs = {}
    for c in doc["capabilities"]:
        needs[c["id"]] = {k: c.pop(k) for k in ("initial", "requirement", "consumption") if k in c}
    doc["buyers"] = [{"id": "only", "name": "The one buyer", "needs": needs}]
    for s in doc["systems"]:
        if s.get("pipeline"):
            s["pipeline"] = {"only": s["pipeline"]}
    for b in doc["budgets"]:
        b["buyer"] = "only"
    doc.pop("variants", None)
    return doc


@pytest.mark.parametrize("name", ["teaching-155", "micro"])
def test_one_explicit_buyer_is_the_document_without_buyers(name, solve_audited):
    # Writing the implicit buyer out changes nothing: same optimum, same orders and spending.
    doc = read_document(name) if name != "micro" else micro(years=3, system={"capacity": 4})
    implicit = solve_audited(doc)
    explicit = solve_audited(one_explicit_buyer(doc))
    assert explicit.objective == pytest.approx(implicit.objective, abs=1e-9)
    key = ["system", "year", "quantity"]
    assert (
        explicit.orders[key]
        .reset_index(drop=True)
        .equals(implicit.orders[key].reset_index(drop=True))
    )
    assert set(explicit.orders["buyer"]) <= {"only"} and set(implicit.orders["buyer"]) <= {"all"}
    pd.testing.assert_series_equal(
        explicit.spending["amount"].reset_index(drop=True),
        implicit.spending["amount"].reset_index(drop=True),
    )


def test_the_audit_flags_an_overbooked_shared_line():
    # The plan of the weights test with 5 more units for b: 15 arrive on a line of 10.
    doc = with_buyers(
        [buyer("a", weight=2), buyer("b")],
        budgets=[{"id": "pool", "shared": True, "amount": 100}],
    )
    result = solve(doc)
    extra = result.orders.iloc[[0]].assign(buyer="b", quantity=5.0, cost=5.0)
    result.orders = pd.concat([result.orders, extra], ignore_index=True)
    assert any(p.startswith("capacity[sys, 2026]: 15.0 > 10") for p in result.audit())


def test_the_audit_flags_a_budget_paying_another_buyers_bill():
    doc = with_buyers(
        [buyer("a"), buyer("b")],
        system={"capacity": 20},
        budgets=[
            {"id": "a_money", "buyer": "a", "amount": 20},
            {"id": "b_money", "buyer": "b", "amount": 20},
        ],
    )
    result = solve(doc)
    result.spending.loc[result.spending["buyer"] == "b", "budget"] = "a_money"
    assert "payer[a_money, b]: the budget is a's, not b's" in result.audit()


def test_buyers_are_checked_as_references():
    doc = with_buyers(
        [buyer("a")],
        budgets=[{"id": "x", "buyer": "nobody", "amount": 1}, {"id": "y", "amount": 1}],
        system={"pipeline": {"b": {2026: 1}}, "in_service": ["c"]},
        rules=[{"id": "r", "type": "exclude", "systems": {}, "buyers": ["d"]}],
    )
    doc["capabilities"][0]["requirement"] = 3
    with pytest.raises(Exception) as error:
        load_scenario(doc)
    text = str(error.value)
    for expected in (
        "budgets[0].buyer: unknown buyer 'nobody'",
        "budgets[1]: give exactly one of buyer: or shared: true",
        "systems[0].pipeline.b: unknown buyer 'b'",
        "systems[0].in_service[0]: unknown buyer 'c'",
        "rules[0] (r).buyers[0]: unknown buyer 'd'",
        "capabilities[0].requirement: with buyers:, give it in each buyer's needs",
    ):
        assert expected in text


def test_compare_in_the_terminal_shows_each_buyer_and_the_contested_line(tmp_path):
    # a (W=2) and b need 10 each from a line of 15: a gets 10, b 5 (gap share 0.5); with the
    # line at 20 both get 10, so b's weighted gap falls by 0.5.
    doc = with_buyers(
        [buyer("a", weight=2), buyer("b")],
        system={"capacity": 15},
        budgets=[{"id": "pool", "shared": True, "amount": 100}],
    )
    doc["variants"] = {"bigger": {"patch": {"systems": [{"id": "sys", "capacity": 20}]}}}
    path = tmp_path / "two-buyers.json"
    path.write_text(json.dumps(doc))
    result = CliRunner().invoke(app, ["compare", str(path), "--jobs", "1"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    together, by_buyer = result.output.split("By buyer")
    assert "weighted_gap.b" not in together  # the KPIs together come first, buyers apart
    b_rows = by_buyer.split("│ b ")[1]
    assert "0.5" in b_rows.splitlines()[0] and "-0.5" in b_rows.splitlines()[1]
    assert "Contested lines (baseline)" in by_buyer
    assert "a 10, b 5" in by_buyer
