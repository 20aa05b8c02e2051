"""Recording benchmark rows: the commit measured, and CSV files that are never overwritten."""

import csv
import subprocess
from pathlib import Path


def commit() -> str:
    """The short hash of the commit checked out."""
    run = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return run.stdout.strip()


def write_rows(path: Path, fields: list[str], rows: list[dict]) -> None:
    """``rows`` as a new CSV file at ``path``; an existing file is an error, not overwritten."""
    with path.open("x", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
