"""The reviewer's window, driven like a reviewer drives it: real widgets, real SQLite files, real letters.

Runs offscreen (QT_QPA_PLATFORM=offscreen); every test gets its own database and its own settings file.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pdfplumber  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QTimer, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMessageBox  # noqa: E402

from imrdesk import __version__  # noqa: E402
from imrdesk.extract import REVIEW_THRESHOLD, extract  # noqa: E402
from imrdesk.extract.document import TEXT_GRID, normalize  # noqa: E402
from imrdesk.record import pending_paths  # noqa: E402
from imrdesk.store import Store  # noqa: E402
from imrdesk.ui import resources  # noqa: E402
from imrdesk.ui.app import configure  # noqa: E402
from imrdesk.ui.doclist import MARK_OPEN, SNIPPET_ROLE  # noqa: E402
from imrdesk.ui.main_window import MainWindow  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "resources" / "samples"
PDF = SAMPLES / "CM16-0230548.pdf"  # 2 items (Upheld, Overturned), low-confidence diagnoses
PDF_TWO_CHECKS = SAMPLES / "CM17-0002198.pdf"  # two low-confidence values
TXT = SAMPLES / "003_9351796eb9e60cf4.txt"  # 2014 layout, plain text, 5 pages


@pytest.fixture(scope="session", autouse=True)
def _app_style(qapp):
    configure(qapp)


# Values these tests treat as read with low confidence, whatever the extractor's current confidence: the
# window's handling of doubtful values is under test here, not how sure the extractor is of these letters.
DOUBTFUL = {
    PDF.name: ("injury.diagnoses",),
    PDF_TWO_CHECKS.name: ("injury.mechanism", "injury.diagnoses"),
}


def add_letters(db: Path, *paths: Path) -> list[int]:
    """Put letters in a database the way the importer does (extract, then store with the bytes), with the
    values of DOUBTFUL below the review threshold."""
    with Store(db) as store:
        ids = []
        for path in paths:
            record = extract(path)
            for doubtful in DOUBTFUL.get(path.name, ()):
                record["provenance"][doubtful]["confidence"] = 0.6
            result = store.add_record(record, path.read_bytes(), source_path=str(path))
            ids.append(result["doc_id"])
        return ids


@pytest.fixture
def open_window(qtbot, tmp_path):
    """``open_window(db=None)`` -> a shown MainWindow on that database with settings in tmp_path."""
    settings_file = tmp_path / "settings.ini"

    def factory(db: Path | None = None) -> MainWindow:
        settings = QSettings(str(settings_file), QSettings.Format.IniFormat)
        window = MainWindow(db or tmp_path / "imrdesk.db", settings, import_options={"workers": 1})
        qtbot.addWidget(window)
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5000)
        return window

    return factory


def wait_import(qtbot, window: MainWindow, timeout: int = 90000) -> dict:
    qtbot.waitUntil(lambda: not window.importer.is_running(), timeout=timeout)
    qtbot.wait(50)  # the window opens the first letter on the next turn of its event loop
    return window.last_import


def pdfplumber_words(path: Path, page: int) -> list[dict]:
    with pdfplumber.open(str(path), password="") as pdf:
        return pdf.pages[page - 1].extract_words()


def union_box(words: list[dict]) -> tuple[float, float, float, float]:
    return (
        min(w["x0"] for w in words),
        min(w["top"] for w in words),
        max(w["x1"] for w in words),
        max(w["bottom"] for w in words),
    )


def assert_box(actual, expected, tol: float = 0.011) -> None:
    assert len(actual) == 4 and all(abs(a - e) <= tol for a, e in zip(actual, expected, strict=True)), (
        actual,
        expected,
    )


def key(widget, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(widget, key, modifier)
    QApplication.processEvents()


def focus() -> object:
    return QApplication.focusWidget()


# ---------------------------------------------------------------------------------------- viewer


def test_field_highlight_is_the_pdfplumber_word_box(open_window, tmp_path):
    (doc,) = add_letters(tmp_path / "imrdesk.db", PDF)
    window = open_window()
    assert window.doc_id == doc and "imrdesk" in window.windowTitle()
    view = window.viewer.view
    assert view.page_count == 2

    window.panel.focus_field("case_number")
    words = [w for w in pdfplumber_words(PDF, 1) if w["text"] == "CM16-0230548"]
    assert len(words) == 1
    ((page, rect),) = view.highlight_rects()
    assert page == 1
    assert_box(rect, union_box(words))
    # scene coordinates are PDF points: the highlight sits at the page's offset plus the box
    (scene,) = view.highlight_scene_rects()
    origin = view.pages[0].pos()
    assert_box(
        (scene.left(), scene.top(), scene.right(), scene.bottom()),
        (rect[0] + origin.x(), rect[1] + origin.y(), rect[2] + origin.x(), rect[3] + origin.y()),
    )

    # a several-word value on page 2: the box of its words on the line, as pdfplumber reports them
    window.panel.focus_field("items[1].decision")
    ((page, rect),) = view.highlight_rects()
    assert page == 2
    words = [w for w in pdfplumber_words(PDF, 2) if w["text"].startswith("Overturned")]
    assert any(abs(w["top"] - rect[1]) < 0.02 for w in words)
    line = [w for w in words if abs(w["top"] - rect[1]) < 0.02]
    assert_box(rect, union_box(line))
    # selecting it scrolled the page into view
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.intersects(view.highlight_scene_rects()[0])
    assert view.current_page == 2

    treatment = window.record["items"][0]["treatment"]
    window.panel.focus_field("items[0].treatment")
    ((page, rect),) = view.highlight_rects()
    words = pdfplumber_words(PDF, page)
    line = [
        w
        for w in words
        if abs(w["top"] - rect[1]) < 0.02 and w["x0"] >= rect[0] - 0.02 and w["x1"] <= rect[2] + 0.02
    ]
    assert " ".join(w["text"] for w in line).rstrip(":").startswith(treatment)
    assert_box(rect, union_box(line))


def test_multi_line_values_get_one_highlight_per_line(open_window, tmp_path):
    add_letters(tmp_path / "imrdesk.db", PDF)
    window = open_window()
    window.panel.focus_field("injury.diagnoses")
    rects = window.viewer.view.highlight_rects()
    prov = window.record["provenance"]["injury.diagnoses"]
    assert [r for _, r in rects] == [tuple(b) for b in prov["boxes"]]
    assert all(page == prov["page"] for page, _ in rects)
    # low-confidence values are drawn in the warning colour
    assert all(h.low for h in window.viewer.view._highlights)


def test_text_letter_is_laid_out_on_the_virtual_grid(open_window, tmp_path):
    add_letters(tmp_path / "imrdesk.db", TXT)
    window = open_window()
    view = window.viewer.view
    assert view.source.kind == "txt"
    text = normalize(TXT.read_text(encoding="utf-8").replace("\r\n", "\n"))
    rows = text.split("\n")
    assert view.page_count == -(-len(rows) // TEXT_GRID.rows_per_page)
    # a virtual page is US Letter, widened to the longest source line (one source line stays one row)
    widest = max(len(row.expandtabs(4)) for row in rows)
    assert view.pages[0].width == max(TEXT_GRID.width, 2 * TEXT_GRID.margin + widest * TEXT_GRID.char_width)
    assert view.pages[0].height == TEXT_GRID.height

    window.panel.focus_field("patient.age")
    ((page, rect),) = view.highlight_rects()
    # the grid position of "43-year-old" in the source text
    index = next(i for i, row in enumerate(rows) if "43-year-old" in row)
    column = rows[index].expandtabs(4).index("43-year-old")
    slot = index % TEXT_GRID.rows_per_page
    x0 = TEXT_GRID.margin + column * TEXT_GRID.char_width
    top = TEXT_GRID.margin + slot * TEXT_GRID.line_height
    assert page == index // TEXT_GRID.rows_per_page + 1
    assert_box(
        rect, (x0, top, x0 + len("43-year-old") * TEXT_GRID.char_width, top + TEXT_GRID.line_height - 2)
    )


def test_pages_render_at_zoom_times_device_pixel_ratio(open_window, tmp_path):
    add_letters(tmp_path / "imrdesk.db", PDF)
    window = open_window()
    view = window.viewer.view
    dpr = view.viewport().devicePixelRatioF()
    for action in (window.act_zoom_in, window.act_zoom_in, window.act_fit, window.act_zoom_out):
        action.trigger()
        view.viewport().repaint()
        QApplication.processEvents()
        view.flush_renders()
        page = view.visible_pages()[0]
        pixmap = view.cached_pixmap(page)
        assert pixmap is not None
        assert abs(pixmap.width() - view.pages[page].width * view.zoom * dpr) <= 2
    assert view.fit_width is False
    window.act_fit.trigger()
    assert view.fit_width is True
    # Page navigation moves through the continuous scroll
    window.act_next_page.trigger()
    assert view.current_page == 2
    window.act_prev_page.trigger()
    assert view.current_page == 1


HIGH_DPI_SCRIPT = """
import json, os, sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
import imrdesk.ui
from imrdesk.ui.viewer import PageViewer
viewer = PageViewer()
viewer.resize(800, 900)
viewer.show()
app.processEvents()
viewer.show_letter("pdf", open(sys.argv[1], "rb").read())
app.processEvents()
viewer.view.viewport().repaint()
viewer.view.flush_renders()
pixmap = viewer.view.cached_pixmap(0)
if pixmap is None:
    sys.exit(f"page 1 not drawn: {viewer.message.text()!r} {viewer.view.page_failure(0)!r}")
