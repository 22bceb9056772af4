"""The window survives what a letter or a bug can do: pages drawn in a render process (a bomb, a pdfium
crash or a hang costs the page, shown as a message, not the window or its undo history); an error nobody
caught is logged and shown with copyable details; a native crash is reported at the next start; a letter
that could not be read cannot be marked reviewed or flagged from anywhere; paths an import leaves out are
in its report.

Real windows offscreen, a real render process (misbehaving through the documented
IMRDESK_TEST_RENDER_FAULT hook), real files.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from hostile import MiB, bomb_pdf, pdf_with_streams, text_page  # noqa: E402
from pdfgen import FIXTURES  # noqa: E402
from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtWidgets import QApplication, QPushButton  # noqa: E402

from imrdesk.extract import extract  # noqa: E402
from imrdesk.services.review import ReviewService  # noqa: E402
from imrdesk.store import Store  # noqa: E402
from imrdesk.ui import viewer as viewer_module  # noqa: E402
from imrdesk.ui.app import configure  # noqa: E402
from imrdesk.ui.main_window import MainWindow  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LETTER = FIXTURES / "pdf" / "CM16-0230548.pdf"


@pytest.fixture(scope="module", autouse=True)
def _app_style(qapp):
    configure(qapp)


@pytest.fixture
def fresh_renderer():
    """A render process started for this test (it reads its fault hook when it starts), stopped after."""
    viewer_module._stop_renderer()
    yield
    viewer_module._stop_renderer()


def open_window(qtbot, tmp_path: Path, db: Path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(db, settings, import_options={"workers": 1})
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    return window


def store_letter(db: Path, data: bytes, name: str) -> int:
    with Store(db) as store:
        return store.add_record(extract(data, name=name), data, source_path=name)["doc_id"]


class Ticks:
    """A timer on the GUI thread: how often the event loop turned while we waited."""

    def __init__(self) -> None:
        self.count = 0
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        self.count += 1


# ------------------------------------------------------------------------ the render process


def test_a_bomb_page_costs_the_page_not_the_window(qtbot, tmp_path, fresh_renderer):
    """The page that froze the window 42 s and grew it to 3.2 GB: drawn in the render process, it hits
    that process's memory limit; the page says so, the window kept turning, the other page is drawn."""
    db = tmp_path / "bomb.db"
    doc = store_letter(db, bomb_pdf(2048 * MiB), "bomb.pdf")
    window = open_window(qtbot, tmp_path, db)
    window.open_document(doc)
    view = window.viewer.view
    assert view.page_count == 2
    ticks = Ticks()
    view.go_to_page(2)
    view.pixmap_for(1, view.render_scale())
    qtbot.waitUntil(lambda: view.page_failure(1) is not None, timeout=60000)
    assert "could not be drawn" in view.page_failure(1)
    assert ticks.count > 5  # the event loop went on while pdfium was at it
    view.go_to_page(1)
    view.pixmap_for(0, view.render_scale())
    view.flush_renders()
    assert view.cached_pixmap(0) is not None and view.page_failure(0) is None
    assert window.isVisible()


@pytest.mark.skipif(os.name != "posix", reason="a segmentation fault on purpose")
def test_a_pdfium_crash_costs_the_page_and_keeps_the_undo_history(
    qtbot, tmp_path, fresh_renderer, monkeypatch
):
    monkeypatch.setenv("IMRDESK_TEST_RENDER_FAULT", "crash:2")
    lines = ["IMR ISSUES, DECISIONS AND RATIONALES"]
    data = pdf_with_streams([text_page(lines), text_page(["page two"]), text_page(["page three"])])
    db = tmp_path / "crash.db"
    store_letter(db, LETTER.read_bytes(), LETTER.name)
    crashing = store_letter(db, data, "three-pages.pdf")
    window = open_window(qtbot, tmp_path, db)
    first = window.doc_id
    window.review.service.correct(first, "injury.mechanism", "lifting boxes")
    history = window.review.service.history(first)
    history.push(window.review.service.correct(first, "injury.mechanism", "lifting crates"))
    window.open_document(crashing)
    view = window.viewer.view
    for page in range(3):
        view.go_to_page(page + 1)
        view.pixmap_for(page, 1.0)
        view.flush_renders()
    assert "stopped" in view.page_failure(1) and "SIGSEGV" in view.page_failure(1)
    assert view.cached_pixmap(0) is not None and view.cached_pixmap(2) is not None  # a new process drew it
    window.open_document(first)
    assert window.review.service.history(first).can_undo()  # the window and its history are still here


