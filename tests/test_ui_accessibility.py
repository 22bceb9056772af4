"""Every control a reviewer can reach has a name a screen reader reads out: walked over the window in its
main states (a letter's fields, its items, an empty database) and over the insights window. A new control
without a name, text or label fails here."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtGui import QAccessible  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QSlider,
    QTabBar,
    QTextEdit,
    QWidget,
)
from ui_helpers import show_main_window  # noqa: E402

from imrdesk.extract import extract  # noqa: E402
from imrdesk.store import Store  # noqa: E402
from imrdesk.ui.app import configure  # noqa: E402

LETTERS = sorted((Path(__file__).parent / "fixtures" / "pdf").glob("*.pdf"))
CONTROLS = (
    QAbstractButton,
    QComboBox,
    QLineEdit,
    QTextEdit,
    QPlainTextEdit,
    QAbstractItemView,
    QAbstractSpinBox,
    QTabBar,
    QSlider,
)


@pytest.fixture(scope="module", autouse=True)
def _style(qapp):
    configure(qapp)


def unnamed(top: QWidget) -> list[str]:
    """The visible controls of ``top`` whose accessible name (what a screen reader says) is empty."""
    out = []
    for widget in top.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or not widget.isVisibleTo(top):
            continue
        if isinstance(widget, QHeaderView):  # read out as part of its table, column by column
            continue
        iface = QAccessible.queryAccessibleInterface(widget)
        name = iface.text(QAccessible.Text.Name) if iface is not None else ""
        if not name.strip():
            parent = widget.parentWidget()
            out.append(
                f"{type(widget).__name__} {widget.objectName()!r} in {type(parent).__name__} "
                f"{parent.objectName()!r} (tip: {widget.toolTip()[:40]!r})"
            )
    return out


@pytest.fixture
def letters_db(tmp_path) -> Path:
    db = tmp_path / "a11y.db"
    with Store(db) as store:
        for path in LETTERS[:3]:
            store.add_record(extract(path), path.read_bytes())
    return db


def test_every_control_of_the_window_has_a_name(qtbot, tmp_path, letters_db):
    window = show_main_window(qtbot, letters_db, tmp_path / "s.ini")
    docs = window.documents.doc_ids()
    window.documents.select_doc(docs[0])
    assert unnamed(window) == []
    window.panel.tabs.setCurrentIndex(1)  # the items
    qtbot.wait(50)
    assert unnamed(window) == []


def test_the_empty_window_and_its_samples_button(qtbot, tmp_path):
    window = show_main_window(qtbot, tmp_path / "empty.db", tmp_path / "s.ini")
    assert window.central.currentWidget() is window.empty
    assert unnamed(window) == []


def test_the_insights_window(qtbot, tmp_path, letters_db):
    from imrdesk.ui.insights_view import InsightsWindow

    win = InsightsWindow(letters_db)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.ready, timeout=30000):
        win.refresh()
    assert unnamed(win) == []