print(json.dumps({"dpr": viewer.view.viewport().devicePixelRatioF(), "zoom": viewer.view.zoom,
                  "pixels": pixmap.width(), "points": viewer.view.pages[0].width}))
"""


def test_pages_are_crisp_on_a_high_dpi_screen():
    """At a device pixel ratio of 2 a page is rendered with twice the pixels of its size on screen."""
    import json
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": "2"}
    done = subprocess.run(
        [sys.executable, "-c", HIGH_DPI_SCRIPT, str(PDF)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr  # the window's own words when a page was not drawn
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["dpr"] == 2.0
    assert abs(seen["pixels"] - seen["points"] * seen["zoom"] * 2) <= 2


# ---------------------------------------------------------------------------------------- corrections


def test_edit_is_a_correction_in_the_database_and_survives_reopening(open_window, tmp_path):
    db = tmp_path / "imrdesk.db"
    (doc,) = add_letters(db, PDF)
    window = open_window(db)
    assert window.record["patient"]["age"] == 60

    window.panel.focus_field("patient.age")
    editor = focus()
    assert isinstance(editor, QLineEdit)
    QTest.keyClicks(editor, "61")
    key(editor, Qt.Key.Key_Return)

    with Store(db) as fresh:
        assert fresh.record(doc)["patient"]["age"] == 61
        assert fresh.record(doc)["provenance"]["patient.age"]["corrected"] is True
        rows = fresh.history(doc, "patient.age")
        assert [(r["old"], r["new"]) for r in rows] == [(60, 61)]
        assert fresh.record(doc)["review_status"] == "in_review"  # the first correction starts the review
    window.close()

    again = open_window(db)
    field = again.panel.field("patient.age")
    assert field.edit.text() == "61"
    assert field.state == "done"
    assert "Corrected by a reviewer" in field.widget.toolTip()


def test_undo_and_redo_restore_values(open_window, tmp_path):
    db = tmp_path / "imrdesk.db"
    (doc,) = add_letters(db, PDF)
    window = open_window(db)
    window.panel.focus_field("items[1].decision")
    field = window.panel.field("items[1].decision")
    assert field.combo.currentText() == "Overturned"
    field.select("Upheld")
    with Store(db) as fresh:
        assert fresh.record(doc)["items"][1]["decision"] == "Upheld"
    assert window.documents.model.rows[0]["upheld"] == 2  # the list follows the correction

    key(focus(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    with Store(db) as fresh:
        record = fresh.record(doc)
        assert record["items"][1]["decision"] == "Overturned"
        assert not record["provenance"]["items[1].decision"].get("corrected")  # the extracted value again
        assert [(r["old"], r["new"]) for r in fresh.history(doc, "items[1].decision")] == [
            ("Overturned", "Upheld"),
            ("Upheld", "Overturned"),
        ]
    assert window.panel.field("items[1].decision").combo.currentText() == "Overturned"

    key(focus(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    with Store(db) as fresh:
        assert fresh.record(doc)["items"][1]["decision"] == "Upheld"
    assert window.panel.field("items[1].decision").combo.currentText() == "Upheld"
    assert window.act_undo.isEnabled() and "decision" in window.act_undo.text()


def test_undo_while_typing_discards_the_typing_only(open_window, tmp_path):
    db = tmp_path / "imrdesk.db"
    (doc,) = add_letters(db, PDF)
    window = open_window(db)
    window.panel.focus_field("case_number")
    editor = focus()
    editor.setText("CM16-9999999")
    key(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.text() == "CM16-0230548"
    with Store(db) as fresh:
        assert fresh.history(doc) == []


def test_invalid_value_is_refused_and_nothing_is_stored(open_window, tmp_path, monkeypatch):
    db = tmp_path / "imrdesk.db"
    (doc,) = add_letters(db, PDF)
    window = open_window(db)
    window.panel.focus_field("decision_date")
    editor = focus()
    editor.setText("2016-13-45")
    key(editor, Qt.Key.Key_Return)
    assert editor.property("invalid") is True
    assert "YYYY-MM-DD" in window.statusBar().currentMessage()
    with Store(db) as fresh:
        assert fresh.history(doc) == []
        assert fresh.record(doc)["decision_date"] == window.record["decision_date"]


def test_field_history_dialog(open_window, tmp_path):
    db = tmp_path / "imrdesk.db"
    add_letters(db, PDF)
    window = open_window(db)
    field = window.panel.field("reviewer.specialties")
    window.panel.focus_field("reviewer.specialties")
    for value in ("Orthopedic Surgery", "Orthopedic Surgery; Sports Medicine"):
        field.edit.setText(value)
        key(field.edit, Qt.Key.Key_Return)
    assert window.record["reviewer"]["specialties"] == ["Orthopedic Surgery", "Sports Medicine"]
    key(field.edit, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    dialog = window.history_dialog
    assert dialog.isVisible() and "Specialties" in dialog.windowTitle()
    assert dialog.table.rowCount() == 2
    assert dialog.table.item(1, 3).text() == "Orthopedic Surgery; Sports Medicine"
    dialog.close()


def test_low_confidence_values_are_marked(open_window, tmp_path):
    add_letters(tmp_path / "imrdesk.db", PDF_TWO_CHECKS)
    window = open_window()
    pending = pending_paths(window.record)
    assert pending
    for path in pending:
        field = window.panel.field(path)
        conf = window.record["provenance"][path]["confidence"]
        assert conf < REVIEW_THRESHOLD
        assert field.state == "low" and field.label.text().startswith("⚠")
        assert f"{conf:.0%}" in field.widget.toolTip()
    assert "to check" in window.panel.banner.text()
    row = window.documents.model.rows[0]
    assert row["low_confidence"] == len(pending)


# ---------------------------------------------------------------------------------------- keyboard review


def test_keyboard_review_walks_a_letter_end_to_end(open_window, tmp_path):
    db = tmp_path / "imrdesk.db"
    first, second = add_letters(db, PDF_TWO_CHECKS, PDF)
    window = open_window(db)
    assert window.doc_id == first
    window.documents.view.setFocus()
    QApplication.processEvents()

    # next / previous letter
    key(focus(), Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert window.doc_id == second
    key(focus(), Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert window.doc_id == first

    pending = pending_paths(window.record)
    assert len(pending) == 2
    key(focus(), Qt.Key.Key_F8)
    assert window.panel.current_path() == pending[0]
    assert window.viewer.view.highlight_rects()  # the value is shown on the page
    # correct the first one by typing, accept it with Ctrl+Enter
    editor = focus()
    editor.selectAll()
    QTest.keyClicks(editor, "fall from a ladder")
    key(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.panel.current_path() == pending[1]
    # accept the second one as it is
    key(focus(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    with Store(db) as fresh:
        record = fresh.record(first)
        assert record[pending[0].split(".")[0]][pending[0].split(".")[1]] == "fall from a ladder"
        accepted = fresh.history(first, pending[1])
        assert len(accepted) == 1 and accepted[0]["old"] == accepted[0]["new"]
        assert pending_paths(record) == []
    assert "No low-confidence values left" in window.panel.banner.text()
    # nothing left: Ctrl+Enter marks the letter reviewed and opens the next one
    key(focus(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    with Store(db) as fresh:
        assert fresh.record(first)["review_status"] == "reviewed"
    assert window.doc_id == second

    # flag, then Ctrl+R on the last letter
    key(focus(), Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    with Store(db) as fresh:
        assert fresh.record(second)["review_status"] == "flagged"
    assert window.panel.flag_button.isChecked()
    key(focus(), Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    with Store(db) as fresh:
        assert fresh.record(second)["review_status"] == "reviewed"
    assert "last letter" in window.statusBar().currentMessage()


def test_shortcuts_dialog_lists_the_review_keys(open_window, tmp_path):
    add_letters(tmp_path / "imrdesk.db", PDF)
    window = open_window()
    key(window.documents.view, Qt.Key.Key_F1)
    dialog = window.shortcuts_dialog
    assert dialog.isVisible()
    keys = dict(dialog.entries)
    assert keys["Next value to check"] == "F8"
    assert keys["Next letter"] == "Alt+Down"
    assert keys["Accept value and go to the next"].startswith("Ctrl+Return")
    assert keys["Mark letter reviewed and open the next"] == "Ctrl+R"
    assert "Ctrl+Z" in keys["Undo"]
    dialog.close()


def test_about_box_shows_the_version(open_window, monkeypatch):
    seen = {}
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: seen.update(title=title, text=text))
    window = open_window()
    window.act_about.trigger()
    assert __version__ in seen["text"] and "imrdesk" in seen["title"]


# ---------------------------------------------------------------------------------------- import


def letter_copies(folder: Path, n: int) -> list[Path]:
    """n distinct real letters: the samples with a distinct trailing comment (different bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(SAMPLES.glob("*.pdf"))
    out = []
    for i in range(n):
        src = sources[i % len(sources)]
        dst = folder / f"{src.stem}-{i:03d}.pdf"
        dst.write_bytes(src.read_bytes() + f"\n% copy {i}\n".encode())
        out.append(dst)
    return out


def test_first_start_offers_the_sample_letters(open_window, tmp_path, qtbot):
    window = open_window()
    assert window.central.currentWidget() is window.empty
    assert (
        window.empty.samples_button.isEnabled() and "5 sample letters" in window.empty.samples_button.text()
    )
    qtbot.mouseClick(window.empty.samples_button, Qt.MouseButton.LeftButton)
    assert window.import_progress.isVisible()
    result = wait_import(qtbot, window)
    assert result["imported"] == 5 and not result["failed"]
    assert window.central.currentWidget() is window.splitter
    assert window.documents.model.rowCount() == 5
    assert window.doc_id is not None and window.viewer.view.page_count > 0
    assert not window.import_progress.isVisible()


def test_import_shows_progress_stays_responsive_and_can_be_cancelled(open_window, tmp_path, qtbot):
    files = letter_copies(tmp_path / "letters", 30)
    window = open_window()
    events = []
    window.importer.progress.connect(events.append)
    gaps = []
    last = [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(5)
    window.start_import([tmp_path / "letters"])
    assert window.import_progress.isVisible()
    assert window.import_progress.bar.maximum() == 30
    qtbot.waitUntil(lambda: len(events) >= 3, timeout=60000)
    assert window.import_progress.bar.value() >= 3
    assert "Importing" in window.import_progress.label.text()
    qtbot.mouseClick(window.import_progress.cancel_button, Qt.MouseButton.LeftButton)
    assert not window.import_progress.cancel_button.isEnabled()
    result = wait_import(qtbot, window)
    timer.stop()
    assert result["cancelled"] is True
    assert 3 <= result["imported"] < len(files)
    with Store(tmp_path / "imrdesk.db") as fresh:
        assert fresh.count_documents() == result["imported"]
    assert window.documents.model.rowCount() == result["imported"]
    assert "cancelled" in window.statusBar().currentMessage().lower()
    assert max(gaps[1:]) < 0.25  # the event loop kept running during the import


def test_bad_files_show_their_message_and_store_nothing_wrong(open_window, tmp_path, qtbot):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "corrupt.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(2000))
    (bad / "empty.pdf").write_bytes(b"")
    (bad / "shopping.txt").write_text("Milk\nEggs\nBread\n", encoding="utf-8")
    shutil.copy(PDF, bad / PDF.name)
    window = open_window()
    window.start_import([bad])
    result = wait_import(qtbot, window)
    assert result["imported"] == 1
    failed = {Path(str(f)).name: (code, message) for f, code, message in result["failed"]}
    assert set(failed) == {"corrupt.pdf", "empty.pdf", "shopping.txt"}
    assert failed["empty.pdf"][0] == "empty" and failed["shopping.txt"][0] == "not_imr"
    report = window.files.report_dialog
    assert report is not None and report.isVisible()
    shown = {
        report.table.item(r, 0).text(): report.table.item(r, 2).text() for r in range(report.table.rowCount())
    }
    for name, (_code, message) in failed.items():
        assert shown[name] == message and message
    # the failures are listed with their message; nothing was extracted from them
    window.documents.filter.setCurrentIndex(window.documents.filter.findData("failed"))
    rows = window.documents.model.rows
    assert {r["file_name"] for r in rows} == set(failed)
    assert all(r["error"]["message"] for r in rows)
    with Store(tmp_path / "imrdesk.db") as fresh:
        for row in rows:
            record = fresh.record(row["id"])
            assert record["case_number"] is None and record["items"] == [] and record["provenance"] == {}
    # opening a failed letter says why in place of the pages, and offers no review actions
    window.documents.select_doc(next(r["id"] for r in rows if r["file_name"] == "corrupt.pdf"))
    assert window.viewer.stack.currentWidget() is window.viewer.message
    assert failed["corrupt.pdf"][1] in window.viewer.message.text()
    assert "Import failed" in window.panel.banner.text()
    assert not window.act_reviewed.isEnabled()


def test_duplicates_are_reported(open_window, tmp_path, qtbot):
    db = tmp_path / "imrdesk.db"
    add_letters(db, PDF)
    window = open_window(db)
    window.start_import([PDF])
    result = wait_import(qtbot, window)
    assert result["duplicates"] == 1 and result["imported"] == 0
    report = window.files.report_dialog
    assert report.table.item(0, 1).text() == "Already imported"
    assert "Already in the database" in report.table.item(0, 2).text()
    assert "already in the database" in report.summary.text()


def test_drop_files_to_import(open_window, tmp_path, qtbot):
    window = open_window()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(PDF)), QUrl.fromLocalFile(str(TXT))])
    buttons, modifiers = Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    try:
        enter = QDragEnterEvent(QPointF(300, 300), Qt.DropAction.CopyAction, mime, buttons, modifiers)
    except TypeError:  # PySide6 before 6.12 takes an integer point
        enter = QDragEnterEvent(QPoint(300, 300), Qt.DropAction.CopyAction, mime, buttons, modifiers)
    window.dragEnterEvent(enter)  # Qt delivers drag events only from a real drag; call the handlers
    assert enter.isAccepted() and window.drop_overlay.isVisible()
    window.dropEvent(QDropEvent(QPointF(300, 300), Qt.DropAction.CopyAction, mime, buttons, modifiers))
    assert not window.drop_overlay.isVisible()
    result = wait_import(qtbot, window)
    assert result["imported"] == 2
    assert window.documents.model.rowCount() == 2


