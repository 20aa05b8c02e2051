"""Scenario documents as Excel workbooks (DESIGN §8), both ways, without loss.

The layout (docs/workbook.md): a sheet ``scenario`` of ``field | value`` rows for the
top-level settings; one sheet per list (``capabilities``, ``suppliers``, ``systems``,
``budgets``, ``rules``, ``buyers``, ``uncertainty``, ``sources``), one row per item;
``needs`` (``buyer | capability | ...``), ``groups`` (``id | countries[]``), ``variants``
(``variant | description``) and ``patches`` (``variant | path | value``).

In a row, a nested value is spread over dotted columns (``expansion.cost``,
``contributes.gbad_long``), a series over year columns (``unit_cost.2026``,
``unit_cost.2030``; a constant stays in ``unit_cost``), and a list sits in one cell of a
column whose name ends in ``[]`` (``tags[]``: ``iamd, gbad``, read as YAML flow items).
A blank cell is a key left out, and ``{}`` an empty mapping. A patch row names its path
with ids in brackets (``systems[patriot].unit_cost.2027``) and holds its value as
``--set`` reads it.

Reading keeps where each value came from, so that a problem in the document is named by
its cell: ``systems!F12 (patriot.lead_time): must be ≥ 0``.
"""

import io
import re
import typing
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from ruamel.yaml import YAML, YAMLError

from models.ids import ISO_ALPHA2
from models.rules import Rule
from models.scenario import Objective, Risk
from models.uncertainty import Uncertainty
from optimizer.input.errors import ScenarioError
from optimizer.input.limits import MAX_BYTES, MAX_NODES

ITEM_SHEETS = (
    "capabilities",
    "suppliers",
    "systems",
    "budgets",
    "rules",
    "buyers",
    "uncertainty",
    "sources",
)
SETTINGS = "scenario"
EMPTY_MAPPING = "{}"
LISTS = "_lists"  # hidden: the choices behind the drop-downs
MAX_UNZIPPED = 5 * MAX_BYTES  # a workbook is a zip: refuse one that inflates beyond this

Path_ = tuple[str | int, ...]  # a path into the document


# ---------------------------------------------------------------- values in cells


def _yaml() -> YAML:
    return YAML(typ="safe", pure=True)


def _flow(value: Any) -> str:
    """``value`` as one line of YAML flow text (``[a, b]``, ``{2026: 5}``, ``'yes'``)."""
    stream = io.StringIO()
    yaml = _yaml()
    yaml.default_flow_style = True
    yaml.width = 1_000_000
    yaml.dump(value, stream)
    text = stream.getvalue().strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def _read_flow(text: str) -> Any:
    return _yaml().load(io.StringIO(text))


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _is_id_list(value: Any) -> bool:
    """A list of mappings, each with a distinct text ``id``: written item by item."""
    if not isinstance(value, list) or not value:
        return False
    ids = [v.get("id") if isinstance(v, dict) else None for v in value]
    return all(isinstance(i, str) and "]" not in i for i in ids) and len(set(ids)) == len(ids)


def _list_cell(value: list) -> str:
    """A list's cell: its items as YAML flow, without the outer brackets (``[]`` if empty)."""
    return _flow(value)[1:-1].strip() if value else "[]"


def _read_list_cell(text: Any) -> Any:
    text = str(text).strip()
    return [] if text == "[]" else _read_flow(f"[{text}]")


def _text_cell(value: str) -> str:
    """A patch value that is text, written so that ``--set``'s reader gives it back."""
    try:
        same = _read_flow(value) == value
    except YAMLError:
        same = False
    return value if same else _flow(value)


# ---------------------------------------------------------------- document → rows


