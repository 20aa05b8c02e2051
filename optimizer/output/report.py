"""The report of a result folder: one self-contained HTML page, and its charts as PNGs.

``write_report(folder)`` reads a folder written by ``dualtrack solve --out``
(one variant) or ``dualtrack compare --out`` (``"kind": "comparison"`` in its
manifest, several variants) and writes into it ``report.html`` and
``charts/<name>.png``. The page opens offline: its images are the same PNGs as
data URIs, its CSS is inline, and it has no script and no link to load.

Charts are drawn with matplotlib's object API on the Agg canvas (no pyplot):
no display is needed, nothing is registered globally, and the caller's
matplotlib backend is left alone.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, PercentFormatter

from models.scenario import supplier_origin
from optimizer.output.atomic import write_atomic
from optimizer.output.errors import ReportError
from optimizer.output.kpi_text import kpi_change_text, kpi_kind, kpi_value_text
from optimizer.solve.results import buyer_kpi

REPORT_FILE = "report.html"
CHARTS_FOLDER = "charts"
CHARTS = (
    "capabilities",
    "buyers",
    "allocations",
    "spending",
    "orders",
    "attribution",
    "ranges",
    "risk_gap",
    "risk_met",
)
STRESS_TABLES = {
    "stress_summary": ["variant"],
    "stress_met": ["variant", "capability", "year", "p_met"],
    "stress_gaps": ["variant", "year", "p10", "p50", "p90"],
}
TOP_SYSTEMS = 10
"""Systems shown by name in the orders chart; the rest are summed as "other"."""
DPI = 150
PANEL_COLUMNS = 3
PANEL_SIZE = (4.2, 3.0)
"""Inches per chart panel."""
VARIANT_COLOURS = colormaps["tab10"].colors
SYSTEM_COLOURS = colormaps["tab10"].colors  # TOP_SYSTEMS of them, and grey for "other"
ORIGIN_COLOURS = {"EU": "#1f4e9c", "US": "#c0392b"}
COUNTRY_COLOURS = colormaps["Dark2"].colors  # the other origins
OTHER_COLOUR = "#b0b0b0"
MIN_FIGURE_WIDTH = 6.4
"""Inches; wide enough for a legend of long system names in two columns."""
OTHER = "other"
REQUIRED_FILES = ("manifest.json", "scenario.json", "kpis.csv")
FRAME_COLUMNS = {
    "capabilities": ["capability", "year", "requirement", "level"],
    "spending": ["year", "country", "amount"],
    "orders": ["system", "year", "cost"],
}


@dataclass
class ResultFolder:
    """What the report reads from a solve or comparison folder, as one comparison.

    A solve folder is read as a comparison of its one variant: its frames get
    a ``variant`` column and its KPI column is named after the variant.
    """

    path: Path
    kind: str
    """``solve`` or ``comparison``."""
    manifest: dict[str, Any]
    scenario: dict[str, Any]
    """The scenario document (``scenario.json``)."""
    variants: list[str]
    """In the order compared, ``baseline`` first when it was compared."""
    statuses: dict[str, dict[str, Any]]
    """Per variant: ``status``, ``objective``, ``mip_gap`` and ``message``."""
    kpis: pd.DataFrame
    """KPI × variant."""
    diff: pd.DataFrame | None
    """KPI × variant, each variant minus the baseline; None for a solve."""
    capabilities: pd.DataFrame
    spending: pd.DataFrame
    orders: pd.DataFrame
    attribution: pd.DataFrame | None
    """Per enabled rule: KPIs with the rule minus without it; None when not written."""
    ranges: pd.DataFrame | None = None
    """Per variant and KPI: optimum, min and max near the best gap; None when not written."""
    stress: dict[str, pd.DataFrame] | None = None
    """The stress test's tables by name (``STRESS_TABLES``); None when not written."""
    allocations: pd.DataFrame | None = None
    """Each line's output by year and buyer (``Result.allocations``); None when not written."""

    @property
    def buyers(self) -> list[str]:
        """The scenario's buyers (DESIGN §13); empty for a document without ``buyers:``."""
        return [b["id"] for b in self.scenario.get("buyers", [])]

    def kpis_of(self, buyer: str | None) -> list[str]:
        """The KPI names of one buyer (``weighted_gap.pl``), or of all together (None)."""
        index = self.kpis.index if self.kpis is not None else []
        return [k for k in index if buyer_kpi(str(k), self.buyers)[1] == buyer]

    @property
    def money(self) -> str:
        """The scenario's money unit."""
        return self.scenario.get("units", {}).get("money", "million EUR")

    @property
    def years(self) -> list[int]:
        """The horizon's years, or the years in the capability table."""
        horizon = self.scenario.get("horizon", {})
        if "start" in horizon and "end" in horizon:
            return list(range(int(horizon["start"]), int(horizon["end"]) + 1))
        return sorted(int(y) for y in self.capabilities["year"].unique())

    def names(self, key: str) -> dict[str, str]:
        """Id → name of the scenario's ``capabilities``, ``systems`` or ``suppliers``."""
        return {item["id"]: item.get("name") or item["id"] for item in self.scenario.get(key, [])}


# Reading -------------------------------------------------------------------------------------


