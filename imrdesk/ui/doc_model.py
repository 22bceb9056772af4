"""The documents table's model: the ordered ids of the letters a filter selects (from SQL), and their rows
fetched a page at a time as they scroll into view, so the list costs the same at 100 letters as at 100,000.
Sorting a column asks SQL for a new order (``sort_requested``)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from imrdesk.record import STATUS_LABELS, decision_summary, error_message

from .icons import icon
from .plain import shown_as_written
from .theme import qcolor

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SNIPPET_ROLE = Qt.ItemDataRole.UserRole + 2
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"  # around the matched words in search snippets
RULE_MARK = "◆"  # a value a validation rule doubts (the ⚠ count includes these values)
PAGE = 200  # rows fetched at once
PAGES_KEPT = 40  # pages held in memory (8,000 rows); older ones are fetched again when needed

# (key, header, SQL sort key or None, tooltip of the header)
COLUMNS = (  # what a reviewer scans first comes first: the list is narrow beside the page
    ("case", "Case", "case", "Case number (the file name when the letter has none)"),
    ("status", "Status", "status", "Review status"),
    ("to_check", "⚠", "to_check", "Values to check (low confidence)"),
    ("findings", RULE_MARK, "findings", "Rule findings (values a validation rule doubts)"),
    ("decided", "Decided", "decided", "Decision date"),
    ("upheld", "Upheld", "upheld", "Items upheld (the denial stands)"),
    ("overturned", "Overturned", "overturned", "Items overturned (medically necessary)"),
    ("items", "Items", "items", "Disputed items"),
    ("specialty", "Reviewer", "specialty", "The expert reviewer's specialty"),
    ("imported", "Imported", "imported", "When the letter was imported"),
    ("match", "Match", None, "Where the search words occur"),
    ("source", "Source", "source", "Text PDF or plain text, or a scan read by OCR"),
)
COLUMN_KEYS = tuple(c[0] for c in COLUMNS)
NUMERIC = {"items", "upheld", "overturned", "to_check", "findings"}
STATUS_COLORS = {"reviewed": "#15803d", "flagged": "#b91c1c", "failed": "#b91c1c", "in_review": "#1d4ed8"}


def row_status(row: dict) -> str:
    return "failed" if row.get("error") else (row.get("status") or "new")


def row_tooltip(row: dict, snippet: str = "") -> str:
    lines = [row.get("file_name") or ""]
    if row.get("error"):
        lines.append(error_message(row["error"]))
    else:
        lines.append(decision_summary(row.get("upheld") or 0, row.get("overturned") or 0))
        low = row.get("low_confidence") or 0
        if low:
            lines.append(f"{low} low-confidence value{'s' if low != 1 else ''} to check")
        rules = row.get("findings") or 0
        if rules:
            lines.append(
                f"{RULE_MARK} {rules} rule finding{'s' if rules != 1 else ''} (values a validation rule doubts)"
            )
        if row.get("decision_date"):
            lines.append(f"Decided {row['decision_date']}")
        if row.get("ocr"):
            lines.append("Read from a scan by OCR: check its values against the page")
    if snippet:
        lines.append(f"“{snippet.replace(MARK_OPEN, '').replace(MARK_CLOSE, '')}”")
    return shown_as_written("\n".join(line for line in lines if line))  # file names and snippets as written


class Rows(Sequence):
    """The model's rows as a read-only sequence (fetched as they are read)."""

    def __init__(self, model: DocumentModel) -> None:
        self.model = model

    def __len__(self) -> int:
        return len(self.model.ids)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self.model.row(n) for n in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        return self.model.row(i)

    def __iter__(self) -> Iterator[dict]:
        return (self.model.row(n) for n in range(len(self)))


