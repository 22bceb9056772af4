"""A value's rule findings, shown under its editor: what the rule doubts, with Dismiss (or Restore).

A finding is the validation rules' doubt about an extracted value (dates out of order, a rationale that
concludes the other way from the decision, …). The reviewer either corrects the value, which clears the
finding when the rule is satisfied, or dismisses it: the letter really says so. A dismissed finding stays
visible, muted, while its rule still fires, so the decision can be seen and taken back.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

LOW_MARK = "⚠"


def _when(at: str | None) -> str:
    return (at or "")[:10]


class FindingNote(QFrame):
    """Open and dismissed findings of one value; ``dismiss_requested(key)``, ``restore_requested(key)``."""

    dismiss_requested = Signal(str)
    restore_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("findingNote")
        self._column = QVBoxLayout(self)
        self._column.setContentsMargins(0, 0, 0, 0)
        self._column.setSpacing(3)
        self.shown: tuple = ()
        self.buttons: dict[str, QToolButton] = {}

    def set_findings(self, open_findings: list[dict], dismissed: list[dict]) -> bool:
        """Show these findings; True when there is anything to show."""
        shown = tuple((f["key"], f.get("message"), True) for f in open_findings) + tuple(
            (d["key"], d.get("message"), False, d.get("user"), d.get("at")) for d in dismissed
        )
        if shown == self.shown:
            return bool(shown)
        self.shown = shown
        while self._column.count():
            widget = self._column.takeAt(0).widget()
            if widget is not None:
                widget.setParent(None)  # gone from the note now, not at the next turn of the event loop
                widget.deleteLater()
        self.buttons = {}
        for f in open_findings:
            self._row(f["key"], f"{LOW_MARK} {html.escape(f.get('message') or '')}", "open", "Dismiss")
        for d in dismissed:
            who = " ".join(
                bit for bit in ("by " + d["user"] if d.get("user") else "", _when(d.get("at"))) if bit
            )
            who = html.escape(who)  # a user name is text too: this label is rich on purpose
            text = f"Dismissed{(' ' + who) if who else ''}: {html.escape(d.get('message') or '')}"
            self._row(d["key"], text, "dismissed", "Restore")
        return bool(shown)

    def _row(self, key: str, text: str, kind: str, action: str) -> None:
        row = QFrame(self)
        row.setObjectName("findingRow")
        row.setProperty("kind", kind)
        line = QHBoxLayout(row)
        line.setContentsMargins(8, 4, 4, 4)
        line.setSpacing(6)
        label = QLabel(text, row)
        label.setObjectName("findingText")
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        button = QToolButton(row)
        button.setObjectName("findingButton")
        button.setText(action)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab walks the values; Ctrl+Enter accepts/dismisses
        if kind == "open":
            button.setToolTip("The letter really says so: dismiss this finding (audited; Ctrl+Z undoes it)")
            button.clicked.connect(lambda _c=False, k=key: self.dismiss_requested.emit(k))
        else:
            button.setToolTip("Open this finding again")
            button.clicked.connect(lambda _c=False, k=key: self.restore_requested.emit(k))
        line.addWidget(label, 1)
        line.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        self.buttons[key] = button
        self._column.addWidget(row)

    def texts(self) -> list[str]:
        """The rows' texts as shown (plain), for tooltips and tests."""
        return [label.text() for label in self.findChildren(QLabel, "findingText")]
