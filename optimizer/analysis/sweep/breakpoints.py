"""Breakpoints: the values of one parameter at which the optimal plan's choice changes.

A plan's choice is the set of systems it orders and each origin group's share of its
spending; two choices differ when a system enters or leaves, when one has a plan and the
other none, or when a share moves by more than ``share_step``. The search solves a few
evenly spaced values, then bisects every interval whose ends differ until it is no wider
than the tolerance: a change that persists at that width is a breakpoint; one that
vanishes was a gradual drift, not a switch. Each round of midpoints is solved as one
batch, so the rounds run in parallel.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd

Row = dict[str, Any]
SHARE = "spend_share."


def _systems(row: Row) -> set[str]:
    text = row.get("plan_systems")
    return set(text.split(",")) if isinstance(text, str) and text else set()


def _has_plan(row: Row) -> bool:
    return row.get("status") in ("optimal", "feasible-at-limit")


def _shares(row: Row) -> dict[str, float]:
    return {
        k.removeprefix(SHARE): v
        for k, v in row.items()
        if k.startswith(SHARE) and isinstance(v, float) and not math.isnan(v)
    }


def changes(below: Row, above: Row, share_step: float) -> dict[str, Any]:
    """What differs between two plans' choices (empty when they make the same choice)."""
    if _has_plan(below) != _has_plan(above):
        return {"plan": f"{below.get('status')} → {above.get('status')}"}
    if not _has_plan(below):
        return {}
    entered = sorted(_systems(above) - _systems(below))
    left = sorted(_systems(below) - _systems(above))
    before, after = _shares(below), _shares(above)
    moved = {
        g: (before.get(g, 0.0), after.get(g, 0.0))
        for g in sorted(set(before) | set(after))
        if abs(after.get(g, 0.0) - before.get(g, 0.0)) > share_step
    }
    found: dict[str, Any] = {}
    if entered:
        found["entered"] = entered
    if left:
        found["left"] = left
    if moved:
        found["shares"] = moved
    return found


def describe(change: dict[str, Any]) -> str:
    """A change as one line: ``entered samp_t_ng; left patriot; eu share 41 % → 58 %``."""
    parts = []
    if "plan" in change:
        parts.append(change["plan"])
    if change.get("entered"):
        parts.append("entered " + ", ".join(change["entered"]))
    if change.get("left"):
        parts.append("left " + ", ".join(change["left"]))
    for group, (a, b) in change.get("shares", {}).items():
        parts.append(f"{group} share {a:.0%} → {b:.0%}")
    return "; ".join(parts)


def midpoint(low: float, high: float, whole: bool) -> float:
    """The value halfway, a whole number for a whole-numbered parameter."""
    return (low + high) // 2 if whole else round((low + high) / 2, 12)


def search(
    solve: Callable[[list[float]], dict[float, Row]],
    low: float,
    high: float,
    tolerance: float,
    share_step: float,
    whole: bool = False,
    initial: int = 5,
) -> list[dict[str, Any]]:
    """Every breakpoint in [low, high], each as {below, above, change}.

    ``solve`` takes a batch of values and returns their rows. A ``whole`` parameter (a
    lead time, a count) is searched over whole numbers.
    """
    tolerance = max(tolerance, 1) if whole else tolerance
    step = (high - low) / (initial - 1)
    inner = (low + step * i for i in range(1, initial - 1))
    start = sorted({low, high, *(round(v) if whole else round(v, 12) for v in inner)})
    rows = solve(start)
    pending = [(a, b) for a, b in zip(start, start[1:], strict=False)]
    found = []
    while pending:
        split = []
        for a, b in pending:
            if not changes(rows[a], rows[b], share_step):
                continue
            if b - a <= tolerance:
                found.append((a, b))
            else:
                split.append((a, b))
        middles = {(a, b): midpoint(a, b, whole) for a, b in split}
        rows.update(solve(sorted(set(middles.values()))))
        pending = [half for (a, b), m in middles.items() for half in ((a, m), (m, b))]
    return [
        {"below": a, "above": b, "change": changes(rows[a], rows[b], share_step)}
        for a, b in sorted(found)
    ]


COLUMNS = [
    "parameter",
    "at",
    "below",
    "above",
    "change",
    "entered",
    "left",
    "status_below",
    "status_above",
    "objective_below",
    "objective_above",
]


def table(parameter: str, found: list[dict[str, Any]], rows: dict[float, Row]) -> pd.DataFrame:
    """The breakpoints as a table: where, what changed, and the plans on each side."""
    records = [
        {
            "parameter": parameter,
            "at": (b["below"] + b["above"]) / 2,
            "below": b["below"],
            "above": b["above"],
            "change": describe(b["change"]),
            "entered": ",".join(b["change"].get("entered", [])),
            "left": ",".join(b["change"].get("left", [])),
            "status_below": rows[b["below"]].get("status"),
            "status_above": rows[b["above"]].get("status"),
            "objective_below": rows[b["below"]].get("objective"),
            "objective_above": rows[b["above"]].get("objective"),
        }
        for b in found
    ]
    return pd.DataFrame(records, columns=COLUMNS)
