"""The report of a sweep folder: KPIs against the varied parameter, or their spread over draws.

``write_sweep_report(folder)`` reads the tables a finished sweep wrote (``runs``, and
``breakpoints`` or ``distributions``) and writes ``report.html`` and ``charts/*.png`` into
the folder, like the report of a solve or a comparison: one page, offline, no script.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from optimizer.output.kpi_text import kpi_value_text
from optimizer.output.report import (
    CHARTS_FOLDER,
    CONTENT_POLICY,
    REPORT_FILE,
    STYLE,
    ReportError,
    _escape,
    _read_json,
    _table,
    figure_html,
    png_bytes,
    write_atomic,
)

KPIS = ("weighted_gap", "total_spend", "spend_share.eu", "eu_content_share")
PLANNED = ("optimal", "feasible-at-limit")


def _read(folder: Path, name: str) -> pd.DataFrame:
    path = folder / f"{name}.parquet"
    if not path.is_file():
        raise ReportError(f"{folder}: not a finished sweep: missing {name}.parquet (--resume it)")
    return pd.read_parquet(path)


def _axes_for(kpis: list[str], size: tuple[float, float] = (4.2, 3.0)) -> tuple[Figure, list]:
    figure = Figure(figsize=(size[0] * min(len(kpis), 2), size[1] * ((len(kpis) + 1) // 2)))
    axes = figure.subplots((len(kpis) + 1) // 2, min(len(kpis), 2), squeeze=False).ravel()
    for extra in axes[len(kpis) :]:
        extra.set_visible(False)
    return figure, list(axes)


def kpi_chart(runs: pd.DataFrame, parameters: list[str], marks: list[float]) -> Figure:
    """Each KPI against the first parameter, a line per value of the others; breakpoints dashed."""
    kpis = [k for k in KPIS if k in runs]
    figure, axes = _axes_for(kpis)
    x = parameters[0]
    planned = runs[runs["status"].isin(PLANNED)].sort_values(x)
    lines = planned.groupby(parameters[1:], sort=False) if parameters[1:] else [("", planned)]
    for name, axis in zip(kpis, axes, strict=False):
        for label, rows in lines:
            text = ", ".join(map(str, label)) if isinstance(label, tuple) else str(label)
            axis.plot(rows[x], rows[name], marker="o", markersize=3, label=text or None)
        for value in marks:
            axis.axvline(value, color="grey", linestyle="--", linewidth=0.8)
        axis.set_title(name, fontsize=9)
        axis.set_xlabel(x, fontsize=8)
        axis.tick_params(labelsize=7)
    if parameters[1:]:
        axes[0].legend(title=", ".join(parameters[1:]), fontsize=7, title_fontsize=7)
    figure.tight_layout()
    return figure


def spread_chart(runs: pd.DataFrame) -> Figure:
    """Histograms of the KPIs over the re-planned draws."""
    kpis = [k for k in KPIS if k in runs]
    figure, axes = _axes_for(kpis)
    planned = runs[runs["status"].isin(PLANNED)]
    for name, axis in zip(kpis, axes, strict=False):
        axis.hist(planned[name].dropna(), bins=30, color="#1f4e9c")
        axis.set_title(name, fontsize=9)
        axis.set_ylabel("draws", fontsize=8)
        axis.tick_params(labelsize=7)
    figure.tight_layout()
    return figure


def _status_html(runs: pd.DataFrame) -> str:
    counts = runs["status"].value_counts()
    rows = [[_escape(status), f"{count:,}"] for status, count in counts.items()]
    failed = runs[~runs["status"].isin(PLANNED)]
    rows += [[_escape(f"{r['status']}: {r['reason']}"), ""] for _, r in failed.head(10).iterrows()]
    return _table(["status", "runs"], rows, 1)


def _breakpoints_html(found: pd.DataFrame) -> str:
    if found.empty:
        return "<p>The plan makes the same choice over the whole range.</p>"
    rows = [
        [f"{r['at']:.6g}", f"{r['below']:.6g} – {r['above']:.6g}", _escape(r["change"])]
        for _, r in found.iterrows()
    ]
    return _table(["at", "between", "what changes"], rows, 3)


def _spread_html(spread: pd.DataFrame, parameters: list[str]) -> str:
    spread = spread[spread["kpi"].isin(KPIS)]
    rows = [
        [*(_escape(r[p]) for p in parameters), _escape(r["kpi"]), f"{r['runs']:,}"]
        + [kpi_value_text(r["kpi"], r[q]) for q in ("mean", "p10", "p50", "p90")]
        for _, r in spread.iterrows()
    ]
    head = [*parameters, "KPI", "runs", "mean", "P10", "P50", "P90"]
    return _table(head, rows, len(parameters) + 1)


def is_sweep(folder: Path) -> bool:
    """Whether ``folder`` was written by ``dualtrack sweep --out``."""
    manifest = Path(folder) / "manifest.json"
    return manifest.is_file() and _read_json(manifest).get("kind") == "sweep"


def write_sweep_report(folder: Path, force: bool = False) -> Path:
    """Write ``report.html`` and its charts into a finished sweep folder."""
    folder = Path(folder)
    manifest = _read_json(folder / "manifest.json")
    target = folder / REPORT_FILE
    if target.exists() and not force:
        raise ReportError(f"{target}: exists; use --force to replace it")
    runs = _read(folder, "runs")
    bisect = manifest.get("breakpoints")
    parameters = [bisect["parameter"]] if bisect else list(manifest.get("vary") or {})
    body = [
        f"<h1>{_escape(manifest.get('scenario', 'dualtrack'))}: sweep</h1>",
        f'<p class="meta">{len(runs):,} runs; the tables are in this folder '
        "(runs, and breakpoints or distributions, as CSV and Parquet)</p>",
        "<h2>Runs</h2>",
        _status_html(runs),
    ]
    charts: dict[str, tuple[bytes, str]] = {}
    if bisect:
        found = _read(folder, "breakpoints")
        body += ["<h2>Where the plan changes</h2>", _breakpoints_html(found)]
        marks = found["at"].tolist()
        charts["kpis"] = (
            png_bytes(kpi_chart(runs, parameters, marks)),
            "KPIs at each value solved; breakpoints dashed",
        )
    elif manifest.get("samples"):
        spread = _read(folder, "distributions")
        body += ["<h2>Over the draws</h2>", _spread_html(spread, parameters)]
        charts["spread"] = (
            png_bytes(spread_chart(runs)),
            "KPIs of the best plan for each draw, known in advance",
        )
    if parameters and not manifest.get("samples"):
        charts.setdefault(
            "kpis", (png_bytes(kpi_chart(runs, parameters, [])), "KPIs at each grid point")
        )
    body += [figure_html(name, png, caption) for name, (png, caption) in charts.items()]
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_POLICY}">'
        f"<title>sweep: dualtrack report</title><style>{STYLE}</style></head>"
        "<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
    try:
        (folder / CHARTS_FOLDER).mkdir(exist_ok=True)
        for name, (png, _) in charts.items():
            write_atomic(folder / CHARTS_FOLDER / f"{name}.png", png)
        write_atomic(target, page.encode("utf-8"))
    except OSError as error:
        raise ReportError(f"{folder}: cannot write the report ({error})") from None
    return target