def read_folder(folder: Path) -> ResultFolder:
    """Read a solve or comparison folder.

    Raises:
        ReportError: the folder is missing, is not a result folder, or lacks a table or column.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError(f"{folder}: {'not a folder' if folder.exists() else 'no such folder'}")
    if not (folder / "manifest.json").is_file():
        raise ReportError(
            f"{folder}: not a dualtrack result folder (no manifest.json); give a folder "
            "written by `dualtrack solve --out` or `dualtrack compare --out`"
        )
    manifest = _read_json(folder / "manifest.json")
    kind = manifest.get("kind", "solve")
    if kind not in ("solve", "comparison"):
        raise ReportError(f"{folder / 'manifest.json'}: kind {kind!r} is not solve or comparison")
    needed = [*REQUIRED_FILES, *(f"{name}.csv" for name in FRAME_COLUMNS)]
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        raise ReportError(f"{folder}: not a complete {kind} folder: missing {', '.join(missing)}")
    if kind == "comparison":
        return _read_comparison(folder, manifest)
    return _read_solve(folder, manifest)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ReportError(f"{path}: not readable JSON ({error})") from None
    if not isinstance(document, dict):
        raise ReportError(f"{path}: not a JSON object")
    return document


def _read_table(folder: Path, name: str, columns: list[str]) -> pd.DataFrame:
    path = folder / f"{name}.csv"
    try:
        table = pd.read_csv(path, dtype={"variant": str, "kpi": str})
    except (OSError, ValueError) as error:
        raise ReportError(f"{path}: not a readable CSV table ({error})") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ReportError(f"{path}: missing columns {', '.join(missing)}")
    return table


def _optional_table(folder: Path, name: str, variant: str | None = None) -> pd.DataFrame | None:
    """A table the report can do without (None when absent); a solve's gets its variant."""
    if not (folder / f"{name}.csv").is_file():
        return None
    table = _read_table(folder, name, [])
    return table.assign(variant=variant) if variant is not None else table


def _read_solve(folder: Path, manifest: dict[str, Any]) -> ResultFolder:
    variant = str(manifest.get("variant") or "baseline")
    frames = {
        name: _read_table(folder, name, columns).assign(variant=variant)
        for name, columns in FRAME_COLUMNS.items()
    }
    kpis = _read_table(folder, "kpis", ["kpi", "value"]).set_index("kpi")["value"]
    status = {key: manifest.get(key) for key in ("status", "objective", "mip_gap", "message")}
    return ResultFolder(
        path=folder,
        kind="solve",
        allocations=_optional_table(folder, "allocations", variant),
        manifest=manifest,
        scenario=_read_json(folder / "scenario.json"),
        variants=[variant],
        statuses={variant: status},
        kpis=kpis.to_frame(variant).astype(float),
        diff=None,
        attribution=None,
        **frames,
    )


def _read_comparison(folder: Path, manifest: dict[str, Any]) -> ResultFolder:
    variants = [str(v) for v in manifest.get("variants", [])]
    if not variants:
        raise ReportError(f"{folder / 'manifest.json'}: lists no variants")
    frames = {
        name: _read_table(folder, name, ["variant", *columns])
        for name, columns in FRAME_COLUMNS.items()
    }
    kpis = _read_table(folder, "kpis", ["kpi"]).set_index("kpi")
    diff = None
    if (folder / "diff.csv").is_file():
        diff = _read_table(folder, "diff", ["kpi"]).set_index("kpi").reindex(columns=variants)
    attribution = None
    if (folder / "attribution.csv").is_file():
        attribution = _read_table(folder, "attribution", ["rule", "type"])
    ranges = None
    if (folder / "ranges.csv").is_file():
        ranges = _read_table(folder, "ranges", ["variant", "axis", "optimum", "min", "max"])
    stress = None
    if all((folder / f"{name}.csv").is_file() for name in STRESS_TABLES):
        stress = {name: _read_table(folder, name, c) for name, c in STRESS_TABLES.items()}
    return ResultFolder(
        path=folder,
        kind="comparison",
        allocations=_optional_table(folder, "allocations"),
        manifest=manifest,
        scenario=_read_json(folder / "scenario.json"),
        variants=variants,
        statuses=manifest.get("statuses", {}),
        kpis=kpis.reindex(columns=variants).astype(float),
        diff=diff,
        attribution=attribution,
        ranges=ranges,
        stress=stress,
        **frames,
    )


# Chart data ----------------------------------------------------------------------------------


def spending_by_origin(spending: pd.DataFrame, eu_countries: set[str]) -> pd.DataFrame:
    """Money per variant, year and supplier origin: columns variant, year, origin, amount."""
    origins = [supplier_origin(c, eu_countries) for c in spending["country"]]
    table = spending.assign(origin=origins)
    return table.groupby(["variant", "year", "origin"], as_index=False)["amount"].sum()


def orders_by_system(orders: pd.DataFrame, top: int = TOP_SYSTEMS) -> pd.DataFrame:
    """Order cost per variant, year and system; beyond the ``top`` costliest systems, "other".

    The costliest systems are those with the largest cost summed over all
    variants and years, so every panel uses the same names.
    """
    totals = orders.groupby("system")["cost"].sum().sort_values(ascending=False)
    kept = set(totals.index[:top])
    systems = [s if s in kept else OTHER for s in orders["system"]]
    table = orders.assign(system=systems)
    return table.groupby(["variant", "year", "system"], as_index=False)["cost"].sum()


def _series_order(table: pd.DataFrame, column: str, value: str, first: list[str]) -> list[str]:
    """The categories of ``column``: ``first`` (when present), then by total, "other" last."""
    totals = table.groupby(column)[value].sum().sort_values(ascending=False)
    rest = [c for c in totals.index if c not in first and c != OTHER]
    return [c for c in first if c in totals.index] + rest + ([OTHER] if OTHER in totals else [])


# Charts --------------------------------------------------------------------------------------


def _panels(count: int, sharey: bool) -> tuple[Figure, list[Axes]]:
    """A figure with ``count`` panels of ``PANEL_SIZE`` in rows of at most ``PANEL_COLUMNS``."""
    columns = min(count, PANEL_COLUMNS)
    rows = math.ceil(count / columns)
    width, height = PANEL_SIZE
    figure = Figure(figsize=(max(width * columns, MIN_FIGURE_WIDTH), height * rows + 0.6), dpi=DPI)
    FigureCanvasAgg(figure)
    grid = figure.subplots(rows, columns, squeeze=False, sharey=sharey)
    axes = list(grid.flat)
    for unused in axes[count:]:
        unused.set_visible(False)
    return figure, axes[:count]


