"""The review desk's list, driven as a reviewer drives it: a sortable table over SQL, filters and saved
views, work on a multi-selection, letters taken out and put back, and the window reopening where it was."""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog  # noqa: E402
from ui_helpers import show_main_window  # noqa: E402

from imrdesk.extract import extract  # noqa: E402
from imrdesk.store import Store  # noqa: E402
from imrdesk.ui.app import configure  # noqa: E402
from imrdesk.ui.doc_model import COLUMN_KEYS  # noqa: E402
from imrdesk.ui.main_window import MainWindow  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LETTERS = sorted((ROOT / "tests" / "fixtures" / "pdf").glob("*.pdf"))


@pytest.fixture(scope="session", autouse=True)
def _app_style(qapp):
    configure(qapp)


@pytest.fixture
def desk(qtbot, tmp_path):
    """``desk()`` -> a shown window on a database of the fixture letters, settings in tmp_path."""
    db = tmp_path / "imrdesk.db"
    if not db.exists():
        with Store(db) as store:
            for path in LETTERS:
                store.add_record(extract(path), path.read_bytes(), source_path=str(path))

    def factory() -> MainWindow:
        return show_main_window(qtbot, db, tmp_path / "settings.ini", import_options={"workers": 1})

    return factory


def _select_rows(window: MainWindow, rows: list[int]) -> None:
    view = window.documents.view
    model = window.documents.model
    view.selectionModel().clearSelection()
    for r in rows:
        view.selectionModel().select(
            model.index(r, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )


def test_clicking_a_column_header_sorts_the_letters(desk):
    window = desk()
    docs = window.documents
    head = docs.view.horizontalHeader()
    column = COLUMN_KEYS.index("decided")
    QTest.mouseClick(
        head.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(head.sectionViewportPosition(column) + 10, 5)
    )
    dates = [docs.model.rows[n].get("decision_date") or "" for n in range(docs.model.rowCount())]
    assert docs.sort_key == "decided" and dates in (sorted(dates), sorted(dates, reverse=True))
    first = dates
    QTest.mouseClick(
        head.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(head.sectionViewportPosition(column) + 10, 5)
    )
    dates = [docs.model.rows[n].get("decision_date") or "" for n in range(docs.model.rowCount())]
    assert dates == list(reversed(first)) or dates == sorted(dates, reverse=docs.descending)
    assert docs.model.rowCount() == len(LETTERS)


def test_marking_a_selection_reviewed_and_flagging_it_with_a_reason(desk, monkeypatch, qtbot):
    window = desk()
    docs = window.documents
    _select_rows(window, [0, 2, 3])
    chosen = docs.selected_ids()
    assert len(chosen) == 3
    docs.bulk_requested.emit("reviewed", chosen)
    with Store(window.db_path) as store:
        assert {store.review_status(i) for i in chosen} == {"reviewed"}
    assert "3 of 3 letters marked reviewed" in window.statusBar().currentMessage()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("check the dates", True))
    docs.bulk_requested.emit("flag", chosen[:2])
    with Store(window.db_path) as store:
        assert [store.review_status(i) for i in chosen] == ["flagged", "flagged", "reviewed"]
        assert store.notes(chosen[0])[-1]["text"] == "Flagged: check the dates"
    docs.filter.setCurrentIndex(docs.filter.findData("flagged"))
    assert docs.doc_ids() == chosen[:2]
    # the counts come from the window's task runner, off the GUI thread
    qtbot.waitUntil(lambda: "(2)" in docs.filter.itemText(docs.filter.findData("flagged")), timeout=10000)


def test_removed_letters_leave_the_list_and_come_back(desk):
    window = desk()
    docs = window.documents
    before = docs.doc_ids()
    _select_rows(window, [1, 2])
    gone = docs.selected_ids()
    menu = docs.bulk_menu(gone)
    remove = next(a for a in menu.actions() if a.text() == "Remove from the dataset")
    remove.trigger()
    assert docs.doc_ids() == [i for i in before if i not in gone]
    assert "removed from the dataset" in window.statusBar().currentMessage()
    docs.filter.setCurrentIndex(docs.filter.findData("removed"))
    assert docs.doc_ids() == gone
    menu = docs.bulk_menu(gone)
    assert "Remove from the dataset" not in [a.text() for a in menu.actions()]
    next(a for a in menu.actions() if a.text() == "Put back into the dataset").trigger()
    docs.filter.setCurrentIndex(docs.filter.findData("all"))
    assert docs.doc_ids() == before


