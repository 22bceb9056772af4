"""Letter text and file names are never read as markup anywhere in the window.

A hostile letter (its file name, treatment, summary, guideline, a reviewer's correction and a note carry
``<img src="\\\\host\\share\\…">``, ``<b>`` and links) is opened in the real window, with its dialogs; then
every label, tooltip, window title, tab, button and item of every top-level widget is walked: whatever Qt
would render as rich text must not contain the hostile markup unescaped. A new sink that forgets
``ui/plain.py`` fails here.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QAbstractListModel, QModelIndex, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QTextDocument  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QWidget,
)

from imrdesk.extract import extract  # noqa: E402
from imrdesk.services.review import ReviewService  # noqa: E402
from imrdesk.store import Store  # noqa: E402
from imrdesk.ui.app import configure  # noqa: E402
from imrdesk.ui.main_window import MainWindow  # noqa: E402
from imrdesk.ui.plain import shown_as_written, would_be_rich  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TXT = ROOT / "resources" / "samples" / "003_9351796eb9e60cf4.txt"

IMG = '<img src="\\\\evil-host\\share\\x.png">'
BOLD = "<b>BOLD</b>"
LINK = "<a href='file:///etc/passwd'>link</a>"
# what must never reach a rich-text sink unescaped
RAW = ("<img", "<b>BOLD", "<a href='file")


@pytest.fixture(scope="module", autouse=True)
def _app_style(qapp):
    configure(qapp)


def hostile_letter(folder: Path) -> Path:
    """The 2014 sample letter with markup in its treatment, summary and guideline, under a hostile name."""
    text = TXT.read_text(encoding="utf-8")
    text = text.replace("BILATERAL LUMBAR MEDIAL BRANCH BLOCK L2", f"{BOLD}{IMG} MEDIAL BRANCH BLOCK L2", 1)
    text = text.replace("lumbosacral spondylosis", f"{IMG} {LINK} spondylosis")
    text = text.replace("Low Back Chapter.", f"Low Back Chapter {BOLD}.", 1)
    text = text.replace("43-year-old", "143-year-old", 1)  # a rule finding, to dismiss
    path = folder / f"{IMG.replace('/', '_')}.txt"
    path.write_text(text, encoding="utf-8")
    return path


def rendered(text: str, rich: bool) -> str:
    if not rich:
        return text
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()


def label_is_rich(label: QLabel) -> bool:
    fmt = label.textFormat()
    if fmt == Qt.TextFormat.AutoText:
        return would_be_rich(label.text())
    return fmt != Qt.TextFormat.PlainText


def columns(model, parent: QModelIndex) -> int:
    try:
        return max(1, model.columnCount(parent))
    except TypeError:  # a list model keeps columnCount private: one column
        return 1


def model_texts(view: QAbstractItemView):
    model = view.model()
    if model is None:
        return
    stack = [QModelIndex()]
    while stack:
        parent = stack.pop()
        for r in range(model.rowCount(parent)):
            for c in range(columns(model, parent)):
                index = model.index(r, c, parent)
                tip = model.data(index, Qt.ItemDataRole.ToolTipRole)
                if isinstance(tip, str):
                    yield "item tooltip", tip, would_be_rich(tip)
                shown = model.data(index, Qt.ItemDataRole.DisplayRole)
                if isinstance(shown, str):  # item views paint display text as plain text
                    yield "item text", shown, False
                if c == 0 and not isinstance(model, QAbstractListModel) and model.rowCount(index):
                    stack.append(index)
        for section in range(columns(model, parent)):
            head = model.headerData(section, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
            if isinstance(head, str):
                yield "header tooltip", head, would_be_rich(head)


def sinks(root: QWidget):
    """(kind, text, rendered as rich text?) for every place ``root`` and its children show text."""
    for widget in [root, *root.findChildren(QWidget)]:
        where = f"{type(widget).__name__}#{widget.objectName()}"
        if widget.isWindow():
            yield f"{where} title", widget.windowTitle(), False
        tip = widget.toolTip()
        if tip:
            yield f"{where} tooltip", tip, would_be_rich(tip)
        if isinstance(widget, QMessageBox):
            fmt = widget.textFormat()
            rich = fmt != Qt.TextFormat.PlainText and (
                fmt != Qt.TextFormat.AutoText or would_be_rich(widget.text())
            )
            yield f"{where} text", widget.text(), rich
            info = widget.informativeText()
            yield f"{where} informative", info, would_be_rich(info)
        elif isinstance(widget, QLabel):
            yield f"{where} label", widget.text(), label_is_rich(widget)
        if isinstance(widget, QLineEdit):  # editors hold plain text
            yield f"{where} editor", widget.text(), False
        if isinstance(widget, QPlainTextEdit):
            yield f"{where} editor", widget.toPlainText(), False
        if isinstance(widget, QTextEdit):  # would read markup: letter text goes in plain editors only
            pytest.fail(f"{where}: a QTextEdit in the window; show letter text in a QPlainTextEdit")
        if isinstance(widget, QAbstractButton):
            yield f"{where} button", widget.text(), False
        if isinstance(widget, QTabBar):
            for i in range(widget.count()):
                yield f"{where} tab", widget.tabText(i), False
                tab_tip = widget.tabToolTip(i)
                yield f"{where} tab tooltip", tab_tip, would_be_rich(tab_tip)
        if isinstance(widget, QAbstractItemView):
            for kind, text, rich in model_texts(widget):
                yield f"{where} {kind}", text, rich


def check_window_texts(roots: list[QWidget]) -> list[str]:
    """Assert no rich-text sink holds the hostile markup; return every text as the user sees it."""
    seen = []
    for root in roots:
        for where, text, rich in sinks(root):
            if not text:
                continue
            if rich:
                leaked = [raw for raw in RAW if raw in text]
                assert not leaked, f"{where} renders letter text as rich text: {text[:300]!r}"
            seen.append(rendered(text, rich))
    return seen


def open_window(qtbot, tmp_path: Path, db: Path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(db, settings, import_options={"workers": 1})
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_would_be_rich_text_is_shown_as_written(qapp):
    for text in (IMG, f"{BOLD} and more", f"{LINK}\nsecond line", "&lt;b&gt; spelled out", "a < b > c"):
        safe = shown_as_written(text)
        assert rendered(safe, would_be_rich(safe)) == text
    assert shown_as_written("Plain words, 75% relief") == "Plain words, 75% relief"  # left alone


def test_hostile_letter_is_shown_as_plain_text_everywhere(qtbot, tmp_path, monkeypatch):
    letters = tmp_path / "letters"
    letters.mkdir()
    path = hostile_letter(letters)
    record = extract(path)
    assert record["error"] is None, record["error"]
    # the hostile text did reach the record: the walk below is not vacuous
    assert IMG in record["file"] and any(BOLD in (i.get("treatment") or "") for i in record["items"])
    db = tmp_path / "imrdesk.db"
    with Store(db) as store:
        doc = store.add_record(record, path.read_bytes(), source_path=str(path))["doc_id"]
        store.add_note(doc, f"Note from the importer about {IMG} {BOLD}")
        service = ReviewService(store, user=f"{BOLD}reviewer")
        service.correct(doc, "injury.mechanism", f"{IMG}{BOLD} lifting")
        service.correct(doc, "items[0].treatment", f"{LINK} {BOLD} {IMG}")
        # a rule finding on the item, dismissed by a user whose name is markup
        (age_finding,) = [f for f in store.record(doc)["findings"] if f["path"] == "patient.age"]
        service.dismiss(doc, age_finding["key"])
        # a failed import under a hostile name: the error banner quotes it
        broken = letters / f"{BOLD}{IMG}.pdf".replace("/", "_")
        broken.write_bytes(b"%PDF-1.4 garbage")
        failed = extract(broken)
        assert failed["error"]
        failed_doc = store.add_record(failed, broken.read_bytes(), source_path=str(broken))["doc_id"]

    window = open_window(qtbot, tmp_path, db)
    window.open_document(doc)
    qtbot.wait(50)
    window.panel.tabs.setCurrentIndex(1)
    window.panel.select_item(0)
    window.documents.search.setText("spondylosis")  # a search snippet quotes the letter
    window.documents.refresh()
    window.open_document(doc)
    window.show_history("items[0].treatment")
    seen = check_window_texts([window, window.history_dialog])
    assert any(IMG in t for t in seen), "the hostile file name is shown, as written"
    assert any(f"{LINK} {BOLD} {IMG}" in t for t in seen), "the corrected treatment is shown, as written"
    assert any(f"{BOLD}reviewer" in t for t in seen), "the history names its reviewer, as written"
    assert any(f"{IMG}{BOLD} lifting" in t for t in seen)
    assert any(f"by {BOLD}reviewer" in t for t in seen), "the dismissal names its reviewer, as written"
    title_tip = window.panel.title.toolTip()
    assert rendered(title_tip, would_be_rich(title_tip)) == window.panel.title.text()
    window.history_dialog.close()

    window.open_document(failed_doc)
    qtbot.wait(50)
    seen = check_window_texts([window])
    assert any("Import failed" in t for t in seen)

    # a message box quoting a hostile path: an export into a "folder" that is a file
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: warnings.append(text))
    not_a_folder = tmp_path / BOLD.replace("/", "_")
    not_a_folder.write_text("a file")
    target = not_a_folder / f"{IMG}.csv".replace("/", "_")
    window.files.export_to(target, "csv")
    qtbot.waitUntil(lambda: bool(warnings), timeout=20000)
    assert BOLD.replace("/", "_") in rendered(warnings[0], would_be_rich(warnings[0]))
    assert not (would_be_rich(warnings[0]) and any(raw in warnings[0] for raw in RAW))

    # an import that fails on a hostile file name: the import report lists it
    window.files.start_import([broken])
    qtbot.waitUntil(lambda: not window.importer.is_running(), timeout=60000)
    qtbot.waitUntil(lambda: window.files.report_dialog is not None, timeout=5000)
    seen = check_window_texts([w for w in QApplication.topLevelWidgets() if w.isVisible()])
    assert any(f"{BOLD}{IMG}".replace("/", "_") in t for t in seen)
