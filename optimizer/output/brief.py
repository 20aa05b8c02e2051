"""The decision brief: one printable A4 page per comparison, every sentence built from its numbers.

``write_brief(folder)`` reads a folder written by ``dualtrack compare --out`` (or by
``ranges --out`` or ``stress --out``, which write comparisons too) with the report's reader
(``optimizer.output.report.read_folder``) and writes ``brief.html`` into it: the question,
the variants one line each, the headline KPIs, the year each capability requirement is met
under each variant, what each rule costs (with ``--attribute``), and, where the folder has
them, delivery risk and near-optimal ranges. A solve folder is refused: a brief compares.

**One page.** The page is laid out in millimetres for A4 (``@page``). Table rows and
variant lines are one line high (``white-space: nowrap``, long text cut with an ellipsis;
a rule's capability changes may take two lines), table heads have a fixed height, so the
height of each part follows from its rows (``Section``). ``plan_rows`` gives each table
that can be cut the rows that fit ``PAGE_MM``, and a cut table says how many rows it left
out and in which file they are.

The page has no script, no link and no image. ``print_pdf`` prints it with a Chromium or
Chrome found on ``PATH``: no package from the index renders HTML to PDF offline without
system libraries (WeasyPrint needs Pango).
"""

from __future__ import annotations

import html
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from optimizer.output.atomic import write_atomic
from optimizer.output.errors import ReportError
from optimizer.output.kpi_text import kpi_change_text, kpi_value_text
from optimizer.output.report import ResultFolder, read_folder
from optimizer.solve.results import buyer_kpi

BRIEF_FILE = "brief.html"
PDF_FILE = "brief.pdf"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
"""Looked up on ``PATH`` in this order for ``--pdf``."""
PDF_TIMEOUT = 120.0
"""Seconds a browser may take to print the page."""

MAX_VARIANTS = 14
"""Variants shown at most in the variant list and the KPI and capability tables; fewer
when the page could not hold them with a row of every table (``sections``)."""
MIN_ROWS = 3
"""Rows each table that is cut gets before any gets more, when they fit."""
MAX_REPORT_YEARS = 2
"""``gap_<year>`` KPIs of report years shown beside the end year's."""
MAX_RANGE_AXES = 5
"""Columns of the ranges table."""
WIDE_MET_COLUMNS = 8
"""Up to this many variants, an unmet requirement reads "not by <end>"; beyond, "–"."""
NAMES_IN_SENTENCE = 3
"""Names a generated sentence lists before "and N more"."""

# Heights in mm, measured in headless Chromium (tests/test_brief.py prints the fullest pages
# and checks each is one page). The CSS below fixes the line heights they rest on.
PAGE_MM = 277.0 - 3.0
"""A4's 297 mm less the 10 mm margins, less a reserve for rounding."""
LINE_MM = 3.4
"""A line of text (7.5 pt), a variant line, a finding."""
ROW_MM = 3.75
"""A table row: one line and its rule."""
HEAD_MM = 6.8
"""A table head of two lines; the capability table's is ``MET_HEAD_MM``."""
MET_HEAD_MM = 9.4
TABLE_MM = 1.2
"""A table's margins."""
TITLE_MM = 6.8
HEADING_MM = 6.0
"""A section heading with its margins and rule."""
QUESTION_LINE_MM = 4.0
PARAGRAPH_MM = 0.6
"""The space under a paragraph."""
FOOTER_MM = 4.5
CHARS = {"text": 130, "question": 90, "changes": 0.62}
"""Characters per line of a paragraph and of the question (rounded down, so that a
paragraph is never longer than estimated); for a rule's capability changes, per mm."""

HEADLINE_LABELS = {
    "weighted_gap": "weighted gap",
    "total_spend": "total spend",
    "spend_share.eu": "EU share of spend",
    "spend_share.US": "US share of spend",
    "eu_content_share": "EU content",
    "investment": "investment",
}
"""The headline KPIs after the ``gap_<year>`` ones, and their column labels."""
FINDINGS = ("weighted_gap", "total_spend", "spend_share.eu")
"""KPIs with a sentence each on their lowest and highest variant."""
ATTRIBUTED = ("weighted_gap", "total_spend", "spend_share.eu")
"""KPI changes shown per rule, with the end year's gap after the first."""
RULE_WIDTHS = (26.0, 10.0)
"""Per cent of the width: the rule column, and each KPI column; the changes get the rest."""
RISK_COLUMNS = {
    "plan_weighted_gap": "weighted gap as planned",
    "weighted_gap_p10": "P10 under the draws",
    "weighted_gap_p50": "median",
    "weighted_gap_p90": "P90",
    "overspend_mean": "mean overspend",
    "overspend_p90": "P90 overspend",
}
SOLVED = ("optimal", "feasible-at-limit")
"""Statuses with a plan."""


# Reading ------------------------------------------------------------------------------------


def read_comparison(folder: Path) -> ResultFolder:
    """A comparison folder as the report reads it; a solve folder is refused.

    Raises:
        ReportError: not a result folder, or a solve folder (one variant, nothing to compare).
    """
    data = read_folder(Path(folder))
    if data.kind != "comparison":
        raise ReportError(
            f"{folder}: a solve folder, and a brief compares variants: write a comparison with "
            "`dualtrack compare SCENARIO --out DIR --brief`"
        )
    return data


