"""The report: one self-contained HTML page and PNG charts, from a solve or a comparison folder.

The solve folder is written from a real solve of teaching-155; the comparison
folder is put together by hand with pandas from real solves of teaching-155's
baseline and its variants ``safe-65`` and ``no-us``, in the layout that
``dualtrack compare --out`` writes. The browser test opens the page in
Debian's headless Chromium; it is skipped only when Chromium or its driver is
missing (CI installs both, see ``.ci/run``).
"""

import base64
import io
import json
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from browser import chromium, needs_browser
from buyer_docs import buyer, with_buyers
from PIL import Image
from typer.testing import CliRunner

from optimizer import compare, ranges, solve, stress
from optimizer.cli import app
from optimizer.input.load import bundled, read_document
from optimizer.output import write_result
from optimizer.output.files import write_comparison, write_ranges, write_stress
from optimizer.output.report import (
    ReportError,
    kpi_change_text,
    kpi_value_text,
    orders_by_system,
    spending_by_origin,
    write_report,
)

VARIANTS = ("baseline", "safe-65", "no-us")
CHARTS = {"solve": {"capabilities", "spending", "orders"}}
CHARTS["comparison"] = CHARTS["solve"] | {"attribution"}
CHARTS["ranges"] = CHARTS["solve"] | {"ranges"}
CHARTS["stress"] = CHARTS["solve"] | {"risk_gap", "risk_met"}
CHARTS["buyers"] = CHARTS["solve"] | {"buyers", "allocations"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

runner = CliRunner()


@pytest.fixture(scope="module")
def results():
    """teaching-155 solved: the baseline and two variants."""
    solved = {v: solve("teaching-155", None if v == "baseline" else v) for v in VARIANTS}
    assert all(r.status == "optimal" for r in solved.values())
    return solved


def solve_folder(results, folder: Path) -> Path:
    """What `dualtrack solve --out` writes, for the baseline."""
    return write_result(results["baseline"], folder)


def comparison_folder(results, folder: Path) -> Path:
    """A comparison folder in the layout of `dualtrack compare --out`, written with pandas."""
    folder.mkdir()
    base = results["baseline"]
    kpis = pd.DataFrame({v: r.kpis for v, r in results.items()})
    kpis.rename_axis("kpi").reset_index().to_csv(folder / "kpis.csv", index=False)
    diff = kpis.sub(kpis["baseline"], axis=0)
    diff.rename_axis("kpi").reset_index().to_csv(folder / "diff.csv", index=False)
    for name in ("capabilities", "orders", "spending", "investments"):
        frame = pd.concat([getattr(r, name).assign(variant=v) for v, r in results.items()])
        frame[["variant", *frame.columns.drop("variant")]].to_csv(
            folder / f"{name}.csv", index=False
        )
    # no-us's one enabled rule: no-us with it minus no-us without it (= the baseline)
    no_us = results["no-us"].kpis
    shown = ["weighted_gap", "total_spend", "spend_share.eu"]
    attribution = pd.DataFrame([{"rule": "no_us", "type": "exclude", **(no_us - base.kpis)[shown]}])
    attribution.to_csv(folder / "attribution.csv", index=False)
    scenario = base.scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    (folder / "scenario.json").write_text(json.dumps(scenario))
    statuses = {
        v: {
            "status": r.status,
            "objective": r.objective,
            "mip_gap": r.mip_gap,
            "message": r.message,
        }
        for v, r in results.items()
    }
    manifest = {
        "kind": "comparison",
        "scenario": "teaching-155",
        "variants": list(VARIANTS),
        "statuses": statuses,
        "attributed_variant": "no-us",
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def ranges_folder(results, folder: Path) -> Path:
    """What `dualtrack ranges teaching-155 --variant baseline --variant no-us --out` writes."""
    return write_ranges(ranges("teaching-155", ["baseline", "no-us"], alternatives=1), folder)


def stress_folder(results, folder: Path) -> Path:
    """What `dualtrack stress --out` writes, for teaching-155 with a slip and a price risk."""
    document = read_document(bundled()["teaching-155"])
    document["uncertainty"] = [
        {
            "id": "slip",
            "systems": {"groups": ["eu"]},
            "field": "lead_time",
            "add": {"choice": [0, 1], "p": [0.7, 0.3]},
        },
        {
            "id": "price",
            "systems": {"countries": ["US"]},
            "field": "unit_cost",
            "multiply": {"triangular": [1.0, 1.1, 1.4]},
        },
    ]
    return write_stress(stress(document, ["baseline", "no-us"], samples=200), folder)


def buyers_folder(results, folder: Path) -> Path:
    """What `dualtrack compare --out` writes for two buyers on one line (DESIGN §13).

    a (W=2) and b each need 10; the line makes 15 a year: a gets 10, b 5, so the line is
    contested. The variant makes 20: both get 10.
    """
    doc = with_buyers(
        [buyer("a", weight=2), buyer("b")],
        system={"capacity": 15},
        budgets=[{"id": "pool", "shared": True, "amount": 100}],
    )
    patch = {"systems": [{"id": "sys", "capacity": 20}]}
    doc["variants"] = {"bigger-line": {"description": "a larger line", "patch": patch}}
    comparison = compare(doc, jobs=1)
    base, bigger = comparison.results["baseline"], comparison.results["bigger-line"]
    assert base.audit() == [] and bigger.audit() == []
    assert base.allocations.set_index("buyer")["quantity"].to_dict() == {"a": 10, "b": 5}
    return write_comparison(comparison, folder)


@pytest.fixture(params=["solve", "comparison", "ranges", "stress", "buyers"])
def folder(request, results, tmp_path):
    """A solve, a comparison, a ranges, a stress and a buyers folder, without a report yet."""
    make = {
        "solve": solve_folder,
        "comparison": comparison_folder,
        "ranges": ranges_folder,
        "stress": stress_folder,
        "buyers": buyers_folder,
    }
    return make[request.param](results, tmp_path / request.param)


def kind_of(folder: Path) -> str:
    manifest = json.loads((folder / "manifest.json").read_text())
    if json.loads((folder / "scenario.json").read_text()).get("buyers"):
        return "buyers"
    extra = [kind for kind in ("ranges", "stress") if kind in manifest]
    return extra[0] if extra else manifest.get("kind", "solve")


class Page(HTMLParser):
    """Every tag with its attributes."""

    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parse(page: Path) -> Page:
    parsed = Page()
    parsed.feed(page.read_text(encoding="utf-8"))
    return parsed


def decoded_png(uri: str) -> bytes:
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix), uri[:40]
    return base64.b64decode(uri[len(prefix) :], validate=True)


def assert_valid_png(data: bytes) -> None:
    assert data.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
    with Image.open(io.BytesIO(data)) as image:
        assert image.width > 100 and image.height > 100


# (a) self-contained --------------------------------------------------------------------------


def test_report_is_self_contained_with_a_png_per_chart(folder):
    page = write_report(folder)
    assert page == folder / "report.html"
    text = page.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    parsed = parse(page)
    tags = {tag for tag, _ in parsed.tags}
    assert not tags & {"script", "link", "iframe", "object", "embed", "a"}
    for _, attrs in parsed.tags:  # nothing to fetch from anywhere
        for name in ("src", "href", "srcset", "action", "poster", "data", "background"):
            assert not attrs.get(name, "data:").strip().startswith(("http", "//", "file:"))
    images = [decoded_png(attrs["src"]) for tag, attrs in parsed.tags if tag == "img"]
    for image in images:
        assert_valid_png(image)
    files = {p.stem: p.read_bytes() for p in (folder / "charts").glob("*.png")}
    assert set(files) == CHARTS[kind_of(folder)]
    assert sorted(images) == sorted(files.values())  # the page shows exactly the PNG files
    assert not [p for p in folder.rglob("*.tmp")]  # written atomically, nothing left behind


def test_no_figure_is_left_open(folder):
    before = plt.get_fignums()
    write_report(folder)
    assert plt.get_fignums() == before


def test_comparison_report_shows_variants_kpis_and_rules(results, tmp_path):
    page = write_report(comparison_folder(results, tmp_path / "comparison"))
    text = page.read_text(encoding="utf-8")
    assert "For teaching: a hand-solvable linear program." in text  # the description
    for variant in VARIANTS:
        assert f"<b>{variant}</b>" in text
    assert "No US rounds." in text  # the variant's description
    base, no_us = results["baseline"].kpis, results["no-us"].kpis
    assert f"{base['total_spend']:,.0f}" in text and "," in f"{base['total_spend']:,.0f}"
    assert f"{base['spend_share.eu']:.1%}" in text
    change = (no_us["spend_share.eu"] - base["spend_share.eu"]) * 100
    assert f"{change:+.1f} pp" in text  # the change against baseline, in points
    assert "What each rule does" in text and "no_us" in text


def test_a_report_with_buyers_shows_each_buyer_and_the_contested_line(results, tmp_path):
    # buyers_folder: b gets 5 of its 10 (gap 0.5), 0 with the bigger line (change -0.5).
    text = write_report(buyers_folder(results, tmp_path / "buyers")).read_text(encoding="utf-8")
    key_figures = text.split("<h2>Key figures</h2>")[1].split("<h2>")[0]
    assert "<code>weighted_gap</code>" in key_figures and "weighted_gap.b" not in key_figures
    by_buyer = text.split("<h2>Buyers</h2>")[1].split("<h2>")[0]
    row = by_buyer.split("<code>weighted_gap.b</code>")[1].split("</tr>")[0]
    assert ">0.5<" in row and "-0.5" in row
    assert "<h2>Contested production lines</h2>" in text


def test_a_variant_stopped_at_its_time_limit_says_so(results, tmp_path):
    folder = comparison_folder(results, tmp_path / "comparison")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["statuses"]["safe-65"].update(
        status="feasible-at-limit", mip_gap=0.0123, message="stopped at the time limit"
    )
    (folder / "manifest.json").write_text(json.dumps(manifest))
    text = write_report(folder).read_text(encoding="utf-8")
    assert "stopped at its time limit: the plan is not proven optimal (MIP gap 1.23%)" in text
    assert "safe-65 (feasible-at-limit)" not in text  # chart labels are in the PNGs, not here


def test_attribution_with_a_variant_column_is_drawn(results, tmp_path):
    folder = comparison_folder(results, tmp_path / "comparison")
    rows = pd.DataFrame(
        [
            {"variant": "safe-65", "rule": "content65", "type": "share", "weighted_gap": 0.0},
            {"variant": "no-us", "rule": "no_us", "type": "exclude", "weighted_gap": 0.1},
        ]
    )
    rows.to_csv(folder / "attribution.csv", index=False)
    text = write_report(folder).read_text(encoding="utf-8")
    assert (folder / "charts" / "attribution.png").stat().st_size > 0
    assert "content65" in text and "+0.1" in text


# chart data and numbers ----------------------------------------------------------------------


def test_spending_by_origin_groups_eu_and_keeps_other_countries(results):
    result = results["baseline"]
    eu = set(result.scenario.groups["eu"])
    table = spending_by_origin(result.spending.assign(variant="baseline"), eu)
    by_origin = table.groupby("origin")["amount"].sum()
    assert set(by_origin.index) == {"EU", "US", "KR", "NO"}  # Nammo (NO) is not in the EU
    assert by_origin.sum() == pytest.approx(result.kpis["total_spend"])
    assert by_origin["EU"] / by_origin.sum() == pytest.approx(result.kpis["spend_share.eu"])


def test_orders_keep_the_top_ten_systems_and_sum_the_rest_as_other():
    orders = pd.DataFrame(
        {
            "variant": "baseline",
            "system": [f"s{i:02d}" for i in range(12)],
            "year": 2026,
            "cost": [float(100 - i) for i in range(12)],
        }
    )
    table = orders_by_system(orders)
    assert set(table["system"]) == {f"s{i:02d}" for i in range(10)} | {"other"}
    assert table.set_index("system").loc["other", "cost"] == 90 + 89
    assert table["cost"].sum() == orders["cost"].sum()


def test_kpi_numbers_read_as_money_shares_and_years():
    assert kpi_value_text("total_spend", 5174.99) == "5,175"
    assert kpi_value_text("spend_share.eu", 0.77294) == "77.3%"
    assert kpi_value_text("first_met.ammo_155", float("nan")) == "never"
    assert kpi_value_text("first_met.ammo_155", 2031.0) == "2031"
    assert kpi_change_text("spend_share.eu", 0.056) == "+5.6 pp"
    assert kpi_change_text("total_spend", -350.0004) == "-350"
    assert kpi_change_text("first_met.ammo_155", float("inf")) == "never met"
    assert kpi_change_text("weighted_gap", 1e-12) == "0"


# nothing lost or half-written ----------------------------------------------------------------


def test_a_failed_report_leaves_the_old_one_intact(results, tmp_path, monkeypatch):
    folder = solve_folder(results, tmp_path / "run")
    before = write_report(folder).read_bytes()

    def broken(*args):
        raise RuntimeError("broken page")

    monkeypatch.setattr("optimizer.output.report.page_html", broken)
    with pytest.raises(RuntimeError):
        write_report(folder, force=True)
    assert (folder / "report.html").read_bytes() == before
    assert not [p for p in folder.rglob("*.tmp")]


def test_a_folder_that_is_not_a_result_is_refused(tmp_path):
    with pytest.raises(ReportError, match="no manifest.json"):
        write_report(tmp_path)
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(ReportError, match="missing scenario.json, kpis.csv"):
        write_report(tmp_path)


# (b) in a real browser -----------------------------------------------------------------------


@needs_browser
def test_report_opens_in_a_real_browser(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not download anything
    page = write_report(folder)
    driver = chromium(Path(tempfile.mkdtemp(dir=tmp_path)), 1280, 1000)
    try:
        driver.get(page.as_uri())
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == []
        images = driver.execute_script(
            "return Array.from(document.images)"
            ".map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
        )
        assert len(images) == len(CHARTS[kind_of(folder)])
        assert all(complete and width > 0 and height > 0 for complete, width, height in images)
        fetched = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(n => !n.startsWith('data:'))"
        )
        assert fetched == []
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1280, min(height, 8000))
        screenshot = tmp_path / "report.png"
        assert driver.save_screenshot(str(screenshot))
    finally:
        driver.quit()
    assert screenshot.stat().st_size > 0
    assert_valid_png(screenshot.read_bytes())


