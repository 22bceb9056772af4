"""The panel's table of disputed items: one row per item, its treatment, decision, the guideline families
each side cited and the rationale; doubtful values tinted, their confidence and findings in the tooltip."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from imrdesk.record import (
    ITEM_FIELDS,
    citation_text,
    confidence,
    findings_at,
    is_corrected,
    item_path,
    needs_check,
    why_doubted,
)

from .field_editors import LOW_MARK
from .plain import shown_as_written
from .theme import qcolor

# (header, item key shown and marked in that column)
ITEM_COLUMNS = (
    ("Treatment", "treatment"),
    ("Decision", "decision"),
    ("Claims admin.", "claims_administrator_sources"),
    ("MAXIMUS", "maximus_sources"),
    ("Rationale", "rationale"),
)


class ItemsTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(ITEM_COLUMNS), parent)
        self.setAccessibleName("Disputed items")
        self.setObjectName("itemsTable")
        self.setHorizontalHeaderLabels([header for header, _key in ITEM_COLUMNS])
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.verticalHeader().setDefaultSectionSize(QFontMetrics(self.font()).lineSpacing() * 2 + 10)
        head = self.horizontalHeader()
        head.setHighlightSections(False)
        head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(len(ITEM_COLUMNS) - 1, QHeaderView.ResizeMode.Interactive)
        head.resizeSection(len(ITEM_COLUMNS) - 1, 110)

    def fill(self, record: dict) -> None:
        """Show a record's items (signals held: filling is not a selection)."""
        items = record.get("items") or []
        self.blockSignals(True)
        if self.rowCount() != len(items):
            self.setRowCount(len(items))
        for row, item in enumerate(items):
            for column, (_header, key) in enumerate(ITEM_COLUMNS):
                cell = self.item(row, column)
                if cell is None:
                    cell = QTableWidgetItem()
                    self.setItem(row, column, cell)
                _fill_cell(cell, record, row, item, key)
        self.blockSignals(False)


def _fill_cell(cell: QTableWidgetItem, record: dict, row: int, item: dict, key: str) -> None:
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
        cell.setForeground(QBrush(qcolor(color)))
    cell.setText(text or "—")
    cell.setBackground(QBrush(qcolor("#ffeccc", text=False)) if needs_check(record, path) else QBrush())
    conf = confidence(record, path)
    doubts = findings_at(record, path)
    if doubts:
        tip = "\n".join([tip, "", *(f"{LOW_MARK} {f.get('message')}" for f in doubts)])
    if is_corrected(record, path):
        tip = f"{tip}\n\nChecked by a reviewer"
    elif conf is not None:
        tip = f"{tip}\n\nExtraction confidence {conf:.0%}"
        why = why_doubted(record, path) if needs_check(record, path) else []
        if why:
            tip = f"{tip}. Why: {'; '.join(why)}."
    cell.setToolTip(shown_as_written(tip.strip()))  # letter text: never read as markup
