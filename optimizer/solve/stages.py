"""Solving a scenario: load, build, compile, run HiGHS in two stages, read the plan.

Stage one minimises the primary objective to P*. Stage two, unless the
secondary is ``none``, caps the primary at P*·(1+1e-6)+1e-6 and minimises the
secondary on the same HiGHS instance, starting from the stage-one plan.
``time_limit`` covers both. An infeasible scenario is explained by
``optimizer.solve.diagnose``.
"""

import time
from typing import Any

import numpy as np
import pyomo.environ as pyo

from models import Scenario, SolverOptions
from models.references import span_warnings
from optimizer.input.load import ScenarioLike, checked_options, load_scenario
from optimizer.model.formulation import build_model, primary_cap, start_from_nothing
from optimizer.model.greedy import greedy_plan
from optimizer.solve.diagnose import explain, summary, without
from optimizer.solve.highs import INFEASIBLE, Session, Stage
from optimizer.solve.results import Result, extract
from optimizer.solve.standard_form import StandardForm, compile_if_feasible

# From this many columns the start is also the LP relaxation rounded (``rounded_start``):
# at 3000×30 (228,000 columns) HiGHS sent no plan better than the greedy's in 582 s, and
# with it the plan was 0.5-3.2 % from the relaxation at 600 s; at 1000×20 (50,000) it
# made the solve slower (ladder 18 → 33 s, dense 102 → 125 s: benchmarks/README.md).
ROUNDED_START_COLUMNS = 100_000
ROUNDED = ("order",)  # the columns rounded; HiGHS solves for the rest (steps too)
# From this many columns the greedy start also spends money on closing gaps (its third
# pass); below, HiGHS finds better plans within its root than that pass, which took a
# quarter of the solve at 200×15 (benchmarks/README.md, "A third round").
GREEDY_GAPS_COLUMNS = 20_000


