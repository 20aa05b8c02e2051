"""Regenerate ``docs/<scenario>.md``: every variant of a bundled scenario solved, KPIs side by side.

Usage: ``python docs/make_variant_report.py europe-2030`` (from the repository root).
The page is written by this script only; edit the script, not the page.
"""

import math
import sys
from pathlib import Path

import pandas as pd

from optimizer import compare, load_scenario, stress
from optimizer.input.load import BASELINE
from optimizer.solve.results import split_by_buyer

SHOWN = [
    "objective",
    "weighted_gap",
    "gap_tail",
    "max_gap",
    "gap_2030",
    "gap_2035",
    "total_spend",
    "unspent",
    "spend_share.eu",
    "spend_share.US",
    "spend_share_with_pipeline.eu",
    "spend_share_with_pipeline.US",
    "eu_content_share",
    "investment",
    "n_system_types",
]

# Observed shares of European procurement by supplier origin, with what each one measures.
# The model's shares are of money paid, so the IISS count (all contracts, domestic ones
# included) is closest in kind; IRIS leaves domestic purchases out; SIPRI counts imports only,
# by volume. The last field is the id of the source in the scenario.
OBSERVED = [
    (
        "IISS: contracts Feb 2022 - Sep 2024, European NATO members, domestic purchases included",
        "52 % European, 34 % US, 14 % other",
        "iiss_reassess",
    ),
    (
        "IRIS (Maulny): acquisitions Feb 2022 - Jun 2023, EU-27, purchases between countries only",
        "22 % EU, 63 % US, 15 % other",
        "iris_vs_iiss",
    ),
    (
        "SIPRI: arms imports 2020-24 by volume (TIV), European NATO members",
        "64 % of imports from the US",
        "sipri_2025_politico",
    ),
    (
        "Bruegel: the 78 % non-EU figure has no stated method and leaves domestic purchases out",
        "imports are a minority of procurement",
        "bruegel_imports",
    ),
]

# Where each bundled variant's result rests on an assumption rather than a sourced figure.
ASSUMPTIONS = {
    "europe-2030": [
        "Capacity slices decide most results. Money is left over in most years of every "
        "variant (`unspent`), so what is bought is set by the share of each production line "
        "open to new European orders, which no one publishes (estimates in the scenario). US "
        "lines are booked (Patriot about 12 fire units a year for all customers, 416 F-35 on "
        "order, 620 PAC-3 MSE made in 2025): their slices are what holds US buying down.",
        "The optimiser has one buyer and no national preferences, offsets, supplier "
        "relationships or training pipelines; it buys where a euro closes most of the weighted "
        "gap. Governments also buy to keep a domestic line alive, to please an ally, or because "
        "a system is already in service. That is why its shares differ from the observed ones.",
        "safe-65 and edis-50 cost little or nothing in capability when the plan without them "
        "is already European enough; that follows from the capacity slices and prices assumed, "
        "not a finding that the rules are free.",
        "strict-european's cost is the capability that only non-European lines (F-35, PAC-3 "
        "MSE, Korean tanks and howitzers) could deliver in time; it falls if European lines "
        "grow faster than assumed.",
        "hague-3.5 and buy-now add money, which helps little while capacity binds: their "
        "small effect depends on the capacity estimates, not on the budgets.",
        "ceasefire and continued-war move aid to Ukraine (the consumption series) and the "
        "Ukrainian lines open to European buyers; the size of both is an estimate.",
        "The delivery risks (the uncertainty list: slips, ramp-up shortfalls, price drift, "
        "budget shortfalls) are drawn from public records of past programmes (docs/risk.md); "
        "robust-dual-track plans against ten samples of them and is solved to a 1 % MIP gap, "
        "so its advantage under the draws is what hedging buys for these estimates, at the "
        "price of more overspend.",
        "The requirements for air defence, interceptors, tanks and howitzers are scaled from "
        "Kiel and Bruegel figures to the EU-27 and Norway; gap sizes depend on that scaling.",
    ],
    "eastern-flank-2030": [
        "Every buyer weighs 1: a gap counts as a share of that buyer's own requirement, so a "
        "Baltic battery short counts as much as a share of Germany's. On a contested line the "
        "units go where they close the largest weighted share of a gap, not to whoever ordered "
        "first or pays most; real allocation follows contract dates and politics.",
        "The lines' capacities open to these six buyers are estimates (no maker publishes its "
        "free slots), and they decide the contested lines' allocation and much of the gap.",
        "Common procurement is modelled as two buyers ordering the same system in the same "
        "year (the joint rule); a real joint contract also needs a common specification and "
        "schedule. The gain from joint orders (baseline against alone) is therefore an upper "
        "bound of what the SAFE condition leaves possible, for this money.",
        "alone keeps each SAFE loan's 2026 tranche for orders placed in 2026 (single-country "
        "contracts under the transition derogation, taken as the whole of 2026), so every plan "
        "of alone is a plan of the baseline.",
        "Several armoured vehicles and the munitions are divisible in the model (fractions of "
        "a vehicle appear in orders): it keeps the solves within a minute; rounding a plan's "
        "vehicles changes its gap by a fraction of a vehicle.",
        "Variants are solved to a 1 % MIP gap within 60 s; differences smaller than the gaps "
        "(eu-preference and east-buys-us-west-builds-eu against the baseline, on the total "
        "gap) are not differences.",
    ],
}


