"""dualtrack's engine: load a scenario, build and solve its model, read the plan."""

from optimizer.load import load_scenario
from optimizer.solver import solve

__all__ = ["load_scenario", "solve"]
