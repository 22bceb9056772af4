"""Page to field, driven with the mouse and the keys a reviewer uses: a click on a value's word focuses its
field; words dragged over on the page are copied (Ctrl+C) or put into the focused field (Ctrl+E) as one
audited correction that Ctrl+Z takes back. Real widgets (offscreen), real letters, the real render process."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pdfplumber  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from ui_helpers import show_main_window  # noqa: E402

from imrdesk.extract import extract  # noqa: E402
from imrdesk.store import Store  # noqa: E402
from imrdesk.ui.app import configure  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PDF = ROOT / "tests" / "fixtures" / "pdf" / "CM16-0230548.pdf"  # 2 pages, 2 items
TXT = ROOT / "resources" / "samples" / "003_9351796eb9e60cf4.txt"  # a plain-text letter
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture(scope="session", autouse=True)
def _app_style(qapp):
    configure(qapp)


@pytest.fixture
def desk(qtbot, tmp_path):
    """``desk(path, data=None, **record_keys)`` -> (window, doc id) on a database holding that one letter
    (its bytes replaced by ``data`` when given: a scan of it)."""

    def factory(path: Path, data: bytes | None = None, **keys):
        db = tmp_path / "imrdesk.db"
        record = extract(path)
        record.pop("sha256", None)
        record.update(keys)
        with Store(db) as store:
            doc = store.add_record(record, data or path.read_bytes(), source_path=str(path))["doc_id"]
        window = show_main_window(qtbot, db, tmp_path / "settings.ini", import_options={"workers": 1})
        qtbot.waitUntil(lambda: window.doc_id == doc, timeout=5000)
        return window, doc

    return factory


def words_on(page: int, *texts: str) -> list[dict]:
    """pdfplumber's boxes of a run of words of the fixture letter (the space of the provenance boxes)."""
    with pdfplumber.open(str(PDF)) as pdf:
        words = pdf.pages[page - 1].extract_words()
    for start in range(len(words)):
        run = words[start : start + len(texts)]
        if [w["text"] for w in run] == list(texts):
            return run
    raise AssertionError(texts)


def viewport_pos(window, page: int, x: float, y: float) -> QPoint:
    """Where a point of a page (PDF points) is on the screen, scrolled into view first."""
    view = window.viewer.view
    scene = view.pages[page - 1].mapToScene(QPointF(x, y))
    if not view.mapToScene(view.viewport().rect()).boundingRect().contains(scene):
        view.centerOn(scene)
    return view.mapFromScene(scene)


def drag(window, page: int, start: tuple[float, float], end: tuple[float, float]) -> None:
    viewport = window.viewer.view.viewport()
    a, b = viewport_pos(window, page, *start), viewport_pos(window, page, *end)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    for step in (0.3, 0.7, 1.0):
        QTest.mouseMove(viewport, a + (b - a) * step)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)


def drag_over(window, page: int, words: list[dict]) -> None:
    """Drag from just inside the first word's top-left to just inside the last one's bottom-right."""
    drag(
        window,
        page,
        (words[0]["x0"] + 1, words[0]["top"] + 2),
        (words[-1]["x1"] - 1, words[-1]["bottom"] - 2),
    )


