"""Results and comparisons printed for people (rich tables) and for scripts (JSON, CSV)."""

import copy
import dataclasses
import json
import math
from typing import Any

import pandas as pd
from rich.console import Console, RenderableType
from rich.table import Column, Table

from optimizer.analysis.compare import Comparison, better
from optimizer.analysis.ranges import Ranges
from optimizer.analysis.stress import StressResult
from optimizer.analysis.sweep import Sweep
from optimizer.input.load import BASELINE
from optimizer.output.kpi_text import kpi_change_text, kpi_value_text
from optimizer.solve.results import Result, split_by_buyer

FREE_TEXT_WIDTH = 20
"""A free-text column (``overflow="fold"``) wraps between words, but gets this many
characters when it has that much to say, so that it does not become a column of single words."""


def _needed(console: Console, column: Column) -> int:
    """The narrowest ``column`` can be without cutting a word.

    Its header may wrap between words; its cells (names, values) only if it holds free text.
    """
    header = console.measure(column.header).minimum
    cells = [console.measure(cell) for cell in column.cells]
    if column.overflow == "fold":
        longest = max((cell.maximum for cell in cells), default=0)
        return max([header, min(longest, FREE_TEXT_WIDTH), *(cell.minimum for cell in cells)])
    return max([header, *(cell.maximum for cell in cells)])


def _natural(console: Console, column: Column) -> int:
    """The width ``column`` takes when nothing wraps."""
    return max(console.measure(cell).maximum for cell in [column.header, *column.cells])


def _width(widths: list[int]) -> int:
    """A table's width with rich's default box: per column, a space either side and a line."""
    return sum(widths) + 3 * len(widths) + 1


def _share_out(keys: list[int], values: list[int], room: int) -> list[list[int]]:
    """The positions of ``values`` in each panel: in order, as many as fit beside ``keys``."""
    panels: list[list[int]] = [[]]
    for position, width in enumerate(values):
        shown = [values[p] for p in panels[-1]]
        if shown and _width([*keys, *shown, width]) > room:
            panels.append([])
        panels[-1].append(position)
    return panels


def _evenly(count: int, panels: int) -> list[list[int]]:
    """Positions ``0 … count - 1`` in ``panels`` runs whose lengths differ by one at most."""
    size, longer = divmod(count, panels)
    runs, start = [], 0
    for run in range(panels):
        end = start + size + (run < longer)
        runs.append(list(range(start, end)))
        start = end
    return runs


def fit(table: Table, console: Console, keep: int = 1) -> list[Table]:
    """``table`` split into panels as wide as ``console`` at most, no name cut short.

    The first ``keep`` columns name the rows and repeat in every panel; the others are shared
    out in order, each at its ``_needed`` width, over as few panels as fit, spread evenly when
    the widths allow (no stub of a last panel). Only free-text columns (``overflow="fold"``)
    wrap their cells. rich alone would shorten every column to fit ("robust-du…"). A table
    that fits is returned as it is.
    """
    natural = [_natural(console, column) for column in table.columns]
    if _width(natural) <= console.width or len(table.columns) <= keep:
        return [table]
    needed = [_needed(console, column) for column in table.columns]
    keys, values = needed[:keep], needed[keep:]
    panels = _share_out(keys, values, console.width)
    count = len(panels)
    even = _evenly(len(values), count)
    if all(_width([*keys, *(values[p] for p in run)]) <= console.width for run in even):
        panels = even
    parts = []
    for number, positions in enumerate(panels, 1):
        shown = [*range(keep), *(keep + p for p in positions)]
        part = _panel(table, shown, _widths(table, shown, natural, needed, console.width))
        if count > 1:
            part.title = f"{table.title or ''} ({number} of {count})".lstrip()
            part.caption = table.caption if number == count else None
        parts.append(part)
    return parts


def _widths(
    table: Table, shown: list[int], natural: list[int], needed: list[int], room: int
) -> list[int] | None:
    """The widths to fix for the columns ``shown`` of ``table``, if any.

    None if they fit as they are; their natural widths if wrapping free text is enough;
    else their ``_needed`` widths (headers wrap too).
    """
    if _width([natural[i] for i in shown]) <= room:
        return None
    free = [table.columns[i].overflow == "fold" for i in shown]
    relaxed = [needed[i] if f else natural[i] for i, f in zip(shown, free, strict=True)]
    return natural if _width(relaxed) <= room else needed


def _panel(table: Table, shown: list[int], widths: list[int] | None) -> Table:
    """The columns ``shown`` of ``table``; with ``widths``, those of all but free text fixed.

    A fixed width stops rich shrinking a name to fit (free text takes what is left); a
    header wraps between words instead.
    """
    part = copy.copy(table)  # title, box and styles; in rich, rows hold no cells
    part.columns = []
    for index, position in enumerate(shown):
        column = table.columns[position]
        if widths is not None and column.overflow != "fold":
            column = dataclasses.replace(column, width=widths[position])
        part.columns.append(dataclasses.replace(column, _index=index))
    return part


def _fitted(console: Console, *tables: tuple[Table, int]) -> list[Table]:
    """Each ``(table, keep)`` fitted to ``console`` (see ``fit``), in order."""
    return [part for table, keep in tables for part in fit(table, console, keep)]


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
            "\n".join(delays) or "–",  # one a line: a list that wraps mid-item reads badly
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
        for table in comparison_tables(comparison, console):
            console.print(table)


