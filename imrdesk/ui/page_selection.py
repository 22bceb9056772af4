"""Page to field, the way Rossum and Label Studio work: a click on a word of the page focuses the field
that came from it; words selected on the page (drag a rectangle, or click one and Shift+click another)
are copied (Ctrl+C) or put into the focused field (Ctrl+E) as a reviewer's correction.

The words come from the letter itself: a PDF page's text layer, read in the render process
(``PdfSource.page_words``), or a text letter's grid (``TextSource.page_words``). A page scanned and read by
OCR has no text layer: its values are still found by their provenance boxes, and the page's menu says that
its text cannot be selected. Nothing from the letter is ever interpreted: its words are plain text.

:class:`WordSelector` is the mouse on the page (an event filter on the view); :class:`PageText` is the
window's side: its actions, the page's context menu, and filling a field through the review flow.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence, QPainter, QPen
from PySide6.QtWidgets import QApplication, QGraphicsItem, QGraphicsRectItem, QMenu

from imrdesk.extract.document import Word
from imrdesk.extract.textmap import words_provenance
from imrdesk.record import field_label, get_value

from .field_editors import ChoiceField, LineField, TextField
from .page_words import PageWord, choice_for, reading_rank, text_for, value_at, word_at, words_in, words_text

if TYPE_CHECKING:  # pragma: no cover
    from .main_window import MainWindow
    from .viewer import LetterView

WORDS_WAIT = 1.0  # seconds the window waits for a page's words at most (they take milliseconds)
SELECTION_FILL = QColor(122, 170, 255)  # multiplied over the page: the text stays black, the paper blue
SELECTION_EDGE = QColor(37, 99, 235, 200)


class SelectionMarks(QGraphicsItem):
    """The selected words of one page, drawn in the selection colour (not the highlights' yellow)."""

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.rects: list[QRectF] = []
        self.setZValue(12)  # over the value highlights: what is selected is what Ctrl+E takes

    def set_words(self, words: list[PageWord]) -> None:
        """Words in reading order; neighbours on a line are drawn as one band, as text selection is."""
        self.prepareGeometryChange()
        self.rects = []
        for _t, x0, top, x1, bottom in words:
            rect = QRectF(x0, top, x1 - x0, bottom - top)
            last = self.rects[-1] if self.rects else None
            if last is not None and min(last.bottom(), bottom) - max(last.top(), top) > 0.5 * rect.height():
                if 0 <= x0 - last.right() <= 12:  # the next word of the line: one band over the space
                    self.rects[-1] = last.united(rect)
                    continue
            self.rects.append(rect)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        area = QRectF()
        for rect in self.rects:
            area = area.united(rect)
        return area.adjusted(-2, -2, 2, 2)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(SELECTION_FILL))
        for rect in self.rects:
            painter.drawRect(rect.adjusted(-0.8, -0.4, 0.8, 0.4))


