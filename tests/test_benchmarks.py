"""The benchmark ladder runs on a tiny rung. No timing is ever asserted (see benchmarks/)."""

import ast
import csv
import importlib.util
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer import load_scenario, solve
from optimizer.cli import app

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _script(name: str):
    """A script in benchmarks/ as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generate():
    return _script("generate")


@pytest.fixture(scope="module")
def run():
    return _script("run")


def test_generator_is_deterministic_and_loads(generate, tmp_path):
    rung = generate.Rung.parse("10x3")
    first = generate.write(rung, tmp_path / "a", seed=3)
    second = generate.write(rung, tmp_path / "b", seed=3)
    assert first.read_text() == second.read_text()
    assert generate.generate(rung, seed=4) != generate.generate(rung, seed=3)
    scenario = load_scenario(first)
    assert len(scenario.systems) == 10
    assert len(scenario.years) == 3
    assert len(scenario.capabilities) == 10
    assert [b.id for b in scenario.budgets] == ["national", "safe"]
    assert {r.type for r in scenario.rules} >= {"share", "deadline", "exclude"}
    assert "NO" in scenario.groups["safe_eligible"]  # Norway, not YAML 1.1's false


def test_rung_parses_optional_capabilities_and_budgets(generate):
    assert generate.Rung.parse("50x10") == generate.Rung(50, 10, 10, 2)
    assert generate.Rung.parse("50x10x4x3") == generate.Rung(50, 10, 4, 3)
    assert generate.Rung.parse("40x10x8x2b27") == generate.Rung(40, 10, 8, 2, buyers=27)
    assert generate.Rung.parse("40x10b3") == generate.Rung(40, 10, 10, 2, buyers=3)
    assert generate.Rung.parse("40x10x8x2b27").name == "bench-40x10x8x2b27"
    assert generate.Rung.parse("40x10x8").name == "bench-40x10x8x2"
    for bad in ("50", "50x10b", "50x10b0", "b3", "50x10bx"):
        with pytest.raises(ValueError):
            generate.Rung.parse(bad)


def test_runner_records_a_row_on_the_smallest_rung(generate, run, tmp_path):
    path = generate.write(generate.Rung.parse("10x3"), tmp_path, seed=0)
    row = run.run_rung(path, time_limit=10, mip_gap=0.01, label="test", rung="10x3")
    assert row["status"] in ("optimal", "feasible-at-limit")
    assert row["highs_only_status"] in ("optimal", "feasible-at-limit")
    assert row["columns"] > 0 and row["rows"] > 0 and row["nonzeros"] > 0
    # the stage-1 optimum at 1 % by hand-fed highspy agrees with the solve step's
    assert row["highs_only_objective"] == pytest.approx(row["stage1_objective"], rel=0.02, abs=1e-6)
    assert row["variant_edit_s"] > 0 and row["variant_rebuild_s"] > 0
    csv_path = run.record([row], tmp_path / "results" / "test.csv")
    with csv_path.open(newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == run.COLUMNS
    assert len(rows) == 1
    assert rows[0]["rung"] == "10x3"
    assert rows[0]["status"] in ("optimal", "feasible-at-limit")


def test_buyers_rung_validates_and_solves_with_a_clean_audit(generate, tmp_path):
    rung = generate.Rung.parse("6x3x3b3")
    path = generate.write(rung, tmp_path, seed=0)
    assert path.read_text() == generate.write(rung, tmp_path / "again", seed=0).read_text()
    validated = CliRunner().invoke(app, ["validate", str(path)])
    assert validated.exit_code == 0, validated.output
    scenario = load_scenario(path)
    buyers = [b.id for b in scenario.buyers]
    assert buyers == ["b00", "b01", "b02"]
    assert all(set(b.needs) == {c.id for c in scenario.capabilities} for b in scenario.buyers)
    assert all(c.requirement is None for c in scenario.capabilities)  # types only
    assert {(b.id, b.buyer, b.carryover) for b in scenario.budgets} == {
        *((f"{b}_national", b, True) for b in buyers),
        *((f"{b}_safe", b, False) for b in buyers),
    }
    joint = scenario.rules[0]  # first: the rule run.py's variant switches off
    assert (joint.type, joint.min_buyers) == ("joint", 2)
    assert joint.budgets == [f"{b}_safe" for b in buyers]
    deadline = next(r for r in scenario.rules if r.type == "deadline")
    assert deadline.together
    result = solve(path, mip_gap=0.01, time_limit=10)
    assert result.status == "optimal"
    assert result.audit() == []


# ---- across families (issue 16): the generator families and the plain yardstick ----------


@pytest.fixture(scope="module")
def families():
    return _script("families")


@pytest.fixture(scope="module")
def plain():
    return _script("plain")


@pytest.fixture(scope="module")
def ladder():
    return _script("ladder")


@pytest.mark.parametrize("family", ["ladder", "share-only", "dense"])
def test_family_is_seeded_and_validates(families, family):
    doc = families.generate(family, "10x3", seed=1)
    assert doc == families.generate(family, "10x3", seed=1)
    assert doc != families.generate(family, "10x3", seed=2)
    scenario = load_scenario(doc)
    assert (len(scenario.systems), len(scenario.years), len(scenario.capabilities)) == (10, 3, 10)
    national = next(b for b in scenario.budgets if b.id == "national")
    assert national.carryover
    rules = {r.type for r in scenario.rules}
    if family == "share-only":
        assert [(r.id, r.type, r.measure, r.scope) for r in scenario.rules] == [
            ("safe65", "share", "content", "horizon")
        ]
    else:
        assert rules == {"share", "exclude", "deadline"}
    if family == "dense":
        assert all(s.integer and len(s.contributes) == 3 for s in scenario.systems)
        assert max(max(s.capacity.values()) for s in scenario.systems) <= 12


def test_plain_yardstick_imports_nothing_of_dualtrack(plain):
    source = (BENCHMARKS / "plain.py").read_text()
    tree = ast.parse(source)
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        )
    }
    assert not imported & {"optimizer", "models"}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("rung", ["10x3", "20x4"])
@pytest.mark.parametrize("family", ["ladder", "share-only", "dense"])
def test_plain_optimum_equals_dualtrack_stage_one(families, plain, family, rung, seed):
    doc = families.generate(family, rung, seed)
    ours = solve(doc, mip_gap=0, time_limit=30)
    theirs = plain.solve(doc, mip_gap=0, time_limit=30)
    assert ours.status == "optimal" and theirs["status"] == "optimal"  # feasible, and proved
    assert theirs["objective"] == pytest.approx(ours.objective, rel=1e-6, abs=1e-9)


def test_plain_optimum_equals_dualtrack_with_a_tail(families, plain):
    doc = families.generate("ladder", "10x3", seed=0)
    doc["horizon"].update(tail=2, tail_weight=0.5)
    ours = solve(doc, mip_gap=0, time_limit=30)
    theirs = plain.solve(doc, mip_gap=0, time_limit=30)
    assert theirs["objective"] == pytest.approx(ours.objective, rel=1e-6, abs=1e-9)
    without = solve(families.generate("ladder", "10x3", seed=0), mip_gap=0, time_limit=30)
    assert ours.objective != pytest.approx(without.objective)  # the tail counted


def test_ladder_counts_a_limit_as_the_limit_and_summarises(ladder):
    assert ladder._seconds({"status": "optimal", "gap": 0.004, "solve_s": 2.0}, 300, 0.01) == (
        2.0,
        False,
    )
    stopped = {"status": "feasible-at-limit", "gap": 0.03, "solve_s": 301.0}
    assert ladder._seconds(stopped, 300, 0.01) == (300, True)
    assert ladder._seconds({"status": "killed"}, 300, 0.01) == (300, True)
    rows = [
        {"rung": "9x9", "family": f, "ratio": r, "dualtrack_at_limit": "False",
         "plain_at_limit": str(r > 2)}
        for f, r in [("ladder", 0.5), ("ladder", 1.5), ("ladder", 3.0), ("dense", 0.8)]
    ]  # fmt: skip
    summary = {(s["rung"], s["family"]): s for s in ladder.summarise(rows)}
    assert (summary["9x9", "ladder"]["median"], summary["9x9", "ladder"]["worst"]) == (1.5, 3.0)
    assert summary["9x9", "ladder"]["at_limit"] == 1
    assert summary["9x9", "all"]["runs"] == 4
    assert summary["9x9", "all"]["median"] == pytest.approx(1.15)
    # quartiles of 0.5, 0.8, 1.5, 3.0 at positions 1.25 and 3.75 of 4 (n + 1 = 5 parts):
    # 0.5 + 0.25·0.3 = 0.575 and 1.5 + 0.75·1.5 = 2.625
    assert summary["9x9", "all"]["quartiles"] == pytest.approx([0.575, 2.625])
