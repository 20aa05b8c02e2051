"""Scenario workbooks (issue 18): `dualtrack convert` both ways without loss, workbooks read by
every command, and problems named by their sheet and cell."""

import copy
import io
import zipfile

import pytest
from buyer_docs import joint_doc
from conftest import micro, solve_audited
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from test_fuzz import paths
from typer.testing import CliRunner

from optimizer import load_scenario
from optimizer.cli import app
from optimizer.input.load import bundled, read_document, validate
from optimizer.input.workbook import read_workbook, workbook_bytes
from optimizer.output.convert import document_bytes

BUNDLED = sorted(bundled())


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


def round_trip(doc: dict, tmp_path, name="doc.xlsx") -> dict:
    path = tmp_path / name
    path.write_bytes(workbook_bytes(doc))
    return read_workbook(path)[0]


def column(sheet, title: str) -> int:
    return [c.value for c in sheet[1]].index(title) + 1


def row_of(sheet, ident: str) -> int:
    return next(c.row for c in sheet["A"] if c.value == ident)


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_scenario_goes_to_a_workbook_and_back_unchanged(name, tmp_path):
    # YAML → xlsx → YAML by the command line; each step validates to the same Scenario.
    original = load_scenario(name)
    assert run("convert", name, tmp_path / "s.xlsx").exit_code == 0
    assert run("convert", tmp_path / "s.xlsx", tmp_path / "s.yaml").exit_code == 0
    assert load_scenario(tmp_path / "s.xlsx") == original
    assert load_scenario(tmp_path / "s.yaml") == original
    # Sources and estimates travel too (the equality covers them; a count makes it visible).
    assert original.sources and len(load_scenario(tmp_path / "s.yaml").sources) == len(
        original.sources
    )
    # The document itself comes back as written (constants stay constants, defaults unwritten),
    # except an empty text: a blank cell, read as the key left out (the same default).
    assert read_document(tmp_path / "s.yaml") == without_empty_text(read_document(name))


def without_empty_text(value):
    if isinstance(value, dict):
        return {k: without_empty_text(v) for k, v in value.items() if v != ""}
    if isinstance(value, list):
        return [without_empty_text(v) for v in value]
    return value


def test_a_document_with_buyers_needs_and_joint_rules_round_trips(tmp_path):
    doc = joint_doc()
    back = round_trip(doc, tmp_path)
    assert validate(back) == validate(doc)
    book = load_workbook(tmp_path / "doc.xlsx")
    assert {"buyers", "needs"} <= set(book.sheetnames)


def test_patches_that_add_items_and_hold_awkward_values_round_trip(tmp_path):
    doc = micro(
        systems=[{"id": "s1", "tags": ["a", "b, c"], "unit_cost": {2026: 2, 2027: 3}}],
        years=2,
        description="=SUM(A1) is text, not a formula",
        variants={
            "v": {
                "description": "yes",
                "patch": {
                    "systems": [
                        {"id": "s1", "name": "true", "tags": [], "unit_cost": {2027: 5}},
                        {"id": "new", "name": "New", "supplier": "sup", "contributes": {"cap": 1},
                         "unit_cost": 1, "capacity": 1},
                    ],
                    "budgets": [{"id": "money", "amount": 7}],
                    "groups": {"eu": ["DE"]},
                    "description": "[not a list]",
                },
            },
            "empty": {},
        },
    )  # fmt: skip
    back = round_trip(doc, tmp_path)
    assert back == doc
    assert load_scenario(back, "v") == load_scenario(doc, "v")


def test_strings_that_look_like_numbers_or_lists_stay_strings(tmp_path):
    doc = micro(system={"id": "s", "name": "2026", "tags": ["NO", "1.5", "[x]", "null"]})
    doc["description"] = "{not: a mapping}"
    assert round_trip(doc, tmp_path) == doc


# Mutated bundled documents (the fuzzer's mutations): every valid one comes back the same.
DOCUMENTS = {name: read_document(path) for name, path in bundled().items()}
VALUES = [0, 0.5, 1, 2026, "", "x", "2026", "NO", "yes", [], {}, [1, 2], {"a": 1}, {2026: 3}]


PATHS = {name: paths(doc)[1:] for name, doc in DOCUMENTS.items()}


@settings(max_examples=40, derandomize=True, deadline=None)
@given(data=st.data())
def test_any_valid_mutation_of_a_bundled_scenario_round_trips(tmp_path_factory, data):
    name = data.draw(st.sampled_from(["teaching-155", "poland-2035"]))
    path = data.draw(st.sampled_from(PATHS[name]))
    doc = copy.deepcopy(DOCUMENTS[name])
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = data.draw(st.sampled_from(VALUES))
    try:
        scenario = validate(copy.deepcopy(doc))
    except Exception:  # noqa: BLE001 - only valid documents must round-trip
        return
    assert validate(round_trip(doc, tmp_path_factory.mktemp("wb"))) == scenario


def test_a_price_changed_in_the_workbook_is_solved_with_the_change(tmp_path):
    # teaching-155: the cheapest European rounds are Nammo's; doubling their price must give
    # the plan of `--set systems.rounds_nammo.unit_cost=...`, not the plan of the original.
    assert run("convert", "teaching-155", tmp_path / "t.xlsx").exit_code == 0
    book = load_workbook(tmp_path / "t.xlsx")
    systems = book["systems"]
    cell = systems.cell(row_of(systems, "rounds_nammo"), column(systems, "unit_cost"))
    price = cell.value
    cell.value = price * 2
    book.save(tmp_path / "edited.xlsx")

    edited = solve_audited(tmp_path / "edited.xlsx")
    expected = solve_audited("teaching-155", sets=[f"systems.rounds_nammo.unit_cost={price * 2}"])
    original = solve_audited("teaching-155")
    assert edited.objective == pytest.approx(expected.objective, abs=1e-9)
    assert edited.kpis["total_spend"] == pytest.approx(expected.kpis["total_spend"])
    assert edited.orders.query("system == 'rounds_nammo'")["unit_cost"].max() == price * 2
    assert original.orders.query("system == 'rounds_nammo'")["unit_cost"].max() == price