def click(window, page: int, x: float, y: float, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.mouseClick(
        window.viewer.view.viewport(), Qt.MouseButton.LeftButton, modifier, viewport_pos(window, page, x, y)
    )


def centre(box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def test_a_click_on_a_value_focuses_its_field_and_shows_its_words(desk):
    window, _doc = desk(PDF)
    view, panel = window.viewer.view, window.panel
    for path in ("case_number", "decision_date", "items[1].decision", "items[0].treatment"):
        prov = window.record["provenance"][path]
        click(window, prov["page"], *centre(prov["boxes"][0]))
        field = panel.focused_field()
        assert field is not None and field.path == path, path
        assert [r for _p, r in view.highlight_rects()] == [tuple(b) for b in prov["boxes"]], path
    # a word no value came from changes no field: it is selected, ready for Shift+click
    (word,) = words_on(1, "Number:")
    click(window, 1, (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2)
    assert panel.current_path() == "items[0].treatment"
    assert window.page_text.selector.text() == "Number:"


def test_words_dragged_over_are_copied_as_the_letter_writes_them(desk, qtbot):
    window, _doc = desk(PDF)
    view, selector = window.viewer.view, window.page_text.selector
    clipboard = QApplication.clipboard()

    drag_over(window, 1, words_on(1, "Case", "Number:", "CM16-0230548"))
    assert selector.text() == "Case Number: CM16-0230548"
    assert view.hasFocus()
    QTest.keyClick(view, Qt.Key.Key_C, CTRL)
    assert clipboard.text() == "Case Number: CM16-0230548"

    # two lines: each line's words in order, the lines joined by a newline
    first, second = words_on(1, "Case", "Number:"), words_on(1, "Date", "Assigned:", "12/06/2016")
    drag(
        window, 1, (first[0]["x0"] + 1, first[0]["top"] + 2), (second[-1]["x1"] - 1, second[-1]["bottom"] - 2)
    )
    QTest.keyClick(view, Qt.Key.Key_C, CTRL)
    assert clipboard.text() == "Case Number: CM16-0230548\nDate Assigned: 12/06/2016"

    # click a word, Shift+click another: the words between them in reading order
    start, end = words_on(1, "Date", "Assigned:")[0], words_on(1, "Date", "of", "Injury:")[-1]
    click(window, 1, start["x0"] + 2, start["top"] + 5)
    click(window, 1, end["x0"] + 2, end["top"] + 5, Qt.KeyboardModifier.ShiftModifier)
    assert selector.text() == "Date Assigned: 12/06/2016 Date of Injury:"
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert selector.text() == "" and not window.page_text.copy_action.isEnabled()

    # the page's menu copies the whole page, in reading order
    menu = window.page_text.page_menu(0, QPointF(300, 400))
    texts = [a.text() for a in menu.actions()]
    assert "Copy page text" in texts and not any("unavailable" in t for t in texts)
    next(a for a in menu.actions() if a.text() == "Copy page text").trigger()
    assert clipboard.text().startswith("Case Number: CM16-0230548\nDate Assigned: 12/06/2016 Date of Injury:")


def test_selected_words_fill_the_focused_field_as_one_audited_correction(desk, qtbot):
    window, doc = desk(PDF)
    panel, view, fill = window.panel, window.viewer.view, window.page_text.fill_action
    old = window.record["decision_date"]
    assert old != "2016-12-06"
    extracted = window.record["provenance"]["decision_date"]
    picked = words_on(1, "12/06/2016")
    assert (extracted["page"], extracted["boxes"][0][1]) != (1, round(picked[0]["top"], 2))  # elsewhere

    drag_over(window, 1, picked)
    assert not fill.isEnabled() and "field in the panel first" in fill.toolTip()  # no field yet
    panel.focus_field("decision_date")
    assert fill.isEnabled()
    menu = window.page_text.page_menu(0, QPointF(300, 400))
    assert "Use selected text for Decision date" in [a.text() for a in menu.actions()]

    selected = window.page_text.selector.boxes()  # the render process's box of the selected word
    QTest.keyClick(view, Qt.Key.Key_E, CTRL)  # the letter's 12/06/2016, as the date editor takes it
    assert window.store.record(doc)["decision_date"] == "2016-12-06"
    assert [(r["old"], r["new"]) for r in window.store.value_history(doc, "decision_date")] == [
        (old, "2016-12-06")
    ]
    assert panel.focused_field().path == "decision_date"
    assert panel.field("decision_date").edit.text() == "2016-12-06"
    # saved with where it was read: its provenance is the selected words, now and when the letter is opened
    # again, and that is what the page highlights for the field
    prov = window.store.record(doc)["provenance"]["decision_date"]
    word = (picked[0]["x0"], picked[0]["top"], picked[0]["x1"], picked[0]["bottom"])
    assert prov["page"] == 1 and len(prov["boxes"]) == 1 and prov["corrected"] and "spans" not in prov
    assert prov["boxes"] == [[round(v, 2) for v in box] for box in selected]
    assert window.page_text.selector.text() == ""  # the selection gives way to the value's highlight
    assert max(abs(a - b) for a, b in zip(prov["boxes"][0], word, strict=True)) < 1.5  # that word
    assert [(page, tuple(round(v, 2) for v in box)) for page, box in view.highlight_rects()] == [
        (1, tuple(prov["boxes"][0]))
    ]

    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Z, CTRL)
    assert window.store.record(doc)["decision_date"] == old
    assert panel.field("decision_date").edit.text() == old
    assert window.store.record(doc)["provenance"]["decision_date"]["boxes"] == extracted["boxes"]
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Y, CTRL)  # redo: the value and where it was read
    assert window.store.record(doc)["provenance"]["decision_date"]["boxes"] == prov["boxes"]
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Z, CTRL)

    # a choice takes the words that name it: "Upheld" from the page for item 2's decision
    panel.focus_field("items[1].decision")
    assert window.record["items"][1]["decision"] == "Overturned"
    drag_over(window, 1, words_on(1, "Upheld"))
    QTest.keyClick(view, Qt.Key.Key_E, CTRL)
    assert window.store.record(doc)["items"][1]["decision"] == "Upheld"


