"""Validation findings in the window: shown under the value they doubt, dismissed and restored (audited,
undoable), first in the keyboard review, counted and filtered in the documents list."""

from __future__ import annotations

import copy
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from imrdesk.extract import REVIEW_THRESHOLD, extract  # noqa: E402
from imrdesk.record import check_queue, pending_paths  # noqa: E402
from imrdesk.services.importing import reextract_documents  # noqa: E402
from imrdesk.store import Store  # noqa: E402
from imrdesk.ui.app import configure  # noqa: E402
from imrdesk.ui.main_window import MainWindow  # noqa: E402

SAMPLES = Path(__file__).resolve().parent.parent / "resources" / "samples"
LETTER = SAMPLES / "CM17-0002198.pdf"  # two Upheld items
# Values these tests treat as read with low confidence, whatever the extractor's current confidence: the tests
# are about what the window does with doubtful values, not about how sure the extractor is of these.
DOUBTFUL = ("injury.mechanism", "injury.diagnoses")
CLEAN = SAMPLES / "CM16-0230548.pdf"
AGE = "age_plausible:patient.age"
DECISION = "conclusion_agrees:items[1].decision"


@pytest.fixture(scope="module", autouse=True)
def _style(qapp):
    configure(qapp)


def crafted(path: Path, **changes) -> dict:
    """A letter's extraction with values changed the way a misreading parser would have read them."""
    rec = copy.deepcopy(extract(path))
    for doubtful in DOUBTFUL:
        rec["provenance"][doubtful]["confidence"] = 0.6
    if "age" in changes:
        rec["patient"]["age"] = changes["age"]
    if "decision" in changes:
        rec["items"][1]["decision"] = changes["decision"]
    if changes.get("no_items"):
        rec["items"] = []
    return rec


@pytest.fixture
def db(tmp_path) -> Path:
    """A database with the crafted letter (two findings) and a clean one; ids 1 and 2."""
    path = tmp_path / "imrdesk.db"
    with Store(path) as store:
        store.add_record(crafted(LETTER, age=7, decision="Overturned"), LETTER.read_bytes())
        store.add_record(extract(CLEAN), CLEAN.read_bytes())
    return path


@pytest.fixture
def open_window(qtbot, tmp_path):
    def factory(db: Path, *, keyboard: bool = True) -> MainWindow:
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(db, settings, import_options={"workers": 1})
        qtbot.addWidget(window)
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        if keyboard:  # key presses go to the active window
            window.activateWindow()
            qtbot.waitUntil(window.isActiveWindow, timeout=5000)
        return window

    return factory


