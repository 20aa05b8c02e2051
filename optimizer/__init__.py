"""dualtrack's engine: load a scenario, build and solve its model, read the plan, compare.

The package is layered, each layer importing only from those before it:
``input`` (documents to a validated ``Scenario``) → ``model`` (the Pyomo
formulation and its rules) → ``solve`` (HiGHS, results, audit, diagnosis) →
``analysis`` (compare, attribution, ranges, stress, sweeps) → ``output`` (files, terminal, report) →
``cli``. The public names are importable from here.
"""

from optimizer.analysis.compare import Comparison, attribute, compare
from optimizer.analysis.ranges import Ranges, ranges
from optimizer.analysis.stress import StressResult, stress
from optimizer.analysis.sweep import Sweep, sweep
from optimizer.input.errors import ScenarioError
from optimizer.input.load import load_scenario
from optimizer.solve.results import Result
from optimizer.solve.stages import solve

__all__ = [
    "Comparison",
    "Ranges",
    "Result",
    "ScenarioError",
    "StressResult",
    "Sweep",
    "attribute",
    "compare",
    "load_scenario",
    "ranges",
    "solve",
    "stress",
    "sweep",
]
