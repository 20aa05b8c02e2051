"""``dualtrack convert``: a scenario document between YAML, JSON and an Excel workbook.

The document is converted as written (a constant stays a constant, defaults stay
unwritten); the source must be valid, and the converted file is read back and must
give the same validated ``Scenario`` before it is moved into place.
"""

import io
import json
from pathlib import Path

from ruamel.yaml import YAML

from models import Scenario
from optimizer.input.errors import ScenarioError
from optimizer.input.load import load_scenario, read_document, validate
from optimizer.input.workbook import workbook_bytes
from optimizer.output.atomic import write_atomic
from optimizer.output.errors import OutputExistsError

FORMATS = (".yaml", ".yml", ".json", ".xlsx")


def document_bytes(doc: dict, suffix: str) -> bytes:
    """``doc`` written in the format that ``suffix`` names."""
    if suffix == ".xlsx":
        return workbook_bytes(doc)
    if suffix == ".json":
        return json.dumps(doc, indent=2, ensure_ascii=False, default=str).encode() + b"\n"
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False
    yaml.width = 100
    text = io.StringIO()
    yaml.dump(doc, text)
    return text.getvalue().encode()


def convert(source: str | Path, target: Path, force: bool = False) -> Scenario:
    """Write the scenario ``source`` (a file or bundled name) to ``target`` in its format.

    Raises ``ScenarioError`` for an invalid source or an unknown target format, and
    ``OutputExistsError`` for an existing target without ``force``.
    """
    target = Path(target)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ScenarioError([f"{target}: unknown format (use {', '.join(FORMATS)})"])
    if target.exists() and not force:
        raise OutputExistsError(f"{target}: exists; use --force to replace it")
    scenario = load_scenario(source)  # a problem in the source is named by its cell
    content = document_bytes(read_document(source), suffix)
    target.parent.mkdir(parents=True, exist_ok=True)
    check = target.with_name(f".{target.name}.check{target.suffix}")
    try:
        check.write_bytes(content)
        if validate(read_document(check)) != scenario:
            raise ScenarioError([f"{target}: the converted document differs from {source}"])
    finally:
        check.unlink(missing_ok=True)
    write_atomic(target, content)
    return scenario