# (c) the command line ------------------------------------------------------------------------


def test_cli_report_refuses_to_overwrite_without_force(results, tmp_path):
    folder = solve_folder(results, tmp_path / "run")
    first = runner.invoke(app, ["report", str(folder)])
    assert first.exit_code == 0, first.output
    written = (folder / "report.html").read_bytes()
    again = runner.invoke(app, ["report", str(folder)])
    assert again.exit_code == 2
    assert "--force" in again.stderr
    assert (folder / "report.html").read_bytes() == written
    forced = runner.invoke(app, ["report", str(folder), "--force"])
    assert forced.exit_code == 0, forced.output


def test_cli_report_on_a_folder_that_is_not_a_result_exits_2(tmp_path):
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a dualtrack result folder" in result.stderr
    assert "Traceback" not in result.output
    assert runner.invoke(app, ["report", str(tmp_path / "missing")]).exit_code == 2


def test_cli_solve_with_report_writes_it_into_the_output(tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(app, ["solve", "teaching-155", "--out", str(out), "--report"])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").stat().st_size > 0
    assert {p.stem for p in (out / "charts").glob("*.png")} == CHARTS["solve"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_cli_solve_report_needs_out():
    result = runner.invoke(app, ["solve", "teaching-155", "--report"])
    assert result.exit_code == 2
    assert "--report needs --out" in result.stderr
