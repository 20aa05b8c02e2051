"""Checks that span the document: unique ids, references that resolve, years in range.

They run on the raw mapping, beside pydantic's checks of each field, so that a
document with mistakes of both kinds gets one report listing all of them. A
part too malformed to read is skipped here: pydantic reports it.
"""

from typing import TYPE_CHECKING, Any

from models.filters import Filter

if TYPE_CHECKING:
    from models.scenario import Scenario

ENTITY_LISTS = (
    "sources",
    "buyers",
    "capabilities",
    "suppliers",
    "systems",
    "budgets",
    "rules",
    "uncertainty",
)
FILTER_REFERENCES = {
    "groups": "groups",
    "suppliers": "suppliers",
    "systems": "systems",
    "capabilities": "capabilities",
}
RULE_FILTERS = ("systems", "select", "among")


def rule_path(doc: dict, index: int) -> str:
    """``rules[2] (safe65)``: a rule named by its place and its id."""
    rule = doc["rules"][index]
    ident = rule.get("id") if isinstance(rule, dict) else None
    return f"rules[{index}] ({ident})" if isinstance(ident, str) else f"rules[{index}]"


def _items(doc: dict, key: str) -> list[tuple[int, dict]]:
    value = doc.get(key)
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _known(doc: dict, key: str) -> list[str]:
    if key == "groups":
        groups = doc.get("groups")
        return list(groups) if isinstance(groups, dict) else []
    return [item["id"] for _, item in _items(doc, key) if isinstance(item.get("id"), str)]


def _unknown(path: str, kind: str, name: Any, known: list[str]) -> str:
    listing = ", ".join(known) if known else "none defined"
    return f"{path}: unknown {kind} {name!r} (known: {listing})"


def _check_names(path: str, names: Any, kind: str, known: list[str]) -> list[str]:
    if not isinstance(names, list):
        return []
    return [
        _unknown(f"{path}[{j}]", kind, n, known)
        for j, n in enumerate(names)
        if isinstance(n, str) and n not in known
    ]


def _check_filter(doc: dict, path: str, selection: Any) -> list[str]:
    if not isinstance(selection, dict):
        return []
    problems = []
    for key, target in FILTER_REFERENCES.items():
        problems += _check_names(
            f"{path}.{key}", selection.get(key), key.rstrip("s"), _known(doc, target)
        )
    return problems + _check_filter(doc, f"{path}.not", selection.get("not"))


def _check_unique(doc: dict) -> list[str]:
    problems = []
    for key in ENTITY_LISTS:
        seen: dict[str, int] = {}
        for i, item in _items(doc, key):
            ident = item.get("id")
            if isinstance(ident, str) and ident in seen:
                problems.append(f"{key}[{i}].id: {ident!r} is already used by {key}[{seen[ident]}]")
            elif isinstance(ident, str):
                seen[ident] = i
    return problems


def _check_sources(doc: dict) -> list[str]:
    known = _known(doc, "sources")
    problems = []
    for key in ENTITY_LISTS[1:]:
        for i, item in _items(doc, key):
            cited = item.get("source")
            cited = [cited] if isinstance(cited, str) else cited
            problems += _check_names(f"{key}[{i}].source", cited, "source", known)
    return [p.replace("].source[0]:", "].source:") for p in problems]


def _check_years(doc: dict) -> list[str]:
    horizon = doc.get("horizon")
    if not isinstance(horizon, dict):
        return []
    start, end = horizon.get("start"), horizon.get("end")
    if not (isinstance(start, int) and isinstance(end, int)):
        return []
    if end < start:
        return [f"horizon.end: must be ≥ horizon.start ({start})"]
    problems = []
    years = doc.get("report_years")
    for j, year in enumerate(years if isinstance(years, list) else []):
        if isinstance(year, int) and not start <= year <= end:
            problems.append(f"report_years[{j}]: {year} is outside the horizon {start}–{end}")
    for i, rule in _items(doc, "rules"):
        year = rule.get("year")
        if isinstance(year, int) and not start <= year <= end:
            problems.append(
                f"{rule_path(doc, i)}.year: {year} is outside the horizon {start}–{end}"
            )
    return problems


NEED_FIELDS = ("initial", "requirement", "consumption")
UNSET = (None, 0, {0: 0.0}, {"0": 0.0})


