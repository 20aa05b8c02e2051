"""A HiGHS run in a child process, stopped at its deadline: the time limit that holds.

HiGHS checks its time limit, and asks its interrupt callbacks, between the steps of
branch and bound, but not inside the MIP's root LP or presolve: at 3000×30 (228,000
columns) a 30 s limit ended after 39 s, the interrupt callback first asked after the
root LP's 28 s, with simplex or interior point alike (benchmarks/README.md). A run of
a large model therefore goes to a child process that sends each better plan as HiGHS
finds it; at the deadline the parent kills the child and keeps the last plan sent, or
else the start plan it gave (a whole plan: the do-nothing plan, or stage 1's for stage 2).
"""

import contextlib
import math
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
from pyomo.contrib.solver.solvers.highs import highspy

from optimizer.solve.processes import start_child, starting

FEASIBLE = 2  # kSolutionStatusFeasible: HiGHS holds a plan
GRACE = 0.5  # seconds the child gets after the deadline to send its own ending


@dataclass
class Outcome:
    """What a HiGHS run ended with, in or out of process."""

    status: Any  # highspy.HighsModelStatus
    has_plan: bool
    incumbent: float
    bound: float | None
    plan: np.ndarray | None
    stopped: bool = False  # killed at the deadline by the parent


def model_arrays(highs: Any) -> dict[str, Any]:
    """The model HiGHS holds now (after every edit), as plain arrays for another process."""
    lp = highs.getLp()
    matrix = lp.a_matrix_
    return {
        "num_col": lp.num_col_,
        "num_row": lp.num_row_,
        "format": int(matrix.format_),
        "sense": int(lp.sense_),
        "offset": lp.offset_,
        "cost": np.asarray(lp.col_cost_),
        "col_lower": np.asarray(lp.col_lower_),
        "col_upper": np.asarray(lp.col_upper_),
        "row_lower": np.asarray(lp.row_lower_),
        "row_upper": np.asarray(lp.row_upper_),
        "start": np.asarray(matrix.start_, dtype=np.int32),
        "index": np.asarray(matrix.index_, dtype=np.int32),
        "value": np.asarray(matrix.value_),
        "integrality": np.asarray([int(i) for i in lp.integrality_], dtype=np.int32),
    }


def run_highs(
    highs: Any, settings: dict, start: np.ndarray | None, improved: Any = None
) -> Outcome:
    """Run ``highs`` here with ``settings`` from ``start``; ``improved`` sees each better plan."""
    for name, value in settings.items():
        highs.setOptionValue(name, value)
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = start
        solution.value_valid = True
        highs.setSolution(solution)
    if improved is not None:
        highs.cbMipImprovingSolution += improved
    highs.run()
    info = highs.getInfo()
    has_plan = info.primal_solution_status == FEASIBLE
    plan = np.array(highs.getSolution().col_value) if has_plan else None
    incumbent = info.objective_function_value
    return Outcome(highs.getModelStatus(), has_plan, incumbent, info.mip_dual_bound, plan)


def _solve(model: dict, settings: dict, start: np.ndarray | None, answer: Connection) -> None:
    """In the child: solve ``model``, sending each better plan, then how the run ended.

    Messages: ``("plan", objective, bound, values)``, then
    ``("done", status, has_plan, incumbent, bound, values)``.
    """
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    integrality = model["integrality"]
    highs.passModel(
        model["num_col"], model["num_row"], len(model["value"]), model["format"], model["sense"],
        model["offset"], model["cost"], model["col_lower"], model["col_upper"],
        model["row_lower"], model["row_upper"], model["start"], model["index"], model["value"],
        integrality if len(integrality) else np.zeros(model["num_col"], dtype=np.int32),
    )  # fmt: skip

    def improved(event: Any) -> None:
        out = event.data_out
        plan = np.array(out.mip_solution)
        answer.send(("plan", out.objective_function_value, out.mip_dual_bound, plan))

    end = run_highs(highs, settings, start, improved)
    answer.send(("done", int(end.status), end.has_plan, end.incumbent, end.bound, end.plan))


def _send(fd: int, task: tuple) -> None:
    with Connection(fd) as connection, contextlib.suppress(OSError):  # a killed child
        connection.send(task)


def run_guarded(highs: Any, settings: dict, start: np.ndarray | None, seconds: float) -> Outcome:
    """Run the model ``highs`` holds in a child, killed ``seconds`` (+ ``GRACE``) from now.

    ``start``, a whole plan the caller knows to be feasible, is HiGHS's first incumbent and
    the answer if the child is stopped before it sends a better one. The child is a fresh
    Python running ``main`` (not multiprocessing's spawn, which would re-run the caller's
    script when it lacks an ``if __name__ == "__main__"`` guard).
    """
    deadline = time.monotonic() + seconds + GRACE
    model = model_arrays(highs)
    task_in, task_out = os.pipe()
    answer_in, answer_out = os.pipe()
    code = f"from {__name__} import main; main({os.getpid()}, {task_in}, {answer_out})"
    with starting():  # quiet: HiGHS's banner must not reach --format json on stdout
        child = subprocess.Popen(
            [sys.executable, "-c", code],
            pass_fds=(task_in, answer_out),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    os.close(task_in)
    os.close(answer_out)
    answers = Connection(answer_in)
    best: tuple[float, float | None, np.ndarray] | None = None
    try:
        # Sent from a thread: the pipe holds 64 KB until the child, still starting, reads.
        threading.Thread(
            target=_send, args=(task_out, (model, settings, start)), daemon=True
        ).start()
        while (left := deadline - time.monotonic()) > 0 and answers.poll(left):
            try:
                message = answers.recv()
            except EOFError:  # the child died (out of memory, a crash): no answer to wait for
                return Outcome(highspy.HighsModelStatus.kSolveError, False, math.inf, None, None)
            if message[0] == "plan":
                best = message[1:]
                continue
            _, status, has_plan, incumbent, bound, values = message
            return Outcome(highspy.HighsModelStatus(status), has_plan, incumbent, bound, values)
    finally:
        child.kill()
        child.wait()
        answers.close()
    if best is None and start is not None:  # a whole plan the caller knows to be feasible
        best = (float(model["cost"] @ start + model["offset"]), None, start)
    status = highspy.HighsModelStatus.kInterrupt
    if best is None:
        return Outcome(status, False, math.inf, None, None, stopped=True)
    return Outcome(status, True, *best, stopped=True)


def main(parent: int, task_fd: int, answer_fd: int) -> None:
    """The child's entry: read the task, solve it, answer; gone with its parent."""
    start_child(parent)
    with Connection(task_fd) as task:
        model, settings, start = task.recv()
    _solve(model, settings, start, Connection(answer_fd))
