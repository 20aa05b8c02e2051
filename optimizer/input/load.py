"""Loading a scenario: document → patches → validated ``Scenario``.

Order of precedence, last wins: the document as written, then the variant's
patch, then each ``--set`` in the order given. Every patched value is logged as
``path: old -> new``. Cross-references are checked after all patches.
"""

import copy
import io
import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML, YAMLError

from models import Scenario
from models.references import ENTITY_LISTS, reference_problems
from optimizer.input.errors import ScenarioError
from optimizer.input.limits import MAX_BYTES, MAX_DEPTH, check, shape_problems

if TYPE_CHECKING:
    from optimizer.input.workbook import Cells

log = logging.getLogger(__name__)

DEFAULT_SCENARIO = "europe-2030"
BASELINE = "baseline"


def variant_names(scenario: Scenario, names: list[str]) -> list[str]:
    """``names`` once each, in order; raises ``ScenarioError`` for any the scenario lacks."""
    names = list(dict.fromkeys(names))
    unknown = [v for v in names if v != BASELINE and v not in scenario.variants]
    if unknown:
        known = ", ".join([BASELINE, *scenario.variants])
        raise ScenarioError([f"variant {v!r}: unknown (known: {known})" for v in unknown])
    return names


ScenarioLike = str | Path | Mapping | Scenario


def _yaml() -> YAML:
    return YAML(typ="safe", pure=True)  # YAML 1.2: `NO` stays Norway


def read_value(text: str) -> Any:
    """One value written as YAML (``0.5``, ``true``, ``{2026: 10}``), as ``--set`` reads it."""
    return _yaml().load(io.StringIO(text))


def bundled() -> dict[str, Path]:
    """The bundled scenarios by name."""
    folder = resources.files("scenarios")
    return {Path(f.name).stem: Path(str(f)) for f in folder.iterdir() if f.name.endswith(".yaml")}


def read_document(source: str | Path | Mapping) -> dict:
    """The raw document from a mapping, a YAML/JSON file or workbook, or a bundled name.

    A file must be a regular file within the size limit (``optimizer.input.limits``); a
    byte-order mark is allowed, and a JSON key given twice is refused (as in YAML).
    """
    return read_located(source)[0]


def read_located(source: str | Path | Mapping) -> tuple[dict, "Cells | None"]:
    """The raw document, and for a workbook where each value came from (else None)."""
    if isinstance(source, Mapping):
        return copy.deepcopy(_checked(dict(source))), None  # checked first: a copy recurses
    path = _file(source)
    if path.stat().st_size > MAX_BYTES:
        raise ScenarioError([f"{path}: larger than the limit of {MAX_BYTES:,} bytes"])
    if path.suffix.lower() == ".xlsx":
        from optimizer.input.workbook import read_workbook  # openpyxl only for a workbook

        doc, cells = read_workbook(path)
        return _checked(doc), cells
    try:
        text = path.read_text(encoding="utf-8-sig")
        doc = (
            json.loads(text, object_pairs_hook=_unique_keys)
            if path.suffix == ".json"
            else _yaml().load(text)
        )
    except RecursionError:
        raise ScenarioError([f"{path}: nested deeper than {MAX_DEPTH} levels"]) from None
    except (OSError, UnicodeDecodeError, ValueError, YAMLError) as error:
        raise ScenarioError([f"{path}: cannot be read: {error}"]) from None
    if not isinstance(doc, dict):
        raise ScenarioError([f"{path}: the document must be a mapping of keys to values"])
    return _checked(doc), None


def _file(source: str | Path) -> Path:
    """The regular file that ``source`` names, or the bundled scenario of that name."""
    path = Path(source)
    try:
        exists = path.exists()
        regular = path.is_file()
    except OSError as error:  # a name longer than the file system allows, and the like
        raise ScenarioError([f"{str(source)[:80]}: cannot be read: {error.strerror}"]) from None
    if regular:
        return path
    if exists:
        raise ScenarioError([f"{path}: not a regular file"])
    known = bundled()
    if str(source) in known:
        return known[str(source)]
    raise ScenarioError(
        [
            f"{source}: no such file, and no bundled scenario of that name "
            f"(bundled: {', '.join(sorted(known))})"
        ]
    )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    """A JSON object as YAML reads it: a key given twice refused, year keys as numbers.

    JSON keys are text; ``"2026"`` is read as the year 2026, as YAML reads ``2026:``, so that
    a variant's patch of a series merges onto the series' years.
    """
    pairs = [(int(k) if k.isascii() and k.isdigit() else k, v) for k, v in pairs]
    document = dict(pairs)
    if len(document) < len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise ValueError(f"duplicate key {twice!r}")
    return document


