"""The rule catalogue holds together: registry, audit, models, tests and docs/rules.md.

(a) Every rule type is registered in the formulation (``optimizer.model.rules.REGISTRY``),
    re-checked by the audit (``RULE_CHECKS``), modelled in ``models.rules.Rule``,
    tested in tests/test_rules.py and documented in docs/rules.md.
(b) Every YAML example in docs/rules.md solves: the first block is the base
    scenario, every later block is a fragment (``rules:``, maybe ``variants:``)
    put into the base in place of its rules.
(c) The audit catches a plan that breaks each rule type: the optimum found with
    the rule switched off is re-checked against the scenario with it on.
"""

import ast
import re
import typing
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from test_rules import BITING, solve_checked
from typer.testing import CliRunner

from models.rules import Rule
from optimizer import load_scenario
from optimizer.cli import app
from optimizer.model.rules import REGISTRY
from optimizer.solve.audit import RULE_CHECKS

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "docs" / "rules.md"
RULE_TESTS = Path(__file__).resolve().parent / "test_rules.py"


def model_types() -> set[str]:
    union = typing.get_args(Rule)[0]
    return {
        typing.get_args(model.model_fields["type"].annotation)[0]
        for model in typing.get_args(union)
    }


def rule_test_names() -> list[str]:
    tree = ast.parse(RULE_TESTS.read_text(encoding="utf-8"))
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    ]


def sections() -> dict[str, str]:
    """The text of each ``### `type``` section of the catalogue, by type."""
    text = CATALOGUE.read_text(encoding="utf-8")
    parts = re.split(r"^#{2,3} ", text, flags=re.MULTILINE)
    found = {}
    for part in parts:
        heading = re.match(r"`(\w+)`\n", part)
        if heading:
            found[heading.group(1)] = part
    return found


def yaml_blocks(text: str) -> list[dict]:
    loader = YAML(typ="safe", pure=True)
    return [
        loader.load(block)
        for block in re.findall(r"^```yaml\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)
    ]


# (a) coverage ---------------------------------------------------------------------------


def test_registry_audit_and_models_name_the_same_rule_types():
    assert set(REGISTRY) == set(RULE_CHECKS) == model_types()
    assert len(REGISTRY) == 8  # exclude … min_investment, joint


@pytest.mark.parametrize("rule_type", sorted(set(REGISTRY) | set(RULE_CHECKS)))
def test_every_rule_type_has_tests_a_doc_section_and_an_example(rule_type):
    tests = [name for name in rule_test_names() if rule_type in name]
    assert tests, f"tests/test_rules.py has no test named after {rule_type}"
    section = sections().get(rule_type)
    assert section is not None, f"docs/rules.md has no section `{rule_type}`"
    examples = [rule for block in yaml_blocks(section) for rule in block.get("rules", [])]
    assert any(rule["type"] == rule_type for rule in examples), (
        f"the {rule_type} section has no YAML example of its type"
    )
    assert "**Mathematics.**" in section and "| parameter |" in section
    assert rule_type in BITING, f"no scenario in test_rules.BITING for {rule_type}"


# (b) the catalogue's examples -----------------------------------------------------------


def base_and_fragments() -> tuple[dict, list[dict]]:
    blocks = yaml_blocks(CATALOGUE.read_text(encoding="utf-8"))
    base, fragments = blocks[0], blocks[1:]
    assert "name" in base and base.get("rules") == []
    assert all(set(fragment) <= {"rules", "variants"} for fragment in fragments)
    return base, fragments


def example_documents() -> list[tuple[str, dict, str | None]]:
    """(test id, document, variant) for the base and each fragment and its variants."""
    base, fragments = base_and_fragments()
    cases = [("base", base, None)]
    for fragment in fragments:
        doc = {**base, **fragment}
        name = "+".join(rule["id"] for rule in fragment["rules"])
        cases.append((name, doc, None))
        cases += [(f"{name}@{variant}", doc, variant) for variant in fragment.get("variants", {})]
    return cases


@pytest.mark.parametrize("case", example_documents(), ids=lambda case: case[0])
def test_catalogue_example_solves_and_passes_the_audit(case):
    _, doc, variant = case
    result = solve_checked(doc, variant)
    assert result.status == "optimal"


def test_catalogue_has_an_example_of_every_type_and_of_the_filter_keys():
    _, fragments = base_and_fragments()
    rules = [rule for fragment in fragments for rule in fragment["rules"]]
    assert {rule["type"] for rule in rules} == set(REGISTRY)
    assert any("not" in rule.get("systems", {}) for rule in rules)
    assert any(fragment.get("variants") for fragment in fragments)


def test_catalogue_infeasibility_example(tmp_path):
    # docs/rules.md: the ammo deadline asked in 2026 at fraction 1 reaches 40 − 10 + 20 + 30
    # = 80 of 100 → 0.8; the two lines the catalogue quotes are what the CLI prints.
    base, fragments = base_and_fragments()
    fragment = next(f for f in fragments if any(r["id"] == "ammo_ready" for r in f["rules"]))
    path = tmp_path / "base.yaml"
    with path.open("w") as stream:
        YAML(typ="safe", pure=True).dump({**base, **fragment}, stream)
    result = CliRunner().invoke(
        app,
        [
            "solve",
            str(path),
            "--set",
            "rules.ammo_ready.year=2026",
            "--set",
            "rules.ammo_ready.fraction=1",
        ],
    )
    assert result.exit_code == 3, result.output
    text = CATALOGUE.read_text(encoding="utf-8")
    quoted = re.search(r"^```text\n(.*?)^```$", text, re.MULTILINE | re.DOTALL).group(1)
    for line in quoted.splitlines():
        assert line in result.stderr.splitlines()


# (c) the audit flags a broken rule ------------------------------------------------------


@pytest.mark.parametrize("rule_type", sorted(BITING))
def test_audit_flags_the_plan_that_breaks_the_rule(rule_type):
    build, rule_id = BITING[rule_type]
    doc = build()
    free = solve_checked(doc, sets=[f"rules.{rule_id}.enabled=false"])
    free.scenario = load_scenario(doc)  # the same plan, judged with the rule on
    problems = free.audit()
    assert problems, f"the audit accepts a plan that breaks {rule_id}"
    assert all(p.startswith(f"rule {rule_id} ({rule_type}): ") for p in problems), problems
