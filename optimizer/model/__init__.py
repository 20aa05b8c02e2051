"""The model: one Pyomo formulation built from a validated `Scenario`, a module per rule type."""