def test_a_text_letter_selects_on_its_grid(desk):
    window, _doc = desk(TXT)
    prov = window.record["provenance"]["patient.age"]
    click(window, prov["page"], *centre(prov["boxes"][0]))
    assert window.panel.focused_field().path == "patient.age"
    x0, top, x1, bottom = prov["boxes"][0]
    drag(window, prov["page"], (x0 + 1, top + 2), (x1 - 1, bottom - 2))
    assert window.page_text.selector.text() == "43-year-old"


def test_a_scanned_page_has_no_text_to_select_but_its_values_are_found(desk):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(PDF))
    images = [pdf[i].render(scale=1.0).to_pil().convert("RGB") for i in range(len(pdf))]
    scan = io.BytesIO()
    images[0].save(scan, "PDF", resolution=72.0, save_all=True, append_images=images[1:])
    window, _doc = desk(PDF, scan.getvalue(), ocr={"engine": "test", "pages": [1, 2], "dpi": 72})

    menu = window.page_text.page_menu(0, QPointF(300, 400))
    texts = [a.text() for a in menu.actions()]
    assert "Page text unavailable: this page is a scan read by OCR" in texts
    assert not next(a for a in menu.actions() if a.text() == "Copy page text").isEnabled()
    prov = window.record["provenance"]["case_number"]
    click(window, 1, *centre(prov["boxes"][0]))
    assert window.panel.focused_field().path == "case_number"


def test_screenshot_of_a_field_filled_from_the_page(desk, qtbot, tmp_path):
    """The picture of docs/screenshots/page-to-field.png (written there with IMRDESK_SCREENSHOTS set): the
    mechanism of injury, doubted, filled from the words the reviewer selected in the case summary."""
    letter = ROOT / "tests" / "fixtures" / "pdf" / "CM17-0002198.pdf"
    window, doc = desk(letter)
    window.panel.focus_field("injury.mechanism")
    with pdfplumber.open(str(letter)) as pdf:
        words = pdf.pages[0].extract_words()
    start = next(i for i, w in enumerate(words) if w["text"] == "injury" and words[i + 1]["text"] == "of")
    run = words[start : start + 9]
    assert " ".join(w["text"] for w in run) == "injury of unknown intent due to fall from height."
    # inside the case summary, a plain click would open the summary: Shift+click starts a selection there
    click(window, 1, run[0]["x0"] + 2, run[0]["top"] + 5, Qt.KeyboardModifier.ShiftModifier)
    click(window, 1, run[-1]["x1"] - 2, run[-1]["top"] + 5, Qt.KeyboardModifier.ShiftModifier)
    window.toggle_list()  # the room a reviewer gives the page (Ctrl+L)
    window.viewer.view.set_zoom(1.25)
    window.viewer.view.centerOn(window.viewer.view.pages[0].mapToScene(QPointF(306, 420)))
    assert window.page_text.fill()
    assert (
        window.store.record(doc)["injury"]["mechanism"] == "injury of unknown intent due to fall from height."
    )
    qtbot.wait(120)
    window.viewer.view.flush_renders()
    QApplication.processEvents()
    image = window.grab().toImage()
    folder = Path(os.environ.get("IMRDESK_SCREENSHOTS") or tmp_path)
    assert image.save(str(folder / "page-to-field.png"))


