"""The field panel: a letter's values as forms and an items table, each editor bound to a field path
(the editors: ``field_editors.py``).

Editors commit when the reviewer finishes with them; the panel then emits ``value_committed(path, value)``
and the window turns it into an undoable correction.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from imrdesk.record import (
    ITEM_FIELDS,
    ITEM_SECTIONS,
    LETTER_SECTIONS,
    check_queue,
    citation_anchor,
    findings_at,
    get_value,
    item_path,
    needs_check,
    parse_item_path,
)

from .case_header import CaseHeader, review_banner
from .field_editors import (
    LOW_MARK,
    CitationsView,
    Field,
    FieldLabel,
    align_labels,
    focus_widget,
    make_field,
    set_prop,
)
from .icons import icon
from .items_table import ITEM_COLUMNS, ItemsTable
from .plain import plain_label


class FieldPanel(QWidget):
    """Right pane: header with review status, the letter's fields, the disputed items."""

    field_focused = Signal(str)
    value_committed = Signal(str, object)
    invalid_value = Signal(str, str)
    history_requested = Signal(str)
    accept_requested = Signal(str)
    locate_requested = Signal(str)
    status_requested = Signal(str)
    dismiss_requested = Signal(str)  # a finding's key
    restore_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fieldPanel")
        self.record: dict | None = None
        self.dismissed: list[dict] = []  # the letter's dismissals whose rule still fires
        self.fields: dict[str, Field] = {}
        self.item_fields: dict[str, Field] = {}
        self.current_item = -1
        self._current_path: str | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.header = CaseHeader(self)
        self.header.status_requested.connect(self.status_requested)
        # the header's parts, as the window and its tests know them
        self.title, self.subtitle, self.status_chip = (
            self.header.title,
            self.header.subtitle,
            self.header.status_chip,
        )
        self.reviewed_button, self.flag_button = self.header.reviewed_button, self.header.flag_button
        layout.addWidget(self.header)
        self.banner = QLabel("", self)
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setVisible(False)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.linkActivated.connect(self._on_banner_link)
        layout.addWidget(self.banner)
        self.notes = plain_label("", self)  # reviewers' notes, shown as written
        self.notes.setObjectName("notes")
        self.notes.setWordWrap(True)
        self.notes.setVisible(False)
        layout.addWidget(self.notes)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("fieldTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._build_letter_tab(), "Letter")
        self.tabs.addTab(self._build_items_tab(), "Items")
        layout.addWidget(self.tabs, 1)
        self.setEnabled(False)

    # ------------------------------------------------------------------ construction

    def _add_field(self, form: QFormLayout, field: Field) -> None:
        field.committed.connect(self.value_committed)
        field.invalid.connect(self.invalid_value)
        field.focused.connect(self._on_focused)
        field.menu_requested.connect(self._show_menu)
        form.addRow(field.label, field.widget)
        field.note.dismiss_requested.connect(self.dismiss_requested)
        field.note.restore_requested.connect(self.restore_requested)
        field.form = form
        form.addRow(QWidget(), field.note)
        form.setRowVisible(field.note, False)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        wrap_forms(self, event.size().width() < NARROW_PANEL)
        super().resizeEvent(event)

    def _form(self, parent: QWidget) -> QFormLayout:
        form = QFormLayout(parent)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(7)
        form.setContentsMargins(12, 8, 12, 10)
        return form

    def _build_letter_tab(self) -> QWidget:
        self.letter_scroll = QScrollArea(self)
        self.letter_scroll.setObjectName("letterScroll")
        self.letter_scroll.setWidgetResizable(True)
        self.letter_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.letter_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        body.setObjectName("formBody")
        column = QVBoxLayout(body)
        column.setContentsMargins(10, 10, 10, 10)
        column.setSpacing(10)
        for title, specs in LETTER_SECTIONS:
            group = QGroupBox(title, body)
            form = self._form(group)
            for spec in specs:
                field = make_field(spec, spec.key, self)
                self.fields[spec.key] = field
                self._add_field(form, field)
            column.addWidget(group)
        column.addStretch(1)
        self.letter_scroll.setWidget(body)
        align_labels(body)
        return self.letter_scroll

    def _build_items_tab(self) -> QWidget:
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.setObjectName("itemsSplitter")
        split.setChildrenCollapsible(False)
        self.items_splitter = split

        self.table = ItemsTable(split)
        self.table.currentCellChanged.connect(lambda row, column, _r, _c: self._on_cell(row, column))

        detail_scroll = QScrollArea(split)
        detail_scroll.setObjectName("detailScroll")
        detail_scroll.setWidgetResizable(True)
        detail_scroll.setFrameShape(QFrame.Shape.NoFrame)
        detail_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.detail_scroll = detail_scroll
        body = QWidget()
        body.setObjectName("formBody")
        column = QVBoxLayout(body)
        column.setContentsMargins(10, 10, 10, 10)
        column.setSpacing(10)
        self.detail_forms: dict[str, QFormLayout] = {}
        self.citation_views: dict[str, CitationsView] = {}
        self.item_groups: list[QGroupBox] = []
        for title, specs in ITEM_SECTIONS:
            group = QGroupBox(title, body)
            form = self._form(group)
            for spec in specs:
                self.detail_forms[spec.key] = form
                if spec.kind == "citations":
                    view = CitationsView(group)
                    self.citation_views[spec.key] = view
                    form.addRow(FieldLabel(spec.label), view)
                    continue
                field = make_field(spec, item_path(0, spec.key), self)
                self.item_fields[spec.key] = field
                self._add_field(form, field)
            column.addWidget(group)
            self.item_groups.append(group)
        self.detail_group = self.item_groups[0]
        column.addStretch(1)
        detail_scroll.setWidget(body)
        align_labels(body)
        split.addWidget(self.table)
        split.addWidget(detail_scroll)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setSizes([170, 500])
        return split

    # ------------------------------------------------------------------ record

    def set_record(
        self, record: dict | None, notes: list[dict] | None = None, dismissed: list[dict] | None = None
    ) -> None:
        """Show a new letter (resets the item selection); ``dismissed``: its dismissed findings."""
        self.record = record
        self.dismissed = [d for d in dismissed or [] if d.get("active", True)]
        self._show_notes(notes)
        self._current_path = None
        self.current_item = -1
        self.setEnabled(record is not None)
        self.table.blockSignals(True)
        self.table.setRowCount(len(record.get("items") or []) if record else 0)
        self.table.blockSignals(False)
        if record is None:
            self.header.clear()
            self.banner.setVisible(False)
            for field in self.fields.values():
                field.set_value(None)
                self._show_findings(field)
            return
        self._refresh()
        self.tabs.setEnabled(not record.get("error"))  # a letter that failed to import has nothing to edit
        if record.get("items"):
            self.table.blockSignals(True)
            self.table.setCurrentCell(0, 0)
            self.table.blockSignals(False)
            self.select_item(0)
        else:
            self.select_item(-1)
        self.letter_scroll.verticalScrollBar().setValue(0)

    def update_record(
        self, record: dict, notes: list[dict] | None = None, dismissed: list[dict] | None = None
    ) -> None:
        """Show new values of the same letter (after a correction), keeping selection and focus."""
        self.record = record
        self.dismissed = [d for d in dismissed or [] if d.get("active", True)]
        self._show_notes(notes)
        self._refresh()
        self.select_item(self.current_item, force=True)

    def _show_notes(self, notes: list[dict] | None) -> None:
        texts = [n.get("text") for n in notes or [] if n.get("text")]
        self.notes.setText("\n".join(f"Note: {t}" for t in texts))
        self.notes.setVisible(bool(texts))

    def _refresh(self) -> None:
        record = self.record
        for path, field in self.fields.items():
            if get_value(record, path) != field.value or not field.widget.hasFocus():
                field.set_value(get_value(record, path))
            field.set_state(record)
            self._show_findings(field)
        self.table.fill(record)
        self._refresh_header()

    def _refresh_header(self) -> None:
        record = self.record
        self.header.show_record(record)
        items = record.get("items") or []
        pending = [p for p in check_queue(record) if p != "items"]
        self._banner(*review_banner(record, pending))
        letter_pending = any(parse_item_path(p) is None for p in pending)
        items_pending = any(parse_item_path(p) is not None for p in pending)
        self.tabs.setTabText(0, f"{LOW_MARK} Letter" if letter_pending else "Letter")
        self.tabs.setTabText(
            1, f"{LOW_MARK} Items ({len(items)})" if items_pending else f"Items ({len(items)})"
        )

    def _on_banner_link(self, link: str) -> None:
        if link.startswith("dismiss:"):
            self.dismiss_requested.emit(link[len("dismiss:") :])

    def _show_findings(self, field: Field, *, shown: bool = True) -> None:
        """The findings row under a field: its open findings and its dismissals that still apply."""
        if field.form is None:
            return
        record = self.record if shown else None
        open_findings = findings_at(record, field.path)
        dismissed = [d for d in self.dismissed if record and d.get("path") in (field.path,)]
        visible = field.note.set_findings(open_findings, dismissed)
        field.form.setRowVisible(field.note, visible)

    def _banner(self, kind: str, text: str) -> None:
        self.banner.setText(text)
        set_prop(self.banner, "kind", kind)
        self.banner.setVisible(True)

    # ------------------------------------------------------------------ items

    def select_item(self, row: int, *, force: bool = False) -> None:
        record = self.record
        items = (record or {}).get("items") or []
        if not (0 <= row < len(items)):
            row = -1
        if row == self.current_item and not force:
            return
        changed = row != self.current_item
        self.current_item = row
        if self.table.currentRow() != row and row >= 0:
            self.table.blockSignals(True)
            self.table.selectRow(row)
            self.table.blockSignals(False)
        for group in self.item_groups:
            group.setEnabled(row >= 0)
        self.detail_group.setTitle(f"Item {row + 1} of {len(items)}" if row >= 0 else "No disputed items")
        item = items[row] if row >= 0 else {}
        for key, field in self.item_fields.items():
            field.path = item_path(max(row, 0), key)
            field.widget.setProperty("fieldPath", field.path)
            value = item.get(key)
            if changed or value != field.value or not focus_widget(field).hasFocus():
                field.set_value(value if row >= 0 else None)
            if row >= 0:
                field.set_state(record)
            self._show_findings(field, shown=row >= 0)
            if field.spec.optional:
                present = any(item.get(s.key) for s in ITEM_FIELDS if s.optional)
                self.detail_forms[key].setRowVisible(field.widget, present)
        for key, view in self.citation_views.items():
            view.show_citations(item.get(key))
            label = self.detail_forms[key].labelForField(view)
            if isinstance(label, FieldLabel) and row >= 0:
                label.set_state("low" if needs_check(record, item_path(row, key)) else "")

    def _on_cell(self, row: int, column: int) -> None:
        """A cell chosen in the items table (mouse or arrow keys): show that item and that value."""
        self.select_item(row)
        if self.table.hasFocus() and 0 <= row and 0 <= column < len(ITEM_COLUMNS):
            self._current_path = item_path(row, ITEM_COLUMNS[column][1])
            self.field_focused.emit(self._current_path)

    # ------------------------------------------------------------------ focus & navigation

    def _on_focused(self, path: str) -> None:
        self._current_path = path
        self.field_focused.emit(path)

    def current_path(self) -> str | None:
        return self._current_path

    def field(self, path: str) -> Field | None:
        """The editor showing ``path`` (selecting its item first for item paths)."""
        parsed = parse_item_path(path)
        if parsed is None:
            return self.fields.get(path)
        index, key = parsed
        key = citation_anchor(key)  # citations are edited through their guideline paragraph
        if key not in self.item_fields:
            return None
        if self.current_item != index:
            self.select_item(index)
        return self.item_fields[key]

    def focus_field(self, path: str) -> bool:
        """Bring a field's editor into view and give it the keyboard focus."""
        parsed = parse_item_path(path)
        if path == "items":  # a finding about the whole letter (no disputed item): the items tab, the banner
            self.tabs.setCurrentIndex(1)
            self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self._current_path = path
            return True
        self.tabs.setCurrentIndex(1 if parsed else 0)
        field = self.field(path)
        if field is None:
            return False
        widget = focus_widget(field)
        scroll = self.detail_scroll if parsed else self.letter_scroll
        self._reveal(scroll, field.widget)
        self._current_path = path
        widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if isinstance(widget, QLineEdit):
            widget.selectAll()
        self.field_focused.emit(path)
        return True

    def _reveal(self, scroll: QScrollArea, widget: QWidget) -> None:
        """Scroll a whole field (with its label) into view, now and again once its tab's layout has
        settled: editors that grow with their text change height when a tab is first shown."""

        def show() -> None:
            body = scroll.widget()
            if body is None or not body.isAncestorOf(widget):
                return
            target = widget
            group = widget.parentWidget()
            while group is not None and not isinstance(group, QGroupBox):
                group = group.parentWidget()
            if group is not None and group.height() + 40 <= scroll.viewport().height():
                target = group  # the whole section when it fits: a guideline with its sources and citations
            top = target.mapTo(body, target.rect().topLeft()).y() - 28
            bottom = top + target.height() + 28 + 16
            bar = scroll.verticalScrollBar()
            view = scroll.viewport().height()
            if top < bar.value():
                bar.setValue(top)
            elif bottom > bar.value() + view:
                bar.setValue(min(top, bottom - view))

        body = scroll.widget()
        if body is not None and body.layout() is not None:
            body.layout().activate()
        show()
        for delay in (0, 40):
            QTimer.singleShot(delay, scroll, show)  # dropped if the panel is gone by then

    def focused_field(self) -> Field | None:
        focus = QApplication.focusWidget()
        if focus is None:
            return None
        for field in (*self.fields.values(), *self.item_fields.values()):
            if focus is field.widget or field.widget.isAncestorOf(focus):
                return field
        return None

    def commit_pending(self) -> bool:
        """Commit the editor being typed in (before switching letters, accepting, undoing)."""
        field = self.focused_field()
        return field.commit() if field is not None else True

    def revert_pending(self) -> bool:
        """Throw away uncommitted typing; True when there was some."""
        field = self.focused_field()
        if field is not None and field.is_dirty():
            field.revert()
            return True
        return False

    # ------------------------------------------------------------------ context menu

    def field_menu(self, path: str) -> QMenu:
        """The right-click menu of a field: its editor's own actions, then History, Accept, Show."""
        field = self.field(path)
        menu = QMenu(self)
        if field is not None and isinstance(field.widget, (QLineEdit, QPlainTextEdit)):
            standard = field.widget.createStandardContextMenu()
            standard.setParent(menu, standard.windowFlags())
            for action in standard.actions():
                if action.text().replace("&", "").startswith(("Undo", "Redo")):
                    continue  # undo and redo are the window's correction history
                menu.addAction(action)
            menu.addSeparator()
        history = menu.addAction(icon("history"), "History…")
        history.setShortcut(QKeySequence("Ctrl+H"))
        history.triggered.connect(lambda: self.history_requested.emit(path))
        accept = menu.addAction(icon("check"), "Accept value")
        accept.setShortcut(QKeySequence("Ctrl+Return"))
        accept.triggered.connect(lambda: self.accept_requested.emit(path))
        locate = menu.addAction(icon("search"), "Show in letter")
        locate.triggered.connect(lambda: self.locate_requested.emit(path))
        return menu

    def _show_menu(self, path: str, pos: QPoint) -> None:
        menu = self.field_menu(path)
        menu.exec(pos)
        menu.deleteLater()


NARROW_PANEL = 470  # below this panel width the labels stand above their values (a 1024-pixel screen)


def wrap_forms(panel: QWidget, wrap: bool) -> None:
    """Labels beside their values, or above them (``wrap``), in every form of the panel."""
    policy = QFormLayout.RowWrapPolicy.WrapAllRows if wrap else QFormLayout.RowWrapPolicy.DontWrapRows
    alignment = (
        Qt.AlignmentFlag.AlignLeft if wrap else Qt.AlignmentFlag.AlignRight
    ) | Qt.AlignmentFlag.AlignTop
    for form in panel.findChildren(QFormLayout):
        if form.rowWrapPolicy() == policy:
            continue
        form.setRowWrapPolicy(policy)
        form.setLabelAlignment(alignment)
        for row in range(form.rowCount()):  # the labels' own text alignment follows
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if item is not None and isinstance(item.widget(), QLabel):
                item.widget().setAlignment(alignment)
