"""The starts (issue 16, part 3): the greedy plan where doing nothing breaks a rule, and
the LP relaxation rounded for a large model.

Each micro scenario is ``test_rules.micro`` (its docstring has the numbers); the greedy's
plan is worked out by hand in each test's comment, completed by HiGHS with its orders
and steps fixed, and audited like any plan.
"""

import pytest
from conftest import solve_audited
from test_benchmarks import _script
from test_rules import EXPANSION, deadline_doc, micro
from test_time_limit import guarded_fixture  # noqa: F401  (a fixture used below)

from optimizer import load_scenario
from optimizer.model.formulation import build_model, start_from_nothing
from optimizer.solve import stages
from optimizer.solve.highs import Session, Stage
from optimizer.solve.results import Result, extract
from optimizer.solve.stages import greedy_start, rounded_start
from optimizer.solve.standard_form import compile_model


@pytest.fixture(autouse=True)
def third_pass(monkeypatch):
    """The greedy's third pass (gaps closed with the money left) for models of any size."""
    monkeypatch.setattr(stages, "GREEDY_GAPS_COLUMNS", 0)


def greedy(doc: object) -> Result:
    """The completed greedy plan of ``doc`` as a ``Result``, audited."""
    scenario = load_scenario(doc)
    m = build_model(scenario)
    form = compile_model(m)
    session = Session(scenario.solver, form)
    session.optimise("primary_objective")
    plan = greedy_start(m, scenario, session, 30)
    assert plan is not None, "the greedy found no plan"
    goal = form.objectives["primary_objective"]
    form.load(plan)
    stage = Stage("feasible-at-limit", float(goal.cost @ plan + goal.offset), None, "greedy")
    result = extract(m, scenario, None, [stage], scenario.solver)
    assert result.audit() == []
    return result


def ordered(result: Result) -> dict[tuple[str, int], float]:
    return {(r.system, int(r.year)): float(r.quantity) for r in result.orders.itertuples()}


def test_the_greedy_meets_a_deadline_with_the_cheapest_units_in_time():
    # arty ≥ 3 from 2027 (fr_sys, 200 a unit, the only arty system); 400 a year. Deadline
    # pass, 2027: fr 2026 first (same price per unit as 2027; the earlier order first): 3
    # wanted, 400/200 = 2 affordable → 2; then fr 2027: 1 (200). Gap pass: the 200 left in
    # 2027 buy 2 US (air 3/4 per unit-year per 100 beats arty's 1/4 per 200); 2026 has no
    # money. Air gaps 4, 2 → 3 + 1.5; arty 2, 1 → 0.5 + 0.25: 5.25 (the optimum is 4.0).
    doc = deadline_doc()
    assert not start_from_nothing(build_model(load_scenario(doc)), load_scenario(doc))
    result = greedy(doc)
    assert ordered(result) == {("fr_sys", 2026): 2.0, ("fr_sys", 2027): 1.0, ("us_sys", 2027): 2.0}
    assert result.objective == pytest.approx(5.25)
    assert solve_audited(doc).objective == pytest.approx(4.0)


def test_a_small_model_gets_the_greedy_without_its_third_pass(monkeypatch):
    # Below GREEDY_GAPS_COLUMNS only the deadline pass runs: fr 2026: 2 and fr 2027: 1, no
    # US unit. Air gap 4 in both years: 3 + 3; arty 2, then 1: 0.5 + 0.25 → 6.75.
    monkeypatch.setattr(stages, "GREEDY_GAPS_COLUMNS", 20_000)
    result = greedy(deadline_doc())
    assert ordered(result) == {("fr_sys", 2026): 2.0, ("fr_sys", 2027): 1.0}
    assert result.objective == pytest.approx(6.75)


def test_the_greedy_meets_an_investment_floor_with_the_cheapest_steps():
    # ≥ 100 invested in French lines: one step of fr_sys (100), leaving 300 → 3 US units,
    # gap 1 → 0.25, which is the optimum here too.
    rule = {"id": "fr", "type": "min_investment", "select": {"suppliers": ["fr_co"]}, "amount": 100}
    result = greedy(micro([rule], fr=EXPANSION))
    assert result.investments["steps"].sum() == pytest.approx(1.0)
    assert ordered(result) == {("us_sys", 2026): 3.0}
    assert result.objective == pytest.approx(0.25)


def test_the_greedy_keeps_a_share_rule_and_a_budget():
    # EU content ≥ 50 % of spend; only EU systems' content counts (fr 0.8), so every US
    # order moves the row by −0.5 per euro and FR by +0.3. US units close the gap twice as
    # fast per euro, but each US order tried first (4, then 2, then 1 unit) would break
    # the share: refused. 2 FR (400) hold it: gap 2 → 0.5. That is the optimum too: the
    # share needs 160f ≥ 50u + 100f, u ≤ 1.2f, and 100u + 200f ≤ 400 then buys 2 units.
    rule = {"id": "content", "type": "share", "select": {"groups": ["eu"]},
            "measure": "content", "value": 0.5}  # fmt: skip
    result = greedy(micro([rule]))
    assert ordered(result) == {("fr_sys", 2026): 2.0}
    assert result.objective == pytest.approx(0.5)
    assert solve_audited(micro([rule])).objective == pytest.approx(0.5)


