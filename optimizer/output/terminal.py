"""Results and comparisons printed for people (rich tables) and for scripts (JSON, CSV)."""

import json
import math
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from optimizer.analysis.compare import Comparison, better
from optimizer.analysis.ranges import Ranges
from optimizer.analysis.stress import StressResult
from optimizer.analysis.sweep import Sweep
from optimizer.input.load import BASELINE
from optimizer.output.kpi_text import kpi_change_text, kpi_value_text
from optimizer.solve.results import Result, split_by_buyer


def _coloured(name: str, change: float) -> str:
    verdict = better(name, change)
    text = kpi_change_text(name, change)
    if verdict is None:
        return text if abs(change) < 1e-9 else f"[cyan]{text}[/]"
    return f"[green]{text}[/]" if verdict else f"[red]{text}[/]"


def _status_line(result: Any) -> str:
    if result.status == "feasible-at-limit":
        return f"[yellow]at time limit, gap {result.mip_gap or 0:.1%}[/]"
    return result.status if result.has_plan else f"[red]{result.status}[/]"


def _kpi_cells(comparison: Comparison, name: str, noise: set) -> list[str]:
    """A KPI's value in each variant, with its change against baseline beneath."""
    kpis, diff = comparison.kpis, comparison.diff
    cells = []
    for variant in comparison.variants:
        value = kpi_value_text(name, kpis.at[name, variant])
        if variant != BASELINE and not diff.empty:
            change = _coloured(name, diff.at[name, variant])
            mark = " ≈" if (variant, name) in noise else ""
            value = f"{value}\n{change}{mark}" if diff.at[name, variant] else value
        cells.append(value)
    return cells


def kpi_table(comparison: Comparison) -> Table:
    """KPIs with variants as columns; each variant's change against baseline beside its value.

    With buyers, the KPIs of all buyers together; ``buyer_comparison_table`` has each buyer's.
    """
    buyers = [b.id for b in comparison.scenario.buyers]
    together = split_by_buyer(comparison.kpis[BASELINE], buyers)[0].index
    title = f"{comparison.scenario.name}: variants side by side"
    table = Table("KPI", title=title + (" (all buyers together)" if buyers else ""))
    for variant, result in comparison.results.items():
        table.add_column(f"{variant}\n{_status_line(result)}", justify="right")
    noise = set(comparison.not_significant())
    for name in together:
        table.add_row(name, *_kpi_cells(comparison, name, noise))
    return table


def buyer_comparison_table(comparison: Comparison) -> Table:
    """A few KPIs of each buyer (rows) in each variant (columns), with changes against baseline."""
    buyers = [b.id for b in comparison.scenario.buyers]
    table = Table("buyer", "KPI", title="By buyer (weighted gap without the buyer's weight)")
    for variant in comparison.variants:
        table.add_column(variant, justify="right")
    noise = set(comparison.not_significant())
    for buyer in buyers:
        names = [f"{k}.{buyer}" for k in BUYER_KPIS if f"{k}.{buyer}" in comparison.kpis.index]
        for i, name in enumerate(names):
            label = BUYER_KPIS[name.removesuffix(f".{buyer}")]
            table.add_row(buyer if i == 0 else "", label, *_kpi_cells(comparison, name, noise))
        table.add_section()
    return table


def attribution_table(attribution: pd.DataFrame) -> Table:
    """Per rule: what switching it on changes (with the rule minus without it)."""
    table = Table(
        "variant",
        "rule",
        "type",
        "Δ weighted gap",
        "Δ spend",
        "Δ EU share",
        "first met later",
        title="What each rule costs (with it − without it)",
    )
    for row in attribution.to_dict(orient="records"):
        delays = [
            f"{k.removeprefix('first_met.')} {kpi_change_text(k, v)}"
            for k, v in row.items()
            if k.startswith("first_met.") and isinstance(v, float) and v != 0
        ]
        table.add_row(
            row["variant"],
            row["rule"],
            row["type"],
            _coloured("weighted_gap", row.get("weighted_gap", math.nan)),
            kpi_change_text("total_spend", row.get("total_spend", math.nan)),
            kpi_change_text("spend_share.eu", row.get("spend_share.eu", math.nan)),
            ", ".join(delays) or "–",
        )
    return table


