"""Writing results to a folder: whole or not at all, never over an existing output silently.

Everything is written into a temporary folder beside the target and moved into
place with one rename. An existing non-empty target is refused unless
``force``; then the old folder is moved aside first and removed only once the
new one is in place.
"""

import hashlib
import json
import os
import platform
import shutil
import tempfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from optimizer.results import Result


class OutputExistsError(Exception):
    """The output folder exists and holds files; ``--force`` replaces it."""

    exit_code = 2


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_target(out: Path, force: bool) -> None:
    """Refuse early, before any solve, if ``out`` would be overwritten without ``force``."""
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out}: exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not force:
        raise OutputExistsError(f"{out}: already holds an output; use --force to replace it")


def scenario_hash(result: Result) -> str:
    """SHA-256 of the solved scenario, as canonical JSON."""
    text = json.dumps(result.scenario.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape a result."""
    found = {"python": platform.python_version()}
    for package in ("dualtrack", "pyomo", "highspy", "pandas", "pydantic"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def _tables(result: Result) -> dict[str, pd.DataFrame]:
    tables = dict(result.frames())
    tables["kpis"] = result.kpis.rename_axis("kpi").reset_index(name="value")
    return tables


def _write_files(result: Result, folder: Path) -> list[str]:
    files = []
    tables = _tables(result)
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
        table.to_parquet(folder / f"{name}.parquet", index=False)
        files += [f"{name}.csv", f"{name}.parquet"]
    with pd.ExcelWriter(folder / "result.xlsx", engine="openpyxl") as book:
        for name, table in tables.items():
            table.to_excel(book, sheet_name=name, index=False)
    scenario = result.scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    (folder / "scenario.json").write_text(json.dumps(scenario, indent=2, ensure_ascii=False))
    return [*files, "result.xlsx", "scenario.json"]


def manifest(result: Result, files: list[str]) -> dict:
    """What was solved, how, with which versions, and how long it took."""
    summary = result.summary()
    return {
        "scenario": summary["scenario"],
        "variant": summary["variant"],
        "scenario_sha256": scenario_hash(result),
        "status": result.status,
        "objective": result.objective,
        "mip_gap": result.mip_gap,
        "content_group": result.scenario.content_group_name,
        "solver": {"name": "highs", **(result.options.model_dump() if result.options else {})},
        "versions": versions(),
        "timings": result.timings,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": [*files, "manifest.json"],
    }


def write_result(result: Result, out: Path, force: bool = False) -> Path:
    """Write the result's tables (CSV, Parquet, Excel), scenario and manifest into ``out``."""
    out = Path(out)
    check_target(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; an output folder is not
    try:
        files = _write_files(result, staging)
        text = json.dumps(manifest(result, files), indent=2, ensure_ascii=False)
        (staging / "manifest.json").write_text(text)
        _replace(staging, out, force)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _replace(staging: Path, out: Path, force: bool) -> None:
    """Move ``staging`` to ``out``; an old ``out`` is removed only after the move."""
    check_target(out, force)  # again: something may have appeared during the solve
    old = None
    if out.exists():
        # A rename onto an existing empty folder succeeds silently, so move it aside first.
        old = out.with_name(f".{out.name}.old-{staging.name}")
        out.rename(old)
    try:
        staging.rename(out)
    except OSError:
        if old is not None:
            old.rename(out)
        raise
    if old is not None:
        shutil.rmtree(old)
