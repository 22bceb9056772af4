"""The editors of the field panel, one per kind of field in the registry: each bound to a field path, each
committing when the reviewer is done with it (Return, leaving the field, picking a choice), marked while its
value is doubtful and checked once a reviewer corrected or accepted it."""

from __future__ import annotations

import datetime as dt
import html
import math

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QFontMetrics, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from imrdesk.record import (
    CONFIRMED,
    DECISIONS,
    PRIORITIES,
    REVIEW_THRESHOLD,
    SEXES,
    SOURCE_FAMILIES,
    FieldSpec,
    checked,
    citation_text,
    confidence,
    field_label,
    findings_at,
    is_corrected,
    needs_check,
    provenance,
    why_doubted,
)

from .finding_note import FindingNote
from .plain import shown_as_written

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
        set_prop(self, "state", state)


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


def set_prop(widget: QWidget, name: str, value) -> None:
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
        set_prop(self.widget, "state", state)
        tip = [field_label(self.path)]
        for f in doubts:
            tip.append(f"{LOW_MARK} {f.get('message')}")
        if corrected:  # the store reports a reviewer's value with confidence 1: say who, not how sure
            how = "Confirmed as read" if checked(record, self.path) == CONFIRMED else "Corrected"
            tip.append(f"{how} by a reviewer (right-click → History).")
        elif doubts:
            tip.append("A validation rule doubts this value: correct it, or dismiss the finding.")
        elif conf is not None:
            line = f"Extraction confidence {conf:.0%}"
            if conf < REVIEW_THRESHOLD and not corrected:
                line += (
                    f" — below the review threshold ({REVIEW_THRESHOLD:.0%}); check it against the letter."
                )
            tip.append(line)
            why = why_doubted(record, self.path)
            if why and conf < REVIEW_THRESHOLD:
                tip.append("Why: " + "; ".join(why) + ".")
        elif not provenance(record, self.path):
            tip.append("Not found in the letter.")
        text = shown_as_written("\n".join(tip))  # quotes letter text: never read as markup
        self.widget.setToolTip(text)
        self.label.setToolTip(text)

    def _set_invalid(self, message: str) -> None:
        set_prop(self.widget, "invalid", bool(message))
        if message:
            self.widget.setToolTip(shown_as_written(message))

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


def align_labels(body: QWidget) -> None:
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
