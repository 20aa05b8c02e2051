"""The scenario document (DESIGN §3) as pydantic models.

Unknown keys are errors everywhere (``extra="forbid"``). Cross-references
(supplier ids, capability ids, groups in filters) are checked in
``models.references`` so that one report lists every problem at once.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.filters import Filter
from models.ids import Country, Id
from models.rules import Rule
from models.series import Events, Series, expand
from models.uncertainty import Uncertainty


def supplier_origin(country: str, eu_countries: set[str]) -> str:
    """Where money goes: ``EU`` for a country in the ``eu`` group, else its country code."""
    return "EU" if country in eu_countries else str(country)


class Entity(BaseModel):
    """Anything with an id, and optionally where its figures come from."""

    model_config = ConfigDict(extra="forbid")

    id: Id
    source: str | list[str] | None = None
    """Id (or ids) of entries in the scenario's ``sources``."""
    estimate: str | None = None
    """How a figure without a direct source was reached."""


class Source(BaseModel):
    """A public document that figures in the scenario come from."""

    model_config = ConfigDict(extra="forbid")

    id: Id
    title: str
    publisher: str = ""
    year: int | None = None
    url: str = ""


class Horizon(BaseModel):
    """Planning years, inclusive."""

    model_config = ConfigDict(extra="forbid")

    start: int = Field(ge=1900, le=2200)
    end: int = Field(ge=1900, le=2200)
    tail: int = Field(default=0, ge=0, le=100)
    """Years after ``end`` in which orders may still arrive and gaps still count."""
    tail_weight: float = Field(default=1.0, ge=0)
    """The weight of a tail year's gaps in the objective, relative to a horizon year's."""

    @property
    def years(self) -> range:
        """Every year of the horizon: the years orders are placed and budgets hold money."""
        return range(self.start, self.end + 1)

    @property
    def delivery_years(self) -> range:
        """The horizon and its tail: the years deliveries arrive and capabilities are counted."""
        return range(self.start, self.end + self.tail + 1)


class Capability(Entity):
    """A capability area with a requirement to meet."""

    name: str
    unit: str = "unit"
    weight: float = Field(default=1.0, gt=0)
    initial: Series = Field(default=0.0, validate_default=True)
    requirement: Series
    consumption: Series = Field(default=0.0, validate_default=True)


class Supplier(Entity):
    """A manufacturer, located in one country."""

    name: str
    country: Country


class Expansion(BaseModel):
    """Production capacity that can be bought in steps."""

    model_config = ConfigDict(extra="forbid")

    cost: float = Field(ge=0)
    """Money per step, paid in the year of the investment."""
    capacity: float = Field(gt=0)
    """Extra units per year per step."""
    ramp_up: int = Field(default=0, ge=0)
    """Years from investment to first extra output."""
    max_steps: int = Field(default=1, ge=0)


class System(Entity):
    """Something that can be ordered from a supplier."""

    name: str
    supplier: str
    contributes: dict[str, Annotated[float, Field(ge=0)]] = Field(min_length=1)
    """Capability units per system unit, by capability id."""
    unit_cost: Series
    lead_time: int = Field(default=0, ge=0)
    capacity: Series
    """Units deliverable per year to this buyer (in the delivery year)."""
    eu_content: float = Field(default=0.0, ge=0, le=1)
    interoperability: float = Field(default=1.0, ge=0, le=1)
    itar: bool = False
    in_service: bool = False
    adoption_cost: float = Field(default=0.0, ge=0)
    integer: bool = True
    pipeline: Events = Field(default_factory=dict)
    expansion: Expansion | None = None
    tags: list[str] = Field(default_factory=list)


class Budget(Entity):
    """A source of money with a yearly amount."""

    name: str = ""
    amount: Series
    carryover: bool = False
    eligible: Filter = Field(default_factory=Filter)


class Risk(BaseModel):
    """Plan for the delivery risks: the primary over sampled outcomes (DESIGN §14)."""

    model_config = ConfigDict(extra="forbid")

    samples: int = Field(ge=1, le=500)
    """K draws of the ``uncertainty`` list (slips and capacity factors), held in the model."""
    seed: int = 0
    measure: Literal["expected", "cvar"] = "expected"
    """The mean weighted gap over the samples, or its CVaR (the mean of the worst 1 − alpha)."""
    alpha: float = Field(default=0.8, ge=0, lt=1)


