"""Writing results to a folder: whole or not at all, never over an existing output silently.

Everything is written into a temporary folder beside the target and moved into
place with one rename. An existing non-empty target is refused unless
``force``; then the old folder is moved aside first and removed only once the
new one is in place.
"""

import ctypes
import glob
import hashlib
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from models import Scenario
from optimizer.analysis.compare import Comparison
from optimizer.analysis.ranges import Ranges
from optimizer.analysis.stress import StressResult
from optimizer.output.errors import OutputExistsError
from optimizer.solve.results import Result


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


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of a scenario, as canonical JSON."""
    text = json.dumps(scenario.model_dump(mode="json", by_alias=True), sort_keys=True)
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


def write_tables(folder: Path, tables: dict[str, pd.DataFrame], workbook: str) -> list[str]:
    """Each table as CSV and Parquet, and all of them as sheets of one Excel workbook."""
    files = []
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
        table.to_parquet(folder / f"{name}.parquet", index=False)
        files += [f"{name}.csv", f"{name}.parquet"]
    with pd.ExcelWriter(folder / workbook, engine="openpyxl") as book:
        for name, table in tables.items():
            table.to_excel(book, sheet_name=name[:31], index=False)
    return [*files, workbook]


def write_scenario(folder: Path, scenario: Scenario) -> str:
    """The scenario as solved, as JSON (``dualtrack report`` reads it back)."""
    document = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    (folder / "scenario.json").write_text(json.dumps(document, indent=2, ensure_ascii=False))
    return "scenario.json"


def write_folder(
    out: Path, fill: Callable[[Path], tuple[list[str], dict]], force: bool, report: bool
) -> Path:
    """Fill a staging folder, add the manifest (and the report), and move it to ``out``.

    ``fill`` writes the files and returns their names and the manifest's own
    entries; versions, time and the file list are added here.
    """
    out = Path(out)
    check_target(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", dir=out.parent))
    staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; an output folder is not
    try:
        files, entries = fill(staging)
        document = {
            **entries,
            "versions": versions(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": [*files, "manifest.json"],
        }
        text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
        (staging / "manifest.json").write_text(text)
        if report:
            from optimizer.output.report import write_report  # matplotlib only when asked for

            write_report(staging)
        _replace(staging, out, force)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _solve_entries(result: Result) -> dict:
    """What was solved, how, and how long it took."""
    return {
        "kind": "solve",
        "scenario": result.scenario.name,
        "variant": result.variant or "baseline",
        "scenario_sha256": scenario_hash(result.scenario),
        "status": result.status,
        "objective": result.objective,
        "mip_gap": result.mip_gap,
        "content_group": result.scenario.content_group_name,
        "solver": {"name": "highs", **(result.options.model_dump() if result.options else {})},
        "timings": result.timings,
    }


def write_result(result: Result, out: Path, force: bool = False, report: bool = False) -> Path:
    """Write a solve's tables (CSV, Parquet, Excel), scenario and manifest into ``out``."""

    def fill(folder: Path) -> tuple[list[str], dict]:
        tables = {
            **result.frames(),
            "kpis": result.kpis.rename_axis("kpi").reset_index(name="value"),
        }
        files = write_tables(folder, tables, "result.xlsx") + [
            write_scenario(folder, result.scenario)
        ]
        return files, _solve_entries(result)

    return write_folder(out, fill, force, report)


def write_comparison(
    comparison: Comparison,
    out: Path,
    force: bool = False,
    report: bool = False,
    extra: dict[str, pd.DataFrame] | None = None,
    about: dict | None = None,
) -> Path:
    """Write a comparison's tables, base scenario and manifest into ``out``.

    ``extra`` tables are written beside the comparison's, ``about`` entries added to the
    manifest.
    """

    def fill(folder: Path) -> tuple[list[str], dict]:
        files = write_tables(folder, {**comparison.tables(), **(extra or {})}, "comparison.xlsx")
        files.append(write_scenario(folder, comparison.scenario))
        entries = {
            "kind": "comparison",
            "scenario": comparison.scenario.name,
            "scenario_sha256": scenario_hash(comparison.scenario),
            "variants": comparison.variants,
            "statuses": {
                v: {
                    "status": r.status,
                    "objective": r.objective,
                    "mip_gap": r.mip_gap,
                    "message": r.message,
                }
                for v, r in comparison.results.items()
            },
            "not_significant": comparison.not_significant(),
            "timings": {v: r.timings for v, r in comparison.results.items()},
            **(about or {}),
        }
        return files, entries

    return write_folder(out, fill, force, report)


def write_ranges(found: Ranges, out: Path, force: bool = False, report: bool = False) -> Path:
    """Write near-optimal ranges: the variants' optimal plans as a comparison, and the ranges.

    Beside what ``write_comparison`` writes: ``ranges`` (variant, axis, optimum, min,
    max) and ``alternatives`` (variant, alternative, kpi, value; the ``systems`` row
    lists what the alternative orders); the manifest's ``ranges`` gives the slack.
    """
    alternatives = pd.DataFrame(
        [
            {"variant": v, "alternative": k, "kpi": kpi, "value": value}
            for v, plans in found.alternatives.items()
            for k, plan in enumerate(plans, 1)
            for kpi, value in [
                ("systems", ", ".join(sorted(set(plan.orders["system"])))),
                *plan.kpis.astype(str).items(),
            ]
        ],
        columns=["variant", "alternative", "kpi", "value"],
    )
    return write_comparison(
        Comparison(found.scenario, found.optima, ranges=found.table),
        out,
        force,
        report,
        extra={"alternatives": alternatives},
        about={"ranges": {"slack": found.slack, "abs_slack": found.abs_slack}},
    )


def write_stress(found: StressResult, out: Path, force: bool = False, report: bool = False) -> Path:
    """Write a stress test: the variants' plans as a comparison, and the stress tables.

    Beside what ``write_comparison`` writes: ``stress_summary``, ``stress_met``,
    ``stress_first_met`` and ``stress_gaps`` (``StressResult``'s tables); the manifest's
    ``stress`` gives the samples and the seed.
    """
    planned = {v: r for v, r in found.plans.items()}
    return write_comparison(
        Comparison(found.scenario, planned),
        out,
        force,
        report,
        extra={f"stress_{name}": table for name, table in found.tables().items()},
        about={"stress": {"samples": found.samples, "seed": found.seed}},
    )


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _remove_stale(out: Path) -> None:
    """Remove the staging folders that killed runs into ``out`` left (their process is gone)."""
    for folder in out.parent.glob(f".{glob.escape(out.name)}.*"):
        pid = folder.name[len(out.name) + 2 :].split(".")[0]
        if folder.is_dir() and pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2`` with ``RENAME_EXCHANGE``), if possible."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_cwd, exchange = -100, 2
    done = renameat2(at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), exchange)
    return done == 0


def _replace(staging: Path, out: Path, force: bool) -> None:
    """Move ``staging`` to ``out``; ``out`` is never absent: the old one or the new one.

    An existing ``out`` is swapped with the staging folder in one step where the system
    can (Linux), then removed; elsewhere it is moved aside first and put back on failure.
    """
    check_target(out, force)  # again: something may have appeared during the solve
    if out.exists() and _exchange(staging, out):
        shutil.rmtree(staging)  # now the old output
        return
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