def _flatten(value: dict, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(column, cell)`` pairs of one item: mappings spread over dotted columns."""
    for key, item in value.items():
        column = f"{prefix}{key}"
        if isinstance(item, dict) and item:
            yield from _flatten(item, column + ".")
        elif isinstance(item, list):
            yield column + "[]", _list_cell(item)
        elif isinstance(item, dict):
            yield column, EMPTY_MAPPING  # ``select: {}`` (every system) is not a key left out
        elif item is None:
            continue  # a null is the default: left out
        else:
            yield column, item


def _column_order(columns: list[str]) -> list[str]:
    """Columns in first-seen order, with the year columns of a series sorted by year."""
    first_seen = {c: i for i, c in enumerate(columns)}

    def key(column: str) -> tuple:
        stem, _, last = column.rpartition(".")
        if last.isdigit():  # a year: sorted after the stem's other columns by number
            return (min(first_seen[c] for c in columns if c.startswith(stem + ".")), 1, int(last))
        return (first_seen[column], 0, 0)

    return sorted(columns, key=key)


def _table(rows: list[dict[str, Any]], first: list[str]) -> tuple[list[str], list[list[Any]]]:
    flat = [dict(_flatten(row)) for row in rows]
    seen = list(dict.fromkeys(c for row in flat for c in row if c not in first))
    head = [c for c in first if any(c in row for row in flat)] + _column_order(seen)
    return head, [[row.get(c) for c in head] for row in flat]


def _patch_rows(patch: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(path, value)`` rows of a patch; ids in brackets where a list merges by id."""
    if isinstance(patch, dict) and patch:
        for key, value in patch.items():
            yield from _patch_rows(value, f"{prefix}.{key}" if prefix else str(key))
    elif _is_id_list(patch):
        for item in patch:
            rest = {k: v for k, v in item.items() if k != "id"}
            yield from _patch_rows(rest or {"id": item["id"]}, f"{prefix}[{item['id']}]")
    elif isinstance(patch, str):
        yield prefix, _text_cell(patch)
    elif _is_scalar(patch) and patch is not None:
        yield prefix, patch
    else:
        yield prefix, _flow(patch)


def sheets_of(doc: dict) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """The workbook's sheets for a document: name → (header, rows)."""
    settings = {k: v for k, v in doc.items() if k not in (*ITEM_SHEETS, "groups", "variants")}
    sheets = {SETTINGS: (["field", "value"], [list(pair) for pair in _flatten(settings)])}
    for name in ITEM_SHEETS:
        items = doc.get(name) or []
        if name == "buyers":
            needs = [
                {"buyer": b["id"], "capability": c, **need}
                for b in items
                for c, need in (b.get("needs") or {}).items()
            ]
            items = [{k: v for k, v in b.items() if k != "needs"} for b in items]
        if items:
            sheets[name] = _table(items, ["id", "name"])
        if name == "buyers" and items:
            sheets["needs"] = _table(needs, ["buyer", "capability"])
    if doc.get("groups"):
        sheets["groups"] = _table(
            [{"id": k, "countries": v} for k, v in doc["groups"].items()], ["id"]
        )
    if doc.get("variants"):
        variants = doc["variants"]
        sheets["variants"] = _table(
            [
                {"variant": k, **{f: v for f, v in body.items() if f != "patch"}}
                for k, body in variants.items()
            ],
            ["variant", "description"],
        )
        sheets["patches"] = (
            ["variant", "path", "value"],
            [
                [name, *row]
                for name, body in variants.items()
                if body.get("patch")
                for row in _patch_rows(body["patch"])
            ],
        )
    return sheets


# ---------------------------------------------------------------- writing


def _literals(annotation: Any) -> list[str] | None:
    """The values of a ``Literal`` annotation (inside Optional too), else None."""
    if typing.get_origin(annotation) is typing.Literal:
        return [str(v) for v in typing.get_args(annotation)]
    for arg in typing.get_args(annotation):
        found = _literals(arg)
        if found:
            return found
    return None


def _enumerated(model: Any, sheet: str, prefix: str = "") -> dict[tuple[str, str], list[str]]:
    """The fields of ``model`` that take one of a few values, as (sheet, column) → values."""
    found = {}
    for name, field in model.model_fields.items():
        values = _literals(field.annotation)
        if values:
            found[sheet, prefix + name] = values
    return found


def _choices() -> dict[tuple[str, str], list[str]]:
    """Drop-down lists: (sheet, column or settings field) → the allowed values."""
    choices: dict[tuple[str, str], list[str]] = {("suppliers", "country"): sorted(ISO_ALPHA2)}
    for model in typing.get_args(typing.get_args(Rule)[0]):  # every rule type, one sheet
        for key, values in _enumerated(model, "rules").items():
            choices[key] = list(dict.fromkeys([*choices.get(key, []), *values]))
    return {
        **choices,
        **_enumerated(Uncertainty, "uncertainty"),
        **_enumerated(Objective, SETTINGS, "objective."),
        **_enumerated(Risk, SETTINGS, "objective.risk."),
    }


def _add_choices(book: Workbook) -> None:
    """Drop-downs on enumerated columns, from a hidden sheet of the choices."""
    lists = book.create_sheet(LISTS)
    lists.sheet_state = "hidden"
    for index, ((sheet, column), values) in enumerate(sorted(_choices().items()), start=1):
        if sheet not in book.sheetnames:
            continue
        letter = get_column_letter(index)
        lists.cell(1, index, f"{sheet}.{column}")
        for row, value in enumerate(values, start=2):
            lists.cell(row, index, value)
        source = f"{quote_sheetname(LISTS)}!${letter}$2:${letter}${len(values) + 1}"
        target = book[sheet]
        cells = _choice_range(target, sheet, column)
        if cells:
            check = DataValidation(type="list", formula1=source, allow_blank=True)
            check.error = f"{column}: one of the listed values"
            target.add_data_validation(check)
            check.add(cells)


def _choice_range(sheet: Worksheet, name: str, column: str) -> str | None:
    if name == SETTINGS:
        rows = [c.row for c in sheet["A"] if c.value == column]
        return f"B{rows[0]}" if rows else None
    head = [c.value for c in sheet[1]]
    if column not in head:
        return None
    letter = get_column_letter(head.index(column) + 1)
    return f"{letter}2:{letter}{max(sheet.max_row, 2) + 200}"  # room for new rows


def workbook_bytes(doc: dict) -> bytes:
    """``doc`` as the bytes of an ``.xlsx`` workbook."""
    book = Workbook()
    book.remove(book.active)
    for name, (head, rows) in sheets_of(doc).items():
        sheet = book.create_sheet(name)
        sheet.append(head)
        for row in rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text stays text, even one that starts with '='
        sheet.freeze_panes = "B2" if name != SETTINGS else "A2"
        for index, title in enumerate(head, start=1):
            width = max([len(str(title))] + [len(str(r[index - 1] or "")) for r in rows[:200]])
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width, 6) + 2, 60)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    _add_choices(book)
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()