class Objective(BaseModel):
    """What to minimise first, and what to minimise at that optimum."""

    model_config = ConfigDict(extra="forbid")

    primary: Literal["weighted_gap", "max_gap"] = "weighted_gap"
    secondary: Literal["cost", "non_eu_spend", "none"] = "cost"
    risk: Risk | None = None
    """With it, the primary is the weighted gap's mean or CVaR over sampled delivery outcomes."""

    @model_validator(mode="after")
    def _risk_on_the_weighted_gap(self) -> "Objective":
        if self.risk is not None and self.primary != "weighted_gap":
            raise ValueError("risk: only with primary weighted_gap")
        return self


class SolverOptions(BaseModel):
    """Options passed to HiGHS."""

    model_config = ConfigDict(extra="forbid")

    time_limit: float = Field(default=60.0, gt=0)
    """Seconds for the whole solve, both stages."""
    mip_gap: float = Field(default=1e-4, ge=0, le=1)
    threads: int | None = Field(default=None, ge=1)
    seed: int = Field(default=0, ge=0)


class Variant(BaseModel):
    """A named patch of the scenario document (DESIGN §6)."""

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    patch: dict = Field(default_factory=dict)


class Scenario(BaseModel):
    """A whole scenario document, validated."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    units: dict[str, str] = Field(default_factory=lambda: {"money": "million EUR"})
    horizon: Horizon
    sources: list[Source] = Field(default_factory=list)
    groups: dict[Id, list[Country]] = Field(default_factory=dict)
    capabilities: list[Capability] = Field(min_length=1)
    suppliers: list[Supplier] = Field(min_length=1)
    systems: list[System] = Field(min_length=1)
    budgets: list[Budget] = Field(min_length=1)
    rules: list[Rule] = Field(default_factory=list)
    objective: Objective = Field(default_factory=Objective)
    content_group: str | None = None
    """Origin group for ``eu_content``: default ``safe_eligible``, else ``eu``."""
    report_years: list[int] = Field(default_factory=list)
    uncertainty: list[Uncertainty] = Field(default_factory=list)
    """What may go wrong in delivery, and how likely (DESIGN §14): used by the stress test."""
    variants: dict[str, Variant] = Field(default_factory=dict)
    solver: SolverOptions = Field(default_factory=SolverOptions)

    @property
    def years(self) -> range:
        """Every year of the horizon."""
        return self.horizon.years

    @property
    def content_group_name(self) -> str | None:
        """The group ``eu_content`` is measured against: as given, else safe_eligible, else eu."""
        if self.content_group is not None:
            return self.content_group
        return next((g for g in ("safe_eligible", "eu") if g in self.groups), None)

    def in_id_order(self) -> "Scenario":
        """The same scenario with every entity list and the rules sorted by id.

        The model is built from this canonical order, so rows and columns (and
        HiGHS's search path) do not depend on the order of the document.
        """
        lists = ("capabilities", "suppliers", "systems", "budgets", "rules")
        return self.model_copy(
            update={name: sorted(getattr(self, name), key=lambda e: e.id) for name in lists}
        )

    @property
    def delivery_years(self) -> range:
        """The horizon and its tail."""
        return self.horizon.delivery_years

    def series(self, values: dict[int, float]) -> dict[int, float]:
        """A series' value in every year of the horizon and its tail."""
        return expand(values, self.delivery_years)

    def supplier_of(self, system: System) -> Supplier:
        """The supplier of ``system``."""
        return next(k for k in self.suppliers if k.id == system.supplier)

    def select(self, selection: Filter) -> list[str]:
        """Ids of the systems a filter selects, in the order of ``systems``."""
        country = {k.id: k.country for k in self.suppliers}
        return [
            s.id for s in self.systems if selection.matches(s, country[s.supplier], self.groups)
        ]

    @property
    def enabled_rules(self) -> list[Rule]:
        """The rules that are switched on."""
        return [r for r in self.rules if r.enabled]