def _cell(name: str, value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "never"
    if name.startswith(("spend_share", "eu_content", "gap_")):
        return f"{value:.1%}"
    if name.startswith("first_met"):
        return f"{value:.0f}"
    if name in ("total_spend", "investment", "unspent"):
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _table(kpis: pd.DataFrame) -> str:
    lines = ["| KPI | " + " | ".join(kpis.columns) + " |", "|---|" + "---:|" * len(kpis.columns)]
    for name, row in kpis.iterrows():
        lines.append(f"| `{name}` | " + " | ".join(_cell(name, v) for v in row) + " |")
    return "\n".join(lines)


def _findings(kpis: pd.DataFrame) -> list[str]:
    """Sentences read off the table: each variant against the baseline, on the objective."""
    base = kpis[BASELINE]
    lines = []
    for variant in kpis.columns.drop(BASELINE):
        row = kpis[variant]
        gap = row["objective"] - base["objective"]
        spend = round(row["total_spend"] - base["total_spend"]) + 0.0
        eu = round((row["spend_share.eu"] - base["spend_share.eu"]) * 100, 1) + 0.0
        us = round((row["spend_share.US"] - base["spend_share.US"]) * 100, 1) + 0.0
        direction = "widens" if gap > 1e-6 else "narrows" if gap < -1e-6 else "leaves"
        lines.append(
            f"- **{variant}** {direction} the gap (objective)"
            + (
                f" by {abs(gap):.3g} gap-years ({gap / base['objective']:+.1%})"
                if abs(gap) > 1e-6 and base["objective"] > 0
                else " unchanged"
            )
            + f"; spending {spend:+,.0f} M EUR; European share of spending {eu:+.1f} points,"
            f" US share {us:+.1f}."
        )  # + 0.0: no "-0.0"
    return lines


def _unspent(result) -> float:
    """Money the budgets held in the horizon and the plan left unpaid."""
    scenario = result.scenario
    money = sum(scenario.series(b.amount)[t] for b in scenario.budgets for t in scenario.years)
    return money - float(result.spending["amount"].sum())


def _observed(scenario, kpis: pd.DataFrame) -> list[str]:
    """The observed shares beside the baseline's, without and with the contracted pipeline.

    Only for a scenario that cites the observations (they are of Europe as a whole).
    """
    cited = {s.id: (s.publisher, s.url) for s in scenario.sources}
    if any(source not in cited for *_, source in OBSERVED):
        return []
    base = kpis[BASELINE]
    lines = [
        "## Shares against observed procurement",
        "",
        "The baseline has no origin rule: its shares are what the optimiser buys for "
        "capability alone. Observed shares measure different things, so each is shown with "
        "what it counts:",
        "",
        "| measure | shares | source |",
        "|---|---|---|",
        f"| this model, baseline: new orders (money paid) | "
        f"{base['spend_share.eu']:.0%} EU, {base['spend_share.US']:.0%} US | `spend_share.*` |",
        f"| this model, baseline: new orders and contracted pipeline (pipeline at unit cost) | "
        f"{base['spend_share_with_pipeline.eu']:.0%} EU, "
        f"{base['spend_share_with_pipeline.US']:.0%} US | `spend_share_with_pipeline.*` |",
    ]
    for what, shares, source in OBSERVED:
        publisher, url = cited.get(source, (source, ""))
        lines.append(f"| {what} | {shares} | {f'[{publisher}]({url})' if url else publisher} |")
    return [*lines, ""]


BUYER_KPIS = {
    "weighted_gap": "weighted gap (gap-years, without the buyer's weight)",
    "gap_2030": "gap share in 2030",
    "total_spend": "spending",
    "spend_share.US": "US share of spending",
    "eu_content_share": "EU content share",
}


def _buyers(scenario, results: dict) -> list[str]:
    """Each buyer's outcome per variant, and who got the contested lines in the baseline."""
    buyers = [b.id for b in scenario.buyers]
    if not buyers:
        return []
    own = {v: split_by_buyer(r.kpis, buyers)[1] for v, r in results.items()}
    lines = ["## By buyer", ""]
    for kpi, label in BUYER_KPIS.items():
        if kpi not in own[BASELINE].index:
            continue
        lines += [
            f"**{label}** (`{kpi}.<buyer>`)",
            "",
            "| buyer | " + " | ".join(results) + " |",
            "|---|" + "---:|" * len(results),
        ]
        for b in buyers:
            cells = [_cell(kpi, table.loc[kpi, b]) for table in own.values()]
            lines.append(f"| {b} | " + " | ".join(cells) + " |")
        lines.append("")
    allocations = results[BASELINE].allocations
    shared = allocations.groupby("system").filter(lambda rows: rows["buyer"].nunique() > 1)
    if not shared.empty:
        units = shared.pivot_table(
            index="system", columns="buyer", values="quantity", aggfunc="sum", fill_value=0.0
        ).reindex(columns=[b for b in buyers if b in set(shared["buyer"])])
        lines += [
            "**Contested lines in the baseline**: units from new orders delivered over the "
            "horizon and its tail, by buyer, for the lines that two or more buyers order from "
            "(the `allocations` frame).",
            "",
            "| line | " + " | ".join(units.columns) + " |",
            "|---|" + "---:|" * len(units.columns),
        ]
        for system, row in units.iterrows():
            lines.append(f"| `{system}` | " + " | ".join(f"{v:,.4g}" for v in row) + " |")
        lines.append("")
    return lines


STRESS_SAMPLES = 2000


def _risk(name: str, scenario, variants: list[str]) -> list[str]:
    """The stress table: each plan under draws of the scenario's uncertainty list."""
    if not scenario.uncertainty:
        return []
    found = stress(name, variants, samples=STRESS_SAMPLES, seed=0)
    summary = found.summary.set_index("variant")
    year = scenario.report_years[0] if scenario.report_years else scenario.horizon.end
    lines = [
        "## Delivery risk",
        "",
        f"Each variant's plan held fixed and replayed under {STRESS_SAMPLES:,} draws of the "
        "scenario's `uncertainty` list (docs/risk.md): the weighted gap as planned and over the "
        f"draws, the overspend in {scenario.units.get('money', 'million EUR')}, and the "
        f"probability that each requirement is met in {year}.",
        "",
        "| variant | as planned | mean | P10 | P90 | overspend mean |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for variant, row in summary.iterrows():
        lines.append(
            f"| {variant} | {row['plan_weighted_gap']:.3g} | {row['weighted_gap_mean']:.3g} | "
            f"{row['weighted_gap_p10']:.3g} | {row['weighted_gap_p90']:.3g} | "
            f"{row['overspend_mean']:,.0f} |"
        )
    met = found.met[found.met["year"] == year].pivot(
        index="capability", columns="variant", values="p_met"
    )[variants]
    lines += [
        "",
        "| P(met in " + str(year) + ") | " + " | ".join(variants) + " |",
        "|---|" + "---:|" * len(variants),
    ]
    for capability, row in met.iterrows():
        lines.append(f"| `{capability}` | " + " | ".join(f"{v:.0%}" for v in row) + " |")
    return [*lines, ""]


def main(name: str) -> Path:
    """Solve every variant of ``name`` and write its page."""
    scenario = load_scenario(name)
    variants = [BASELINE, *scenario.variants]
    results = compare(scenario, variants).results
    for variant, result in results.items():
        # a cost stage stopped at the time limit leaves the primary proven ("primary optimal")
        proven = result.has_plan and result.message.startswith(("optimal", "primary optimal"))
        if not proven or result.audit():
            raise SystemExit(f"{variant}: {result.status} {result.message} {result.audit()}")
    kpis = pd.DataFrame(
        {
            v: pd.concat([pd.Series({"objective": r.objective, "unspent": _unspent(r)}), r.kpis])
            for v, r in results.items()
        }
    )
    together = split_by_buyer(kpis[BASELINE], [b.id for b in scenario.buyers])[0].index
    shown = [k for k in SHOWN if k in together]
    shown += [k for k in together if k.startswith("first_met.")]
    descriptions = [
        f"- **{v}**: {' '.join(scenario.variants[v].description.split())}"
        for v in scenario.variants
    ]
    page = "\n".join(
        [
            f"# {scenario.name}: variants side by side",
            "",
            f"Generated by `python docs/make_variant_report.py {name}`; do not edit by hand.",
            "",
            " ".join(scenario.description.split()),
            "",
            "## Variants",
            "",
            f"- **{BASELINE}**: the scenario as written.",
            *descriptions,
            "",
            "## KPIs",
            "",
            "Gap KPIs are fractions of requirement (weighted gap in gap-years); `objective` is "
            "what the solver minimised: the horizon's `weighted_gap` plus the weighted gaps of "
            "the tail (the years after the horizon in which late orders still arrive; `gap_tail` "
            "is their average gap share). Money in "
            f"{scenario.units.get('money', 'million EUR')}; `unspent` is budget money the plan "
            "left unpaid; `first_met` is the first year from which the requirement is met to "
            "the end of the horizon; shares `with_pipeline` count the contracted pipeline too, "
            "valued at unit cost.",
            "",
            _table(kpis.loc[shown]),
            "",
            "## What the variants say",
            "",
            *_findings(kpis),
            "",
            *_buyers(scenario, results),
            *_observed(scenario, kpis),
            *_risk(name, scenario, variants),
            *(
                ["## Where the results rest on assumptions", "", *[f"- {n}" for n in notes], ""]
                if (notes := ASSUMPTIONS.get(name))
                else []
            ),
            "Solve times (s): "
            + ", ".join(f"{v} {r.timings['total']:.1f}" for v, r in results.items())
            + f" (MIP gap asked {scenario.solver.mip_gap:g}; reached: "
            + ", ".join(f"{v} {r.mip_gap:.2%}" for v, r in results.items())
            + "".join(f"; {v}: {r.message}" for v, r in results.items() if r.status != "optimal")
            + ").",
            "",
        ]
    )
    path = Path(__file__).resolve().parent / f"{name}.md"
    path.write_text(page)
    return path


if __name__ == "__main__":
    print(main(sys.argv[1] if len(sys.argv) > 1 else "europe-2030"))
