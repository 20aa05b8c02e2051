"""The bundled europe-2030 scenario: valid, sourced, solvable, and its variants point the right way.

Every variant (and the baseline) is solved once, in a module-scoped fixture,
and every plan is audited. The comparisons between variants assert orderings
that follow from the rules (a variant that only removes options cannot close
more of the gap), never exact numbers, with the scenario's own MIP gap as the
tolerance.
"""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.references import scenario_warnings
from optimizer import load_scenario, solve
from optimizer.cli import app
from optimizer.input.load import read_document

PATH = Path(__file__).resolve().parents[1] / "scenarios" / "europe-2030.yaml"
VARIANTS = ["baseline", *read_document(PATH)["variants"]]


@pytest.fixture(scope="module")
def results():
    """Each variant solved once, by name."""
    return {name: solve(PATH, variant=name) for name in VARIANTS}


def kpi(results, variant: str, name: str) -> float:
    return float(results[variant].kpis[name])


def tolerance(results, *variants: str) -> float:
    """The largest relative MIP gap the solves were allowed."""
    return max(results[v].options.mip_gap for v in variants)


def at_most(a: float, b: float, gap: float) -> bool:
    """``a ≤ b`` up to the relative gap the solver was allowed."""
    return a <= b + gap * max(abs(a), abs(b)) + 1e-9


def test_the_expected_variants_are_there():
    expected = {
        "no-preference",
        "safe-65",
        "edis-50",
        "strict-european",
        "buy-now",
        "build-europe",
        "hague-3.5",
    }
    assert expected <= set(VARIANTS)


def test_scope_of_the_scenario():
    scenario = load_scenario(PATH)
    assert scenario.horizon.start == 2026 and scenario.horizon.end == 2035
    assert scenario.units["money"] == "million EUR"
    assert len(scenario.capabilities) >= 8
    assert len(scenario.systems) >= 24
    assert {"eu", "safe_eligible"} <= set(scenario.groups)
    assert len(scenario.groups["eu"]) == 27
    assert set(scenario.groups["safe_eligible"]) == set(scenario.groups["eu"]) | {
        "NO",
        "IS",
        "LI",
        "UA",
    }
    assert any(c.consumption for c in scenario.capabilities)  # aid to Ukraine


def test_every_capability_has_european_and_non_european_options():
    scenario = load_scenario(PATH)
    country = {k.id: k.country for k in scenario.suppliers}
    european = set(scenario.groups["eu"])
    for c in scenario.capabilities:
        origins = {
            country[s.supplier] in european for s in scenario.systems if c.id in s.contributes
        }
        assert origins == {True, False}, f"{c.id}: needs both European and non-EU systems"


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_figure_has_a_source_or_an_estimate(variant):
    scenario = load_scenario(PATH, variant=variant)
    assert scenario_warnings(scenario, strict=True) == []


def test_validate_strict_prints_no_warning():
    result = CliRunner().invoke(app, ["validate", str(PATH), "--strict"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    assert "europe-2030: valid" in result.stdout


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_solves_to_optimal_with_a_clean_audit(results, variant):
    result = results[variant]
    assert result.status == "optimal", result.message
    assert result.audit() == []
    assert result.kpis["total_spend"] > 0


def test_strict_european_buys_more_european(results):
    assert kpi(results, "strict-european", "spend_share.eu") > kpi(
        results, "no-preference", "spend_share.eu"
    )


def test_strict_european_does_not_close_more_of_the_gap(results):
    gap = tolerance(results, "strict-european", "no-preference")
    assert at_most(
        kpi(results, "no-preference", "weighted_gap"),
        kpi(results, "strict-european", "weighted_gap"),
        gap,
    )


def test_hague_money_does_not_widen_the_gap(results):
    gap = tolerance(results, "hague-3.5", "baseline")
    assert at_most(
        kpi(results, "hague-3.5", "weighted_gap"), kpi(results, "baseline", "weighted_gap"), gap
    )


def test_build_europe_invests_at_least_as_much(results):
    assert kpi(results, "build-europe", "investment") >= kpi(results, "baseline", "investment")


def test_removing_the_safe_condition_does_not_widen_the_gap(results):
    gap = tolerance(results, "no-preference", "baseline")
    assert at_most(
        kpi(results, "no-preference", "weighted_gap"), kpi(results, "baseline", "weighted_gap"), gap
    )


def test_buy_now_money_does_not_widen_the_gap(results):
    gap = tolerance(results, "buy-now", "no-preference")
    assert at_most(
        kpi(results, "buy-now", "weighted_gap"), kpi(results, "no-preference", "weighted_gap"), gap
    )


def test_safe_65_holds_the_content_share(results):
    assert kpi(results, "safe-65", "eu_content_share") >= 0.65 - 1e-6


def test_the_variant_page_shows_these_results(results):
    """docs/europe-2030.md is regenerated by its script: its weighted gaps are current."""
    page = (PATH.parents[1] / "docs" / "europe-2030.md").read_text()
    header = next(line for line in page.splitlines() if line.startswith("| KPI |"))
    row = next(line for line in page.splitlines() if line.startswith("| `weighted_gap` |"))
    columns = [c.strip() for c in header.strip("|").split("|")][1:]
    shown = [float(c) for c in row.strip("|").split("|")[1:]]
    assert columns == VARIANTS
    for variant, value in zip(columns, shown, strict=True):
        assert kpi(results, variant, "weighted_gap") == pytest.approx(value, rel=5e-3)