# ---------------------------------------------------------------- reading


class Cells:
    """Where each value of a document read from a workbook came from."""

    def __init__(self, doc: dict) -> None:
        self.doc = doc
        self.at: dict[Path_, str] = {}

    def locate(self, problem: str) -> str:
        """``problem`` (``systems[3].lead_time: ...``) named by its cell, when it has one."""
        path_text, sep, message = problem.partition(": ")
        path = _parse_path(path_text)
        if not sep or path is None:
            return problem
        for end in range(len(path), 0, -1):
            cell = self.at.get(path[:end])
            if cell:
                return f"{cell} ({self._label(path)}): {message}"
        return problem

    def _label(self, path: Path_) -> str:
        """``patriot.lead_time`` for an item's field; the dotted path elsewhere."""
        if len(path) >= 2 and isinstance(path[1], int):
            items = self.doc.get(path[0])
            item = items[path[1]] if isinstance(items, list) and path[1] < len(items) else None
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                return ".".join(map(str, (item["id"], *path[2:])))
        return ".".join(map(str, path))


def _parse_path(text: str) -> Path_ | None:
    """``rules[0] (safe65).value`` → ``("rules", 0, "value")``; None if it is not a path."""
    text = re.sub(r" \([^)]*\)", "", text.strip())
    if not re.fullmatch(r"[\w\-]+(\[\d+\]|\.[\w\-]+)*", text):
        return None
    path: list[str | int] = []
    for name, index in re.findall(r"([\w\-]+)|\[(\d+)\]", text):
        path.append(int(index) if index else _key(name))
    return tuple(path)


