"""Stress tests (DESIGN §14): replays worked out by hand, and the replay against the model.

Micro scenarios run 2026–2028 (``years=3``) with one capability (requirement 10, nothing in
stock) and one system (lead time 1, capacity 10, unit cost 1): the optimal plan orders 10
in 2026, which arrive in 2027.
"""

import json

import numpy as np
import pytest
from conftest import micro
from typer.testing import CliRunner

from optimizer import solve, stress
from optimizer.cli import app
from optimizer.input.draws import draw
from optimizer.solve.replay import replay

SAMPLES = 10_000


def late(uncertainty: list, **overrides) -> dict:
    doc = micro(years=3, system={"lead_time": 1, "capacity": 10}, **overrides)
    doc["uncertainty"] = uncertainty
    return doc


SLIP = {"id": "slip", "field": "lead_time", "add": {"choice": [0, 1], "p": [0.5, 0.5]}}


def test_a_one_year_slip_with_probability_half_meets_the_first_year_half_the_time():
    # With no slip the 10 units arrive in 2027, with a slip in 2028: P(met in 2027) = 0.5.
    # Over N = 10,000 draws the estimate has sd √(0.25 / N) = 0.005; 4 sd = 0.02.
    found = stress(late([SLIP]), samples=SAMPLES, seed=1)
    met = found.met.set_index(["capability", "year"])["p_met"]
    assert met["cap", 2027] == pytest.approx(0.5, abs=0.02)
    assert met["cap", 2028] == 1.0 and met["cap", 2026] == 0.0
    # first met: 2027 in half the draws, 2028 in the others: mean 2027.5 (± 0.02), P90 2028
    first = found.first_met.set_index("capability").loc["cap"]
    assert first["expected"] == pytest.approx(2027.5, abs=0.02)
    assert (first["p90"], first["never"]) == (2028, 0.0)


def test_a_capacity_shortfall_turns_one_order_into_a_two_year_backlog():
    # Capacity halved in every draw: 5 of the 10 arrive in 2027, the other 5 in 2028.
    cut = {"id": "cut", "field": "capacity", "multiply": {"choice": [0.5]}}
    plan = solve(late([cut]), mip_gap=0.0)
    replayed = replay(plan.scenario, plan.frames(), draw(plan.scenario, 3, seed=0))
    assert replayed.years == [2026, 2027, 2028]
    assert np.allclose(replayed.level[:, 0, :], [0, 5, 10])
    # weighted gap: 1 (2026) + 0.5 (2027) + 0 (2028), against the plan's 1 + 0 + 0
    assert np.allclose(replayed.weighted_gap, 1.5)
    assert plan.kpis["weighted_gap"] == pytest.approx(1.0)


def test_a_price_rise_is_paid_as_overspend():
    # Money 10 in 2026 only; the plan spends all of it on 10 units. A 10 % price rise costs
    # 11: an overspend of 1 in every draw.
    rise = {"id": "rise", "field": "unit_cost", "multiply": {"choice": [1.1]}}
    found = stress(late([rise], budget={"amount": {2026: 10, 2027: 0}}), samples=5)
    row = found.summary.iloc[0]
    assert (row["overspend_mean"], row["overspend_p90"]) == pytest.approx((1.0, 1.0))


@pytest.mark.parametrize("name", ["teaching-155", "europe-2030"])
def test_with_no_perturbation_the_replay_is_the_models_plan(name):
    # No uncertainty (every factor 1, no slip): each draw's levels are the plan's own, in
    # every year of the horizon and its tail, and so is the weighted gap.
    plan = solve(name)
    neutral = draw(plan.scenario.model_copy(update={"uncertainty": []}), 2)
    replayed = replay(plan.scenario, plan.frames(), neutral)
    levels = plan.capabilities.pivot(index="capability", columns="year", values="level")
    expected = levels.loc[replayed.capabilities, replayed.years].to_numpy()
    assert np.allclose(replayed.level, expected[None], atol=1e-6)
    assert np.allclose(replayed.weighted_gap, plan.kpis["weighted_gap"], atol=1e-6)
    assert np.allclose(replayed.overspend, 0.0, atol=1e-6)


def test_the_same_seed_draws_the_same_and_another_seed_does_not():
    entries = [
        SLIP,
        {"id": "cap", "field": "capacity", "multiply": {"uniform": [0.5, 1.0]}, "per": "system"},
    ]
    scenario = solve(late(entries)).scenario
    one, again, other = draw(scenario, 50, 3), draw(scenario, 50, 3), draw(scenario, 50, 4)
    assert np.array_equal(one.capacity, again.capacity) and np.array_equal(one.slip, again.slip)
    assert not np.array_equal(one.capacity, other.capacity)


