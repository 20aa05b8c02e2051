"""Solving a scenario: load, build, run HiGHS in two stages, read the plan.

Stage one minimises the primary objective to P*. Stage two, unless the
secondary is ``none``, caps the primary at P*·(1+1e-6)+1e-6 and minimises the
secondary on the same persistent HiGHS instance. ``time_limit`` covers both.
An infeasible scenario is explained by ``optimizer.diagnose``.
"""

import time
from typing import Any

from models import Scenario, SolverOptions
from optimizer.diagnose import explain, summary
from optimizer.formulation import build_model, start_from_nothing, switch_to_secondary
from optimizer.highs import Session
from optimizer.load import ScenarioLike, load_scenario
from optimizer.results import Result, extract


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
    built = time.perf_counter()
    session = Session(options)
    # doing nothing, where it is feasible, is the first incumbent: a plan whatever the limit
    stages = [session.run(m, options.time_limit, warm_start=start_from_nothing(m, loaded))]
    if (
        stages[0].status in ("optimal", "feasible-at-limit")
        and loaded.objective.secondary != "none"
    ):
        switch_to_secondary(m, stages[0].objective)
        # the stage-1 plan meets the cap: as HiGHS's first incumbent it guarantees a plan
        remaining = options.time_limit - (time.perf_counter() - built)
        stages.append(session.run(m, remaining, warm_start=True))
    solved = time.perf_counter()
    result = extract(m, loaded, variant, stages, options)
    extracted = time.perf_counter()
    result.timings = {
        "build": built - started,
        "solve": solved - built,
        "extract": extracted - solved,
    }
    if result.status == "infeasible":
        result.conflicts = explain(loaded, options)
        result.message = summary(result.conflicts)
        result.timings["diagnose"] = time.perf_counter() - extracted
    result.timings["total"] = time.perf_counter() - started
    return result
