"""Shared helpers: small hand-checkable scenarios, and a solve that is always audited.

``micro(**overrides)`` builds a minimal valid scenario document (one
capability, one supplier, one system, one budget, one year). Any top-level key
may be overridden. The entity lists (``capabilities``, ``suppliers``,
``systems``, ``budgets``) take items that only name what differs from the
default item: each item is laid over the default, and ``name`` defaults to the
item's ``id``. The singular keys ``capability``, ``supplier``, ``system`` and
``budget`` patch the one default item instead.

Money is in million EUR; the numbers are small and round so that every
optimum in the tests can be worked out by hand.

``solve_audited(doc, **options)`` solves a document with ``optimizer.solve``
(``mip_gap`` 0 unless given), asserts that ``Result.audit()`` finds nothing,
and returns the result. ``micro`` and ``solve_audited`` are also fixtures.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from optimizer import solve  # the public API (DESIGN §8), whatever module holds it

START = 2026

DEFAULT_CAPABILITY = {"id": "cap", "requirement": 10}
DEFAULT_SUPPLIER = {"id": "sup", "country": "DE"}
DEFAULT_SYSTEM = {
    "id": "sys",
    "supplier": "sup",
    "contributes": {"cap": 1},
    "unit_cost": 1,
    "capacity": 10,
}
DEFAULT_BUDGET = {"id": "money", "amount": 100}

_LISTS = {
    "capabilities": ("capability", DEFAULT_CAPABILITY),
    "suppliers": ("supplier", DEFAULT_SUPPLIER),
    "systems": ("system", DEFAULT_SYSTEM),
    "budgets": ("budget", DEFAULT_BUDGET),
}


def _item(default: dict, given: dict) -> dict:
    item = {**copy.deepcopy(default), **copy.deepcopy(given)}
    item.setdefault("name", item["id"])
    return item


def micro(*, years: int = 1, **overrides: Any) -> dict:
    """A minimal valid scenario document over ``years`` years from 2026, with overrides."""
    doc: dict[str, Any] = {
        "name": "micro",
        "horizon": {"start": START, "end": START + years - 1},
        "groups": {"eu": ["DE", "FR"]},
        "solver": {"time_limit": 30, "mip_gap": 0.0},
    }
    for key, (single, default) in _LISTS.items():
        if key in overrides:
            doc[key] = [_item(default, given) for given in overrides.pop(key)]
        else:
            doc[key] = [_item(default, overrides.pop(single, {}))]
    doc.update(copy.deepcopy(overrides))
    return doc


def solve_audited(doc: Any, **options: Any):
    """Solve ``doc`` (mip_gap 0 unless given), assert the audit is clean, return the result."""
    options.setdefault("mip_gap", 0.0)
    result = solve(doc, **options)
    assert result.has_plan, f"no plan: {result.status} ({result.message})"
    problems = result.audit()
    assert problems == [], "audit found violations:\n" + "\n".join(map(str, problems))
    return result


@pytest.fixture(name="solve_audited")
def solve_audited_fixture():
    """``solve_audited`` as a fixture, for tests that prefer injection to import."""
    return solve_audited


@pytest.fixture(name="micro")
def micro_fixture():
    """``micro`` as a fixture."""
    return micro
