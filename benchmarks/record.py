"""Recording benchmark rows: the commit measured, and CSV files that are never overwritten."""

import csv
import subprocess
from pathlib import Path


def commit() -> str:
    """The short hash of the commit checked out, ``+dirty`` when ``models/`` or ``optimizer/``
    differ from it (read for every row: a long run may outlast an edit)."""
    run = dict(cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True)
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], **run).stdout.strip()
        status = ["git", "status", "--porcelain", "--", "models", "optimizer"]
        changed = subprocess.run(status, **run)
    except OSError:  # no git: a copy of the project outside a checkout
        return ""
    return head + ("+dirty" if changed.stdout.strip() else "")


def write_rows(path: Path, fields: list[str], rows: list[dict]) -> None:
    """``rows`` as a new CSV file at ``path``; an existing file is an error, not overwritten."""
    with path.open("x", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
