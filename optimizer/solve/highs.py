"""The only code that talks to the solver: HiGHS through highspy, fed the model's arrays.

A ``Session`` passes a ``StandardForm`` (optimizer/solve/standard_form.py) to HiGHS
once, then edits it in place between runs: the objective's costs, a cap row on
the primary, rules switched off by their rows' bounds. Statuses are decided
from the model status first, then from whether a plan exists; a plan is read
back as one array.
"""

import logging
import math
from dataclasses import dataclass

import numpy as np
from pyomo.common.tee import capture_output
from pyomo.contrib.solver.solvers.highs import highspy

from models import SolverOptions
from optimizer.solve.guard import run_guarded, run_highs
from optimizer.solve.standard_form import Objective, StandardForm

log = logging.getLogger(__name__)
Status = highspy.HighsModelStatus
# From this many columns the MIP's root LP is solved by interior point: at 1000×20
# (50,000 columns) stage 1 took 16.6 s instead of 37.9 s (benchmarks/README.md).
INTERIOR_POINT_COLUMNS = 20_000
# With this share of the order columns in whole units or more, HiGHS runs without presolve:
# on such models (the `dense` family) its presolve marks hundreds of level columns implied
# integer and the root's cut rounds then cost more than they gain: 2.5-3x faster without it
# at 200x15 and 1000x20; neutral on `ladder`, 2x slower on `share-only` 1000x20 (70 % whole
# units), and no bundled scenario reaches it (benchmarks/README.md, "Choosing by evidence").
WHOLE_UNITS_WITHOUT_PRESOLVE = 0.9
# From this many columns a run goes to a child process stopped at its deadline
# (optimizer/solve/guard.py): HiGHS's own limit overran by 3–10 s from 1000×20 up.
GUARDED_COLUMNS = 20_000


@dataclass
class Stage:
    """What one HiGHS run ended with."""

    status: str  # optimal, feasible-at-limit, infeasible or error
    objective: float | None
    gap: float | None
    message: str


INFEASIBLE = Stage("infeasible", None, None, "the scenario is infeasible")


def _relative_gap(incumbent: float | None, bound: float | None) -> float | None:
    if incumbent is None or bound is None or not math.isfinite(bound):
        return None  # no bound yet: the gap is unknown
    if abs(incumbent) <= 1e-9:
        return abs(incumbent - bound)
    return abs(incumbent - bound) / abs(incumbent)


def _stage(status: Status, has_plan: bool, incumbent: float, bound: float | None) -> Stage:
    """Map the model status first, then whether there is a plan, to our status."""
    if not has_plan:
        incumbent = None
    gap = _relative_gap(incumbent, bound)
    if status == Status.kOptimal and has_plan:
        return Stage("optimal", incumbent, gap, "optimal")
    if status in (Status.kTimeLimit, Status.kIterationLimit, Status.kInterrupt):
        if has_plan:
            return Stage("feasible-at-limit", incumbent, gap, "stopped at the time limit")
        return Stage("error", None, None, "no plan found before the time limit")
    if status in (Status.kInfeasible, Status.kUnboundedOrInfeasible):
        return INFEASIBLE
    if status == Status.kUnknown and has_plan:  # e.g. interior point without crossover
        return Stage("feasible-at-limit", incumbent, gap, "HiGHS stopped with a plan, unproved")
    return Stage("error", None, None, f"HiGHS stopped: {status.name}")


_PROCESS_THREADS: list[int | None] = []  # HiGHS fixes its thread count at the first solve


def _process_threads(options: SolverOptions) -> SolverOptions:
    """The options with the thread count this process already runs HiGHS with."""
    if not _PROCESS_THREADS:
        _PROCESS_THREADS.append(options.threads)
    elif options.threads != _PROCESS_THREADS[0]:
        log.warning(
            "threads=%s ignored: this process already runs HiGHS with threads=%s",
            options.threads,
            _PROCESS_THREADS[0],
        )
        options = options.model_copy(update={"threads": _PROCESS_THREADS[0]})
    return options