def test_compare_reads_a_workbook_with_its_variants(tmp_path):
    assert run("convert", "teaching-155", tmp_path / "t.xlsx").exit_code == 0
    from_book = run("compare", tmp_path / "t.xlsx", "--format", "csv")
    from_yaml = run("compare", "teaching-155", "--format", "csv")
    assert from_book.exit_code == 0
    assert from_book.stdout == from_yaml.stdout


def test_a_wrong_cell_is_named_by_sheet_and_cell(tmp_path):
    run("convert", "teaching-155", tmp_path / "t.xlsx")
    book = load_workbook(tmp_path / "t.xlsx")
    systems = book["systems"]
    row = row_of(systems, "rounds_nammo")
    lead = systems.cell(row, column(systems, "lead_time"))
    lead.value = -1
    supplier = systems.cell(row_of(systems, "rounds_us"), column(systems, "supplier"))
    supplier.value = "nobody"
    book.save(tmp_path / "bad.xlsx")
    result = run("solve", tmp_path / "bad.xlsx")
    assert result.exit_code == 2
    assert f"systems!{lead.coordinate} (rounds_nammo.lead_time): must be ≥ 0" in result.output
    assert f"systems!{supplier.coordinate} (rounds_us.supplier): unknown supplier" in result.output


def test_a_wrong_setting_or_patch_is_named_by_its_cell(tmp_path):
    run("convert", "teaching-155", tmp_path / "t.xlsx")
    book = load_workbook(tmp_path / "t.xlsx")
    settings_sheet = book["scenario"]
    start = next(r for r in settings_sheet.iter_rows() if r[0].value == "horizon.start")[1]
    start.value = "soon"
    book.save(tmp_path / "bad.xlsx")
    result = run("validate", tmp_path / "bad.xlsx")
    assert result.exit_code == 2
    assert f"scenario!{start.coordinate} (horizon.start): must be a whole number" in result.output

    book = load_workbook(tmp_path / "t.xlsx")
    book["patches"]["C2"] = "[unclosed"
    book.save(tmp_path / "bad-patch.xlsx")
    result = run("validate", tmp_path / "bad-patch.xlsx")
    assert result.exit_code == 2 and "patches!C2 (" in result.output


def test_the_workbook_has_drop_downs_and_frozen_headers(tmp_path):
    run("convert", "europe-2030", tmp_path / "e.xlsx")
    book = load_workbook(tmp_path / "e.xlsx")
    rules = book["rules"]
    assert rules.freeze_panes == "B2"
    type_column = rules.cell(1, column(rules, "type")).column_letter
    (check,) = [v for v in rules.data_validations.dataValidation if type_column in str(v.sqref)]
    first, last = check.formula1.split("!")[1].replace("$", "").split(":")
    choices = [c.value for row in book["_lists"][f"{first}:{last}"] for c in row]
    assert {"share", "exclude", "deadline", "joint"} <= set(choices)
    assert book["_lists"].sheet_state == "hidden"
    suppliers = book["suppliers"]
    country = suppliers.cell(1, column(suppliers, "country")).column_letter
    assert any(country in str(v.sqref) for v in suppliers.data_validations.dataValidation)


def test_convert_never_overwrites_silently_and_refuses_what_it_cannot_write(tmp_path):
    target = tmp_path / "t.xlsx"
    target.write_text("keep me")
    result = run("convert", "teaching-155", target)
    assert result.exit_code == 2 and "--force" in result.output
    assert target.read_text() == "keep me"
    assert run("convert", "teaching-155", target, "--force").exit_code == 0
    assert load_scenario(target) == load_scenario("teaching-155")

    result = run("convert", "teaching-155", tmp_path / "t.csv")
    assert result.exit_code == 2 and "unknown format" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x"}')
    result = run("convert", bad, tmp_path / "bad.xlsx")
    assert result.exit_code == 2 and "horizon: is required" in result.output
    assert not (tmp_path / "bad.xlsx").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "t.xlsx"]  # no leftovers


def test_hostile_workbooks_exit_2(tmp_path):
    not_a_zip = tmp_path / "a.xlsx"
    not_a_zip.write_text("name: x")
    result = run("validate", not_a_zip)
    assert result.exit_code == 2 and "cannot be read as a workbook" in result.output

    bomb = tmp_path / "bomb.xlsx"  # 200 MB of zeros in 200 KB
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 200_000_000)
    result = run("validate", bomb)
    assert result.exit_code == 2 and "inflates to more than" in result.output

    stream = io.BytesIO(workbook_bytes(micro()))
    book = load_workbook(stream)
    book.create_sheet("notes")
    del book["scenario"]
    book.save(tmp_path / "odd.xlsx")
    result = run("validate", tmp_path / "odd.xlsx")
    assert result.exit_code == 2 and "no sheet named 'scenario'" in result.output


def test_json_and_yaml_conversions_keep_the_document(tmp_path):
    doc = read_document("europe-2030")
    for suffix in (".json", ".yaml"):
        path = tmp_path / f"e{suffix}"
        path.write_bytes(document_bytes(doc, suffix))
        assert validate(read_document(path)) == validate(doc)