def test_a_hanging_page_is_given_up_after_its_time_limit(qtbot, tmp_path, fresh_renderer, monkeypatch):
    monkeypatch.setenv("IMRDESK_TEST_RENDER_FAULT", "hang:1")
    renderer, _ = viewer_module.shared_renderer()
    renderer.page_timeout = 2.0
    db = tmp_path / "hang.db"
    doc = store_letter(db, LETTER.read_bytes(), LETTER.name)
    window = open_window(qtbot, tmp_path, db)
    ticks = Ticks()  # counted over the whole hang (on a loaded machine the failure may come before a later start)
    window.open_document(doc)
    view = window.viewer.view
    qtbot.waitUntil(lambda: view.page_failure(0) is not None, timeout=30000)
    assert "took more than 2 s" in view.page_failure(0)
    assert ticks.count > 5
    view.pixmap_for(1, 1.0)
    view.flush_renders()
    assert view.cached_pixmap(1) is not None  # a new render process drew the next page


def test_a_page_lost_once_to_a_busy_machine_is_drawn_on_a_second_try(qtbot, tmp_path, fresh_renderer):
    """A render that runs out of time may be the machine (an import beside it, a laptop waking), not the
    page: the page is asked once more, in a new process, and drawn; it is not left as a failure."""
    db = tmp_path / "busy.db"
    store_letter(db, LETTER.read_bytes(), LETTER.name)
    second = store_letter(db, (FIXTURES / "pdf" / "CM16-0234202.pdf").read_bytes(), "CM16-0234202.pdf")
    window = open_window(qtbot, tmp_path, db)
    view = window.viewer.view
    view.flush_renders()  # the letter the window opened on, drawn
    renderer, _ = viewer_module.shared_renderer()
    renderer.page_timeout = 0.001  # the next page runs out of time for real: its process is killed
    deliver = renderer.on_done

    def time_enough_after_the_first(ticket):  # on the renderer's thread, before the window hears of it
        renderer.page_timeout = 15.0
        deliver(ticket)

    renderer.on_done = time_enough_after_the_first
    window.open_document(second)
    qtbot.waitUntil(
        lambda: view.cached_pixmap(0) is not None or view.page_failure(0) is not None, timeout=30000
    )
    assert renderer.restarts >= 1  # the first try was lost
    assert view.page_failure(0) is None and view.cached_pixmap(0) is not None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kills the render process, watches /proc")
def test_a_render_process_that_died_while_idle_does_not_cost_the_next_letter(qtbot, tmp_path, fresh_renderer):
    """The render process killed between two letters (the system short of memory kills the largest idle
    process): the next letter opens in a new one instead of saying it cannot be displayed."""
    import signal
    import time

    db = tmp_path / "died.db"
    first = store_letter(db, LETTER.read_bytes(), LETTER.name)
    second = store_letter(db, (FIXTURES / "pdf" / "CM16-0234202.pdf").read_bytes(), "CM16-0234202.pdf")
    window = open_window(qtbot, tmp_path, db)
    window.open_document(first)
    renderer, _ = viewer_module.shared_renderer()
    pid = renderer.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # dead (a zombie until the renderer reaps it)
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] in ("Z", "X"):
                break
        except OSError:
            break
        time.sleep(0.01)
    window.open_document(second)
    assert window.viewer.stack.currentWidget() is window.viewer.view, window.viewer.message.text()
    view = window.viewer.view
    view.flush_renders()
    assert view.cached_pixmap(0) is not None and view.page_failure(0) is None
    assert renderer.pid not in (None, pid)


def test_an_unreadable_pdf_is_a_message_in_place_of_the_pages(qtbot, tmp_path):
    db = tmp_path / "bad.db"
    data = b"%PDF-1.4\n" + os.urandom(3000)
    doc = store_letter(db, data, "garbage.pdf")
    window = open_window(qtbot, tmp_path, db)
    window.open_document(doc)
    assert window.viewer.stack.currentWidget() is window.viewer.message
    assert "cannot be displayed" in window.viewer.message.text()


# ------------------------------------------------------------------------ errors nobody caught


