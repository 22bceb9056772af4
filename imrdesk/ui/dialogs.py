"""Small windows: a field's history, the keyboard shortcuts, the import report, About."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from imrdesk import __version__
from imrdesk.record import display_value, field_label

from .plain import plain_label, shown_as_written
from .theme import qcolor


class _Table(QTableWidget):
    """A read-only table whose rows grow to their wrapped text at every width."""

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self.resizeRowsToContents()


def _table(headers: list[str], rows: list[list[str]], parent: QWidget) -> QTableWidget:
    table = _Table(len(rows), len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(True)
    for r, values in enumerate(rows):
        for c, text in enumerate(values):
            item = QTableWidgetItem(text)
            item.setToolTip(shown_as_written(text))  # values and file names: never read as markup
            table.setItem(r, c, item)
    head = table.horizontalHeader()
    head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    for c in range(len(headers)):
        head.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
    head.setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
    table.resizeRowsToContents()
    return table


def format_time(value) -> str:
    """Timestamps from the store (ISO text or epoch seconds) in local time, to the minute."""
    if value is None:
        return ""
    try:
        if isinstance(value, (int, float)):
            moment = dt.datetime.fromtimestamp(value)
        else:
            moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            if moment.tzinfo is not None:
                moment = moment.astimezone()
        return moment.strftime("%Y-%m-%d %H:%M")
    except (ValueError, OSError, OverflowError):
        return str(value)


class HistoryDialog(QDialog):
    """Every correction of one field: when, by whom, from what to what."""

    def __init__(self, path: str, rows: list[dict], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyDialog")
        self.setWindowTitle(f"History — {field_label(path)}")
        self.resize(640, 320)
        layout = QVBoxLayout(self)
        if rows:
            intro = QLabel(
                f"{len(rows)} change{'s' if len(rows) != 1 else ''} to <b>{field_label(path)}</b>:"
            )
        else:
            intro = QLabel(f"<b>{field_label(path)}</b> has not been changed: it is the extracted value.")
        layout.addWidget(intro)
        table_rows = []
        for row in rows:
            old, new = row.get("old"), row.get("new")
            if str(row.get("path") or "").startswith("finding:"):  # a rule finding dismissed or restored
                rule = row["path"].split(":")[1].replace("_", " ")
                before, after = f"finding ({rule}) {old}", f"finding {new}"
            else:
                before = display_value(old)
                after = display_value(new) + ("   (accepted as is)" if old == new else "")
            table_rows.append([format_time(row.get("at")), row.get("user") or "", before, after])
        self.table = _table(["When", "Who", "Before", "After"], table_rows, self)
        self.table.setVisible(bool(rows))
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class ShortcutsDialog(QDialog):
    """Every keyboard shortcut of the window, by menu, the review keys first (F1)."""

    FIRST = ("Review", "Edit", "View", "File", "Help")

    def __init__(self, groups: list[tuple[str, list[QAction]]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts — imrdesk")
        self.resize(540, 720)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Review a letter without the mouse: <b>F8</b> goes to the next value to check; "
            "<b>Ctrl+Enter</b> accepts it (or saves what you typed) and goes on to the next. Once every "
            "value is checked, <b>Ctrl+Enter</b> (or <b>Ctrl+R</b>) marks the letter reviewed and opens "
            "the next letter to review."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        order = {name: i for i, name in enumerate(self.FIRST)}
        rows: list[list[str]] = []
        sections: list[int] = []
        self.entries: list[tuple[str, str]] = []
        for group, actions in sorted(groups, key=lambda g: order.get(g[0], len(order))):
            listed = [a for a in actions if a.shortcuts()]
            if not listed:
                continue
            sections.append(len(rows))
            rows.append([group, ""])
            for action in listed:
                text = action.text().replace("&", "").rstrip(".…")
                seq = "   or   ".join(
                    k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()
                )
                rows.append([text, seq])
                self.entries.append((text, seq))
        self.table = _table(["Action", "Keys"], rows, self)
        self.table.horizontalHeader().setVisible(False)
        for row in sections:
            self.table.setSpan(row, 0, 1, 2)
            cell = self.table.item(row, 0)
            font = cell.font()
            font.setBold(True)
            cell.setFont(font)
            cell.setForeground(qcolor("#1d4ed8"))
        self.table.setAlternatingRowColors(False)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class ImportReportDialog(QDialog):
    """What an import did: counts, and every file that was not imported with the reason."""

    def __init__(
        self,
        result: dict,
        duplicates: list[tuple[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("importReport")
        self.setWindowTitle("Import report — imrdesk")
        self.resize(720, 380)
        layout = QVBoxLayout(self)
        failed = result.get("failed") or []
        self.summary = plain_label(import_summary(result), self)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        rows = [[_name(f), REASONS.get(code, code or ""), message or ""] for f, code, message in failed]
        rows += [
            [_name(f), REASONS["duplicate"], message or "Already in the database."]
            for f, message in duplicates
        ]
        self.table = _table(["File", "Reason", "Message"], rows, self)
        self.table.setVisible(bool(rows))
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


# The importer's error codes, as a person would name them.
REASONS = {
    "encrypted": "Password-protected",
    "corrupt": "Damaged or unreadable",
    "empty": "Empty file",
    "no_text_layer": "Scanned, no text",
    "not_imr": "Not an IMR letter",
    "too_large": "Too large",
    "timeout": "Took too long",
    "crashed": "Could not be read",
    "duplicate": "Already imported",
}


def _name(path) -> str:
    text = str(path)
    return text.replace("\\", "/").rsplit("/", 1)[-1]


def import_summary(result: dict) -> str:
    imported = result.get("imported") or 0
    duplicates = result.get("duplicates") or 0
    failed = len(result.get("failed") or [])
    parts = [f"{imported} letter{'s' if imported != 1 else ''} imported"]
    if duplicates:
        parts.append(f"{duplicates} already in the database")
    if failed:
        parts.append(f"{failed} could not be imported")
    text = ", ".join(parts) + "."
    if result.get("cancelled"):
        text = "Import cancelled: " + text
    if result.get("error"):
        text += f" The import stopped: {result['error']}"
    return text


def show_about(parent: QWidget) -> None:
    QMessageBox.about(
        parent,
        "About imrdesk",
        f"<h3>imrdesk {__version__}</h3>"
        "<p>Turns California workers' compensation Independent Medical Review (IMR) Final Determination "
        "letters into a clean, reviewed dataset.</p>"
        "<p>Every extracted value is traced to its words on the page; every correction is kept with its "
        "history.</p>",
    )
