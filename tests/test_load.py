"""Loading: series, patches, --set, and every problem reported as a path."""

import json

import pytest

from models.series import expand, value_at
from optimizer import load_scenario
from optimizer.input.errors import ScenarioError
from optimizer.input.load import merge, read_document


def small_doc():
    return {
        "name": "t",
        "horizon": {"start": 2026, "end": 2028},
        "capabilities": [{"id": "gbad", "name": "Air defence", "requirement": {2026: 4, 2028: 8}}],
        "suppliers": [
            {"id": "rtx", "name": "RTX", "country": "US"},
            {"id": "kongsberg", "name": "Kongsberg", "country": "NO"},
        ],
        "systems": [
            {
                "id": "patriot",
                "name": "Patriot",
                "supplier": "rtx",
                "contributes": {"gbad": 1},
                "unit_cost": 1000,
                "capacity": 2,
            },
            {
                "id": "nasams",
                "name": "NASAMS",
                "supplier": "kongsberg",
                "contributes": {"gbad": 0.5},
                "unit_cost": {2026: 200, 2027: 250},
                "capacity": 1,
            },
        ],
        "budgets": [{"id": "national", "amount": 3000}],
        "rules": [
            {
                "id": "safe65",
                "type": "share",
                "select": {"eu_content_min": 0.65},
                "measure": "content",
                "value": 0.65,
            }
        ],
        "variants": {
            "cheap": {
                "description": "less money",
                "patch": {
                    "budgets": [{"id": "national", "amount": 100}, {"id": "extra", "amount": 5}]
                },
            }
        },
    }


def problems_of(doc, **kwargs):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(doc, **kwargs)
    return caught.value.problems


def test_forward_fill_takes_latest_year_and_backfills_before_the_first():
    series = {2027: 10.0, 2030: 20.0}
    assert value_at(series, 2026) == 10.0  # before the first key: the first key's value
    assert value_at(series, 2029) == 10.0
    assert value_at(series, 2031) == 20.0
    assert expand({0: 5.0}, range(2026, 2029)) == {2026: 5.0, 2027: 5.0, 2028: 5.0}


def test_scalar_and_mapping_series_load_and_fill():
    scenario = load_scenario(small_doc())
    assert scenario.series(scenario.systems[0].unit_cost) == {2026: 1000, 2027: 1000, 2028: 1000}
    assert scenario.series(scenario.systems[1].unit_cost) == {2026: 200, 2027: 250, 2028: 250}
    assert scenario.series(scenario.capabilities[0].requirement)[2027] == 4