class DocumentModel(QAbstractTableModel):
    sort_requested = Signal(str, bool)  # sort key, descending

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.lists = None  # the store's Lists
        self.ids: list[int] = []
        self.search: str | None = None
        self._last_found: tuple[int | None, int] = (None, -1)  # the last letter row_of found, and where
        self._pages: OrderedDict[int, dict[int, dict]] = OrderedDict()
        self._snippets: dict[int, str] = {}
        # asks for a page's search snippets off the GUI thread (search, ids, page): they cost up to a second a
        # page on a large database; None: read them here (small databases, tests)
        self.snippet_source: Callable[[str, list[int], int], None] | None = None

    # -------------------------------------------------------------- contents
    def reset(self, lists, ids: list[int], search: str | None) -> None:
        self.beginResetModel()
        self.lists, self.ids, self.search = lists, list(ids), search
        self._last_found = (None, -1)
        self._pages.clear()
        self._snippets.clear()
        self.endResetModel()

    @property
    def rows(self) -> Rows:
        return Rows(self)

    def row(self, n: int) -> dict:
        page = n // PAGE
        rows = self._pages.get(page)
        if rows is None:
            ids = self.ids[page * PAGE : (page + 1) * PAGE]
            rows = self.lists.rows(ids) if self.lists is not None else {}
            if self.search and self.snippet_source is not None:
                self.snippet_source(self.search, ids, page)
            elif self.search:
                self._snippets.update(self.lists.snippets(self.search, ids, (MARK_OPEN, MARK_CLOSE)))
            self._pages[page] = rows
            while len(self._pages) > PAGES_KEPT:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        return rows.get(self.ids[n]) or {"id": self.ids[n]}

    def add_snippets(self, search: str, page: int, snippets: dict[int, str]) -> None:
        """A page's snippets, read off the GUI thread (dropped if the search changed meanwhile)."""
        if search != self.search:
            return
        self._snippets.update(snippets)
        first, last = page * PAGE, min(len(self.ids), (page + 1) * PAGE) - 1
        if first <= last:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

    def row_of(self, doc_id: int | None) -> int:
        # a scan of the ids in C (a few ms at a million) instead of a map of every id built on each reset,
        # which held the window up for most of a second at a million letters
        if doc_id is None:
            return -1
        found, n = self._last_found
        if found == doc_id and n < len(self.ids) and self.ids[n] == doc_id:
            return n
        try:
            n = self.ids.index(doc_id)
        except ValueError:
            return -1
        self._last_found = (doc_id, n)
        return n

    def update_row(self, row: dict) -> None:
        """A letter's row after a change (its page is refreshed in place)."""
        n = self.row_of(row.get("id"))
        if n < 0:
            return
        page = self._pages.get(n // PAGE)
        if page is not None:
            page[row["id"]] = {**page.get(row["id"], {}), **row}
        self.dataChanged.emit(self.index(n, 0), self.index(n, len(COLUMNS) - 1))

    # -------------------------------------------------------------- Qt's model API
    def index(self, row: int, column: int = 0, parent=QModelIndex()) -> QModelIndex:  # noqa: B008 (Qt's default)
        return super().index(row, column, parent)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section][3]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(COLUMNS) and COLUMNS[column][2]:
            self.sort_requested.emit(COLUMNS[column][2], order == Qt.SortOrder.DescendingOrder)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.ids):
            return None
        row = self.row(index.row())
        key = COLUMN_KEYS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, key)
        if role == ROW_ROLE:
            return row
        if role == SNIPPET_ROLE:
            return self._snippets.get(row.get("id")) or ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return row_tooltip(row, self._snippets.get(row.get("id")) or "")
        if role == Qt.ItemDataRole.DecorationRole and key == "case" and row.get("ocr"):
            return icon("scan", "#6b7280")  # read from a scan: its values carry the OCR's confidence
        if role == Qt.ItemDataRole.TextAlignmentRole and key in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            status = row_status(row)
            if key == "status" and status in STATUS_COLORS:
                return qcolor(STATUS_COLORS[status])
            if key == "to_check" and row.get("low_confidence"):
                return qcolor("#a15c00")
            if key == "findings" and row.get("findings"):
                return qcolor("#b91c1c")
        return None

    @staticmethod
    def _display(row: dict, key: str) -> str:
        failed = bool(row.get("error"))
        if key == "case":
            return row.get("case_number") or row.get("file_name") or f"Letter {row.get('id')}"
        if key == "source":
            return "" if failed else ("Scan (OCR)" if row.get("ocr") else "Text")
        if key == "decided":
            return row.get("decision_date") or ""
        if key in ("items", "upheld", "overturned"):
            return "" if failed else str(row.get(key) or 0)
        if key == "to_check":
            return "" if failed or not row.get("low_confidence") else f"⚠ {row['low_confidence']}"
        if key == "findings":
            return "" if failed or not row.get("findings") else f"{RULE_MARK} {row['findings']}"
        if key == "status":
            status = row_status(row)
            return STATUS_LABELS.get(status, status)
        if key == "specialty":
            return row.get("specialty") or ""
        if key == "imported":
            return (row.get("imported_at") or "")[:10]
        if key == "match":
            return ""  # drawn by the delegate, matched words in bold
        return ""