class Session:
    """One HiGHS instance holding one compiled model, re-solved after in-place edits.

    HiGHS's thread pool is process-wide: a later solve that asks for another
    ``threads`` value fails. The first value asked for in a process is kept,
    and a different later request is logged and ignored.
    """

    def __init__(self, options: SolverOptions, form: StandardForm, relaxed: set[str] = frozenset()):
        self.options = _process_threads(options)
        self.form = form
        self.plan: np.ndarray | None = None
        whole = [v.is_integer() for v in form.columns if v.parent_component().local_name == "order"]
        self.presolve = (
            "off" if whole and np.mean(whole) >= WHOLE_UNITS_WITHOUT_PRESOLVE else "choose"
        )
        A = form.matrix
        row_lower, row_upper = form.row_bounds(relaxed)
        with capture_output(capture_fd=True):  # highspy prints a banner: keep --format json clean
            self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.passModel(
            A.shape[1],
            A.shape[0],
            A.nnz,
            int(highspy.MatrixFormat.kColwise),
            int(highspy.ObjSense.kMinimize),
            0.0,
            np.zeros(A.shape[1]),
            form.col_lower,
            form.col_upper,
            row_lower,
            row_upper,
            A.indptr.astype(np.int32),
            A.indices.astype(np.int32),
            A.data,
            form.integer.astype(np.int32),
        )

    def optimise(self, objective: str | Objective) -> None:
        """Make ``objective`` the one HiGHS optimises: a name in ``form.objectives``, or costs."""
        goal = self.form.objectives[objective] if isinstance(objective, str) else objective
        n = len(goal.cost)
        self.highs.changeColsCost(n, np.arange(n, dtype=np.int32), goal.cost)
        self.highs.changeObjectiveOffset(goal.offset)
        self.highs.changeObjectiveSense(highspy.ObjSense(goal.sense))

    def cap(self, objective: str, bound: float) -> None:
        """Add the row ``objective ≤ bound`` (the primary held at its optimum in stage two)."""
        goal = self.form.objectives[objective]
        (columns,) = np.nonzero(goal.cost)
        self.highs.addRow(
            -np.inf,
            bound - goal.offset,
            len(columns),
            columns.astype(np.int32),
            goal.cost[columns],
        )

    def complete(
        self, fixed: dict[int, float], seconds: float, *, at_most: bool = False
    ) -> np.ndarray | None:
        """A whole plan with the ``fixed`` columns at their values and the rest solved for.

        With ``at_most`` the values are upper bounds instead (each column from its own
        lower bound up to its value). None when no plan has those values (or none was
        found in ``seconds``). The columns' bounds are restored afterwards.
        """
        columns = np.fromiter(fixed, dtype=np.int32, count=len(fixed))
        lower, upper = self.form.col_lower[columns], self.form.col_upper[columns]
        values = np.clip(np.fromiter(fixed.values(), dtype=float, count=len(fixed)), lower, upper)
        self.highs.changeColsBounds(len(columns), columns, lower if at_most else values, values)
        try:
            stage = self.run(seconds)
        finally:
            self.highs.changeColsBounds(len(columns), columns, lower, upper)
        plan, self.plan = self.plan, None
        return plan if stage.objective is not None else None

    def relaxation(self, seconds: float) -> np.ndarray | None:
        """The plan of the LP relaxation (every column continuous), or None if none in time."""
        integer = np.flatnonzero(self.form.integer).astype(np.int32)
        kinds = [highspy.HighsVarType.kContinuous] * len(integer)
        self.highs.changeColsIntegrality(len(integer), integer, np.array(kinds))
        try:
            stage = self.run(seconds, lp_solver="ipm")
        finally:
            kinds = [highspy.HighsVarType.kInteger] * len(integer)
            self.highs.changeColsIntegrality(len(integer), integer, np.array(kinds))
        plan, self.plan = self.plan, None
        return plan if stage.objective is not None else None

    def run(
        self,
        seconds: float,
        mip_gap: float | None = None,
        start: np.ndarray | None = None,
        lp_solver: str = "choose",
    ) -> Stage:
        """Solve the model as it stands within ``seconds``; ``start`` is a first incumbent.

        The plan, when there is one, is kept in ``self.plan`` (one value per column).
        """
        highs = self.highs
        seconds = max(seconds, 0.01)
        large = len(self.form.columns) >= INTERIOR_POINT_COLUMNS
        settings = {
            "time_limit": seconds,  # per run (HiGHS 1.16; older ones summed runs)
            "mip_rel_gap": self.options.mip_gap if mip_gap is None else mip_gap,
            "random_seed": self.options.seed,
            "threads": self.options.threads or 0,
            "mip_lp_solver": "ipm" if large else "choose",
            "presolve": self.presolve,
            "solver": lp_solver,  # of an LP (the relaxation); a MIP's root: mip_lp_solver
            "run_crossover": "off" if lp_solver == "ipm" else "on",  # a point to round will do
        }
        if len(self.form.columns) >= GUARDED_COLUMNS:
            outcome = run_guarded(highs, settings, start, seconds)
        else:
            outcome = run_highs(highs, settings, start)  # small: HiGHS's own limit holds
        if self.form.is_mip:
            bound = outcome.bound
        else:
            bound = outcome.incumbent if outcome.status == Status.kOptimal else None
        stage = _stage(outcome.status, outcome.has_plan, outcome.incumbent, bound)
        if outcome.stopped:
            stage.message += " (HiGHS stopped at the deadline)"
        self.plan = outcome.plan if stage.objective is not None else None
        return stage
