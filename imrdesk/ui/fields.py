"""The field panel: a letter's values as forms and an items table, each editor bound to a field path.

Editors commit when the reviewer finishes with them (Return, leaving the field, picking a choice); the
panel then emits ``value_committed(path, value)`` and the window turns it into an undoable correction.
Low-confidence values are marked (label, editor tint, tooltip with the confidence); corrected or accepted
values carry a check mark.
"""

from __future__ import annotations

import datetime as dt
import html
import math

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from imrdesk.record import (
    DECISIONS,
    ITEM_FIELDS,
    ITEM_SECTIONS,
    LETTER_SECTIONS,
    PRIORITIES,
    REVIEW_THRESHOLD,
    SEXES,
    SOURCE_FAMILIES,
    STATUS_LABELS,
    FieldSpec,
    check_queue,
    citation_anchor,
    citation_text,
    confidence,
    decision_summary,
    field_label,
    findings_at,
    get_value,
    is_corrected,
    item_path,
    letter_findings,
    needs_check,
    parse_item_path,
    provenance,
)

from .finding_note import FindingNote
from .icons import icon

LOW_MARK = "⚠"
DONE_MARK = "✓"


def _passes_window_shortcut(event: QEvent) -> bool:
    """Undo/redo belong to the window's correction history, not to the editor's own typing history."""
    if event.type() != QEvent.Type.ShortcutOverride:
        return False
    if event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo):
        return True
    combo = event.keyCombination()
    ctrl = Qt.KeyboardModifier.ControlModifier
    return combo.key() in (Qt.Key.Key_Z, Qt.Key.Key_Y) and bool(combo.keyboardModifiers() & ctrl)


class LineEdit(QLineEdit):
    def event(self, event: QEvent) -> bool:
        if _passes_window_shortcut(event):
            event.ignore()
            return True
        return super().event(event)