def _no_data(axes: Axes, text: str) -> None:
    axes.text(0.5, 0.5, text, ha="center", va="center", transform=axes.transAxes, color="#666")


def _stacked_bars(
    axes: Axes, table: pd.DataFrame, years: list[int], colours: dict[str, str]
) -> None:
    """Bars per year stacked by the columns of ``table`` (year × category)."""
    bottom = pd.Series(0.0, index=years)
    for category, colour in colours.items():
        if category not in table:
            continue
        heights = table[category].reindex(years).fillna(0.0)
        drawn = heights > 0  # an empty bar's bottom would stop the axis' top margin
        axes.bar(
            heights.index[drawn], heights[drawn], bottom=bottom[drawn], color=colour, width=0.75
        )
        bottom = bottom + heights
    axes.set_xticks(years)
    if years:
        axes.set_xlim(years[0] - 0.6, years[-1] + 0.6)
    axes.tick_params(axis="x", labelrotation=45 if len(years) > 6 else 0)


def _variant_label(data: ResultFolder, variant: str) -> str:
    status = data.statuses.get(variant, {}).get("status")
    return variant if status in (None, "optimal") else f"{variant} ({status})"


def capability_chart(data: ResultFolder) -> Figure:
    """Capability level against requirement over time: a panel per capability, a line per variant.

    The requirement is dashed; it is drawn once unless a variant changes it.
    """
    names = data.names("capabilities")
    units = {c["id"]: c.get("unit", "") for c in data.scenario.get("capabilities", [])}
    capabilities = list(dict.fromkeys(data.capabilities["capability"])) or list(names)
    figure, panels = _panels(max(len(capabilities), 1), sharey=False)
    # several buyers: their levels and requirements together
    together = data.capabilities.groupby(["variant", "capability", "year"], as_index=False)[
        ["level", "requirement"]
    ].sum()
    for axes, capability in zip(panels, capabilities, strict=False):
        rows = together[together["capability"] == capability]
        if rows.empty:
            _no_data(axes, "no plan")
        drawn: list[pd.Series] = []
        for index, variant in enumerate(data.variants):
            line = rows[rows["variant"] == variant].sort_values("year")
            colour = VARIANT_COLOURS[index % len(VARIANT_COLOURS)]
            width = 3.0 if index == 0 else 1.5  # the first (baseline) stays visible beneath
            axes.plot(
                line["year"], line["level"], color=colour, linewidth=width, marker="o", markersize=3
            )
            requirement = line.set_index("year")["requirement"]
            if len(requirement) and not any(requirement.equals(r) for r in drawn):
                axes.plot(
                    requirement.index,
                    requirement,
                    color="black" if not drawn else colour,
                    linestyle="--",
                    linewidth=1.2,
                )
                drawn.append(requirement)
        axes.set_title(_wrap(names.get(capability, capability), 40), fontsize=9)
        axes.set_ylabel(_wrap(units.get(capability, ""), 35), fontsize=8)
        axes.tick_params(labelsize=7)
        axes.xaxis.get_major_locator().set_params(integer=True)
    if not capabilities:
        _no_data(panels[0], "no capability table")
    _legend(
        figure,
        [_variant_label(data, v) for v in data.variants] + ["requirement"],
        [*_variant_colours(data), "black"],
        dashed_last=True,
    )
    scope = " (all buyers together)" if data.buyers else ""
    figure.suptitle(f"Capability level against requirement{scope}", fontsize=11)
    return figure


def buyer_gap_chart(data: ResultFolder) -> Figure | None:
    """Each buyer's weight-averaged gap share by year: a panel per buyer, a line per variant.

    None for a scenario without buyers.
    """
    if not data.buyers or "buyer" not in data.capabilities:
        return None
    weights = {c["id"]: c.get("weight", 1.0) for c in data.scenario.get("capabilities", [])}
    caps = data.capabilities[data.capabilities["requirement"] > 0].copy()
    caps["weight"] = caps["capability"].map(weights).astype(float)
    caps["weighted"] = caps["weight"] * caps["gap_share"]
    by = caps.groupby(["buyer", "variant", "year"])[["weighted", "weight"]].sum()
    share = (by["weighted"] / by["weight"]).rename("share").reset_index()
    names = {b["id"]: b.get("name") or b["id"] for b in data.scenario.get("buyers", [])}
    figure, panels = _panels(len(data.buyers), sharey=True)
    for axes, buyer in zip(panels, data.buyers, strict=True):
        for index, variant in enumerate(data.variants):
            line = share[(share["buyer"] == buyer) & (share["variant"] == variant)]
            axes.plot(
                line["year"],
                line["share"],
                color=VARIANT_COLOURS[index % len(VARIANT_COLOURS)],
                linewidth=3.0 if index == 0 else 1.5,
                marker="o",
                markersize=3,
            )
        axes.set_title(_wrap(names.get(buyer, buyer), 40), fontsize=9)
        axes.yaxis.set_major_formatter(PercentFormatter(1.0))
        axes.tick_params(labelsize=7)
        axes.xaxis.get_major_locator().set_params(integer=True)
    panels[0].set_ylabel("gap, share of requirement", fontsize=8)
    _legend(figure, [_variant_label(data, v) for v in data.variants], _variant_colours(data))
    figure.suptitle("Each buyer's gap over time (capability weights)", fontsize=11)
    return figure


CONTESTED_LINES = 9
"""Lines shown in the allocation chart: those that the most buyers share, then the largest."""


