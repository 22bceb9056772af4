"""Dataset export: JSON (contract records), CSV and Excel (one row per disputed item). Corrections applied.

Spreadsheet cells that a spreadsheet program would run as a formula (text starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return) are neutralised by a leading apostrophe.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..record import corrected_paths
from ..record.registry import EXPORT_ITEM_COLUMNS, EXPORT_LETTER_COLUMNS
from .files import atomic_file

if TYPE_CHECKING:  # pragma: no cover
    from ..store import Store

FORMATS = ("csv", "json", "xlsx")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_LIMIT = 32767

# the registry says which fields are columns, and in which order
LETTER_COLUMNS = EXPORT_LETTER_COLUMNS
ITEM_COLUMNS = EXPORT_ITEM_COLUMNS
# open_findings: messages of the letter's open validation findings and of the row's item ("; " between them)
ROW_COLUMNS = (*(c for c, _ in LETTER_COLUMNS), *ITEM_COLUMNS, "corrected_fields", "open_findings")
DOCUMENT_COLUMNS = (
    "id",
    "file_name",
    "kind",
    "case_number",
    "format",
    "pages",
    "status",
    "error_code",
    "error_message",
    "items",
    "upheld",
    "overturned",
    "low_confidence",
    "findings",
    "imported_at",
    "decision_date",
)


def neutralise(value):
    """A cell value safe for a spreadsheet: text that would start a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell(value):
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    return neutralise(value)


def _get(record: dict, path: str):
    node = record
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def item_rows(record: dict) -> Iterator[dict]:
    """Rows of the CSV/Excel dataset for one letter: one per disputed item, the letter's fields repeated
    (a letter without items, e.g. a failed one, gives one row with empty item columns)."""
    base = {}
    for column, path in LETTER_COLUMNS:
        if column == "error_code":
            base[column] = (record.get("error") or {}).get("code")
        elif column == "error_message":
            base[column] = (record.get("error") or {}).get("message")
        else:
            base[column] = _get(record, path)
    corrected = corrected_paths(record)
    letter_corrected = [p for p in corrected if not p.startswith("items[")]
    findings = [f for f in record.get("findings") or [] if isinstance(f, dict)]
    letter_findings = [f["message"] for f in findings if not str(f.get("path")).startswith("items[")]
    items = record.get("items") or []
    if not items:
        yield {
            **base,
            **{c: None for c in ITEM_COLUMNS},
            "corrected_fields": letter_corrected,
            "open_findings": letter_findings,
        }
        return
    for idx, item in enumerate(items):
        row = dict(base)
        row["item_index"] = idx
        for column in ITEM_COLUMNS[1:]:
            row[column] = item.get(column)
        prefix = f"items[{idx}]."
        row["corrected_fields"] = letter_corrected + [p for p in corrected if p.startswith(prefix)]
        row["open_findings"] = letter_findings + [
            f["message"] for f in findings if str(f.get("path")).startswith(prefix)
        ]
        yield row


def export(
    store: Store, path, fmt: str, *, status: str | None = None, ids: Iterable[int] | None = None
) -> int:
    """Write the dataset (every letter, those with ``status``, or the letters ``ids`` — a selection or a
    filter of the window — in that order) to ``path`` as ``fmt``; returns records (json) or rows written."""
    fmt = (fmt or "").lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    path = Path(path)
    ids = list(ids) if ids is not None else store.document_ids(status=status)
    writer: Callable[[Store, Path, list[int]], int] = {"json": _json, "csv": _csv, "xlsx": _xlsx}[fmt]
    return writer(store, path, ids)


def _json(store: Store, path: Path, ids: list[int]) -> int:
    n = 0
    with atomic_file(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("[")
        for rec in store.records(ids):
            fh.write(",\n" if n else "\n")
            fh.write(json.dumps(rec, ensure_ascii=False))
            n += 1
        fh.write("\n]\n" if n else "]\n")
    return n


def _csv(store: Store, path: Path, ids: list[int]) -> int:
    n = 0
    # utf-8 with a byte order mark, so that spreadsheet programs read accents correctly
    with atomic_file(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(ROW_COLUMNS)
        for rec in store.records(ids):
            for row in item_rows(rec):
                out.writerow(["" if row[c] is None else _cell(row[c]) for c in ROW_COLUMNS])
                n += 1
    return n


def _xlsx_value(value):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = _cell(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > XLSX_CELL_LIMIT:
            value = value[: XLSX_CELL_LIMIT - 1] + "…"
    return value


def _xlsx(store: Store, path: Path, ids: list[int]) -> int:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    items = wb.create_sheet("items")
    items.append(list(ROW_COLUMNS))
    n = 0
    for rec in store.records(ids):
        for row in item_rows(rec):
            items.append([_xlsx_value(row[c]) for c in ROW_COLUMNS])
            n += 1
    docs = wb.create_sheet("documents")
    docs.append([*DOCUMENT_COLUMNS, "sha256"])
    wanted = set(ids)
    offset = 0
    while True:
        page = store.list_documents(limit=5000, offset=offset)
        if not page:
            break
        offset += len(page)
        for d in page:
            if d["id"] not in wanted:
                continue
            err = d["error"] or {}
            flat = {**d, "error_code": err.get("code"), "error_message": err.get("message")}
            docs.append([_xlsx_value(flat.get(c)) for c in (*DOCUMENT_COLUMNS, "sha256")])
    with atomic_file(path, None) as tmp:
        wb.save(tmp)
    return n
