"""The page viewer: a letter's pages in one continuously scrolling QGraphicsView.

Scene coordinates are PDF points with the origin at each page's top-left corner (like pdfplumber), so
provenance boxes are drawn as they come. PDF pages are rendered lazily at the view's zoom × devicePixelRatio
(crisp at any zoom and on high-DPI screens) and cached; text letters are drawn as text on the virtual
monospace pages of :data:`imrdesk.extract.document.TEXT_GRID`.

pdfium never runs in the window's process: pages are drawn by a render process with a memory limit
(:mod:`imrdesk.services.page_renderer`), one at a time, and come back to this thread as signals. A page
that takes too long, needs too much memory or crashes pdfium shows a message in its place; the window goes
on (a bomb once froze it for 42 s and grew it to 3.2 GB). Only the first page in view is waited for, at
most :data:`FIRST_PAGE_WAIT` seconds, so a letter opens without a blank flash.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from PySide6.QtCore import QCoreApplication, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QImage,
    QIntValidator,
    QKeySequence,
    QPainter,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from imrdesk.extract.document import TEXT_GRID, LoadError, decode_text, load_text
from imrdesk.services.page_renderer import PageRenderer, PageWord, RenderError, Ticket

from .icons import icon
from .plain import plain_label
from .theme import qcolor

PAGE_GAP = 14.0  # points between pages
SCENE_MARGIN = 14.0
ZOOM_STEPS = (0.25, 0.33, 0.5, 0.67, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)
MIN_ZOOM, MAX_ZOOM = ZOOM_STEPS[0], ZOOM_STEPS[-1]
MAX_RENDER_SCALE = 6.0  # pixels per point; beyond this a page is drawn scaled (memory)
CACHE_BUDGET = 192 * 1024 * 1024  # bytes of rendered pages kept
FIRST_PAGE_WAIT = 0.5  # seconds the first page in view is waited for when a letter opens
FLUSH_WAIT = 30.0  # seconds flush_renders waits for one page (beyond the renderer's own time limit)

HIGHLIGHT_FILL = QColor(255, 214, 10, 150)
HIGHLIGHT_EDGE = QColor(214, 140, 0, 230)
HIGHLIGHT_LOW_FILL = QColor(255, 149, 64, 140)
HIGHLIGHT_LOW_EDGE = QColor(204, 85, 0, 230)


class _Delivery(QObject):
    """Brings a finished page from the renderer's thread to the GUI thread."""

    done = Signal(object)


_renderer: PageRenderer | None = None
_delivery: _Delivery | None = None
_renderer_lock = threading.Lock()


def shared_renderer() -> tuple[PageRenderer, _Delivery]:
    """The application's render process (started once, stopped when the application quits)."""
    global _renderer, _delivery
    with _renderer_lock:
        if _renderer is None:
            _delivery = _Delivery()
            delivery = _delivery
            _renderer = PageRenderer(lambda ticket: delivery.done.emit(ticket))
            app = QCoreApplication.instance()
            if app is not None:
                app.aboutToQuit.connect(_stop_renderer)
        return _renderer, _delivery


def _stop_renderer() -> None:
    global _renderer
    with _renderer_lock:
        if _renderer is not None:
            _renderer.close()
            _renderer = None


class PdfSource:
    """A PDF opened in the render process (encrypted letters with an empty user password open too).
    RenderError when it cannot be opened."""

    kind = "pdf"

    def __init__(self, data: bytes) -> None:
        self.renderer, self.delivery = shared_renderer()
        self.key, self.page_sizes = self.renderer.open(data)
        self._words: dict[int, Ticket] = {}

    def request(self, index: int, scale: float) -> Ticket:
        return self.renderer.request(self.key, index, scale)

    def page_words(self, index: int, *, wait: bool = True) -> list[PageWord] | None:
        """A page's words from its text layer (asked for once; [] for a scanned page or one that could
        not be read). Without ``wait``, None until they are there; with it, at most the render time limit
        (a page's words take milliseconds, unless a page is being drawn)."""
        ticket = self._words.get(index)
        if ticket is None:
            ticket = self._words[index] = self.renderer.request_words(self.key, index)
        if wait:
            ticket.done.wait(self.renderer.page_timeout + 5.0)
        if not ticket.done.is_set():
            return None
        return ticket.words or []

    def close(self) -> None:
        self.renderer.close_doc(self.key)


