"""What the window keeps between sessions (Qt settings): its geometry and splitters, the page zoom, the list's
columns, filters and order, and the letter that was open — so a reviewer starts where they stopped."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray

from imrdesk.store import ListQuery

if TYPE_CHECKING:  # pragma: no cover
    from .main_window import MainWindow


def restore_window(w: MainWindow) -> None:
    """Geometry, splitters and zoom as the reviewer left them."""
    s = w.settings
    geometry = s.value("window/geometry")
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        w.restoreGeometry(geometry)
    else:
        w.resize(1400, 900)
    state = s.value("window/state")
    if isinstance(state, QByteArray) and not state.isEmpty():
        w.restoreState(state)
    for key, splitter in (
        ("splitter/main", w.splitter),
        ("splitter/items", w.panel.items_splitter),
    ):
        value = s.value(key)
        if isinstance(value, QByteArray) and not value.isEmpty():
            splitter.restoreState(value)
    if not s.value("viewer/fit_width", True, type=bool):
        w.viewer.view.set_zoom(s.value("viewer/zoom", 1.0, type=float))


def save_window(w: MainWindow) -> None:
    """Keep geometry, splitters, zoom, the list's columns, filters and open letter for the next start."""
    s = w.settings
    s.setValue("window/geometry", w.saveGeometry())
    s.setValue("window/state", w.saveState())
    s.setValue("splitter/main", w.splitter.saveState())
    s.setValue("splitter/items", w.panel.items_splitter.saveState())
    s.setValue("list/header", w.documents.header_state())
    s.setValue("list/last_query", json.dumps(asdict(w.documents.query())))
    s.setValue("list/last_doc", w.doc_id if w.doc_id is not None else -1)
    s.setValue("viewer/fit_width", w.viewer.view.fit_width)
    s.setValue("viewer/zoom", w.viewer.view.zoom)
    s.sync()


def reopen_last(w: MainWindow) -> None:
    """Open on the filters, order and letter the reviewer left (or the first letter)."""
    s = w.settings
    header = s.value("list/header")
    if isinstance(header, QByteArray) and not header.isEmpty():
        w.documents.restore_header(header)
    try:
        fields = json.loads(str(s.value("list/last_query", "") or "{}"))
        last = ListQuery(**{k: v for k, v in fields.items() if k in ListQuery.__dataclass_fields__})
    except (TypeError, ValueError):
        last = None
    if last is not None and last != ListQuery():
        w.documents.apply_query(last)
    doc = s.value("list/last_doc", -1, type=int)
    if not w.documents.select_doc(doc) and w.documents.doc_ids():
        w.documents.select_row(0)
