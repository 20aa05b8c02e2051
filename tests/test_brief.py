"""The decision brief: one printable page whose numbers are the comparison's.

Comparison folders come from real runs: ``dualtrack compare teaching-155 --attribute --ranges
--brief`` through the command line, a three-year micro scenario whose first-met years differ
between variants (and whose one rule moves one), a stress test of teaching-155, and a
comparison with two buyers. A crowded folder, made from the teaching-155 one by copying its
variants, capabilities and rules until every table must be cut, checks the one-page rule.

The tests parse the page's tables (``html.parser``) and compare each cell with the folder's
CSV tables, formatted as the brief formats them. The browser tests render the page in
Debian's headless Chromium and print it to PDF as ``--pdf`` does; they are skipped only
when Chromium or its driver is missing (CI installs both, see ``.ci/run``).
"""

import json
import re
import shutil
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml
from browser import CHROMIUM, chromium, needs_browser
from conftest import micro
from test_report import buyers_folder, stress_folder
from typer.testing import CliRunner

from optimizer import solve
from optimizer.cli import app
from optimizer.output import write_result
from optimizer.output.brief import LINE_MM, MAX_VARIANTS, plan_rows, print_pdf, write_brief
from optimizer.output.errors import ReportError
from optimizer.output.kpi_text import kpi_change_text, kpi_value_text

TEACHING_HEADLINE = [
    "weighted_gap",
    "gap_2027",
    "gap_2028",
    "total_spend",
    "spend_share.eu",
    "spend_share.US",
    "eu_content_share",
    "investment",
]
A4_POINTS = (595.0, 842.0)

runner = CliRunner()


# Folders -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def teaching(tmp_path_factory) -> Path:
    """`dualtrack compare teaching-155 --attribute --ranges --out DIR --brief`."""
    out = tmp_path_factory.mktemp("teaching") / "cmp"
    args = ["compare", "teaching-155", "--attribute", "--ranges", "--slack", "0.05"]
    result = runner.invoke(app, [*args, "--jobs", "1", "--out", str(out), "--brief"])
    assert result.exit_code == 0, result.output
    assert f"wrote {out / 'brief.html'}" in result.stderr
    return out


def years_doc() -> dict:
    """Three years, three capabilities; the variants move when each requirement is met.

    Air defence (10) is met in 2026 from an EU (4 a year) and a US line (6 a year); without
    US systems (no-us) it takes until 2028. Ammunition is met from the start (initial 5).
    Tanks (100, weight 2) are never met from a line of 1 a year; more-tanks (50 a year) meets
    them in 2027.
    """
    doc = micro(
        years=3,
        capabilities=[
            {"id": "air", "name": "Air defence", "requirement": 10},
            {"id": "ammo", "name": "Ammunition", "requirement": 5, "initial": 5},
            {"id": "tanks", "name": "Tanks", "requirement": 100, "weight": 2},
        ],
        suppliers=[{"id": "eu_maker", "country": "DE"}, {"id": "us_maker", "country": "US"}],
        systems=[
            {"id": "sam", "supplier": "eu_maker", "contributes": {"air": 1}, "capacity": 4},
            {"id": "sam_us", "supplier": "us_maker", "contributes": {"air": 1}, "capacity": 6},
            {"id": "tank", "supplier": "eu_maker", "contributes": {"tanks": 1}, "capacity": 1},
        ],
        rules=[
            {"id": "no_us", "type": "exclude", "enabled": False, "systems": {"countries": ["US"]}}
        ],
    )
    doc["variants"] = {
        "no-us": {
            "description": "No US systems.",
            "patch": {"rules": [{"id": "no_us", "enabled": True}]},
        },
        "more-tanks": {
            "description": "A tank line fifty times larger.",
            "patch": {"systems": [{"id": "tank", "capacity": 50}]},
        },
    }
    return doc