# ---------------------------------------------------------------------------------------- list, search, export


def test_search_and_status_filters(open_window, tmp_path):
    db = tmp_path / "imrdesk.db"
    ids = add_letters(db, PDF, PDF_TWO_CHECKS, TXT)
    with Store(db) as store:
        store.set_status(ids[1], "reviewed")
    window = open_window(db)
    docs = window.documents
    assert docs.model.rowCount() == 3
    row = docs.model.rows[0]
    assert docs.model.data(docs.model.index(0), Qt.ItemDataRole.DisplayRole) == "CM16-0230548"
    assert "1 upheld / 1 overturned" in docs.model.data(docs.model.index(0), Qt.ItemDataRole.ToolTipRole)
    assert row["low_confidence"] >= 1

    docs.filter.setCurrentIndex(docs.filter.findData("reviewed"))
    assert docs.doc_ids() == [ids[1]]
    docs.filter.setCurrentIndex(docs.filter.findData("to_review"))
    assert docs.doc_ids() == [ids[0], ids[2]]
    docs.filter.setCurrentIndex(docs.filter.findData("all"))

    docs.search.setText("CM17-0002198")
    docs._search_now()
    assert docs.doc_ids() == [ids[1]]
    assert window.doc_id == ids[1]
    assert "1 of 3" in docs.footer.text()
    docs.search.setText("lumbar")
    docs._search_now()
    assert ids[2] in docs.doc_ids()
    snippet = docs.model.data(docs.model.index(docs.doc_ids().index(ids[2])), SNIPPET_ROLE)
    assert "lumbar" in snippet.lower() and MARK_OPEN in snippet  # the matched word is marked (drawn bold)
    docs.view.viewport().repaint()
    docs.search.setFocus()
    key(docs.search, Qt.Key.Key_Escape)  # Esc clears the search
    assert docs.search.text() == "" and docs.model.rowCount() == 3
    key(docs.search, Qt.Key.Key_Escape)  # and, once empty, goes back to the list
    assert focus() is docs.view
    docs.search.setText('"unclosed')
    docs._search_now()
    assert docs.search_error.isVisible() and "quote" in docs.search_error.text()
    docs.search.clear()
    docs._search_now()
    assert docs.model.rowCount() == 3 and not docs.search_error.isVisible()


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_export_menu_writes_the_dataset(open_window, qtbot, tmp_path, monkeypatch, fmt):
    add_letters(tmp_path / "imrdesk.db", PDF)
    window = open_window()
    target = tmp_path / f"out.{fmt}"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.act_exports[fmt].trigger()  # written in the background: the window stays responsive
    assert "Exporting" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: "Exported" in window.statusBar().currentMessage(), timeout=30000)
    assert target.is_file() and target.stat().st_size > 0
    assert window.settings.value("folders/last") == str(tmp_path)