def _check_buyers(doc: dict) -> list[str]:
    """Buyers (DESIGN §13): needs per buyer, budgets and pipelines that name real buyers."""
    buyers = _known(doc, "buyers")
    capabilities = _known(doc, "capabilities")
    problems = []
    if not buyers:
        for i, c in _items(doc, "capabilities"):
            if "requirement" not in c:
                problems.append(f"capabilities[{i}].requirement: required (or give buyers: needs)")
        for i, b in _items(doc, "budgets"):
            if "buyer" in b:
                problems.append(f"budgets[{i}].buyer: the scenario has no buyers: list")
        for i, s in _items(doc, "systems"):
            if isinstance(s.get("in_service"), list):
                problems.append(f"systems[{i}].in_service: a list of buyers needs buyers:")
            pipeline = s.get("pipeline")
            if isinstance(pipeline, dict) and any(isinstance(v, dict) for v in pipeline.values()):
                problems.append(f"systems[{i}].pipeline: per buyer only with buyers:")
    for i, buyer in _items(doc, "buyers"):
        if buyer.get("id") == "all":
            problems.append(f"buyers[{i}].id: 'all' is reserved for the buyers together")
        needs = buyer.get("needs")
        for c in needs if isinstance(needs, dict) else []:
            if c not in capabilities:
                problems.append(_unknown(f"buyers[{i}].needs.{c}", "capability", c, capabilities))
    if buyers:
        for i, c in _items(doc, "capabilities"):
            problems += [
                f"capabilities[{i}].{key}: with buyers:, give it in each buyer's needs"
                for key in NEED_FIELDS
                if c.get(key) not in UNSET  # a validated document written out holds the defaults
            ]
        for i, b in _items(doc, "budgets"):
            owner, shared = b.get("buyer"), b.get("shared") is True
            if (owner is None) == (not shared):
                problems.append(f"budgets[{i}]: give exactly one of buyer: or shared: true")
            elif isinstance(owner, str) and owner not in buyers:
                problems.append(_unknown(f"budgets[{i}].buyer", "buyer", owner, buyers))
        for i, s in _items(doc, "systems"):
            problems += _check_names(
                f"systems[{i}].in_service", s.get("in_service"), "buyer", buyers
            )
            pipeline = s.get("pipeline")
            for key in pipeline if isinstance(pipeline, dict) else []:
                if key not in buyers:
                    problems.append(_unknown(f"systems[{i}].pipeline.{key}", "buyer", key, buyers))
        objective = doc.get("objective")
        if isinstance(objective, dict) and objective.get("risk") is not None:
            problems.append("objective.risk: not available with buyers: yet (docs/risk.md)")
        if doc.get("uncertainty"):
            problems.append("uncertainty: not available with buyers: yet (docs/risk.md)")
    for i, rule in _items(doc, "rules"):
        problems += _check_names(
            f"{rule_path(doc, i)}.buyers", rule.get("buyers"), "buyer", buyers or ["all"]
        )
        if rule.get("type") == "joint":
            problems += _check_names(
                f"{rule_path(doc, i)}.budgets",
                rule.get("budgets"),
                "budget",
                _known(doc, "budgets"),
            )
            groups = rule.get("min_in_group")
            problems += _check_names(
                f"{rule_path(doc, i)}.min_in_group",
                list(groups) if isinstance(groups, dict) else None,
                "group",
                _known(doc, "groups"),
            )
    return problems


