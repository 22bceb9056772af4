"""The documents list: search, filters, saved views, and a sortable table of the letters with multi-selection
for work on many letters at once (the table's model: ``doc_model.py``; its filters: ``list_filters.py``)."""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QRect,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLineEdit,
    QMenu,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from imrdesk.store import ListQuery, SearchError

from .doc_model import (
    COLUMN_KEYS,
    COLUMNS,
    MARK_CLOSE,
    MARK_OPEN,
    ROW_ROLE,
    RULE_MARK,
    SNIPPET_ROLE,
    DocumentModel,
)
from .icons import icon
from .list_filters import FILTERS, ListFilters
from .plain import plain_label
from .theme import qcolor

__all__ = ["DocumentList", "MARK_OPEN", "MARK_CLOSE", "ROW_ROLE", "SNIPPET_ROLE", "RULE_MARK", "FILTERS"]
HIDDEN_AT_FIRST = ("imported", "source")
# work on the selected letters: (action, menu text)
BULK_ACTIONS = (
    ("reviewed", "Mark reviewed"),
    ("flag", "Flag…"),
    ("reextract", "Read again (re-extract)"),
    ("export", "Export the selection…"),
    ("remove", "Remove from the dataset"),
    ("restore", "Put back into the dataset"),
)


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
        painter.setPen(qcolor("#1f2937" if matched else "#6b7280"))
        painter.drawText(QRect(x, rect.top(), room, rect.height()), Qt.AlignmentFlag.AlignVCenter, shown)
        if shown != piece:
            break
        x += metrics.horizontalAdvance(piece)


class MatchDelegate(QStyledItemDelegate):
    """The Match column: the search snippet on one line, matched words bold."""

    def paint(self, painter: QPainter, option, index) -> None:
        super().paint(painter, option, index)
        snippet = index.data(SNIPPET_ROLE)
        if snippet:
            painter.save()
            draw_marked(painter, option.rect.adjusted(4, 0, -4, 0), snippet, option.font)
            painter.restore()


