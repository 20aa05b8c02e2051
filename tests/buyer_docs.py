"""Micro documents with several buyers (DESIGN §13), for tests/test_buyers.py and test_rules.py.

``with_buyers(buyers, **overrides)`` is ``conftest.micro`` with the capability made a type
only and ``buyers`` given: each buyer ``(id, weight, needs)`` where ``needs`` maps
capability ids to their numbers.
"""

from __future__ import annotations

from typing import Any

from conftest import micro


def buyer(ident: str, requirement: float = 10, weight: float = 1, **need: Any) -> dict:
    """A buyer needing ``requirement`` units of ``cap`` (and ``need``'s other numbers)."""
    return {
        "id": ident,
        "name": ident,
        "countries": ["DE"],
        "weight": weight,
        "needs": {"cap": {"requirement": requirement, **need}},
    }


def with_buyers(buyers: list[dict], **overrides: Any) -> dict:
    """``micro(**overrides)`` with ``buyers`` and the capability ``cap`` as a type only."""
    doc = micro(**overrides)
    doc["capabilities"] = [{"id": "cap", "name": "cap"}]
    doc["buyers"] = buyers
    return doc


def joint_doc() -> dict:
    """Buyer a's SAFE money needs a joint order; buyer b has met its need already.

    a needs 10, b needs 1 and has 1. a_safe (a's, 10) may pay only when two buyers order
    in the same year; b_money (b's, 5) pays b's own orders. See test_rules.py.
    """
    return with_buyers(
        [buyer("a"), buyer("b", requirement=1, initial=1)],
        system={"capacity": 20, "eu_content": 0.9},
        budgets=[
            {"id": "a_safe", "buyer": "a", "amount": 10, "eligible": {"eu_content_min": 0.65}},
            {"id": "b_money", "buyer": "b", "amount": 5},
        ],
        rules=[{"id": "safe_joint", "type": "joint", "budgets": ["a_safe"], "min_buyers": 2}],
    )
