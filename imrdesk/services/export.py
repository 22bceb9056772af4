"""Dataset export: JSON (contract records), CSV and Excel (one row per disputed item). Corrections applied.

CSV and Excel stream the letters' effective values straight from the tables (``store.dataset.letters``, a
chunk at a time; open findings and changed values from their derived rows), never rebuilding records. JSON
carries the whole contract record (provenance, the rules' findings and lowered confidences), so it is still
written from records, read a chunk at a time (``store.records``).

Spreadsheet cells that a spreadsheet program would run as a formula (text starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return) are neutralised by a leading apostrophe.

The CSV's lines are made by :func:`csv_fields` — the csv module's quoting (the excel dialect), done by string
methods over each cell at once instead of the module's pass over every character — a letter's part once for
all its rows, encoded a part at a time and written a few thousand lines at a time on a thread of its own.
"""

from __future__ import annotations

import codecs
import datetime as _dt
import functools
import json
import queue
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..record.registry import DATE_FIELDS, EXPORT_ITEM_COLUMNS, EXPORT_LETTER_COLUMNS
from .files import atomic_file

if TYPE_CHECKING:  # pragma: no cover
    from ..store import Store
    from ..store.dataset import DatasetLetter

FORMATS = ("csv", "json", "xlsx")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA = frozenset(FORMULA_PREFIXES)  # each one character: ``text[:1] in _FORMULA``
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


def cell(value):
    """A value as a CSV cell: a list joined with "; ", a dict as JSON, formula-looking text neutralised."""
    if isinstance(value, list):
        value = "; ".join(map(str, value))
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    return neutralise(value)


# the letter's part of a row: an index into its identity (:func:`_identity`), or a field path into its values
_IDENTITY = ("id", "file", "format", "review_status", "pages", "sha256", "error_code", "error_message")
_LETTER_PLAN = tuple(
    _IDENTITY.index(column)
    if column in ("error_code", "error_message")
    else _IDENTITY.index(path)
    if path in _IDENTITY
    else path
    for column, path in LETTER_COLUMNS
)
_ITEM_KEYS = ITEM_COLUMNS[1:]
_LETTER_NAMES, _ITEM_NAMES = ROW_COLUMNS[: len(LETTER_COLUMNS)], ROW_COLUMNS[len(LETTER_COLUMNS) :]


def letter_values(letter: DatasetLetter) -> list:
    """The letter's part of each of its rows: its values in column order (None where it has none)."""
    failed = bool(letter.error_code)  # a record has an error only when it has a code
    identity = (
        letter.id,
        letter.file,
        letter.format,
        letter.status,
        letter.pages,
        letter.sha256,
        letter.error_code if failed else None,
        letter.error_message if failed else None,
    )
    values = letter.values
    return [identity[k] if k.__class__ is int else values.get(k) for k in _LETTER_PLAN]


def item_values(letter: DatasetLetter) -> list[list]:
    """The item's part of each of the letter's rows, one per disputed item (a letter without items, e.g. a
    failed one, has one row with empty item columns), then the row's changed paths and open findings."""
    corrected, findings = letter.corrected, letter.findings
    if not corrected and not findings:  # the usual letter: nothing changed, nothing open
        if not letter.items:
            return [[*(None for _ in ITEM_COLUMNS), [], []]]
        return [[idx, *map(item.get, _ITEM_KEYS), [], []] for idx, item in enumerate(letter.items)]
    letter_corrected = [p for p in corrected if not p.startswith("items[")]
    letter_findings = [m for p, m in findings if not str(p).startswith("items[")]
    if not letter.items:
        return [[*(None for _ in ITEM_COLUMNS), letter_corrected, letter_findings]]
    rows = []
    for idx, item in enumerate(letter.items):
        row = [idx, *map(item.get, _ITEM_KEYS)]
        if len(letter_corrected) < len(corrected) or len(letter_findings) < len(findings):
            prefix = f"items[{idx}]."
            row.append(letter_corrected + [p for p in corrected if p.startswith(prefix)])
            row.append(letter_findings + [m for p, m in findings if str(p).startswith(prefix)])
        else:
            row += (letter_corrected, letter_findings)
        rows.append(row)
    return rows


def csv_fields(values: Iterable) -> str:
    """``values`` as :func:`cell` makes them (None empty), joined into the fields of a CSV line exactly as
    the csv module writes them (the excel dialect: a field with a comma, a quote or a line break quoted, its
    quotes doubled) — by string methods that run over a long text at once, where the csv module looks at
    each character twice; the usual values (text, none, whole numbers, lists) without a call each."""
    out: list[str] = []
    append = out.append
    for v in values:
        kind = v.__class__
        if kind is str:
            if v[:1] in _FORMULA:
                v = "'" + v
        elif v is None or (kind is list and not v):
            append("")
            continue
        elif kind is int:
            append(str(v))
            continue
        elif kind is list:
            v = "; ".join(map(str, v))
            if v[:1] in _FORMULA:
                v = "'" + v
        else:
            v = cell(v)
            v = v if v.__class__ is str else str(v)  # a number as the csv module writes it
        if '"' in v:
            v = '"' + v.replace('"', '""') + '"'
        elif "," in v or "\n" in v or "\r" in v:
            v = '"' + v + '"'
        append(v)
    return ",".join(out)


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


