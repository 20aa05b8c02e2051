"""Comparing variants, and what each rule costs, on micro scenarios solved by hand."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from optimizer.analysis.compare import attribute, compare
from optimizer.cli import app


def two_suppliers(rules=(), variants=None):
    """One capability needing 4 in 2026; US units cost 100, French 200; 400 to spend."""
    return {
        "name": "two-suppliers",
        "horizon": {"start": 2026, "end": 2026},
        "groups": {"eu": ["FR"]},
        "capabilities": [{"id": "air", "name": "Air defence", "requirement": 4}],
        "suppliers": [
            {"id": "rtx", "name": "RTX", "country": "US"},
            {"id": "mbda", "name": "MBDA", "country": "FR"},
        ],
        "systems": [
            {
                "id": "us_sys",
                "name": "US",
                "supplier": "rtx",
                "contributes": {"air": 1},
                "unit_cost": 100,
                "capacity": 4,
            },
            {
                "id": "fr_sys",
                "name": "FR",
                "supplier": "mbda",
                "contributes": {"air": 1},
                "unit_cost": 200,
                "capacity": 4,
                "eu_content": 0.9,
            },
        ],
        "budgets": [{"id": "national", "amount": 400}],
        "rules": list(rules),
        "variants": variants or {},
        "solver": {"mip_gap": 0},
    }


NO_US = {"id": "no_us", "type": "exclude", "systems": {"countries": ["US"]}}
FEW_TYPES = {"id": "few_types", "type": "max_types", "value": 2}


def audited(comparison):
    for result in comparison.results.values():
        assert result.audit() == []
    return comparison


def test_compare_two_variants_known_by_hand():
    # baseline: 4 US units (400) close the gap: weighted gap 0, spend 400, EU share 0.
    # eu-only (US excluded): 400 buys 2 French units: gap 2/4 = 0.5, spend 400, EU share 1.
    doc = two_suppliers(variants={"eu-only": {"description": "no US", "patch": {"rules": [NO_US]}}})
    comparison = audited(compare(doc, jobs=1))
    kpis, diff = comparison.kpis, comparison.diff
    assert list(kpis.columns) == ["baseline", "eu-only"]
    assert kpis.at["weighted_gap", "baseline"] == pytest.approx(0.0)
    assert kpis.at["weighted_gap", "eu-only"] == pytest.approx(0.5)
    assert kpis.at["spend_share.eu", "eu-only"] == pytest.approx(1.0)
    assert diff.at["weighted_gap", "eu-only"] == pytest.approx(0.5)
    assert diff.at["total_spend", "eu-only"] == pytest.approx(0.0)
    assert diff.at["spend_share.eu", "eu-only"] == pytest.approx(1.0)
    assert comparison.spending_by_origin().loc["eu-only"].to_dict() == {"EU": 400.0, "US": 0.0}
    assert comparison.gaps()["eu-only"].loc["air", 2026] == pytest.approx(0.5)


def test_parallel_and_serial_give_identical_tables():
    doc = two_suppliers(
        variants={
            "eu-only": {"patch": {"rules": [NO_US]}},
            "rich": {"patch": {"budgets": [{"id": "national", "amount": 800}]}},
        }
    )
    serial, parallel = compare(doc, jobs=1), compare(doc, jobs=2)
    pd.testing.assert_frame_equal(serial.kpis, parallel.kpis)
    pd.testing.assert_frame_equal(serial.diff, parallel.diff)
    pd.testing.assert_frame_equal(serial.statuses, parallel.statuses)


def test_attribution_names_the_binding_rule_and_clears_the_slack_one():
    # With both rules: only French units, 2 of them → gap 0.5. Without the exclusion: 4 US
    # units → 0, so the exclusion costs +0.5 in weighted gap and +1.0 in EU share.
    # The type limit (2) never binds: without it the plan is the same → 0.
    table = attribute(two_suppliers(rules=[NO_US, FEW_TYPES]), jobs=1).set_index("rule")
    assert table.at["no_us", "weighted_gap"] == pytest.approx(0.5)
    assert table.at["no_us", "spend_share.eu"] == pytest.approx(1.0)
    assert table.at["few_types", "weighted_gap"] == pytest.approx(0.0)
    assert table.at["few_types", "total_spend"] == pytest.approx(0.0)


def test_a_difference_within_the_gaps_is_not_significant():
    doc = two_suppliers(variants={"eu-only": {"patch": {"rules": [NO_US]}}})
    comparison = compare(doc, jobs=1)
    assert comparison.not_significant() == []
    # Pretend both stopped early: baseline (P* = 0, so its gap is absolute) within 0.4 and
    # eu-only (0.5) within 20 %, i.e. 0.1: together 0.5, as large as the difference.
    comparison.results["baseline"].mip_gap = 0.4
    comparison.results["eu-only"].mip_gap = 0.2
    assert comparison.not_significant() == [("eu-only", "weighted_gap")]
    comparison.results["baseline"].mip_gap = 0.3  # 0.4 < 0.5: a real difference again
    assert comparison.not_significant() == []


def test_unknown_variant_is_named():
    from optimizer.input.errors import ScenarioError

    with pytest.raises(ScenarioError, match="'nope': unknown"):
        compare(two_suppliers(), ["nope"])


def test_notebook_views_are_html():
    comparison = compare(two_suppliers(variants={"eu-only": {"patch": {"rules": [NO_US]}}}), jobs=1)
    assert "<table" in comparison._repr_html_()
    assert "weighted_gap" in comparison.results["baseline"]._repr_html_()


def test_compare_cli_json_and_out_without_force_keeps_the_first(tmp_path):
    runner = CliRunner()
    first = runner.invoke(
        app,
        [
            "compare",
            "teaching-155",
            "--jobs",
            "1",
            "--format",
            "json",
            "--out",
            str(tmp_path / "cmp"),
        ],
    )
    assert first.exit_code == 0, first.output
    document = json.loads(first.stdout)
    assert document["variants"] == ["baseline", "safe-65", "no-us"]
    # 1.4 − 1.3, up to the lexicographic stage's allowance on the primary (1e-6·P* + 1e-6)
    assert document["diff"]["no-us"]["weighted_gap"] == pytest.approx(0.1, abs=1e-5)
    files = {p.name: p.read_bytes() for p in (tmp_path / "cmp").iterdir()}
    assert {"kpis.csv", "diff.parquet", "comparison.xlsx", "manifest.json"} <= set(files)
    again = runner.invoke(
        app,
        ["compare", "teaching-155", "-v", "no-us", "--jobs", "1", "--out", str(tmp_path / "cmp")],
    )
    assert again.exit_code == 2 and "--force" in again.stderr
    assert {p.name: p.read_bytes() for p in (tmp_path / "cmp").iterdir()} == files