def test_saved_views_and_reopening_where_the_reviewer_left(desk, monkeypatch):
    window = desk()
    docs = window.documents
    docs.filters.decision.setCurrentIndex(docs.filters.decision.findData("overturned"))
    docs.filters.date_from.setText("2017")
    docs.filters.date_from.editingFinished.emit()
    overturned = docs.doc_ids()
    assert overturned and len(overturned) < len(LETTERS)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Overturned in 2017", True))
    docs.filters.save_requested.emit()
    docs.filters.decision.setCurrentIndex(0)
    docs.filters.date_from.setText("")
    docs.filters.date_from.editingFinished.emit()
    assert len(docs.doc_ids()) == len(LETTERS)
    views = docs.filters.views
    views.activated.emit(views.findText("Overturned in 2017"))
    assert docs.doc_ids() == overturned and docs.filters.date_from.text() == "2017-01-01"
    docs.select_doc(overturned[-1])
    assert window.doc_id == overturned[-1]
    window.close()

    again = desk()
    assert again.documents.doc_ids() == overturned and again.doc_id == overturned[-1]
    saved = json.loads(str(again.settings.value("list/views")))
    assert saved["Overturned in 2017"]["decision"] == "overturned"


def test_the_list_folds_away_and_export_takes_the_selection(desk, monkeypatch, qtbot, tmp_path):
    window = desk()
    width = window.splitter.sizes()[0]
    window.act_toggle_list.trigger()
    assert window.splitter.sizes()[0] == 0
    window.act_toggle_list.trigger()
    assert window.splitter.sizes()[0] == width
    _select_rows(window, [0, 1])
    chosen = window.documents.selected_ids()
    target = tmp_path / "selection.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "JSON files (*.json)"))
    window.documents.bulk_requested.emit("export", chosen)
    qtbot.waitUntil(lambda: "Exported" in window.statusBar().currentMessage(), timeout=30000)
    assert [r["id"] for r in json.loads(target.read_text(encoding="utf-8"))] == chosen


def _with_checks(window: MainWindow) -> list[int]:
    from imrdesk.record import check_queue

    with Store(window.db_path) as store:
        return [i for i in window.documents.doc_ids() if check_queue(store.record(i))]


def test_f8_goes_on_into_the_next_letter_and_a_new_letter_never_opens_inside_an_editor(desk, qtbot):
    window = desk()
    pending = _with_checks(window)
    assert len(pending) >= 1
    clean = [i for i in window.documents.doc_ids() if i not in pending]
    if clean:  # start on a letter with nothing to check: F8 goes to the next one that has something
        window.documents.select_doc(clean[0])
        assert window.doc_id == clean[0]
        path = window.next_check(1)
        assert path is not None and window.doc_id in pending
    window.documents.select_doc(pending[0])
    path = window.next_check(1)
    qtbot.waitUntil(lambda: window.panel.isAncestorOf(QApplication.focusWidget()), timeout=3000)
    assert path is not None
    window.step_document(1)  # Alt+Down while the cursor is in a value
    assert not window.panel.isAncestorOf(QApplication.focusWidget())


def test_the_reviewer_name_is_what_the_audit_records(desk, monkeypatch):
    window = desk()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("  Dr. Ann   Lee ", True))
    window.act_reviewer.trigger()
    doc = window.doc_id
    assert window.write_value(doc, "patient.age", 52)
    with Store(window.db_path) as store:
        assert store.history(doc, "patient.age")[-1]["user"] == "Dr. Ann Lee"
    window.close()
    again = desk()
    assert again.review.service.user == "Dr. Ann Lee"


def test_a_1024_screen_keeps_room_for_the_page(desk, qtbot):
    window = desk()
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() <= 1024, timeout=3000)
    qtbot.wait(50)
    sizes = window.splitter.sizes()
    assert sizes[1] >= window.PAGE_ROOM - 2  # the page, not squeezed to 300 pixels
    assert sizes[0] >= 240 and sizes[2] >= window.panel.minimumWidth()
    window.act_toggle_list.trigger()  # and the list folds away for more
    assert window.splitter.sizes()[0] == 0 and window.splitter.sizes()[1] > sizes[1]