def test_window_geometry_and_splitters_persist(open_window, tmp_path):
    add_letters(tmp_path / "imrdesk.db", PDF)
    window = open_window()
    window.splitter.setSizes([330, 520, 550])
    sizes = window.splitter.sizes()
    window.settings.setValue("folders/last", str(tmp_path))
    window.act_zoom_in.trigger()
    zoom = window.viewer.view.zoom
    geometry = window.geometry()
    window.close()
    again = open_window()
    assert again.splitter.sizes() == sizes
    assert again.last_folder() == str(tmp_path)
    assert again.viewer.view.zoom == pytest.approx(zoom) and not again.viewer.view.fit_width
    assert again.geometry().size() == geometry.size()


def test_resource_path_from_source_and_frozen(monkeypatch, tmp_path):
    assert resources.resource_path("style.qss").is_file()
    assert len(resources.sample_letters()) == 5
    monkeypatch.setattr("sys._MEIPASS", str(tmp_path), raising=False)
    assert resources.resource_path("samples") == tmp_path / "resources" / "samples"
    assert resources.sample_letters() == []


def test_context_menu_offers_history_and_accept(open_window, tmp_path):
    db = tmp_path / "imrdesk.db"
    (doc,) = add_letters(db, PDF)
    window = open_window(db)
    seen = []
    window.panel.history_requested.connect(seen.append)
    menu = window.panel.field_menu("patient.sex")
    names = [a.text() for a in menu.actions()]
    assert "History…" in names and "Accept value" in names and "Show in letter" in names
    next(a for a in menu.actions() if a.text() == "History…").trigger()
    assert seen == ["patient.sex"]
    assert window.history_dialog.isVisible()
    window.history_dialog.close()

    menu = window.panel.field_menu("injury.diagnoses")  # a paragraph editor keeps its own edit actions
    names = [a.text().replace("&", "") for a in menu.actions()]
    assert any(n.startswith("Copy") for n in names) and not any(n.startswith("Undo") for n in names)
    next(a for a in menu.actions() if a.text() == "Accept value").trigger()
    with Store(db) as fresh:
        rows = fresh.history(doc, "injury.diagnoses")
        assert len(rows) == 1 and rows[0]["old"] == rows[0]["new"]
        assert fresh.document_info(doc)["confirmed"] == 1  # accepted as read: a confirmation, not a correction
    assert "Confirmed as read by a reviewer" in window.panel.field("injury.diagnoses").widget.toolTip()


