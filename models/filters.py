"""Filters: which systems a budget may buy or a rule applies to.

Keys combine with AND; a list inside a key is OR; an empty filter selects
every system.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from models.ids import Country


class Selectable(Protocol):
    """What a filter reads of a system (``models.scenario.System`` has all of it)."""

    id: str
    supplier: str
    contributes: Mapping[str, float]
    tags: list[str]
    itar: bool
    in_service: bool | list[str]
    eu_content: float
    interoperability: float


Share = Field(default=None, ge=0, le=1)


class Filter(BaseModel):
    """A selection of systems."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    groups: list[str] | None = None
    """Supplier country in any of these named groups."""
    countries: list[Country] | None = None
    """Supplier country is one of these ISO alpha-2 codes."""
    suppliers: list[str] | None = None
    """Supplier id is one of these."""
    systems: list[str] | None = None
    """System id is one of these."""
    capabilities: list[str] | None = None
    """System contributes to any of these capabilities."""
    tags: list[str] | None = None
    """System carries any of these tags."""
    itar: bool | None = None
    in_service: bool | None = None
    """In service with any buyer (true), or with none (false)."""
    eu_content_min: float | None = Share
    eu_content_max: float | None = Share
    interoperability_min: float | None = Share
    not_: Filter | None = Field(default=None, alias="not")
    """Systems the inner filter does not select."""

    def matches(self, system: Selectable, country: str, groups: dict[str, list[str]]) -> bool:
        """Whether ``system``, whose supplier is in ``country``, is selected."""
        checks = [
            self.groups is None or any(country in groups[g] for g in self.groups),
            self.countries is None or country in self.countries,
            self.suppliers is None or system.supplier in self.suppliers,
            self.systems is None or system.id in self.systems,
            self.capabilities is None or any(c in system.contributes for c in self.capabilities),
            self.tags is None or any(tag in system.tags for tag in self.tags),
            self.itar is None or system.itar == self.itar,
            self.in_service is None or bool(system.in_service) == self.in_service,
            self.eu_content_min is None or system.eu_content >= self.eu_content_min,
            self.eu_content_max is None or system.eu_content <= self.eu_content_max,
            self.interoperability_min is None
            or system.interoperability >= self.interoperability_min,
            self.not_ is None or not self.not_.matches(system, country, groups),
        ]
        return all(checks)