def test_filtering_by_treatment_category_and_finding_the_scans(qtbot, tmp_path):
    from imrdesk.extract.categories import classify_item
    from imrdesk.ui.doc_model import ROW_ROLE

    db = tmp_path / "scans.db"
    with Store(db) as store:
        records = {}
        for n, path in enumerate(LETTERS[:4]):
            rec = extract(path)
            if n == 2:  # as the OCR path leaves a scanned letter
                rec["ocr"] = {"engine": "rapidocr", "pages": [1], "dpi": 200, "mean_confidence": 0.96}
            records[store.add_record(rec, path.read_bytes())["doc_id"]] = rec
    scan = list(records)[2]
    window = show_main_window(qtbot, db, tmp_path / "settings.ini")
    docs, filters = window.documents, window.documents.filters

    filters.source.setCurrentIndex(filters.source.findData("ocr"))
    assert docs.doc_ids() == [scan]
    index = docs.model.index(0, COLUMN_KEYS.index("case"))
    assert not docs.model.data(index, Qt.ItemDataRole.DecorationRole).isNull()  # the scan mark
    assert "OCR" in docs.model.data(index, Qt.ItemDataRole.ToolTipRole)
    docs.select_doc(scan)
    assert "page 1 read by OCR" in window.panel.header.subtitle.text()
    filters.source.setCurrentIndex(filters.source.findData("text"))
    assert scan not in docs.doc_ids() and len(docs.doc_ids()) == 3
    text_index = docs.model.index(0, COLUMN_KEYS.index("case"))
    assert docs.model.data(text_index, Qt.ItemDataRole.DecorationRole) is None
    assert docs.model.data(text_index, ROW_ROLE)["ocr"] is False

    filters.source.setCurrentIndex(0)
    for n in range(1, filters.category.count()):
        category = filters.category.itemData(n)
        filters.category.setCurrentIndex(n)
        expect = [
            d for d, rec in records.items() if any(classify_item(it) == category for it in rec["items"])
        ]
        assert docs.doc_ids() == expect, category
    filters.category.setCurrentIndex(0)
    assert len(docs.doc_ids()) == 4


def test_the_reviewer_is_told_why_a_value_is_doubted(qtbot, tmp_path, corpus_dir):
    """A value the extractor doubts (no rule finding: the reading itself) says why, on F8 and in its tooltip."""
    letter = corpus_dir / "pdf" / "CM17-0002857.pdf"  # "pain and injury status post …": one diagnosis or two
    rec = extract(letter)
    assert rec["provenance"]["injury.diagnoses"]["doubts"]
    db = tmp_path / "why.db"
    with Store(db) as store:
        doc = store.add_record(rec, letter.read_bytes())["doc_id"]
    window = show_main_window(qtbot, db, tmp_path / "settings.ini")
    window.documents.select_doc(doc)
    seen = []
    for _ in range(10):  # F8 through the letter's values to check until the diagnoses
        path = window.next_check(1)
        seen.append(path)
        if path == "injury.diagnoses":
            break
    assert "injury.diagnoses" in seen, seen
    message = window.statusBar().currentMessage()
    assert "an 'and' that may join one diagnosis" in message, message
    tip = window.panel.field("injury.diagnoses").widget.toolTip()
    assert "Why: an 'and' that may join one diagnosis." in tip, tip


def test_the_theme_follows_the_choice_in_the_view_menu_and_is_kept(desk, qapp):
    from imrdesk.ui.theme import is_dark

    window = desk()
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    theme = next(a.menu() for a in menu.actions() if a.menu() and a.text() == "&Theme")
    choices = {a.data(): a for a in theme.actions()}
    assert set(choices) == {"system", "light", "dark"} and choices["system"].isChecked()
    light_base = qapp.palette().color(qapp.palette().ColorRole.Window).lightnessF()
    try:
        choices["dark"].trigger()
        assert is_dark() and choices["dark"].isChecked() and not choices["system"].isChecked()
        assert qapp.palette().color(qapp.palette().ColorRole.Window).lightnessF() < 0.3 < light_base
        assert window.settings.value("view/theme") == "dark"
        window.close()
        again = desk()  # the choice is kept
        assert is_dark()
        again_menu = next(a.menu() for a in again.menuBar().actions() if a.text() == "&View")
        again_theme = next(a.menu() for a in again_menu.actions() if a.menu() and a.text() == "&Theme")
        light = next(a for a in again_theme.actions() if a.data() == "light")
        light.trigger()
        assert not is_dark()
        assert qapp.palette().color(qapp.palette().ColorRole.Window).lightnessF() == light_base
    finally:
        from imrdesk.ui.theme import apply_theme

        apply_theme(qapp, False)