class DocumentList(QWidget):
    """Left pane. ``doc_selected(doc_id)`` fires when the current letter changes (-1: none);
    ``bulk_requested(action, ids)`` when the reviewer asks for work on the selected letters."""

    doc_selected = Signal(int)
    bulk_requested = Signal(str, list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentList")
        self.store = None
        self.tasks = None  # the window's task runner: the counts are asked there, off the GUI thread
        self.sort_key, self.descending = "id", False
        self._counts: dict = {}
        self._shown: ListQuery | None = None  # the query whose every id the list shows
        self._held: int | None = None  # the letter selected when a query's first rows came in

        self.search = QLineEdit(self)
        self.search.setObjectName("searchBox")
        self.search.setAccessibleName("Search letters")
        self.search.setPlaceholderText("Search letters  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search", "#6b7280"), QLineEdit.ActionPosition.LeadingPosition).setText(
            "Search"
        )
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(220)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self._search_now)
        self.search.installEventFilter(self)

        self.filters = ListFilters(self)
        self.filter = self.filters.status  # the status filter, as the window and its tests know it
        self.filters.changed.connect(self.refresh)
        self.filters.view_loaded.connect(self.apply_query)
        self.filters.save_requested.connect(self._save_view)

        self.search_error = plain_label("", self)
        self.search_error.setObjectName("searchError")
        self.search_error.setWordWrap(True)
        self.search_error.setVisible(False)

        self.model = DocumentModel(self)
        self.model.sort_requested.connect(self._on_sort)
        self.view = QTableView(self)
        self.view.setObjectName("documentView")
        self.view.setAccessibleName("Letters")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.horizontalHeader().setSortIndicator(
            -1, Qt.SortOrder.AscendingOrder
        )  # import order at first
        self.view.setSortingEnabled(True)
        self.sort_key, self.descending = "id", False  # enabling sorting asked for an order: not yet chosen
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.view.setTabKeyNavigation(False)
        rows = self.view.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform heights: nothing measured per row
        rows.setDefaultSectionSize(QFontMetrics(self.font()).height() + 12)
        head = self.view.horizontalHeader()
        head.setHighlightSections(False)
        head.setSectionsMovable(True)
        head.setStretchLastSection(False)
        head.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        head.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        head.customContextMenuRequested.connect(self._column_menu)
        fm = QFontMetrics(head.font())
        widths = {"case": 16, "decided": 11, "specialty": 18, "imported": 11, "status": 10, "match": 32}
        for n, key in enumerate(COLUMN_KEYS):
            # room for the header and the sort arrow, or for the column's usual text (in characters)
            text = fm.horizontalAdvance(COLUMNS[n][1]) + 30
            head.resizeSection(n, max(text, fm.averageCharWidth() * widths.get(key, 4) + 16))
            if key in HIDDEN_AT_FIRST or key == "match":
                self.view.hideColumn(n)
        self.view.setItemDelegateForColumn(COLUMN_KEYS.index("match"), MatchDelegate(self.view))
        self.view.selectionModel().currentChanged.connect(self._on_current)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._bulk_menu)

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
        top_layout.addWidget(self.filters)
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

    def set_store(self, store, settings: QSettings | None = None, tasks=None) -> None:
        self.store = store
        self.tasks = tasks
        if settings is not None:
            self.filters.set_settings(settings)
        self.refresh()

    def detach(self) -> None:
        """The window is closing and its store with it: nothing asks the store again (a filter's line edit
        still reports losing the focus as the window goes)."""
        self._search_timer.stop()
        self.store = None

    def query(self) -> ListQuery:
        text = " ".join(self.search.text().split()) or None
        return self.filters.query(text, self.sort_key, self.descending)

    def apply_query(self, q: ListQuery) -> None:
        """Show a query (a saved view, the last session's): its filters, search and order."""
        self.sort_key, self.descending = q.sort, q.descending
        self.search.blockSignals(True)
        self.search.setText(q.search or "")
        self.search.blockSignals(False)
        column = next((n for n, c in enumerate(COLUMNS) if c[2] == q.sort and q.sort != "id"), -1)
        order = Qt.SortOrder.DescendingOrder if q.descending else Qt.SortOrder.AscendingOrder
        head = self.view.horizontalHeader()
        head.blockSignals(True)
        head.setSortIndicator(column, order)
        head.blockSignals(False)
        self.filters.show_query(q)  # refreshes once

    def _save_view(self) -> None:
        name = self.filters.ask_name()
        if name:
            self.filters.save_view(name, self.query())

    def _search_now(self) -> None:
        self._search_timer.stop()
        self.refresh()

    def _on_sort(self, key: str, descending: bool) -> None:
        self.sort_key, self.descending = key, descending
        self.refresh()

    # Above this many letters the ids query (0.1-0.3 s sorted at 100,000) runs on the task runner and the
    # newest answer wins; below it the list answers at once, as the reviewer's next key expects.
    ASYNC_ABOVE = 50_000
    FIRST_ROWS = 1000  # a large list's first rows, shown while the rest are listed

    def refresh(self) -> None:
        """Ask the store again for the letters the search and filters select, in the chosen order (keeping
        the current letter selected when it is still listed)."""
        if self.store is None:
            return
        q = self.query()
        total = self._counts.get("total")
        if total is None:  # before the first counts: the dataset's size, pre-counted
            total = self.store.lists.size()
        large = self.tasks is not None and total > self.ASYNC_ABOVE
        self.model.snippet_source = self._request_snippets if large else None
        if large:
            self.tasks.submit(
                "list-ids",
                lambda store, task: self._ids_in_two_steps(store, task, q),
                done=lambda ids: self._show_ids(q, ids),
                failed=lambda exc: self._ids_failed(q, exc),
                progress=lambda first: self._show_first_rows(q, first),
            )
            return
        try:
            ids = self.store.lists.ids(q)
        except SearchError as exc:
            self._ids_failed(q, exc)
            return
        self._show_ids(q, ids)

    def _ids_in_two_steps(self, store, task, q: ListQuery) -> list[int]:
        """In the task's thread: the first screenfuls (shown at once), then every id (seconds at a million)."""
        task.progress(store.lists.ids(q, limit=self.FIRST_ROWS))
        return store.lists.ids(q)

    def _show_first_rows(self, q: ListQuery, ids: list[int]) -> None:
        if self.store is None or q != self.query() or self.model.rowCount() and self._shown == q:
            return  # a newer query is on its way, or this one's whole answer is already shown
        current = self.current_doc_id()
        self._held = current if current is not None else self._held  # reselected when every id is in
        self._list(q, ids, self._held)
        self.footer.setText(f"The first {len(ids):,} letters shown · listing the rest…")

    def _request_snippets(self, search: str, ids: list[int], page: int) -> None:
        self.tasks.submit(
            f"list-snippets-{page}",
            lambda store, _task: store.lists.snippets(search, ids, (MARK_OPEN, MARK_CLOSE)),
            done=lambda snippets: self.model.add_snippets(search, page, snippets),
            failed=lambda _exc: None,  # the match column stays empty; the list itself is right
        )

    def _ids_failed(self, q: ListQuery, exc: BaseException) -> None:
        if self.store is None or q != self.query() or not isinstance(exc, SearchError):
            return  # a newer query is on its way (a database fault is said where it is met)
        self.search_error.setText(str(exc))
        self.search_error.setVisible(True)

    def _show_ids(self, q: ListQuery, ids: list[int]) -> None:
        if self.store is None or q != self.query():
            return  # the filters changed since: a newer answer is on its way
        self._shown = q
        current = self.current_doc_id()
        if current is None:
            current = self._held
        self._held = None
        row = self._list(q, ids, current)
        self._update_footer(q)
        self._recount(q)
        if row < 0 and current is not None and current >= 0:
            self.doc_selected.emit(-1)

    def _list(self, q: ListQuery, ids: list[int], current: int | None) -> int:
        """Show ``ids`` for ``q`` with ``current`` still selected where listed (no selection signal); its row,
        or -1."""
        self.search_error.setVisible(False)
        self.view.selectionModel().blockSignals(True)
        self.model.reset(self.store.lists, ids, q.search)
        row = self.model.row_of(current)
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row))
        self.view.selectionModel().blockSignals(False)
        self.view.setColumnHidden(COLUMN_KEYS.index("match"), not q.search)
        return row

    def _recount(self, q: ListQuery) -> None:
        """The filters' counts and the footer's figures: a few aggregate queries over every letter (half a
        second at 100,000), so asked on the window's task runner when it has one; the newest wins."""
        if self.tasks is None:
            self._show_counts(q, self.store.lists.counts(q))
            return
        self.tasks.submit(
            "list-counts",
            lambda store, _task: store.lists.counts(q),
            done=lambda counts: self._show_counts(q, counts),
            failed=lambda _exc: None,  # an unparsable search was already said; the old counts stay
        )

    def _show_counts(self, q: ListQuery, counts: dict) -> None:
        if self.store is None or q != self.query():
            return  # the filters changed since: newer counts are on their way
        self._counts = counts
        self.filters.set_counts(counts["by_status"], counts.get("removed"))
        self._update_footer(q)

    def _update_footer(self, q: ListQuery) -> None:
        shown = self.model.rowCount()
        total = self._counts.get("total", shown)  # every letter in the dataset, whatever the filters
        checks, rules = self._counts.get("to_check", 0), self._counts.get("findings", 0)
        if q.search:
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
            if q.search:
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
        """A letter's row after a correction or a status change (the counts are asked again)."""
        self.model.update_row(row)
        if self.store is not None:
            self._recount(self.query())

    # ------------------------------------------------------------------ selection

    def doc_ids(self) -> list[int]:
        return list(self.model.ids)

    def current_doc_id(self) -> int | None:
        index = self.view.currentIndex()
        if not index.isValid() or index.row() >= len(self.model.ids):
            return None
        return self.model.ids[index.row()]

    def selected_ids(self) -> list[int]:
        """The selected letters in list order (the current one when nothing else is selected)."""
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        ids = [self.model.ids[r] for r in rows if r < len(self.model.ids)]
        current = self.current_doc_id()
        return ids or ([current] if current is not None else [])

    def select_doc(self, doc_id: int | None) -> bool:
        return self.select_row(self.model.row_of(doc_id))

    def select_row(self, row: int) -> bool:
        if not 0 <= row < self.model.rowCount():
            return False
        index = self.model.index(row)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.view.selectionModel().setCurrentIndex(index, flags)
        self.view.scrollTo(index)
        return True

    def step(self, delta: int) -> bool:
        """Select the next (+1) or previous (-1) letter; False at either end."""
        current = self.view.currentIndex()
        row = current.row() + delta if current.isValid() else (0 if delta > 0 else self.model.rowCount() - 1)
        return self.select_row(row)

    def next_to_review(self, after: int | None, *, with_checks: bool = False) -> int | None:
        """The next letter of this list still to review after ``after`` (wrapping), never ``after``
        (``with_checks``: one with something to check)."""
        if self.store is None or not self.model.ids:
            return None
        start = self.model.row_of(after) + 1 if after is not None else 0
        return self.store.lists.next_waiting(
            self.model.ids, max(0, start), skip=after, with_checks=with_checks
        )

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        ok = current.isValid() and current.row() < len(self.model.ids)
        self.doc_selected.emit(self.model.ids[current.row()] if ok else -1)

    # ------------------------------------------------------------------ menus

    def _bulk_menu(self, pos: QPoint) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        menu = self.bulk_menu(ids)
        menu.exec(self.view.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def bulk_menu(self, ids: list[int]) -> QMenu:
        """Work on the selected letters (also the Review menu's "Selected letters")."""
        menu = QMenu(self)
        removed = self.query().removed
        n = len(ids)
        menu.addSection(f"{n} letter{'s' if n != 1 else ''}")
        for action, text in BULK_ACTIONS:
            if (action == "restore") != removed and action in ("remove", "restore"):
                continue
            item = menu.addAction(text)
            item.triggered.connect(
                lambda _c=False, a=action, chosen=list(ids): self.bulk_requested.emit(a, chosen)
            )
        return menu

    def _column_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        for n, (key, header, _sort, tip) in enumerate(COLUMNS):
            if key in ("case", "match"):
                continue
            action = menu.addAction(tip if header in ("⚠", RULE_MARK) else header)
            action.setCheckable(True)
            action.setChecked(not self.view.isColumnHidden(n))
            action.toggled.connect(lambda on, col=n: self.view.setColumnHidden(col, not on))
        menu.exec(self.view.horizontalHeader().mapToGlobal(pos))
        menu.deleteLater()

    def header_state(self) -> bytes:
        return bytes(self.view.horizontalHeader().saveState())

    def restore_header(self, state) -> None:
        if state:
            self.view.horizontalHeader().restoreState(state)