@pytest.mark.qt_no_exception_capture
def test_an_uncaught_error_is_logged_and_shown_with_copyable_details(qtbot, tmp_path, monkeypatch):
    from imrdesk.services.logs import start_logging
    from imrdesk.ui.crash import install_crash_handling

    monkeypatch.setenv("IMRDESK_LOG_DIR", str(tmp_path / "logs"))
    log = start_logging("test")
    handler = install_crash_handling(QApplication.instance(), log)
    try:
        button = QPushButton("boom")
        qtbot.addWidget(button)

        def broken_handler() -> None:
            raise RuntimeError("a bug in a handler <b>with markup</b>")

        button.clicked.connect(broken_handler)
        button.click()
        qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(), timeout=5000)
        dialog = handler.dialog
        assert "RuntimeError" in dialog.details and "broken_handler" in dialog.details
        assert str(log) in dialog.log_label.text()
        dialog.copy_button.click()
        copied = QGuiApplication.clipboard().text()
        assert "broken_handler" in copied and str(log) in copied
        text = log.read_text(encoding="utf-8")
        assert "Unhandled exception in the window" in text and "a bug in a handler" in text
        assert "Traceback" in text and "broken_handler" in text
        dialog.close()
    finally:
        handler.uninstall()


@pytest.mark.skipif(os.name != "posix", reason="a segmentation fault on purpose")
def test_a_native_crash_is_in_the_log_at_the_next_start(tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    script = textwrap.dedent(
        """
        import ctypes
        from imrdesk.services.logs import start_logging
        start_logging("crash test")
        ctypes.string_at(0)
        """
    )
    env = {**os.environ, "IMRDESK_LOG_DIR": str(logs)}
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert run.returncode != 0
    assert "Segmentation fault" in (logs / "native-crash.log").read_text()

    from imrdesk.services.logs import start_logging

    monkeypatch.setenv("IMRDESK_LOG_DIR", str(logs))
    log = start_logging("next start")
    text = log.read_text(encoding="utf-8")
    assert "previous session ended in a native crash" in text and "Segmentation fault" in text
    assert (logs / "native-crash.log").read_text() == ""


# ------------------------------------------------------------------------ failed letters, skipped paths


def test_a_letter_that_could_not_be_read_cannot_be_marked_from_anywhere(qtbot, tmp_path):
    db = tmp_path / "failed.db"
    doc = store_letter(db, b"%PDF-1.4 not really", "broken.pdf")
    window = open_window(qtbot, tmp_path, db)
    window.open_document(doc)
    header = window.panel.header
    assert not header.reviewed_button.isEnabled() and not header.flag_button.isEnabled()
    assert not window.act_reviewed.isEnabled() and not window.act_flag.isEnabled()
    header.reviewed_button.click()  # a disabled button does nothing
    with Store(db) as store:
        with pytest.raises(ValueError, match="could not be read"):
            ReviewService(store).set_status(doc, "reviewed")
        with pytest.raises(ValueError, match="could not be read"):
            ReviewService(store).set_status(doc, "flagged")
        assert store.document_info(doc)["status"] == "failed"
    # a readable letter has them back
    good = store_letter(db, LETTER.read_bytes(), LETTER.name)
    window.refresh_documents()
    window.open_document(good)
    assert header.reviewed_button.isEnabled() and header.flag_button.isEnabled()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_the_import_report_names_the_paths_left_out(qtbot, tmp_path):
    folder = tmp_path / "letters"
    folder.mkdir()
    (folder / "letter.pdf").write_bytes(LETTER.read_bytes())
    os.mkfifo(folder / "pipe.pdf")
    (folder / "gone.pdf").symlink_to(tmp_path / "nowhere.pdf")
    window = open_window(qtbot, tmp_path, tmp_path / "report.db")
    assert window.files.start_import([folder])
    qtbot.waitUntil(lambda: not window.importer.is_running(), timeout=90000)
    qtbot.waitUntil(lambda: window.files.report_dialog is not None, timeout=5000)
    table = window.files.report_dialog.table
    rows = {table.item(r, 0).text(): table.item(r, 2).text() for r in range(table.rowCount())}
    assert "named pipe" in rows["pipe.pdf"] and "link to" in rows["gone.pdf"]
    assert window.last_import["imported"] == 1