def test_reading_order_dates_choices_and_the_smallest_value_under_a_point():
    from imrdesk.ui.page_words import choice_for, text_for, value_at, words_text

    # drawn out of order, a superscript a little higher than its line: read line by line, left to right
    words = [
        ("world", 60, 100.5, 90, 110),
        ("Hello", 20, 100, 55, 110),
        ("next", 20, 113, 40, 123),
        ("2", 91, 99, 94, 105),
    ]
    assert words_text(words) == "Hello world 2\nnext"
    assert words_text(words, [2, 0]) == "world\nnext"
    assert text_for("date", "12/06/2016") == "2016-12-06"
    assert text_for("date", "December 6, 2016.") == "2016-12-06"
    assert text_for("date", "13/45/2016") == "13/45/2016"  # the editor says what is wrong
    assert text_for("int", "43-year-old") == "43"
    assert text_for("list", "Texas\nNew York") == "Texas; New York"
    assert text_for("longtext", "fall from\nheight.") == "fall from height."
    assert choice_for(("Upheld", "Overturned"), "overturned.") == "Overturned"
    assert choice_for(("Upheld", "Overturned"), "Upheld in part") is None
    record = {
        "summary": "…",
        "date_of_injury": "2016-11-01",
        "provenance": {
            "summary": {"page": 1, "boxes": [[72, 100, 540, 112]]},
            "date_of_injury": {"page": 1, "boxes": [[300, 100, 350, 112]]},
            "items[0].maximus_citations": {"page": 2, "boxes": [[72, 200, 300, 212]]},
            "file": {"page": 1, "boxes": [[0, 0, 600, 800]]},  # not a value the panel edits
        },
        "items": [{"treatment": "x"}],
    }
    assert value_at(record, 1, 320, 105) == "date_of_injury"
    assert value_at(record, 1, 100, 105) == "summary"
    assert value_at(record, 2, 100, 205) == "items[0].maximus_guideline"
    assert value_at(record, 1, 100, 300) is None


def test_a_page_drawn_for_long_holds_a_selection_a_second_at_most(desk, qtbot, monkeypatch):
    """The page's words wait behind a page being drawn; a bomb may take the render process's whole time
    limit, the window does not: the drag selects nothing, and once the page is given up the words are
    there."""
    from imrdesk.ui import viewer as viewer_module

    viewer_module._stop_renderer()  # a render process that reads the fault hook when it starts
    monkeypatch.setenv("IMRDESK_TEST_RENDER_FAULT", "hang:1")
    try:
        renderer, _ = viewer_module.shared_renderer()
        renderer.page_timeout = 8.0
        window, _doc = desk(PDF)
        phrase = words_on(1, "Case", "Number:", "CM16-0230548")
        started = time.monotonic()
        drag_over(window, 1, phrase)
        assert time.monotonic() - started < 4.0  # the words are waited for a second, not the page's 8 s
        assert window.page_text.selector.text() == ""
        qtbot.waitUntil(lambda: window.viewer.view.page_failure(0) is not None, timeout=40000)
        selector = window.page_text.selector
        qtbot.waitUntil(
            lambda: selector.page_words(0, wait=False) is not None, timeout=20000
        )  # a new process
        drag_over(window, 1, phrase)
        assert window.page_text.selector.text() == "Case Number: CM16-0230548"
    finally:
        viewer_module._stop_renderer()
