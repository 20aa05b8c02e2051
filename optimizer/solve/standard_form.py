"""The Pyomo model as arrays for HiGHS, with the map back from columns and rows.

Pyomo's ``LinearStandardFormCompiler`` turns the model into a sparse matrix in
one pass (the persistent interface's ``set_instance`` took four times as long, see
benchmarks/README.md). Every objective is compiled, active or not, so the
stages switch objectives by changing costs. The kept maps let the solve step
write a plan back into the variables and relax a rule by its rows' bounds.
"""

from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler
from scipy.sparse import csc_array


class TriviallyInfeasible(Exception):
    """A row without variables that cannot hold (a rule asking for what cannot exist)."""


@dataclass
class Objective:
    """One objective as a cost vector over the columns: sense·(cost·x + offset) is minimised."""

    cost: np.ndarray
    offset: float
    sense: int  # 1 minimise, −1 maximise (HiGHS's ObjSense values)


@dataclass
class StandardForm:
    """row_lower ≤ A·x ≤ row_upper, col_lower ≤ x ≤ col_upper, some x integer."""

    columns: list  # the Pyomo variable of each column
    matrix: csc_array
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    objectives: dict[str, Objective]
    rule_rows: dict[str, np.ndarray] = field(default_factory=dict)
    """Row indices of each rule's block (``m.rules[id]``), for switching it off by bounds."""
    absent: list = field(default_factory=list)
    """Variables in no row and no objective: any value in their bounds will do."""

    @property
    def is_mip(self) -> bool:
        """Whether any column is integer."""
        return bool(self.integer.any())

    def row_bounds(self, relaxed: set[str] = frozenset()) -> tuple[np.ndarray, np.ndarray]:
        """Row bounds with the rows of the ``relaxed`` rules made free (−∞, ∞)."""
        lower, upper = self.row_lower.copy(), self.row_upper.copy()
        for rule in relaxed:
            rows = self.rule_rows.get(rule, [])
            lower[rows], upper[rows] = -np.inf, np.inf
        return lower, upper

    def values(self) -> np.ndarray:
        """The values the model's variables hold now, as a column vector (None counts as 0)."""
        return np.array([v.value or 0.0 for v in self.columns], dtype=float)

    def load(self, values: np.ndarray) -> None:
        """Write a column vector into the model's variables; integers are rounded."""
        values = np.where(self.integer, np.round(values), values)
        for var, value in zip(self.columns, values.tolist(), strict=True):
            var.set_value(value, skip_validation=True)
        for var in self.absent:  # 0, or the bound nearest to it
            var.set_value(float(np.clip(0.0, var.lb or -np.inf, var.ub or np.inf)))


def compile_model(m: pyo.ConcreteModel) -> StandardForm:
    """Compile ``m`` with all its objectives; raises ``TriviallyInfeasible`` for a constant row."""
    objectives = list(m.component_data_objects(pyo.Objective, descend_into=True))
    inactive = [o for o in objectives if not o.active]
    for o in inactive:
        o.activate()
    try:
        info = LinearStandardFormCompiler().write(m, mixed_form=True, set_sense=None)
    except InfeasibleConstraintException as error:
        raise TriviallyInfeasible(str(error)) from None
    finally:
        for o in inactive:
            o.deactivate()
    bounds = np.array([v.bounds for v in info.columns], dtype=float).reshape(-1, 2)
    kind = np.array([row.bound_type for row in info.rows], dtype=int)
    rhs = np.asarray(info.rhs, dtype=float)
    costs = csc_array(info.c).toarray() if info.c.shape[0] else np.zeros((0, len(info.columns)))
    in_columns = {id(v) for v in info.columns}
    return StandardForm(
        columns=info.columns,
        matrix=csc_array(info.A),
        col_lower=np.nan_to_num(bounds[:, 0], nan=-np.inf),
        col_upper=np.nan_to_num(bounds[:, 1], nan=np.inf),
        integer=np.array([v.is_integer() for v in info.columns], dtype=bool),
        row_lower=np.where(kind == 1, -np.inf, rhs),  # 1: body ≤ rhs, −1: body ≥ rhs, 0: =
        row_upper=np.where(kind == -1, np.inf, rhs),
        objectives={
            o.local_name: Objective(costs[k], float(info.c_offset[k]), int(o.sense))
            for k, o in enumerate(info.objectives)
        },
        rule_rows=_rule_rows(m, info.rows),
        absent=[
            v
            for v in m.component_data_objects(pyo.Var, descend_into=True)
            if id(v) not in in_columns and not v.fixed
        ],
    )


def compile_if_feasible(m: pyo.ConcreteModel) -> StandardForm | None:
    """``compile_model``, or None when a row cannot hold whatever the plan."""
    try:
        return compile_model(m)
    except TriviallyInfeasible:
        return None


def _rule_rows(m: pyo.ConcreteModel, rows: list) -> dict[str, np.ndarray]:
    """Row indices per rule id, found from each row's block."""
    if not hasattr(m, "rules"):
        return {}
    rule_of = {id(m.rules[r]): r for r in m.RULES}
    found: dict[str, list[int]] = {r: [] for r in m.RULES}
    for i, row in enumerate(rows):
        block = row.constraint.parent_block()
        while block is not None and id(block) not in rule_of:
            block = block.parent_block()  # a rule's rows for one buyer sit in a sub-block
        if block is not None:
            found[rule_of[id(block)]].append(i)
    return {r: np.array(i, dtype=int) for r, i in found.items()}