class TextSource:
    """A plain-text letter laid out like the extractor lays it out (one source line per grid row)."""

    kind = "txt"

    def __init__(self, text: str) -> None:
        doc = load_text(text)
        self.page_sizes = list(doc.page_sizes)
        self.words: list[list] = [[] for _ in self.page_sizes]
        for line in doc.lines:
            for word in line.words:
                self.words[word.page - 1].append(word)
        self.font = text_font()
        metrics = QFontMetricsF(self.font)
        self.ascent = metrics.ascent()

    def page_words(self, index: int, *, wait: bool = True) -> list[PageWord]:
        """A virtual page's words with their grid boxes (the extractor's own words)."""
        return [(w.text, w.x0, w.top, w.x1, w.bottom) for w in self.words[index]]

    def paint(self, painter: QPainter, index: int, exposed: QRectF) -> None:
        painter.setFont(self.font)
        painter.setPen(QColor(20, 20, 20))
        for word in self.words[index]:
            if word.bottom < exposed.top() or word.top > exposed.bottom():
                continue
            painter.drawText(QPointF(word.x0, word.top + self.ascent - 1.0), word.text)

    def close(self) -> None:
        pass


def text_font() -> QFont:
    """A monospace font whose advance is exactly TEXT_GRID.char_width scene units (points)."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.TypeWriter)
    font.setPixelSize(10)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    font.setKerning(False)
    advance = QFontMetricsF(font).horizontalAdvance("M")
    font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, TEXT_GRID.char_width - advance)
    return font


class PageItem(QGraphicsItem):
    """One page: white paper with a soft shadow, its rendering (PDF) or its text (text letters)."""

    SHADOW = 3.0

    def __init__(self, view: LetterView, index: int, width: float, height: float) -> None:
        super().__init__()
        self._view = view
        self.index = index
        self.width = width
        self.height = height
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        s = self.SHADOW
        return QRectF(-s, -s, self.width + 2 * s, self.height + 2 * s)

    def page_rect(self) -> QRectF:
        return QRectF(0, 0, self.width, self.height)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        rect = self.page_rect()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 22))
        painter.drawRect(rect.adjusted(-1.0, -0.5, 1.0, 2.5))
        painter.setBrush(QColor(0, 0, 0, 30))
        painter.drawRect(rect.adjusted(-0.3, 0, 0.3, 1.0))
        painter.fillRect(rect, Qt.GlobalColor.white)
        source = self._view.source
        if source is None:
            return
        if source.kind == "txt":
            source.paint(painter, self.index, option.exposedRect)
            return
        failure = self._view.page_failure(self.index)
        if failure is not None:  # said in the page's place, as plain text
            painter.setPen(QColor(153, 27, 27))
            painter.drawText(
                rect.adjusted(36, 36, -36, -36),
                int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                failure,
            )
            return
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        device = painter.device()
        dpr = device.devicePixelRatioF() if device is not None else 1.0
        pixmap = self._view.pixmap_for(self.index, lod * dpr)
        if pixmap is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawPixmap(rect, pixmap, QRectF(pixmap.rect()))
        else:
            painter.setPen(QColor(150, 150, 150))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "Rendering page…")


class HighlightItem(QGraphicsRectItem):
    """A translucent marker over a provenance box; ``rect()`` is exactly the box (page coordinates)."""

    PAD = 1.2

    def __init__(self, box: list[float], parent: QGraphicsItem, low: bool = False) -> None:
        x0, top, x1, bottom = (float(v) for v in box)
        super().__init__(QRectF(x0, top, x1 - x0, bottom - top), parent)
        self.low = low
        self.setZValue(10)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        p = self.PAD + 1
        return self.rect().adjusted(-p, -p, p, p)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        fill, edge = (
            (HIGHLIGHT_LOW_FILL, HIGHLIGHT_LOW_EDGE) if self.low else (HIGHLIGHT_FILL, HIGHLIGHT_EDGE)
        )
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(edge, 1.2)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(QBrush(fill))
        p = self.PAD
        painter.drawRoundedRect(self.rect().adjusted(-p, -p, p, p), 1.5, 1.5)


class LetterView(QGraphicsView):
    """The pages of one letter, stacked vertically; zoom, page navigation and field highlights."""

    page_changed = Signal(int, int)  # current page (1-based), page count
    zoom_changed = Signal(float)
    source_changed = Signal()  # another letter (or none): its pages' items are new

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setBackgroundBrush(qcolor("#dfe3e8", text=False))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        # the left button selects words (page_selection.py); the middle button and the wheel move the page
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.source: PdfSource | TextSource | None = None
        self.pages: list[PageItem] = []
        self._zoom = 1.0
        self._fit_width = True
        self._cache: OrderedDict[int, tuple[float, QPixmap]] = OrderedDict()
        self._cache_bytes = 0
        self._wanted: dict[int, float] = {}
        self._inflight: Ticket | None = None  # the page being drawn in the render process
        self._failed: dict[int, str] = {}  # pages that could not be drawn, with the reason
        self._retried: set[int] = set()  # pages asked again once after the render process was lost on them
        self._delivery: QObject | None = None
        self._highlights: list[HighlightItem] = []
        self._current_page = 0
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(0)
        self._render_timer.timeout.connect(self._render_next)
        self.verticalScrollBar().valueChanged.connect(self._update_current_page)

    # ------------------------------------------------------------------ document

    def set_source(self, source: PdfSource | TextSource | None) -> None:
        self.clear_highlights()
        self.scene().clear()
        self.pages = []
        if self.source is not None:
            self.source.close()
        self.source = source
        self._cache.clear()
        self._cache_bytes = 0
        self._wanted.clear()
        self._inflight = None
        self._failed.clear()
        self._retried.clear()
        if isinstance(source, PdfSource) and self._delivery is not source.delivery:
            source.delivery.done.connect(self._on_ticket)
            self._delivery = source.delivery
        self._current_page = 0
        self.source_changed.emit()
        if source is None:
            self.scene().setSceneRect(QRectF(0, 0, 1, 1))
            self.page_changed.emit(0, 0)
            return
        y = SCENE_MARGIN
        width = 0.0
        for index, (w, h) in enumerate(source.page_sizes):
            item = PageItem(self, index, w, h)
            item.setPos(0, y)
            self.scene().addItem(item)
            self.pages.append(item)
            y += h + PAGE_GAP
            width = max(width, w)
        self.scene().setSceneRect(
            QRectF(-SCENE_MARGIN, 0, width + 2 * SCENE_MARGIN, y - PAGE_GAP + SCENE_MARGIN)
        )
        if self._fit_width:
            self._apply_zoom(self._fit_zoom())
        self.verticalScrollBar().setValue(self.verticalScrollBar().minimum())
        self.horizontalScrollBar().setValue(
            (self.horizontalScrollBar().minimum() + self.horizontalScrollBar().maximum()) // 2
        )
        self.render_visible_now()
        self._update_current_page()
        self.page_changed.emit(self._current_page + 1, len(self.pages))

    @property
    def page_count(self) -> int:
        return len(self.pages)

    # ------------------------------------------------------------------ rendering

    def render_scale(self) -> float:
        """Pixels per PDF point a page needs to be crisp now: zoom × devicePixelRatio."""
        return self._zoom * self.viewport().devicePixelRatioF()

    def page_failure(self, index: int) -> str | None:
        """Why a page could not be drawn (None: it was, or will be)."""
        return self._failed.get(index)

    def pixmap_for(self, index: int, scale: float) -> QPixmap | None:
        """The cached rendering of a page (any scale); schedules a render when it is not sharp enough."""
        scale = round(min(scale, MAX_RENDER_SCALE), 2)
        cached = self._cache.get(index)
        if cached is not None:
            self._cache.move_to_end(index)
        if index in self._failed:  # not asked again: a page that crashed the renderer would do it again
            return cached[1] if cached else None
        if cached is None or abs(cached[0] - scale) > 0.01:
            self._wanted[index] = scale
            if not self._render_timer.isActive():
                self._render_timer.start()
        return cached[1] if cached else None

    def render_visible_now(self) -> None:
        """Draw the first page in view now, waiting for it at most FIRST_PAGE_WAIT seconds (a letter's
        first paint has no blank flash, and a page that takes longer arrives when it is ready); any other
        page in view follows from the render queue."""
        if self.source is None or self.source.kind != "pdf":
            return
        visible = self.visible_pages()
        if not visible:
            return
        scale = round(min(self.render_scale(), MAX_RENDER_SCALE), 2)
        first = visible[0]
        cached = self._cache.get(first)
        if (cached is None or abs(cached[0] - scale) > 0.01) and first not in self._failed:
            self._wanted.pop(first, None)
            ticket = self._render(first, scale)
            if ticket is not None and ticket.done.wait(FIRST_PAGE_WAIT):
                self._on_ticket(ticket)
        for index in visible[1:]:
            self.pixmap_for(index, scale)

    def flush_renders(self) -> None:
        """Finish every scheduled render now (tests and benchmarks)."""
        while self._wanted or self._inflight is not None:
            if self._inflight is None:
                self._render_next()
            ticket = self._inflight
            if ticket is None:
                continue
            if ticket.done.wait(FLUSH_WAIT):
                self._on_ticket(ticket)
            if self._inflight is ticket:  # never came back: give it up
                self._inflight = None
                self._failed[ticket.page] = "This page could not be drawn in time."

    def cached_pixmap(self, index: int) -> QPixmap | None:
        cached = self._cache.get(index)
        return cached[1] if cached else None

    def _render_next(self) -> None:
        if not self._wanted or self.source is None or self.source.kind != "pdf":
            self._wanted.clear()
            return
        if self._inflight is not None:  # one page at a time; the next goes when this one is back
            return
        visible = set(self.visible_pages())
        current = self._current_page
        index = min(self._wanted, key=lambda i: (i not in visible, abs(i - current)))
        scale = self._wanted.pop(index)
        if index in visible or abs(index - current) <= 1:
            self._render(index, scale)
        if self._wanted and self._inflight is None:
            self._render_timer.start()

    def _render(self, index: int, scale: float) -> Ticket | None:
        """Ask the render process for a page; its pixmap arrives in _on_ticket."""
        if self._inflight is not None:
            if self._inflight.page == index and abs(self._inflight.scale - scale) <= 0.01:
                return self._inflight
            self._wanted[index] = scale  # after the page being drawn
            return None
        self._inflight = self.source.request(index, scale)
        return self._inflight

    def _on_ticket(self, ticket: Ticket) -> None:
        """A page is back from the render process (or could not be drawn)."""
        if ticket.consumed or ticket.kind != "page":  # words are waited for where they are asked for
            return
        ticket.consumed = True
        if self._inflight is ticket:
            self._inflight = None
        source = self.source
        if isinstance(source, PdfSource) and ticket.doc == source.key:
            if ticket.error and ticket.lost and ticket.page not in self._retried:
                # a time-out or a dead process may be a busy or sleeping machine: one more try (in a new
                # process); a page that really hangs or crashes pdfium fails again and is given up
                self._retried.add(ticket.page)
                self._wanted[ticket.page] = ticket.scale
            elif ticket.error:
                self._failed[ticket.page] = ticket.error
            else:
                image = QImage(
                    ticket.pixels, ticket.width, ticket.height, ticket.stride, QImage.Format.Format_RGBX8888
                ).copy()
                self._store(ticket.page, ticket.scale, QPixmap.fromImage(image))
            if ticket.page < len(self.pages):
                self.pages[ticket.page].update()
        ticket.pixels = b""
        if self._wanted and self._inflight is None:
            self._render_timer.start()

    def _store(self, index: int, scale: float, pixmap: QPixmap) -> None:
        old = self._cache.pop(index, None)
        if old is not None:
            self._cache_bytes -= _pixmap_bytes(old[1])
        self._cache[index] = (scale, pixmap)
        self._cache_bytes += _pixmap_bytes(pixmap)
        while self._cache_bytes > CACHE_BUDGET and len(self._cache) > 1:
            _, (_, evicted) = self._cache.popitem(last=False)
            self._cache_bytes -= _pixmap_bytes(evicted)

    def visible_pages(self) -> list[int]:
        area = self.mapToScene(self.viewport().rect()).boundingRect()
        return [
            i for i, item in enumerate(self.pages) if item.mapRectToScene(item.page_rect()).intersects(area)
        ]

    # ------------------------------------------------------------------ zoom

    @property
    def zoom(self) -> float:
        return self._zoom

    @property
    def fit_width(self) -> bool:
        return self._fit_width

    def set_zoom(self, zoom: float, *, fit: bool = False) -> None:
        self._fit_width = fit
        self._apply_zoom(zoom)

    def zoom_in(self) -> None:
        self.set_zoom(next((z for z in ZOOM_STEPS if z > self._zoom + 0.001), MAX_ZOOM))

    def zoom_out(self) -> None:
        self.set_zoom(next((z for z in reversed(ZOOM_STEPS) if z < self._zoom - 0.001), MIN_ZOOM))

    def zoom_fit_width(self) -> None:
        self.set_zoom(self._fit_zoom(), fit=True)

    def _fit_zoom(self) -> float:
        if not self.pages:
            return self._zoom
        widest = max(item.width for item in self.pages) + 2 * SCENE_MARGIN
        available = self.viewport().width() - 2
        if available < 50:
            return self._zoom
        return max(MIN_ZOOM, min(MAX_ZOOM, available / widest))

    def _apply_zoom(self, zoom: float) -> None:
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        if abs(zoom - self._zoom) < 1e-4 and abs(self.transform().m11() - zoom) < 1e-4:
            return
        self._zoom = zoom
        self.resetTransform()
        self.scale(zoom, zoom)
        self.zoom_changed.emit(zoom)
        self._update_current_page()
        self._request_visible()

    def _request_visible(self) -> None:
        """Ask for sharp renderings of the pages in view at the current zoom (drawn when ready)."""
        if self.source is None or self.source.kind != "pdf":
            return
        for index in self.visible_pages():
            self.pixmap_for(index, self.render_scale())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        if self._fit_width and self.pages:
            self._apply_zoom(self._fit_zoom())

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120.0
            if steps:
                self.set_zoom(self._zoom * (1.15**steps))
            event.accept()
            return
        super().wheelEvent(event)

    # ------------------------------------------------------------------ pages

    @property
    def current_page(self) -> int:
        """1-based number of the page at the centre of the view (0 without a letter)."""
        return self._current_page + 1 if self.pages else 0

    def go_to_page(self, number: int) -> None:
        if not self.pages:
            return
        index = max(0, min(len(self.pages) - 1, number - 1))
        item = self.pages[index]
        top = self.mapFromScene(QPointF(0, item.pos().y() - PAGE_GAP / 2)).y()
        bar = self.verticalScrollBar()
        bar.setValue(bar.value() + top)
        self._current_page = index
        self.page_changed.emit(index + 1, len(self.pages))

    def next_page(self) -> None:
        self.go_to_page(self.current_page + 1)

    def previous_page(self) -> None:
        self.go_to_page(self.current_page - 1)

    def _update_current_page(self) -> None:
        if not self.pages:
            return
        area = self.mapToScene(self.viewport().rect()).boundingRect()
        probe = area.top() + area.height() * 0.35
        index = 0
        for i, item in enumerate(self.pages):
            if item.pos().y() - PAGE_GAP <= probe:
                index = i
        if index != self._current_page:
            self._current_page = index
            self.page_changed.emit(index + 1, len(self.pages))

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.matches(QKeySequence.StandardKey.MoveToNextPage):
            self.next_page()
            return
        if event.matches(QKeySequence.StandardKey.MoveToPreviousPage):
            self.previous_page()
            return
        if event.key() == Qt.Key.Key_Home and self.pages:
            self.go_to_page(1)
            return
        if event.key() == Qt.Key.Key_End and self.pages:
            self.go_to_page(len(self.pages))
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------------ highlights

    def show_boxes(self, prov: dict | None, *, low: bool = False, scroll: bool = True) -> None:
        """Highlight a field's provenance boxes and bring the first one into view."""
        self.clear_highlights()
        if not prov or not self.pages:
            return
        spans = prov.get("spans") or [{"page": prov.get("page"), "boxes": prov.get("boxes") or []}]
        for span in spans:
            page = span.get("page")
            if not page or not (1 <= int(page) <= len(self.pages)):
                continue
            parent = self.pages[int(page) - 1]
            for box in span.get("boxes") or []:
                if len(box) == 4:
                    self._highlights.append(HighlightItem(box, parent, low=low))
        if scroll and self._highlights:
            self.ensure_highlight_visible()

    def ensure_highlight_visible(self) -> None:
        first = self._highlights[0]
        same_page = [h for h in self._highlights if h.parentItem() is first.parentItem()]
        area = QRectF()
        for h in same_page:
            area = area.united(h.mapRectToScene(h.rect()))
        view = self.mapToScene(self.viewport().rect()).boundingRect()
        margin = min(80.0, view.height() * 0.15)
        if view.contains(area.adjusted(0, -margin / 3, 0, margin / 3)):
            return
        if area.height() > view.height() - 2 * margin:
            area.setHeight(max(10.0, view.height() - 2 * margin))
        target_y = area.top() - view.height() * 0.3
        bar = self.verticalScrollBar()
        bar.setValue(bar.value() + round((target_y - view.top()) * self._zoom))
        if area.left() < view.left() or area.right() > view.right():
            self.centerOn(area.center().x(), self.mapToScene(self.viewport().rect().center()).y())

    def clear_highlights(self) -> None:
        for item in self._highlights:
            if item.scene() is not None:
                item.scene().removeItem(item)
        self._highlights = []

    def highlight_rects(self) -> list[tuple[int, tuple[float, float, float, float]]]:
        """``[(page, (x0, top, x1, bottom)), ...]`` of the highlights, in PDF points."""
        result = []
        for h in self._highlights:
            r = h.rect()
            result.append((h.parentItem().index + 1, (r.left(), r.top(), r.right(), r.bottom())))
        return result

    def highlight_scene_rects(self) -> list[QRectF]:
        return [h.mapRectToScene(h.rect()) for h in self._highlights]


