"""The documents list: search box, status filter and one two-line row per letter."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QEvent, QModelIndex, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QVBoxLayout,
    QWidget,
)

from imrdesk.record import STATUS_LABELS, decision_summary, error_message

from .icons import icon
from .plain import plain_label, shown_as_written

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SNIPPET_ROLE = Qt.ItemDataRole.UserRole + 2

FILTERS = (
    ("all", "All letters"),
    ("to_review", "To review"),
    ("new", "New"),
    ("in_review", "In review"),
    ("reviewed", "Reviewed"),
    ("flagged", "Flagged"),
    ("findings", "With rule findings"),
    ("failed", "Failed imports"),
)
RULE_MARK = "◆"  # a value a validation rule doubts (the ⚠ count includes these values)

STATUS_COLORS = {
    "new": ("#e7ebf0", "#3f4b5b"),
    "in_review": ("#dbe8fe", "#1d4ed8"),
    "reviewed": ("#d9f5e3", "#15803d"),
    "flagged": ("#fde4e4", "#b91c1c"),
    "failed": ("#fde4e4", "#b91c1c"),
}


def row_status(row: dict) -> str:
    return "failed" if row.get("error") else (row.get("status") or "new")


def row_matches(row: dict, key: str) -> bool:
    status = row_status(row)
    if key == "all":
        return True
    if key == "to_review":
        return status in ("new", "in_review")
    if key == "findings":
        return bool(row.get("findings")) and status != "failed"
    return status == key


class DocumentModel(QAbstractListModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[dict] = []
        self.snippets: dict[int, str] = {}

    def rowCount(self, parent: QModelIndex | None = None) -> int:  # noqa: N802 (Qt API)
        return 0 if parent is not None and parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.get("case_number") or row.get("file_name") or f"Letter {row.get('id')}"
        if role == ROW_ROLE:
            return row
        if role == SNIPPET_ROLE:
            return self.snippets.get(row.get("id")) or ""
        if role == Qt.ItemDataRole.ToolTipRole:
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
            snippet = self.snippets.get(row.get("id"))
            if snippet:
                lines.append(f"“{snippet.replace(MARK_OPEN, '').replace(MARK_CLOSE, '')}”")
            return shown_as_written("\n".join(line for line in lines if line))  # file name, snippet
        return None

    def set_rows(self, rows: list[dict], snippets: dict[int, str]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.snippets = snippets
        self.endResetModel()

    def row_of(self, doc_id: int | None) -> int:
        for i, row in enumerate(self.rows):
            if row.get("id") == doc_id:
                return i
        return -1


class DocumentDelegate(QStyledItemDelegate):
    """Case number and status pill on top; decisions (or the import error) and checks below."""

    PAD = 10

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 (Qt API)
        fm = QFontMetrics(option.font)
        lines = 3 if index.data(SNIPPET_ROLE) else 2
        return QSize(200, self.PAD * 2 + fm.height() * lines + 4 * (lines - 1))

    def paint(self, painter: QPainter, option, index) -> None:
        row = index.data(ROW_ROLE) or {}
        rect = option.rect
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hover = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected:
            painter.fillRect(rect, QColor("#e3ecfd"))
            painter.fillRect(QRect(rect.left(), rect.top(), 3, rect.height()), QColor("#2563eb"))
        elif hover:
            painter.fillRect(rect, QColor("#f3f5f8"))
        painter.setPen(QPen(QColor("#e6e9ee")))
        painter.drawLine(rect.left() + self.PAD, rect.bottom(), rect.right(), rect.bottom())

        status = row_status(row)
        font = QFont(option.font)
        fm = QFontMetrics(font)
        x = rect.left() + self.PAD + 4
        right = rect.right() - self.PAD
        y = rect.top() + self.PAD

        # status pill
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() - 1.5))
        small.setBold(True)
        sfm = QFontMetrics(small)
        label = STATUS_LABELS.get(status, status)
        pill_w = sfm.horizontalAdvance(label) + 14
        pill = QRectF(right - pill_w, y + (fm.height() - sfm.height() - 4) / 2, pill_w, sfm.height() + 4)
        bg, fg = STATUS_COLORS.get(status, STATUS_COLORS["new"])
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(bg))
        painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
        painter.setFont(small)
        painter.setPen(QColor(fg))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, label)

        # title
        title_font = QFont(font)
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(QColor("#111827"))
        title = row.get("case_number") or row.get("file_name") or f"Letter {row.get('id')}"
        tfm = QFontMetrics(title_font)
        room = int(pill.left() - x - 8)
        title = tfm.elidedText(title, Qt.TextElideMode.ElideMiddle, room)
        painter.drawText(QRect(x, y, room, fm.height()), Qt.AlignmentFlag.AlignVCenter, title)
        date = row.get("decision_date")
        used = tfm.horizontalAdvance(title) + 10
        if date and status != "failed" and used + fm.horizontalAdvance(date) <= room:
            painter.setFont(font)
            painter.setPen(QColor("#8a94a3"))
            painter.drawText(
                QRect(x + used, y, room - used, fm.height()), Qt.AlignmentFlag.AlignVCenter, date
            )

        # second line
        y2 = y + fm.height() + 4
        painter.setFont(font)
        if status == "failed":
            painter.setPen(QColor("#b91c1c"))
            text = fm.elidedText(error_message(row.get("error")), Qt.TextElideMode.ElideRight, right - x)
            painter.drawText(QRect(x, y2, right - x, fm.height()), Qt.AlignmentFlag.AlignVCenter, text)
        else:
            low = row.get("low_confidence") or 0
            rules = row.get("findings") or 0
            mark_w = 0
            # badges from the right: rule findings (rose), then values to check (amber)
            for count, mark, bg, fg in (
                (rules, f"{RULE_MARK} {rules}", "#fde4e4", "#b91c1c"),
                (low, f"⚠ {low}", "#fff1d6", "#a15c00"),
            ):
                if not count:
                    continue
                width = fm.horizontalAdvance(mark) + 12
                badge = QRectF(right - mark_w - width, y2, width, fm.height())
                mark_w += width + 4
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(bg))
                painter.drawRoundedRect(badge, 4, 4)
                painter.setPen(QColor(fg))
                painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, mark)
            painter.setPen(QColor("#5b6675"))
            summary = decision_summary(row.get("upheld") or 0, row.get("overturned") or 0)
            summary = fm.elidedText(summary, Qt.TextElideMode.ElideRight, right - x - mark_w - 6)
            painter.drawText(
                QRect(x, y2, right - x - mark_w, fm.height()), Qt.AlignmentFlag.AlignVCenter, summary
            )

        snippet = index.data(SNIPPET_ROLE)
        if snippet:
            y3 = y2 + fm.height() + 4
            draw_marked(painter, QRect(x, y3, right - x, fm.height()), snippet, font)
        painter.restore()


MARK_OPEN, MARK_CLOSE = "\x02", "\x03"  # around the matched words in search snippets


def draw_marked(painter: QPainter, rect: QRect, snippet: str, font: QFont) -> None:
    """A search snippet on one line: matched words bold and dark, the rest grey italic, elided at the end."""
    plain = QFont(font)
    plain.setItalic(True)
    strong = QFont(font)
    strong.setBold(True)
    x = rect.left()
    text = " ".join(snippet.split())
    parts = []
    for i, chunk in enumerate(text.split(MARK_OPEN)):
        hit, _, rest = chunk.partition(MARK_CLOSE) if i else ("", "", chunk)
        if hit:
            parts.append((hit, True))
        if rest:
            parts.append((rest, False))
    for piece, matched in parts:
        f = strong if matched else plain
        metrics = QFontMetrics(f)
        room = rect.right() - x
        if room <= metrics.horizontalAdvance("…"):
            break
        shown = metrics.elidedText(piece, Qt.TextElideMode.ElideRight, room)
        painter.setFont(f)
        painter.setPen(QColor("#1f2937" if matched else "#6b7280"))
        painter.drawText(QRect(x, rect.top(), room, rect.height()), Qt.AlignmentFlag.AlignVCenter, shown)
        if shown != piece:
            break
        x += metrics.horizontalAdvance(piece)


class DocumentList(QWidget):
    """Left pane. ``doc_selected(doc_id)`` fires when the current letter changes (-1: none)."""

    doc_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentList")
        self.store = None
        self._all_rows: list[dict] = []
        self._snippets: dict[int, str] = {}
        self._total = 0

        self.search = QLineEdit(self)
        self.search.setObjectName("searchBox")
        self.search.setPlaceholderText("Search letters  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search", "#6b7280"), QLineEdit.ActionPosition.LeadingPosition)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(220)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self._search_now)
        self.search.installEventFilter(self)

        self.filter = QComboBox(self)
        self.filter.setObjectName("statusFilter")
        for key, label in FILTERS:
            self.filter.addItem(label, key)
        self.filter.currentIndexChanged.connect(lambda _i: self._apply_filter())

        self.search_error = plain_label("", self)
        self.search_error.setObjectName("searchError")
        self.search_error.setWordWrap(True)
        self.search_error.setVisible(False)

        self.model = DocumentModel(self)
        self.view = QListView(self)
        self.view.setObjectName("documentView")
        self.view.setModel(self.model)
        self.view.setItemDelegate(DocumentDelegate(self.view))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setUniformItemSizes(False)
        self.view.setMouseTracking(True)
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.selectionModel().currentChanged.connect(self._on_current)

        self.footer = plain_label("", self)
        self.footer.setObjectName("listFooter")
        self.footer.setWordWrap(True)  # a narrow list wraps its counts rather than cutting them
        self.placeholder = plain_label("", self)
        self.placeholder.setObjectName("listPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.placeholder.setWordWrap(True)
        self.placeholder.setVisible(False)

        top = QFrame(self)
        top.setObjectName("listTop")
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(10, 10, 10, 8)
        top_layout.setSpacing(6)
        top_layout.addWidget(self.search)
        top_layout.addWidget(self.filter)
        top_layout.addWidget(self.search_error)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.footer)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        """Esc in the search box clears the search, or (when empty) goes back to the list."""
        if obj is self.search and event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape:
            if self.search.text():
                self.search.clear()
                self._search_now()
            else:
                self.view.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return True
        return super().eventFilter(obj, event)

    # ------------------------------------------------------------------ data

    def set_store(self, store) -> None:
        self.store = store
        self.refresh()

    def _search_now(self) -> None:
        self._search_timer.stop()
        self.refresh()

    def refresh(self) -> None:
        """Reload the rows from the store (keeping the current letter selected when it is still listed)."""
        if self.store is None:
            return
        from imrdesk.store import SearchError

        query = " ".join(self.search.text().split()) or None
        snippets: dict[int, str] = {}
        try:
            rows = self.store.list_documents(query=query, limit=100000)
            if query:
                for hit in self.store.search(query, limit=500, markers=(MARK_OPEN, MARK_CLOSE)):
                    snippets.setdefault(hit["doc_id"], hit.get("snippet") or "")
        except SearchError as exc:
            self.search_error.setText(str(exc))
            self.search_error.setVisible(True)
            return
        self.search_error.setVisible(False)
        self._all_rows = rows
        self._total = self.store.count_documents() if query else len(rows)
        self._snippets = snippets
        self._apply_filter()

    def _apply_filter(self) -> None:
        key = self.filter.currentData() or "all"
        current = self.current_doc_id()
        rows = [r for r in self._all_rows if row_matches(r, key)]
        snippets = self._snippets
        self.view.selectionModel().blockSignals(True)
        self.model.set_rows(rows, snippets)
        row = self.model.row_of(current)
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row))
        self.view.selectionModel().blockSignals(False)
        self._update_counts()
        if row < 0 and current is not None and current >= 0:
            self.doc_selected.emit(-1)

    def _update_counts(self) -> None:
        rows = self._all_rows
        for i, (key, label) in enumerate(FILTERS):
            n = sum(1 for r in rows if row_matches(r, key))
            self.filter.setItemText(i, f"{label}  ({n})")
        shown = self.model.rowCount()
        total = self._total
        checks = sum(r.get("low_confidence") or 0 for r in rows if not r.get("error"))
        rules = sum(r.get("findings") or 0 for r in rows if not r.get("error"))
        if self.search.text().strip():
            text = f"{shown} of {total} letters match"
        else:
            text = f"{shown} letter{'s' if shown != 1 else ''}" + (f" of {total}" if shown != total else "")
        if checks:
            text += f"  ·  ⚠ {checks} to check"
        if rules:
            text += f"  ·  {RULE_MARK} {rules} finding{'s' if rules != 1 else ''}"
        self.footer.setText(text)
        empty = shown == 0
        if empty:
            key = self.filter.currentData() or "all"
            if self.search.text().strip():
                message = "No letter matches this search."
            elif key == "to_review" and total:
                message = "✓ Nothing left to review here."
            elif key == "findings" and total:
                message = "✓ No validation rule doubts any value here."
            else:
                message = "No letters in this list."
            self.placeholder.setText(message)
        self.view.setVisible(not empty)
        self.placeholder.setVisible(empty)

    def update_row(self, row: dict) -> None:
        """Replace one letter's row in place (after a correction or a status change)."""
        for rows in (self._all_rows, self.model.rows):
            for i, r in enumerate(rows):
                if r.get("id") == row.get("id"):
                    rows[i] = {**r, **row}
        i = self.model.row_of(row.get("id"))
        if i >= 0:
            self.model.dataChanged.emit(self.model.index(i), self.model.index(i))
        self._update_counts()

    # ------------------------------------------------------------------ selection

    def doc_ids(self) -> list[int]:
        return [r.get("id") for r in self.model.rows]

    def current_doc_id(self) -> int | None:
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        return (index.data(ROW_ROLE) or {}).get("id")

    def select_doc(self, doc_id: int | None) -> bool:
        row = self.model.row_of(doc_id)
        if row < 0:
            return False
        self.view.setCurrentIndex(self.model.index(row))
        self.view.scrollTo(self.model.index(row))
        return True

    def select_row(self, row: int) -> bool:
        if not 0 <= row < self.model.rowCount():
            return False
        self.view.setCurrentIndex(self.model.index(row))
        self.view.scrollTo(self.model.index(row))
        return True

    def step(self, delta: int) -> bool:
        """Select the next (+1) or previous (-1) letter; False at either end."""
        current = self.view.currentIndex()
        row = current.row() + delta if current.isValid() else (0 if delta > 0 else self.model.rowCount() - 1)
        return self.select_row(row)

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = current.data(ROW_ROLE) if current.isValid() else None
        self.doc_selected.emit(row.get("id") if row else -1)