def _checked(doc: Any) -> Any:
    """``doc`` if it keeps within the limits; else every limit it breaks, as a ScenarioError."""
    problems = shape_problems(doc)
    if problems:
        raise ScenarioError(problems)
    return doc


def merge(base: Any, patch: Any, path: str = "") -> Any:
    """``patch`` merged into ``base`` (DESIGN §6), logging every changed value.

    Mappings merge recursively; a list of objects with ``id`` merges item by
    item (an unknown id appends); every other value replaces.
    """
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = merge(base.get(key), value, f"{path}.{key}" if path else str(key))
        return merged
    if _is_id_list(base) and _is_id_list(patch) and patch:  # an empty list clears
        merged_list = list(base)
        index = {item["id"]: i for i, item in enumerate(merged_list)}
        for item in patch:
            if item["id"] in index:
                i = index[item["id"]]
                merged_list[i] = merge(merged_list[i], item, f"{path}.{item['id']}")
            else:
                log.info("%s.%s: added", path, item["id"])
                merged_list.append(item)
        return merged_list
    if base != patch:
        log.info("%s: %s -> %r", path, "(unset)" if base is None else repr(base), patch)
    return copy.deepcopy(patch)


def _is_id_list(value: Any) -> bool:
    """A list of entities named by id (an id that is not text is left for validation to name)."""
    return isinstance(value, list) and all(
        isinstance(v, dict) and isinstance(v.get("id"), str | int) for v in value
    )


def _set_patch(base: Any, keys: list[str], value: Any, assignment: str) -> Any:
    """The patch that puts ``value`` at ``keys``; a list item is named by its id."""
    if not keys:
        return value
    key, rest = keys[0], keys[1:]
    if isinstance(base, list):
        item = next((i for i in base if isinstance(i, dict) and i.get("id") == key), None)
        if item is None or not rest:
            known = ", ".join(str(i.get("id")) for i in base if isinstance(i, dict))
            problem = (
                f"no item with id {key!r} (known: {known})"
                if item is None
                else f"name a field of {key!r}"
            )
            raise ScenarioError([f"--set {assignment}: {problem}"])
        return [{"id": key, **_set_patch(item, rest, value, assignment)}]
    name: Any = int(key) if key.isascii() and key.isdigit() else key  # years are integer keys
    inner = base.get(name) if isinstance(base, dict) else None
    if inner is None and name in ENTITY_LISTS:
        inner = []  # an absent list of entities has no items to name
    return {name: _set_patch(inner, rest, value, assignment)}


def apply_set(doc: dict, assignment: str) -> dict:
    """The document with one ``PATH=VALUE`` assignment merged in.

    The path runs through mappings, and through lists by item id
    (``rules.safe65.value=0.5``); the value is read as YAML, so ``0.5``,
    ``true`` and ``{2026: 10}`` keep their types.
    """
    path, sep, text = assignment.partition("=")
    keys = path.strip().split(".")
    if not sep or not all(keys):
        raise ScenarioError(
            [f"--set {assignment}: expected PATH=VALUE, e.g. rules.safe65.value=0.5"]
        )
    try:
        value = read_value(text)
    except (YAMLError, RecursionError) as error:
        raise ScenarioError([f"--set {assignment}: the value is not valid YAML: {error}"]) from None
    problems = shape_problems(value)
    if problems:
        raise ScenarioError([f"--set {assignment}: {p}" for p in problems])
    return set_value(doc, path.strip(), value, assignment)


@contextmanager
def unlogged() -> Iterator[None]:
    """Patches made inside are not logged (trial patches, not the user's)."""
    log.disabled, before = True, log.disabled
    try:
        yield
    finally:
        log.disabled = before


def set_value(doc: dict, path: str, value: Any, assignment: str | None = None) -> dict:
    """The document with ``value`` at ``path`` (as ``apply_set``, the value already read)."""
    return merge(doc, _set_patch(doc, path.split("."), value, assignment or f"{path}={value}"))


