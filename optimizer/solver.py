"""Solving a scenario: load, build, compile, run HiGHS in two stages, read the plan.

Stage one minimises the primary objective to P*. Stage two, unless the
secondary is ``none``, caps the primary at P*·(1+1e-6)+1e-6 and minimises the
secondary on the same HiGHS instance, starting from the stage-one plan.
``time_limit`` covers both. An infeasible scenario is explained by
``optimizer.diagnose``.
"""

import time
from typing import Any

import pyomo.environ as pyo

from models import Scenario, SolverOptions
from optimizer.diagnose import explain, summary, without
from optimizer.formulation import build_model, primary_cap, start_from_nothing
from optimizer.highs import Session, Stage
from optimizer.load import ScenarioLike, load_scenario
from optimizer.results import Result, extract
from optimizer.standard_form import StandardForm, TriviallyInfeasible, compile_model


def _options(scenario: Scenario, overrides: dict[str, Any]) -> SolverOptions:
    given = {k: v for k, v in overrides.items() if v is not None}
    return scenario.solver.model_copy(update=given)


def solve(
    scenario: ScenarioLike | None = None,
    variant: str | None = None,
    *,
    sets: list[str] | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    seed: int | None = None,
) -> Result:
    """Solve a scenario (a path, a bundled name, a mapping or a ``Scenario``).

    Options given here override the scenario's ``solver`` section. Raises
    ``ScenarioError`` for an invalid document; an infeasible scenario or a
    solver failure is a ``Result`` with that status and no plan.
    """
    started = time.perf_counter()
    loaded = load_scenario(scenario, variant, sets)
    options = _options(
        loaded, dict(time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed)
    )
    m = build_model(loaded)
    try:
        form = compile_model(m)
    except TriviallyInfeasible:
        form = None
    return solve_model(m, form, loaded, variant, options, started=started)


Task = tuple[Scenario, dict[str, Any]]  # a loaded scenario and its option overrides


def solve_all(tasks: list[Task]) -> list[Result]:
    """Solve scenarios in order; those that differ only in which rules are on share one model.

    The shared model holds the rows of every rule that any of them switches
    on; each solve frees the rows of the rules its scenario has off (an edit
    of HiGHS's row bounds, not a rebuild).
    """
    results: list[Result | None] = [None] * len(tasks)
    for members in _sharing(tasks):
        scenarios = [tasks[i][0] for i in members]
        on = {r.id for s in scenarios for r in s.enabled_rules}
        started = time.perf_counter()
        m = build_model(scenarios[0], [r for r in scenarios[0].rules if r.id in on])
        try:
            form = compile_model(m)
        except TriviallyInfeasible:  # some scenario cannot hold: let each be decided alone
            for i in members:
                results[i] = solve(tasks[i][0], **tasks[i][1])
            continue
        for i, scenario in zip(members, scenarios, strict=True):
            off = on - {r.id for r in scenario.enabled_rules}
            options = _options(scenario, tasks[i][1])
            results[i] = solve_model(m, form, scenario, None, options, relaxed=off, started=started)
            started = None  # the build is counted once, in the first result
    return results


def _sharing(tasks: list[Task]) -> list[list[int]]:
    """Task indices grouped by scenario, all rules off (groups in order of first appearance)."""
    groups: list[tuple[Scenario, list[int]]] = []
    for i, (scenario, _) in enumerate(tasks):
        key = without(scenario, {r.id for r in scenario.rules})
        match = next((members for other, members in groups if other == key), None)
        if match is None:
            groups.append((key, [i]))
        else:
            match.append(i)
    return [members for _, members in groups]


def solve_model(
    m: pyo.ConcreteModel,
    form: StandardForm | None,
    scenario: Scenario,
    variant: str | None,
    options: SolverOptions,
    *,
    relaxed: set[str] = frozenset(),
    started: float | None = None,
) -> Result:
    """Both stages on a built and compiled model, with the ``relaxed`` rules' rows free.

    ``form`` is None when a row cannot hold whatever the plan (an infeasible scenario).
    """
    started = time.perf_counter() if started is None else started
    built = time.perf_counter()
    stages = _run_stages(m, form, scenario, options, relaxed) if form else [INFEASIBLE]
    solved = time.perf_counter()
    result = extract(m, scenario, variant, stages, options)
    extracted = time.perf_counter()
    result.timings = {
        "build": built - started,
        "solve": solved - built,
        "extract": extracted - solved,
    }
    if result.status == "infeasible":
        result.conflicts = explain(scenario, options)
        result.message = summary(result.conflicts)
        result.timings["diagnose"] = time.perf_counter() - extracted
    result.timings["total"] = time.perf_counter() - started
    return result


INFEASIBLE = Stage("infeasible", None, None, "the scenario is infeasible")


def _run_stages(
    m: pyo.ConcreteModel,
    form: StandardForm,
    scenario: Scenario,
    options: SolverOptions,
    relaxed: set[str],
) -> list[Stage]:
    began = time.perf_counter()
    session = Session(options, form, relaxed)
    session.minimise("primary_objective")
    # doing nothing, where it is feasible, is the first incumbent: a plan whatever the limit
    start = form.values() if start_from_nothing(m, scenario) else None
    stages = [session.run(options.time_limit, start=start)]
    first_plan = session.plan
    if stages[0].objective is not None and scenario.objective.secondary != "none":
        session.cap("primary_objective", primary_cap(stages[0].objective))
        session.minimise("secondary_objective")
        # the stage-1 plan meets the cap: as HiGHS's first incumbent it guarantees a plan
        remaining = options.time_limit - (time.perf_counter() - began)
        stages.append(session.run(remaining, start=first_plan))
    plan = session.plan if session.plan is not None else first_plan
    if plan is not None:
        form.load(plan)
    return stages