def reference(data: ResultFolder) -> str:
    """The variant the others are set against: ``baseline`` when compared, else the first."""
    return "baseline" if "baseline" in data.variants else data.variants[0]


def headline_kpis(data: ResultFolder) -> list[str]:
    """The KPIs of the headline table, in column order: those the folder has."""
    end = data.years[-1] if data.years else None
    report_years = sorted({int(y) for y in data.scenario.get("report_years", [])} - {end})
    gaps = [f"gap_{y}" for y in report_years[:MAX_REPORT_YEARS]] + [f"gap_{end}"]
    wanted = ["weighted_gap", *gaps, *list(HEADLINE_LABELS)[1:]]
    return [k for k in wanted if k in data.kpis.index]


def headline_label(name: str) -> str:
    """A KPI's short label: ``weighted gap``, ``gap in 2030``, ``EU share of spend``."""
    if name.startswith("gap_"):
        return f"gap in {name[4:]}"
    if name in HEADLINE_LABELS:
        return HEADLINE_LABELS[name]  # money's unit is in the context line
    if name.startswith("spend_share."):
        return f"{name.removeprefix('spend_share.')} share of spend"
    return "system types" if name == "n_system_types" else name.replace("_", " ")


def capability_order(data: ResultFolder, variants: list[str]) -> list[str]:
    """Capabilities with a first-met KPI, by weighted gap summed over the variants, largest first.

    The gap share of a year is the gap over the requirement, buyers added up; the sum runs
    over the horizon's years (not the tail), as for ``weighted_gap``.
    """
    end = data.years[-1] if data.years else math.inf
    weights = {c["id"]: float(c.get("weight", 1.0)) for c in data.scenario.get("capabilities", [])}
    caps = data.capabilities
    rows = caps[caps["variant"].isin(variants) & (caps["year"] <= end)]
    summed = rows.groupby(["capability", "variant", "year"])[["requirement", "level"]].sum()
    gap = (summed["requirement"] - summed["level"]).clip(lower=0)
    share = (gap / summed["requirement"].where(summed["requirement"] > 0)).fillna(0.0)
    totals = share.groupby("capability").sum()
    known = [c for c in data.names("capabilities") if f"first_met.{c}" in data.kpis.index]
    weighted = {c: weights.get(c, 1.0) * float(totals.get(c, 0.0)) for c in known}
    return sorted(known, key=lambda c: -weighted[c])  # stable: ties keep the scenario's order


def _attributed(data: ResultFolder) -> list[str]:
    """The attribution KPIs the brief shows, those the table has."""
    end = f"gap_{data.years[-1]}" if data.years else ""
    wanted = [ATTRIBUTED[0], end, *ATTRIBUTED[1:]]
    return [c for c in wanted if data.attribution is not None and c in data.attribution]


def changing_rules(data: ResultFolder) -> pd.DataFrame:
    """Attribution rows that change something shown, or have no plan; largest gap change first.

    A rule whose every shown change reads "0" is left out (a sentence names it).
    """
    table = data.attribution
    if table is None or table.empty:
        return pd.DataFrame()
    shown = _attributed(data) + [c for c in table.columns if c.startswith("first_met.")]
    changes = table.apply(
        lambda row: any(kpi_change_text(k, float(row[k])) != "0" for k in shown), axis=1
    )
    statuses = [table[c] for c in ("status", "status_without") if c in table]
    unsolved = pd.Series(False, index=table.index)
    for status in statuses:
        unsolved |= ~status.isin(SOLVED)
    changing = table[changes | unsolved]
    size = changing["weighted_gap"].abs() if "weighted_gap" in changing else None
    if size is None:
        return changing
    return changing.loc[size.sort_values(ascending=False, na_position="first").index]


# Sentences ----------------------------------------------------------------------------------