class WordSelector(QObject):
    """The left button on the page: click a value's word to focus its field, click or drag to select words,
    Shift+click to extend; the middle button moves the page; Esc clears the selection. One page at a time
    (a value's provenance is one page and its boxes)."""

    changed = Signal()
    value_clicked = Signal(str)  # the path of the value under a click
    menu_requested = Signal(int, QPointF, QPoint)  # page (0-based), point on it, global position

    def __init__(self, view: LetterView, record) -> None:
        super().__init__(view)
        self.view = view
        self.record = record  # () -> the open letter's record (its provenance boxes)
        self.page = -1  # the page whose words are selected (0-based)
        self.words: list[PageWord] = []
        self.rank: list[int] = []
        self.selected: list[int] = []
        self.anchor: int | None = None
        self._marks: SelectionMarks | None = None
        self._band: QGraphicsRectItem | None = None
        self._press: tuple[QPoint, int, QPointF, bool] | None = None  # viewport pos, page, page point, shift
        self._before: list[int] = []  # the selection a Shift+drag adds to
        self._dragging = False
        self._pan: QPoint | None = None
        self._unread = False  # the page's words had not come back from the render process
        view.viewport().setMouseTracking(True)
        view.viewport().installEventFilter(self)
        view.installEventFilter(self)
        view.source_changed.connect(self._forget)

    # ------------------------------------------------------------------ the selection
    def text(self) -> str:
        return words_text(self.words, self.selected) if self.selected else ""

    def boxes(self) -> tuple[tuple[float, float, float, float], ...]:
        """The selected words' boxes in reading order (PDF points, the provenance boxes' space), the words
        of one line in one box: the extractor's provenance of those words (one highlight a line)."""
        page = self.page + 1
        chosen = [
            Word(text, page, x0, top, x1, bottom)
            for text, x0, top, x1, bottom in (self.words[i] for i in self.selected)
        ]
        prov = words_provenance(chosen, 1.0)
        return tuple(tuple(box) for box in prov["boxes"]) if prov else ()

    def page_text(self, index: int) -> str:
        return words_text(self.page_words(index) or [])

    def page_words(self, index: int, *, wait: bool = True) -> list[PageWord] | None:
        """A page's words; None while the render process has not read them. With ``wait``, they are waited
        for at most WORDS_WAIT: a page being drawn (a bomb may take the render process's whole time limit)
        must not hold the window, whose click then selects nothing and the next one finds the words."""
        source = self.view.source
        if source is None or not (0 <= index < len(self.view.pages)):
            return []
        words = source.page_words(index, wait=False)
        deadline = time.monotonic() + (WORDS_WAIT if wait else 0.0)
        while words is None and time.monotonic() < deadline:
            time.sleep(0.005)  # a page's words take milliseconds
            words = source.page_words(index, wait=False)
        return words

    def select(self, page: int, indices: list[int], *, anchor: int | None = None) -> None:
        """Select words of a page (indices into its words, kept in reading order)."""
        self._use_page(page)
        self.selected = sorted(set(indices), key=lambda i: self.rank[i])
        if anchor is not None or not self.selected:
            self.anchor = anchor
        self._show()
        self.changed.emit()

    def clear(self) -> None:
        if self.selected or self.anchor is not None:
            self.selected, self.anchor = [], None
            self._show()
            self.changed.emit()

    def _use_page(self, page: int) -> None:
        if page != self.page or self._unread:  # (a page whose words were not there yet has none selected)
            words = self.page_words(page, wait=page != self.page)  # waited for once, then looked for
            self._unread = words is None
            self.page, self.words = page, list(words or [])
            self.rank = reading_rank(self.words)
            self.selected, self.anchor = [], None

    def _show(self) -> None:
        if not self.selected:
            if self._marks is not None:
                self._marks.set_words([])
            return
        parent = self.view.pages[self.page]
        if self._marks is None:
            self._marks = SelectionMarks(parent)
        elif self._marks.parentItem() is not parent:
            self._marks.setParentItem(parent)
        self._marks.set_words([self.words[i] for i in self.selected])

    def _forget(self) -> None:
        """Another letter: the items were deleted with the old scene; nothing of the old letter stays."""
        self._marks = self._band = None
        self._press, self._dragging, self._pan = None, False, None
        self.page, self.words, self.rank, self.selected, self.anchor = -1, [], [], [], None
        self.changed.emit()

    # ------------------------------------------------------------------ the mouse
    def _page_at(self, pos: QPoint) -> tuple[int, QPointF] | None:
        scene = self.view.mapToScene(pos)
        for index, item in enumerate(self.view.pages):
            point = item.mapFromScene(scene)
            if item.page_rect().contains(point):
                return index, point
        return None

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        kind = event.type()
        if obj is self.view:
            if kind == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape and self.selected:
                self.clear()
                return True
            return False
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            return self._pressed(event)
        if kind == QEvent.Type.MouseMove:
            return self._moved(event)
        if kind == QEvent.Type.MouseButtonRelease:
            return self._released(event)
        if kind == QEvent.Type.ContextMenu:
            hit = self._page_at(event.pos())
            if hit is not None:
                self.menu_requested.emit(hit[0], hit[1], event.globalPos())
                return True
        return False

    def _pressed(self, event) -> bool:
        pos = event.position().toPoint()
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan = pos
            return True
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        self.view.setFocus(Qt.FocusReason.MouseFocusReason)
        hit = self._page_at(pos)
        if hit is None:
            self._press = None
            self.clear()
            return True
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self._press = (pos, hit[0], hit[1], shift)
        self._before = list(self.selected) if shift and hit[0] == self.page else []
        self._dragging = False
        return True

    def _moved(self, event) -> bool:
        pos = event.position().toPoint()
        if self._pan is not None:
            delta = pos - self._pan
            self._pan = pos
            self.view.horizontalScrollBar().setValue(self.view.horizontalScrollBar().value() - delta.x())
            self.view.verticalScrollBar().setValue(self.view.verticalScrollBar().value() - delta.y())
            return True
        if self._press is None:
            self._hover(pos)
            return False
        start, page, origin, _shift = self._press
        if not self._dragging and (pos - start).manhattanLength() < QApplication.startDragDistance():
            return True
        self._dragging = True
        item = self.view.pages[page]
        point = item.mapFromScene(self.view.mapToScene(pos))
        rect = QRectF(origin, point).normalized().intersected(item.page_rect())
        if self._band is None or self._band.parentItem() is not item:
            self._band = _band(item)
        self._band.setRect(rect)
        self._use_page(page)
        taken = words_in(self.words, (rect.left(), rect.top(), rect.right(), rect.bottom()))
        self.select(page, self._before + taken)
        return True

    def _released(self, event) -> bool:
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan = None
            return True
        if event.button() != Qt.MouseButton.LeftButton or self._press is None:
            return False
        _start, page, point, shift = self._press
        self._press = None
        if self._band is not None:
            self._band.setRect(QRectF())
        if not self._dragging:
            self._click(page, point, shift)
        self._dragging = False
        return True

    def _click(self, page: int, point: QPointF, shift: bool) -> None:
        """A click: Shift extends the selection to the word; on a value, its field; on a word, that word."""
        if shift and page == self.page and self.anchor is not None:
            word = word_at(self.words, point.x(), point.y())
            if word is not None:
                low, high = sorted((self.rank[self.anchor], self.rank[word]))
                self.select(page, [i for i, r in enumerate(self.rank) if low <= r <= high])
                return
        path = value_at(self.record(), page + 1, point.x(), point.y())
        if path is not None and not shift:
            self.clear()
            self.value_clicked.emit(path)
            return
        self._use_page(page)
        word = word_at(self.words, point.x(), point.y())
        if word is None:
            self.clear()
        else:
            self.select(page, [word], anchor=word)

    def _hover(self, pos: QPoint) -> None:
        """The cursor says what a click does: a pointing hand on a value, a text cursor on a word."""
        hit = self._page_at(pos)
        shape = Qt.CursorShape.ArrowCursor
        if hit is not None:
            page, point = hit
            if value_at(self.record(), page + 1, point.x(), point.y()) is not None:
                shape = Qt.CursorShape.PointingHandCursor
            elif word_at(self.page_words(page, wait=False) or [], point.x(), point.y()) is not None:
                shape = Qt.CursorShape.IBeamCursor
        if self.view.viewport().cursor().shape() != shape:
            self.view.viewport().setCursor(shape)


