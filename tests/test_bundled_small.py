"""The small bundled scenarios: teaching-155 (solved by hand) and poland-2035.

Every variant of both validates, also strictly (every figure has a source or an
estimate), solves to optimal, and passes the audit. teaching-155 must match
the hand solution in ``docs/teaching-155.md``. poland-2035 must show the
orderings between variants that its rules imply. Each solve runs once per
module (the results are cached), and the whole file takes a few seconds.
"""

from functools import cache
from pathlib import Path

import pytest

from models.references import scenario_warnings
from optimizer import load_scenario, solve
from optimizer.solve.results import Result

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
NAMES = ("teaching-155", "poland-2035")


def path_of(name: str) -> Path:
    """The bundled file of scenario ``name``."""
    return SCENARIOS / f"{name}.yaml"


def cases() -> list[tuple[str, str | None]]:
    """(scenario, variant) for the baseline and every variant of each scenario."""
    return [
        (name, variant)
        for name in NAMES
        for variant in (None, *load_scenario(path_of(name)).variants)
    ]


CASES = cases()
IDS = [f"{name}:{variant or 'baseline'}" for name, variant in CASES]


@cache
def solved(name: str, variant: str | None = None) -> Result:
    """The scenario's result with its own solver settings, computed once."""
    return solve(path_of(name), variant=variant)


@pytest.mark.parametrize(("name", "variant"), CASES, ids=IDS)
def test_validates_strictly(name, variant):
    scenario = load_scenario(path_of(name), variant)
    assert scenario_warnings(scenario, strict=True) == []


@pytest.mark.parametrize(("name", "variant"), CASES, ids=IDS)
def test_solves_to_optimal_and_passes_the_audit(name, variant):
    result = solved(name, variant)
    assert result.status == "optimal", result.message
    assert result.audit() == []


# teaching-155: the hand solution (docs/teaching-155.md)


def _ordered(result: Result, system: str, year: int) -> float:
    orders = result.orders
    return float(
        orders.loc[(orders["system"] == system) & (orders["year"] == year), "quantity"].sum()
    )


def test_teaching_objective_is_the_hand_computed_one():
    # gaps 700, 550 and 50 against a requirement of 1000: 0.70 + 0.55 + 0.05; the two tail
    # years (2029-2030) are closed by 2028's orders (docs/teaching-155.md, "The tail")
    result = solved("teaching-155")
    assert result.objective == pytest.approx(1.30, abs=1e-9)
    gaps = result.capabilities.set_index("year")["gap"]
    expected = {2026: 700, 2027: 550, 2028: 50, 2029: 0, 2030: 0}
    assert gaps.to_dict() == pytest.approx(expected, abs=0.01)


def test_teaching_money_of_the_last_year_buys_for_the_tail():
    # Without a tail 2028's money bought nothing. With it, 2028 orders 650 k rounds for the tail
    # at least cost: Poongsan 100 (300), MSM 100 (350), US 100 arriving 2030 (350) and
    # Rheinmetall 350 (1400): 2400 in all, paid in 2028.
    result = solved("teaching-155")
    bought = {s: _ordered(result, s, 2028) for s in ("rounds_poongsan", "rounds_msm", "rounds_us")}
    assert bought == pytest.approx({s: 100 for s in bought}, abs=0.01)
    assert _ordered(result, "rounds_rheinmetall", 2028) == pytest.approx(350, abs=0.01)
    spent = result.spending.groupby("year")["amount"].sum()
    assert spent[2028] == pytest.approx(2400, abs=0.01)


def test_teaching_idle_safe_money_buys_the_unterluss_expansion_in_2026():
    result = solved("teaching-155")
    investments = result.investments[["system", "year", "steps"]].to_dict("records")
    assert investments == [{"system": "rounds_rheinmetall", "year": 2026, "steps": 1.0}]
    # The expansion's 350 k only counts through 2027 orders: Rheinmetall takes 500 of its 550,
    # and Nammo (the dearest European line) takes nothing that year.
    assert _ordered(result, "rounds_rheinmetall", 2027) == pytest.approx(500, abs=0.01)
    assert _ordered(result, "rounds_nammo", 2027) == 0
    # 2026: every line runs full, US rounds included (they arrive in 2028).
    full = {
        "rounds_poongsan": 100,
        "rounds_msm": 100,
        "rounds_rheinmetall": 200,
        "rounds_nammo": 50,
        "rounds_us": 100,
    }
    assert {s: _ordered(result, s, 2026) for s in full} == pytest.approx(full, abs=1e-6)


def test_teaching_variants_match_the_hand_solution():
    assert solved("teaching-155", "safe-65").objective == pytest.approx(1.30, abs=1e-9)
    # no-us: 1.40 in the horizon, and the tail keeps a gap of 50 in 2030 (0.05): 1.45
    assert solved("teaching-155", "no-us").objective == pytest.approx(1.45, abs=1e-9)


# poland-2035: orderings that the rules imply


def test_poland_polonisation_raises_the_polish_share_of_spending():
    polish = {
        variant: solved("poland-2035", variant).kpis["spend_share.pl"]
        for variant in ("polonisation", "buy-korean-us")
    }
    assert polish["polonisation"] >= 0.6 - 1e-6  # the rule's floor
    assert polish["polonisation"] > polish["buy-korean-us"]


def test_poland_rules_cost_capability_in_the_implied_order():
    gap = {
        variant: solved("poland-2035", variant).objective
        for variant in (None, "no-safe", "safe-65", "buy-korean-us", "polonisation")
    }
    slack = 1e-3 * gap[None]  # the scenario's MIP gap is 1e-4
    # A variant that only adds a rule or removes money cannot do better than the baseline;
    # dropping SAFE's eligibility filter cannot do worse.
    assert gap["buy-korean-us"] <= gap[None] + slack
    for stricter in ("no-safe", "safe-65", "polonisation"):
        assert gap[stricter] >= gap[None] - slack
    assert gap["no-safe"] > gap[None] + 1  # the SAFE loan is worth a lot of capability