def apply_variant(doc: dict, variant: str | None) -> dict:
    """The document with a named variant's patch merged in (``baseline`` is the document)."""
    if variant in (None, BASELINE):
        return doc
    variants = doc.get("variants") if isinstance(doc.get("variants"), dict) else {}
    if variant not in variants:
        known = ", ".join([BASELINE, *variants])
        raise ScenarioError([f"variant {variant!r}: unknown (known: {known})"])
    patch = variants[variant].get("patch", {}) if isinstance(variants[variant], dict) else {}
    if not isinstance(patch, dict):
        raise ScenarioError([f"variants.{variant}.patch: must be a mapping of keys to values"])
    log.info("applying variant %s", variant)
    return merge(doc, patch)


def format_location(loc: tuple, doc: dict) -> str:
    """A pydantic location as a path into the document: ``rules[2] (safe65).value``.

    A rule is named by its id, and the discriminator's tag that pydantic puts
    into the location is dropped.
    """
    parts: list[str] = []
    items = list(loc)
    node: Any = doc
    while items:
        key = items.pop(0)
        if (isinstance(node, int | float) and key == 0) or key == "[key]":
            continue  # a scalar series is stored as {0: value}: the path is the scalar's
        node = _child(node, key)
        if not (isinstance(key, int) and parts):
            parts.append(str(key))
            continue
        parts[-1] += f"[{key}]"
        if parts == [f"rules[{key}]"]:
            rules = doc.get("rules") if isinstance(doc.get("rules"), list) else []
            rule = rules[key] if key < len(rules) and isinstance(rules[key], dict) else {}
            if "id" in rule:
                parts[-1] += f" ({rule['id']})"
            if items and items[0] == rule.get("type"):
                items.pop(0)
    return ".".join(parts) or "(document)"


def _child(node: Any, key: Any) -> Any:
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return None


MESSAGES = {
    "greater_than_equal": "must be ≥ {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be ≤ {le}",
    "less_than": "must be < {lt}",
    "missing": "is required",
    "extra_forbidden": "unknown key",
    "too_short": "must have at least {min_length} item(s)",
    "string_pattern_mismatch": "must be lowercase letters, digits, '_' or '-'",
}

# Wrong types say what was expected and what was given (``must be a number, not 'abc'``).
EXPECTED = {
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
}


def problem_text(error: Any) -> str:
    """A pydantic error's message as this project words it (``must be ≥ 0``)."""
    if error["type"] in EXPECTED:
        given = repr(error.get("input"))
        given = given if len(given) <= 40 else given[:37] + "..."
        return f"must be {EXPECTED[error['type']]}, not {given}"
    template = MESSAGES.get(error["type"])
    if template is None:
        return error["msg"].removeprefix("Value error, ")
    context = {
        k: f"{v:g}" if isinstance(v, float) else v for k, v in (error.get("ctx") or {}).items()
    }
    return template.format(**context)


def checked_options(model: type[BaseModel], options: dict[str, Any]) -> Any:
    """``options`` validated by ``model``; out of range, a ``ScenarioError`` naming each option.

    The command line and the Python functions share the models' ranges
    (``SolverOptions``, ``AnalysisOptions``): ``--mip-gap: must be ≤ 1``.
    """
    try:
        return model.model_validate(options)
    except ValidationError as error:
        raise ScenarioError(
            [
                f"--{'-'.join(map(str, e['loc'])).replace('_', '-')}: {problem_text(e)}"
                for e in error.errors()
            ]
        ) from None


def validate(doc: dict) -> Scenario:
    """A validated ``Scenario``, or a ``ScenarioError`` listing every problem."""
    sizes, problems = check(doc)
    if sizes:
        raise ScenarioError(sizes)  # nothing more is looked at in a document this large
    scenario = None
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as error:
        problems += [f"{format_location(e['loc'], doc)}: {problem_text(e)}" for e in error.errors()]
    problems += reference_problems(doc)
    if problems or scenario is None:
        raise ScenarioError(problems)
    return scenario


def load_scenario(
    scenario: ScenarioLike | None = None,
    variant: str | None = None,
    sets: list[str] | None = None,
) -> Scenario:
    """A validated scenario from a path, a bundled name, a mapping or a ``Scenario``.

    ``None`` loads the bundled default. The variant's patch is applied first,
    then each ``--set`` assignment.
    """
    cells = None
    if isinstance(scenario, Scenario):
        doc = scenario.model_dump(by_alias=True, exclude_none=True)
    else:
        doc, cells = read_located(DEFAULT_SCENARIO if scenario is None else scenario)
    try:
        doc = apply_variant(doc, variant)
        for assignment in sets or []:
            doc = apply_set(doc, assignment)
        return validate(doc)
    except ScenarioError as error:
        if cells is None:
            raise
        raise ScenarioError([cells.locate(p) for p in error.problems]) from None