def _plain(value: Any) -> Any:
    """JSON-safe: NaN as null, an infinite change as the string 'never' or 'now met'."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float) and math.isinf(value):
        return "never" if value > 0 else "now met"
    return value


def as_json(comparison: Comparison) -> str:
    """The comparison for scripts."""

    def frame(table: pd.DataFrame) -> dict:
        return {c: {k: _plain(v) for k, v in table[c].items()} for c in table.columns}

    document = {
        "scenario": comparison.scenario.name,
        "variants": comparison.variants,
        "statuses": frame(comparison.statuses.T),
        "kpis": frame(comparison.kpis),
        "diff": frame(comparison.diff),
        "not_significant": comparison.not_significant(),
        "attribution": [
            {k: _plain(v) for k, v in row.items()}
            for row in comparison.attribution.to_dict(orient="records")
        ],
    }
    return json.dumps(document, indent=2, default=str)


def print_comparison(comparison: Comparison, fmt: str, console: Console) -> None:
    """Print the comparison as a table, JSON or CSV."""
    if fmt == "json":
        print(as_json(comparison))
    elif fmt == "csv":
        print(comparison.kpis.rename_axis("kpi").to_csv(), end="")
    else:
        console.print(kpi_table(comparison))
        if comparison.scenario.buyers:
            console.print(buyer_comparison_table(comparison))
            base = comparison.results[BASELINE]
            if base.has_plan:
                console.print(allocation_table(base.allocations, "Contested lines (baseline)"))
        if not comparison.attribution.empty:
            console.print(attribution_table(comparison.attribution))
        if not comparison.ranges.empty:
            console.print(
                ranges_table(comparison.scenario.name, comparison.ranges, "near the best gap")
            )


def print_result(result: Result, fmt: str, console: Console, errors: Console) -> None:
    """Print a solve as tables, JSON or CSV; a solve without a plan says why on ``errors``."""
    if fmt == "json":
        summary = result.summary()
        summary["orders"] = result.orders.to_dict(orient="records")
        print(json.dumps(summary, indent=2, default=str))
    elif fmt == "csv":
        print(result.kpis.rename_axis("kpi").reset_index(name="value").to_csv(index=False), end="")
    else:
        for table in result_tables(result):
            console.print(table)
    if not result.has_plan:
        print_why(result, errors)


def print_why(result: Result, errors: Console, prefix: str = "") -> None:
    """Why a solve has no plan: its status and message, and the rules in conflict."""
    lines = [f"{prefix}{result.status}: {result.message}"]
    lines += [f"  {c['explanation']}" for c in result.conflicts]
    for line in lines:
        errors.print(line, markup=False, highlight=False)


def result_tables(result: Result) -> list[Any]:
    """The status line, the KPIs, and the orders summed by system."""
    head = f"[bold]{result.scenario.name}[/] ({result.variant or 'baseline'}): {result.status}"
    if not result.has_plan:
        return [head]
    head += f", objective {result.objective:.4g}, gap {result.mip_gap or 0:.2%}"
    head += f", {result.timings['total']:.2f} s"
    buyers = [b.id for b in result.scenario.buyers]
    together, own = split_by_buyer(result.kpis, buyers)
    kpis = Table("KPI", "value", title="KPIs" + (" (all buyers together)" if buyers else ""))
    for name, value in together.items():
        kpis.add_row(name, kpi_value_text(name, value))
    orders = Table(
        "system",
        "supplier",
        "quantity",
        "cost",
        "ordered",
        "delivered",
        title="Orders by system (cost in the scenario's money unit)",
    )
    by_system = result.orders.groupby(["system", "supplier"], sort=False).agg(
        quantity=("quantity", "sum"),
        cost=("cost", "sum"),
        first=("year", "min"),
        last=("year", "max"),
        arrives=("delivery_year", "min"),
        ends=("delivery_year", "max"),
    )
    for row in by_system.sort_values("cost", ascending=False).reset_index().itertuples():
        orders.add_row(
            row.system,
            row.supplier,
            f"{row.quantity:,.4g}",
            f"{row.cost:,.0f}",
            f"{row.first}–{row.last}",
            f"{row.arrives}–{row.ends}",
        )
    if not buyers:
        return [head, kpis, orders]
    return [head, kpis, buyer_table(own), orders, allocation_table(result.allocations)]


BUYER_KPIS = {
    "weighted_gap": "weighted gap",
    "gap_tail": "tail gap",
    "total_spend": "spend",
    "spend_share.US": "US share",
    "eu_content_share": "EU content",
    "investment": "investment",
}


def buyer_table(own: pd.DataFrame) -> Table:
    """A few KPIs of each buyer: buyers as rows, so that many buyers still fit."""
    names = [k for k in BUYER_KPIS if k in own.index]
    table = Table(
        "buyer",
        *(BUYER_KPIS[k] for k in names),
        title="By buyer (weighted gap without the buyer's weight)",
    )
    for buyer in own.columns:
        table.add_row(buyer, *(kpi_value_text(k, own.at[k, buyer]) for k in names))
    return table


def allocation_table(allocations: pd.DataFrame, title: str = "Contested lines") -> Table:
    """The lines whose output from new orders goes to more than one buyer, and who gets it."""
    table = Table("system", "delivered", "capacity used", "buyers (units)", title=title)
    for system, rows in allocations.groupby("system", sort=True):
        if rows["buyer"].nunique() < 2:
            continue
        used = rows.groupby("year")["quantity"].sum() / rows.groupby("year")["capacity"].first()
        split = rows.groupby("buyer")["quantity"].sum().sort_values(ascending=False)
        table.add_row(
            system,
            f"{rows['year'].min()}–{rows['year'].max()}",
            f"{used.max():.0%} at most",
            ", ".join(f"{b} {q:,.4g}" for b, q in split.items()),
        )
    return table


def ranges_table(name: str, ranges: pd.DataFrame, within: str) -> Table:
    """Per variant and axis: the optimal plan's value, and the least and most within the slack."""
    table = Table(
        "variant", "KPI", "optimum", "min", "max", title=f"{name}: ranges over plans {within}"
    )
    for row in ranges.itertuples():
        values = [kpi_value_text(row.axis, v) for v in (row.optimum, row.min, row.max)]
        table.add_row(row.variant, row.axis, *values)
    return table