def allocation_chart(data: ResultFolder) -> Figure | None:
    """Who gets each contested line's output (first variant): a panel per line, bars by buyer.

    A line is contested when new orders of two or more buyers arrive from it; None when no
    line is, or for a scenario without buyers.
    """
    if not data.buyers or data.allocations is None or data.allocations.empty:
        return None
    variant = data.variants[0]
    rows = data.allocations[data.allocations["variant"] == variant]
    sharing = rows.groupby("system").agg(buyers=("buyer", "nunique"), units=("quantity", "sum"))
    contested = sharing[sharing["buyers"] > 1].sort_values(["buyers", "units"], ascending=False)
    lines = list(contested.index[:CONTESTED_LINES])
    if not lines:
        return None
    colours = {b: VARIANT_COLOURS[i % len(VARIANT_COLOURS)] for i, b in enumerate(data.buyers)}
    names = data.names("systems")
    figure, panels = _panels(len(lines), sharey=False)
    for axes, system in zip(panels, lines, strict=True):
        line = rows[rows["system"] == system]
        units = line.pivot_table(index="year", columns="buyer", values="quantity", aggfunc="sum")
        units = units.reindex(columns=[b for b in data.buyers if b in units.columns])
        _stacked_bars(axes, units, sorted(line["year"].unique()), colours)
        capacity = line.groupby("year")["capacity"].first()
        # one dash per year over its bar: capacity is a yearly figure, not a trend
        years = capacity.index.to_numpy(dtype=float)
        axes.hlines(capacity, years - 0.4, years + 0.4, colors="black", linestyles="--", lw=1.2)
        axes.set_title(_wrap(names.get(system, system), 40), fontsize=9)
        axes.tick_params(labelsize=7)
    _legend(figure, [*colours, "capacity"], [*colours.values(), "black"], dashed_last=True)
    figure.suptitle(f"Contested lines: output by buyer ({variant})", fontsize=11)
    return figure


def _stacked_per_variant(
    data: ResultFolder,
    table: pd.DataFrame,
    column: str,
    value: str,
    colours: dict[str, Any],
    nothing: str,
) -> Figure:
    """Money per year stacked by ``column``, one panel per variant, on a shared axis."""
    figure, panels = _panels(len(data.variants), sharey=True)
    for axes, variant in zip(panels, data.variants, strict=True):
        rows = table[table["variant"] == variant]
        axes.set_title(_variant_label(data, variant), fontsize=9)
        if rows.empty:
            _no_data(axes, _empty_text(data, variant, nothing))
        years = rows.pivot_table(index="year", columns=column, values=value, aggfunc="sum")
        _stacked_bars(axes, years, data.years, colours)
        axes.tick_params(labelsize=7)
    panels[0].set_ylabel(data.money, fontsize=8)
    return figure


def spending_chart(data: ResultFolder) -> Figure:
    """Spending per year by supplier origin (EU group, US, other countries): a panel per variant."""
    eu = set(data.scenario.get("groups", {}).get("eu", []))
    table = spending_by_origin(data.spending, eu)
    origins = _series_order(table, "origin", "amount", first=["EU", "US"])
    countries = [o for o in origins if o not in ORIGIN_COLOURS]
    colours = {o: ORIGIN_COLOURS.get(o) for o in origins}
    colours.update({c: COUNTRY_COLOURS[i % len(COUNTRY_COLOURS)] for i, c in enumerate(countries)})
    figure = _stacked_per_variant(data, table, "origin", "amount", colours, "nothing spent")
    _legend(figure, list(colours), list(colours.values()))
    figure.suptitle("Spending per year by supplier origin", fontsize=11)
    return figure


def orders_chart(data: ResultFolder) -> Figure:
    """Order cost per order year by system, stacked: a panel per variant; top systems, "other"."""
    names = data.names("systems")
    table = orders_by_system(data.orders)
    systems = _series_order(table, "system", "cost", first=[])
    colours = {
        s: OTHER_COLOUR if s == OTHER else SYSTEM_COLOURS[i % len(SYSTEM_COLOURS)]
        for i, s in enumerate(systems)
    }
    figure = _stacked_per_variant(data, table, "system", "cost", colours, "nothing ordered")
    labels = [_wrap(names.get(s, s), 50) for s in colours]
    _legend(figure, labels, list(colours.values()))
    figure.suptitle("Orders per order year by system (cost)", fontsize=11)
    return figure


