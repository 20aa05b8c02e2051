"""Limits on what a scenario document may be, so that hostile input ends in exit 2, quickly.

A document is read only from a regular file of at most ``MAX_BYTES``; once parsed it may
nest at most ``MAX_DEPTH`` levels, hold at most ``MAX_NODES`` values counted as written out
(a YAML alias counts once per use, so "billion laughs" and recursive aliases are caught
before anything expands them), and no string longer than ``MAX_STRING``. Numbers must be
finite and smaller than ``MAX_NUMBER`` in size: HiGHS reads 1e20 as infinite, and a
requirement of 1e14 already fails (a gap share divides by it; 1e13 still solves).
"""

import math
from typing import Any

MAX_BYTES = 20_000_000
MAX_DEPTH = 64
MAX_NODES = 1_000_000
MAX_STRING = 100_000
MAX_NUMBER = 1e12


def _where(path: tuple) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text or "(document)"


def shape_problems(document: Any) -> list[str]:
    """Every limit the parsed document breaks, as paths: sizes first, then numbers."""
    sizes, numbers = check(document)
    return sizes + numbers


def check(document: Any) -> tuple[list[str], list[str]]:
    """The size limits the document breaks (one line each), and every number out of range."""
    problems: dict[str, str] = {}
    stack: list[tuple[Any, tuple]] = [(document, ())]
    nodes = 0
    while stack:
        value, path = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            problems["nodes"] = f"(document): more than {MAX_NODES:,} values (aliases expanded)"
            break
        if len(path) > MAX_DEPTH:
            problems.setdefault("depth", f"{_where(path[:8])}...: nested deeper than {MAX_DEPTH}")
            continue
        if isinstance(value, dict):
            stack.extend((v, (*path, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
        elif isinstance(value, str) and len(value) > MAX_STRING:
            problems.setdefault("string", f"{_where(path)}: longer than {MAX_STRING:,} characters")
        elif isinstance(value, float) and not (math.isfinite(value) and abs(value) < MAX_NUMBER):
            problems.setdefault(
                f"number{_where(path)}",
                f"{_where(path)}: {value!r} is not a number the solver can take "
                f"(finite and smaller than {MAX_NUMBER:g} in size)",
            )
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= MAX_NUMBER:
            problems.setdefault(
                f"number{_where(path)}",
                f"{_where(path)}: {value} is larger than {MAX_NUMBER:g}, which the solver "
                "cannot take",
            )
    sizes = [p for k, p in problems.items() if not k.startswith("number")]
    return sizes, [p for k, p in problems.items() if k.startswith("number")]