def print_ranges(found: Ranges, fmt: str, console: Console) -> None:
    """Print near-optimal ranges as a table, JSON (one object per row) or CSV."""
    if fmt == "json":
        rows = [{k: _plain(v) for k, v in r.items()} for r in found.table.to_dict("records")]
        print(json.dumps(rows, indent=2, default=str))
    elif fmt == "csv":
        print(found.table.to_csv(index=False), end="")
    else:
        slack = f"{found.slack:.1%}" + (f" + {found.abs_slack:g}" if found.abs_slack else "")
        console.print(
            ranges_table(found.scenario.name, found.table, f"within {slack} of the best gap")
        )
        for variant, plans in found.alternatives.items():
            for k, plan in enumerate(plans, 1):
                systems = ", ".join(sorted(plan.orders["system"].unique()))
                console.print(f"{variant}, alternative {k}: orders {systems}", highlight=False)


VARIANTS_PER_TABLE = 5


def stress_tables(found: StressResult) -> list[Table]:
    """The weighted gap and overspend over the draws, and P(met) by capability.

    P(met) is shown for the first report year (else the end year), five variants a table.
    """
    head = f"{found.scenario.name}: {found.samples:,} draws (seed {found.seed})"
    summary = Table(
        "variant",
        "plan",
        "mean",
        "P10",
        "P50",
        "P90",
        "overspend mean",
        "overspend P90",
        title=f"{head}: weighted gap and overspend",
    )
    for row in found.summary.to_dict("records"):
        if "weighted_gap_mean" not in row or row["weighted_gap_mean"] != row["weighted_gap_mean"]:
            summary.add_row(row["variant"], f"[red]{row['status']}[/]")
            continue
        gaps = [
            f"{row[k]:.4g}"
            for k in (
                "plan_weighted_gap",
                "weighted_gap_mean",
                "weighted_gap_p10",
                "weighted_gap_p50",
                "weighted_gap_p90",
            )
        ]
        money = [kpi_value_text("total_spend", row[k]) for k in ("overspend_mean", "overspend_p90")]
        summary.add_row(row["variant"], *gaps, *money)
    tables = [summary]
    if found.met.empty:
        return tables
    scenario = found.scenario
    year = scenario.report_years[0] if scenario.report_years else scenario.horizon.end
    met = found.met[found.met["year"] == year].pivot(
        index="capability", columns="variant", values="p_met"
    )
    variants = [v for v in found.plans if v in met.columns]  # in the order asked for
    for first in range(0, len(variants), VARIANTS_PER_TABLE):  # a table that fits the terminal
        shown = variants[first : first + VARIANTS_PER_TABLE]
        table = Table("capability", *shown, title=f"{head}: P(requirement met in {year})")
        for capability, row in met[shown].iterrows():
            table.add_row(capability, *(f"{v:.0%}" for v in row))
        tables.append(table)
    return tables


