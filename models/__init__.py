"""The typed domain of dualtrack: a scenario and its parts. Imports nothing from ``optimizer``."""

from models.filters import Filter
from models.rules import Rule
from models.scenario import (
    IMPLICIT_BUYER,
    Budget,
    Buyer,
    Capability,
    Expansion,
    Horizon,
    Need,
    Objective,
    Scenario,
    SolverOptions,
    Source,
    Supplier,
    System,
    Variant,
)

__all__ = [
    "IMPLICIT_BUYER",
    "Budget",
    "Buyer",
    "Capability",
    "Expansion",
    "Filter",
    "Horizon",
    "Need",
    "Objective",
    "Rule",
    "Scenario",
    "SolverOptions",
    "Source",
    "Supplier",
    "System",
    "Variant",
]
