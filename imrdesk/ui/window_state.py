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

PAGE_ROOM = 400  # the page is never squeezed below this while the list and panel can give way


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


def keep_page_room(w: MainWindow) -> None:
    """On a small screen (1024 pixels) the list and the panel give up width before the page does: the
    splitter alone would take it all from the page, the only pane that stretches."""
    if not w.isVisible():
        return  # still being built or restored: the sizes the reviewer left are not to be changed
    sizes = w.splitter.sizes()
    if len(sizes) != 3 or sum(sizes) <= 0 or sizes[1] >= PAGE_ROOM:
        return
    need = PAGE_ROOM - sizes[1]
    for index, floor in ((0, 240), (2, 360)):
        if sizes[index] == 0:
            continue  # the folded list stays folded
        give = max(0, min(need, sizes[index] - floor))
        sizes[index] -= give
        sizes[1] += give
        need -= give
    w.splitter.setSizes(sizes)


def toggle_list(w: MainWindow) -> None:
    """Fold the documents list away to give the page room, or show it again (Ctrl+L)."""
    sizes = w.splitter.sizes()
    if sizes[0] > 0:
        w.list_width = sizes[0]  # remembered for showing the list again
        w.splitter.setSizes([0, sizes[1] + sizes[0], sizes[2]])
    else:
        width = getattr(w, "list_width", 360)
        w.splitter.setSizes([width, max(320, sizes[1] - width), sizes[2]])
