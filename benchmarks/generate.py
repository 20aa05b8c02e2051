"""Seeded scale generator: synthetic scenario files for the benchmark ladder.

A rung is ``SxT`` (systems × years), optionally ``SxTxC`` or ``SxTxCxB`` (× capabilities
× budgets; defaults 10 and 2). The same rung and seed always give the same file.

    python benchmarks/generate.py 50x10 200x15 --out benchmarks/generated --seed 0

Structure of a generated scenario (all money in million EUR):

- capabilities: about a third are *stocks* (ammunition-like, consumed every year, bought
  from divisible systems), the rest *fleets* (bought in whole units); requirements grow
  over the horizon, the initial level is below the first requirement;
- suppliers: one per eight systems (at least eight), mostly European, then US, Korean,
  British, Norwegian; US suppliers' systems are often ITAR;
- systems: each contributes to one capability (four in five) or two of the same kind;
  lead times 0-3 years; capacity per delivery year (sometimes ramping up); price series
  (sometimes rising); about half are in service, some of those with pipeline deliveries;
  half of the new ones have an adoption cost; one European system in five has production
  expansion steps;
- budgets: ``national`` (every system, unspent money carries over) and ``safe`` (only
  systems with eu_content ≥ 0.65, for the first two thirds of the horizon); extra budgets
  (``regional_<k>``) each fund the systems of a few capabilities. Budgets buy roughly a
  third of what the production lines could deliver, so money binds;
- rules: ``safe65`` (share, content, min 0.65 over the horizon), ``no_new_itar`` (exclude
  ITAR systems not yet in service in the first two years) and ``deadline`` (one
  capability held at a fraction of its requirement from mid-horizon on). The fraction is
  set from a witness plan that only buys compliant European systems at 30 % of their
  capacity and that the budgets are sized to pay, so the scenario is feasible.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

START = 2026
EU = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
]  # fmt: skip
SAFE_ELIGIBLE = [*EU, "NO", "IS", "LI", "UA"]
EU_MAKERS = ["DE", "FR", "IT", "PL", "SE", "ES", "NL", "CZ", "SK", "FI"]
OTHER_MAKERS = [("US", 0.25), ("KR", 0.08), ("GB", 0.06), ("NO", 0.06)]  # rest: EU
WITNESS_SHARE = 0.3  # the deadline's witness plan orders this share of capacity


@dataclass(frozen=True)
class Rung:
    """One size of the ladder."""

    systems: int
    years: int
    capabilities: int = 10
    budgets: int = 2

    @classmethod
    def parse(cls, text: str) -> Rung:
        """``"50x10"``, ``"50x10x10"`` or ``"50x10x10x2"``."""
        parts = [int(p) for p in text.lower().split("x")]
        if not 2 <= len(parts) <= 4 or min(parts) < 1:
            raise ValueError(f"{text!r}: a rung is SxT, SxTxC or SxTxCxB with positive numbers")
        return cls(*parts)

    @property
    def name(self) -> str:
        """``bench-50x10`` (capabilities and budgets only when not the defaults)."""
        name = f"bench-{self.systems}x{self.years}"
        if (self.capabilities, self.budgets) != (10, 2):
            name += f"x{self.capabilities}x{self.budgets}"
        return name


def _series(rng: random.Random, base: float, years: int, growth: float, chance: float) -> object:
    """A scalar, or (with probability ``chance``) a two-step mapping that grows by ``growth``."""
    if years < 3 or rng.random() >= chance:
        return base
    later = START + rng.randint(1, years - 1)
    return {START: base, later: round(base * (1 + growth), 2)}


def _first(series: object) -> float:
    return series if isinstance(series, int | float) else min(series.values())


def _at(series: object, year: int) -> float:
    if isinstance(series, int | float):
        return float(series)
    keys = sorted(series)
    earlier = [k for k in keys if k <= year]
    return float(series[earlier[-1] if earlier else keys[0]])


def _suppliers(rng: random.Random, n_systems: int) -> list[dict]:
    suppliers = []
    for k in range(max(8, n_systems // 8)):
        draw, country = rng.random(), None
        for code, p in OTHER_MAKERS:
            if draw < p:
                country = code
                break
            draw -= p
        country = country or rng.choice(EU_MAKERS)
        suppliers.append(
            {"id": f"sup{k:04d}", "name": f"Supplier {k} ({country})", "country": country}
        )
    return suppliers


def _capabilities(rng: random.Random, n: int) -> list[dict]:
    stocks = max(1, round(n / 3)) if n > 1 else 0
    return [
        {
            "id": f"cap{c:02d}",
            "name": f"{'Stock' if c < stocks else 'Fleet'} capability {c}",
            "unit": "thousand rounds" if c < stocks else "unit",
            "weight": rng.choice([1, 1, 2, 3]),
            "stock": c < stocks,
        }
        for c in range(n)
    ]


def _system(rng: random.Random, i: int, caps: list[dict], supplier: dict, years: int) -> dict:
    cap = rng.choice(caps)
    divisible = cap["stock"]
    same_kind = [c for c in caps if c["stock"] == divisible and c is not cap]
    contributes = {cap["id"]: round(rng.uniform(0.5, 2.0), 1)}
    if same_kind and rng.random() < 0.2:
        contributes[rng.choice(same_kind)["id"]] = round(rng.uniform(0.2, 1.0), 1)
    european = supplier["country"] in SAFE_ELIGIBLE
    if european:
        eu_content = round(rng.uniform(0.55, 0.98), 2)
    else:
        eu_content = round(rng.uniform(0.0, 0.35), 2)
    if divisible:
        price, capacity, lead = rng.uniform(2, 8), rng.randint(20, 200), rng.randint(0, 2)
    else:
        price, capacity, lead = rng.uniform(5, 200), rng.randint(2, 20), rng.randint(1, 3)
    system = {
        "id": f"sys{i:05d}",
        "name": f"System {i}",
        "supplier": supplier["id"],
        "contributes": contributes,
        "unit_cost": _series(rng, round(price, 2), years, rng.uniform(0.05, 0.25), 0.3),
        "lead_time": lead,
        "capacity": _series(rng, capacity, years, 0.5, 0.2),
        "eu_content": eu_content,
        "interoperability": round(rng.uniform(0.7, 1.0), 2),
        "itar": supplier["country"] == "US" and rng.random() < 0.7,
        "in_service": rng.random() < 0.5,
        "integer": not divisible,
    }
    if system["in_service"] and rng.random() < 0.4 and years > 1:
        system["pipeline"] = {START + rng.randint(0, min(2, years - 1)): max(1, capacity // 2)}
    if not system["in_service"] and rng.random() < 0.5:
        system["adoption_cost"] = round(price * rng.uniform(1, 5), 1)
    if european and rng.random() < 0.2:
        system["expansion"] = {
            "cost": round(price * capacity * rng.uniform(0.5, 2.0), 1),
            "capacity": max(1, capacity // 2),
            "ramp_up": rng.randint(1, 3),
            "max_steps": rng.randint(1, 3),
        }
    return system


def _compliant(system: dict, country: dict[str, str]) -> bool:
    """Bought by the witness plan: European, ≥ 65 % content, no ITAR, no rule excludes it."""
    return (
        country[system["supplier"]] in SAFE_ELIGIBLE
        and system["eu_content"] >= 0.65
        and not system["itar"]
    )


def _witness(systems: list[dict], country: dict[str, str], end: int) -> dict[str, dict[int, float]]:
    """Orders {system: {year: units}} of compliant systems at 30 % of their first capacity."""
    plan = {}
    for s in systems:
        if not _compliant(s, country):
            continue
        units = WITNESS_SHARE * _first(s["capacity"])
        units = math.floor(units) if s["integer"] else round(units, 2)
        if units > 0:
            plan[s["id"]] = {t: units for t in range(START, end - s["lead_time"] + 1)}
    return plan


def _witness_cost(systems: list[dict], plan: dict, years: range) -> dict[int, float]:
    cost = dict.fromkeys(years, 0.0)
    for s in systems:
        orders = plan.get(s["id"])
        if not orders:
            continue
        first = min(orders)
        cost[first] += s.get("adoption_cost", 0.0) if not s["in_service"] else 0.0
        for t, units in orders.items():
            cost[t] += units * _at(s["unit_cost"], t)
    return cost


def _levels(cap: dict, systems: list[dict], plan: dict, years: range) -> dict[int, float]:
    """Level of ``cap`` each year under the witness plan (pipeline included)."""
    arrived, used, levels = 0.0, 0.0, {}
    for t in years:
        for s in systems:
            e = s["contributes"].get(cap["id"])
            if e is None:
                continue
            delivered = s.get("pipeline", {}).get(t, 0.0)
            delivered += plan.get(s["id"], {}).get(t - s["lead_time"], 0.0)
            arrived += e * delivered
        used += _at(cap["consumption"], t)
        levels[t] = _at(cap["initial"], t) + arrived - used
    return levels


def _size_capabilities(rng: random.Random, caps: list[dict], systems: list[dict], years: int):
    """Initial levels, requirements and consumption, scaled to what the lines can deliver."""
    end = START + years - 1
    for cap in caps:
        yearly = sum(
            s["contributes"][cap["id"]] * _first(s["capacity"])
            for s in systems
            if cap["id"] in s["contributes"]
        )
        yearly = max(yearly, 10.0)
        first = round(yearly * rng.uniform(2.0, 4.0), 1)
        final = round(first + yearly * years * rng.uniform(0.3, 0.6), 1)
        middle = START + years // 2
        cap["requirement"] = (
            {START: first}
            if years == 1
            else {START: first, middle: round((first + final) / 2, 1), end: final}
        )
        cap["initial"] = round(first * rng.uniform(0.55, 0.8), 1)
        cap["consumption"] = round(yearly * rng.uniform(0.1, 0.3), 1) if cap["stock"] else 0


def _budgets(
    rng: random.Random,
    n: int,
    systems: list[dict],
    caps: list[dict],
    years: int,
    witness_cost: dict,
) -> list[dict]:
    full = sum(_first(s["capacity"]) * _at(s["unit_cost"], START) for s in systems)
    end = START + years - 1
    grow = {START: round(0.22 * full, 1)}
    if years > 2:
        grow[START + years // 2] = round(0.26 * full, 1)
    needed = max(witness_cost.values(), default=0.0) * 1.1
    national = {t: max(v, round(needed, 1)) for t, v in grow.items()}
    budgets = [
        {"id": "national", "name": "National procurement", "amount": national, "carryover": True},
    ]
    if n >= 2:
        cut = START + max(1, (2 * years) // 3)
        amount = {START: round(0.1 * full, 1)}
        if cut <= end:
            amount[cut] = 0
        budgets.append(
            {
                "id": "safe",
                "name": "SAFE loans",
                "amount": amount,
                "eligible": {"eu_content_min": 0.65},
            }
        )
    for k in range(2, n):
        chosen = sorted(rng.sample([c["id"] for c in caps], k=min(3, len(caps))))
        budgets.append(
            {
                "id": f"regional_{k}",
                "name": f"Regional fund {k}",
                "amount": round(rng.uniform(0.02, 0.05) * full, 1),
                "eligible": {"capabilities": chosen},
            }
        )
    return budgets


def _deadline(caps: list[dict], systems: list[dict], plan: dict, years: int) -> dict:
    """A deadline the witness plan meets: 90 % of the witness plan's worst ratio."""
    year = START + max(1, years // 2) if years > 1 else START
    horizon = range(START, START + years)
    best, fraction = caps[0], -1.0
    for cap in caps:
        levels = _levels(cap, systems, plan, horizon)
        ratios = [levels[t] / _at(cap["requirement"], t) for t in horizon if t >= year]
        reach = max(0.0, min(1.0, 0.9 * min(ratios)))
        if reach > fraction:
            best, fraction = cap, reach
    return {
        "id": "deadline",
        "type": "deadline",
        "description": "Witness-checked: reachable with compliant European systems alone.",
        "capabilities": [best["id"]],
        "year": year,
        "fraction": math.floor(fraction * 100) / 100,
    }


def generate(rung: Rung, seed: int = 0) -> dict:
    """The scenario document of ``rung`` (a plain mapping, ready to dump as YAML)."""
    rng = random.Random(
        f"dualtrack-bench:{seed}:{rung.systems}:{rung.years}:{rung.capabilities}:{rung.budgets}"
    )
    end = START + rung.years - 1
    horizon = range(START, end + 1)
    suppliers = _suppliers(rng, rung.systems)
    caps = _capabilities(rng, rung.capabilities)
    systems = [
        _system(rng, i, caps, rng.choice(suppliers), rung.years) for i in range(rung.systems)
    ]
    _size_capabilities(rng, caps, systems, rung.years)
    country = {k["id"]: k["country"] for k in suppliers}
    plan = _witness(systems, country, end)
    budgets = _budgets(
        rng, rung.budgets, systems, caps, rung.years, _witness_cost(systems, plan, horizon)
    )
    rules = [
        {
            "id": "safe65",
            "type": "share",
            "description": "SAFE-style: eligible content >= 65 % of all spending.",
            "select": {},
            "measure": "content",
            "bound": "min",
            "value": 0.65,
            "scope": "horizon",
        },
        {
            "id": "no_new_itar",
            "type": "exclude",
            "description": "No new ITAR system types in the first two years.",
            "systems": {"itar": True, "in_service": False},
            "until_year": min(end, START + 1),
        },
        _deadline(caps, systems, plan, rung.years),
    ]
    for cap in caps:
        del cap["stock"]
    return {
        "name": rung.name,
        "description": f"Synthetic scenario {rung.name} (seed {seed}) by benchmarks/generate.py.",
        "horizon": {"start": START, "end": end},
        "groups": {"eu": EU, "safe_eligible": SAFE_ELIGIBLE},
        "capabilities": caps,
        "suppliers": suppliers,
        "systems": systems,
        "budgets": budgets,
        "rules": rules,
        "objective": {"primary": "weighted_gap", "secondary": "cost"},
    }


def _quoted(value: object) -> object:
    """``NO`` (Norway) in quotes, so that YAML 1.1 readers do not take it for ``false``."""
    if isinstance(value, dict):
        return {k: _quoted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_quoted(v) for v in value]
    if value == "NO":
        return DoubleQuotedScalarString(value)
    return value


def write(rung: Rung, folder: Path, seed: int = 0) -> Path:
    """Write ``<folder>/<rung name>-s<seed>.yaml`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{rung.name}-s{seed}.yaml"
    yaml = YAML()  # round-trip dumper: keys in the order written, quoted strings kept
    yaml.default_flow_style = None  # inner mappings and lists of scalars on one line
    yaml.width = 120
    tmp = path.with_suffix(".yaml.tmp")
    with tmp.open("w", encoding="utf-8") as out:
        out.write(f"# generated by benchmarks/generate.py {rung.name} --seed {seed}; do not edit\n")
        yaml.dump(_quoted(generate(rung, seed)), out)
    tmp.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rungs", nargs="+", help="SxT, SxTxC or SxTxCxB, e.g. 50x10")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "generated")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for text in args.rungs:
        print(write(Rung.parse(text), args.out, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
