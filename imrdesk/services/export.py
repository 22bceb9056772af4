"""Dataset export: JSON (contract records), CSV and Excel (one row per disputed item). Corrections applied.

Spreadsheet cells that a spreadsheet program would run as a formula (text starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return) are neutralised by a leading apostrophe.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..record import corrected_paths
from ..record.registry import DATE_FIELDS, EXPORT_ITEM_COLUMNS, EXPORT_LETTER_COLUMNS
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


# Excel: what an analyst can use at once — real date cells, a frozen header row with a filter, sensible
# widths, the letters that could not be read on their own sheet. Text is always a text cell: openpyxl would
# otherwise write "=…" as a formula; text a spreadsheet would run as a formula when edited gets Excel's own
# quote prefix (invisible), so no apostrophe shows and nothing runs.
DATE_COLUMNS = {c for c, path in LETTER_COLUMNS if path in DATE_FIELDS}
WIDTHS = {"treatment": 48, "rationale": 60, "summary": 60, "file": 24, "case_number": 15}
LONG_TEXT = {
    "claims_administrator_guideline",
    "maximus_guideline",
    "injury_treatment_to_date",
    "injury_diagnoses",
}
FAILED_COLUMNS = ("doc_id", "file", "error_code", "error_message", "sha256")


def _xlsx_cell(sheet, column: str, value):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    if column in DATE_COLUMNS and isinstance(value, str):
        try:
            cell = WriteOnlyCell(sheet, value=_dt.date.fromisoformat(value))
            cell.number_format = "yyyy-mm-dd"
            return cell
        except ValueError:
            pass  # not an ISO date (a reviewer's odd value): shown as written
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > XLSX_CELL_LIMIT:
            value = value[: XLSX_CELL_LIMIT - 1] + "…"
        cell = WriteOnlyCell(sheet, value=None)
        cell.value = value
        cell.data_type = "s"
        if value.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True
        return cell
    return WriteOnlyCell(sheet, value=value)


def _sheet(wb, title: str, columns) -> object:
    from openpyxl.utils import get_column_letter

    sheet = wb.create_sheet(title)
    sheet.freeze_panes = "A2"
    for n, column in enumerate(columns, start=1):
        width = WIDTHS.get(column) or (40 if column in LONG_TEXT else max(10, min(22, len(column) + 2)))
        sheet.column_dimensions[get_column_letter(n)].width = width
    return sheet


def _xlsx(store: Store, path: Path, ids: list[int]) -> int:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    items = _sheet(wb, "items", ROW_COLUMNS)
    items.append([_xlsx_cell(items, "", c) for c in ROW_COLUMNS])
    failed = _sheet(wb, "failed", FAILED_COLUMNS)
    failed.append([_xlsx_cell(failed, "", c) for c in FAILED_COLUMNS])
    n = n_failed = 0
    for rec in store.records(ids):
        if rec.get("error"):  # nothing to analyse: on the failed sheet, with the reason
            err = rec["error"]
            failed.append(
                [
                    _xlsx_cell(failed, c, v)
                    for c, v in zip(
                        FAILED_COLUMNS,
                        (
                            rec.get("id"),
                            rec.get("file"),
                            err.get("code"),
                            err.get("message"),
                            rec.get("sha256"),
                        ),
                        strict=True,
                    )
                ]
            )
            n_failed += 1
            continue
        for row in item_rows(rec):
            items.append([_xlsx_cell(items, c, row[c]) for c in ROW_COLUMNS])
            n += 1
    items.auto_filter.ref = f"A1:{get_column_letter(len(ROW_COLUMNS))}{n + 1}"
    failed.auto_filter.ref = f"A1:{get_column_letter(len(FAILED_COLUMNS))}{n_failed + 1}"
    doc_columns = (*DOCUMENT_COLUMNS, "sha256")
    docs = _sheet(wb, "documents", doc_columns)
    docs.append([_xlsx_cell(docs, "", c) for c in doc_columns])
    n_docs = 0
    for start in range(0, len(ids), 1000):  # the exported letters' list rows, in the order exported
        rows = store.lists.rows(ids[start : start + 1000])
        for doc_id in ids[start : start + 1000]:
            d = rows.get(doc_id)
            if d is None:
                continue
            err = d["error"] or {}
            flat = {**d, "error_code": err.get("code"), "error_message": err.get("message")}
            docs.append([_xlsx_cell(docs, c, flat.get(c)) for c in doc_columns])
            n_docs += 1
    docs.auto_filter.ref = f"A1:{get_column_letter(len(doc_columns))}{n_docs + 1}"
    with atomic_file(path, None) as tmp:
        wb.save(tmp)
    return n
