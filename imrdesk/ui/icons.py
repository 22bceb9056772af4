"""Line icons drawn from small SVG paths (24×24 grid), rendered crisp at every size and pixel ratio."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QIconEngine, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from .resources import resource_path
from .theme import tone

INK = "#3a4656"

_PATHS = {
    "go-up": '<path d="M6 15l6-6 6 6"/>',
    "go-down": '<path d="M6 9l6 6 6-6"/>',
    "zoom-in": '<circle cx="11" cy="11" r="7"/><path d="M21 21l-5-5M11 8v6M8 11h6"/>',
    "zoom-out": '<circle cx="11" cy="11" r="7"/><path d="M21 21l-5-5M8 11h6"/>',
    "fit-width": '<path d="M3 5v14M21 5v14M7 12h10M10 9l-3 3 3 3M14 9l3 3-3 3"/>',
    "import": '<path d="M12 3v12M7 10l5 5 5-5M4 17v2a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-2"/>',
    "folder": '<path d="M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z"/>',
    "export": '<path d="M12 15V3M7 8l5-5 5 5M4 17v2a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-2"/>',
    "check": '<path d="M5 12.5l4.5 4.5L19 7.5"/>',
    "check-circle": '<circle cx="12" cy="12" r="9"/><path d="M8 12.5l3 3 5-6"/>',
    "flag": '<path d="M5 21V4M5 4h12l-2.5 4.5L17 13H5"/>',
    "warning": '<path d="M10.3 4.2L2.6 18a2 2 0 0 0 1.7 3h15.4a2 2 0 0 0 1.7-3L13.7 4.2a2 2 0 0 0-3.4 0z"/>'
    '<path d="M12 9.5v4.5M12 17.5v.01"/>',
    "search": '<circle cx="11" cy="11" r="7"/><path d="M21 21l-5-5"/>',
    "history": '<path d="M3 12a9 9 0 1 0 3-6.7L3 8"/><path d="M3 3v5h5M12 7.5V12l3 2"/>',
    "undo": '<path d="M9 14L4 9l5-5"/><path d="M4 9h10.5a5.5 5.5 0 0 1 0 11H11"/>',
    "redo": '<path d="M15 14l5-5-5-5"/><path d="M20 9H9.5a5.5 5.5 0 0 0 0 11H13"/>',
    "help": '<circle cx="12" cy="12" r="9"/><path d="M9.1 9a3 3 0 0 1 5.8 1c0 2-3 3-3 3M12 17h.01"/>',
    "letter": '<path d="M14 3H6a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V9z"/>'
    '<path d="M14 3v6h6M8 13h8M8 17h8M8 9h2"/>',
    "samples": '<path d="M14 3H6a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V9z"/>'
    '<path d="M14 3v6h6M9 15l2 2 4-4"/>',
    "chart": '<path d="M4 20h16"/><path d="M7 16v-5M12 16V6M17 16v-8"/>',
    "refresh": '<path d="M20 12a8 8 0 1 1-2.3-5.7L20 8"/><path d="M20 3v5h-5"/>',
    "next": '<path d="M9 6l6 6-6 6"/>',
    "previous": '<path d="M15 6l-6 6 6 6"/>',
    "scan": '<path d="M4 8V5a1 1 0 0 1 1-1h3M16 4h3a1 1 0 0 1 1 1v3M20 16v3a1 1 0 0 1-1 1h-3M8 20H5a1 1 0 0 1-1-1v-3"/>'
    '<path d="M4 12h16"/>',
    "edit": '<path d="M12 20h9"/><path d="M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z"/>',
}


def svg(name: str, color: str = INK, width: float = 1.8) -> bytes:
    body = _PATHS[name]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" '
        f'stroke="{color}" stroke-width="{width}" stroke-linecap="round" stroke-linejoin="round">'
        f"{body}</svg>"
    ).encode()


def icon(name: str, color: str = INK) -> QIcon:
    """A named line icon in ``color``, a light-theme colour: drawn when shown, in the colour the theme in force
    gives it, so a switch to the dark theme re-colours every icon already on screen."""
    return QIcon(_ThemedIcon(name, color))


DISABLED = "#b3bac4"


class _ThemedIcon(QIconEngine):
    def __init__(self, name: str, color: str) -> None:
        super().__init__()
        self.name, self.color = name, color

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        color = DISABLED if mode == QIcon.Mode.Disabled else self.color
        return _drawn(self.name, tone(color), max(size.width(), 1), max(size.height(), 1))

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        size = QSize(round(rect.width() * ratio), round(rect.height() * ratio))
        painter.drawPixmap(rect, self.pixmap(size, mode, state))

    def clone(self) -> QIconEngine:
        return _ThemedIcon(self.name, self.color)


@cache
def _drawn(name: str, color: str, width: int, height: int) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg(name, color)))
    pixmap = QPixmap(width, height)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    side = min(width, height)
    renderer.render(painter, QRectF((width - side) / 2, (height - side) / 2, side, side))
    painter.end()
    return pixmap


@cache
def app_icon() -> QIcon:
    """The application icon (resources/icons), or a drawn letter icon when it is missing."""
    result = QIcon()
    for name in ("imrdesk.png", "imrdesk.ico"):
        path = resource_path("icons", name)
        if path.is_file():
            result.addFile(str(path))
    return result if not result.isNull() else icon("samples", "#1d4ed8")
