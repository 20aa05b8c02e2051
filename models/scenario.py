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


IMPLICIT_BUYER = "all"
"""The one buyer of a document without ``buyers:`` (a reserved id)."""


class Need(BaseModel):
    """What a buyer has and must reach in one capability (DESIGN §3 numbers, §13)."""

    model_config = ConfigDict(extra="forbid")

    initial: Series = Field(default=0.0, validate_default=True)
    requirement: Series
    consumption: Series = Field(default=0.0, validate_default=True)
    source: str | list[str] | None = None
    estimate: str | None = None


class Capability(Entity):
    """A capability area; without ``buyers:`` also the one buyer's need in it.

    With buyers, a capability is a type only (id, name, unit, weight) and each
    buyer's ``needs`` carry the numbers.
    """

    name: str
    unit: str = "unit"
    weight: float = Field(default=1.0, gt=0)
    initial: Series = Field(default=0.0, validate_default=True)
    requirement: Series | None = None
    consumption: Series = Field(default=0.0, validate_default=True)


class Buyer(Entity):
    """A participant with its own needs, budgets and weight in the objective (DESIGN §13)."""

    name: str
    countries: list[Country] = Field(default_factory=list)
    """The countries it stands for (one buyer may be several states ordering as one)."""
    weight: float = Field(default=1.0, gt=0)
    """W_b: its gaps' weight in the objective."""
    needs: dict[Id, Need] = Field(min_length=1)
    """Per capability id."""


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
    """Units deliverable per year (in the delivery year), to all buyers together."""
    eu_content: float = Field(default=0.0, ge=0, le=1)
    interoperability: float = Field(default=1.0, ge=0, le=1)
    itar: bool = False
    in_service: bool | list[Id] = False
    """True (every buyer), false, or the ids of the buyers that already operate it."""
    adoption_cost: float = Field(default=0.0, ge=0)
    """Paid once by each buyer that adopts it."""
    integer: bool = True
    pipeline: Events | dict[Id, Events] = Field(default_factory=dict)
    """Contracted deliveries by year; with buyers, by buyer and year."""
    expansion: Expansion | None = None
    tags: list[str] = Field(default_factory=list)

    def in_service_for(self, buyer: str) -> bool:
        """Whether ``buyer`` operates the system already (and so needs no adoption)."""
        if isinstance(self.in_service, bool):
            return self.in_service
        return buyer in self.in_service

    def pipeline_for(self, buyer: str) -> dict[int, float]:
        """The deliveries contracted for ``buyer``, by year."""
        if not self.pipeline or isinstance(next(iter(self.pipeline)), int):
            return self.pipeline if buyer == IMPLICIT_BUYER else {}
        return self.pipeline.get(buyer, {})


class Budget(Entity):
    """A source of money with a yearly amount; with buyers, one buyer's or ``shared``."""

    name: str = ""
    amount: Series
    carryover: bool = False
    eligible: Filter = Field(default_factory=Filter)
    buyer: Id | None = None
    """The buyer whose payments it funds (with ``buyers:``)."""
    shared: bool = False
    """Any buyer may draw on it (with ``buyers:``)."""


class Risk(BaseModel):
    """Plan for the delivery risks: the primary over sampled outcomes (DESIGN §14)."""

    model_config = ConfigDict(extra="forbid")

    samples: int = Field(ge=1, le=500)
    """K draws of the ``uncertainty`` list (slips and capacity factors), held in the model."""
    seed: int = Field(default=0, ge=0)
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
    """Options passed to HiGHS (from the file's ``solver`` section or the command line)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

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
    buyers: list[Buyer] = Field(default_factory=list)
    """Several buyers (DESIGN §13); none: one implicit buyer with the capabilities' numbers."""
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
        lists = ("buyers", "capabilities", "suppliers", "systems", "budgets", "rules")
        return self.model_copy(
            update={name: sorted(getattr(self, name), key=lambda e: e.id) for name in lists}
        )

    @property
    def buyer_ids(self) -> list[str]:
        """The buyers' ids, or the one implicit buyer's."""
        return [b.id for b in self.buyers] or [IMPLICIT_BUYER]

    def buyer_weight(self, buyer: str) -> float:
        """W_b: the buyer's weight in the objective (1 for the implicit buyer)."""
        return next((b.weight for b in self.buyers if b.id == buyer), 1.0)

    def needs_of(self, buyer: str) -> dict[str, Need]:
        """The buyer's needs by capability id, in the order of ``capabilities``."""
        if buyer == IMPLICIT_BUYER:
            return {
                c.id: Need.model_construct(
                    initial=c.initial or {0: 0.0},
                    requirement=c.requirement or {0: 0.0},
                    consumption=c.consumption or {0: 0.0},
                )
                for c in self.capabilities
            }
        needs = next(b.needs for b in self.buyers if b.id == buyer)
        return {c.id: needs[c.id] for c in self.capabilities if c.id in needs}

    def money_by(self, budget: Budget, year: int) -> float:
        """What ``budget`` can pay in ``year``: that year's amount, or all so far with carryover."""
        amount = self.series(budget.amount)
        if budget.carryover:
            return sum(amount[t] for t in self.years if t <= year)
        return amount[year]

    def payers(self, budget: Budget) -> list[str]:
        """The buyers whose payments ``budget`` may fund."""
        if budget.buyer is not None:
            return [budget.buyer]
        return self.buyer_ids

    def buyer_groups(self, rule: Rule) -> list[list[str]]:
        """Whose sums a rule bounds: each listed buyer on its own, or all of them ``together``."""
        listed = rule.buyers or self.buyer_ids
        return [listed] if rule.together else [[b] for b in listed]

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