def test_a_long_session_does_not_exhaust_reference_counts(qapp):
    """PySide6 6.12 on Python 3.11 drops a reference to None/True on many calls (see ui/_refcounts):
    a day of reviewing makes hundreds of thousands of such calls and must not abort the window."""
    import sys

    from PySide6.QtCore import QObject, Signal

    class Emitter(QObject):
        ping = Signal()

    emitter = Emitter()
    editor = QLineEdit()
    for _ in range(60000):
        emitter.ping.emit()
        editor.setText("x")
    assert sys.getrefcount(None) > 1000 and sys.getrefcount(True) > 1000


def test_items_table_follows_the_keyboard_and_shows_each_item_on_the_page(open_window, tmp_path):
    add_letters(tmp_path / "imrdesk.db", PDF)
    window = open_window()
    assert window.viewer.view.highlight_rects() == []  # opening a letter highlights nothing
    assert window.viewer.view.current_page == 1
    key(focus(), Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # the items tab
    table = window.panel.table
    table.setFocus()
    key(table, Qt.Key.Key_Down)
    assert window.panel.current_item == 1
    assert window.panel.detail_group.title() == "Item 2 of 2"
    ((page, rect),) = window.viewer.view.highlight_rects()
    prov = window.record["provenance"]["items[1].treatment"]
    assert page == prov["page"] and list(rect) == prov["boxes"][0]
    assert (
        window.panel.field("items[1].treatment").edit.toPlainText() == window.record["items"][1]["treatment"]
    )


def test_mark_reviewed_opens_the_next_letter_to_review(open_window, tmp_path):
    db = tmp_path / "imrdesk.db"
    first, second, third = add_letters(db, PDF, PDF_TWO_CHECKS, TXT)
    with Store(db) as store:
        store.set_status(second, "reviewed")
    window = open_window(db)
    docs = window.documents
    docs.filter.setCurrentIndex(docs.filter.findData("to_review"))
    assert docs.doc_ids() == [first, third] and window.doc_id == first
    key(focus(), Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert window.doc_id == third  # the reviewed letter in between is skipped
    assert docs.doc_ids() == [third]  # and the reviewed one leaves the "To review" list
    assert window.panel.reviewed_button.isChecked() is False
    key(focus(), Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert docs.doc_ids() == []
    assert docs.placeholder.isVisible() and "Nothing left to review" in docs.placeholder.text()
    assert window.doc_id is None and window.windowTitle() == "imrdesk"
    with Store(db) as fresh:
        assert {fresh.record(d)["review_status"] for d in (first, second, third)} == {"reviewed"}


def test_a_database_that_is_not_imrdesks_is_refused_with_a_message(tmp_path, monkeypatch):
    import sqlite3

    from imrdesk.ui.app import run_gui

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append((title, text)))
    assert run_gui(db=str(other)) == 1
    assert shown and "other.db" in shown[0][1]


@pytest.mark.skipif(
    not hasattr(os, "setpriority") or os.name != "posix", reason="per-thread niceness is Linux's"
)
def test_imports_run_below_the_window_priority():
    """The import thread (and the extraction processes it starts) yield the processor to the window."""
    import sys
    import threading

    from imrdesk.ui.importing import BACKGROUND_NICENESS, lower_thread_priority

    if not sys.platform.startswith("linux"):
        pytest.skip("per-thread niceness is Linux's")
    seen = {}

    def work():
        seen["lowered"] = lower_thread_priority()
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == {"lowered": True, "nice": max(before, BACKGROUND_NICENESS)}
    assert (
        os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
    )  # the window's thread is untouched