FLUSH = 4000  # lines joined, encoded and written at once
EOL = b"\r\n"  # the excel dialect's line end


class _Behind:
    """A file written on a thread of its own: a write lets go of the interpreter, so the system's copying of
    one block overlaps the making of the next. At most two blocks wait; an error is raised in the caller."""

    def __init__(self, fh) -> None:
        self.fh, self.error = fh, None
        self.blocks: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
        self.thread = threading.Thread(target=self._run, name="export-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (block := self.blocks.get()) is not None:
            if self.error is None:
                try:
                    self.fh.write(block)
                except BaseException as exc:  # noqa: BLE001 - raised again in the caller
                    self.error = exc

    def write(self, block: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.blocks.put(block)

    def close(self, *, failed: bool = False) -> None:
        """Wait for the blocks written; raise the write's error unless the caller ``failed`` already."""
        self.blocks.put(None)
        self.thread.join()
        if self.error is not None and not failed:
            raise self.error


def _csv(store: Store, path: Path, ids: list[int]) -> int:
    """A line is the letter's part and the item's part joined by a comma: the letter's part (its long
    summary, diagnoses …) is made and encoded once for all its rows."""
    n = 0
    # utf-8 with a byte order mark, so that spreadsheet programs read accents correctly
    parts = [codecs.BOM_UTF8, csv_fields(ROW_COLUMNS).encode("utf-8"), EOL]
    with atomic_file(path, "wb") as fh:
        out = _Behind(fh)
        try:
            for letter in store.dataset.letters(ids):
                head = (csv_fields(letter_values(letter)) + ",").encode("utf-8")
                for values in item_values(letter):
                    parts += (head, csv_fields(values).encode("utf-8"), EOL)
                    n += 1
                if len(parts) >= FLUSH:
                    out.write(b"".join(parts))
                    parts.clear()
            out.write(b"".join(parts))
        except BaseException:
            out.close(failed=True)
            raise
        out.close()
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
    WriteOnlyCell, ERROR_CODES, ILLEGAL_CHARACTERS_RE = _openpyxl_cell()  # noqa: N806 - openpyxl's names

    if isinstance(value, list):
        value = "; ".join(map(str, value))
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


@functools.cache
def _openpyxl_cell() -> tuple:
    """openpyxl's cell and its rules for text, imported at the first Excel export, not at each cell."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

    return WriteOnlyCell, ERROR_CODES, ILLEGAL_CHARACTERS_RE


_PLAIN = (str, int, float)  # values openpyxl writes without a cell object of ours


def xlsx_cells(sheet, columns: Iterable[str], values: Iterable) -> list:
    """:func:`xlsx_cell` of each value of a row, without the call where the value is written as it is
    (none, a whole or decimal number)."""
    return [
        v if v is None or v.__class__ is int or v.__class__ is float else xlsx_cell(sheet, c, v)
        for c, v in zip(columns, values, strict=True)
    ]


def new_sheet(wb, title: str, columns) -> object:
    from openpyxl.utils import get_column_letter

    sheet = wb.create_sheet(title)
    sheet.freeze_panes = "A2"
    for n, column in enumerate(columns, start=1):
        width = WIDTHS.get(column) or (40 if column in LONG_TEXT else max(10, min(22, len(column) + 2)))
        sheet.column_dimensions[get_column_letter(n)].width = width
    return sheet


SHEET_ROWS = 1_048_575  # an Excel sheet's rows, less its header row


def check_sheet_rows(store: Store, ids: list[int]) -> None:
    """ValueError (with what to do instead) when the dataset has more rows than an Excel sheet holds:
    Excel would cut the file short or refuse it, and the letters beyond would be lost without a word."""
    needed = max(store.dataset.sheet_rows(ids), len(ids))  # the items sheet, or one row a letter
    if needed > SHEET_ROWS:
        raise ValueError(
            f"An Excel sheet holds {SHEET_ROWS:,} rows and this export needs {needed:,}. "
            "Export CSV instead (no row limit), or export a filter or a selection of the letters."
        )


def _xlsx(store: Store, path: Path, ids: list[int]) -> int:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    check_sheet_rows(store, ids)

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
        # the letter's plain values converted once for all its rows; its cell objects (dates, text kept as
        # text) made again for each row, as openpyxl takes a cell given over for the cells after it
        values = letter_values(letter)
        head = xlsx_cells(items, _LETTER_NAMES, values)
        again = [i for i, v in enumerate(head) if v is not None and v.__class__ not in _PLAIN]
        for k, item in enumerate(item_values(letter)):
            if k and again:
                head = head.copy()
                for i in again:
                    head[i] = xlsx_cell(items, _LETTER_NAMES[i], values[i])
            items.append(head + xlsx_cells(items, _ITEM_NAMES, item))
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
