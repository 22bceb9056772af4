"""The filters above the documents table: status, decision, decision dates, reviewer specialty, treatment
category and source (text or OCR'd scan), and the reviewer's saved views (named filters kept in the settings)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, replace

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QInputDialog, QLineEdit, QVBoxLayout, QWidget

from imrdesk.extract.categories import CATEGORY_LABELS
from imrdesk.store import ListQuery

FILTERS = (
    ("all", "All letters"),
    ("to_review", "To review"),
    ("new", "New"),
    ("in_review", "In review"),
    ("reviewed", "Reviewed"),
    ("flagged", "Flagged"),
    ("findings", "With rule findings"),
    ("failed", "Failed imports"),
    ("removed", "Removed from the dataset"),
)
DECISIONS = (
    ("", "Decision"),  # unset, a filter shows what it filters on (its tooltip says the rest)
    ("upheld", "Upheld item"),
    ("overturned", "Overturned item"),
)
SOURCES = (
    ("", "Source"),
    ("text", "Text letters"),
    ("ocr", "Scans (OCR)"),
)
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
VIEWS_KEY = "list/views"


def date_bound(text: str, *, end: bool) -> str | None:
    """``2017``, ``2017-03`` or ``2017-03-09`` as an inclusive ISO bound; None when empty or malformed."""
    text = text.strip()
    if not text or not DATE.match(text):
        return None
    if len(text) == 4:
        return f"{text}-12-31" if end else f"{text}-01-01"
    if len(text) == 7:
        return f"{text}-31" if end else f"{text}-01"
    return text


class ListFilters(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings: QSettings | None = None
        self.status = self._combo("Status filter", "", FILTERS)
        self.status.setObjectName("statusFilter")
        self.decision = self._combo(
            "Decision filter", "Letters with at least one item upheld, or overturned", DECISIONS
        )
        self.date_from = self._line("Decided from", "Decided on or after (2017, 2017-03 or 2017-03-09)")
        self.date_to = self._line("Decided to", "Decided on or before (2017, 2017-03 or 2017-03-09)")
        self.specialty = self._line("Specialty", "Words of the reviewer's specialty")
        self.category = self._combo(
            "Treatment category filter",
            "Letters with a disputed item of this treatment category",
            [("", "Treatment"), *CATEGORY_LABELS.items()],
        )
        self.source = self._combo(
            "Source filter",
            "Text letters, or scans read by OCR (their values carry the OCR's confidence)",
            SOURCES,
        )
        self.views = QComboBox(self)
        self.views.setObjectName("savedViews")
        self.views.setAccessibleName("Saved views")
        self.views.setToolTip("Saved views: a named set of filters")
        self.views.activated.connect(self._on_view)

        # two filters a row: the list is narrow beside the page (240 px at 1024×700)
        rows = (
            (self.status, self.views),
            (self.decision, self.category),
            (self.date_from, self.date_to),
            (self.specialty, self.source),
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.views.setMinimumContentsLength(4)
        self.views.setMaximumWidth(self.views.fontMetrics().horizontalAdvance("Views") + 46)  # text, arrow
        self.views.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        for left, right in rows:
            row = QHBoxLayout()
            row.setSpacing(6)
            row.addWidget(left, 1)
            row.addWidget(right, 0 if right is self.views else 1)
            layout.addLayout(row)
        self._fill_views()

    def _combo(self, name: str, tip: str, choices) -> QComboBox:
        """A filter's choices as ``(key, label)`` pairs, the key kept as the item's data."""
        combo = QComboBox(self)
        combo.setAccessibleName(name)
        if tip:
            combo.setToolTip(tip)
        for key, label in choices:
            combo.addItem(label, key)
        # share the row by stretch, not by the longest item's width (a category's name is long)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(6)
        combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        return combo

    def _line(self, placeholder: str, tip: str) -> QLineEdit:
        line = QLineEdit(self)
        line.setPlaceholderText(placeholder)
        line.setToolTip(tip)
        line.setAccessibleName(tip)
        line.setClearButtonEnabled(True)
        line.editingFinished.connect(self.changed.emit)
        return line

    # -------------------------------------------------------------- the query
    def query(self, search: str | None, sort: str, descending: bool) -> ListQuery:
        key = self.status.currentData() or "all"
        return ListQuery(
            status="all" if key == "removed" else key,
            removed=key == "removed",
            search=search,
            decision=self.decision.currentData() or None,
            date_from=date_bound(self.date_from.text(), end=False),
            date_to=date_bound(self.date_to.text(), end=True),
            specialty=self.specialty.text().strip() or None,
            category=self.category.currentData() or None,
            source=self.source.currentData() or None,
            sort=sort,
            descending=descending,
        )

    def show_query(self, q: ListQuery) -> None:
        """Set the widgets to a query (a saved view, or the last one); ``changed`` fires once."""
        widgets = (
            self.status,
            self.decision,
            self.date_from,
            self.date_to,
            self.specialty,
            self.category,
            self.source,
        )
        for w in widgets:
            w.blockSignals(True)
        self.status.setCurrentIndex(max(0, self.status.findData("removed" if q.removed else q.status)))
        self.decision.setCurrentIndex(max(0, self.decision.findData(q.decision or "")))
        self.date_from.setText(q.date_from or "")
        self.date_to.setText(q.date_to or "")
        self.specialty.setText(q.specialty or "")
        self.category.setCurrentIndex(max(0, self.category.findData(q.category or "")))
        self.source.setCurrentIndex(max(0, self.source.findData(q.source or "")))
        for w in widgets:
            w.blockSignals(False)
        self.changed.emit()

    def set_counts(self, counts: dict[str, int], removed: int | None = None) -> None:
        for i, (key, label) in enumerate(FILTERS):
            n = removed if key == "removed" else counts.get(key)
            self.status.setItemText(i, label if n is None else f"{label}  ({n})")

    # -------------------------------------------------------------- saved views
    def set_settings(self, settings: QSettings) -> None:
        self.settings = settings
        self._fill_views()

    def saved_views(self) -> dict[str, dict]:
        if self.settings is None:
            return {}
        try:
            views = json.loads(str(self.settings.value(VIEWS_KEY, "{}") or "{}"))
        except ValueError:
            return {}
        return views if isinstance(views, dict) else {}

    def save_view(self, name: str, q: ListQuery) -> None:
        if self.settings is None or not name.strip():
            return
        views = self.saved_views()
        views[name.strip()] = asdict(replace(q, search=q.search or None))
        self.settings.setValue(VIEWS_KEY, json.dumps(views))
        self._fill_views()

    def delete_view(self, name: str) -> None:
        views = self.saved_views()
        if views.pop(name, None) is not None and self.settings is not None:
            self.settings.setValue(VIEWS_KEY, json.dumps(views))
            self._fill_views()

    def _fill_views(self) -> None:
        self.views.blockSignals(True)
        self.views.clear()
        self.views.addItem("Views", None)  # short: the status filter beside it needs the room
        for name in sorted(self.saved_views()):
            self.views.addItem(name, ("load", name))
        self.views.addItem("Save the current filters…", ("save", ""))
        if self.saved_views():
            self.views.addItem("Delete a saved view…", ("delete", ""))
        self.views.blockSignals(False)

    view_loaded = Signal(object)  # the ListQuery of a saved view (the list applies it, search included)
    save_requested = Signal()

    def _on_view(self, index: int) -> None:
        what = self.views.itemData(index)
        self.views.setCurrentIndex(0)
        if not what:
            return
        action, name = what
        if action == "load":
            data = self.saved_views().get(name) or {}
            fields = {k: v for k, v in data.items() if k in ListQuery.__dataclass_fields__}
            self.view_loaded.emit(ListQuery(**fields))
        elif action == "save":
            self.save_requested.emit()
        elif action == "delete":
            names = sorted(self.saved_views())
            name, ok = QInputDialog.getItem(self, "Delete a saved view", "View:", names, 0, False)
            if ok and name:
                self.delete_view(name)

    def ask_name(self) -> str:
        name, ok = QInputDialog.getText(self, "Save the current filters", "Name of the view:")
        return name.strip() if ok else ""

    def focus(self) -> None:
        self.status.setFocus(Qt.FocusReason.ShortcutFocusReason)
