"""Terminal tables that fit (issue #18): at 80, 120 and 200 columns no name is cut short.

A table wider than the terminal is split into panels of columns, each repeating the columns
that name the rows (``terminal.fit``). The checks read the rendered text: every name appears
whole, between spaces or borders (rich would print "robust-du…"), and no line is wider than
the terminal.
"""

import io
import re
from collections.abc import Callable, Iterable

import pytest
from buyer_docs import joint_doc
from conftest import micro
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from optimizer import cli, solve, stress, sweep
from optimizer.analysis.compare import Comparison
from optimizer.analysis.compare import compare as run_compare
from optimizer.cli import app
from optimizer.output import terminal
from optimizer.solve.results import split_by_buyer

WIDTHS = (80, 120, 200)
LONG_NAMES = (
    "a-line-twice-as-large-as-today",
    "a-line-half-the-size-of-today",
    "a-line-a-quarter-of-today",
    "one-more-variant-with-a-long-name",
)


def screen(width: int, show: Callable[[Console], None]) -> str:
    """What ``show`` prints on a terminal ``width`` columns wide (no colour)."""
    console = Console(width=width, file=io.StringIO(), color_system=None)
    show(console)
    return console.file.getvalue()


def assert_fits(text: str, width: int, names: Iterable[str]) -> None:
    """No line wider than ``width``, nothing cut with "…", and each name whole somewhere."""
    too_wide = [line for line in text.splitlines() if cell_len(line) > width]
    assert not too_wide, "\n".join(too_wide)
    assert "…" not in text
    missing = [n for n in names if not re.search(rf"(?<![^\s│┃]){re.escape(n)}(?![^\s│┃])", text)]
    assert not missing, f"not shown whole: {missing}"


def printed(*tables: Table) -> Callable[[Console], None]:
    """Print ``tables`` fitted (``terminal.fit``) on the console given."""

    def show(console: Console) -> None:
        for table in tables:
            for part in terminal.fit(table, console):
                console.print(part)

    return show


def comparison_printed(comparison: Comparison) -> Callable[[Console], None]:
    """Print ``comparison`` as ``dualtrack compare`` does, on the console given."""
    return lambda console: terminal.print_comparison(comparison, "table", console)


def panels(text: str) -> int:
    """How many panels the first split table was printed in (1 when none was split)."""
    found = re.search(r"\(1 of (\d+)\)", text)
    return int(found.group(1)) if found else 1


@pytest.fixture(scope="module")
def europe() -> tuple[Comparison, str]:
    """``dualtrack compare europe-2030`` at COLUMNS=80: the comparison it solved, and its stdout.

    The command's own comparison is kept (a wrapper around the real ``compare``), so that one
    solve of the twelve variants serves the CLI check and the renderings at other widths.
    """
    solved: list[Comparison] = []

    def kept(*args, **kwargs) -> Comparison:
        solved.append(run_compare(*args, **kwargs))
        return solved[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "run_compare", kept)
        done = CliRunner().invoke(app, ["compare", "europe-2030"], env={"COLUMNS": "80"})
    assert done.exit_code == 0, done.output
    return solved[0], done.stdout


def kpi_labels(comparison: Comparison) -> list[str]:
    """The KPI names in the first column of the KPI table (all buyers together)."""
    buyers = [b.id for b in comparison.scenario.buyers]
    return list(split_by_buyer(comparison.kpis.iloc[:, 0], buyers)[0].index)


def test_compare_europe_2030_at_80_columns_shows_every_variant_and_kpi_whole(europe):
    comparison, stdout = europe
    assert len(comparison.variants) >= 10  # many variants: the case the issue is about
    assert_fits(stdout, 80, [*comparison.variants, *kpi_labels(comparison)])
    # split into panels, each repeating the KPI names
    assert panels(stdout) > 1
    assert stdout.count("│ weighted_gap ") == panels(stdout)


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_europe_2030_fits_each_width(europe, width):
    comparison, _ = europe
    text = screen(width, comparison_printed(comparison))
    assert_fits(text, width, [*comparison.variants, *kpi_labels(comparison)])


def test_a_wider_terminal_needs_fewer_panels(europe):
    comparison, _ = europe
    counts = [panels(screen(width, comparison_printed(comparison))) for width in WIDTHS]
    assert counts[0] > counts[1] > counts[2] >= 1, counts


