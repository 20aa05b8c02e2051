"""The solve step: statuses from HiGHS's answers, and values read only from a plan."""

import pytest
from highspy import HighsModelStatus as Status

from optimizer import load_scenario, solve
from optimizer.model.formulation import build_model, start_from_nothing
from optimizer.solve.highs import Session, _stage
from optimizer.solve.standard_form import compile_model


@pytest.mark.parametrize(
    ("status", "has_plan", "ours"),
    [
        (Status.kOptimal, True, "optimal"),
        (Status.kTimeLimit, True, "feasible-at-limit"),
        (Status.kTimeLimit, False, "error"),
        (Status.kInfeasible, False, "infeasible"),
        (Status.kUnboundedOrInfeasible, False, "infeasible"),
        # an unbounded model may report a "feasible" point: the model status decides first
        (Status.kUnbounded, True, "error"),
        (Status.kSolveError, False, "error"),
    ],
)
def test_status_follows_the_model_status_first(status, has_plan, ours):
    assert _stage(status, has_plan, 2.0, 1.0).status == ours


def test_gap_at_the_limit_is_relative_to_the_incumbent():
    stage = _stage(Status.kTimeLimit, True, 2.0, 1.5)
    assert stage.gap == pytest.approx(0.25)


def test_without_a_plan_there_is_no_objective_or_gap():
    stage = _stage(Status.kTimeLimit, False, 2.0, 1.5)
    assert (stage.objective, stage.gap) == (None, None)


def test_an_infeasible_result_carries_no_plan(micro):
    # Requirement 10 by 2026 but nothing can arrive before 2027 (lead time 1): infeasible.
    doc = micro(
        years=2,
        system={"lead_time": 1},
        rules=[{"id": "now", "type": "deadline", "capabilities": ["cap"], "year": 2026}],
    )
    result = solve(doc)
    assert result.status == "infeasible"
    assert result.objective is None and result.kpis.empty and result.orders.empty
    assert result.audit() == []
    assert [c["rule"] for c in result.conflicts] == ["now"]
    assert result.conflicts[0]["reachable"] == pytest.approx(0.0)


def test_a_later_solve_asking_other_threads_still_solves(micro):
    # HiGHS fixes its threads per process; the first value is kept and the solve still runs.
    first = solve(micro())
    second = solve(micro(), threads=1)
    assert first.status == second.status == "optimal"
    assert second.objective == pytest.approx(first.objective)


def test_a_time_limited_solve_still_returns_a_plan():
    # 10 ms is too short for HiGHS to find a plan of its own on the default scenario; the
    # do-nothing plan (no hard rule in the baseline) is its first incumbent, so there is one.
    result = solve("europe-2030", time_limit=0.01)
    assert result.status == "feasible-at-limit"
    assert result.audit() == []
    # With no money at all, doing nothing is the only plan: the limit's plan is no worse.
    broke = solve("europe-2030", sets=["budgets.national.amount=0", "budgets.safe.amount=0"])
    assert result.objective <= broke.objective + 1e-6


def test_the_do_nothing_start_is_skipped_where_a_hard_rule_forbids_it(micro):
    # A deadline makes doing nothing infeasible: no start is given, and the solve is as usual.
    # Requirement 10 from 2026, 10 units bought for 10 → objective 0 with the deadline met.
    doc = micro(rules=[{"id": "now", "type": "deadline", "capabilities": ["cap"], "year": 2026}])
    scenario = load_scenario(doc)
    assert start_from_nothing(build_model(scenario), scenario) is False
    result = solve(doc)
    assert result.status == "optimal" and result.objective == pytest.approx(0.0)
    assert result.audit() == []


def test_each_run_of_a_session_gets_its_own_time_limit():
    # Stage 2 runs on the instance of stage 1 with what is left of the limit. Older HiGHS
    # versions measured the limit against all runs of an instance together (HiGHS #1331);
    # after more than 1 s of runs, a re-run with 0.9 s (it needs about 0.1 s) must finish.
    scenario = load_scenario("europe-2030")
    session = Session(scenario.solver, compile_model(build_model(scenario)))
    session.optimise("primary_objective")
    while session.highs.getRunTime() < 1.0:
        assert session.run(60).status == "optimal"
    assert session.run(0.9).status == "optimal"
