"""Policy rules: the parameter models, one per rule type (DESIGN §5).

``Rule`` is a union discriminated on ``type``. The constraints each type adds
live in ``optimizer/model/rules/<type>.py``; the audit re-checks them in pandas.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.filters import Filter
from models.ids import Id


class RuleBase(BaseModel):
    """What every rule has."""

    model_config = ConfigDict(extra="forbid")

    id: Id
    enabled: bool = True
    description: str = ""
    source: str | list[str] | None = None
    estimate: str | None = None
    buyers: list[Id] | None = None
    """The buyers it binds (default all), each on its own unless ``together``."""
    together: bool = False
    """Pool the listed buyers' sums into one row instead of one row per buyer."""


class Exclude(RuleBase):
    """Matching systems may not be ordered from ``from_year`` to ``until_year``."""

    type: Literal["exclude"]
    systems: Filter
    from_year: int | None = None
    until_year: int | None = None


class Share(RuleBase):
    """The share of a measure that ``select`` takes within ``among`` is bounded."""

    type: Literal["share"]
    select: Filter
    among: Filter = Field(default_factory=Filter)
    measure: Literal["spend", "content", "capability"] = "spend"
    bound: Literal["min", "max"] = "min"
    value: float = Field(ge=0, le=1)
    scope: Literal["horizon", "per_year", "per_capability"] = "horizon"


class Interoperability(RuleBase):
    """Capability units delivered by new orders have average interoperability ≥ ``value``."""

    type: Literal["interoperability"]
    value: float = Field(ge=0, le=1)
    capabilities: list[str] | None = None
    scope: Literal["horizon", "per_year"] = "horizon"


class MaxSupplierShare(RuleBase):
    """No single supplier takes more than ``value`` of the spending on ``select``."""

    type: Literal["max_supplier_share"]
    value: float = Field(ge=0, le=1)
    select: Filter = Field(default_factory=Filter)


class MaxTypes(RuleBase):
    """At most ``value`` distinct systems are ordered for each listed capability."""

    type: Literal["max_types"]
    value: int = Field(ge=0)
    capabilities: list[str] | None = None


class Deadline(RuleBase):
    """From ``year`` on, level ≥ ``fraction`` · requirement for each listed capability."""

    type: Literal["deadline"]
    capabilities: list[str] = Field(min_length=1)
    year: int
    fraction: float = Field(default=1.0, ge=0, le=1)


class MinInvestment(RuleBase):
    """Spending on expanding ``select``'s production is at least ``amount`` or ``share``."""

    type: Literal["min_investment"]
    select: Filter = Field(default_factory=Filter)
    amount: float | None = Field(default=None, ge=0)
    share: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _one_of_amount_or_share(self) -> "MinInvestment":
        if (self.amount is None) == (self.share is None):
            raise ValueError("give exactly one of amount or share")
        return self


class Joint(RuleBase):
    """The named budgets pay for a system in a year only when enough buyers order it then.

    Joint procurement (SAFE's common procurement, EDIP): at least ``min_buyers``
    of the rule's buyers order the system in the same year, ``min_in_group``
    of them (by group name) with all their countries in that group.
    """

    type: Literal["joint"]
    budgets: list[Id] = Field(min_length=1)
    min_buyers: int = Field(ge=2)
    min_in_group: dict[Id, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    from_year: int | None = None
    until_year: int | None = None


Rule = Annotated[
    Exclude
    | Share
    | Interoperability
    | MaxSupplierShare
    | MaxTypes
    | Deadline
    | MinInvestment
    | Joint,
    Field(discriminator="type"),
]
