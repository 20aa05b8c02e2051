"""The package's layers: every import points down a layer or stays inside one, and none circles.

``optimizer/`` reads input → model → solve → analysis → output → cli (DESIGN §2);
``models/`` imports nothing from ``optimizer``. Imports are read from the source
with ``ast``, wherever they stand (inside functions and ``TYPE_CHECKING`` blocks
too), so a lazy or type-only import up a layer is caught as well.
"""

import ast
from pathlib import Path

import pytest

import optimizer
from optimizer.solve import highs, stages

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["input", "model", "solve", "analysis", "output", "cli"]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


SOURCES = {
    module_name(p): p for package in ("models", "optimizer") for p in (ROOT / package).rglob("*.py")
}


def imported(name: str) -> set[str]:
    """The first-party modules ``name`` imports; ``from pkg import module`` names the module."""
    found = set()
    tree = ast.parse(SOURCES[name].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""  # relative imports are banned (ruff TID252)
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in SOURCES}
    return {m for m in found if m in SOURCES}


def layer(name: str) -> int | None:
    """The layer's rank of an ``optimizer`` module; None for the package's own front door."""
    parts = name.split(".")
    if parts == ["optimizer"]:
        return None
    return LAYERS.index(parts[1])


@pytest.mark.parametrize("name", sorted(n for n in SOURCES if n.startswith("optimizer.")))
def test_every_import_points_down_a_layer_or_stays_inside_one(name):
    assert layer(name) is not None, f"{name}: not in a layer ({', '.join(LAYERS)})"
    upward = [
        target
        for target in imported(name)
        if target.startswith("optimizer") and (layer(target) is None or layer(target) > layer(name))
    ]
    assert upward == [], f"{name} imports from a higher layer: {upward}"


def test_models_import_nothing_from_optimizer():
    leaks = {
        name: sorted(t for t in imported(name) if t.startswith("optimizer"))
        for name in SOURCES
        if name.startswith("models")
    }
    assert {n: t for n, t in leaks.items() if t} == {}


def test_no_import_circles():
    graph = {name: imported(name) for name in SOURCES}
    circles, done = [], set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            circles.append(path[path.index(name) :] + [name])
            return
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert circles == []


def test_the_public_names_and_the_layer_paths_both_import():
    # optimizer.solve is the function (DESIGN §8); the solve layer's modules are reached by
    # their full path, which is how the docs and tests import them.
    assert callable(optimizer.solve) and optimizer.solve is stages.solve
    assert highs.__name__ == "optimizer.solve.highs"
    assert {"load_scenario", "solve", "compare", "attribute"} <= set(optimizer.__all__)
