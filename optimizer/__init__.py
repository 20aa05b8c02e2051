"""dualtrack's engine: load a scenario, build and solve its model, read the plan, compare."""

from optimizer.compare import compare
from optimizer.load import load_scenario
from optimizer.solver import solve

__all__ = ["compare", "load_scenario", "solve"]
