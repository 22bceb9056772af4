"""The database file from the window: a backup while it is open, another database opened, and a damaged
file found in the background, then never written."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QMessageBox  # noqa: E402
from ui_helpers import show_main_window  # noqa: E402

from imrdesk.extract import extract  # noqa: E402
from imrdesk.store import Store  # noqa: E402
from imrdesk.ui.app import configure  # noqa: E402
from imrdesk.ui.main_window import MainWindow  # noqa: E402

LETTERS = sorted((Path(__file__).parent / "fixtures" / "pdf").glob("*.pdf"))


@pytest.fixture(scope="module", autouse=True)
def _style(qapp):
    configure(qapp)


def _db(path: Path, n: int = 3) -> Path:
    with Store(path) as store:
        for letter in LETTERS[:n]:
            store.add_record(extract(letter), letter.read_bytes())
    return path


@pytest.fixture
def window_on(qtbot, tmp_path):
    def factory(db: Path) -> MainWindow:
        return show_main_window(qtbot, db, tmp_path / "s.ini", active=False)

    return factory


def test_a_backup_from_the_window_holds_the_corrections_made(window_on, qtbot, tmp_path, monkeypatch):
    window = window_on(_db(tmp_path / "imrdesk.db"))
    doc = window.doc_id
    assert window.write_value(doc, "patient.age", 33)
    target = tmp_path / "saved" / "copy.db"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.act_backup.trigger()
    qtbot.waitUntil(lambda: "Backed up" in window.statusBar().currentMessage(), timeout=30000)
    with Store(target) as copy:
        assert copy.verify() == [] and copy.record(doc)["patient"]["age"] == 33


def test_another_database_opens_in_its_own_window(window_on, qtbot, tmp_path, monkeypatch):
    window = window_on(_db(tmp_path / "one.db", 1))
    other = _db(tmp_path / "two.db", 3)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(other), ""))
    opened = window.database.open_database()
    qtbot.addWidget(opened)
    assert opened.db_path == other and len(opened.documents.doc_ids()) == 3
    assert not window.isVisible()
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE songs (title TEXT)")
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[2]))
    assert opened.database.open_database(foreign) is None
    assert "other program" in warned[0] and opened.isVisible()


def _damaged_db(path: Path) -> Path:
    """A database whose extracted values' root page is overwritten (the list of tables stays readable)."""
    db = _db(path, 4)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'provenance'").fetchone()[0]
    data = bytearray(db.read_bytes())
    data[(root - 1) * size : root * size] = b"\xa5" * size
    db.write_bytes(bytes(data))
    return db


def test_a_damaged_database_is_found_and_never_written(window_on, qtbot, tmp_path):
    db = _damaged_db(tmp_path / "imrdesk.db")
    before = db.read_bytes()
    window = window_on(db)
    qtbot.waitUntil(lambda: window.database.problems is not None, timeout=30000)
    assert window.database.problems and window.store.damaged
    offer = window.database.offer
    assert offer.windowTitle() == "The database is damaged" and offer.isVisible()
    assert (
        "not changed" in offer.text() and window.database.recover_button.text() == "Recover into a new file…"
    )
    offer.reject()  # Close: the reviewer reads on
    if window.doc_id is not None:
        window.write_value(window.doc_id, "case_number", "CM99-0000001")
        assert "damaged" in window.statusBar().currentMessage()
    window.close()
    assert db.read_bytes() == before


def test_a_large_files_first_edit_does_not_wait_for_its_check(window_on, qtbot, tmp_path, monkeypatch):
    from imrdesk.ui import database_actions

    monkeypatch.setattr(database_actions, "LARGE_FILE", 0)  # as a file of a million letters would be
    checked_here = []
    original = Store.verify

    def verify(self, problems=None):
        checked_here.append((self, problems))
        if problems is None and threading.current_thread() is not threading.main_thread():
            time.sleep(1.5)  # the background check of a large file takes its time
        return original(self, problems)

    db = _db(tmp_path / "imrdesk.db")
    monkeypatch.setattr(Store, "verify", verify)
    window = window_on(db)
    assert window.database.problems is None  # the edit comes before the background check's answer
    assert window.write_value(window.doc_id, "patient.age", 34)
    # the window's own connection never ran the check itself (it took the runner's answer)
    assert not [p for store, p in checked_here if store is window.store and p is None]
    qtbot.waitUntil(lambda: window.database.problems == [], timeout=30000)
    assert window.write_value(window.doc_id, "patient.age", 35)
    with Store(window.db_path) as store:
        assert store.record(window.doc_id)["patient"]["age"] == 35


def test_a_large_damaged_file_is_still_never_written_once_found(window_on, qtbot, tmp_path, monkeypatch):
    from imrdesk.ui import database_actions

    monkeypatch.setattr(database_actions, "LARGE_FILE", 0)
    db = _damaged_db(tmp_path / "imrdesk.db")
    window = window_on(db)
    qtbot.waitUntil(lambda: window.database.problems is not None, timeout=30000)
    window.database.offer.reject()
    before = db.read_bytes()
    if window.doc_id is not None:
        window.write_value(window.doc_id, "case_number", "CM99-0000001")
    window.close()
    assert window.store.damaged and db.read_bytes() == before


def test_a_damaged_database_is_recovered_from_its_message_and_opens(window_on, qtbot, tmp_path, monkeypatch):
    db = _damaged_db(tmp_path / "imrdesk.db")
    before = db.read_bytes()
    window = window_on(db)
    qtbot.waitUntil(lambda: window.database.offer is not None, timeout=30000)
    target = tmp_path / "saved" / "recovered.db"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    reported = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: reported.append((a[1], a[2])))
    qtbot.mouseClick(window.database.recover_button, Qt.MouseButton.LeftButton)  # the real button
    qtbot.waitUntil(lambda: window.database.recovered is not None, timeout=30000)
    recovered = window.database.recovered
    qtbot.addWidget(recovered)
    assert recovered.db_path == target and not window.isVisible()
    assert len(recovered.documents.doc_ids()) == 4  # every letter: only their provenance was on the bad page
    title, text = reported[0]
    assert title == "Database recovered" and "provenance: 0 rows recovered" in text and "4 letters" in text
    qtbot.waitUntil(lambda: recovered.database.problems is not None, timeout=30000)
    assert recovered.database.problems == [] and recovered.database.offer is None  # sound: no offer
    assert db.read_bytes() == before
