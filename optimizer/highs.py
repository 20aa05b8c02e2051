"""The only code that talks to the solver: HiGHS through Pyomo's persistent interface.

Statuses are decided from the termination condition first, then from whether
a plan exists; values are loaded into the model only when one does.
"""

import logging
import math
from dataclasses import dataclass
from typing import Any

import pyomo.environ as pyo
from pyomo.common.tee import capture_output
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs, highspy

from models import SolverOptions

log = logging.getLogger(__name__)


@dataclass
class Stage:
    """What one HiGHS run ended with."""

    status: str  # optimal, feasible-at-limit, infeasible or error
    objective: float | None
    gap: float | None
    message: str


def _relative_gap(incumbent: float | None, bound: float | None) -> float | None:
    if incumbent is None or bound is None or not math.isfinite(bound):
        return None  # no bound yet: the gap is unknown
    if abs(incumbent) <= 1e-9:
        return abs(incumbent - bound)
    return abs(incumbent - bound) / abs(incumbent)


def _stage(results: Any) -> Stage:
    """Map termination condition first, then solution status, to our status."""
    condition = results.termination_condition
    has_plan = results.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
    incumbent = results.incumbent_objective
    gap = _relative_gap(incumbent, results.objective_bound)
    if condition == TerminationCondition.convergenceCriteriaSatisfied and has_plan:
        return Stage("optimal", incumbent, gap, "optimal")
    if condition in (TerminationCondition.maxTimeLimit, TerminationCondition.iterationLimit):
        if has_plan:
            return Stage("feasible-at-limit", incumbent, gap, "stopped at the time limit")
        return Stage("error", None, None, "no plan found before the time limit")
    if condition in (
        TerminationCondition.provenInfeasible,
        TerminationCondition.infeasibleOrUnbounded,
    ):
        return Stage("infeasible", None, None, "the scenario is infeasible")
    return Stage("error", None, None, f"HiGHS stopped: {condition.name}")


NO_UPDATES = dict.fromkeys(
    [
        "check_for_new_or_removed_constraints",
        "check_for_new_or_removed_vars",
        "check_for_new_or_removed_params",
        "check_for_new_objective",
        "update_constraints",
        "update_vars",
        "update_parameters",
        "update_named_expressions",
        "update_objective",
    ],
    False,
)
_PROCESS_THREADS: list[int | None] = []  # HiGHS fixes its thread count at the first solve


class Session:
    """One persistent HiGHS instance for one model, re-solved after edits.

    HiGHS's thread pool is process-wide: a later solve that asks for another
    ``threads`` value fails. The first value asked for in a process is kept,
    and a different later request is logged and ignored.
    """

    def __init__(self, options: SolverOptions):
        if not _PROCESS_THREADS:
            _PROCESS_THREADS.append(options.threads)
        elif options.threads != _PROCESS_THREADS[0]:
            log.warning(
                "threads=%s ignored: this process already runs HiGHS with threads=%s",
                options.threads,
                _PROCESS_THREADS[0],
            )
            options = options.model_copy(update={"threads": _PROCESS_THREADS[0]})
        self.options = options
        self.solver = Highs()

    def run(
        self,
        m: pyo.ConcreteModel,
        seconds: float,
        mip_gap: float | None = None,
        warm_start: bool = False,
    ) -> Stage:
        """Solve ``m`` as it stands (active objective and constraints) within ``seconds``.

        With ``warm_start``, the values the model's variables hold (a plan from
        the previous run) are handed to HiGHS as its first incumbent.
        """
        updates = {}
        with capture_output(capture_fd=True):  # highspy prints to stdout: keep --format json clean
            if warm_start:
                self._start_from_values(m)
                updates = {"auto_updates": NO_UPDATES}  # applied already; another would clear it
            results = self.solver.solve(
                m,
                time_limit=max(seconds, 0.01),
                rel_gap=self.options.mip_gap if mip_gap is None else mip_gap,
                threads=self.options.threads,
                load_solutions=False,
                raise_exception_on_nonoptimal_result=False,
                solver_options={"random_seed": self.options.seed},
                **updates,
            )
        stage = _stage(results)
        if stage.status in ("optimal", "feasible-at-limit"):
            results.solution_loader.load_vars()
        return stage

    def _start_from_values(self, m: pyo.ConcreteModel) -> None:
        """Pass the variables' current values to HiGHS as a starting solution."""
        if self.solver._model is None:
            self.solver.set_instance(m)
        self.solver.update()  # apply the model's edits first: they would clear the start
        highs = self.solver._solver_model
        columns = self.solver._pyomo_var_to_solver_var_map
        values = [0.0] * highs.getNumCol()
        for var_id, column in columns.items():
            value = self.solver._vars[var_id][0].value
            values[column] = 0.0 if value is None else value
        start = highspy.HighsSolution()
        start.col_value = values
        start.value_valid = True
        highs.setSolution(start)
