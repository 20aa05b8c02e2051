"""The horizon's tail (DESIGN §4): deliveries may arrive after ``end``, and gaps there count.

Every micro scenario below runs 2026–2027 (``years=2``) with one capability
(requirement 10, nothing in stock, weight 1) and one system (lead time 2,
unit cost 1); each year's gap share is gap / 10. Orders are placed in the
horizon only, and budgets hold no money after it.
"""

import pytest
from conftest import micro

from optimizer.input.load import load_scenario
from optimizer.model.formulation import build_model

LATE = {"lead_time": 2, "capacity": 10}


def tailed(tail: int | None, **overrides):
    doc = micro(years=2, system=overrides.pop("system", LATE), **overrides)
    if tail is not None:
        doc["horizon"]["tail"] = tail
    return doc


def test_without_a_tail_nothing_can_arrive_and_nothing_is_ordered(solve_audited):
    # Lead time 2 > the 2 years of the horizon: no order can arrive by 2027. Gaps 1 + 1 = 2.
    result = solve_audited(tailed(None))
    assert result.objective == pytest.approx(2.0)
    assert result.orders.empty


def test_an_order_arriving_in_the_tail_closes_the_tail_gap_and_is_paid_in_the_horizon(
    solve_audited,
):
    # Tail 2: deliveries to 2029. The horizon's gaps stay 1 + 1 = 2 whatever is ordered. 10
    # units ordered in 2026 arrive in 2028 and close both tail years (gaps 0); ordering in
    # 2027 instead would leave 2028 open (+1). P* = 2; cost stage: 10 × 1 = 10, paid in 2026.
    result = solve_audited(tailed(2))
    assert result.objective == pytest.approx(2.0)
    order = result.orders.iloc[0]
    assert (order.year, order.quantity, order.delivery_year) == (2026, 10, 2028)
    assert result.spending.groupby("year")["amount"].sum().to_dict() == {2026: pytest.approx(10)}
    assert result.kpis["weighted_gap"] == pytest.approx(2.0)  # the horizon proper
    assert result.kpis["gap_tail"] == pytest.approx(0.0)
    tail_rows = result.capabilities[result.capabilities["year"] > 2027]
    assert list(tail_rows["year"]) == [2028, 2029] and (tail_rows["gap"] == 0).all()


def test_no_order_and_no_payment_is_placed_in_the_tail():
    # The model has order and funding columns for the horizon's years only.
    m = build_model(load_scenario(tailed(3)))
    assert {t for *_, t in m.ORDERS} == {2026, 2027}
    assert {t for *_, t in m.FUNDING} <= {2026, 2027}
    assert list(m.DELIVERY_YEARS) == [2026, 2027, 2028, 2029, 2030]


def test_tail_gaps_count_with_the_tail_weight(solve_audited):
    # Capacity 5 a year: 5 ordered in 2026 arrive 2028 (gap 5/10), 5 more in 2027 arrive 2029
    # (gap 0). Tail weight 0.5: P* = 2 + 0.5 × (0.5 + 0) = 2.25; gap_tail = (0.5 + 0) / 2.
    doc = tailed(2, system={"lead_time": 2, "capacity": 5})
    doc["horizon"]["tail_weight"] = 0.5
    result = solve_audited(doc)
    assert result.objective == pytest.approx(2.25)
    assert result.orders.set_index("year")["quantity"].to_dict() == {2026: 5, 2027: 5}
    assert result.kpis["gap_tail"] == pytest.approx(0.25)


def test_a_requirement_given_after_the_end_holds_in_the_tail(solve_audited):
    # Requirement 10, and 20 from 2029 (a key after the end is read in the tail). Capacity 10:
    # 10 in 2026 (arrive 2028) and 10 in 2027 (arrive 2029) meet 10 and 20. P* = 2, cost 20.
    result = solve_audited(tailed(2, capability={"requirement": {2026: 10, 2029: 20}}))
    assert result.objective == pytest.approx(2.0)
    assert result.orders["quantity"].sum() == pytest.approx(20)
    assert result.capabilities.set_index("year").loc[2029, "requirement"] == 20


def test_budgets_hold_no_money_after_the_end(solve_audited):
    # Money only from 2028 on, after the horizon: none is ever there, nothing is ordered, and
    # every year of the horizon and the tail keeps its gap: P* = 4 × 1.
    result = solve_audited(tailed(2, budget={"amount": {2026: 0, 2028: 100}}))
    assert result.objective == pytest.approx(4.0)
    assert result.orders.empty


def test_the_audit_checks_the_tail(solve_audited):
    # The plan of the tail-2 scenario, broken twice: an order delivered after the tail, and a
    # tail year's level reported wrong.
    result = solve_audited(tailed(2))
    result.orders.loc[0, "delivery_year"] = 2030
    result.capabilities.loc[result.capabilities["year"] == 2029, "level"] = 3.0
    problems = result.audit()
    assert any(p.startswith("order[sys, 2026]: delivered in 2030") for p in problems), problems
    assert any(p.startswith("level[cap, 2029]") for p in problems), problems


def test_shares_with_the_contracted_pipeline(solve_audited):
    # One year, requirement 20. A US system delivers 10 from its pipeline (not paid here; unit
    # cost 3, so worth 30) and has no capacity; the German one is ordered: 10 × 1 = 10.
    # Without the pipeline all spending is EU; with it, EU 10 / 40 and US 30 / 40.
    doc = micro(
        capability={"requirement": 20},
        suppliers=[{"id": "sup", "country": "DE"}, {"id": "us", "country": "US"}],
        systems=[
            {"id": "sys"},
            {"id": "us_sys", "supplier": "us", "unit_cost": 3, "capacity": 0},
        ],
    )
    doc["systems"][1]["pipeline"] = {2026: 10}
    result = solve_audited(doc)
    assert result.objective == pytest.approx(0.0)
    assert result.kpis["spend_share.eu"] == pytest.approx(1.0)
    assert result.kpis["spend_share.US"] == pytest.approx(0.0)
    assert result.kpis["spend_share_with_pipeline.eu"] == pytest.approx(0.25)
    assert result.kpis["spend_share_with_pipeline.US"] == pytest.approx(0.75)
