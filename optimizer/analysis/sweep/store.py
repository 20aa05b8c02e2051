"""A sweep's folder: its definition, and one Parquet file per finished run.

``manifest.json`` holds what the sweep is (the base document's hash, the options, what
varies); ``runs/<key>.parquet`` holds one run's row, written to a temporary name and
renamed, so a killed sweep leaves only whole rows. Together the files are a Parquet
dataset keyed by run; ``--resume`` runs the keys that have no file yet. A run is stored
once whatever happens: its file's name is its key.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.input.errors import ScenarioError

RUNS = "runs"
MANIFEST = "manifest.json"


class SweepExistsError(Exception):
    """The folder holds something else, or a sweep and neither ``resume`` nor ``force``."""


def _write_atomic(path: Path, write) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


class RunStore:
    """The runs of one sweep under ``folder``."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.runs = self.folder / RUNS

    @classmethod
    def open(cls, folder: Path, definition: dict, resume: bool, force: bool) -> RunStore:
        """A new store, or the one already there when ``resume`` and it is the same sweep.

        Raises:
            SweepExistsError: ``folder`` holds files and neither ``resume`` nor ``force``.
            ScenarioError: ``resume`` on a folder of another sweep, listing what differs.
        """
        store = cls(folder)
        manifest = store.folder / MANIFEST
        if resume and manifest.is_file():
            store._check_same(json.loads(manifest.read_text(encoding="utf-8")), definition)
            return store
        if store.folder.exists() and not store.folder.is_dir():
            raise SweepExistsError(f"{folder}: exists and is not a folder")
        if store.folder.is_dir() and any(store.folder.iterdir()):
            if not force:
                hint = "--resume to finish it or " if manifest.is_file() else ""
                raise SweepExistsError(f"{folder}: already holds an output; use {hint}--force")
            _clear(store.folder)
        store.runs.mkdir(parents=True, exist_ok=True)
        entry = {"kind": "sweep", **definition, "created": datetime.now(UTC).isoformat()}
        text = json.dumps(entry, indent=2, ensure_ascii=False, default=str)
        _write_atomic(manifest, lambda path: path.write_text(text, encoding="utf-8"))
        return store

    def _check_same(self, found: dict, definition: dict) -> None:
        differ = [
            k
            for k in definition
            if json.dumps(found.get(k), default=str, sort_keys=True)
            != json.dumps(definition[k], default=str, sort_keys=True)
        ]
        if differ:
            raise ScenarioError(
                [
                    f"--resume {self.folder}: {k} differs from the sweep in the folder"
                    for k in differ
                ]
            )
        self.runs.mkdir(exist_ok=True)
        for partial in self.runs.glob(".*.tmp"):  # a row being written when the sweep was killed
            partial.unlink()

    def keys(self) -> set[str]:
        """The keys of the runs stored."""
        return {p.stem for p in self.runs.glob("*.parquet") if not p.name.startswith(".")}

    def add(self, row: dict[str, Any]) -> None:
        """Store one run's row (whole, under its key)."""
        frame = pd.DataFrame([row])
        _write_atomic(
            self.runs / f"{row['key']}.parquet", lambda p: frame.to_parquet(p, index=False)
        )

    def table(self, keys: list[str] | None = None) -> pd.DataFrame:
        """The stored rows, in the order of ``keys`` when given (those stored)."""
        stored = self.keys()
        chosen = [k for k in keys if k in stored] if keys is not None else sorted(stored)
        frames = [pd.read_parquet(self.runs / f"{k}.parquet") for k in chosen]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def write_table(self, name: str, table: pd.DataFrame) -> None:
        """A finished table as CSV and Parquet beside the runs (each written whole)."""
        _write_atomic(self.folder / f"{name}.csv", lambda p: table.to_csv(p, index=False))
        _write_atomic(self.folder / f"{name}.parquet", lambda p: table.to_parquet(p, index=False))


def _clear(folder: Path) -> None:
    """Empty a folder that ``--force`` replaces."""
    for child in folder.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()
