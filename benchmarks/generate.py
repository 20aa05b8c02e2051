"""Seeded scale generator: synthetic scenario files for the benchmark ladder.

A rung is ``SxT`` (systems × years), optionally ``SxTxC`` or ``SxTxCxB`` (× capabilities
× budgets; defaults 10 and 2), and optionally ``bN`` at the end for N buyers (DESIGN §13):
``40x10x8x2b27``, ``40x10b3``. The same rung and seed always give the same file.

    python benchmarks/generate.py 50x10 200x15 --out benchmarks/generated --seed 0
    python benchmarks/generate.py 40x10x8x2b27 --seed 1

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

With ``bN`` (N ≥ 1 buyers) the catalogue above is drawn first, with the same draws as the
rung without buyers (same systems, lines, and capabilities' total needs); then, from a
second seeded stream:

- buyers ``b00``, ``b01``, …, one EU country each (in the order of ``EU``), with a size
  drawn lognormally (σ 0.9) and normalised to shares; weight √(N·share), so a large buyer
  weighs more but not in proportion;
- needs: every buyer needs every capability; its requirement series is the capability's
  total times its share times a factor 0.6–1.4 (buyers stress different areas), its
  initial level 55–85 % of its first requirement, its consumption (stocks) scaled alike;
  capabilities keep only id, name, unit and weight;
- systems: the lines (capacity, expansion) are shared by all buyers; a system in service
  is in service with each buyer with probability one half (at least one), its pipeline
  goes to one of those buyers, and each buyer that adopts a new system pays the adoption;
- budgets: each buyer has ``<b>_national`` (carryover) and ``<b>_safe`` (eu_content ≥ 0.65,
  the first two thirds of the horizon; not with one budget), both its share of the one-buyer
  amounts times a factor 0.7–1.3, so money binds for every buyer; extra budgets
  (``regional_<k>``) are ``shared``;
- rules: ``safe_joint`` (``joint``: the SAFE budgets pay for a system in a year only when at
  least two buyers order it that year; only with two buyers or more; first in the list, so
  it is the rule the ladder's variant switches off), ``safe65`` (each buyer on its own),
  ``no_new_itar`` and the ``deadline`` held by all buyers ``together``. The witness plan's
  orders of a line go to
  one buyer (lines assigned greedily so that each buyer's part follows its share) and are
  paid from national money alone, which each national budget is sized to cover; the
  together deadline reads the buyers' summed levels, so the witness checks it as before.
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
    """One size of the ladder (``buyers`` 0: no ``buyers:`` section, one implicit buyer)."""

    systems: int
    years: int
    capabilities: int = 10
    budgets: int = 2
    buyers: int = 0

    @classmethod
    def parse(cls, text: str) -> Rung:
        """``"50x10"``, ``"50x10x10"`` or ``"50x10x10x2"``, each optionally with ``"b27"``."""
        form = "SxT, SxTxC or SxTxCxB with positive numbers, optionally ending in bN (buyers)"
        head, sep, tail = text.lower().partition("b")
        try:
            parts = [int(p) for p in head.split("x")]
            buyers = int(tail) if sep else 0
        except ValueError:
            raise ValueError(f"{text!r}: a rung is {form}") from None
        if not 2 <= len(parts) <= 4 or min(parts) < 1 or (sep and buyers < 1):
            raise ValueError(f"{text!r}: a rung is {form}")
        return cls(*parts, buyers=buyers)

    @property
    def name(self) -> str:
        """``bench-50x10`` (capabilities and budgets only when not the defaults), ``…b<N>``."""
        name = f"bench-{self.systems}x{self.years}"
        if (self.capabilities, self.budgets) != (10, 2):
            name += f"x{self.capabilities}x{self.budgets}"
        if self.buyers:
            name += f"b{self.buyers}"
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
    return _with_extras(rng, system, price, capacity, european, years)


def _with_extras(
    rng: random.Random, system: dict, price: float, capacity: int, european: bool, years: int
) -> dict:
    """``system`` with, by chance, a pipeline, an adoption cost and production expansion."""
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


def _common_rules(end: int) -> list[dict]:
    """``safe65`` and ``no_new_itar``, the same with or without buyers."""
    return [
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
    ]


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
    if rung.buyers:
        sections = _with_buyers(rung, seed, caps, systems, plan)
    else:
        budgets = _budgets(
            rng, rung.budgets, systems, caps, rung.years, _witness_cost(systems, plan, horizon)
        )
        rules = [*_common_rules(end), _deadline(caps, systems, plan, rung.years)]
        for cap in caps:
            del cap["stock"]
        sections = {"capabilities": caps, "budgets": budgets, "rules": rules}
    description = f"Synthetic scenario {rung.name} (seed {seed}) by benchmarks/generate.py."
    if rung.buyers:
        description = description[:-1] + f": {rung.buyers} buyers on shared production lines."
    return {
        "name": rung.name,
        "description": description,
        "horizon": {"start": START, "end": end},
        "groups": {"eu": EU, "safe_eligible": SAFE_ELIGIBLE},
        **({"buyers": sections["buyers"]} if rung.buyers else {}),
        "capabilities": sections["capabilities"],
        "suppliers": suppliers,
        "systems": systems,
        "budgets": sections["budgets"],
        "rules": sections["rules"],
        "objective": {"primary": "weighted_gap", "secondary": "cost"},
    }


# ---- several buyers (DESIGN §13) ---------------------------------------------------------


def _shares(rng: random.Random, n: int) -> list[float]:
    """Each buyer's share of the total: lognormal sizes (a few large buyers, many small)."""
    sizes = [rng.lognormvariate(0.0, 0.9) for _ in range(n)]
    total = sum(sizes)
    return [size / total for size in sizes]