def attribution_chart(data: ResultFolder) -> Figure | None:
    """The change in weighted gap each rule causes (with the rule minus without it), as bars.

    One bar per row of the attribution table, labelled ``variant: rule (type)``
    when the table has a ``variant`` column; one axis, so bars compare. None
    when there is no attribution table or it has no ``weighted_gap``.
    """
    table = data.attribution
    if table is None or table.empty or "weighted_gap" not in table:
        return None
    rows = table.iloc[::-1]  # the first row on top
    labels = [f"{r} ({t})" for r, t in zip(rows["rule"], rows["type"], strict=True)]
    if "variant" in rows:
        labels = [f"{v}: {label}" for v, label in zip(rows["variant"], labels, strict=True)]
    changes = rows["weighted_gap"].astype(float)
    figure = Figure(figsize=(MIN_FIGURE_WIDTH + 1.6, 1.4 + 0.32 * len(rows)), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    colours = ["#c0392b" if c > 0 else "#27ae60" if c < 0 else "#999999" for c in changes]
    axes.barh(range(len(rows)), changes.fillna(0.0), color=colours, height=0.6)
    axes.set_yticks(range(len(rows)), [_wrap(label, 55) for label in labels], fontsize=8)
    axes.axvline(0, color="black", linewidth=0.8)
    for position, change in enumerate(changes):
        text = "no plan" if math.isnan(change) else kpi_change_text("weighted_gap", change)
        side = -1 if change < 0 else 1
        axes.annotate(
            text,
            (0.0 if math.isnan(change) else change, position),
            xytext=(4 * side, 0),
            textcoords="offset points",
            ha="left" if side > 0 else "right",
            va="center",
            fontsize=7,
        )
    axes.margins(x=0.15)
    axes.tick_params(axis="x", labelsize=8)
    axes.set_xlabel("change in weighted gap (with the rule − without it)", fontsize=8)
    figure.suptitle("What each rule does to the weighted gap (red: wider gap)", fontsize=11)
    figure.tight_layout()
    return figure


def ranges_chart(data: ResultFolder) -> Figure | None:
    """One panel per KPI: each variant's range over near-optimal plans as a bar, the optimum a dot.

    None when the folder has no ranges table.
    """
    table = data.ranges
    if table is None or table.empty:
        return None
    axes_names = list(dict.fromkeys(table["axis"]))
    variants = [v for v in data.variants if v in set(table["variant"])]
    figure, panels = _panels(len(axes_names), sharey=False)
    colours = dict(zip(data.variants, _variant_colours(data), strict=True))
    for panel, axis in zip(panels, axes_names, strict=False):
        rows = table[table["axis"] == axis].set_index("variant").reindex(variants)
        for position, (variant, row) in enumerate(rows.iterrows()):
            panel.plot(
                [row["min"], row["max"]],
                [position, position],
                linewidth=6,
                color=colours[variant],
                alpha=0.45,
                solid_capstyle="butt",
            )
            panel.plot([row["optimum"]], [position], "o", color=colours[variant], markersize=6)
        panel.set_yticks(range(len(variants)), [_wrap(v, 18) for v in variants], fontsize=8)
        panel.set_ylim(len(variants) - 0.5, -0.5)
        panel.set_title(axis, fontsize=9)
        if kpi_kind(axis) == "share":
            panel.xaxis.set_major_formatter(PercentFormatter(1.0))
        panel.tick_params(axis="x", labelsize=8)
        panel.margins(x=0.1)
    slack = data.manifest.get("ranges", {})
    figure.suptitle(
        f"Range of each KPI over plans within {float(slack.get('slack', 0)):.1%} of the best gap "
        "(bar), and the optimal plan (dot)",
        fontsize=11,
    )
    figure.tight_layout()
    return figure


def risk_gap_chart(data: ResultFolder) -> Figure | None:
    """The weight-averaged gap share each year under the draws: P10–P90 band, P50 line.

    One panel per variant, same scale; the plan as optimised (no slip) dashed. None
    without a stress test.
    """
    if data.stress is None:
        return None
    gaps = data.stress["stress_gaps"]
    variants = [v for v in data.variants if v in set(gaps["variant"])]
    figure, panels = _panels(len(variants), sharey=True)
    colours = dict(zip(data.variants, _variant_colours(data), strict=True))
    plan = _gap_share_by_year(data)
    for panel, variant in zip(panels, variants, strict=True):
        rows = gaps[gaps["variant"] == variant]
        colour = colours[variant]
        panel.fill_between(
            rows["year"],
            rows["p10"],
            rows["p90"],
            color=colour,
            alpha=0.25,
            label="P10–P90 of the draws",
        )
        panel.plot(rows["year"], rows["p50"], color=colour, linewidth=2, label="median")
        if variant in plan:
            panel.plot(
                plan[variant].index,
                plan[variant].values,
                "--",
                color="black",
                linewidth=1,
                label="plan as optimised",
            )
        panel.set_title(_variant_label(data, variant), fontsize=9)
        panel.yaxis.set_major_formatter(PercentFormatter(1.0))
        panel.xaxis.set_major_locator(MaxNLocator(integer=True))
        panel.tick_params(labelsize=8)
    panels[0].legend(fontsize=7, loc="upper right")
    samples = data.manifest.get("stress", {}).get("samples", "")
    figure.suptitle(f"Average gap share each year over {samples:,} draws of the risks", fontsize=11)
    figure.tight_layout()
    return figure


def _gap_share_by_year(data: ResultFolder) -> dict[str, pd.Series]:
    """Per variant, the plan's weight-averaged gap share each year (as the gap_<year> KPIs)."""
    weights = {c["id"]: c.get("weight", 1.0) for c in data.scenario.get("capabilities", [])}
    caps = data.capabilities[data.capabilities["requirement"] > 0].copy()
    caps["weight"] = caps["capability"].map(weights).astype(float)
    caps["weighted"] = caps["weight"] * (caps["gap"] / caps["requirement"])
    by = caps.groupby(["variant", "year"])[["weighted", "weight"]].sum()
    share = (by["weighted"] / by["weight"]).rename("share").reset_index()
    return {v: rows.set_index("year")["share"] for v, rows in share.groupby("variant")}


def risk_met_chart(data: ResultFolder) -> Figure | None:
    """P(requirement met) by capability × year, one heat map per variant. None without stress."""
    if data.stress is None:
        return None
    met = data.stress["stress_met"]
    variants = [v for v in data.variants if v in set(met["variant"])]
    figure, panels = _panels(len(variants), sharey=False)
    image = None
    for position, (panel, variant) in enumerate(zip(panels, variants, strict=True)):
        table = met[met["variant"] == variant].pivot(
            index="capability", columns="year", values="p_met"
        )
        image = panel.imshow(table.to_numpy(), vmin=0, vmax=1, cmap="RdYlGn", aspect="auto")
        labels = [_wrap(c, 16) for c in table.index] if position % PANEL_COLUMNS == 0 else []
        panel.set_yticks(range(len(table.index)), labels, fontsize=7)  # names on the left only
        years = list(table.columns)
        step = max(1, len(years) // 6)
        panel.set_xticks(range(0, len(years), step), years[::step], fontsize=7)
        panel.set_title(_variant_label(data, variant), fontsize=9)
    if image is not None:
        figure.colorbar(image, ax=panels, fraction=0.03, format=PercentFormatter(1.0))
    figure.suptitle("Probability that each requirement is met, by year", fontsize=11)
    return figure


def _variant_colours(data: ResultFolder) -> list[str]:
    return [VARIANT_COLOURS[i % len(VARIANT_COLOURS)] for i in range(len(data.variants))]


def _empty_text(data: ResultFolder, variant: str, nothing: str) -> str:
    status = data.statuses.get(variant, {}).get("status")
    return f"no plan ({status})" if status in ("infeasible", "error") else nothing


def _wrap(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _legend(
    figure: Figure, labels: list[str], colours: list[str], dashed_last: bool = False
) -> None:
    """One legend for the whole figure, below the panels; the figure grows to make room."""
    handles = [Line2D([], [], color=c, linewidth=2 if dashed_last else 6) for c in colours]
    if dashed_last:
        handles[-1].set_linestyle("--")
    label_width = 0.55 + 0.055 * max(map(len, labels), default=1)  # inches at 7 pt
    columns = max(1, min(len(labels), int(figure.get_figwidth() // label_width)))
    legend_height = 0.2 * math.ceil(len(labels) / columns) + 0.15
    height = figure.get_figheight() + legend_height
    figure.set_figheight(height)
    figure.tight_layout(rect=(0, legend_height / height, 1, 1 - 0.35 / height))
    figure.legend(handles, labels, loc="lower center", ncol=columns, fontsize=7, frameon=False)


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG; the figure is cleared afterwards (it holds nothing more)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    figure.clear()
    return buffer.getvalue()


def draw_charts(data: ResultFolder) -> dict[str, bytes]:
    """Every chart of the report as PNG bytes, by chart name (see ``CHARTS``)."""
    figures = {
        "capabilities": capability_chart(data),
        "buyers": buyer_gap_chart(data),
        "allocations": allocation_chart(data),
        "spending": spending_chart(data),
        "orders": orders_chart(data),
        "attribution": attribution_chart(data),
        "ranges": ranges_chart(data),
        "risk_gap": risk_gap_chart(data),
        "risk_met": risk_met_chart(data),
    }
    return {name: png_bytes(figure) for name, figure in figures.items() if figure is not None}


# KPI text ------------------------------------------------------------------------------------


def kpi_label(name: str, data: ResultFolder) -> str:
    """What a KPI means, in words."""
    labels = {
        "weighted_gap": "Weighted capability gap (sum of weight × gap share over the years)",
        "max_gap": "Largest weighted gap share in any year",
        "total_spend": f"Total spending ({data.money})",
        "investment": f"Investment in production lines ({data.money})",
        "eu_content_share": "EU content of spending",
        "n_system_types": "System types ordered",
        "spend_share.other": "Share of spending with suppliers in no group",
        "spend_share.US": "Share of spending with US suppliers",
        "spend_share_with_pipeline.other": "Share with suppliers in no group, pipeline included",
        "spend_share_with_pipeline.US": "Share with US suppliers, pipeline included",
        "gap_tail": "Average gap share in the tail after the horizon",
    }
    kpi, buyer = buyer_kpi(name, data.buyers)
    if buyer is not None:
        return f"{kpi_label(kpi, data)}: {buyer}"
    if name in labels:
        return labels[name]
    prefix, _, rest = name.partition(".")
    if prefix == "first_met":
        return f"{data.names('capabilities').get(rest, rest)}: requirement met from"
    if prefix == "spend_share":
        return f"Share of spending with suppliers in group {rest}"
    if prefix == "spend_share_with_pipeline":
        return f"Share with suppliers in group {rest}, pipeline included"
    if name.startswith("gap_"):
        return f"Average gap share in {name[4:]}"
    return name


def status_text(status: dict[str, Any]) -> str:
    """A variant's status in words; a solve stopped at its time limit says so."""
    code = status.get("status") or "unknown"
    message = status.get("message") or ""
    gap = status.get("mip_gap")
    if code == "feasible-at-limit":
        text = "stopped at its time limit: the plan is not proven optimal"
        if gap:
            text += f" (MIP gap {gap:.2%})"
    elif code == "infeasible":
        text = "infeasible: no plan"
    elif code == "error":
        text = "solver error: no plan"
    else:
        text = code
    if message and message not in (code, "optimal"):
        text += f"; {message}"
    return text


# HTML ----------------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: #1d1d1f; max-width: 1150px; margin: 2em auto; padding: 0 1.5em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
p.meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 0.3em 0.8em; text-align: left; }
th { background: #f4f5f7; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
div.wide { overflow-x: auto; }
td:first-child { min-width: 15em; }
code { font-size: 0.85em; color: #555; }
.warning { color: #a15c00; font-weight: 600; }
.failed { color: #b00020; font-weight: 600; }
figure { margin: 1em 0 2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
footer { margin-top: 3em; color: #777; font-size: 0.85em; }
"""
CONTENT_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""Nothing may load from anywhere but this page: the browser enforces the offline promise."""


def _escape(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _table(head: list[str], rows: list[list[str]], numeric_from: int) -> str:
    """An HTML table; cells are already HTML; columns from ``numeric_from`` align right."""

    def cell(tag: str, index: int, content: str) -> str:
        align = ' class="number"' if index >= numeric_from else ""
        return f"<{tag}{align}>{content}</{tag}>"

    header = "".join(cell("th", i, h) for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows
    )
    table = f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="wide">{table}</div>'  # a wide table scrolls, not the page


def summary_html(data: ResultFolder) -> str:
    """Scenario, description, horizon and money unit, and each variant with its status."""
    described = data.scenario.get("variants", {})
    rows = []
    for variant in data.variants:
        status = data.statuses.get(variant, {})
        code = status.get("status")
        css = {"feasible-at-limit": "warning", "infeasible": "failed", "error": "failed"}
        text = _escape(status_text(status))
        if code in css:
            text = f'<span class="{css[code]}">{text}</span>'
        description = described.get(variant, {}).get("description", "")
        if variant == "baseline" and not description:
            description = "the scenario as written"
        objective = status.get("objective")
        gap = status.get("mip_gap")
        rows.append(
            [
                f"<b>{_escape(variant)}</b>",
                _escape(description),
                text,
                "–" if objective is None else f"{objective:,.6g}",
                "–" if gap is None else f"{gap:.2%}",
            ]
        )
    years = data.years
    facts = f"Horizon {years[0]}–{years[-1]}; money in {_escape(data.money)}." if years else ""
    created = data.manifest.get("created")
    if created:
        facts += f" Solved {_escape(created)}."
    description = " ".join(str(data.scenario.get("description", "")).split())
    return f'<p>{_escape(description)}</p><p class="meta">{facts}</p>' + _table(
        ["variant", "what it changes", "status", "objective", "MIP gap"], rows, 3
    )


def _kpi_cell(name: str, data: ResultFolder) -> str:
    return f"{_escape(kpi_label(name, data))}<br><code>{_escape(name)}</code>"


def kpi_table_html(data: ResultFolder) -> str:
    """The KPIs, variants as columns."""
    if data.kpis.empty:
        return "<p>No key figures: no variant has a plan.</p>"
    rows = [
        [_kpi_cell(name, data)]
        + [kpi_value_text(name, float(data.kpis.at[name, v])) for v in data.variants]
        for name in data.kpis_of(None)
    ]
    table = _table(["KPI", *map(_escape, data.variants)], rows, 1)
    if data.buyers:
        return "<p>Several buyers: these are all buyers together.</p>" + table
    return table


BUYER_KPIS = ("weighted_gap", "gap_tail", "total_spend", "spend_share.US", "eu_content_share")
"""The KPIs shown for each buyer in the report's table by buyer."""


def buyer_table_html(data: ResultFolder) -> str:
    """A few KPIs of each buyer, variants as columns, with the change against the baseline."""
    if not data.buyers or data.kpis.empty:
        return ""
    names = {b["id"]: b.get("name") or b["id"] for b in data.scenario.get("buyers", [])}
    rows = []
    for buyer in data.buyers:
        for kpi in BUYER_KPIS:
            name = f"{kpi}.{buyer}"
            if name not in data.kpis.index:
                continue
            row = [
                f"<b>{_escape(names[buyer])}</b>" if kpi == BUYER_KPIS[0] else "",
                f"{_escape(kpi_label(kpi, data))}<br><code>{_escape(name)}</code>",
            ]
            for variant in data.variants:
                text = kpi_value_text(name, float(data.kpis.at[name, variant]))
                change = (
                    data.diff.at[name, variant]
                    if data.diff is not None and variant in data.diff and name in data.diff.index
                    else 0.0
                )
                if variant != "baseline" and change:
                    text += f"<br><small>{_escape(kpi_change_text(name, float(change)))}</small>"
                row.append(text)
            rows.append(row)
    return (
        "<p>Each buyer's own figures (its weighted gap without its weight W_b), and under "
        "each variant's value its change against the baseline.</p>"
        + _table(["buyer", "KPI", *map(_escape, data.variants)], rows, 2)
    )


def diff_table_html(data: ResultFolder) -> str:
    """Each variant's change against the baseline; "" for a solve or with one variant."""
    if data.diff is None:
        return ""
    variants = [v for v in data.variants if v != "baseline" and v in data.diff]
    if not variants:
        return ""
    noise = {(str(v), str(k)) for v, k in data.manifest.get("not_significant", [])}
    rows = []
    for name in [k for k in data.kpis_of(None) if k in data.diff.index]:
        row = [_kpi_cell(name, data)]
        for variant in variants:
            text = _escape(kpi_change_text(name, float(data.diff.at[name, variant])))
            row.append(text + ("*" if (variant, name) in noise else ""))
        rows.append(row)
    note = (
        '<p class="meta">* within the solves\' MIP gaps: not a real difference.</p>'
        if noise
        else ""
    )
    return (
        "<h2>Change against the baseline</h2>"
        "<p>Each variant minus the baseline; shares in percentage points (pp).</p>"
        + _table(["KPI", *map(_escape, variants)], rows, 1)
        + note
    )


def attribution_html(data: ResultFolder, chart: str) -> str:
    """The rule attribution: chart, then a table with a column per rule; "" when there is none."""
    table = data.attribution
    if table is None or table.empty:
        return ""
    described = ("variant", "rule", "type", "status", "status_without")
    kpis = [c for c in table.columns if c not in described]
    head = [
        (f"{_escape(row['variant'])}<br>" if "variant" in table else "")
        + f"{_escape(row['rule'])} <code>{_escape(row['type'])}</code>"
        for _, row in table.iterrows()
    ]
    rows = [
        [_kpi_cell(name, data)] + [_escape(kpi_change_text(name, float(v))) for v in table[name]]
        for name in kpis
    ]
    attributed = data.manifest.get("attributed_variant")
    of = f" of variant <b>{_escape(attributed)}</b>" if attributed else ""
    return (
        "<h2>What each rule does</h2>"
        f"<p>Each enabled rule{of} switched off in turn and the scenario solved again: "
        "the value with the rule minus the value without it.</p>"
        + chart
        + _table(["KPI", *head], rows, 1)
    )


def ranges_html(data: ResultFolder, chart: str) -> str:
    """Near-optimal ranges: what the gap forces and what is a choice; "" when there are none."""
    table = data.ranges
    if table is None or table.empty:
        return ""
    slack = data.manifest.get("ranges", {})
    rows = [
        [_escape(row["variant"]), _kpi_cell(row["axis"], data)]
        + [_escape(kpi_value_text(row["axis"], float(row[c]))) for c in ("optimum", "min", "max")]
        for _, row in table.iterrows()
    ]
    within = f"{float(slack.get('slack', 0)):.1%}"
    if float(slack.get("abs_slack", 0) or 0):
        within += f" + {float(slack['abs_slack']):g}"
    return (
        "<h2>What is forced and what is chosen</h2>"
        f"<p>Over every plan that keeps every rule and whose gap is within {within} of the "
        "best, each KPI lies between <i>min</i> and <i>max</i>: a value every such plan "
        "reaches is forced by the capability goal; the rest of the range is a choice "
        "among plans that are almost as good (docs/ranges.md).</p>"
        + chart
        + _table(["variant", "KPI", "optimal plan", "min", "max"], rows, 2)
    )


def risk_html(data: ResultFolder, charts: dict[str, str]) -> str:
    """The stress test: what the plans' weighted gaps become under the risks; "" without one."""
    if data.stress is None:
        return ""
    summary = data.stress["stress_summary"]
    columns = [c for c in summary.columns if c.startswith(("plan_", "weighted_gap_", "overspend_"))]
    rows = [
        [_escape(row["variant"])]
        + [
            _escape(
                kpi_value_text(
                    "total_spend" if c.startswith("overspend") else "weighted_gap", float(row[c])
                )
            )
            for c in columns
        ]
        for _, row in summary.iterrows()
    ]
    samples = data.manifest.get("stress", {}).get("samples", "")
    return (
        "<h2>Delivery risk</h2>"
        f"<p>Each variant's plan held fixed and replayed under {samples:,} draws of the "
        "scenario's uncertainty list: lines slip, fall short and prices rise (docs/risk.md). "
        "The weighted gap of the horizon, and the money the plan would need beyond its "
        "budgets.</p>"
        + _table(["variant", *[_escape(c) for c in columns]], rows, 1)
        + charts.get("risk_gap", "")
        + charts.get("risk_met", "")
    )


def figure_html(name: str, png: bytes, caption: str) -> str:
    """A chart as an embedded PNG (data URI), with its caption and PNG file name."""
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    width = round(int.from_bytes(png[16:20], "big") / DPI * 96)  # IHDR width; CSS px at 96/in
    return (
        f'<figure><img src="{uri}" width="{width}" alt="{_escape(caption)}">'
        f"<figcaption>{_escape(caption)} (<code>{CHARTS_FOLDER}/{name}.png</code>)"
        "</figcaption></figure>"
    )


CAPTIONS = {
    "capabilities": "Capability level against requirement (dashed), one line per variant",
    "buyers": "Each buyer's weight-averaged gap share by year, one line per variant",
    "allocations": "Output of the lines two or more buyers order from, by delivery year and "
    "buyer, against the line's capacity (dashed), in the first variant",
    "spending": "Spending per year by supplier origin: EU group, US, other countries",
    "orders": f"Orders per order year by system, the {TOP_SYSTEMS} costliest systems by name",
    "attribution": "Change in weighted gap caused by each rule",
    "ranges": "Each KPI's range over plans near the best gap, with the optimal plan as a dot",
    "risk_gap": "Average gap share each year under the sampled risks: median and P10–P90",
    "risk_met": "Probability that each capability's requirement is met, by year",
}


def page_html(data: ResultFolder, charts: dict[str, bytes]) -> str:
    """The whole report page: one HTML document, inline CSS, images as data URIs."""
    figures = {name: figure_html(name, png, CAPTIONS[name]) for name, png in charts.items()}
    title = str(data.manifest.get("scenario") or data.scenario.get("name", "dualtrack"))
    body = [
        f"<h1>{_escape(title)}</h1>",
        f'<p class="meta">dualtrack {data.kind} report: {len(data.variants)} variant(s)</p>',
        "<h2>Summary</h2>",
        summary_html(data),
        "<h2>Key figures</h2>",
        kpi_table_html(data),
        diff_table_html(data),
        "<h2>Capability over time</h2>",
        figures["capabilities"],
        *(
            ["<h2>Buyers</h2>", buyer_table_html(data), figures["buyers"]]
            if "buyers" in figures
            else []
        ),
        *(
            ["<h2>Contested production lines</h2>", figures["allocations"]]
            if "allocations" in figures
            else []
        ),
        "<h2>Spending by origin</h2>",
        figures["spending"],
        "<h2>Orders by system</h2>",
        figures["orders"],
        attribution_html(data, figures.get("attribution", "")),
        ranges_html(data, figures.get("ranges", "")),
        risk_html(data, figures),
        f"<footer>Made by dualtrack {_escape(_version())} from the tables in this folder. "
        f"The charts are also in <code>{CHARTS_FOLDER}/</code> as PNG files, for slides."
        "</footer>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_escape(title)}: dualtrack report</title><style>{STYLE}</style></head>"
        "<body>\n" + "\n".join(part for part in body if part) + "\n</body></html>\n"
    )


def _version() -> str:
    try:
        return metadata.version("dualtrack")
    except metadata.PackageNotFoundError:
        return "(not installed)"


# Writing -------------------------------------------------------------------------------------


def write_report(folder: Path, force: bool = False) -> Path:
    """Write ``report.html`` and ``charts/*.png`` into a solve or comparison folder.

    Each file is written to a temporary name and renamed into place, the
    charts first and the page last.

    Args:
        folder: A folder written by ``dualtrack solve --out`` or ``dualtrack compare --out``.
        force: Replace an existing ``report.html`` (and its charts).

    Returns:
        The path of ``report.html``.

    Raises:
        ReportError: ``folder`` is not a result folder, or holds a report and ``force`` is false.
    """
    folder = Path(folder)
    data = read_folder(folder)
    target = folder / REPORT_FILE
    if target.exists() and not force:
        raise ReportError(f"{target}: exists; use --force to replace it")
    charts = draw_charts(data)
    page = page_html(data, charts).encode("utf-8")
    chart_folder = folder / CHARTS_FOLDER
    try:
        chart_folder.mkdir(exist_ok=True)
        for name, png in charts.items():
            write_atomic(chart_folder / f"{name}.png", png)
        for stale in set(CHARTS) - set(charts):
            (chart_folder / f"{stale}.png").unlink(missing_ok=True)
        write_atomic(target, page)
    except OSError as error:
        raise ReportError(f"{folder}: cannot write the report ({error})") from None
    return target
