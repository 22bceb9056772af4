"""The insights window: figures equal to counts taken straight from the database, filters, exports, the
empty and error states, opening from the main window; screenshots over the shared corpus."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtGui import QColor, QImage  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from imrdesk.extract import extract  # noqa: E402
from imrdesk.services import charts  # noqa: E402
from imrdesk.services import insights as insights_service  # noqa: E402
from imrdesk.services.charts import CHARTS, chart_table  # noqa: E402
from imrdesk.store import Store  # noqa: E402
from imrdesk.ui.app import configure  # noqa: E402
from imrdesk.ui.insights_view import InsightsWindow  # noqa: E402
from imrdesk.ui.main_window import MainWindow  # noqa: E402

SAMPLES = Path(__file__).resolve().parent.parent / "resources" / "samples"


@pytest.fixture(scope="module", autouse=True)
def _style(qapp):
    configure(qapp)


@pytest.fixture
def samples_db(tmp_path) -> Path:
    """The bundled sample letters; one reviewed, one with a corrected decision."""
    db = tmp_path / "samples.db"
    with Store(db) as store:
        ids = [store.add_record(extract(p), p.read_bytes())["doc_id"] for p in sorted(SAMPLES.iterdir())]
        store.set_status(ids[1], "reviewed")
        first_item = store.record(ids[2])["items"][0]
        flipped = "Overturned" if first_item["decision"] == "Upheld" else "Upheld"
        store.set_value(ids[2], "items[0].decision", flipped)
    return db


@pytest.fixture
def insights(qtbot):
    def factory(db: Path, **filters) -> InsightsWindow:
        win = InsightsWindow(db)
        qtbot.addWidget(win)
        win.resize(1400, 900)
        win.show()
        qtbot.waitExposed(win)
        with qtbot.waitSignal(win.ready, timeout=30000):
            win.set_filters(**filters) if filters else win.refresh()
        return win

    return factory


def direct_counts(db: Path, statuses=None, date_from=None, date_to=None) -> tuple[int, int, int, int]:
    """(letters, items, upheld, overturned) straight from SQLite, corrections applied by hand."""
    conn = sqlite3.connect(db)
    try:
        where, params = ["error_code IS NULL"], []
        if statuses:
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            params += list(statuses)
        if date_from:
            where.append("decision_date >= ?")
            params.append(date_from)
        if date_to:
            where.append("decision_date <= ?")
            params.append(date_to)
        ids = [r[0] for r in conn.execute(f"SELECT id FROM documents WHERE {' AND '.join(where)}", params)]
        decisions = []
        for doc_id in ids:
            for idx, decision in conn.execute("SELECT idx, decision FROM items WHERE doc_id = ?", (doc_id,)):
                fix = conn.execute(
                    "SELECT value FROM corrections WHERE doc_id = ? AND path = ?",
                    (doc_id, f"items[{idx}].decision"),
                ).fetchone()
                decisions.append(json.loads(fix[0]) if fix else decision)
        return len(ids), len(decisions), decisions.count("Upheld"), decisions.count("Overturned")
    finally:
        conn.close()


def shown_overall(win: InsightsWindow) -> tuple[int, int, int, int]:
    o = win.insights.overall
    return o["letters"], o["items"], o["upheld"], o["overturned"]


def test_figures_equal_the_database_and_follow_the_filters(insights, samples_db):
    win = insights(samples_db)
    assert win.error == ""
    assert shown_overall(win) == direct_counts(samples_db)
    letters, items, _up, over = direct_counts(samples_db)
    assert win.summary.text().startswith(f"{letters} letters · {items} disputed items")
    assert f"{round(100 * over / items)} % overturned" in win.summary.text()
    assert win.stack.currentWidget() is win.pane and win.pane.canvas is not None

    # every chart draws, and its table is the one shown under it
    for name in CHARTS:
        win.show_chart(name)
        table = chart_table(win.insights, name)
        assert win.pane.table.rowCount() == len(table.rows)
        assert win.pane.table.item(0, 0).text() == str(table.rows[0][0])

    # the status filter
    win2 = insights(samples_db, status="reviewed")
    assert shown_overall(win2) == direct_counts(samples_db, statuses=("reviewed",))
    assert shown_overall(win2)[0] == 1
    # a date range (a month widened to its days)
    win3 = insights(samples_db, date_from="2017-01", date_to="2017-01")
    assert shown_overall(win3) == direct_counts(samples_db, date_from="2017-01-01", date_to="2017-01-31")
    assert 0 < shown_overall(win3)[0] < shown_overall(win)[0]


def test_typed_filters_bad_dates_and_no_match(insights, samples_db, qtbot):
    win = insights(samples_db)
    total = shown_overall(win)
    # the reviewer types a date: counted again after a pause, no button needed
    with qtbot.waitSignal(win.ready, timeout=30000):
        win.date_from.setText("2017-01-05")
    assert shown_overall(win) == direct_counts(samples_db, date_from="2017-01-05")
    assert shown_overall(win) != total
    # the status menu
    with qtbot.waitSignal(win.ready, timeout=30000):
        win.status.setCurrentIndex(win.status.findText("Still to review"))
    assert shown_overall(win) == direct_counts(samples_db, ("new", "in_review"), date_from="2017-01-05")
    # a date that is not one: a message in the window, nothing raised, exports off
    with qtbot.waitSignal(win.ready, timeout=30000):
        win.set_filters(date_from="2017-02-30")
    assert win.insights is None and "not a date" in win.error
    assert win.stack.currentWidget() is win.message and "not a date" in win.message.text()
    assert not win.export_png_button.isEnabled()
    with qtbot.waitSignal(win.ready, timeout=30000):
        win.set_filters(date_from="2018", date_to="2017")
    assert "empty" in win.message.text()
    # a range with no letter: the empty state, not a blank chart
    with qtbot.waitSignal(win.ready, timeout=30000):
        win.set_filters(date_from="2030")
    assert win.insights.overall["letters"] == 0
    assert win.stack.currentWidget() is win.message and "No letter matches" in win.message.text()


def test_an_empty_database_shows_the_empty_state(insights, tmp_path):
    win = insights(tmp_path / "empty.db")
    assert win.error == "" and win.stack.currentWidget() is win.message
    assert "No letter matches" in win.message.text()


def test_exports_write_the_chart_and_its_table(insights, samples_db, tmp_path, monkeypatch):
    win = insights(samples_db)
    win.show_chart("by_category")
    png = win.export_chart(tmp_path / "out" / "category.png", "png")
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 600
    path = win.export_chart(tmp_path / "category.csv", "csv")
    with open(path, newline="", encoding="utf-8-sig") as fh:  # a BOM, for Excel
        rows = list(csv.reader(fh))
    table = chart_table(win.insights, "by_category")
    assert rows[0] == list(table.columns)
    assert [r[0] for r in rows[1:]] == [str(r[0]) for r in table.rows]
    assert [int(r[table.columns.index("items")]) for r in rows[1:]] == table.column("items")

    written = win.export_all(tmp_path / "all")
    assert sorted(p.name for p in written) == sorted(f"{n}.{x}" for n in CHARTS for x in ("png", "csv"))

    # through the dialog, into a folder that cannot be written: a message, no traceback
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder")
    warnings = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(blocked / "x.png"), ""))
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, title, text: warnings.append((title, text)))
    win.export_dialog("png")
    assert warnings and warnings[0][0] == "Export failed"


def test_a_stale_result_is_dropped_and_closing_while_counting_is_clean(insights, samples_db, qtbot):
    win = insights(samples_db)
    reviewed = direct_counts(samples_db, statuses=("reviewed",))
    # two refreshes in a row: only the last one's figures are shown
    win.set_filters(status="flagged")
    with qtbot.waitSignal(win.ready, timeout=30000):
        win.set_filters(status="reviewed")
    qtbot.wait(200)  # the first result, if it comes later, must not replace the second
    assert shown_overall(win) == reviewed
    # close while a count is running: the thread finishes on its own, nothing fires on a closed window
    fired = []
    win.ready.connect(lambda: fired.append(1))
    win.refresh()
    win.close()
    for thread in win.tasks.threads:
        thread.join(10)
    QApplication.processEvents()
    assert fired == [] and not any(t.is_alive() for t in win.tasks.threads)


def test_quick_changes_stop_the_running_count_instead_of_queueing_more(
    insights, samples_db, qtbot, monkeypatch
):
    """Each superseded count stops at its next query; only the running one and the newest run at all."""
    from imrdesk.store.dataset import Dataset

    win = insights(samples_db)
    started, queries = [], []
    tallies = Dataset.tallies

    def slow_tallies(self, **kwargs):  # a large database: every query takes a while
        started.append(threading.current_thread().name)
        for name, rows in tallies(self, **kwargs):
            time.sleep(0.2)
            queries.append(name)
            yield name, rows

    monkeypatch.setattr(Dataset, "tallies", slow_tallies)
    for status in ("new", "flagged", "in_review", "failed"):
        win.set_filters(status=status)
    with qtbot.waitSignal(win.ready, timeout=30000):
        win.set_filters(status="reviewed")
    assert len(started) == 2  # the first request (stopped) and the last; the three between never ran
    assert shown_overall(win) == direct_counts(samples_db, statuses=("reviewed",))
    per_count = queries.count("letters") and len(queries) - queries.index("letters", 1)
    assert (
        queries.count("letters") == 2 and len(queries) - per_count <= 2
    )  # the stopped count: one more at most

    # closing stops a running count too: it ends at its next query, not after all of them
    win.set_filters()
    qtbot.waitUntil(lambda: len(started) == 3, timeout=5000)
    win.close()
    for thread in win.tasks.threads:
        thread.join(2)
    assert not any(t.is_alive() for t in win.tasks.threads)
    assert queries.count("letters") <= 3 and len(queries) <= 2 * per_count + 2


def test_the_main_window_opens_insights(qtbot, samples_db, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    main = MainWindow(samples_db, settings, import_options={"workers": 1})
    qtbot.addWidget(main)
    main.show()
    assert main.act_insights.shortcut().toString() == "Ctrl+I"
    main.act_insights.trigger()
    win = main.insights_window
    qtbot.waitUntil(lambda: win.insights is not None, timeout=30000)
    assert win.isVisible() and shown_overall(win) == direct_counts(samples_db)
    # a correction in the main window counts the next time insights are shown
    doc = main.doc_id
    item = main.record["items"][0]["decision"]
    main.write_value(doc, "items[0].decision", "Overturned" if item == "Upheld" else "Upheld")
    with qtbot.waitSignal(win.ready, timeout=30000):
        main.act_insights.trigger()
    assert shown_overall(win) == direct_counts(samples_db)
    win.close()


@pytest.mark.parametrize("chart", ["by_category", "by_month", "by_guideline"])
def test_screenshot_over_the_shared_corpus(insights, imported_corpus, chart, tmp_path):
    """Screenshots for the documentation (IMRDESK_SCREENSHOTS=docs/screenshots writes them there)."""
    win = insights(imported_corpus.path)
    assert shown_overall(win) == direct_counts(imported_corpus.path)
    win.show_chart(chart)
    QApplication.processEvents()
    image = win.grab().toImage()
    assert (image.width(), image.height()) == (1400, 900)
    colours = {image.pixel(x, y) for x in range(0, 1400, 23) for y in range(0, 900, 19)}
    assert len(colours) > 12
    folder = Path(os.environ.get("IMRDESK_SCREENSHOTS") or tmp_path)
    assert image.save(str(folder / f"insights-{chart.replace('_', '-')}.png"))


def test_the_first_chart_fills_its_room_and_esc_closes(insights, samples_db, qtbot):
    """The first chart is drawn before the pane is laid out: it is fitted again to the room it then has,
    not left at its smallest size with its labels on top of each other."""
    win = insights(samples_db)
    qtbot.waitUntil(lambda: win.pane.canvas is not None and win.pane.canvas.width() > 600, timeout=5000)
    room = win.pane.scroll.viewport().width()
    assert win.pane.canvas.width() >= min(room - 2, 900) - 2
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    QTest.keyClick(win, Qt.Key.Key_Escape)
    assert not win.isVisible()
    win.show()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    QTest.keyClick(win, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert not win.isVisible()


def test_a_far_off_decision_date_adds_no_run_of_empty_months(samples_db):
    with Store(samples_db) as store:
        doc = store.document_ids()[0]
        store.set_value(doc, "decision_date", "2021-06-03")  # a typo or a late re-issue, years later
        ins = insights_service.compute(store)
    months = ins["by_month"].column("month")
    assert months[-1] == "2021-06" and len(months) <= 12  # not the 50-odd months in between
    assert "months without any letter are left out" in ins["by_month"].note
    fig = charts.figure(ins, "by_month")
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[-1].endswith("2021")  # the year is said where months were left out across years


def test_in_the_dark_theme_the_chart_is_dark_on_screen_and_on_paper_in_its_files(
    insights, samples_db, tmp_path
):
    """A white chart in a dark window glares: on screen the chart takes the dark theme's ground, its text
    light, the decisions' colours as they are; the PNG it exports stays a chart on paper."""
    from matplotlib.colors import to_rgb
    from matplotlib.text import Text

    from imrdesk.services.charts import OVERTURNED, UPHELD
    from imrdesk.ui.theme import apply_theme

    def lightness(colour) -> float:
        r, g, b = to_rgb(colour)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    app = QApplication.instance()
    apply_theme(app, True)
    try:
        win = insights(samples_db)
        win.show_chart("by_category")
        QApplication.processEvents()
        fig = win.pane.figure
        assert lightness(fig.patch.get_facecolor()) < 0.2
        texts = [t for t in fig.findobj(Text) if t.get_text().strip()]
        assert len(texts) > 10 and all(lightness(t.get_color()) > 0.55 for t in texts)
        bars = {to_rgb(p.get_facecolor()) for ax in fig.get_axes() for p in ax.patches}
        assert {to_rgb(UPHELD), to_rgb(OVERTURNED)} <= bars
        image = win.pane.canvas.grab().toImage()
        assert QColor(image.pixel(5, 5)).lightnessF() < 0.2  # the ground as drawn on screen
        path = win.export_chart(tmp_path / "chart.png", "png")
        assert QColor(QImage(str(path)).pixel(5, 5)).lightnessF() > 0.95  # the file: white paper
    finally:
        apply_theme(app, False)
    QApplication.processEvents()  # back to light: the chart on screen follows the theme
    assert lightness(win.pane.figure.patch.get_facecolor()) > 0.95