def test_a_large_list_is_asked_off_the_gui_thread_and_the_newest_answer_wins(desk, qtbot):
    window = desk()
    docs = window.documents
    every = docs.doc_ids()
    qtbot.waitUntil(lambda: docs._counts.get("total") == len(every), timeout=10000)
    docs.ASYNC_ABOVE = 0  # as a database of 100,000 letters would
    asked_on = []
    original = window.store.lists.ids
    window.store.lists.ids = lambda q: asked_on.append(q) or original(q)  # the window's own connection
    try:
        docs.filters.decision.setCurrentIndex(docs.filters.decision.findData("overturned"))
        docs.filters.decision.setCurrentIndex(docs.filters.decision.findData("upheld"))  # at once: this wins
        with Store(window.db_path) as store:
            expect = store.lists.ids(docs.query())
        assert expect != every
        qtbot.waitUntil(lambda: docs.doc_ids() == expect, timeout=10000)
        qtbot.wait(300)  # a late answer to the first filter does not overwrite it
        assert docs.doc_ids() == expect
        assert asked_on == []  # never asked on the GUI thread's connection
        docs.search.setText('"unclosed')
        docs._search_now()
        qtbot.waitUntil(docs.search_error.isVisible, timeout=10000)
    finally:
        window.store.lists.ids = original


def test_a_large_list_shows_its_first_rows_then_every_letter(desk, qtbot):
    window = desk()
    docs = window.documents
    every = docs.doc_ids()
    qtbot.waitUntil(lambda: docs._counts.get("total") == len(every), timeout=10000)
    docs.ASYNC_ABOVE, docs.FIRST_ROWS = 0, 3  # as a database of a million letters would
    docs.select_row(5)
    chosen = docs.current_doc_id()
    first_rows = []
    show_first = docs._show_first_rows
    docs._show_first_rows = lambda q, ids: first_rows.append(list(ids)) or show_first(q, ids)
    docs.sort_key, docs.descending = "case", True
    docs.refresh()
    with Store(window.db_path) as store:
        expect = store.lists.ids(docs.query())
    assert expect != every
    qtbot.waitUntil(lambda: docs.doc_ids() == expect, timeout=10000)
    assert first_rows == [expect[:3]]
    assert docs.current_doc_id() == chosen  # the letter open stays selected
    assert "letters" in docs.footer.text() and "listing" not in docs.footer.text()
    docs.refresh()  # the same query again (after a change): the whole list stays until the new one is in
    qtbot.waitUntil(lambda: len(first_rows) == 2, timeout=10000)
    qtbot.wait(200)
    assert docs.doc_ids() == expect and docs.current_doc_id() == chosen


def test_a_large_lists_search_snippets_are_read_off_the_gui_thread(desk, qtbot):
    from imrdesk.ui.doclist import SNIPPET_ROLE

    window = desk()
    docs = window.documents
    qtbot.waitUntil(lambda: docs._counts.get("total") == len(docs.doc_ids()), timeout=10000)
    docs.ASYNC_ABOVE = 0  # as a database of 100,000 letters would
    asked_on = []
    original = window.store.lists.snippets
    window.store.lists.snippets = lambda *a: asked_on.append(a) or original(*a)  # the window's own connection
    try:
        docs.search.setText("lumbar")
        docs._search_now()
        with Store(window.db_path) as store:
            expect = store.lists.ids(docs.query())
        assert expect
        qtbot.waitUntil(lambda: docs.doc_ids() == expect, timeout=10000)
        model = docs.model

        def snippet(row: int) -> str:
            return model.data(model.index(row, 0), SNIPPET_ROLE)

        qtbot.waitUntil(lambda: bool(snippet(0)), timeout=10000)
        assert "lumbar" in snippet(0).lower()
        assert asked_on == []  # never read on the GUI thread's connection
    finally:
        window.store.lists.snippets = original


def test_the_import_bar_says_which_page_of_a_scan_is_being_read(qtbot):
    from imrdesk.ui.importing import ImportProgress

    bar = ImportProgress()
    qtbot.addWidget(bar)
    bar.begin(3)
    bar.update_event({"done": 1, "total": 3, "file": "a.pdf", "status": "imported"})
    reading = {
        "done": 1,
        "total": 3,
        "file": "fax <b>scan.pdf",
        "status": "reading",
        "page": 2,
        "pages": 5,
    }
    bar.update_event(reading)
    assert bar.label.text() == "Reading fax <b>scan.pdf by OCR: page 2 of 5"
    assert bar.label.textFormat() == Qt.TextFormat.PlainText  # a file name is never markup
    assert bar.bar.value() == 1  # the letter is not done until it is stored
