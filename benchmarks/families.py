"""Generator families for the benchmark ladder (issue 16): one rung, three kinds of scenario.

A benchmark on one kind of instance can be fooled by it; these families share the rung
syntax and seeding of ``generate.py`` (``SxT``, ``SxTxC``, ``SxTxCxB``; no buyers) and differ
in structure:

- ``ladder``: ``generate.generate`` as it is (stocks and fleets, a ``national`` budget with
  carryover and a ``safe`` one, rules ``safe65``, ``no_new_itar`` and a witness-checked
  ``deadline``).
- ``share-only``: the same kind of catalogue, drawn from the family's own seeded stream;
  no deadline and no exclusion, the only rule a horizon content share (``safe65``); the
  ``national`` budget carries over and gets a new amount every year (±15 % around a slowly
  rising level), the ``safe`` budget (eu_content ≥ 0.65) runs over the whole horizon. Doing
  nothing is feasible, so every rung is.
- ``dense``: many small integer systems: every system is bought in whole units, delivers 1–6
  units a year (lead time 1–3), and contributes to three different capabilities; budgets and
  rules as in ``ladder`` (the deadline checked against a witness plan that orders at least
  one unit a year of each compliant system).

    python benchmarks/families.py share-only 200x15 --seed 3      # writes the scenario file
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path

from ruamel.yaml import YAML

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate as ladder  # noqa: E402  (a sibling script, not a package)

FAMILIES = ("ladder", "share-only", "dense")


def _rng(family: str, rung: ladder.Rung, seed: int) -> random.Random:
    """The family's own seeded stream (``ladder`` keeps ``generate.py``'s)."""
    return random.Random(
        f"dualtrack-bench:{family}:{seed}:{rung.systems}:{rung.years}"
        f":{rung.capabilities}:{rung.budgets}"
    )


def _document(rung: ladder.Rung, family: str, seed: int, sections: dict) -> dict:
    end = ladder.START + rung.years - 1
    return {
        "name": f"{family}-{rung.name}",
        "description": f"Synthetic scenario {rung.name} (seed {seed}), family {family}, "
        "by benchmarks/families.py.",
        "horizon": {"start": ladder.START, "end": end},
        "groups": {"eu": ladder.EU, "safe_eligible": ladder.SAFE_ELIGIBLE},
        **sections,
        "objective": {"primary": "weighted_gap", "secondary": "cost"},
    }


# ---- share-only --------------------------------------------------------------------------


def _yearly_budgets(rng: random.Random, rung: ladder.Rung, systems: list[dict]) -> list[dict]:
    """``national`` (carryover, an amount every year) and ``safe`` (eu_content ≥ 0.65)."""
    full = sum(
        ladder._first(s["capacity"]) * ladder._at(s["unit_cost"], ladder.START) for s in systems
    )
    level = rng.uniform(0.18, 0.26) * full
    national = {}
    for k in range(rung.years):
        national[ladder.START + k] = round(level * (1 + 0.02 * k) * rng.uniform(0.85, 1.15), 1)
    budgets = [
        {"id": "national", "name": "National procurement", "amount": national, "carryover": True},
    ]
    if rung.budgets >= 2:
        budgets.append(
            {
                "id": "safe",
                "name": "SAFE loans",
                "amount": round(rng.uniform(0.06, 0.12) * full, 1),
                "eligible": {"eu_content_min": 0.65},
            }
        )
    for k in range(2, rung.budgets):
        chosen = sorted(rng.sample([f"cap{c:02d}" for c in range(rung.capabilities)], k=3))
        budgets.append(
            {
                "id": f"regional_{k}",
                "name": f"Regional fund {k}",
                "amount": round(rng.uniform(0.02, 0.05) * full, 1),
                "eligible": {"capabilities": chosen},
            }
        )
    return budgets


def share_only(rung: ladder.Rung, seed: int) -> dict:
    """No deadline, no exclusion: the only rule a content share; national money carries over."""
    rng = _rng("share-only", rung, seed)
    caps = ladder._capabilities(rng, rung.capabilities)
    suppliers = ladder._suppliers(rng, rung.systems)
    systems = [
        ladder._system(rng, i, caps, rng.choice(suppliers), rung.years) for i in range(rung.systems)
    ]
    ladder._size_capabilities(rng, caps, systems, rung.years)
    for cap in caps:
        del cap["stock"]
    end = ladder.START + rung.years - 1
    sections = {
        "capabilities": caps,
        "suppliers": suppliers,
        "systems": systems,
        "budgets": _yearly_budgets(rng, rung, systems),
        "rules": ladder._common_rules(end)[:1],  # safe65 alone
    }
    return _document(rung, "share-only", seed, sections)


# ---- dense -------------------------------------------------------------------------------


def _dense_system(rng: random.Random, i: int, caps: list[dict], supplier: dict, years: int) -> dict:
    """A small whole-unit system that contributes to three capabilities."""
    chosen = rng.sample(caps, k=min(3, len(caps)))
    contributes = {c["id"]: round(rng.uniform(0.2, 1.5), 1) for c in chosen}
    european = supplier["country"] in ladder.SAFE_ELIGIBLE
    low, high = (0.55, 0.98) if european else (0.0, 0.35)
    price, capacity = rng.uniform(2, 40), rng.randint(1, 6)
    system = {
        "id": f"sys{i:05d}",
        "name": f"System {i}",
        "supplier": supplier["id"],
        "contributes": dict(sorted(contributes.items())),
        "unit_cost": ladder._series(rng, round(price, 2), years, rng.uniform(0.05, 0.25), 0.3),
        "lead_time": rng.randint(1, 3),
        "capacity": ladder._series(rng, capacity, years, 1.0, 0.2),
        "eu_content": round(rng.uniform(low, high), 2),
        "interoperability": round(rng.uniform(0.7, 1.0), 2),
        "itar": supplier["country"] == "US" and rng.random() < 0.7,
        "in_service": rng.random() < 0.5,
        "integer": True,
    }
    return ladder._with_extras(rng, system, price, capacity, european, years)


def _dense_witness(systems: list[dict], country: dict[str, str], end: int) -> dict:
    """Orders of compliant systems: 30 % of the first capacity, at least one unit a year."""
    plan = {}
    for s in systems:
        if ladder._compliant(s, country):
            units = max(1, math.floor(ladder.WITNESS_SHARE * ladder._first(s["capacity"])))
            plan[s["id"]] = {t: units for t in range(ladder.START, end - s["lead_time"] + 1)}
    return {s: orders for s, orders in plan.items() if orders}


def dense(rung: ladder.Rung, seed: int) -> dict:
    """Many small integer systems, three contributions each; ``ladder``'s budgets and rules."""
    rng = _rng("dense", rung, seed)
    end = ladder.START + rung.years - 1
    caps = ladder._capabilities(rng, rung.capabilities)
    suppliers = ladder._suppliers(rng, rung.systems)
    systems = [
        _dense_system(rng, i, caps, rng.choice(suppliers), rung.years) for i in range(rung.systems)
    ]
    ladder._size_capabilities(rng, caps, systems, rung.years)
    country = {k["id"]: k["country"] for k in suppliers}
    plan = _dense_witness(systems, country, end)
    horizon = range(ladder.START, end + 1)
    budgets = ladder._budgets(
        rng, rung.budgets, systems, caps, rung.years, ladder._witness_cost(systems, plan, horizon)
    )
    rules = [*ladder._common_rules(end), ladder._deadline(caps, systems, plan, rung.years)]
    for cap in caps:
        del cap["stock"]
    sections = {
        "capabilities": caps,
        "suppliers": suppliers,
        "systems": systems,
        "budgets": budgets,
        "rules": rules,
    }
    return _document(rung, "dense", seed, sections)


