"""Fuzzing (issue 17): mutated bundled scenarios and `--set` patches, and solves of a sample.

Every outcome must be a valid scenario (whose plan, when solved, passes the audit), or a
``ScenarioError`` whose every line starts with a path, or a solve status with its message;
never another exception. The fast profile runs in CI; ``DUALTRACK_FUZZ=long`` runs 10,000
documents, and ``DUALTRACK_FUZZ_LOG=FILE`` appends one JSON line per document (kind,
outcome, seconds) for docs/reliability.md.
"""

import copy
import json
import math
import os
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer import ScenarioError, load_scenario, solve
from optimizer.input.load import bundled, read_document

LONG = os.environ.get("DUALTRACK_FUZZ") == "long"
settings.register_profile(
    "dualtrack",
    max_examples=10_000 if LONG else 200,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=not LONG,  # CI sees the same documents every run
)
settings.load_profile("dualtrack")

DOCUMENTS = {name: read_document(path) for name, path in sorted(bundled().items())}
PATH = re.compile(r"^(--set |--vary |--\w)?[^\s:][^\n]*?: \S")
"""A problem line: a path (or the option it came from), a colon, then the message."""

HOSTILE = [
    None, "", "x" * 300, -1, 0, 0.5, 1, 2026, -1e9, 1e20, math.inf, -math.inf, math.nan, True,
    [], {}, [1, 2], {"a": 1}, {"2026": -5}, {2026: "x"}, 10**30, "2026", "²", [[[[[]]]]],
    [{"id": "x"}], [{"id": ["x"]}], [{"id": {"a": 1}}], {"id": None},
]  # fmt: skip
SET_VALUES = [
    "abc", "-1", "1e400", ".inf", ".nan", "[1, 2", "{a: 1}", "null", "", "²", "*a", "&a [*a]",
    "{2026: -1}", "true", "0", "1e20", "[]", "{}", "'quoted'", "!!python/object:os.system ls",
]  # fmt: skip


def paths(value, prefix=()):
    """Every path into a document: dict keys and list indexes."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def set_paths(value, prefix=""):
    """Every ``--set`` path: keys, and list items by their id."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += set_paths(child, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for child in value:
            if isinstance(child, dict) and isinstance(child.get("id"), str):
                found += set_paths(child, f"{prefix}.{child['id']}")
    return found


PATHS = {name: paths(doc)[1:] for name, doc in DOCUMENTS.items()}
SET_PATHS = {name: set_paths(doc) for name, doc in DOCUMENTS.items()}


def mutated(doc: dict, path: tuple, action: str, value) -> dict:
    doc = copy.deepcopy(doc)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    else:
        parent[last] = value
    return doc


def outcome(load) -> str:
    """``valid`` or ``invalid``; fails the test on anything but a ScenarioError with paths."""
    try:
        load()
    except ScenarioError as error:
        assert error.problems, "a ScenarioError without problems"
        for line in error.problems:
            assert PATH.match(line), f"not a path: {line!r}"
        return "invalid"
    return "valid"


def log(kind: str, result: str, began: float) -> None:
    target = os.environ.get("DUALTRACK_FUZZ_LOG")
    if target:
        with open(target, "a") as file:
            entry = {"kind": kind, "outcome": result, "seconds": time.perf_counter() - began}
            file.write(json.dumps(entry) + "\n")


@given(st.data())
def test_mutated_documents_load_or_name_their_problems(data):
    name = data.draw(st.sampled_from(sorted(DOCUMENTS)))
    path = data.draw(st.sampled_from(PATHS[name]))
    action = data.draw(st.sampled_from(["replace", "replace", "delete", "duplicate"]))
    value = data.draw(st.sampled_from(HOSTILE))
    doc = mutated(DOCUMENTS[name], path, action, value)
    began = time.perf_counter()
    log("document", outcome(lambda: load_scenario(doc)), began)


@given(st.data())
def test_mutated_set_patches_load_or_name_their_problems(data):
    name = data.draw(st.sampled_from(sorted(DOCUMENTS)))
    path = data.draw(st.sampled_from(SET_PATHS[name]))
    text = data.draw(st.sampled_from(SET_VALUES) | st.text(max_size=12))
    began = time.perf_counter()
    log("--set", outcome(lambda: load_scenario(DOCUMENTS[name], sets=[f"{path}={text}"])), began)


SMALL = "teaching-155"


def _at(doc, path):
    for key in path:
        doc = doc[key]
    return doc


NUMBERS = [
    p
    for p in PATHS[SMALL]
    if isinstance(_at(DOCUMENTS[SMALL], p), int | float)
    and not isinstance(_at(DOCUMENTS[SMALL], p), bool)
]
"""The numbers of the small scenario (costs, capacities, requirements, ...), to scale."""


@settings(max_examples=300 if LONG else 20)
@given(st.data())
def test_mutated_small_scenarios_solve_to_an_audited_plan_or_a_status(data):
    path = data.draw(st.sampled_from(NUMBERS))
    old = _at(DOCUMENTS[SMALL], path)
    scaled = [old * f for f in (0, 0.1, 0.5, 0.9, 1.1, 2, 10, 1e6, -1)]
    value = data.draw(st.sampled_from(scaled) | st.sampled_from(HOSTILE))
    doc = mutated(DOCUMENTS[SMALL], path, "replace", value)
    began = time.perf_counter()
    try:
        scenario = load_scenario(doc)
    except ScenarioError as error:
        assert all(PATH.match(line) for line in error.problems), error.problems
        log("solve", "invalid", began)
        return
    result = solve(scenario, time_limit=20)
    if result.has_plan:
        assert result.audit() == []
    else:
        assert result.status in ("infeasible", "error") and result.message
    log("solve", result.status, began)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_bundled_document_has_paths_to_mutate(name):
    assert len(PATHS[name]) > 50 and len(SET_PATHS[name]) > 20
