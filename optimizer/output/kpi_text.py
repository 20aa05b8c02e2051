"""KPI values and changes as an analyst reads them, for the terminal and the report."""

import math


def kpi_kind(name: str) -> str:
    """How a KPI reads: ``money``, ``share``, ``year``, ``count`` or ``number``.

    A buyer's KPI (``total_spend.pl``, DESIGN §13) reads as the KPI it is one buyer's of.
    """
    stem = name.split(".")[0]
    if stem in ("total_spend", "investment"):
        return "money"
    if stem in ("spend_share", "spend_share_with_pipeline", "eu_content_share") or (
        stem.startswith("gap_")
    ):
        return "share"
    if stem == "first_met":
        return "year"
    if stem == "n_system_types":
        return "count"
    return "number"


def kpi_value_text(name: str, value: float) -> str:
    """A KPI value: money with thousands separators, shares as %, years, or "never"."""
    kind = kpi_kind(name)
    if math.isnan(value):
        return "never" if kind == "year" else "–"
    if kind == "money":
        return f"{value:,.0f}"
    if kind == "share":
        return f"{value:.1%}"
    if kind in ("year", "count"):
        return f"{value:.0f}"
    return f"{value:,.4g}"


def kpi_change_text(name: str, change: float) -> str:
    """A KPI change, signed: shares in percentage points, years, and "never met" for +∞.

    A change that rounds to nothing at the precision shown reads "0", never "-0".
    """
    kind = kpi_kind(name)
    if math.isnan(change):
        return "–"
    if math.isinf(change):
        return "never met" if change > 0 else "met only with it"
    digits = {"share": 1, "number": 4}.get(kind, 0)
    rounded = round(change * 100 if kind == "share" else change, digits) + 0.0
    unit = {"share": " pp", "year": " years"}.get(kind, "")
    if rounded == 0:
        return "0"
    text = f"{rounded:+,.4g}" if kind == "number" else f"{rounded:+,.{digits}f}"
    return text + unit
