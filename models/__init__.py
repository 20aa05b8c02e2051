"""The typed domain of dualtrack: a scenario and its parts. Imports nothing from ``optimizer``."""

from models.filters import Filter
from models.rules import Rule
from models.scenario import (
    Budget,
    Capability,
    Expansion,
    Horizon,
    Objective,
    Scenario,
    SolverOptions,
    Source,
    Supplier,
    System,
    Variant,
)

__all__ = [
    "Budget",
    "Capability",
    "Expansion",
    "Filter",
    "Horizon",
    "Objective",
    "Rule",
    "Scenario",
    "SolverOptions",
    "Source",
    "Supplier",
    "System",
    "Variant",
]