def reference_problems(doc: dict) -> list[str]:
    """Every cross-reference problem in a scenario document, as ``path: message``."""
    capabilities = _known(doc, "capabilities")
    suppliers = _known(doc, "suppliers")
    problems = _check_unique(doc) + _check_sources(doc) + _check_years(doc) + _check_buyers(doc)
    for i, system in _items(doc, "systems"):
        supplier = system.get("supplier")
        if isinstance(supplier, str) and supplier not in suppliers:
            problems.append(_unknown(f"systems[{i}].supplier", "supplier", supplier, suppliers))
        contributes = system.get("contributes")
        for c in contributes if isinstance(contributes, dict) else []:
            if c not in capabilities:
                problems.append(
                    _unknown(f"systems[{i}].contributes.{c}", "capability", c, capabilities)
                )
    for i, budget in _items(doc, "budgets"):
        problems += _check_filter(doc, f"budgets[{i}].eligible", budget.get("eligible"))
    for i, entry in _items(doc, "uncertainty"):
        problems += _check_filter(doc, f"uncertainty[{i}].systems", entry.get("systems"))
        problems += _check_names(
            f"uncertainty[{i}].budgets", entry.get("budgets"), "budget", _known(doc, "budgets")
        )
    for i, rule in _items(doc, "rules"):
        for key in RULE_FILTERS:
            problems += _check_filter(doc, f"{rule_path(doc, i)}.{key}", rule.get(key))
        problems += _check_names(
            f"{rule_path(doc, i)}.capabilities",
            rule.get("capabilities"),
            "capability",
            capabilities,
        )
    variants = doc.get("variants")
    if isinstance(variants, dict) and "baseline" in variants:
        problems.append("variants.baseline: the name is reserved for the scenario as written")
    group = doc.get("content_group")
    if isinstance(group, str) and group not in _known(doc, "groups"):
        problems.append(_unknown("content_group", "group", group, _known(doc, "groups")))
    return problems


def scenario_warnings(scenario: "Scenario", strict: bool = False) -> list[str]:
    """Things that are legal but probably not meant: filters that select nothing.

    With ``strict``, also every entity whose figures have neither ``source``
    nor ``estimate``.
    """
    warnings = []
    for i, budget in enumerate(scenario.budgets):
        if budget.eligible.model_fields_set and not scenario.select(budget.eligible):
            warnings.append(f"budgets[{i}].eligible: selects no system")
    for i, rule in enumerate(scenario.rules):
        for key in RULE_FILTERS:
            selection = getattr(rule, key, None)
            if isinstance(selection, Filter) and not scenario.select(selection):
                warnings.append(f"rules[{i}] ({rule.id}).{key}: selects no system")
    warnings += span_warnings(scenario)
    if strict:
        for key in ("capabilities", "systems", "budgets"):
            for i, entity in enumerate(getattr(scenario, key)):
                if entity.source is None and entity.estimate is None:
                    warnings.append(f"{key}[{i}] ({entity.id}): no source and no estimate")
        for i, buyer in enumerate(scenario.buyers):
            for c, need in buyer.needs.items():
                if need.source is None and need.estimate is None:
                    warnings.append(
                        f"buyers[{i}].needs.{c} ({buyer.id}): no source and no estimate"
                    )
    return warnings


MAX_SPAN = 1e9
"""Largest ratio of the largest to the smallest coefficient that the solver handles well."""


def _coefficients(scenario: "Scenario") -> list[tuple[str, float]]:
    """The numbers that become the model's coefficients and bounds, with their paths."""
    found = []
    for i, c in enumerate(scenario.capabilities):
        found += [(f"capabilities[{i}].weight", c.weight)]
        found += [(f"capabilities[{i}].requirement", v) for v in (c.requirement or {}).values()]
    for i, b in enumerate(scenario.buyers):
        for c, need in b.needs.items():
            found += [(f"buyers[{i}].needs.{c}.requirement", v) for v in need.requirement.values()]
    for i, s in enumerate(scenario.systems):
        found += [(f"systems[{i}].unit_cost", v) for v in s.unit_cost.values()]
        found += [(f"systems[{i}].capacity", v) for v in s.capacity.values()]
        found += [(f"systems[{i}].contributes.{c}", v) for c, v in s.contributes.items()]
        found += [(f"systems[{i}].adoption_cost", s.adoption_cost)]
    for i, b in enumerate(scenario.budgets):
        found += [(f"budgets[{i}].amount", v) for v in b.amount.values()]
    return [(path, abs(v)) for path, v in found if v]


def span_warnings(scenario: "Scenario") -> list[str]:
    """A warning when the coefficients span more than the solver handles well."""
    found = _coefficients(scenario)
    if not found:
        return []
    low, high = min(found, key=lambda f: f[1]), max(found, key=lambda f: f[1])
    if high[1] <= MAX_SPAN * low[1]:
        return []
    return [
        f"{high[0]}: {high[1]:g} is {high[1] / low[1]:.0e} times {low[0]} ({low[1]:g}); "
        f"numbers spanning more than {MAX_SPAN:.0e} lose precision in the solver "
        "(rescale, e.g. money in millions)"
    ]
