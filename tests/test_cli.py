"""The command line through typer's runner: exit codes, formats, and --out."""

import json

import yaml_helpers
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.solve import highs
from optimizer.solve.highs import Stage

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_solve_default_prints_an_optimal_plan():
    result = run("solve")
    assert result.exit_code == 0, result.output
    assert "europe-2030 (baseline): optimal" in result.stdout
    assert "weighted_gap" in result.stdout


def test_solve_json_is_machine_readable():
    result = run("solve", "teaching-155", "--variant", "no-us", "--format", "json")
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["status"] == "optimal"
    assert summary["variant"] == "no-us"
    # no SAFE money: nothing is paid from it, and the gap is larger than with it
    assert (
        summary["kpis"]["weighted_gap"]
        > json.loads(run("solve", "teaching-155", "--format", "json").stdout)["kpis"][
            "weighted_gap"
        ]
    )


def test_solve_csv_lists_kpis():
    result = run("solve", "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "kpi,value"
    assert any(line.startswith("total_spend,") for line in result.stdout.splitlines())


def test_invalid_document_exits_2_listing_every_problem(tmp_path):
    path = yaml_helpers.write_broken_scenario(tmp_path)
    result = run("validate", path)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert "systems[0].lead_time: must be ≥ 0" in lines
    assert "budgets[0].amount: is required" in lines
    assert any(line.startswith("systems[1].supplier: unknown supplier 'boeing'") for line in lines)
    assert "Traceback" not in result.output
    assert run("solve", path).exit_code == 2


def test_infeasible_scenario_exits_3_and_names_the_rule(tmp_path):
    path = yaml_helpers.write_impossible_deadline(tmp_path)
    result = run("solve", path)
    assert result.exit_code == 3
    assert "infeasible" in result.stderr
    assert "air_2027" in result.stderr


def test_solver_failure_exits_4(monkeypatch):
    monkeypatch.setattr(
        highs, "_stage", lambda *answer: Stage("error", None, None, "HiGHS stopped: error")
    )
    result = run("solve")
    assert result.exit_code == 4
    assert "HiGHS stopped" in result.stderr


def test_out_writes_whole_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "run"
    first = run("solve", "teaching-155", "--out", out)
    assert first.exit_code == 0, first.output
    files = {p.name for p in out.iterdir()}
    assert {
        "orders.csv",
        "orders.parquet",
        "kpis.csv",
        "result.xlsx",
        "manifest.json",
        "scenario.json",
    } <= files
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "optimal" and len(manifest["scenario_sha256"]) == 64
    assert set(manifest["files"]) == files
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    second = run("solve", "teaching-155", "--variant", "no-us", "--out", out)
    assert second.exit_code == 2
    assert "--force" in second.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    forced = run("solve", "teaching-155", "--variant", "no-us", "--out", out, "--force")
    assert forced.exit_code == 0
    assert json.loads((out / "manifest.json").read_text())["variant"] == "no-us"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no staging or old folder left


def test_out_into_an_existing_empty_folder_is_allowed(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert run("solve", "teaching-155", "--out", out).exit_code == 0
    assert (out / "manifest.json").exists()


def test_scenarios_and_schema():
    listed = run("scenarios")
    assert listed.exit_code == 0 and all(
        n in listed.stdout for n in ("europe-2030 (default)", "poland-2035", "teaching-155")
    )
    schema = json.loads(run("schema").stdout)
    assert "systems" in schema["properties"]


def test_validate_strict_warns_about_unsourced_figures(tmp_path):
    path = yaml_helpers.write_impossible_deadline(tmp_path)
    result = run("validate", path, "--strict")
    assert result.exit_code == 0
    assert "warning: capabilities[0] (air): no source and no estimate" in result.stderr


def test_set_errors_exit_2():
    result = run("solve", "--set", "rules.nope.value=1")
    assert result.exit_code == 2
    assert "no item with id 'nope'" in result.stderr