def _names(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``, or ``a, b, c and 2 more``."""
    if len(names) > NAMES_IN_SENTENCE:
        return ", ".join(names[:NAMES_IN_SENTENCE]) + f" and {len(names) - NAMES_IN_SENTENCE} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _first_sentence(text: str) -> str:
    """The text up to its first full stop (a description's gist), whitespace collapsed."""
    text = " ".join(str(text).split())
    cut = text.find(". ")
    return text if cut < 0 else text[: cut + 1]


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def question_text(data: ResultFolder) -> str:
    """The question the comparison answers, from the scenario's name, horizon and variants."""
    name = str(data.manifest.get("scenario") or data.scenario.get("name", "the scenario"))
    years = f", {data.years[0]}–{data.years[-1]}" if data.years else ""
    ref = reference(data)
    others = [v for v in data.variants if v != ref]
    if not others:
        return f"What does {ref} deliver in capability, money and years for {name}{years}?"
    rules = data.attribution is not None and not data.attribution.empty
    costs = ", and what does each rule cost" if rules else ""
    which = f"does {others[0]}" if len(others) == 1 else f"do the {len(others)} variants"
    return (
        f"What {which} of {name} change in capability, money and years against {ref}{years}{costs}?"
    )


def context_text(data: ResultFolder) -> str:
    """The plans, their statuses and money unit, then the scenario's gist (first sentence)."""
    gist = _first_sentence(data.scenario.get("description", ""))
    created = str(data.manifest.get("created", ""))[:10]
    solved = f", solved {created}" if created else ""
    statuses = [str(data.statuses.get(v, {}).get("status") or "unknown") for v in data.variants]
    counts = {s: statuses.count(s) for s in dict.fromkeys(statuses)}
    how = (
        f"all {next(iter(counts))}"
        if len(counts) == 1
        else ", ".join(f"{n} {status}" for status, n in counts.items())
    )
    plans = f"{len(data.variants)} plans compared ({how}){solved}; money in {data.money}."
    return f"{plans} {gist}".strip()  # the generated part first: a clamp cuts the end


def finding_text(name: str, data: ResultFolder, variants: list[str]) -> str:
    """Where a KPI is lowest and highest, at the precision the table shows."""
    label = _upper_first(headline_label(name))
    values = {v: float(data.kpis.at[name, v]) for v in variants}
    shown = {v: kpi_value_text(name, x) for v, x in values.items()}
    ranked = sorted((v for v in variants if not math.isnan(values[v])), key=values.__getitem__)
    if not ranked:
        return f"{label}: no variant has a plan."
    low, high = shown[ranked[0]], shown[ranked[-1]]
    if low == high:
        return f"{label}: {low} in every variant with a plan."
    lowest = [v for v in ranked if shown[v] == low]
    highest = [v for v in ranked if shown[v] == high]
    ref = reference(data)
    against = f"; {ref} {shown[ref]}" if ref in shown and ref not in lowest + highest else ""
    return f"{label}: lowest {low} ({_names(lowest)}), highest {high} ({_names(highest)}){against}."


def met_summary_text(data: ResultFolder, variants: list[str], capabilities: list[str]) -> str:
    """How many requirements each variant meets by the end: the reference's and the most."""
    end, ref = data.years[-1], reference(data)
    met = {
        v: sum(not math.isnan(float(data.kpis.at[f"first_met.{c}", v])) for c in capabilities)
        for v in variants
    }
    most, count = max(met.values()), len(capabilities)
    if most == 0:
        which = "the requirement" if count == 1 else f"any of the {count} requirements"
        return f"No variant meets {which} by {end}."
    leaders = [v for v in variants if met[v] == most]
    plural = "s" if count > 1 else ""
    of = f"{met[ref]} of {count} requirement{plural} met by {end} in {ref}; " if ref in met else ""
    return f"{of}most met: {most} ({_names(leaders)})."


def risk_text(data: ResultFolder) -> str:
    """The draws the plans were replayed under, and the variant whose median gap rises most."""
    summary = data.stress["stress_summary"] if data.stress else pd.DataFrame()
    about = data.manifest.get("stress", {})
    samples, seed = about.get("samples"), about.get("seed")
    draws = f"{samples:,} draws" if isinstance(samples, int) else "draws"
    seeded = f" (seed {seed})" if seed is not None else ""
    text = (
        f"Each plan held fixed and replayed under {draws} of the scenario's uncertainty list"
        f"{seeded}: its weighted gap, and the money it would need beyond its budgets "
        f"({data.money})."
    )
    return text + _largest_rise(summary)


def _largest_rise(summary: pd.DataFrame) -> str:
    """The variant whose weighted gap rises most from its plan, at the median or else at P90.

    "" when no rise shows at the precision of the table.
    """
    if "plan_weighted_gap" not in summary or summary.empty:
        return ""
    for column, label in (("weighted_gap_p50", "median"), ("weighted_gap_p90", "P90")):
        if column not in summary or summary[column].isna().all():
            continue
        top = summary.loc[(summary[column] - summary["plan_weighted_gap"]).idxmax()]
        planned, drawn = (
            kpi_value_text("weighted_gap", float(top[c])) for c in ("plan_weighted_gap", column)
        )
        if planned != drawn:
            return (
                f" The {label} weighted gap rises most for {top['variant']}: "
                f"{planned} as planned, {drawn} under the draws."
            )
    return ""


def ranges_text(data: ResultFolder, variants: int, axes: int) -> str:
    """What the ranges are: the slack and the number of variants and KPIs."""
    slack = data.manifest.get("ranges", {})
    within = f"{float(slack.get('slack', 0)):.1%}"
    if float(slack.get("abs_slack", 0) or 0):
        within += f" + {float(slack['abs_slack']):g}"
    return (
        f"Over every plan that keeps a variant's rules with a weighted gap within {within} of "
        f"its best, each KPI lies between these ends ({variants} variants, {axes} KPIs)."
    )


# HTML pieces --------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _head(label: str, attributes: str = "", css: str = "") -> str:
    """A column head; its text sits in a box of fixed height, so the head's height is known."""
    cls = f' class="{css}"' if css else ""
    return f'<th{cls}{attributes}><div class="head">{_e(label)}</div></th>'


def _table(css: str, widths: list[float], head: list[str], rows: list[str]) -> str:
    columns = "".join(f'<col style="width:{w:.2f}%">' for w in widths)
    return (
        f'<table class="{css}"><colgroup>{columns}</colgroup><thead><tr>{"".join(head)}'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _more(count: int, what: str, where: str) -> str:
    """The line a cut table ends with: what it left out and where it is."""
    return f'<p class="more">… and {count} more {_e(what)} ({_e(where)}).</p>' if count else ""


def _cut_table(
    heading: str,
    intro: str,
    table: tuple[str, list[float], list[str], list[str]],
    left_out: tuple[str, str],
    note: str = "",
) -> Callable[[int], str]:
    """A cut section's HTML: ``render(limit)`` shows the first ``limit`` rows.

    ``table`` is (css, widths, head, rows); the line under it names what was ``left_out``
    (what, which file); ``note`` follows.
    """
    css, widths, head, rows = table

    def render(limit: int) -> str:
        shown = _table(css, widths, head, rows[:limit]) if limit else ""
        more = _more(len(rows) - limit, *left_out)
        after = f"<p>{_e(note)}</p>" if note else ""
        return f"{heading}<p>{_e(intro)}</p>{shown}{more}{after}"

    return render


def _paragraph_mm(text: str, kind: str = "text", most: int = 99) -> float:
    """A paragraph's height: its lines (at most ``most``) and the space under it."""
    line = QUESTION_LINE_MM if kind == "question" else LINE_MM
    return min(math.ceil(len(text) / CHARS[kind]), most) * line + PARAGRAPH_MM


# Sections -----------------------------------------------------------------------------------


@dataclass
class Section:
    """A part of the page: its height without its rows, each row's height, and its HTML."""

    fixed_mm: float
    render: Callable[[int], str]
    """The HTML with the first ``n`` rows (all when the section has no rows)."""
    rows_mm: list[float] = field(default_factory=list)
    """Heights of the rows that may be cut; empty for a part that is never cut."""


def _fixed(html_text: str, height: float) -> Section:
    return Section(height, lambda _: html_text)


def head_section(data: ResultFolder, variants: list[str]) -> Section:
    """Title, question, context and one finding per headline KPI."""
    title = str(data.manifest.get("scenario") or data.scenario.get("name", "dualtrack"))
    findings = [finding_text(k, data, variants) for k in FINDINGS if k in data.kpis.index]
    question, context = question_text(data), context_text(data)
    text = (
        f"<h1>{_e(title)}: decision brief</h1>"
        f'<p class="question">{_e(question)}</p><p class="clamp">{_e(context)}</p>'
        f'<ul class="findings">{"".join(f"<li>{_e(f)}</li>" for f in findings)}</ul>'
    )
    height = (
        TITLE_MM
        + _paragraph_mm(question, "question")
        + _paragraph_mm(context, most=2)
        + LINE_MM * len(findings)
    )
    return _fixed(text, height)


def variants_section(data: ResultFolder, variants: list[str]) -> Section:
    """One line per variant: its name, status, and its description's first sentence."""
    described = data.scenario.get("variants", {})
    css = {"feasible-at-limit": "warning", "infeasible": "failed", "error": "failed"}
    lines = []
    for variant in variants:
        status = data.statuses.get(variant, {})
        said = ""  # "optimal" is said once for all in the context line
        if status.get("status") != "optimal":
            said = f' (<span class="{css.get(status.get("status"), "status")}">'
            said += f"{_e(short_status(status))}</span>)"
        description = described.get(variant, {}).get("description", "")
        if variant == "baseline" and not description:
            description = "the scenario as written"
        lines.append(
            f'<li data-variant="{_e(variant)}"><b>{_e(variant)}</b>{said}: '
            f"{_e(_first_sentence(description))}</li>"
        )
    left_out = len(data.variants) - len(variants)
    text = f'<h2>The variants</h2><ul class="variants">{"".join(lines)}</ul>' + _more(
        left_out, "variants", "kpis.csv"
    )
    return _fixed(text, HEADING_MM + LINE_MM * (len(variants) + (1 if left_out else 0)))


def short_status(status: dict) -> str:
    """A status in a few words: a time limit with its MIP gap, or why there is no plan."""
    code = status.get("status") or "unknown"
    if code == "feasible-at-limit":
        gap = status.get("mip_gap")
        return "time limit: not proven optimal" + (f", MIP gap {gap:.2%}" if gap else "")
    return {"infeasible": "infeasible: no plan", "error": "solver error: no plan"}.get(code, code)


def _value_texts(name: str, variant: str, data: ResultFolder) -> tuple[str, str]:
    """A KPI's value, and its change against the reference ("" when it reads 0)."""
    value = kpi_value_text(name, float(data.kpis.at[name, variant]))
    change = ""
    if variant != reference(data) and data.diff is not None and name in data.diff.index:
        change = kpi_change_text(name, float(data.diff.at[name, variant]))
    return value, "" if change in ("0", "–") else change


def _value_cell(name: str, texts: tuple[str, str]) -> str:
    value, change = texts
    text = f'<span class="value">{_e(value)}</span>'
    if change:
        text += f' <span class="change">{_e(change)}</span>'
    return f'<td class="number" data-kpi="{_e(name)}">{text}</td>'


def kpi_section(data: ResultFolder, variants: list[str]) -> Section:
    """The headline KPIs: a row per variant, each value with its change against the reference."""
    names = headline_kpis(data)
    head = [_head("variant")] + [
        _head(headline_label(n), f' data-kpi="{_e(n)}"', "number") for n in names
    ]
    texts = {(n, v): _value_texts(n, v, data) for n in names for v in variants}
    rows = [
        f'<tr data-variant="{_e(v)}"><td><b>{_e(v)}</b></td>'
        + "".join(_value_cell(n, texts[n, v]) for n in names)
        + "</tr>"
        for v in variants
    ]
    # each column as wide as its widest value and change (in a smaller font), or its head
    need = [
        max(
            *(len(a) + 0.85 * len(b) + 2 for a, b in (texts[n, v] for v in variants)),
            len(headline_label(n)) / 2 + 2,  # a head has two lines
            max(map(len, headline_label(n).split())) + 2,
        )
        for n in names
    ]
    widths = [16.0] + [84.0 * k / max(sum(need), 1.0) for k in need]
    years = f" over {data.years[0]}–{data.years[-1]}" if data.years else ""
    scope = "; all buyers together" if data.buyers else ""
    note = (
        f"Small figures: the change against {reference(data)}{scope}. Weighted gap: the sum "
        f"of weight × gap share{years}; gap in a year: the average share of the requirements "
        "unmet that year."
    )
    text = (
        "<h2>Headline figures</h2>"
        + _table("kpis", widths, head, rows)
        + f'<p class="note">{_e(note)}</p>'
    )
    height = HEADING_MM + TABLE_MM + HEAD_MM + ROW_MM * len(variants) + _paragraph_mm(note)
    return _fixed(text, height)


def _met_cell(capability: str, variant: str, data: ResultFolder, unmet: str) -> str:
    """The first-met year, green when earlier than the reference's, red when later."""
    if data.statuses.get(variant, {}).get("status") not in SOLVED:
        return f'<td class="met" data-variant="{_e(variant)}">no plan</td>'
    value = float(data.kpis.at[f"first_met.{capability}", variant])
    base = float(data.kpis.at[f"first_met.{capability}", reference(data)])
    never, base_never = math.isnan(value), math.isnan(base)
    later = (never and not base_never) or (not never and not base_never and value > base)
    earlier = (base_never and not never) or (not never and not base_never and value < base)
    css = " later" if later else " earlier" if earlier else ""
    text = unmet if never else f"{value:.0f}"
    return f'<td class="met{css}" data-variant="{_e(variant)}">{_e(text)}</td>'


def capabilities_section(data: ResultFolder, variants: list[str]) -> Section:
    """The year from which each requirement is met to the horizon's end, by variant.

    Capabilities met from the first year in every variant are named in a sentence; the
    others are rows, the largest weighted gap first.
    """
    heading = "<h2>When each capability requirement is met</h2>"
    ordered = capability_order(data, variants)
    if not data.years or not ordered:
        text = "No first-met years in this comparison."
        return _fixed(f"{heading}<p>{_e(text)}</p>", HEADING_MM + _paragraph_mm(text))
    start, end, ref = data.years[0], data.years[-1], reference(data)
    names = data.names("capabilities")
    always = [
        c for c in ordered if all(data.kpis.at[f"first_met.{c}", v] == start for v in variants)
    ]
    listed = [c for c in ordered if c not in always]
    unmet = f"not by {end}" if len(variants) <= WIDE_MET_COLUMNS else "–"
    legend = "" if len(variants) <= WIDE_MET_COLUMNS else f" –: not met by {end}."
    intro = (
        met_summary_text(data, variants, ordered)
        + f" The year from which each is met to {end}; earlier than {ref} in green, later in "
        f"red.{legend}"
    )
    always_text = (
        f"Met from {start} in every variant: {_names([names.get(c, c) for c in always])}."
        if always
        else ""
    )
    head = [_head("capability")] + [_head(v, f' data-variant="{_e(v)}"') for v in variants]
    rows = [
        f'<tr data-capability="{_e(c)}"><td>{_e(names.get(c, c))}</td>'
        + "".join(_met_cell(c, v, data, unmet) for v in variants)
        + "</tr>"
        for c in listed
    ]
    names_width = min(40.0, max(18.0, 100.0 - 9.0 * len(variants)))  # the rest: the years
    widths = [names_width] + [(100.0 - names_width) / len(variants)] * len(variants)

    render = _cut_table(
        heading,
        intro,
        ("met", widths, head, rows),
        ("capabilities, with smaller gaps", "kpis.csv"),
        always_text,
    )

    fixed = HEADING_MM + _paragraph_mm(intro) + (_paragraph_mm(always_text) if always else 0)
    fixed += TABLE_MM + MET_HEAD_MM + LINE_MM if rows else 0  # the line: "and N more"
    return Section(fixed, render, [ROW_MM] * len(rows))


def _rule_name(row: pd.Series) -> str:
    of = f"{row['variant']}: " if "variant" in row.index else ""
    return f"{of}{row['rule']} ({row['type']})"


def _met_changes(row: pd.Series, data: ResultFolder) -> str:
    """The first-met years a rule moves: ``Tanks +3 years, Air defence never met``.

    All buyers' together first, by capability name; then each buyer's, as ``pl ammo +1 years``.
    """
    names = data.names("capabilities")
    together, by_buyer = [], []
    for column in (str(k) for k in row.index if str(k).startswith("first_met.")):
        change = kpi_change_text(column, float(row[column]))
        if change in ("0", "–"):
            continue
        kpi, buyer = buyer_kpi(column, data.buyers)
        capability = kpi.removeprefix("first_met.")
        if buyer is None:
            together.append(f"{names.get(capability, capability)} {change}")
        else:
            by_buyer.append(f"{buyer} {capability} {change}")
    return ", ".join(together + by_buyer) or "none"


def _unsolved_text(row: pd.Series) -> str:
    """Why a rule's changes are missing: ``infeasible with it``; "" when both solves have a plan."""
    for column, when in (("status", "with it"), ("status_without", "without it")):
        status = row.get(column, "optimal")
        if status not in SOLVED:
            return f"{status} {when}: no plan to compare"
    return ""


def attribution_section(data: ResultFolder) -> Section:
    """What each rule costs: with the rule minus without it, the largest gap change first."""
    heading = "<h2>What each rule costs</h2>"
    table = data.attribution
    if table is None or table.empty:
        text = (
            f"What each rule costs was not computed: {data.path.name} has no attribution.csv "
            "(compare with --attribute)."
        )
        return _fixed(f"{heading}<p>{_e(text)}</p>", HEADING_MM + _paragraph_mm(text))
    kpis = _attributed(data)
    changing = changing_rules(data)
    quiet = table.drop(index=changing.index)
    variants = list(dict.fromkeys(table["variant"])) if "variant" in table else []
    where = f" of {_names(variants)}" if variants else ""
    intro = (
        f"Each of the {len(table)} enabled rules{where} switched off in turn and solved again: "
        "the value with the rule minus the value without it; first-met years that move."
    )
    quiet_text = (
        f"No change at this precision: {_names([_rule_name(r) for _, r in quiet.iterrows()])}."
        if len(quiet)
        else ""
    )
    rule_width, kpi_width = RULE_WIDTHS
    changes_width = 100.0 - rule_width - kpi_width * len(kpis)
    head = (
        [_head("rule (type)")]
        + [_head(f"Δ {headline_label(k)}", f' data-kpi="{_e(k)}"', "number") for k in kpis]
        + [_head("requirements met later (+) or sooner (−)")]
    )
    rows, heights = [], []
    for _, row in changing.iterrows():
        moved = _unsolved_text(row) or _met_changes(row, data)
        cells = [f"<td>{_e(_rule_name(row))}</td>"] + [
            f'<td class="number" data-kpi="{_e(k)}">{_e(kpi_change_text(k, float(row[k])))}</td>'
            for k in kpis
        ]
        cells.append(f'<td class="wrap"><div class="clamp">{_e(moved)}</div></td>')
        rows.append(f'<tr data-rule="{_e(row["rule"])}">{"".join(cells)}</tr>')
        one_line = len(moved) <= CHARS["changes"] * changes_width * 1.9  # 190 mm / 100 %
        heights.append(ROW_MM if one_line else ROW_MM + LINE_MM)
    widths = [rule_width] + [kpi_width] * len(kpis) + [changes_width]

    render = _cut_table(
        heading,
        intro,
        ("rules", widths, head, rows),
        ("rules, with smaller changes", "attribution.csv"),
        quiet_text,
    )

    fixed = HEADING_MM + _paragraph_mm(intro) + (_paragraph_mm(quiet_text) if quiet_text else 0)
    fixed += TABLE_MM + HEAD_MM + LINE_MM if rows else 0
    return Section(fixed, render, heights)


def risk_section(data: ResultFolder) -> Section | None:
    """Delivery risk: each plan's weighted gap and overspend under the draws; None without."""
    if data.stress is None:
        return None
    summary = data.stress["stress_summary"]
    columns = [c for c in RISK_COLUMNS if c in summary.columns]
    intro = risk_text(data)

    def cell(column: str, value: float) -> str:
        kind = "total_spend" if column.startswith("overspend") else "weighted_gap"
        return f'<td class="number" data-kpi="{_e(column)}">{_e(kpi_value_text(kind, value))}</td>'

    head = [_head("variant")] + [_head(RISK_COLUMNS[c], css="number") for c in columns]
    rows = [
        f'<tr data-variant="{_e(row["variant"])}"><td><b>{_e(row["variant"])}</b></td>'
        + "".join(cell(c, float(row[c])) for c in columns)
        + "</tr>"
        for _, row in summary.iterrows()
    ]
    widths = [16.0] + [84.0 / max(len(columns), 1)] * len(columns)

    table = ("risk", widths, head, rows)
    render = _cut_table("<h2>Delivery risk</h2>", intro, table, ("variants", "stress_summary.csv"))

    fixed = HEADING_MM + _paragraph_mm(intro) + TABLE_MM + HEAD_MM + LINE_MM
    return Section(fixed, render, [ROW_MM] * len(rows))


def ranges_section(data: ResultFolder) -> Section | None:
    """Near-optimal ranges: each KPI's min – max over the plans almost as good; None without."""
    table = data.ranges
    if table is None or table.empty:
        return None
    axes = list(dict.fromkeys(table["axis"]))[:MAX_RANGE_AXES]
    variants = [v for v in data.variants if v in set(table["variant"])]
    ends = table.set_index(["variant", "axis"])
    intro = ranges_text(data, len(variants), len(axes))

    def cell(variant: str, axis: str) -> str:
        if (variant, axis) not in ends.index:
            return "<td>–</td>"
        low, high = (
            kpi_value_text(axis, float(ends.at[(variant, axis), c])) for c in ("min", "max")
        )
        return f'<td class="number" data-kpi="{_e(axis)}">{_e(low)} – {_e(high)}</td>'

    head = [_head("variant")] + [
        _head(headline_label(a), f' data-kpi="{_e(a)}"', "number") for a in axes
    ]
    rows = [
        f'<tr data-variant="{_e(v)}"><td><b>{_e(v)}</b></td>'
        + "".join(cell(v, a) for a in axes)
        + "</tr>"
        for v in variants
    ]
    widths = [16.0] + [84.0 / len(axes)] * len(axes)

    table = ("ranges", widths, head, rows)
    render = _cut_table("<h2>Near-optimal ranges</h2>", intro, table, ("variants", "ranges.csv"))

    fixed = HEADING_MM + _paragraph_mm(intro) + TABLE_MM + HEAD_MM + LINE_MM
    return Section(fixed, render, [ROW_MM] * len(rows))


def footer_section(data: ResultFolder) -> Section:
    """Where the numbers come from: the folder, the scenario's hash and the solving version."""
    version = data.manifest.get("versions", {}).get("dualtrack")
    solved = f"; solved with dualtrack {version}" if version else ""
    digest = str(data.manifest.get("scenario_sha256", ""))[:12]
    scenario = f"; scenario sha256 {digest}…" if digest else ""
    text = (
        f"Every figure is read from {data.path.name}/ (kpis.csv, capabilities.csv, "
        f"manifest.json){scenario}{solved}; report.html there has every table and chart."
    )
    return _fixed(f"<footer>{_e(text)}</footer>", FOOTER_MM)


# The page -----------------------------------------------------------------------------------


def plan_rows(rows_mm: list[list[float]], free: float) -> list[int]:
    """How many rows of each table fit in ``free`` mm; the tables in order of priority.

    First the tables take one row each in turn, up to ``MIN_ROWS`` each, while it fits;
    then each in order takes all the rows that fit. Each table's line "and N more" is
    counted in its fixed height, and its last row takes that line's place.
    """
    counts = [0] * len(rows_mm)

    def grow(k: int) -> bool:
        nonlocal free
        rows = rows_mm[k]
        if counts[k] == len(rows):
            return False
        cost = rows[counts[k]] - (LINE_MM if counts[k] + 1 == len(rows) else 0.0)
        if cost > free + 1e-9:  # a sum of mm in floating point: not a real overflow
            return False
        counts[k] += 1
        free -= cost
        return True

    for _ in range(MIN_ROWS):
        for k in range(len(rows_mm)):
            grow(k)
    for k in range(len(rows_mm)):
        while grow(k):
            pass
    return counts


def _fits(parts: list[Section]) -> bool:
    """Whether the parts fit the page with one row of every table."""
    first_rows = sum(part.rows_mm[0] for part in parts if part.rows_mm)
    return sum(part.fixed_mm for part in parts) + first_rows <= PAGE_MM


def sections(data: ResultFolder) -> list[Section]:
    """The page's parts, in order, with as many variants as fit (``MAX_VARIANTS`` at most)."""
    count = min(len(data.variants), MAX_VARIANTS)
    parts = _sections(data, data.variants[:count])
    while count > 1 and not _fits(parts):
        count -= 1
        parts = _sections(data, data.variants[:count])
    return parts


def _sections(data: ResultFolder, variants: list[str]) -> list[Section]:
    parts = [
        head_section(data, variants),
        variants_section(data, variants),
        kpi_section(data, variants),
        capabilities_section(data, variants),
        attribution_section(data),
        risk_section(data),
        ranges_section(data),
        footer_section(data),
    ]
    return [part for part in parts if part is not None]


STYLE = """
@page { size: A4; margin: 10mm; }
* { box-sizing: border-box; }
html { font-size: 7.5pt; }
body { font-family: Arial, "Liberation Sans", Helvetica, "DejaVu Sans", sans-serif;
       color: #111; margin: 0; line-height: 3.4mm;
       -webkit-print-color-adjust: exact; print-color-adjust: exact; }
@media screen { body { width: 190mm; margin: 8mm auto; } }
h1 { font-size: 13pt; line-height: 6mm; margin: 0 0 0.8mm 0; }
h2 { font-size: 8.5pt; line-height: 3.8mm; margin: 1.4mm 0 0.5mm 0;
     border-bottom: 0.2mm solid #999; }
p { margin: 0 0 0.6mm 0; }
p.question { font-size: 9pt; line-height: 4mm; font-weight: bold; }
p.more, p.note { color: #555; }
ul { margin: 0; padding: 0; list-style: none; }
li, td { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
ul.findings li::before { content: "▸ "; }
table { width: 100%; table-layout: fixed; border-collapse: collapse; margin: 0.4mm 0 0.8mm 0; }
th, td { padding: 0 1mm; border-bottom: 0.2mm solid #ddd; text-align: left; height: 3.6mm; }
th { background: #eef0f3; font-weight: bold; vertical-align: bottom; }
th div.head { height: 6.4mm; line-height: 3.2mm; overflow: hidden; display: flex;
              align-items: flex-end; overflow-wrap: anywhere; }
th.number div.head { justify-content: flex-end; text-align: right; }
table.met th div.head { height: 9mm; line-height: 3mm; font-size: 6.5pt; overflow-wrap: anywhere; }
table.met td, table.met th { padding: 0 0.5mm; }
table.met th div.head { justify-content: center; text-align: center; }
table.met th:first-child div.head { justify-content: flex-start; text-align: left; }
td.wrap { white-space: normal; }
.clamp { display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical;
            overflow: hidden; }
.number { text-align: right; font-variant-numeric: tabular-nums; }
td.met { text-align: center; }
.change { color: #555; font-size: 6.5pt; line-height: 1; }
.later { color: #b00020; font-weight: bold; }
.earlier { color: #1b7a36; font-weight: bold; }
.warning { color: #a15c00; font-weight: bold; }
.failed { color: #b00020; font-weight: bold; }
footer { margin-top: 1.5mm; color: #666; font-size: 6.5pt; line-height: 3mm; }
"""
CONTENT_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
"""Nothing may load from anywhere: the page is all there is."""


def brief_html(data: ResultFolder) -> str:
    """The whole brief: one HTML document with inline CSS that prints to one A4 page."""
    parts = sections(data)
    free = PAGE_MM - sum(part.fixed_mm for part in parts)
    cut = [part for part in parts if part.rows_mm]
    limits = dict(zip(map(id, cut), plan_rows([p.rows_mm for p in cut], free), strict=True))
    body = "\n".join(part.render(limits.get(id(part), 0)) for part in parts)
    title = str(data.manifest.get("scenario") or data.scenario.get("name", "dualtrack"))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_POLICY}">'
        f"<title>{_e(title)}: decision brief</title><style>{STYLE}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )


# Writing ------------------------------------------------------------------------------------


def find_browser() -> str | None:
    """The first of ``BROWSERS`` on ``PATH``, or None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(page: Path, target: Path, browser: str) -> None:
    """Print ``page`` to ``target`` (A4, from its ``@page`` rule) with a headless Chromium.

    The browser gets a throw-away profile and prints without header and footer
    (``--no-pdf-header-footer``; older versions read ``--print-to-pdf-no-header``, and
    each ignores the other's flag). The PDF is written elsewhere, then copied beside
    ``page`` under a temporary name and renamed onto ``target``.

    Raises:
        ReportError: the browser failed, timed out or wrote no PDF.
    """
    with tempfile.TemporaryDirectory(prefix="dualtrack-brief-") as scratch:
        printed = Path(scratch) / PDF_FILE
        command = [
            browser,
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-sync",
            f"--user-data-dir={Path(scratch) / 'profile'}",
            f"--print-to-pdf={printed}",
            "--no-pdf-header-footer",
            "--print-to-pdf-no-header",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--no-sandbox")  # Chromium will not start as root with its sandbox
        command.append(page.resolve().as_uri())
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PDF_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise ReportError(f"{browser}: could not print {page} ({error})") from None
        if done.returncode != 0 or not printed.is_file() or printed.read_bytes()[:5] != b"%PDF-":
            said = (done.stderr or "").strip().splitlines()[-1:] or ["no PDF written"]
            raise ReportError(f"{browser}: could not print {page} ({said[0]})")
        write_atomic(target, printed.read_bytes())


def write_brief(folder: Path, force: bool = False, pdf: bool = False) -> Path:
    """Write ``brief.html`` (and with ``pdf``, ``brief.pdf``) into a comparison folder.

    What cannot be done is refused before anything is written: a brief that exists
    without ``force``, ``pdf`` without a browser. Each file goes to a temporary name
    and is renamed into place.

    Args:
        folder: A folder written by ``dualtrack compare --out`` (or ``ranges``/``stress --out``).
        force: Replace an existing ``brief.html`` and ``brief.pdf``.
        pdf: Also print the page to ``brief.pdf`` with Chromium or Chrome from ``PATH``.

    Returns:
        The path of ``brief.html``.

    Raises:
        ReportError: not a comparison folder; a brief exists and ``force`` is false; or
            ``pdf`` and no browser is found, or it fails.
    """
    folder = Path(folder)
    data = read_comparison(folder)
    page, printed = folder / BRIEF_FILE, folder / PDF_FILE
    for target in [page, printed] if pdf else [page]:
        if target.exists() and not force:
            raise ReportError(f"{target}: exists; use --force to replace it")
    browser = find_browser() if pdf else None
    if pdf and browser is None:
        raise ReportError(
            f"--pdf needs Chromium or Chrome on PATH ({', '.join(BROWSERS)}): none found; "
            f"{BRIEF_FILE} prints to one A4 page from any browser's print dialog"
        )
    content = brief_html(data).encode("utf-8")
    try:
        write_atomic(page, content)
    except OSError as error:
        raise ReportError(f"{folder}: cannot write the brief ({error})") from None
    if browser is not None:
        print_pdf(page, printed, browser)
    return page