def _band(parent: QGraphicsItem) -> QGraphicsRectItem:
    band = QGraphicsRectItem(parent)
    pen = QPen(SELECTION_EDGE, 1.0, Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    band.setPen(pen)
    band.setBrush(QColor(37, 99, 235, 28))
    band.setZValue(13)
    return band


class PageText(QObject):
    """The window's side of the page's text: Copy (Ctrl+C on the page), Use selected text for the focused
    field (Ctrl+E), the page's context menu, and a click on a value focusing its field."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        view = window.viewer.view
        self.selector = WordSelector(view, lambda: window.record)
        self.selector.value_clicked.connect(self._focus_value)
        self.selector.changed.connect(self.update_actions)
        self.selector.menu_requested.connect(self.show_menu)
        window.panel.field_focused.connect(lambda _path: self.update_actions())

        self.copy_action = QAction("&Copy selected page text", window)
        self.copy_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        # only with the focus on the page: an editor's own Ctrl+C copies the editor's text
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_action.triggered.connect(lambda _checked=False: self.copy())
        view.addAction(self.copy_action)
        self.fill_action = QAction("Use selected page text for the fi&eld", window)
        self.fill_action.setShortcut(QKeySequence("Ctrl+E"))
        self.fill_action.triggered.connect(lambda _checked=False: self.fill())
        window.addAction(self.fill_action)  # wherever the focus is: in the field, or on the page
        self.update_actions()

    # ------------------------------------------------------------------ state
    def target(self) -> tuple[str | None, str | None]:
        """(the field a selection would go into, why it cannot: None when it can)."""
        w = self.window
        if w.record is None or w.record.get("error"):
            return None, "Open a letter that was read first."
        path = w.panel.current_path()
        field = w.panel.field(path) if path else None
        if field is None:
            return None, "Click a field in the panel first: the selected words go into it."
        if not isinstance(field, (LineField, TextField, ChoiceField)):
            return path, f"{field_label(path)} is set with its buttons, not from text."
        if not self.selector.selected:
            return (
                path,
                "Select words on the page first: drag over them, or click one and Shift+click another.",
            )
        return path, None

    def update_actions(self) -> None:
        path, why = self.target()
        self.fill_action.setEnabled(why is None)
        tip = why or f"Put the selected words into {field_label(path)} (Ctrl+E)"
        self.fill_action.setToolTip(tip)
        self.fill_action.setStatusTip(tip)
        self.copy_action.setEnabled(bool(self.selector.selected))

    # ------------------------------------------------------------------ the actions
    def copy(self) -> None:
        text = self.selector.text()
        if text:
            QApplication.clipboard().setText(text)  # plain text only
            n = len(self.selector.selected)
            self._status(f"Copied {n} word{'s' if n != 1 else ''} from page {self.selector.page + 1}.")

    def copy_page(self, index: int) -> None:
        text = self.selector.page_text(index)
        if text:
            QApplication.clipboard().setText(text)
            self._status(f"Copied the text of page {index + 1}.")

    def fill(self) -> bool:
        """Put the selected words into the focused field's editor and save them as the reviewer's value
        (through the editor's own commit: validated, one audited correction, Ctrl+Z takes it back)."""
        path, why = self.target()
        if why is not None or path is None:
            self._status(why or "")
            return False
        w = self.window
        field = w.panel.field(path)
        text = self.selector.text()
        before = get_value(w.record, path)
        # the value is saved with the selected words' page and boxes: its highlight, then and whenever the
        # letter is opened again, is where the reviewer read it
        w.review.picked = (path, self.selector.page + 1, self.selector.boxes())
        try:
            if isinstance(field, ChoiceField):
                choice = choice_for(field.options, text)
                if choice is None:
                    names = ", ".join(str(o) for o in field.options)
                    self._status(f"{field.spec.label}: the selected words are none of {names}.")
                    return False
                field.select(choice)
            else:
                if isinstance(field, LineField):
                    field.edit.setText(text_for(field.spec.kind, text))
                else:
                    field.edit.setPlainText(text_for(field.spec.kind, text))
                if not field.commit():  # the editor says what is wrong and keeps the text to fix
                    w.panel.focus_field(path)
                    return False
        finally:
            w.review.picked = None
        w.panel.focus_field(path)
        if w.record is not None and get_value(w.record, path) == before:
            self._status(f"{field_label(path)} already says so.")
            return False
        self.selector.clear()  # the value's highlight now shows where it was read
        self._status(f"{field_label(path)} filled from page {self.selector.page + 1}. Ctrl+Z takes it back.")
        return True

    def _focus_value(self, path: str) -> None:
        """A click on a value's word: its field, focused and highlighted."""
        if self.window.record is not None and not self.window.record.get("error"):
            self.window.panel.focus_field(path)

    def _status(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 5000)

    # ------------------------------------------------------------------ the page's menu
    def page_menu(self, index: int, point: QPointF) -> QMenu:
        """The right-click menu of a page: copy, copy the page, fill the focused field, go to a value."""
        menu = QMenu(self.window)
        menu.setToolTipsVisible(True)
        words = self.selector.page_words(index)
        if words is None:
            menu.addAction("Page text is still being read: try again in a moment").setEnabled(False)
            menu.addSeparator()
        elif not words:
            pages = ((self.window.record or {}).get("ocr") or {}).get("pages") or []
            scan = index + 1 in pages
            note = menu.addAction(
                "Page text unavailable: this page is a scan read by OCR"
                if scan
                else "Page text unavailable: this page has no text layer"
            )
            note.setEnabled(False)
            menu.addSeparator()
        menu.addAction(self.copy_action)
        copy_page = menu.addAction("Copy page text")
        copy_page.setEnabled(bool(words))
        copy_page.triggered.connect(lambda _checked=False: self.copy_page(index))
        menu.addSeparator()
        path, why = self.target()
        fill = menu.addAction(
            f"Use selected text for {field_label(path)}" if path else "Use selected text for the field"
        )
        fill.setShortcut(self.fill_action.shortcut())
        fill.setEnabled(why is None)
        fill.setToolTip(why or f"Put the selected words into {field_label(path)}")
        fill.triggered.connect(lambda _checked=False: self.fill())
        clear = menu.addAction("Clear selection")
        clear.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        clear.setEnabled(bool(self.selector.selected))
        clear.triggered.connect(lambda _checked=False: self.selector.clear())
        value = value_at(self.window.record, index + 1, point.x(), point.y())
        if value is not None:
            menu.addSeparator()
            go = menu.addAction(f"Go to {field_label(value)}")
            go.triggered.connect(lambda _checked=False: self._focus_value(value))
        return menu

    def show_menu(self, index: int, point: QPointF, where: QPoint) -> None:
        self.update_actions()
        menu = self.page_menu(index, point)
        self.menu = menu  # tests look at it
        menu.exec(where)
        menu.deleteLater()
