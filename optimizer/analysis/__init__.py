"""Analyses built on the solve step's public functions: compare and attribution."""
