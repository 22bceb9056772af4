"""Dataset export: JSON (contract records), CSV and Excel (one row per disputed item). Corrections applied.

CSV and Excel stream the letters' effective values straight from the tables (``store.dataset.letters``, a
chunk at a time; open findings and changed values from their derived rows), never rebuilding records. JSON
carries the whole contract record (provenance, the rules' findings and lowered confidences), so it is still
written from records, read a chunk at a time (``store.records``).

Spreadsheet cells that a spreadsheet program would run as a formula (text starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return) are neutralised by a leading apostrophe.
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import io
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..record.registry import DATE_FIELDS, EXPORT_ITEM_COLUMNS, EXPORT_LETTER_COLUMNS
from .files import atomic_file

if TYPE_CHECKING:  # pragma: no cover
    from ..store import Store
    from ..store.dataset import DatasetLetter

FORMATS = ("csv", "json", "xlsx")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_LIMIT = 32767

# the registry says which fields are columns, and in which order
LETTER_COLUMNS = EXPORT_LETTER_COLUMNS
ITEM_COLUMNS = EXPORT_ITEM_COLUMNS
# open_findings: messages of the letter's open validation findings and of the row's item ("; " between them)
ROW_COLUMNS = (*(c for c, _ in LETTER_COLUMNS), *ITEM_COLUMNS, "corrected_fields", "open_findings")
_LETTER_PART, _ITEM_PART = ROW_COLUMNS[: len(LETTER_COLUMNS)], ROW_COLUMNS[len(LETTER_COLUMNS) :]
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


def cell(value):
    """A value as a CSV cell: a list joined with "; ", a dict as JSON, formula-looking text neutralised."""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    return neutralise(value)


def item_rows(letter: DatasetLetter) -> Iterator[dict]:
    """Rows of the CSV/Excel dataset for one letter: one per disputed item, the letter's fields repeated
    (a letter without items, e.g. a failed one, gives one row with empty item columns)."""
    meta = {
        "id": letter.id,
        "file": letter.file,
        "format": letter.format,
        "review_status": letter.status,
        "pages": letter.pages,
        "sha256": letter.sha256,
    }
    failed = bool(letter.error_code)  # a record has an error only when it has a code
    base: dict = {}
    for column, path in LETTER_COLUMNS:
        if column == "error_code":
            base[column] = letter.error_code if failed else None
        elif column == "error_message":
            base[column] = letter.error_message if failed else None
        elif path in meta:
            base[column] = meta[path]
        else:
            base[column] = letter.values.get(path)
    corrected = letter.corrected
    letter_corrected = [p for p in corrected if not p.startswith("items[")]
    letter_findings = [m for p, m in letter.findings if not str(p).startswith("items[")]
    if not letter.items:
        yield {
            **base,
            **{c: None for c in ITEM_COLUMNS},
            "corrected_fields": letter_corrected,
            "open_findings": letter_findings,
        }
        return
    for idx, item in enumerate(letter.items):
        row = dict(base)
        row["item_index"] = idx
        for column in ITEM_COLUMNS[1:]:
            row[column] = item.get(column)
        prefix = f"items[{idx}]."
        row["corrected_fields"] = letter_corrected + [p for p in corrected if p.startswith(prefix)]
        row["open_findings"] = letter_findings + [m for p, m in letter.findings if str(p).startswith(prefix)]
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


class _Line:
    """One CSV line's text from some cells. The csv module quotes each field on its own, so a line is the
    letter's part and the item's part joined by a comma: the letter's part (its long summary, diagnoses …) is
    quoted and encoded once for all its rows."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)

    def __call__(self, cells: list) -> str:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(cells)
        return self.buffer.getvalue()


def _csv(store: Store, path: Path, ids: list[int]) -> int:
    n = 0
    line = _Line()
    # utf-8 with a byte order mark, so that spreadsheet programs read accents correctly
    with atomic_file(path, "wb") as fh:
        fh.write(codecs.BOM_UTF8)
        fh.write(line(list(ROW_COLUMNS)).encode("utf-8"))
        for letter in store.dataset.letters(ids):
            head = None
            for row in item_rows(letter):
                if head is None:
                    cells = ["" if row[c] is None else cell(row[c]) for c in _LETTER_PART]
                    head = line(cells)[: -len(line.writer.dialect.lineterminator)].encode("utf-8") + b","
                item = ["" if row[c] is None else cell(row[c]) for c in _ITEM_PART]
                fh.write(head + line(item).encode("utf-8"))
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


def xlsx_cell(sheet, column: str, value):
    """A value as openpyxl should write it: a plain value where openpyxl makes the right cell of it itself
    (a cell object costs openpyxl a raised and caught error each), else a cell: a date with its format,
    text that must stay text (formula-looking: with Excel's quote prefix; an error code's spelling)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

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
        if not value.startswith(FORMULA_PREFIXES) and value not in ERROR_CODES:
            return value  # openpyxl writes it as the same text cell, without a cell object a value
        cell = WriteOnlyCell(sheet, value=None)
        cell.value = value
        cell.data_type = "s"
        if value.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True
        return cell
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value  # the same cell openpyxl makes of it (none for None)
    return WriteOnlyCell(sheet, value=value)


def new_sheet(wb, title: str, columns) -> object:
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
    items = new_sheet(wb, "items", ROW_COLUMNS)
    items.append([xlsx_cell(items, "", c) for c in ROW_COLUMNS])
    failed = new_sheet(wb, "failed", FAILED_COLUMNS)
    failed.append([xlsx_cell(failed, "", c) for c in FAILED_COLUMNS])
    n = n_failed = 0
    for letter in store.dataset.letters(ids):
        if letter.error_code:  # nothing to analyse: on the failed sheet, with the reason
            values = (letter.id, letter.file, letter.error_code, letter.error_message, letter.sha256)
            failed.append([xlsx_cell(failed, c, v) for c, v in zip(FAILED_COLUMNS, values, strict=True)])
            n_failed += 1
            continue
        for row in item_rows(letter):
            items.append([xlsx_cell(items, c, row[c]) for c in ROW_COLUMNS])
            n += 1
    items.auto_filter.ref = f"A1:{get_column_letter(len(ROW_COLUMNS))}{n + 1}"
    failed.auto_filter.ref = f"A1:{get_column_letter(len(FAILED_COLUMNS))}{n_failed + 1}"
    documents_sheet(wb, store, ids)
    with atomic_file(path, None) as tmp:
        wb.save(tmp)
    return n


def documents_sheet(wb, store: Store, ids: list[int]) -> None:
    """The exported letters' list rows, in the order exported, read by id a thousand at a time."""
    from openpyxl.utils import get_column_letter

    doc_columns = (*DOCUMENT_COLUMNS, "sha256")
    docs = new_sheet(wb, "documents", doc_columns)
    docs.append([xlsx_cell(docs, "", c) for c in doc_columns])
    n_docs = 0
    for start in range(0, len(ids), 1000):
        rows = store.lists.rows(ids[start : start + 1000])
        for doc_id in ids[start : start + 1000]:
            d = rows.get(doc_id)
            if d is None:
                continue
            err = d["error"] or {}
            flat = {**d, "error_code": err.get("code"), "error_message": err.get("message")}
            docs.append([xlsx_cell(docs, c, flat.get(c)) for c in doc_columns])
            n_docs += 1
    docs.auto_filter.ref = f"A1:{get_column_letter(len(doc_columns))}{n_docs + 1}"
