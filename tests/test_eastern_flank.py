"""The bundled eastern-flank-2030 scenario: six buyers, sourced, solvable, and its variants
point the way the rules imply (DESIGN §13).

The variants are solved once, to a 2 % MIP gap with 40 s each (the file asks 1 % in 60 s):
enough to prove each plan's gap within 2 % while keeping the suite short, and the orderings
below allow that gap.
"""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.references import scenario_warnings
from optimizer import compare, load_scenario
from optimizer.cli import app
from optimizer.input.load import read_document

PATH = Path(__file__).resolve().parents[1] / "scenarios" / "eastern-flank-2030.yaml"
VARIANTS = ["baseline", *read_document(PATH)["variants"]]
GAP = 0.02


@pytest.fixture(scope="module")
def results():
    """Each variant solved once, side by side."""
    return compare(PATH, VARIANTS, time_limit=40, mip_gap=GAP).results


def at_most(a: float, b: float) -> bool:
    """``a ≤ b`` up to the MIP gap the solves were allowed."""
    return a <= b + GAP * max(abs(a), abs(b)) + 1e-9


def test_six_buyers_each_with_needs_and_money_of_its_own():
    scenario = load_scenario(PATH)
    assert [b.id for b in scenario.buyers] == ["pl", "ro", "baltics", "fi", "de", "west"]
    owners = {b.buyer for b in scenario.budgets}
    for buyer in scenario.buyers:
        assert buyer.id in owners, f"{buyer.id} has no budget of its own"
        assert len(buyer.needs) >= 7
    safe = [b for b in scenario.budgets if b.id.endswith("_safe")]
    assert {b.buyer for b in safe} == {"pl", "ro", "baltics", "fi", "west"}  # Germany has none
    assert any(r.type == "joint" and r.enabled for r in scenario.rules)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_figure_has_a_source_or_an_estimate(variant):
    assert scenario_warnings(load_scenario(PATH, variant=variant), strict=True) == []


def test_the_scenarios_command_lists_it():
    result = CliRunner().invoke(app, ["scenarios"])
    assert result.exit_code == 0 and "eastern-flank-2030" in result.stdout


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_has_a_proven_primary_and_a_clean_audit(results, variant):
    # "optimal": both stages within the gap; a stage two stopped at the limit still returns a
    # plan whose primary is proven within the gap (message "primary optimal; ...").
    result = results[variant]
    assert result.has_plan, result.message
    assert result.message.startswith(("optimal", "primary optimal")), result.message
    assert result.mip_gap <= GAP
    assert result.audit() == []


def test_joint_orders_do_not_widen_the_gap_against_every_buyer_alone(results):
    assert at_most(results["baseline"].objective, results["alone"].objective)


def test_losing_safe_money_does_not_narrow_the_gap(results):
    assert at_most(results["baseline"].objective, results["no-safe"].objective)


def test_eu_preference_raises_the_eu_content_of_every_buyer(results):
    preferred, base = results["eu-preference"].kpis, results["baseline"].kpis
    for buyer in ["pl", "ro", "baltics", "fi", "de", "west"]:
        assert preferred[f"eu_content_share.{buyer}"] >= 0.65 - 1e-6
    assert preferred["eu_content_share"] > base["eu_content_share"]


def test_the_west_builds_europe_while_the_east_buys_where_it_can(results):
    split = results["east-buys-us-west-builds-eu"].kpis
    for buyer in ["de", "west"]:
        assert split[f"eu_content_share.{buyer}"] >= 0.65 - 1e-6
    assert split["investment.de"] + split["investment.west"] >= 2000 - 1e-6


def test_a_contested_line_is_shared_and_within_its_capacity(results):
    allocations = results["baseline"].allocations
    shared = allocations.groupby("system")["buyer"].nunique()
    assert (shared >= 2).sum() >= 3  # several lines serve several buyers
    used = allocations.groupby(["system", "year"]).agg(
        q=("quantity", "sum"), c=("capacity", "first")
    )
    assert (used["q"] <= used["c"] + 1e-6).all()


def test_the_variant_page_shows_these_results(results):
    # docs/eastern-flank-2030.md is written by docs/make_variant_report.py at 1 %; these solves
    # stop at 2 %, so the objectives agree within the two gaps together.
    page = (PATH.parents[1] / "docs" / "eastern-flank-2030.md").read_text()
    header = next(line for line in page.splitlines() if line.startswith("| KPI |"))
    row = next(line for line in page.splitlines() if line.startswith("| `objective` |"))
    columns = [c.strip() for c in header.strip("|").split("|")][1:]
    shown = [float(c) for c in row.strip("|").split("|")[1:]]
    assert columns == VARIANTS
    for variant, value in zip(columns, shown, strict=True):
        assert results[variant].objective == pytest.approx(value, rel=GAP + 0.01 + 5e-3)