def _scaled(series: object, factor: float, floor: float = 0.0) -> object:
    """``series`` times ``factor`` (two decimals, at least ``floor``), scalar or mapping."""
    if isinstance(series, dict):
        return {t: max(floor, round(v * factor, 2)) for t, v in series.items()}
    return max(floor, round(series * factor, 2)) if series else series


def _buyer_docs(rng: random.Random, shares: list[float], caps: list[dict]) -> list[dict]:
    """Buyers with their weights and needs: the capabilities' totals split by share."""
    n = len(shares)
    buyers = []
    for k, share in enumerate(shares):
        country = EU[k % len(EU)]
        needs = {}
        for cap in caps:
            factor = share * rng.uniform(0.6, 1.4)
            requirement = _scaled(cap["requirement"], factor, floor=0.1)
            first = _first(requirement)
            initial = round(first * rng.uniform(0.55, 0.85), 2)
            need = {"initial": initial, "requirement": requirement}
            if cap["consumption"]:
                need["consumption"] = _scaled(cap["consumption"], factor, floor=0.01)
            needs[cap["id"]] = need
        buyers.append(
            {
                "id": f"b{k:02d}",
                "name": f"Buyer {k} ({country})",
                "countries": [country],
                "weight": max(0.05, round(math.sqrt(n * share), 2)),
                "needs": needs,
            }
        )
    return buyers


def _share_lines(rng: random.Random, systems: list[dict], ids: list[str]) -> None:
    """In service with some buyers (each with probability ½, at least one); pipeline to one."""
    for s in systems:
        if not s["in_service"]:
            continue
        operators = [b for b in ids if rng.random() < 0.5] or [rng.choice(ids)]
        s["in_service"] = operators
        if "pipeline" in s:
            s["pipeline"] = {rng.choice(operators): s["pipeline"]}


def _operates(system: dict, buyer: str) -> bool:
    in_service = system["in_service"]
    return in_service if isinstance(in_service, bool) else buyer in in_service


def _witness_by_buyer(
    systems: list[dict], plan: dict, ids: list[str], shares: list[float], years: range
) -> dict[str, dict[int, float]]:
    """The witness plan's cost per buyer and year, each line's orders given to one buyer.

    Lines are handed out, dearest first, to the buyer furthest below its share of the
    plan's cost; a buyer pays the adoption of a line it does not operate yet.
    """
    bills = []
    for s in systems:
        orders = plan.get(s["id"])
        if orders:
            bill = sum(units * _at(s["unit_cost"], t) for t, units in orders.items())
            bills.append((bill, s, orders))
    total = sum(bill for bill, _, _ in bills)
    taken = dict.fromkeys(ids, 0.0)
    cost = {b: dict.fromkeys(years, 0.0) for b in ids}
    share = dict(zip(ids, shares, strict=True))
    for bill, s, orders in sorted(bills, key=lambda item: (-item[0], item[1]["id"])):
        buyer = max(ids, key=lambda b: share[b] * total - taken[b])
        taken[buyer] += bill
        if not _operates(s, buyer):
            cost[buyer][min(orders)] += s.get("adoption_cost", 0.0)
        for t, units in orders.items():
            cost[buyer][t] += units * _at(s["unit_cost"], t)
    return cost