@pytest.fixture(scope="module")
def with_buyers() -> Comparison:
    """Two buyers sharing one line, four variants with long names, and the joint rule's cost."""
    doc = joint_doc()
    capacities = (40, 10, 5, 30)
    doc["variants"] = {
        name: {"patch": {"systems": [{"id": "sys", "capacity": capacity}]}}
        for name, capacity in zip(LONG_NAMES, capacities, strict=True)
    }
    return run_compare(doc, attribute_rules=True, jobs=1)


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_with_buyers_and_rule_costs_fits_each_width(with_buyers, width):
    comparison = with_buyers
    text = screen(width, comparison_printed(comparison))
    buyer_labels = [label for key, label in terminal.BUYER_KPIS.items() if key != "gap_tail"]
    rules = list(comparison.attribution["rule"])
    assert_fits(
        text,
        width,
        [*comparison.variants, *kpi_labels(comparison), *buyer_labels, *rules, "a 10, b 1"],
    )
    by_buyer = text[text.index("By buyer") : text.index("Contested lines")]
    assert_fits(by_buyer, width, LONG_NAMES)  # the table by buyer has them too
    rule_costs = text[text.index("What each rule costs") :]
    assert_fits(rule_costs, width, [*LONG_NAMES, "a.cap never met"])


def test_solve_tables_at_80_columns_show_every_system_whole():
    result = solve("europe-2030")
    text = screen(80, lambda console: terminal.print_result(result, "table", console, console))
    systems = set(result.orders["system"]) | set(result.orders["supplier"])
    assert_fits(text, 80, [*result.kpis.index, *systems])


def test_stress_tables_at_80_columns_show_every_variant_whole():
    doc = micro(years=3, system={"lead_time": 1, "capacity": 10})
    doc["uncertainty"] = [
        {"id": "slip", "field": "lead_time", "add": {"choice": [0, 1], "p": [0.5, 0.5]}}
    ]
    doc["variants"] = {
        name: {"patch": {"systems": [{"id": "sys", "capacity": capacity}]}}
        for name, capacity in zip(LONG_NAMES, (20, 8, 5, 12), strict=True)
    }
    found = stress(doc, samples=50, seed=0)
    text = screen(80, lambda console: terminal.print_stress(found, "table", console))
    assert_fits(text, 80, ["baseline", *LONG_NAMES, "overspend", "P90"])
    assert "P(requirement met" in text


def test_sweep_tables_at_80_columns_show_the_parameter_and_kpis_whole():
    doc = micro(
        systems=[{"id": "a_system_with_a_rather_long_identifier"}, {"id": "another_system"}]
    )
    found = sweep(doc, vary=["budgets.money.amount=3,5,100"], jobs=1)
    text = screen(80, lambda console: terminal.print_sweep(found, "table", console))
    kpis = [k for k in terminal.SWEEP_KPIS if k in found.runs]
    assert_fits(text, 80, ["budgets.money.amount", "optimal", *kpis])
    assert "a_system_with_a_rather_long_identifier" in text  # a free-text column wraps whole


def wide_table(columns: int) -> Table:
    """A row-name column and ``columns`` value columns, each 18 characters wide."""
    table = Table("name", title="wide", caption="the end")
    for number in range(columns):
        table.add_column(f"column-number-{number:04d}", justify="right")
    table.add_row("row", *(f"{number:,}" for number in range(columns)))
    return table


def test_a_table_that_fits_is_printed_as_it_is():
    table = wide_table(2)
    assert terminal.fit(table, Console(width=80)) == [table]


def test_a_wide_table_is_split_into_even_panels_that_repeat_the_row_names():
    table = wide_table(10)
    console = Console(width=80, file=io.StringIO())
    parts = terminal.fit(table, console)
    shown = [[c.header for c in part.columns] for part in parts]
    assert all(headers[0] == "name" for headers in shown)
    assert [h for headers in shown for h in headers[1:]] == [c.header for c in table.columns[1:]]
    sizes = [len(headers) - 1 for headers in shown]
    assert max(sizes) - min(sizes) <= 1, sizes  # evened out: no stub of a last panel
    assert [part.caption for part in parts] == [None] * (len(parts) - 1) + ["the end"]
    for part in parts:
        assert console.measure(part).maximum <= 80


def test_free_text_wraps_between_words_rather_than_splitting_the_table():
    table = Table("system", "delivered", title="lines")
    table.add_column("buyers (units)", overflow="fold")
    buyers = ", ".join(f"buyer{n} {n}00" for n in range(20))
    table.add_row("shells_rheinmetall", "2027–2031", buyers)
    text = screen(60, printed(table))
    assert panels(text) == 1 and "(1 of" not in text
    assert_fits(text, 60, ["shells_rheinmetall", "2027–2031", "buyer19 1900"])