@pytest.mark.parametrize("family", ["ladder", "dense"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_greedy_plans_every_generated_scenario_with_a_deadline(family, seed):
    # A deadline (checked against a witness plan) and a content share: doing nothing is
    # infeasible; the greedy plan is whole, audited, and no better than the optimum.
    scenario = load_scenario(_script("families").generate(family, "30x6", seed))
    assert not start_from_nothing(build_model(scenario), scenario)
    result = greedy(scenario)
    assert result.objective >= solve_audited(scenario).objective - 1e-9


@pytest.mark.parametrize("variant", ["build-europe", "dual-track"])
def test_the_greedy_plans_the_bundled_investment_floors(variant):
    # Doing nothing breaks the floor (EUR 2.5 bn for EU lines); the greedy buys steps first.
    scenario = load_scenario("europe-2030", variant)
    floor = next(r.amount for r in scenario.enabled_rules if r.type == "min_investment")
    assert greedy(scenario).investments["cost"].sum() >= floor - 1e-6


def test_a_child_stopped_before_any_plan_answers_with_the_greedy_plan(guarded):
    # Doing nothing breaks the deadline, so before the greedy a run stopped this early had
    # no answer at all; now the completed greedy plan is the answer.
    scenario = load_scenario(deadline_doc())
    m = build_model(scenario)
    session = Session(scenario.solver, compile_model(m))
    session.optimise("primary_objective")
    start = greedy_start(m, scenario, session, 30)
    stage = session.run(0.01, start=start)
    assert stage.status == "feasible-at-limit" and stage.objective == pytest.approx(5.25)
    assert (session.plan == start).all()


def rounded(doc: dict, relaxation: float) -> tuple[Result, float]:
    """The rounded start of ``doc`` as an audited ``Result`` and its objective, after
    checking the LP relaxation's objective."""
    scenario = load_scenario(doc)
    m = build_model(scenario)
    form = compile_model(m)
    session = Session(scenario.solver, form)
    session.optimise("primary_objective")
    goal = form.objectives["primary_objective"]
    assert float(goal.cost @ session.relaxation(30) + goal.offset) == pytest.approx(relaxation)
    plan = rounded_start(session, 30)
    assert plan is not None, "the rounded start found no plan"
    form.load(plan)
    objective = float(goal.cost @ plan + goal.offset)
    stage = Stage("feasible-at-limit", objective, None, "rounded")
    result = extract(m, scenario, None, [stage], scenario.solver)
    assert result.audit() == []
    return result, objective


def test_the_rounded_start_stays_within_the_budget():
    # 350 to spend: the LP relaxation buys 3.5 US units (100 each), gap 0.5/4 = 0.125.
    # Rounded to the nearest, 4 units cost 400 > 350: no plan. At most 4 (3.5 rounded
    # up): 3 US units and 50 left: gap 1/4 = 0.25, which is the optimum too.
    result, objective = rounded(micro(budget=350), 0.125)
    assert ordered(result) == {("us_sys", 2026): 3.0}
    assert objective == pytest.approx(0.25)


def test_the_rounded_start_searches_below_the_orders_rounded_up():
    # deadline_doc with 500 a year: arty ≥ 3 from 2027 (FR only, 200 a unit), air by US
    # (100). LP: FR 0.5 in 2026 and 2.5 in 2027, US 4 in 2026: arty gaps 3.5 and 1 →
    # 4.5/4 = 1.125. Fixing the orders rounded to the nearest (0 and 2, halves to even) or
    # down (0 and 2) leaves arty at 2 in 2027 and breaks the deadline. At most FR 1, 3 and
    # US 4, 0: FR 2027 ≥ 2 (400) leaves 100 that no US order may use, so FR 2026 = 1
    # (200) with 3 US (300): air gaps 1, 1 → 3/4·2 = 1.5, arty 3, 1 → 1.0: 2.5 (the
    # optimum, 1.75, buys a US unit in 2027, outside these bounds).
    doc = deadline_doc()
    doc["budgets"][0]["amount"] = 500
    result, objective = rounded(doc, 1.125)
    assert ordered(result) == {("fr_sys", 2026): 1.0, ("fr_sys", 2027): 2.0, ("us_sys", 2026): 3.0}
    assert objective == pytest.approx(2.5)
    assert solve_audited(doc).objective == pytest.approx(1.75)


def test_a_solve_with_the_rounded_start_reaches_the_same_optimum(monkeypatch):
    # Every model gets the rounded start here (from 0 columns): the optimum is unchanged.
    scenario = _script("families").generate("dense", "30x6", 1)
    before = solve_audited(scenario)
    monkeypatch.setattr(stages, "ROUNDED_START_COLUMNS", 0)
    after = solve_audited(scenario)
    assert after.objective == pytest.approx(before.objective, abs=1e-9)