def _buyer_budgets(
    rng: random.Random,
    rung: Rung,
    systems: list[dict],
    caps: list[dict],
    ids: list[str],
    shares: list[float],
    witness_cost: dict[str, dict[int, float]],
) -> list[dict]:
    """Each buyer's national (carryover, covers its witness orders) and SAFE budgets."""
    full = sum(_first(s["capacity"]) * _at(s["unit_cost"], START) for s in systems)
    years, end = rung.years, START + rung.years - 1
    cut = START + max(1, (2 * years) // 3)
    budgets = []
    for b, share in zip(ids, shares, strict=True):
        factor = share * rng.uniform(0.7, 1.3)
        needed = round(max(witness_cost[b].values(), default=0.0) * 1.1, 1)
        national = {START: max(needed, round(0.22 * full * factor, 1))}
        if years > 2:
            national[START + years // 2] = max(needed, round(0.26 * full * factor, 1))
        budgets.append(
            {
                "id": f"{b}_national",
                "name": f"{b}: national procurement",
                "buyer": b,
                "amount": national,
                "carryover": True,
            }
        )
        if rung.budgets < 2:
            continue
        safe = {START: round(0.1 * full * factor * rng.uniform(0.7, 1.3), 1)}
        if cut <= end:
            safe[cut] = 0
        budgets.append(
            {
                "id": f"{b}_safe",
                "name": f"{b}: SAFE loan",
                "buyer": b,
                "amount": safe,
                "eligible": {"eu_content_min": 0.65},
            }
        )
    for k in range(2, rung.budgets):
        chosen = sorted(rng.sample([c["id"] for c in caps], k=min(3, len(caps))))
        budgets.append(
            {
                "id": f"regional_{k}",
                "name": f"Regional fund {k} (any buyer)",
                "shared": True,
                "amount": round(rng.uniform(0.02, 0.05) * full, 1),
                "eligible": {"capabilities": chosen},
            }
        )
    return budgets


def _summed(caps: list[dict], buyers: list[dict], years: range) -> list[dict]:
    """The capabilities with the buyers' needs summed year by year (for a together deadline)."""
    summed = []
    for cap in caps:
        needs = [b["needs"][cap["id"]] for b in buyers]
        keys = sorted(cap["requirement"]) if isinstance(cap["requirement"], dict) else [START]
        summed.append(
            {
                "id": cap["id"],
                "initial": sum(n["initial"] for n in needs),
                "requirement": {t: sum(_at(n["requirement"], t) for n in needs) for t in keys},
                "consumption": {
                    t: sum(_at(n.get("consumption", 0), t) for n in needs) for t in years
                },
            }
        )
    return summed


def _with_buyers(rung: Rung, seed: int, caps: list[dict], systems: list[dict], plan: dict) -> dict:
    """Buyers, capabilities (types only), budgets and rules of a rung with ``rung.buyers``."""
    rng = random.Random(
        f"dualtrack-bench:{seed}:{rung.systems}:{rung.years}:{rung.capabilities}"
        f":{rung.budgets}:buyers:{rung.buyers}"
    )
    end = START + rung.years - 1
    horizon = range(START, end + 1)
    shares = _shares(rng, rung.buyers)
    buyers = _buyer_docs(rng, shares, caps)
    ids = [b["id"] for b in buyers]
    # the together deadline, on the buyers' summed needs (pipelines still by year here)
    deadline = _deadline(_summed(caps, buyers, horizon), systems, plan, rung.years)
    deadline["description"] = (
        "Witness-checked, all buyers together: reachable with compliant European systems alone."
    )
    deadline["together"] = True
    _share_lines(rng, systems, ids)
    witness_cost = _witness_by_buyer(systems, plan, ids, shares, horizon)
    budgets = _buyer_budgets(rng, rung, systems, caps, ids, shares, witness_cost)
    joint = {
        "id": "safe_joint",
        "type": "joint",
        "description": "SAFE money pays for a system only when two buyers order it that year.",
        "budgets": [f"{b}_safe" for b in ids],
        "min_buyers": 2,
    }
    # no SAFE budgets, or no second buyer to order with: no joint rule
    rules = [joint] if rung.budgets >= 2 and rung.buyers >= 2 else []
    types = [{k: cap[k] for k in ("id", "name", "unit", "weight")} for cap in caps]
    return {
        "buyers": buyers,
        "capabilities": types,
        "budgets": budgets,
        "rules": [*rules, *_common_rules(end), deadline],
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
    parser.add_argument(
        "rungs", nargs="+", help="SxT, SxTxC or SxTxCxB, optionally bN (N buyers): 40x10x8x2b27"
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "generated")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for text in args.rungs:
        print(write(Rung.parse(text), args.out, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
