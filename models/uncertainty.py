"""The ``uncertainty`` list (DESIGN §14): what may go wrong in delivery, and how likely.

Nothing here changes a plain solve; the stress test draws from these entries
and replays a plan under each draw.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.filters import Filter
from models.ids import Id

SYSTEM_FIELDS = ("lead_time", "capacity", "unit_cost")


class Distribution(BaseModel):
    """Exactly one of ``choice`` (with ``p``), ``uniform``, ``triangular`` or ``normal``."""

    model_config = ConfigDict(extra="forbid")

    choice: list[float] | None = Field(default=None, min_length=1)
    p: list[float] | None = None
    """Probabilities of the ``choice`` values; equal when left out."""
    uniform: tuple[float, float] | None = None
    """(low, high)."""
    triangular: tuple[float, float, float] | None = None
    """(low, mode, high)."""
    normal: tuple[float, float] | None = None
    """(mean, sd), clipped at 0."""

    @model_validator(mode="after")
    def _one_kind_that_makes_sense(self) -> "Distribution":
        given = [k for k in ("choice", "uniform", "triangular", "normal") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of choice, uniform, triangular, normal")
        if self.p is not None:
            if self.choice is None or len(self.p) != len(self.choice):
                raise ValueError("p needs a choice of the same length")
            if any(q < 0 for q in self.p) or abs(sum(self.p) - 1) > 1e-9:
                raise ValueError(f"p must be ≥ 0 and sum to 1 (sums to {sum(self.p):g})")
        if self.uniform and not self.uniform[0] <= self.uniform[1]:
            raise ValueError("uniform: low must be ≤ high")
        if self.triangular and not (self.triangular[0] <= self.triangular[1] <= self.triangular[2]):
            raise ValueError("triangular: low ≤ mode ≤ high")
        if self.normal and self.normal[1] < 0:
            raise ValueError("normal: sd must be ≥ 0")
        return self

    @property
    def values(self) -> list[float]:
        """The values the distribution can take at its ends (for range checks)."""
        return list(self.choice or self.uniform or self.triangular or [self.normal[0]])


class Uncertainty(BaseModel):
    """One uncertain input: which items, which field, added to or multiplied by what."""

    model_config = ConfigDict(extra="forbid")

    id: Id
    systems: Filter | None = None
    """For ``lead_time``, ``capacity``, ``unit_cost``: the systems it applies to."""
    budgets: list[str] | None = None
    """For ``amount``: the budgets it applies to (ids)."""
    field: Literal["lead_time", "capacity", "unit_cost", "amount"]
    add: Distribution | None = None
    """Whole years added to ``lead_time`` (contracted pipeline deliveries slip with it)."""
    multiply: Distribution | None = None
    """A factor on ``capacity``, ``unit_cost`` or budget ``amount``."""
    per: Literal["draw", "system", "supplier"] = "draw"
    """One draw for all matching items (a common cause), or one per system or supplier."""
    description: str = ""
    source: str | list[str] | None = None
    estimate: str | None = None

    @model_validator(mode="after")
    def _fits_its_field(self) -> "Uncertainty":
        if self.field == "lead_time":
            if self.add is None or self.multiply is not None:
                raise ValueError("lead_time takes add (whole years), not multiply")
            if self.add.choice is None or any(v != int(v) for v in self.add.choice):
                raise ValueError("lead_time: add a choice of whole years")
        elif self.multiply is None or self.add is not None:
            raise ValueError(f"{self.field} takes multiply, not add")
        elif min(self.multiply.values) < 0:
            raise ValueError("multiply: factors must be ≥ 0")
        if self.field == "amount":
            if not self.budgets or self.systems is not None:
                raise ValueError("amount applies to budgets: give budgets, not systems")
            if self.per != "draw":
                raise ValueError("amount: per must be draw")
        elif self.budgets is not None:
            raise ValueError(f"{self.field} applies to systems: give systems, not budgets")
        return self