def test_invalid_uncertainty_entries_exit_2_with_paths(tmp_path):
    doc = late(
        [
            {"id": "bad", "field": "lead_time", "add": {"choice": [0.5], "p": [0.7]}},
            {
                "id": "cut",
                "field": "amount",
                "budgets": ["nowhere"],
                "multiply": {"uniform": [1.0, 0.8]},
            },
        ]
    )
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    result = CliRunner().invoke(app, ["stress", str(path), "--samples", "10"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert any(line.startswith("uncertainty[0].add: p must") for line in lines), lines
    assert any(line.startswith("uncertainty[1].multiply: uniform") for line in lines), lines
    assert any(line.startswith("uncertainty[1].budgets[0]: unknown budget") for line in lines)


def test_the_command_prints_the_stress_table_as_json(tmp_path):
    path = tmp_path / "slip.json"
    path.write_text(json.dumps(late([SLIP])))
    result = CliRunner().invoke(
        app, ["stress", str(path), "--samples", "2000", "--seed", "1", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["summary"][0]["variant"] == "baseline"
    met = {(r["capability"], r["year"]): r["p_met"] for r in document["met"]}
    assert met["cap", 2027] == pytest.approx(0.5, abs=0.05)


# Robust plans -------------------------------------------------------------------------------


def hedging(risk: dict | None = None) -> dict:
    # 2026–2028, requirement 10, money 20 in 2026 only. "fast" (DE) and "sure" (FR) both
    # deliver a year after ordering, 1 and 2 a unit; fast slips a year with probability 0.5.
    doc = micro(
        years=3,
        suppliers=[{"id": "de", "country": "DE"}, {"id": "fr", "country": "FR"}],
        systems=[
            {"id": "fast", "supplier": "de", "lead_time": 1, "unit_cost": 1},
            {"id": "sure", "supplier": "fr", "lead_time": 1, "unit_cost": 2},
        ],
        budget={"amount": {2026: 20, 2027: 0}},
    )
    doc["uncertainty"] = [{**SLIP, "systems": {"systems": ["fast"]}}]
    doc["variants"] = {"robust": {"patch": {"objective": {"risk": risk}}}} if risk else {}
    return doc


@pytest.mark.parametrize("measure", ["expected", "cvar"])
def test_a_robust_plan_hedges_with_the_sure_line(measure):
    # Either line closes the gap from 2027: P* = 1 (2026's gap). The deterministic plan buys
    # fast, the cheaper. Over K = 20 samples, a plan with x units of fast has, in a sample
    # where fast slips, 2027's gap x/10 more: W_k = 1 + (x/10)·[slip_k]. Some samples slip,
    # so the mean (and the CVaR at 0.8, the mean of the worst 20 %: 1 + x/10 when 4 or more
    # of the 20 slip) is least at x = 0: 10 sure units, objective 1, all the money.
    risk = {"samples": 20, "seed": 0, "measure": measure, "alpha": 0.8}
    doc = hedging(risk)
    plain = solve(doc, mip_gap=0.0)
    assert plain.orders.set_index("system")["quantity"].to_dict() == {"fast": 10}
    robust = solve(doc, "robust", mip_gap=0.0)
    assert robust.audit() == []
    assert robust.objective == pytest.approx(1.0)
    assert robust.orders.set_index("system")["quantity"].to_dict() == {"sure": 10}
    slipped = draw(robust.scenario, 20, 0).slip[:, 0]
    assert 4 <= slipped.sum() <= 16  # the samples do hold slips (and not only)


def test_out_of_sample_the_robust_plan_is_more_reliable():
    # Replayed under 10,000 fresh draws: the deterministic plan's weighted gap is 1 or 2
    # (mean ≈ 1.5, P90 = 2); the robust plan's is 1 in every draw.
    found = stress(hedging({"samples": 20, "seed": 0}), ["baseline", "robust"], SAMPLES, seed=9)
    summary = found.summary.set_index("variant")
    assert summary.at["baseline", "weighted_gap_mean"] == pytest.approx(1.5, abs=0.03)
    assert summary.at["baseline", "weighted_gap_p90"] == pytest.approx(2.0)
    assert summary.at["robust", "weighted_gap_mean"] == pytest.approx(1.0)
    assert summary.at["robust", "weighted_gap_p90"] == pytest.approx(1.0)


def test_the_audit_re_checks_a_robust_objective():
    # The robust plan of the hedging scenario, reported with a better objective than the
    # replay of its samples gives: flagged.
    robust = solve(hedging({"samples": 20, "seed": 0}), "robust", mip_gap=0.0)
    robust.objective = 0.5
    assert any(p.startswith("objective: the plan's expected weighted gap") for p in robust.audit())