def comparison_tables(comparison: Comparison, console: Console) -> list[Table]:
    """The KPIs, by buyer and the contested lines (with buyers), rule costs and ranges.

    Each fitted to ``console``'s width: panels of variants, each repeating the row names.
    """
    tables = [(kpi_table(comparison), 1)]
    if comparison.scenario.buyers:
        tables.append((buyer_comparison_table(comparison), 2))
        base = comparison.results[BASELINE]
        if base.has_plan:
            tables.append((allocation_table(base.allocations, "Contested lines (baseline)"), 1))
    if not comparison.attribution.empty:
        tables.append((attribution_table(comparison.attribution), 2))
    if not comparison.ranges.empty:
        name = comparison.scenario.name
        tables.append((ranges_table(name, comparison.ranges, "near the best gap"), 2))
    return _fitted(console, *tables)


def print_result(result: Result, fmt: str, console: Console, errors: Console) -> None:
    """Print a solve as tables, JSON or CSV; a solve without a plan says why on ``errors``."""
    if fmt == "json":
        summary = result.summary()
        summary["orders"] = result.orders.to_dict(orient="records")
        print(json.dumps(summary, indent=2, default=str))
    elif fmt == "csv":
        print(result.kpis.rename_axis("kpi").reset_index(name="value").to_csv(index=False), end="")
    else:
        for table in result_tables(result, console):
            console.print(table)
    if not result.has_plan:
        print_why(result, errors)


def print_why(result: Result, errors: Console, prefix: str = "") -> None:
    """Why a solve has no plan: its status and message, and the rules in conflict."""
    lines = [f"{prefix}{result.status}: {result.message}"]
    lines += [f"  {c['explanation']}" for c in result.conflicts]
    for line in lines:
        errors.print(line, markup=False, highlight=False)


def result_tables(result: Result, console: Console) -> list[RenderableType]:
    """The status line, the KPIs, and the orders summed by system, fitted to ``console``."""
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
        return [head, *_fitted(console, (kpis, 1), (orders, 2))]
    return [
        head,
        *_fitted(
            console,
            (kpis, 1),
            (buyer_table(own), 1),
            (orders, 2),
            (allocation_table(result.allocations), 1),
        ),
    ]


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
    table = Table("system", "delivered", "capacity used", title=title)
    table.add_column("buyers (units)", overflow="fold")  # free text: wraps between buyers
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
        table = ranges_table(found.scenario.name, found.table, f"within {slack} of the best gap")
        for part in fit(table, console, keep=2):
            console.print(part)
        for variant, plans in found.alternatives.items():
            for k, plan in enumerate(plans, 1):
                systems = ", ".join(sorted(plan.orders["system"].unique()))
                console.print(f"{variant}, alternative {k}: orders {systems}", highlight=False)


def stress_tables(found: StressResult, console: Console) -> list[Table]:
    """The weighted gap and overspend over the draws, and P(met) by capability.

    P(met) is shown for the first report year (else the end year). Fitted to ``console``.
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
    if found.met.empty:
        return fit(summary, console)
    scenario = found.scenario
    year = scenario.report_years[0] if scenario.report_years else scenario.horizon.end
    met = found.met[found.met["year"] == year].pivot(
        index="capability", columns="variant", values="p_met"
    )
    variants = [v for v in found.plans if v in met.columns]  # in the order asked for
    table = Table("capability", *variants, title=f"{head}: P(requirement met in {year})")
    for capability, row in met[variants].iterrows():
        table.add_row(capability, *(f"{v:.0%}" for v in row))
    return _fitted(console, (summary, 1), (table, 1))


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
        for table in stress_tables(found, console):
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


def sweep_tables(found: Sweep, console: Console) -> list[Table]:
    """Breakpoints, distributions over the samples, and the runs (the first SHOWN_RUNS).

    Fitted to ``console``: panels repeat the swept parameters.
    """
    runs = found.runs
    head = f"{found.scenario.name}: {found.kind} sweep, {len(runs)} runs"
    keep = len(found.parameters)
    tables = []
    if found.kind == "breakpoints":
        table = Table("at", "between", title=f"{head}: where the plan changes")
        table.add_column("what changes", overflow="fold")  # free text
        for row in found.breakpoints.to_dict("records"):
            table.add_row(
                f"{row['at']:.6g}", f"{row['below']:.6g} – {row['above']:.6g}", row["change"]
            )
        if found.breakpoints.empty:
            table.add_row("–", "–", "the plan makes the same choice over the whole range")
        tables.append((table, 1))
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
        tables.append((table, keep + 1))
        return _fitted(console, *tables)
    systems = runs.get("plan_systems", pd.Series(dtype=object)).fillna("").str.split(",")
    listed = systems.map(len).max() <= LISTED_SYSTEMS if len(runs) else True
    table = Table(*found.parameters, "status", *kpis, title=head)
    table.add_column("ordered" if listed else "systems", overflow="fold")  # free text
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
    tables.append((table, keep))
    return _fitted(console, *tables)


def print_sweep(found: Sweep, fmt: str, console: Console) -> None:
    """Print a sweep as tables, JSON (its tables as lists of rows) or CSV (the runs)."""
    if fmt == "json":
        print(tables_json({"kind": found.kind, "parameters": found.parameters}, found.tables()))
    elif fmt == "csv":
        print(found.runs.to_csv(index=False), end="")
    else:
        for table in sweep_tables(found, console):
            console.print(table)