def _pixmap_bytes(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * 4


class PageViewer(QWidget):
    """The centre pane: a small toolbar (pages, zoom) above the letter view, or a message."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = LetterView(self)
        self.setObjectName("pageViewer")

        bar = QFrame(self)
        bar.setObjectName("viewerBar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(8, 4, 8, 4)
        row.setSpacing(4)
        self.title = plain_label("", bar)  # the file name or case number, as written
        self.title.setObjectName("viewerTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.prev_button = self._tool(bar, "go-up", "Previous page (Page Up)", self.view.previous_page)
        self.next_button = self._tool(bar, "go-down", "Next page (Page Down)", self.view.next_page)
        self.page_box = QLineEdit(bar)
        self.page_box.setObjectName("pageBox")
        self.page_box.setValidator(QIntValidator(1, 9999, self.page_box))
        self.page_box.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.page_box.setFixedWidth(42)
        self.page_box.setToolTip("Go to page")
        self.page_box.setAccessibleName("Page number")
        self.page_box.editingFinished.connect(self._go_to_typed_page)
        self.page_total = QLabel("/ 0", bar)
        self.page_total.setObjectName("pageTotal")
        self.zoom_out_button = self._tool(bar, "zoom-out", "Zoom out (Ctrl+-)", self.view.zoom_out)
        self.zoom_label = QLabel("100%", bar)
        self.zoom_label.setObjectName("zoomLabel")
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.zoom_label.setMinimumWidth(44)
        self.zoom_in_button = self._tool(bar, "zoom-in", "Zoom in (Ctrl++)", self.view.zoom_in)
        self.fit_button = self._tool(bar, "fit-width", "Fit width (Ctrl+0)", self.view.zoom_fit_width)
        self.fit_button.setCheckable(True)
        self.fit_button.setChecked(True)
        row.addWidget(self.title, 1)
        for w in (self.prev_button, self.next_button, self.page_box, self.page_total):
            row.addWidget(w)
        row.addSpacing(12)
        for w in (self.zoom_out_button, self.zoom_label, self.zoom_in_button, self.fit_button):
            row.addWidget(w)

        self.message = plain_label("", self)
        self.message.setObjectName("viewerMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.message)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(self.stack, 1)

        self.view.page_changed.connect(self._on_page)
        self.view.zoom_changed.connect(self._on_zoom)
        self._on_page(0, 0)
        shared_renderer()  # the render process starts in the background: the first letter opens sooner

    @staticmethod
    def _tool(parent: QWidget, icon_name: str, tip: str, slot) -> QToolButton:
        button = QToolButton(parent)
        button.setIcon(icon(icon_name))
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0])  # "Zoom in (Ctrl++)" is read out as "Zoom in"
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(slot)
        return button

    def show_letter(self, kind: str, data: bytes, title: str = "") -> str | None:
        """Show a letter's pages; returns an error message when it cannot be displayed."""
        self.title.setText(title)
        try:
            source = PdfSource(data) if kind == "pdf" else TextSource(decode_text(data))
        except RenderError as exc:  # pdfium could not open it, in its own process
            self.show_message(f"This file cannot be displayed: {exc}.")
            return str(exc)
        except LoadError as exc:  # a text over the limits: say which
            self.show_message(f"This file cannot be displayed. {exc.message}")
            return exc.message
        except Exception as exc:  # a damaged file: say so in place of the pages
            self.show_message(f"This file cannot be displayed ({type(exc).__name__}).")
            return str(exc) or type(exc).__name__
        self.stack.setCurrentWidget(self.view)
        self.view.set_source(source)
        return None

    def show_message(self, text: str) -> None:
        self.view.set_source(None)
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    def clear(self) -> None:
        self.title.setText("")
        self.view.set_source(None)
        self.stack.setCurrentWidget(self.view)

    def _go_to_typed_page(self) -> None:
        text = self.page_box.text().strip()
        if text.isdigit():
            self.view.go_to_page(int(text))
        else:
            self._on_page(self.view.current_page, self.view.page_count)

    def _on_page(self, page: int, count: int) -> None:
        self.page_box.setText(str(page) if count else "")
        self.page_total.setText(f"/ {count}")
        self.prev_button.setEnabled(page > 1)
        self.next_button.setEnabled(0 < page < count)
        self.page_box.setEnabled(count > 0)

    def _on_zoom(self, zoom: float) -> None:
        self.zoom_label.setText(f"{round(zoom * 100)}%")
        self.fit_button.setChecked(self.view.fit_width)
        self.zoom_in_button.setEnabled(zoom < MAX_ZOOM - 1e-3)
        self.zoom_out_button.setEnabled(zoom > MIN_ZOOM + 1e-3)
