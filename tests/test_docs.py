"""Every example runs: the README's and docs' Python blocks, and each `dualtrack` usage line."""

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def blocks(language, pages=(README,)):
    return [b for page in pages for b in re.findall(rf"```{language}\n(.*?)```", page, flags=re.S)]


def usage_lines():
    usage = blocks("sh")[2]  # after the two quick-start commands
    return [line.split("#")[0].strip() for line in usage.splitlines() if line.strip()]


def test_quick_start_is_exactly_two_commands():
    first, second = blocks("sh")[:2]
    assert "dualtrack solve" in first and first.count("\n") == 1
    assert "pytest" in second and second.count("\n") == 1


PYTHON_PAGES = {
    path.name: path.read_text()
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    if "```python" in path.read_text()
}


@pytest.mark.parametrize("page", sorted(PYTHON_PAGES))
def test_python_examples_run_in_order(page):
    namespace = {}
    for code in blocks("python", [PYTHON_PAGES[page]]):
        exec(compile(code, page, "exec"), namespace)
    if "result" in namespace:
        assert namespace["result"].audit() == []


def _args(line, folder):
    """A usage line's arguments, with ``results/...`` inside ``folder``."""
    args = shlex.split(line)[1:]
    return [str(folder / "out" / a[8:]) if a.startswith("results/") else a for a in args]


@pytest.mark.parametrize("line", usage_lines())
def test_usage_lines_run(line, tmp_path):
    args = _args(line, tmp_path)
    if "--out" not in args:  # a line that reads an output folder: the line writing it first
        for writer in (_args(other, tmp_path) for other in usage_lines()):
            if "--out" in writer and writer[writer.index("--out") + 1] in args:
                assert CliRunner().invoke(app, writer).exit_code == 0
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", ["europe-2030", "eastern-flank-2030"])
def test_the_source_table_of_data_sources_is_current(name):
    # docs/data-sources.md lists every source of these scenarios with what cites it; the table
    # is written by docs/make_source_table.py, so a source added to a scenario shows up there.
    import importlib.util

    spec = importlib.util.spec_from_file_location("make", ROOT / "docs" / "make_source_table.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    page = (ROOT / "docs" / "data-sources.md").read_text(encoding="utf-8")
    assert make.page_with_table(page, name) == page