# ---- all families ------------------------------------------------------------------------


def generate(family: str, rung: ladder.Rung | str, seed: int = 0) -> dict:
    """The scenario document of ``family`` at ``rung`` and ``seed`` (a plain mapping)."""
    rung = ladder.Rung.parse(rung) if isinstance(rung, str) else rung
    if rung.buyers:
        raise ValueError(f"{rung.name}: the families are for one buyer (no bN)")
    if family == "ladder":
        return ladder.generate(rung, seed)
    if family == "share-only":
        return share_only(rung, seed)
    if family == "dense":
        return dense(rung, seed)
    raise ValueError(f"unknown family {family!r}; known: {', '.join(FAMILIES)}")


def write(family: str, rung: ladder.Rung | str, folder: Path, seed: int = 0) -> Path:
    """Write ``<folder>/<family>-<rung name>-s<seed>.yaml`` and return its path."""
    rung = ladder.Rung.parse(rung) if isinstance(rung, str) else rung
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{family}-{rung.name}-s{seed}.yaml"
    yaml = YAML()
    yaml.default_flow_style = None
    yaml.width = 120
    tmp = path.with_suffix(".yaml.tmp")
    with tmp.open("w", encoding="utf-8") as out:
        out.write(
            f"# generated by benchmarks/families.py {family} {rung.name} --seed {seed}; "
            "do not edit\n"
        )
        yaml.dump(ladder._quoted(generate(family, rung, seed)), out)
    tmp.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", choices=FAMILIES)
    parser.add_argument("rungs", nargs="+", help="SxT, SxTxC or SxTxCxB")
    parser.add_argument("--out", type=Path, default=HERE / "generated")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for text in args.rungs:
        print(write(args.family, text, args.out, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
