"""Small scenario files for CLI tests."""

from pathlib import Path

BROKEN = """\
name: broken
horizon: {start: 2026, end: 2027}
capabilities:
  - {id: air, name: Air defence, requirement: 4}
suppliers:
  - {id: rtx, name: RTX, country: US}
systems:
  - {id: patriot, name: Patriot, supplier: rtx, contributes: {air: 1}, unit_cost: 1000,
     capacity: 2, lead_time: -1}
  - {id: f35, name: F-35A, supplier: boeing, contributes: {air: 1}, unit_cost: 80, capacity: 2}
budgets:
  - {id: national}
"""

IMPOSSIBLE_DEADLINE = """\
name: impossible
horizon: {start: 2026, end: 2028}
capabilities:
  - {id: air, name: Air defence, requirement: 10, initial: 2}
suppliers:
  - {id: rtx, name: RTX, country: US}
systems:
  - {id: patriot, name: Patriot, supplier: rtx, contributes: {air: 1}, unit_cost: 100,
     capacity: 2, lead_time: 1}
budgets:
  - {id: national, amount: 10000}
rules:
  - {id: air_2027, type: deadline, capabilities: [air], year: 2027}
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def write_broken_scenario(folder: Path) -> Path:
    """Three mistakes: a negative lead time, a missing amount, an unknown supplier."""
    return _write(folder, "broken.yaml", BROKEN)


def write_impossible_deadline(folder: Path) -> Path:
    """Full air defence by 2027, but at most 2 + 2 = 4 of 10 can be there."""
    return _write(folder, "impossible.yaml", IMPOSSIBLE_DEADLINE)
