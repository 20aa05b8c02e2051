"""The only code that talks to the solver: HiGHS through Pyomo's persistent interface.

A solve has two stages (DESIGN §4): minimise the primary objective to P*;
then, unless the secondary is ``none``, cap the primary at P*·(1+1e-6)+1e-6
and minimise the secondary. ``time_limit`` covers both stages. Values are
read only from a solve that found a plan.
"""

import time
from dataclasses import dataclass
from typing import Any

import pyomo.environ as pyo
from pyomo.common.tee import capture_output
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from models import Scenario, SolverOptions
from optimizer.formulation import build_model
from optimizer.load import ScenarioLike, load_scenario
from optimizer.results import Result, extract

PRIMARY_TOLERANCE = 1e-6


@dataclass
class Stage:
    """What one HiGHS run ended with."""

    status: str  # optimal, feasible-at-limit, infeasible or error
    objective: float | None
    gap: float | None
    message: str


def _stage(results: Any) -> Stage:
    """Map termination condition first, then solution status, to our status."""
    condition = results.termination_condition
    has_plan = results.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
    incumbent, bound = results.incumbent_objective, results.objective_bound
    gap = None
    if incumbent is not None and bound is not None:
        gap = abs(incumbent - bound) / max(abs(incumbent), 1e-9) if abs(incumbent) > 1e-9 else \
            max(0.0, abs(incumbent - bound))
    if condition == TerminationCondition.convergenceCriteriaSatisfied and has_plan:
        return Stage("optimal", incumbent, gap, "optimal")
    if condition in (TerminationCondition.maxTimeLimit, TerminationCondition.iterationLimit):
        if has_plan:
            return Stage("feasible-at-limit", incumbent, gap, "stopped at the time limit")
        return Stage("error", None, None, "no plan found before the time limit")
    if condition in (TerminationCondition.provenInfeasible,
                     TerminationCondition.infeasibleOrUnbounded):
        return Stage("infeasible", None, None, "the scenario is infeasible")
    return Stage("error", None, None, f"HiGHS stopped: {condition.name}")


def _options(scenario: Scenario, overrides: dict[str, Any]) -> SolverOptions:
    given = {k: v for k, v in overrides.items() if v is not None}
    return scenario.solver.model_copy(update=given)


def _run(solver: Highs, m: pyo.ConcreteModel, options: SolverOptions, seconds: float) -> Stage:
    results = solver.solve(
        m,
        time_limit=max(seconds, 0.01),
        rel_gap=options.mip_gap,
        threads=options.threads,
        load_solutions=False,
        raise_exception_on_nonoptimal_result=False,
        solver_options={"random_seed": options.seed},
    )
    stage = _stage(results)
    if stage.status in ("optimal", "feasible-at-limit"):
        results.solution_loader.load_vars()
    return stage


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
    options = _options(loaded, dict(time_limit=time_limit, mip_gap=mip_gap,
                                    threads=threads, seed=seed))
    m = build_model(loaded)
    built = time.perf_counter()
    solver = Highs()
    with capture_output(capture_fd=True):  # highspy prints a banner on creation
        first = _run(solver, m, options, options.time_limit)
    stages = [first]
    if first.status in ("optimal", "feasible-at-limit") and loaded.objective.secondary != "none":
        m.primary_cap.set_value(first.objective * (1 + PRIMARY_TOLERANCE) + PRIMARY_TOLERANCE)
        m.primary_at_optimum.activate()
        m.primary_objective.deactivate()
        m.secondary_objective.activate()
        remaining = options.time_limit - (time.perf_counter() - built)
        with capture_output(capture_fd=True):
            second = _run(solver, m, options, remaining)
        stages.append(second)
    solved = time.perf_counter()
    result = extract(m, loaded, variant, stages, options)
    result.timings = {"build": built - started, "solve": solved - built,
                      "extract": time.perf_counter() - solved,
                      "total": time.perf_counter() - started}
    return result