def tables_json(head: dict[str, Any], tables: dict[str, pd.DataFrame]) -> str:
    """``head`` and each table as a list of rows, as JSON (NaN as null)."""
    document = {
        name: [{k: _plain(v) for k, v in row.items()} for row in table.to_dict("records")]
        for name, table in tables.items()
    }
    return json.dumps({**head, **document}, indent=2, default=str)


def print_stress(found: StressResult, fmt: str, console: Console) -> None:
    """Print a stress test as tables, JSON (its tables as lists of rows) or CSV (the summary)."""
    if fmt == "json":
        print(tables_json({"samples": found.samples, "seed": found.seed}, found.tables()))
    elif fmt == "csv":
        print(found.summary.to_csv(index=False), end="")
    else:
        for table in stress_tables(found):
            console.print(table)


SWEEP_KPIS = ("weighted_gap", "total_spend", "spend_share.eu", "eu_content_share")
"""The KPIs a sweep's terminal table shows; every KPI is in the runs table and its files."""
SHOWN_RUNS = 40
LISTED_SYSTEMS = 5
"""Runs whose plans order at most this many systems list them; larger plans show a count."""


def _value_text(name: str, value: Any) -> str:
    if isinstance(value, float):
        return kpi_value_text(name, value)
    return "–" if value is None else str(value)


def _folded(*names: str, title: str) -> Table:
    """A table whose headers and cells fold onto more lines rather than being cut."""
    table = Table(title=title)
    for name in names:
        table.add_column(name, overflow="fold")
    return table


def sweep_tables(found: Sweep) -> list[Table]:
    """Breakpoints, distributions over the samples, and the runs (the first SHOWN_RUNS)."""
    runs = found.runs
    head = f"{found.scenario.name}: {found.kind} sweep, {len(runs)} runs"
    tables = []
    if found.kind == "breakpoints":
        table = Table("at", "between", "what changes", title=f"{head}: where the plan changes")
        for row in found.breakpoints.to_dict("records"):
            table.add_row(
                f"{row['at']:.6g}", f"{row['below']:.6g} – {row['above']:.6g}", row["change"]
            )
        if found.breakpoints.empty:
            table.add_row("–", "–", "the plan makes the same choice over the whole range")
        tables.append(table)
    kpis = [k for k in SWEEP_KPIS if k in runs]
    if "samples" in found.kind:
        spread = found.distributions()
        spread = spread[spread["kpi"].isin(kpis)]
        table = Table(
            *found.parameters, "KPI", "mean", "P10", "P50", "P90", title=f"{head}: over the draws"
        )
        for row in spread.to_dict("records"):
            cells = [_value_text(row["kpi"], row[q]) for q in ("mean", "p10", "p50", "p90")]
            table.add_row(*(str(row[p]) for p in found.parameters), row["kpi"], *cells)
        tables.append(table)
        return tables
    systems = runs.get("plan_systems", pd.Series(dtype=object)).fillna("").str.split(",")
    listed = systems.map(len).max() <= LISTED_SYSTEMS if len(runs) else True
    table = _folded(
        *found.parameters, "status", *kpis, "ordered" if listed else "systems", title=head
    )
    for row, ordered in zip(runs.head(SHOWN_RUNS).to_dict("records"), systems, strict=False):
        plan = ", ".join(ordered) if listed else str(len([s for s in ordered if s]))
        table.add_row(
            *(str(row[p]) for p in found.parameters),
            row["status"],
            *(_value_text(k, row.get(k)) for k in kpis),
            plan if row["status"] in ("optimal", "feasible-at-limit") else row.get("reason") or "",
        )
    if len(runs) > SHOWN_RUNS:
        table.caption = f"the first {SHOWN_RUNS} of {len(runs)} runs; all are in --format csv"
    tables.append(table)
    return tables


def print_sweep(found: Sweep, fmt: str, console: Console) -> None:
    """Print a sweep as tables, JSON (its tables as lists of rows) or CSV (the runs)."""
    if fmt == "json":
        print(tables_json({"kind": found.kind, "parameters": found.parameters}, found.tables()))
    elif fmt == "csv":
        print(found.runs.to_csv(index=False), end="")
    else:
        for table in sweep_tables(found):
            console.print(table)
