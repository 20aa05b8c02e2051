"""The fast path (compiled arrays in highspy) finds the optimum the plain Pyomo path finds.

The plain path here is Pyomo's own HiGHS interface on the same ``build_model``
output: stage 1 on ``primary_objective``, then ``switch_to_secondary`` and stage
2 on ``secondary_objective``, both at the scenario's ``mip_gap`` (0 for the
micro scenarios). It shares nothing with ``optimizer.solve.standard_form`` or
``optimizer.solve.highs``, so a mistake in the compiled rows, bounds, costs or the
stage-2 cap shows as a different optimum.
"""

import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.solvers.highs import Highs
from test_rules import BITING, exclude_doc
from test_rules_catalogue import example_documents

from models.references import ENTITY_LISTS
from optimizer import load_scenario, solve
from optimizer.input.load import read_document
from optimizer.model.formulation import build_model, switch_to_secondary
from optimizer.solve import stages
from optimizer.solve.stages import solve_all, solve_model
from optimizer.solve.standard_form import compile_model


def plain_pyomo(scenario) -> tuple[float, float | None]:
    """(P*, S*) through Pyomo's HiGHS interface."""
    m = build_model(scenario)
    solver = Highs()
    options = dict(rel_gap=scenario.solver.mip_gap, time_limit=60)
    first = solver.solve(m, **options)
    if scenario.objective.secondary == "none":
        return first.incumbent_objective, None
    switch_to_secondary(m, first.incumbent_objective)
    second = solver.solve(m, **options)
    return first.incumbent_objective, second.incumbent_objective


def fast(scenario) -> tuple[float, float | None]:
    """(P*, S*) through the solve step, with the plan audited."""
    m = build_model(scenario)
    result = solve_model(m, compile_model(m), scenario, None, scenario.solver)
    assert result.status == "optimal", result.message
    assert result.audit() == []
    if scenario.objective.secondary == "none":
        return result.objective, None
    return result.objective, pyo.value(m.secondary_objective)


def cases() -> list[tuple[str, object, str | None]]:
    found = [
        ("teaching-155", "teaching-155", None),
        ("europe-2030", "europe-2030", None),
        ("europe-2030@strict-european", "europe-2030", "strict-european"),
        ("europe-2030@build-europe", "europe-2030", "build-europe"),
    ]
    found += [(f"catalogue:{name}", doc, v) for name, doc, v in example_documents()]
    found += [(f"biting:{kind}", make(), None) for kind, (make, _) in BITING.items()]
    return found


@pytest.mark.parametrize("case", cases(), ids=lambda case: case[0])
def test_fast_path_reaches_the_plain_pyomo_optimum(case):
    _, document, variant = case
    scenario = load_scenario(document, variant)
    expected, got = plain_pyomo(scenario), fast(scenario)
    tolerance = dict(rel=1e-5, abs=1e-6)  # the stage-2 cap allows 1e-6·P* + 1e-6
    assert got[0] == pytest.approx(expected[0], **tolerance)
    if expected[1] is not None:
        assert got[1] == pytest.approx(expected[1], **tolerance)


# Variants that differ only in which rules are on share one model -----------------------


def count_builds(monkeypatch) -> list:
    built = []
    original = stages.build_model

    def counting(*args, **kwargs):
        built.append(args[0].name)
        return original(*args, **kwargs)

    monkeypatch.setattr(stages, "build_model", counting)
    return built


def test_rule_variants_share_one_model_with_the_rule_rows_freed(monkeypatch):
    # tests/test_rules.py::test_exclude_over_the_horizon, by hand: requirement 4, budget 400,
    # US units 100, French 200. With no_us: 2 French → gap 2/4 = 0.5. Without (allow-us):
    # 4 US → gap 0. Solved together, both come from one model in which allow-us frees the
    # rule's rows; each must equal its own separate solve.
    base = load_scenario(exclude_doc())
    tasks = [(base, {}), (load_scenario(base, "allow-us"), {}), (base, {})]
    built = count_builds(monkeypatch)
    banned, free, again = solve_all(tasks)
    assert built == ["rule-micro"]  # one model for the three
    assert (banned.objective, free.objective, again.objective) == pytest.approx((0.5, 0.0, 0.5))
    assert set(free.orders["system"]) == {"us_sys"}
    assert set(again.orders["system"]) == {"fr_sys"}  # the rows are back after the free solve
    assert all(r.audit() == [] for r in (banned, free, again))


def test_a_variant_that_changes_more_than_rules_gets_its_own_model(monkeypatch):
    # Budget 400 → 200 is not a rule switch: two models. With no_us and 200: 1 French unit,
    # gap 3/4 = 0.75.
    base = load_scenario(exclude_doc())
    poorer = load_scenario(base, sets=["budgets.national.amount=200"])
    built = count_builds(monkeypatch)
    results = solve_all([(base, {}), (poorer, {})])
    assert len(built) == 2
    assert [r.objective for r in results] == pytest.approx([0.5, 0.75])


def test_shared_model_matches_separate_solves_on_the_default_scenario():
    # europe-2030: the baseline and three variants that switch rules on (a content share,
    # two exclusions, an investment floor with exclusions from 2030) share one model.
    base = load_scenario("europe-2030")
    names = [None, "safe-65", "strict-european", "dual-track"]
    tasks = [(load_scenario(base, name), {}) for name in names]
    shared = solve_all(tasks)
    for name, task, result in zip(names, tasks, shared, strict=True):
        alone = solve(task[0])
        assert result.status == alone.status == "optimal", name
        assert result.audit() == [], name
        assert result.objective == pytest.approx(alone.objective, rel=1e-5, abs=1e-6), name
        total = result.kpis["total_spend"]
        assert total == pytest.approx(alone.kpis["total_spend"], rel=1e-4), name


def test_rows_and_columns_do_not_depend_on_the_order_of_the_document():
    # The same scenario with its entity lists and rules reversed builds the same arrays in
    # the same order, so HiGHS follows the same path and returns the same plan.
    document = read_document("europe-2030")
    reversed_document = {
        key: value[::-1] if key in ENTITY_LISTS else value for key, value in document.items()
    }
    models = [build_model(load_scenario(d)) for d in (document, reversed_document)]
    forms = [compile_model(m) for m in models]  # the models stay alive: columns name their vars
    assert [v.name for v in forms[0].columns] == [v.name for v in forms[1].columns]
    assert (forms[0].matrix != forms[1].matrix).nnz == 0
    first, second = solve(document), solve(reversed_document)
    columns = ["system", "year", "quantity"]
    assert (
        first.orders[columns]
        .sort_values(columns[:2])
        .reset_index(drop=True)
        .equals(second.orders[columns].sort_values(columns[:2]).reset_index(drop=True))
    )