def _key(text: str) -> str | int:
    return int(text) if text.isascii() and text.isdigit() else text


def _set_in(target: dict, columns: list[str], value: Any) -> None:
    for key in columns[:-1]:
        target = target.setdefault(_key(key), {})
        if not isinstance(target, dict):
            raise ValueError("given both as one value and spread over columns")
    if _key(columns[-1]) in target:
        raise ValueError("given both as one value and spread over columns")
    target[_key(columns[-1])] = value


class _Reader:
    """Reads sheet by sheet into one document, recording each value's cell."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []
        self.doc: dict = {}
        self.cells = Cells(self.doc)
        self.values = 0

    def rows(self, sheet: Worksheet) -> Iterator[tuple[int, list[Any]]]:
        """Numbered rows that are not blank."""
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            self.values += len(row)
            if self.values > MAX_NODES:
                raise ScenarioError([f"{self.path}: more than {MAX_NODES:,} cells"])
            if any(v is not None and v != "" for v in row):
                yield number, list(row)

    def table(self, sheet: Worksheet) -> Iterator[tuple[int, dict, dict[Path_, str]]]:
        """Each row under the header: the mapping it holds and the cell of each value."""
        rows = self.rows(sheet)
        first = next(rows, None)
        head = [str(c).strip() if c is not None else "" for c in first[1]] if first else []
        for number, row in rows:
            item: dict = {}
            cells: dict[Path_, str] = {(): f"{sheet.title}!A{number}"}
            for index, (column, value) in enumerate(zip(head, row, strict=False)):
                cell = f"{sheet.title}!{get_column_letter(index + 1)}{number}"
                if value is not None and value != "" and column:
                    keys = self.put(item, column, value, cell)
                    if keys is not None:
                        cells[keys] = cell
            yield number, item, cells

    def put(self, target: dict, column: str, value: Any, cell: str) -> Path_ | None:
        """``value`` set at ``column``'s keys in ``target``; the keys, or None on a problem."""
        keys = column.split(".")
        if value == EMPTY_MAPPING:
            value = {}
        elif keys[-1].endswith("[]"):
            keys[-1] = keys[-1][:-2]
            try:
                value = _read_list_cell(value)
            except YAMLError as error:
                self.problems.append(
                    f"{cell} ({column}): not a list of values: {_first_line(error)}"
                )
                return None
        try:
            _set_in(target, keys, value)
        except ValueError as error:
            self.problems.append(f"{cell} ({column}): {error}")
            return None
        return tuple(map(_key, keys))

    def record(self, prefix: Path_, cells: dict[Path_, str]) -> None:
        self.cells.at.update({(*prefix, *keys): cell for keys, cell in cells.items()})

    def settings(self, sheet: Worksheet) -> None:
        for number, row in self.rows(sheet):
            field, value = (row + [None, None])[:2]
            if number == 1 or field is None or value is None or value == "":
                continue
            keys = self.put(self.doc, str(field).strip(), value, f"{SETTINGS}!B{number}")
            if keys is not None:
                self.cells.at[keys] = f"{SETTINGS}!B{number}"

    def items(self, sheet: Worksheet, name: str) -> None:
        self.doc[name] = []
        for index, (_, item, cells) in enumerate(self.table(sheet)):
            self.doc[name].append(item)
            self.record((name, index), cells)

    def needs(self, sheet: Worksheet) -> None:
        buyers = {b.get("id"): (i, b) for i, b in enumerate(self.doc.get("buyers", []))}
        for number, need, cells in self.table(sheet):
            buyer, capability = need.pop("buyer", None), need.pop("capability", None)
            if buyer not in buyers or capability is None:
                self.problems.append(
                    f"needs!A{number}: give a buyer of the buyers sheet and a capability"
                )
                continue
            index, item = buyers[buyer]
            item.setdefault("needs", {})[capability] = need
            self.record(("buyers", index, "needs", capability), cells)

    def groups(self, sheet: Worksheet) -> None:
        self.doc["groups"] = {}
        for _, group, cells in self.table(sheet):
            if "id" in group:
                self.doc["groups"][group["id"]] = group.get("countries", [])
                self.cells.at[("groups", group["id"])] = cells[()]

    def variants(self, book: Any) -> None:
        variants: dict = {}
        if "variants" in book.sheetnames:
            for _, body, cells in self.table(book["variants"]):
                name = body.pop("variant", None)
                if name is not None:
                    variants[str(name)] = body
                    self.cells.at[("variants", str(name))] = cells[()]
        if "patches" in book.sheetnames:
            for number, row in self.rows(book["patches"]):
                name, path, value = (row + [None] * 3)[:3]
                if number == 1:
                    continue
                try:
                    if name is None or path is None:
                        raise ValueError("give a variant, a path and a value")
                    if isinstance(value, str):
                        value = _read_flow(value)
                    patch = variants.setdefault(str(name), {}).setdefault("patch", {})
                    _patch_in(patch, _patch_path(str(path)), value)
                except (ValueError, YAMLError) as error:
                    self.problems.append(
                        f"patches!C{number} ({name}: {path}): {_first_line(error)}"
                    )
        self.doc["variants"] = variants