class TextEdit(QPlainTextEdit):
    """A paragraph editor that grows with its text between a minimum and a maximum number of lines."""

    def __init__(self, lines: tuple[int, int] = (1, 4), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.min_lines, self.max_lines = lines
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().documentLayout().documentSizeChanged.connect(lambda _size: self._fit())
        self._fit()

    def _fit(self) -> None:
        lines = math.ceil(self.document().documentLayout().documentSize().height())
        lines = max(self.min_lines, min(self.max_lines, lines))
        chrome = 2 * self.frameWidth() + 2 * self.document().documentMargin() + 4
        height = int(lines * QFontMetrics(self.font()).lineSpacing() + chrome)
        if height != self.height() or self.minimumHeight() != height:
            self.setFixedHeight(height)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._fit()

    def event(self, event: QEvent) -> bool:
        if _passes_window_shortcut(event):
            event.ignore()
            return True
        return super().event(event)


class FieldLabel(QLabel):
    """A form label with a state mark: ⚠ low confidence, ✓ corrected or accepted."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.base = text
        self.setObjectName("fieldLabel")
        self.set_state("")

    def set_state(self, state: str) -> None:
        mark = {"low": LOW_MARK + " ", "done": DONE_MARK + " "}.get(state, "")
        self.setText(mark + self.base)
        _set_prop(self, "state", state)


class ElidedLabel(QLabel):
    """A one-line label that elides in the middle instead of pushing its neighbours away."""

    def minimumSizeHint(self):  # noqa: N802 (Qt API)
        hint = super().minimumSizeHint()
        hint.setWidth(min(hint.width(), 60))
        return hint

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideMiddle, rect.width())
        painter.drawText(rect, int(self.alignment()), text)
        painter.end()


def _set_prop(widget: QWidget, name: str, value) -> None:
    """Set a dynamic property the stylesheet reads, and re-polish when it changes (the last value is
    remembered on the Python side: reading an unset Qt property costs a reference, see _refcounts)."""
    known = widget.__dict__.setdefault("_style_props", {})
    unset = "" if isinstance(value, str) else False  # an unset property matches no selector either
    if known.get(name, unset) == value:
        return
    known[name] = value
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class Field(QObject):
    """One editor bound to a field path; subclasses adapt a widget to ``show``/``read``."""

    committed = Signal(str, object)  # path, new value
    invalid = Signal(str, str)  # path, message
    focused = Signal(str)
    menu_requested = Signal(str, QPoint)  # path, global position

    def __init__(self, spec: FieldSpec, path: str, widget: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.path = path
        self.widget = widget
        self.label = FieldLabel(spec.label)
        self.label.setBuddy(widget)
        self.note = FindingNote()  # the rule findings about this value, a form row under the editor
        self.form: QFormLayout | None = None
        self.value = None
        self.state = ""
        widget.setProperty("fieldPath", path)
        widget.installEventFilter(self)
        widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        widget.customContextMenuRequested.connect(
            lambda pos: self.menu_requested.emit(self.path, self.widget.mapToGlobal(pos))
        )

    # subclasses ------------------------------------------------------------
    def show(self, value) -> None:
        raise NotImplementedError

    def read(self):
        """The editor's value; raises ValueError with a message for a person when it is not valid."""
        raise NotImplementedError

    # shared ----------------------------------------------------------------
    def set_value(self, value) -> None:
        self.value = value
        self.show(value)
        self._set_invalid("")

    def is_dirty(self) -> bool:
        try:
            return self.read() != self.value
        except ValueError:
            return True

    def revert(self) -> None:
        self.set_value(self.value)

    def commit(self) -> bool:
        """Emit ``committed`` when the editor holds a new valid value; False when it holds an invalid one."""
        try:
            new = self.read()
        except ValueError as exc:
            self._set_invalid(str(exc))
            self.invalid.emit(self.path, str(exc))
            return False
        self._set_invalid("")
        if new != self.value:
            self.committed.emit(self.path, new)
        return True

    def set_state(self, record: dict) -> None:
        conf = confidence(record, self.path)
        corrected = is_corrected(record, self.path)
        doubts = findings_at(record, self.path)
        if needs_check(record, self.path) or doubts:
            state = "low"
        elif corrected:
            state = "done"
        else:
            state = ""
        self.state = state
        self.label.set_state(state)
        _set_prop(self.widget, "state", state)
        tip = [field_label(self.path)]
        for f in doubts:
            tip.append(f"{LOW_MARK} {f.get('message')}")
        if corrected:  # the store reports a corrected value with confidence 1: say who, not how sure
            tip.append("Checked by a reviewer (right-click → History).")
        elif doubts:
            tip.append("A validation rule doubts this value: correct it, or dismiss the finding.")
        elif conf is not None:
            line = f"Extraction confidence {conf:.0%}"
            if conf < REVIEW_THRESHOLD and not corrected:
                line += (
                    f" — below the review threshold ({REVIEW_THRESHOLD:.0%}); check it against the letter."
                )
            tip.append(line)
        elif not provenance(record, self.path):
            tip.append("Not found in the letter.")
        self.widget.setToolTip("\n".join(tip))
        self.label.setToolTip("\n".join(tip))

    def _set_invalid(self, message: str) -> None:
        _set_prop(self.widget, "invalid", bool(message))
        if message:
            self.widget.setToolTip(message)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        kind = event.type()
        if kind == QEvent.Type.FocusIn:
            self.focused.emit(self.path)
        elif kind == QEvent.Type.FocusOut and event.reason() != Qt.FocusReason.PopupFocusReason:
            self.commit()
        return False


class LineField(Field):
    """Single-line text, ISO dates, whole numbers and ``;``-separated lists."""

    def __init__(self, spec: FieldSpec, path: str, parent: QObject | None = None) -> None:
        edit = LineEdit()
        super().__init__(spec, path, edit, parent)
        self.edit = edit
        placeholder = {"date": "YYYY-MM-DD", "int": "—", "list": "separate entries with ;"}.get(
            spec.kind, "—"
        )
        edit.setPlaceholderText(placeholder)
        edit.returnPressed.connect(self.commit)
        if spec.kind in ("date", "int"):
            edit.setMaximumWidth(140)

    def show(self, value) -> None:
        if value is None:
            text = ""
        elif self.spec.kind == "list":
            text = "; ".join(str(v) for v in value)
        else:
            text = str(value)
        self.edit.setText(text)
        self.edit.setCursorPosition(0)

    def read(self):
        text = " ".join(self.edit.text().split())
        kind = self.spec.kind
        if kind == "list":
            return [part.strip() for part in text.split(";") if part.strip()]
        if not text:
            return None
        if kind == "date":
            try:
                return dt.date.fromisoformat(text).isoformat()
            except ValueError:
                raise ValueError(
                    f"{self.spec.label}: enter a date as YYYY-MM-DD (e.g. 2016-12-09)."
                ) from None
        if kind == "int":
            if not text.isdigit() or not 0 <= int(text) <= 130:
                raise ValueError(f"{self.spec.label}: enter a whole number of years.")
            return int(text)
        return text


class ChoiceField(Field):
    """A closed choice (sex, decision, priority); "—" stands for a value the letter does not state."""

    def __init__(self, spec: FieldSpec, path: str, parent: QObject | None = None) -> None:
        combo = QComboBox()
        super().__init__(spec, path, combo, parent)
        self.combo = combo
        self.options = {"sex": SEXES, "decision": DECISIONS, "priority": PRIORITIES}[spec.kind]
        self.choices: list = []  # the value of each entry, by index
        combo.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        combo.setMinimumWidth(140)
        combo.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._fill(None)
        combo.activated.connect(lambda _index: self.commit())

    def _fill(self, value) -> None:
        self.choices = [None, *self.options]
        if value is not None and value not in self.options:
            self.choices.append(value)  # a value the letter states outside the usual ones
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItems(["—" if v is None else str(v) for v in self.choices])
        self.combo.blockSignals(False)

    def show(self, value) -> None:
        if value not in self.choices:
            self._fill(value)
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(self.choices.index(value))
        self.combo.blockSignals(False)

    def read(self):
        index = self.combo.currentIndex()
        return self.choices[index] if 0 <= index < len(self.choices) else None

    def select(self, value) -> None:
        """Choose ``value`` as the reviewer would (tests, keyboard helpers) and commit it."""
        self.combo.setCurrentIndex(self.choices.index(value))
        self.commit()


class TextField(Field):
    """Paragraph text (guidelines, rationale, summary) or one entry per line (diagnoses)."""

    def __init__(self, spec: FieldSpec, path: str, parent: QObject | None = None) -> None:
        edit = TextEdit(spec.lines)
        super().__init__(spec, path, edit, parent)
        self.edit = edit
        if spec.kind == "lines":
            edit.setPlaceholderText("one entry per line")
        else:
            edit.setPlaceholderText("—")

    def show(self, value) -> None:
        if value is None:
            text = ""
        elif self.spec.kind == "lines":
            text = "\n".join(str(v) for v in value)
        else:
            text = str(value)
        if self.edit.toPlainText() != text:
            self.edit.setPlainText(text)
        self.edit.verticalScrollBar().setValue(0)

    def read(self):
        text = self.edit.toPlainText()
        if self.spec.kind == "lines":
            return [" ".join(line.split()) for line in text.splitlines() if line.strip()]
        text = " ".join(text.split())
        return text or None


class SourcesField(Field):
    """The guideline families a paragraph cites, as four toggles (MTUS, ACOEM, ODG, OTHER)."""

    def __init__(self, spec: FieldSpec, path: str, parent: QObject | None = None) -> None:
        box = QFrame()
        box.setObjectName("sourcesBox")
        box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        super().__init__(spec, path, box, parent)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.buttons: dict[str, QToolButton] = {}
        for family in SOURCE_FAMILIES:
            button = QToolButton(box)
            button.setObjectName("sourceToggle")
            button.setText(family)
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.setToolTip(
                f"Cites {family}" if family != "OTHER" else "Cites another guideline or reference"
            )
            button.clicked.connect(lambda _checked=False: self.commit())
            button.installEventFilter(self)
            button.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            button.customContextMenuRequested.connect(
                lambda pos, b=button: self.menu_requested.emit(self.path, b.mapToGlobal(pos))
            )
            row.addWidget(button)
            self.buttons[family] = button
        row.addStretch(1)
        self._order: list[str] = []

    @property
    def focus_widget(self) -> QWidget:
        return self.buttons[SOURCE_FAMILIES[0]]

    def show(self, value) -> None:
        self._order = list(value or [])
        for family, button in self.buttons.items():
            button.setChecked(family in self._order)

    def read(self):
        checked = [f for f in SOURCE_FAMILIES if self.buttons[f].isChecked()]
        kept = [f for f in self._order if f in checked]
        return kept + [f for f in checked if f not in kept]

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.FocusIn:
            self.focused.emit(self.path)
        return False


class CitationsView(QLabel):
    """The structured citations parsed from a guideline paragraph (read-only; edit the paragraph)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("citations")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def show_citations(self, citations: list[dict] | None) -> None:
        if not citations:
            self.setText("<span style='color:#8a94a3'>No citation parsed</span>")
            return
        rows = []
        for c in citations:
            rows.append(f"<div style='margin:1px 0'>• {html.escape(citation_text(c), quote=False)}</div>")
        self.setText("".join(rows))


def _align_labels(body: QWidget) -> None:
    """One label column width for every form in a tab, wide enough for a marked, bold label."""
    labels = body.findChildren(FieldLabel)
    if not labels:
        return
    font = labels[0].font()
    font.setBold(True)
    metrics = QFontMetrics(font)
    width = max(metrics.horizontalAdvance(f"{LOW_MARK} {label.base}") for label in labels) + 6
    for label in labels:
        label.setMinimumWidth(width)
        label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)


def make_field(spec: FieldSpec, path: str, parent: QObject | None = None) -> Field:
    if spec.kind in ("text", "date", "int", "list"):
        return LineField(spec, path, parent)
    if spec.kind in ("sex", "decision", "priority"):
        return ChoiceField(spec, path, parent)
    if spec.kind in ("longtext", "lines"):
        return TextField(spec, path, parent)
    if spec.kind == "sources":
        return SourcesField(spec, path, parent)
    raise ValueError(spec.kind)


def focus_widget(field: Field) -> QWidget:
    return getattr(field, "focus_widget", field.widget)


# The items table: (header, item key shown and marked in that column).
ITEM_COLUMNS = (
    ("Treatment", "treatment"),
    ("Decision", "decision"),
    ("Claims admin.", "claims_administrator_sources"),
    ("MAXIMUS", "maximus_sources"),
    ("Rationale", "rationale"),
)


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
        layout.addWidget(self._build_header())
        self.banner = QLabel("", self)
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setVisible(False)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.linkActivated.connect(self._on_banner_link)
        layout.addWidget(self.banner)
        self.notes = QLabel("", self)
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

    def _build_header(self) -> QWidget:
        header = QFrame(self)
        header.setObjectName("panelHeader")
        grid = QVBoxLayout(header)
        grid.setContentsMargins(14, 10, 14, 10)
        grid.setSpacing(2)
        top = QHBoxLayout()
        top.setSpacing(6)
        self.title = ElidedLabel("No letter", header)
        self.title.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.title.setObjectName("caseTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_chip = QLabel("", header)
        self.status_chip.setObjectName("statusChip")
        self.reviewed_button = QPushButton(icon("check", "#15803d"), "Reviewed", header)
        self.reviewed_button.setObjectName("reviewedButton")
        self.reviewed_button.setCheckable(True)
        self.reviewed_button.setToolTip("Mark this letter reviewed (Ctrl+R marks it and opens the next)")
        self.reviewed_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.reviewed_button.clicked.connect(
            lambda checked: self.status_requested.emit("reviewed" if checked else "in_review")
        )
        self.flag_button = QPushButton(icon("flag", "#b91c1c"), "Flag", header)
        self.flag_button.setObjectName("flagButton")
        self.flag_button.setCheckable(True)
        self.flag_button.setToolTip("Flag this letter for a second look (Ctrl+Shift+F)")
        self.flag_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.flag_button.clicked.connect(
            lambda checked: self.status_requested.emit("flagged" if checked else "in_review")
        )
        top.addWidget(self.title)
        top.addWidget(self.status_chip, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addStretch(1)
        top.addWidget(self.reviewed_button)
        top.addWidget(self.flag_button)
        self.subtitle = QLabel("", header)
        self.subtitle.setObjectName("caseSubtitle")
        grid.addLayout(top)
        grid.addWidget(self.subtitle)
        return header

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
        _align_labels(body)
        return self.letter_scroll

    def _build_items_tab(self) -> QWidget:
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.setObjectName("itemsSplitter")
        split.setChildrenCollapsible(False)
        self.items_splitter = split

        self.table = QTableWidget(0, len(ITEM_COLUMNS), split)
        self.table.setObjectName("itemsTable")
        self.table.setHorizontalHeaderLabels([header for header, _key in ITEM_COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().setDefaultSectionSize(QFontMetrics(self.font()).lineSpacing() * 2 + 10)
        head = self.table.horizontalHeader()
        head.setHighlightSections(False)
        head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(len(ITEM_COLUMNS) - 1, QHeaderView.ResizeMode.Interactive)
        head.resizeSection(len(ITEM_COLUMNS) - 1, 110)
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
        _align_labels(body)
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
            self.title.setText("No letter")
            self.subtitle.setText("")
            self.status_chip.setText("")
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
        self._fill_table()
        self._refresh_header()

    def _refresh_header(self) -> None:
        record = self.record
        self.title.setText(record.get("case_number") or record.get("file") or "Letter")
        self.title.setToolTip(self.title.text())
        status = record.get("review_status") or "new"
        error = record.get("error")
        if error:
            status = "failed"
        self.status_chip.setText(STATUS_LABELS.get(status, status))
        _set_prop(self.status_chip, "status", status)
        self.reviewed_button.setChecked(status == "reviewed")
        self.flag_button.setChecked(status == "flagged")
        bits = [record.get("file") or ""]
        if record.get("format"):
            bits.append(record["format"])
        pages = record.get("pages") or 0
        bits.append(f"{pages} page{'s' if pages != 1 else ''}")
        items = record.get("items") or []
        upheld = sum(1 for i in items if i.get("decision") == "Upheld")
        overturned = sum(1 for i in items if i.get("decision") == "Overturned")
        bits.append(decision_summary(upheld, overturned))
        self.subtitle.setText("  ·  ".join(b for b in bits if b))
        self.tabs.setTabText(1, f"Items ({len(items)})")
        pending = [p for p in check_queue(record) if p != "items"]
        doubted = {f.get("path") for f in record.get("findings") or []} - {"items"}
        whole = letter_findings(record)
        if error:
            self._banner("error", f"Import failed — {error.get('message') or error.get('code')}")
        elif pending or whole:
            lines = [
                f"{LOW_MARK}  {html.escape(f.get('message') or '')} &nbsp;<a href='dismiss:{html.escape(f['key'])}'>"
                "Dismiss</a>"
                for f in whole
            ]
            if pending:
                n = len(pending)
                text = f"{LOW_MARK}  {n} value{'s' if n != 1 else ''} to check"
                if doubted:
                    text += f" ({len(doubted)} doubted by a validation rule)"
                lines.append(text + " — F8 goes to the next one")
            self._banner("low", "<br>".join(lines))
        else:
            self._banner("done", f"{DONE_MARK}  No low-confidence values left in this letter")
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
        _set_prop(self.banner, "kind", kind)
        self.banner.setVisible(True)

    def _fill_table(self) -> None:
        record = self.record
        items = record.get("items") or []
        self.table.blockSignals(True)
        if self.table.rowCount() != len(items):
            self.table.setRowCount(len(items))
        for row, item in enumerate(items):
            for column, (_header, key) in enumerate(ITEM_COLUMNS):
                cell = self.table.item(row, column)
                if cell is None:
                    cell = QTableWidgetItem()
                    self.table.setItem(row, column, cell)
                self._fill_cell(cell, row, item, key)
        self.table.blockSignals(False)

    def _fill_cell(self, cell: QTableWidgetItem, row: int, item: dict, key: str) -> None:
        record = self.record
        path = item_path(row, key)
        value = item.get(key)
        text = " · ".join(value) if isinstance(value, list) else (value or "")
        tip = text
        if key == "treatment":
            text = f"{row + 1}. {text or '—'}"
            if any(needs_check(record, item_path(row, s.key)) for s in ITEM_FIELDS):
                text = f"{LOW_MARK} {text}"
        elif key.endswith("_sources"):
            side = key[: -len("_sources")]
            citations = "\n".join(citation_text(c) for c in item.get(f"{side}_citations") or [])
            tip = f"{item.get(f'{side}_guideline') or ''}\n\n{citations}"
        elif key == "decision":
            color = {"Upheld": "#9a3412", "Overturned": "#15803d"}.get(value, "#334155")
            cell.setForeground(QBrush(QColor(color)))
        cell.setText(text or "—")
        cell.setBackground(QBrush(QColor(255, 236, 204)) if needs_check(record, path) else QBrush())
        conf = confidence(record, path)
        doubts = findings_at(record, path)
        if doubts:
            tip = "\n".join([tip, "", *(f"{LOW_MARK} {f.get('message')}" for f in doubts)])
        if is_corrected(record, path):
            tip = f"{tip}\n\nChecked by a reviewer"
        elif conf is not None:
            tip = f"{tip}\n\nExtraction confidence {conf:.0%}"
        cell.setToolTip(tip.strip())

        self.table.blockSignals(False)

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
