"""Regenerate the source table of ``docs/data-sources.md`` from a bundled scenario.

Usage: ``python docs/make_source_table.py europe-2030`` (from the repository root). The
table between the ``<!-- sources:NAME -->`` and ``<!-- /sources:NAME -->`` lines is written
by this script only: one row per entry of the scenario's ``sources``, with what cites it.
"""

import sys
from pathlib import Path
from typing import Any

from optimizer.input.load import bundled, read_document

PAGE = Path(__file__).resolve().parent / "data-sources.md"


def _citations(node: Any, prefix: str, where: str, found: dict[str, list[str]]) -> None:
    """Every ``source:`` under ``node``, by source id: the ids of the entities that cite it."""
    if isinstance(node, list):
        for item in node:
            _citations(item, prefix, where, found)
    elif isinstance(node, dict):
        where = prefix + node["id"] if isinstance(node.get("id"), str) else where
        cited = node.get("source")
        for source in [cited] if isinstance(cited, str) else cited or []:
            found.setdefault(source, []).append(where)
        for value in node.values():
            _citations(value, prefix, where, found)


def _cited_by(doc: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key in ("capabilities", "buyers", "systems", "budgets", "rules"):
        _citations(doc.get(key, []), "", "", found)
    for name, variant in doc.get("variants", {}).items():
        _citations(variant, f"{name}: ", name, found)
    return found


def table(name: str) -> str:
    """The markdown table of ``name``'s sources."""
    doc = read_document(bundled()[name])
    cited = _cited_by(doc)
    lines = ["| id | title | publisher | year | cited by |", "|---|---|---|---|---|"]
    for source in doc["sources"]:
        title = source["title"].replace("|", "/")
        link = f"[{title}]({source['url']})" if source.get("url") else title
        users = ", ".join(f"`{u}`" for u in dict.fromkeys(cited.get(source["id"], [])))
        lines.append(
            f"| `{source['id']}` | {link} | {source.get('publisher', '')} "
            f"| {source.get('year', '')} | {users or '—'} |"
        )
    return "\n".join(lines)


def page_with_table(page: str, name: str) -> str:
    """``page`` with the table of ``name`` between its markers replaced."""
    begin, end = f"<!-- sources:{name} -->", f"<!-- /sources:{name} -->"
    head, rest = page.split(begin + "\n", 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{table(name)}\n{end}{tail}"


if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else "europe-2030"
    PAGE.write_text(page_with_table(PAGE.read_text(encoding="utf-8"), name), encoding="utf-8")
    print(PAGE)