def _patch_path(text: str) -> list[tuple[str, str | None]]:
    """``systems[patriot].cost.2027`` → ``[("systems", "patriot"), ("cost", None), ...]``."""
    parts = re.findall(r"([^.\[\]]+)(?:\[([^\]]+)\])?", text)
    if not parts or "".join(f"{k}[{i}]" if i else k for k, i in parts) != text.replace(".", ""):
        raise ValueError(f"not a path: {text!r}")
    return [(k, i or None) for k, i in parts]


def _patch_in(patch: dict, path: list[tuple[str, str | None]], value: Any) -> None:
    node: Any = patch
    for position, (key, item_id) in enumerate(path):
        last = position == len(path) - 1
        if item_id is None:
            if last:
                node[_key(key)] = value
            else:
                node = node.setdefault(_key(key), {})
        else:
            items = node.setdefault(key, [])
            item = next((i for i in items if i.get("id") == item_id), None)
            if item is None:
                item = {"id": item_id}
                items.append(item)
            if last:
                if not isinstance(value, dict):
                    raise ValueError("an item's patch must be a mapping")
                item.update(value)
            node = item
        if not isinstance(node, dict | list):
            raise ValueError(f"{key}: given both as one value and as a mapping")


def _first_line(error: Exception) -> str:
    """The gist of an error: a YAML error's own problem, not its marks."""
    return " ".join(str(getattr(error, "problem", None) or error).split())[:200]


def read_workbook(path: Path) -> tuple[dict, Cells]:
    """The document a workbook holds, and where each value came from."""
    try:
        with zipfile.ZipFile(path) as archive:
            unzipped = sum(i.file_size for i in archive.infolist())
        if unzipped > MAX_UNZIPPED:
            raise ScenarioError([f"{path}: inflates to more than {MAX_UNZIPPED:,} bytes"])
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ScenarioError(
            [f"{path}: cannot be read as a workbook: {_first_line(error)}"]
        ) from None
    reader = _Reader(path)
    try:
        if SETTINGS not in book.sheetnames:
            raise ScenarioError(
                [f"{path}: no sheet named {SETTINGS!r} (sheets: {', '.join(book.sheetnames)})"]
            )
        reader.settings(book[SETTINGS])
        for name in ITEM_SHEETS:
            if name in book.sheetnames:
                reader.items(book[name], name)
        if "needs" in book.sheetnames:
            reader.needs(book["needs"])
        if "groups" in book.sheetnames:
            reader.groups(book["groups"])
        reader.variants(book)
    finally:
        book.close()
    known = {SETTINGS, *ITEM_SHEETS, "needs", "groups", "variants", "patches"}
    reader.problems += [
        f"{path}: unknown sheet {name!r}"
        for name in book.sheetnames
        if name not in known and not name.startswith("_")
    ]
    if reader.problems:
        raise ScenarioError(reader.problems)
    doc = {k: v for k, v in reader.doc.items() if v not in ({}, [])}
    reader.cells.doc = doc
    return doc, reader.cells