def solver_options(scenario: Scenario, overrides: dict[str, Any]) -> SolverOptions:
    """The scenario's solver options with ``overrides``, checked by the same model as the file.

    Raises:
        ScenarioError: an override out of range, named as its command-line option.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    return checked_options(SolverOptions, {**scenario.solver.model_dump(), **given})


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
    clock = Clock()
    loaded = load_scenario(scenario, variant, sets)
    options = solver_options(
        loaded, dict(time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed)
    )
    clock.lap("load")
    m = build_model(loaded)
    clock.lap("build")
    return solve_model(m, compile_if_feasible(m), loaded, variant, options, clock=clock)


Task = tuple[Scenario, dict[str, Any]]  # a loaded scenario and its option overrides


def solve_all(tasks: list[Task]) -> list[Result]:
    """Solve scenarios in order; those that differ only in which rules are on share one model.

    The shared model holds the rows of every rule that any of them switches
    on; each solve frees the rows of the rules its scenario has off (an edit
    of HiGHS's row bounds, not a rebuild). The build is timed in the first
    result of each group.
    """
    results: list[Result | None] = [None] * len(tasks)
    for members in _sharing(tasks):
        scenarios = [tasks[i][0] for i in members]
        on = {r.id for s in scenarios for r in s.enabled_rules}
        clock = Clock()
        m = build_model(scenarios[0], on)
        clock.lap("build")
        form = compile_if_feasible(m)
        if form is None:  # a row that cannot hold: decide each scenario on its own model
            for i in members:
                results[i] = solve(tasks[i][0], **tasks[i][1])
            continue
        for i, scenario in zip(members, scenarios, strict=True):
            off = on - {r.id for r in scenario.enabled_rules}
            options = solver_options(scenario, tasks[i][1])
            results[i] = solve_model(m, form, scenario, None, options, relaxed=off, clock=clock)
            clock = Clock()
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


class Clock:
    """Seconds per step, each timed from the end of the one before; ``total`` from the start."""

    def __init__(self):
        self.started = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, step: str) -> None:
        """Count the time since the last lap toward ``step``."""
        now = time.perf_counter()
        self.laps[step] = self.laps.get(step, 0.0) + now - self.last
        self.last = now

    def timings(self) -> dict[str, float]:
        """Each step's seconds, and ``total``."""
        return {**self.laps, "total": time.perf_counter() - self.started}


def solve_model(
    m: pyo.ConcreteModel,
    form: StandardForm | None,
    scenario: Scenario,
    variant: str | None,
    options: SolverOptions,
    *,
    relaxed: set[str] = frozenset(),
    clock: Clock | None = None,
) -> Result:
    """Both stages on a built and compiled model, with the ``relaxed`` rules' rows free.

    ``form`` is None when a row cannot hold whatever the plan (an infeasible
    scenario). ``clock`` carries the timings of the steps before this one.
    """
    clock = clock or Clock()
    stages = run_stages(m, form, scenario, options, relaxed, clock) if form else [INFEASIBLE]
    result = extract(m, scenario, variant, stages, options)
    clock.lap("extract")
    if result.status == "infeasible":
        result.conflicts = explain(scenario, options)
        result.message = summary(result.conflicts)
        clock.lap("diagnose")
    if result.status == "error":  # the likeliest cause a user can fix, with its paths
        result.message = "; ".join([result.message, *span_warnings(scenario)])
    result.timings = clock.timings()
    return result


def _better(session: Session, first: np.ndarray | None, second: np.ndarray | None):
    """The plan of the two with the lower primary objective (either may be None)."""
    plans = [p for p in (first, second) if p is not None]
    goal = session.form.objectives["primary_objective"]
    return min(plans, key=lambda p: float(goal.cost @ p), default=None)


def greedy_start(
    m: pyo.ConcreteModel, scenario: Scenario, session: Session, seconds: float
) -> np.ndarray | None:
    """The greedy plan's orders and steps, the rest of the plan solved for by HiGHS; or None."""
    began = time.perf_counter()
    large = len(session.form.columns) >= GREEDY_GAPS_COLUMNS
    plan = greedy_plan(m, scenario, seconds / 4 if large else 0)  # the rest for HiGHS
    if plan is None:
        return None
    column = {id(var): i for i, var in enumerate(session.form.columns)}
    fixed = {column[id(var)]: value for var, value in plan if id(var) in column}
    return session.complete(fixed, seconds - (time.perf_counter() - began))


def rounded_start(session: Session, seconds: float) -> np.ndarray | None:
    """A plan from the LP relaxation's whole-unit orders: rounded, or searched below; or None.

    First the orders rounded to the nearest whole number and fixed, the rest solved for
    (ladder 3000×30: 0.47 % from the relaxation in 104 s). Where that breaks a row (on
    every `dense` scenario tried: a fractional expansion step becomes a whole one, or a
    half rounds away from a deadline), HiGHS searches the plans whose orders are at most
    the relaxation's rounded up, which hold the rounded-down plan too (dense 3000×30:
    3.2 %). That search is a MIP as large as the model, so it comes second: on ladder
    3000×30 it found no plan in 300 s.
    """
    began = time.perf_counter()
    relaxed = session.relaxation(seconds * 2 / 3)
    if relaxed is None:
        return None
    rounded = [
        i
        for i, var in enumerate(session.form.columns)
        if session.form.integer[i] and var.parent_component().local_name in ROUNDED
    ]
    for values, at_most in ((np.round, False), (lambda v: np.ceil(v - 1e-6), True)):
        fixed = dict(zip(rounded, values(relaxed[rounded]).tolist(), strict=True))
        left = seconds - (time.perf_counter() - began)
        plan = session.complete(fixed, left, at_most=at_most)
        if plan is not None:
            return plan
    return None


def run_stages(
    m: pyo.ConcreteModel,
    form: StandardForm,
    scenario: Scenario,
    options: SolverOptions,
    relaxed: set[str],
    clock: Clock,
) -> list[Stage]:
    """Stage 1, then stage 2 from the stage-1 plan; the plan found is loaded into ``m``."""
    began = clock.started  # the limit covers the whole solve, reading and building too
    session = Session(options, form, relaxed)
    session.optimise("primary_objective")
    clock.lap("transfer")
    # the first incumbent, a plan whatever the limit: doing nothing where it is feasible,
    # else the greedy plan (optimizer/model/greedy.py) completed by HiGHS
    if start_from_nothing(m, scenario):
        start = form.values()
    else:
        left = options.time_limit - (time.perf_counter() - began)
        start = greedy_start(m, scenario, session, left)
    if len(form.columns) >= ROUNDED_START_COLUMNS and not scenario.objective.risk:
        # a large model: HiGHS's own first good plan can take minutes
        left = options.time_limit - (time.perf_counter() - began)
        # three quarters of the time left: at 3000×30 the relaxation took 114-150 s and
        # what follows it 100-300 s (benchmarks/README.md)
        start = _better(session, start, rounded_start(session, left * 3 / 4))
    clock.lap("start")
    stages = [session.run(options.time_limit - (time.perf_counter() - began), start=start)]
    clock.lap("stage1")
    first_plan = session.plan
    remaining = options.time_limit - (time.perf_counter() - began)
    if stages[0].objective is not None and scenario.objective.secondary != "none" and remaining > 0:
        session.cap("primary_objective", primary_cap(stages[0].objective))
        session.optimise("secondary_objective")
        # the stage-1 plan meets the cap: as HiGHS's first incumbent it guarantees a plan
        stages.append(session.run(remaining, start=first_plan))
        clock.lap("stage2")
    plan = session.plan if session.plan is not None else first_plan
    if plan is not None:
        form.load(plan)
    clock.lap("plan")
    return stages
