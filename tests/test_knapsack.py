"""Three 0/1 knapsack instances with published optima (Pisinger 2005), solved as scenarios.

The mapping is the one in ``tests/data/knapsack/README.md``: one year;
one capability with weight 1 and requirement R = Σ profit; one system per
item (unit_cost = weight, contributes = profit, lead_time 0, capacity 1, in
service, integer); one budget of the instance's capacity. The optimal weighted
gap is then (R − optimum)/R, so the optimum profit is R − objective·R.
"""

from pathlib import Path

import pytest

KNAPSACK = Path(__file__).parent / "data" / "knapsack"

INSTANCES = {
    "knapPI_1_100_1000_1": 9147,  # uncorrelated
    "knapPI_2_100_1000_1": 1514,  # weakly correlated
    "knapPI_3_100_1000_1": 2397,  # strongly correlated
}


def read_instance(path: Path) -> tuple[list[tuple[int, int]], int]:
    """Items as (profit, weight), and the capacity: n, then n lines `profit weight`, then C."""
    numbers = [line.split() for line in path.read_text().splitlines() if line.strip()]
    n = int(numbers[0][0])
    items = [(int(p), int(w)) for p, w in numbers[1 : n + 1]]
    (capacity,) = numbers[n + 1]
    assert len(numbers) == n + 2, f"{path.name}: expected n, {n} items and the capacity"
    return items, int(capacity)


def knapsack_scenario(name: str, items: list[tuple[int, int]], capacity: int) -> dict:
    """The one-year scenario of the README."""
    return {
        "name": name.lower().replace("_", "-"),
        "horizon": {"start": 2026, "end": 2026},
        "capabilities": [
            {
                "id": "value",
                "name": "Knapsack value",
                "weight": 1,
                "requirement": sum(p for p, _ in items),
            }
        ],
        "suppliers": [{"id": "maker", "name": "Maker", "country": "DE"}],
        "systems": [
            {
                "id": f"item_{i:03d}",
                "name": f"Item {i}",
                "supplier": "maker",
                "contributes": {"value": p},
                "unit_cost": w,
                "lead_time": 0,
                "capacity": 1,
                "in_service": True,
                "integer": True,
            }
            for i, (p, w) in enumerate(items)
        ],
        "budgets": [{"id": "knapsack", "name": "Knapsack capacity", "amount": capacity}],
        "objective": {"primary": "weighted_gap", "secondary": "cost"},
    }


@pytest.mark.parametrize(("name", "optimum"), INSTANCES.items(), ids=list(INSTANCES))
def test_knapsack_published_optimum(name, optimum, solve_audited):
    items, capacity = read_instance(KNAPSACK / name)
    total = sum(p for p, _ in items)
    result = solve_audited(knapsack_scenario(name, items, capacity), time_limit=120, mip_gap=0.0)
    assert result.status == "optimal"

    # The reported objective is the weighted gap (R − profit)/R.
    assert round(total - result.objective * total) == optimum

    # The plan itself: whole items, at most one each, within the capacity, worth the optimum.
    chosen = result.orders.set_index("system")["quantity"]
    assert set(chosen.unique()) <= {1.0}
    by_id = {f"item_{i:03d}": (p, w) for i, (p, w) in enumerate(items)}
    assert sum(by_id[s][1] for s in chosen.index) <= capacity
    assert sum(by_id[s][0] for s in chosen.index) == optimum
    assert result.kpis["total_spend"] <= capacity + 1e-6