@pytest.fixture(scope="module")
def years(tmp_path_factory) -> Path:
    """`dualtrack compare years.yaml --attribute --out DIR --brief` on ``years_doc``."""
    folder = tmp_path_factory.mktemp("years")
    (folder / "years.yaml").write_text(yaml.safe_dump(years_doc()))
    out = folder / "cmp"
    args = ["compare", str(folder / "years.yaml"), "--attribute", "--jobs", "1"]
    result = runner.invoke(app, [*args, "--out", str(out), "--brief"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def risky(tmp_path_factory) -> Path:
    """`dualtrack stress --out` for teaching-155 with a slip and a price risk, and its brief."""
    folder = stress_folder(None, tmp_path_factory.mktemp("risky") / "stress")
    write_brief(folder)
    return folder


@pytest.fixture(scope="module")
def buyers(tmp_path_factory) -> Path:
    """Two buyers on one line (a gets 10, b 5); the variant's larger line serves both."""
    folder = buyers_folder(None, tmp_path_factory.mktemp("buyers") / "cmp")
    write_brief(folder)
    return folder


CROWDED_VARIANTS = MAX_VARIANTS + 2
CROWDED_CAPABILITIES = 14
CROWDED_RULES = 24


@pytest.fixture(scope="module")
def crowded(teaching, tmp_path_factory) -> Path:
    """The teaching-155 comparison with no-us copied into more variants than a page holds.

    Also ``CROWDED_CAPABILITIES`` copies of the 155 mm capability, met in different years
    by different variants, and ``CROWDED_RULES`` copies of the no_us rule's attribution row
    with growing changes, so that each table has more rows than fit.
    """
    folder = tmp_path_factory.mktemp("crowded") / "cmp"
    shutil.copytree(teaching, folder, ignore=shutil.ignore_patterns("brief.*", "*.parquet"))
    clones = [f"no-us-{k}" for k in range(2, CROWDED_VARIANTS - 1)]
    variants = ["baseline", "safe-65", "no-us", *clones]
    for name in ("kpis", "diff"):
        table = pd.read_csv(folder / f"{name}.csv").set_index("kpi")
        table = table.assign(**{c: table["no-us"] for c in clones})
        for k in range(CROWDED_CAPABILITIES):
            met = [
                2026.0 + (j + k) % 4 if (j + k) % 4 < 3 else float("nan")
                for j in range(len(variants))
            ]
            met = [float("nan") if name == "diff" else m for m in met]  # diff: not read here
            table.loc[f"first_met.copy{k}"] = met
        table.rename_axis("kpi").reset_index().to_csv(folder / f"{name}.csv", index=False)
    capabilities = pd.read_csv(folder / "capabilities.csv")
    copies = [capabilities[capabilities["variant"] == "no-us"].assign(variant=c) for c in clones]
    capabilities = pd.concat([capabilities, *copies])
    ammo = capabilities[capabilities["capability"] == "ammo_155"]
    copies = [ammo.assign(capability=f"copy{k}") for k in range(CROWDED_CAPABILITIES)]
    pd.concat([capabilities, *copies]).to_csv(folder / "capabilities.csv", index=False)
    attribution = pd.read_csv(folder / "attribution.csv")
    no_us = attribution[attribution["rule"] == "no_us"].iloc[0]
    rows = [no_us.copy() for _ in range(CROWDED_RULES)]
    for k, row in enumerate(rows):
        row["rule"], row["weighted_gap"] = f"no_us_{k}", 0.01 * (k + 1)
    pd.DataFrame(rows).to_csv(folder / "attribution.csv", index=False)
    scenario = json.loads((folder / "scenario.json").read_text())
    ammo_item = next(c for c in scenario["capabilities"] if c["id"] == "ammo_155")
    scenario["capabilities"] += [
        {**ammo_item, "id": f"copy{k}", "name": f"Capability copy {k}"}
        for k in range(CROWDED_CAPABILITIES)
    ]
    scenario["variants"].update({c: scenario["variants"]["no-us"] for c in clones})
    (folder / "scenario.json").write_text(json.dumps(scenario))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["variants"] = variants
    manifest["statuses"].update({c: manifest["statuses"]["no-us"] for c in clones})
    (folder / "manifest.json").write_text(json.dumps(manifest))
    write_brief(folder)
    return folder


# Reading the page ----------------------------------------------------------------------------


class Page(HTMLParser):
    """The page's tags, its text, and its tables: rows of cells with their text and spans."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.tables: dict[str, list[dict]] = {}
        self.text: list[str] = []
        self._table = self._row = self._cell = self._span = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "table":
            self._table = self.tables.setdefault(attributes.get("class", ""), [])
        elif tag == "tr" and self._table is not None:
            self._row = {"attrs": attributes, "cells": []}
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = {"attrs": attributes, "tag": tag, "text": "", "spans": {}}
            self._row["cells"].append(self._cell)
        elif tag == "span" and self._cell is not None:
            self._span = attributes.get("class", "")
            self._cell["spans"][self._span] = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "tr":
            self._row = None
        elif tag in ("td", "th"):
            self._cell = None
        elif tag == "span":
            self._span = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell["text"] += data
            if self._span is not None:
                self._cell["spans"][self._span] += data

    def body_rows(self, table: str) -> list[dict]:
        """The rows of a table that hold cells (not its head)."""
        return [r for r in self.tables.get(table, []) if r["cells"][0]["tag"] == "td"]

    def sentences(self) -> str:
        """The page's text as it reads: inline pieces joined, whitespace collapsed."""
        return " ".join("".join(self.text).split())


def read_page(folder: Path) -> Page:
    page = Page()
    page.feed((folder / "brief.html").read_text(encoding="utf-8"))
    return page


def csv(folder: Path, name: str, index: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype={"variant": str}).set_index(index)


def cells_by_kpi(row: dict) -> dict[str, dict]:
    return {c["attrs"]["data-kpi"]: c for c in row["cells"] if "data-kpi" in c["attrs"]}


def pages_of(pdf: bytes) -> int:
    """Page objects in a PDF (``/Type /Page``, not the ``/Pages`` tree)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


# The numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["teaching", "years", "buyers"])
def test_headline_figures_equal_the_comparisons(name, request):
    folder = request.getfixturevalue(name)
    kpis, diff = csv(folder, "kpis", "kpi"), csv(folder, "diff", "kpi")
    rows = read_page(folder).body_rows("kpis")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [r["attrs"]["data-variant"] for r in rows] == manifest["variants"]
    for row in rows:
        variant = row["attrs"]["data-variant"]
        assert row["cells"][0]["text"] == variant
        for kpi, cell in cells_by_kpi(row).items():
            assert cell["spans"]["value"] == kpi_value_text(kpi, kpis.at[kpi, variant])
            change = kpi_change_text(kpi, diff.at[kpi, variant])
            shown = variant != "baseline" and change not in ("0", "–")
            assert cell["spans"].get("change") == (change if shown else None)
    if name == "teaching":
        assert list(cells_by_kpi(rows[0])) == TEACHING_HEADLINE


def test_first_met_years_equal_the_comparisons(years):
    kpis = csv(years, "kpis", "kpi")
    page = read_page(years)
    rows = page.body_rows("met")
    # tanks (weight 2, never met in two variants) has the larger weighted gap: first
    assert [r["attrs"]["data-capability"] for r in rows] == ["tanks", "air"]
    shown = {
        (r["attrs"]["data-capability"], c["attrs"]["data-variant"]): c
        for r in rows
        for c in r["cells"][1:]
    }
    for (capability, variant), cell in shown.items():
        year = kpis.at[f"first_met.{capability}", variant]
        assert cell["text"] == ("not by 2028" if pd.isna(year) else f"{year:.0f}")
    assert [shown["air", v]["text"] for v in ("baseline", "no-us", "more-tanks")] == [
        "2026",
        "2028",
        "2026",
    ]
    assert "later" in shown["air", "no-us"]["attrs"]["class"]
    assert "earlier" in shown["tanks", "more-tanks"]["attrs"]["class"]
    assert "Met from 2026 in every variant: Ammunition." in page.sentences()
    assert "2 of 3 requirements met by 2028 in baseline; most met: 3 (more-tanks)." in (
        page.sentences()
    )


def test_findings_name_the_lowest_and_highest_variant(years):
    kpis = csv(years, "kpis", "kpi")
    gap = {v: kpi_value_text("weighted_gap", kpis.at["weighted_gap", v]) for v in kpis}
    expected = (
        f"Weighted gap: lowest {gap['more-tanks']} (more-tanks), highest {gap['no-us']} "
        f"(no-us); baseline {gap['baseline']}."
    )
    assert expected in read_page(years).sentences()


def test_the_sentences_follow_the_numbers(years, tmp_path):
    # the same folder with another number: the brief's sentence changes with it
    folder = tmp_path / "cmp"
    shutil.copytree(years, folder)
    kpis = csv(folder, "kpis", "kpi")
    kpis.loc["weighted_gap", "no-us"] = 12.5
    kpis.reset_index().to_csv(folder / "kpis.csv", index=False)
    write_brief(folder, force=True)
    assert "highest 12.5 (no-us)" in read_page(folder).sentences()


def test_rule_costs_equal_the_attribution(teaching, years):
    for folder in (teaching, years):
        attribution = pd.read_csv(folder / "attribution.csv").set_index("rule")
        rows = read_page(folder).body_rows("rules")
        assert rows, folder
        for row in rows:
            rule = row["attrs"]["data-rule"]
            for kpi, cell in cells_by_kpi(row).items():
                assert cell["text"] == kpi_change_text(kpi, attribution.at[rule, kpi])
    years_rules = {r["attrs"]["data-rule"]: r for r in read_page(years).body_rows("rules")}
    assert years_rules["no_us"]["cells"][-1]["text"] == "Air defence +2 years"
    # teaching-155's content65 changes nothing at the precision shown: named in a sentence
    page = read_page(teaching)
    assert [r["attrs"]["data-rule"] for r in page.body_rows("rules")] == ["no_us"]
    assert "No change at this precision: safe-65: content65 (share)." in page.sentences()


def test_without_attribute_the_brief_says_rule_costs_were_not_computed(buyers):
    page = read_page(buyers)
    assert "rules" not in page.tables
    assert "What each rule costs was not computed: cmp has no attribution.csv" in (page.sentences())


def test_delivery_risk_equals_the_stress_summary(risky, teaching):
    summary = csv(risky, "stress_summary", "variant")
    page = read_page(risky)
    rows = page.body_rows("risk")
    assert [r["attrs"]["data-variant"] for r in rows] == ["baseline", "no-us"]
    for row in rows:
        for column, cell in cells_by_kpi(row).items():
            kind = "total_spend" if column.startswith("overspend") else "weighted_gap"
            value = summary.at[row["attrs"]["data-variant"], column]
            assert cell["text"] == kpi_value_text(kind, value)
    assert "under 200 draws of the scenario's uncertainty list (seed 0)" in page.sentences()
    assert "Delivery risk" not in read_page(teaching).sentences()  # only where present


def test_near_optimal_ranges_equal_the_ranges_table(teaching, years):
    ranges = pd.read_csv(teaching / "ranges.csv").set_index(["variant", "axis"])
    page = read_page(teaching)
    rows = page.body_rows("ranges")
    assert [r["attrs"]["data-variant"] for r in rows] == ["baseline", "safe-65", "no-us"]
    for row in rows:
        for axis, cell in cells_by_kpi(row).items():
            ends = ranges.loc[(row["attrs"]["data-variant"], axis)]
            low, high = (kpi_value_text(axis, ends[c]) for c in ("min", "max"))
            assert cell["text"] == f"{low} – {high}"
    assert "with a weighted gap within 5.0% of its best" in page.sentences()
    assert "Near-optimal ranges" not in read_page(years).sentences()


def test_a_variant_without_a_plan_says_so(years, tmp_path):
    # the years comparison with no-us made infeasible, as compare writes a variant without a plan
    folder = tmp_path / "cmp"
    shutil.copytree(years, folder)
    for name in ("kpis", "diff"):
        table = csv(folder, name, "kpi")
        table["no-us"] = float("nan")
        table.reset_index().to_csv(folder / f"{name}.csv", index=False)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["statuses"]["no-us"] = {"status": "infeasible", "objective": None, "mip_gap": None}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    attribution = pd.read_csv(folder / "attribution.csv")
    attribution["status"] = "infeasible"
    attribution.to_csv(folder / "attribution.csv", index=False)
    write_brief(folder, force=True)
    page = read_page(folder)
    text = page.sentences()
    assert "3 plans compared (2 optimal, 1 infeasible)" in text
    assert "no-us (infeasible: no plan): No US systems." in text
    no_us = {r["attrs"]["data-variant"]: r for r in page.body_rows("kpis")}["no-us"]
    assert {c["spans"]["value"] for c in cells_by_kpi(no_us).values()} == {"–"}
    met = [c for r in page.body_rows("met") for c in r["cells"][1:]]
    assert {c["text"] for c in met if c["attrs"]["data-variant"] == "no-us"} == {"no plan"}
    rule = page.body_rows("rules")[0]
    assert rule["cells"][-1]["text"] == "infeasible with it: no plan to compare"


def test_buyers_are_added_up_and_said_so(buyers):
    page = read_page(buyers)
    assert "the change against baseline; all buyers together." in page.sentences()
    assert not any(".a" in k or ".b" in k for k in cells_by_kpi(page.body_rows("kpis")[0]))


# One page ------------------------------------------------------------------------------------


def test_rows_go_first_to_minimums_then_by_priority():
    row = 3.8
    # six rows fit: three each; the rest of two tables of ten does not
    assert plan_rows([[row] * 10, [row] * 10], 6 * row + 1) == [3, 3]
    # four more rows go to the first table, by priority
    assert plan_rows([[row] * 10, [row] * 10], 10 * row + 1) == [7, 3]
    # a whole table's last row takes the place of its "and N more" line
    assert plan_rows([[row] * 4], 4 * row - LINE_MM) == [4]
    assert plan_rows([[row] * 4], 4 * row - LINE_MM - 0.1) == [3]
    assert plan_rows([[], [row]], 0.0) == [0, 0]


def test_a_crowded_comparison_is_cut_and_says_what_it_left_out(crowded):
    page = read_page(crowded)
    text = page.sentences()
    variants = page.body_rows("kpis")
    assert len(variants) == MAX_VARIANTS
    assert f"… and {CROWDED_VARIANTS - MAX_VARIANTS} more variants (kpis.csv)." in text
    capabilities = page.body_rows("met")
    left = re.search(r"… and (\d+) more capabilities, with smaller gaps", text)
    assert left and len(capabilities) + int(left.group(1)) == CROWDED_CAPABILITIES + 1
    rules = page.body_rows("rules")
    left = re.search(r"… and (\d+) more rules, with smaller changes", text)
    assert left and len(rules) + int(left.group(1)) == CROWDED_RULES
    # the rules kept are those with the largest change in weighted gap
    assert rules[0]["attrs"]["data-rule"] == f"no_us_{CROWDED_RULES - 1}"
    assert len(rules) >= 3 and len(capabilities) >= 3


def test_the_page_is_self_contained(teaching):
    text = (teaching / "brief.html").read_text(encoding="utf-8")
    tags = {tag for tag, _ in read_page(teaching).tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "a"}
    assert "http://" not in text and "https://" not in text
    assert "@page { size: A4;" in text
    assert "default-src 'none'" in unescape(text)


# The command line ----------------------------------------------------------------------------


def test_cli_brief_refuses_to_overwrite_without_force(teaching):
    before = (teaching / "brief.html").read_bytes()
    again = runner.invoke(app, ["brief", str(teaching)])
    assert again.exit_code == 2
    assert "--force" in again.stderr and "Traceback" not in again.output
    assert (teaching / "brief.html").read_bytes() == before
    forced = runner.invoke(app, ["brief", str(teaching), "--force"])
    assert forced.exit_code == 0, forced.output
    assert f"wrote {teaching / 'brief.html'}" in forced.stdout


def test_a_solve_folder_is_refused(tmp_path):
    folder = write_result(solve("teaching-155"), tmp_path / "run")
    result = runner.invoke(app, ["brief", str(folder)])
    assert result.exit_code == 2
    assert "a solve folder, and a brief compares variants" in result.stderr
    assert not (folder / "brief.html").exists()
    with pytest.raises(ReportError, match="dualtrack compare SCENARIO --out DIR --brief"):
        write_brief(folder)


def test_a_folder_that_is_not_a_result_exits_2(tmp_path):
    result = runner.invoke(app, ["brief", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a dualtrack result folder" in result.stderr
    assert runner.invoke(app, ["brief", str(tmp_path / "missing")]).exit_code == 2


def test_cli_compare_brief_needs_out():
    result = runner.invoke(app, ["compare", "teaching-155", "--brief"])
    assert result.exit_code == 2
    assert "--brief needs --out DIR" in result.stderr


def test_pdf_without_a_browser_exits_2_and_writes_nothing(years, tmp_path, monkeypatch):
    folder = tmp_path / "cmp"
    shutil.copytree(years, folder, ignore=shutil.ignore_patterns("brief.*"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no browser on PATH
    result = runner.invoke(app, ["brief", str(folder), "--pdf"])
    assert result.exit_code == 2
    assert "--pdf needs Chromium or Chrome on PATH" in result.stderr
    assert not (folder / "brief.html").exists() and not (folder / "brief.pdf").exists()


# In a real browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium through Selenium, its console log kept."""
    driver = chromium(tmp_path_factory.mktemp("profile"), 900, 1200)
    yield driver
    driver.quit()


FOLDERS = ["teaching", "years", "risky", "buyers", "crowded"]


@needs_browser
@pytest.mark.parametrize("name", FOLDERS)
def test_brief_renders_in_chromium_without_errors(name, request, browser, monkeypatch):
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not download anything
    page = request.getfixturevalue(name) / "brief.html"
    browser.get_log("browser")  # empty the log of the page before
    browser.get(page.as_uri())
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert fetched == []
    tables = browser.execute_script("return document.querySelectorAll('table').length")
    assert tables >= 2  # headline figures and first-met years at least


@needs_browser
@pytest.mark.parametrize("name", FOLDERS)
def test_brief_prints_to_one_a4_page(name, request, tmp_path):
    folder = tmp_path / name
    shutil.copytree(request.getfixturevalue(name), folder)
    write_brief(folder, force=True, pdf=True)
    pdf = (folder / "brief.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert pages_of(pdf) == 1
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    width, height = float(box.group(1)), float(box.group(2))
    assert (width, height) == pytest.approx(A4_POINTS, abs=1.5)


@needs_browser
def test_the_page_count_counts_pages(tmp_path):
    # the counter of the test above, on a page that prints to two pages
    page = tmp_path / "two.html"
    page.write_text(
        "<!DOCTYPE html><html><head><style>@page { size: A4; }</style></head><body>"
        '<p>one</p><p style="break-before: page">two</p></body></html>'
    )
    print_pdf(page, tmp_path / "two.pdf", str(CHROMIUM))
    assert pages_of((tmp_path / "two.pdf").read_bytes()) == 2


@needs_browser
def test_cli_brief_pdf_prints_one_page(years, tmp_path):
    folder = tmp_path / "cmp"
    shutil.copytree(years, folder)
    result = runner.invoke(app, ["brief", str(folder), "--pdf", "--force"])
    assert result.exit_code == 0, result.output
    assert f"and {folder / 'brief.pdf'}" in result.stdout
    assert pages_of((folder / "brief.pdf").read_bytes()) == 1
    again = runner.invoke(app, ["brief", str(folder), "--pdf"])
    assert again.exit_code == 2 and "--force" in again.stderr
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_no_temporary_file_is_left(teaching, years, risky, buyers, crowded):
    for folder in (teaching, years, risky, buyers, crowded):
        assert not [p for p in Path(folder).iterdir() if p.name.startswith(".")]