def key(widget, k, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(widget, k, modifier)
    QApplication.processEvents()


def note_rows(window: MainWindow, path: str) -> list[tuple]:
    """What the finding row under a value shows: (key, message, open?, …) per finding, and whether the
    row is visible in its form."""
    field = window.panel.field(path)
    assert field is not None and field.form is not None
    return list(field.note.shown) if field.form.isRowVisible(field.note) else []


def test_findings_are_shown_beside_the_values_they_doubt(open_window, db):
    window = open_window(db)
    assert window.doc_id == 1
    rec = window.record
    assert {f["key"] for f in rec["findings"]} == {AGE, DECISION}

    (age_note,) = note_rows(window, "patient.age")
    assert age_note[0] == AGE and "implausible" in age_note[1] and age_note[2] is True
    age = window.panel.field("patient.age")
    assert age.state == "low" and age.label.text().startswith("⚠")
    assert "implausible" in age.widget.toolTip()
    window.panel.select_item(1)
    (decision_note,) = note_rows(window, "items[1].decision")
    assert "not medically necessary" in decision_note[1] and "Overturned" in decision_note[1]
    # another item's editor (the same widget, item 0 selected) shows no finding
    window.panel.select_item(0)
    assert note_rows(window, "items[0].decision") == []
    # a value nothing doubts has no finding row
    assert note_rows(window, "case_number") == []
    # the items table says why its cell is marked
    assert "not medically necessary" in window.panel.table.item(1, 1).toolTip()
    assert "validation rule" in window.panel.banner.text()

    # the documents list: a findings badge count, a filter of the letters with findings
    rows = {r["id"]: r for r in window.documents.model.rows}
    assert rows[1]["findings"] == 2 and rows[2]["findings"] == 0
    assert "2 rule findings" in window.documents.model.data(
        window.documents.model.index(0), Qt.ItemDataRole.ToolTipRole
    )
    assert "◆ 2 findings" in window.documents.footer.text()
    docs = window.documents
    docs.filter.setCurrentIndex(docs.filter.findData("findings"))
    assert docs.doc_ids() == [1]
    assert "(1)" in docs.filter.currentText()


def test_dismiss_is_audited_undoable_and_survives_reopening_and_reextraction(open_window, db, tmp_path):
    window = open_window(db)
    window.panel.field("patient.age").note.buttons[AGE].click()
    QApplication.processEvents()

    with Store(db) as store:
        assert [f["key"] for f in store.findings(1)] == [DECISION]
        (dismissal,) = store.dismissed_findings(1)
        assert dismissal["key"] == AGE and dismissal["active"]
        audit = store.history(1, "finding:" + AGE)
        assert [(a["old"], a["new"]) for a in audit] == [("open", "dismissed")]
        assert store.record(1)["review_status"] == "in_review"  # a dismissal starts the review
    # the value's own confidence is back; the row now offers Restore
    assert window.record["provenance"]["patient.age"]["confidence"] >= REVIEW_THRESHOLD
    (shown,) = note_rows(window, "patient.age")
    (text,) = window.panel.field("patient.age").note.texts()
    assert shown[2] is False and text.startswith("Dismissed by ") and "implausible" in text
    assert window.panel.field("patient.age").note.buttons[AGE].text() == "Restore"
    assert window.documents.model.rows[0]["findings"] == 1
    # the value's history lists the dismissal
    window.show_history("patient.age")
    table = window.history_dialog.table
    assert table.rowCount() == 1 and "dismissed" in table.item(0, 3).text()
    assert "age plausible" in table.item(0, 2).text()
    window.history_dialog.close()

    # Ctrl+Z opens it again, Ctrl+Shift+Z dismisses it again
    window.undo()
    with Store(db) as store:
        assert {f["key"] for f in store.findings(1)} == {AGE, DECISION}
    assert note_rows(window, "patient.age")[0][2] is True
    window.redo()
    with Store(db) as store:
        assert [f["key"] for f in store.findings(1)] == [DECISION]

    # a new window on the same database: still dismissed, shown muted
    window.close()
    again = open_window(db, keyboard=False)
    assert note_rows(again, "patient.age")[0][2] is False
    again.close()
    # re-extraction reads the letter again: the crafted age is gone, so the dismissal has nothing to
    # hide and the row disappears; the dismissal itself stays recorded
    reextract_documents(db, workers=1)
    with Store(db) as store:
        assert store.findings(1) == []
        assert [d["active"] for d in store.dismissed_findings(1)] == [False]


def test_restore_button_opens_a_dismissed_finding_again(open_window, db):
    with Store(db) as store:
        store.dismiss_finding(1, AGE, user="ann")
    window = open_window(db)
    note = window.panel.field("patient.age").note
    assert note.shown[0][2] is False and "ann" in str(note.shown[0])
    note.buttons[AGE].click()
    QApplication.processEvents()
    with Store(db) as store:
        assert AGE in {f["key"] for f in store.findings(1)}
        assert [a["new"] for a in store.history(1, "finding:" + AGE)] == ["dismissed", "open"]
    assert note_rows(window, "patient.age")[0][2] is True


def test_keyboard_review_visits_findings_first_and_ctrl_enter_dismisses_them(open_window, db):
    window = open_window(db)
    low = pending_paths(window.record)
    queue = check_queue(window.record)
    # findings first (in panel order), then the other low-confidence values
    assert queue == ["patient.age", "items[1].decision", "injury.mechanism", "injury.diagnoses"]
    assert set(low) == set(queue)  # every doubted value is also below the threshold
    assert low.index("injury.mechanism") < low.index("items[1].decision")  # panel order differs

    window.documents.view.setFocus()
    key(window.documents.view, Qt.Key.Key_F8)
    assert window.panel.current_path() == "patient.age"
    assert "implausible" in window.statusBar().currentMessage()
    key(QApplication.focusWidget(), Qt.Key.Key_F8)
    assert window.panel.current_path() == "items[1].decision"
    key(QApplication.focusWidget(), Qt.Key.Key_F8, Qt.KeyboardModifier.ShiftModifier)
    assert window.panel.current_path() == "patient.age"

    # Ctrl+Enter on a doubted value: the reviewer has checked it, the finding is dismissed, next check
    key(QApplication.focusWidget(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.panel.current_path() == "items[1].decision"
    with Store(db) as store:
        assert [d["key"] for d in store.dismissed_findings(1)] == [AGE]
        assert store.history(1, "patient.age") == []  # dismissed, not rewritten: its confidence is back
    # correct the decision instead: the rule is satisfied, the finding goes, no dismissal needed
    window.panel.field("items[1].decision").select("Upheld")
    QApplication.processEvents()
    with Store(db) as store:
        assert store.findings(1) == []
        assert [d["key"] for d in store.dismissed_findings(1)] == [AGE]
    assert check_queue(window.record) == ["injury.mechanism", "injury.diagnoses"]
    # one Ctrl+Z takes back the correction, the next the dismissal
    window.undo()
    window.undo()
    with Store(db) as store:
        assert {f["key"] for f in store.findings(1)} == {AGE, DECISION}


def test_a_letter_without_items_offers_its_finding_in_the_banner(open_window, tmp_path):
    db = tmp_path / "empty-items.db"
    with Store(db) as store:
        store.add_record(crafted(LETTER, no_items=True), LETTER.read_bytes())
    window = open_window(db)
    banner = window.panel.banner
    assert "No disputed item" in banner.text() and "dismiss:has_items:items" in banner.text()
    assert check_queue(window.record) == ["items", "injury.mechanism", "injury.diagnoses"]
    window.documents.view.setFocus()
    key(window.documents.view, Qt.Key.Key_F8)
    assert window.panel.current_path() == "items" and window.panel.tabs.currentIndex() == 1
    banner.linkActivated.emit("dismiss:has_items:items")
    QApplication.processEvents()
    with Store(db) as store:
        assert store.findings(1) == []
    assert "No disputed item" not in window.panel.banner.text()