def test_yaml_keeps_norway_as_a_country_code(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("suppliers:\n  - {id: k, name: Kongsberg, country: NO}\nvalue: 1e3\n")
    doc = read_document(path)
    assert doc["suppliers"][0]["country"] == "NO"
    assert doc["value"] == 1000.0


def test_json_file_loads(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(small_doc()))
    assert load_scenario(path).systems[1].id == "nasams"


def test_bundled_name_loads_and_unknown_name_lists_bundled():
    assert load_scenario("teaching-155").name == "teaching-155"
    problems = problems_of("no-such-scenario")
    assert "europe-2030, poland-2035, teaching-155" in problems[0]


def test_merge_by_id_appends_unknown_and_replaces_plain_values():
    merged = merge(
        {"a": {"b": 1, "c": 2}, "xs": [{"id": "p", "v": 1}], "l": [1, 2]},
        {"a": {"b": 3}, "xs": [{"id": "p", "v": 9}, {"id": "q", "v": 0}], "l": [7]},
    )
    assert merged == {
        "a": {"b": 3, "c": 2},
        "xs": [{"id": "p", "v": 9}, {"id": "q", "v": 0}],
        "l": [7],
    }


def test_variant_patch_merges_lists_by_id(caplog):
    caplog.set_level("INFO", logger="optimizer.input.load")
    scenario = load_scenario(small_doc(), variant="cheap")
    amounts = {b.id: b.amount for b in scenario.budgets}
    assert amounts["national"] == {0: 100.0}
    assert amounts["extra"] == {0: 5.0}  # an unknown id appends
    assert "budgets.national.amount: 3000 -> 100" in caplog.text


def test_unknown_variant_lists_the_known_ones():
    assert problems_of(small_doc(), variant="nope") == [
        "variant 'nope': unknown (known: baseline, cheap)"
    ]


def test_set_patches_through_lists_by_id_and_keeps_value_types():
    scenario = load_scenario(
        small_doc(),
        sets=[
            "rules.safe65.value=0.5",
            "budgets.national.amount=30000",
            "systems.nasams.unit_cost.2028=300",
            "rules.safe65.enabled=false",
        ],
    )
    assert scenario.rules[0].value == 0.5
    assert scenario.rules[0].enabled is False
    assert scenario.budgets[0].amount == {0: 30000.0}
    assert scenario.series(scenario.systems[1].unit_cost)[2028] == 300


def test_set_with_unknown_id_or_bad_syntax_is_an_error():
    assert "no item with id 'nope'" in problems_of(small_doc(), sets=["rules.nope.value=1"])[0]
    assert "expected PATH=VALUE" in problems_of(small_doc(), sets=["rules.safe65.value"])[0]


@pytest.mark.parametrize(
    ("assignment", "problem"),
    [
        (
            "budgets.national.amount=abc",
            "budgets[0].amount: must be a number or a {year: number} mapping, not 'abc'",
        ),
        (
            "budgets.national.amount=[1, 2]",
            "budgets[0].amount: must be a number or a {year: number} mapping, not [1, 2]",
        ),
        ("systems.patriot.lead_time=1.5", "systems[0].lead_time: must be a whole number, not 1.5"),
        ("systems.patriot.itar=maybe", "systems[0].itar: must be true or false, not 'maybe'"),
        ("systems.patriot.contributes=abc", "systems[0].contributes: must be a mapping, not 'abc'"),
        ("systems.patriot.tags=abc", "systems[0].tags: must be a list, not 'abc'"),
    ],
)
def test_a_set_value_of_the_wrong_type_says_what_was_expected(assignment, problem):
    assert problems_of(small_doc(), sets=[assignment]) == [problem]


def test_unknown_key_is_an_error_with_its_path():
    doc = small_doc()
    doc["systems"][0]["unit_costs"] = 5
    assert problems_of(doc) == ["systems[0].unit_costs: unknown key"]


def test_dangling_references_are_named():
    doc = small_doc()
    doc["systems"][0]["supplier"] = "lockheed"
    doc["systems"][1]["contributes"] = {"shorad": 1}
    doc["budgets"][0]["eligible"] = {"groups": ["eu"]}
    problems = problems_of(doc)
    assert "systems[0].supplier: unknown supplier 'lockheed' (known: rtx, kongsberg)" in problems
    assert any(p.startswith("systems[1].contributes.shorad: unknown capability") for p in problems)
    assert any(p.startswith("budgets[0].eligible.groups[0]: unknown group 'eu'") for p in problems)


def test_a_document_with_several_mistakes_lists_all_of_them():
    doc = small_doc()
    doc["systems"][1]["lead_time"] = -1
    doc["suppliers"][0]["country"] = "XX"
    doc["systems"][0]["supplier"] = "nobody"
    doc["rules"][0]["value"] = 1.5
    problems = problems_of(doc)
    assert "systems[1].lead_time: must be ≥ 0" in problems
    assert any(p.startswith("suppliers[0].country: 'XX' is not an ISO") for p in problems)
    assert any(p.startswith("systems[0].supplier: unknown supplier 'nobody'") for p in problems)
    assert "rules[0] (safe65).value: must be ≤ 1" in problems
    assert len(problems) == 4


def test_duplicate_ids_and_unknown_rule_type():
    doc = small_doc()
    doc["systems"][1]["id"] = "patriot"
    doc["rules"][0]["type"] = "quota"
    problems = problems_of(doc)
    assert "systems[1].id: 'patriot' is already used by systems[0]" in problems
    assert any(p.startswith("rules[0] (safe65): ") and "quota" in p for p in problems)


def test_a_scenario_built_in_code_is_checked_too():
    scenario = load_scenario(small_doc())
    broken = scenario.model_copy(
        update={"systems": [scenario.systems[0].model_copy(update={"supplier": "ghost"})]}
    )
    assert any("unknown supplier 'ghost'" in p for p in problems_of(broken))


def test_more_mistakes_each_named_by_path():
    doc = small_doc()
    doc["capabilities"][0]["requirement"] = {}
    doc["systems"][0]["contributes"] = {"gbad": -1}
    doc["rules"][0]["select"] = {"countries": ["de"]}
    doc["rules"].append(
        {"id": "late", "type": "deadline", "capabilities": ["shorad"], "year": 2040}
    )
    doc["variants"]["baseline"] = {"patch": {}}
    problems = problems_of(doc)
    assert "capabilities[0].requirement: must have at least 1 item(s)" in problems
    assert "systems[0].contributes.gbad: must be ≥ 0" in problems
    assert any(
        p.startswith("rules[0] (safe65).select.countries[0]: 'de' is not an ISO") for p in problems
    )
    assert any(
        p.startswith("rules[1] (late).capabilities[0]: unknown capability 'shorad'")
        for p in problems
    )
    assert "rules[1] (late).year: 2040 is outside the horizon 2026–2028" in problems
    assert "variants.baseline: the name is reserved for the scenario as written" in problems


def test_an_empty_list_in_a_patch_clears_the_list():
    doc = small_doc()
    doc["variants"]["no-rules"] = {"patch": {"rules": []}}
    assert load_scenario(doc, variant="no-rules").rules == []
