"""Screenshots of the window's main states at 1400×900, grabbed offscreen.

Each test checks its picture is a finished window (not blank, right size). With IMRDESK_SCREENSHOTS set to a
folder (``IMRDESK_SCREENSHOTS=docs/screenshots``) the PNGs are written there, for the documentation.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from imrdesk.extract import extract  # noqa: E402
from imrdesk.store import Store  # noqa: E402
from imrdesk.ui.app import configure  # noqa: E402
from imrdesk.ui.main_window import MainWindow  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "resources" / "samples"
SIZE = (1400, 900)


@pytest.fixture(scope="module", autouse=True)
def _style(qapp):
    configure(qapp)


@pytest.fixture
def shoot(tmp_path, qtbot):
    folder = Path(os.environ.get("IMRDESK_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def save(window: MainWindow, name: str, size: tuple[int, int] = SIZE) -> QImage:
        qtbot.wait(120)  # let layouts settle as they would on screen
        window.viewer.view.flush_renders()
        QApplication.processEvents()
        image = window.grab().toImage()
        path = folder / f"{name}.png"
        assert image.save(str(path))
        assert (image.width(), image.height()) == size
        colours = {
            image.pixel(x, y) for x in range(0, image.width(), 23) for y in range(0, image.height(), 19)
        }
        assert len(colours) > 12  # a drawn window, not a blank surface
        return image

    return save


@pytest.fixture
def window(qtbot, tmp_path):
    def factory(db: Path) -> MainWindow:
        win = MainWindow(db, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
        qtbot.addWidget(win)
        win.resize(*SIZE)
        win.show()
        qtbot.waitExposed(win)
        win.activateWindow()
        qtbot.waitUntil(win.isActiveWindow, timeout=5000)
        return win

    return factory


def fill(db: Path) -> list[int]:
    with Store(db) as store:
        return [
            store.add_record(extract(p), p.read_bytes(), source_path=str(p))["doc_id"]
            for p in sorted(SAMPLES.iterdir())
        ]


def test_empty_start(window, shoot, tmp_path):
    win = window(tmp_path / "empty.db")
    assert win.central.currentWidget() is win.empty
    shoot(win, "empty-start")


def test_letter_with_a_highlighted_value(window, shoot, tmp_path):
    db = tmp_path / "letters.db"
    ids = fill(db)
    with Store(db) as store:
        store.set_status(ids[1], "reviewed")
        store.set_status(ids[2], "in_review")
    win = window(db)
    case = next(d for d in ids if win.store.document_info(d)["case_number"] == "CM17-0002198")
    win.documents.select_doc(case)
    win.next_check(1)
    assert win.viewer.view.highlight_rects()
    shoot(win, "letter-highlight")

    win.panel.focus_field("items[0].maximus_guideline")
    assert win.viewer.view.highlight_rects()
    shoot(win, "items-highlight")


def test_import_in_progress(window, shoot, tmp_path, qtbot):
    folder = tmp_path / "incoming"
    folder.mkdir()
    corpus = sorted((ROOT.parent / "shared" / "corpus" / "pdf").glob("*.pdf"))  # real, distinct letters
    if len(corpus) >= 40:
        for src in corpus[:40]:
            (folder / src.name).write_bytes(src.read_bytes())
    else:  # copies of the samples, made distinct
        sources = sorted(SAMPLES.glob("*.pdf"))
        for i in range(40):
            src = sources[i % len(sources)]
            (folder / f"{src.stem}-{i:02d}.pdf").write_bytes(src.read_bytes() + f"\n% {i}\n".encode())
    db = tmp_path / "import.db"
    fill(db)
    win = window(db)
    done = []
    win.importer.progress.connect(done.append)
    win.start_import([folder])
    qtbot.waitUntil(lambda: len(done) >= 12, timeout=60000)
    win.importer.progress.disconnect(done.append)
    assert win.import_progress.isVisible()
    shoot(win, "import-progress")
    win.cancel_import()
    qtbot.waitUntil(lambda: not win.importer.is_running(), timeout=60000)
    assert win.statusBar().currentMessage()
    qtbot.keyClick(win, Qt.Key.Key_Escape)


def test_a_value_a_rule_doubts(window, shoot, tmp_path):
    """A decision the rationale contradicts (as a misreading would give it): the finding under the value,
    its Dismiss button, the rule badge in the list."""
    import copy

    db = tmp_path / "findings.db"
    letter = SAMPLES / "CM17-0002198.pdf"
    rec = copy.deepcopy(extract(letter))
    rec["items"][1]["decision"] = "Overturned"
    with Store(db) as store:
        for p in sorted(SAMPLES.iterdir()):
            if p == letter:
                doubted = store.add_record(rec, letter.read_bytes())["doc_id"]
            else:
                store.add_record(extract(p), p.read_bytes())
    win = window(db)
    win.documents.select_doc(doubted)
    assert win.next_check(1) == "items[1].decision"
    field = win.panel.field("items[1].decision")
    assert field.form.isRowVisible(field.note) and field.note.buttons
    shoot(win, "finding-dismiss")


def _mean_lightness(image: QImage, x0: int, y0: int, x1: int, y1: int) -> float:
    from PySide6.QtGui import QColor

    values = [QColor(image.pixel(x, y)).lightnessF() for x in range(x0, x1, 7) for y in range(y0, y1, 7)]
    return sum(values) / len(values)


@pytest.mark.parametrize(
    ("theme", "size"), [("dark", (1024, 700)), ("light", (1024, 700)), ("dark", (1400, 900))]
)
def test_themes_and_a_small_screen(window, shoot, tmp_path, qapp, theme, size):
    """Light and dark at 1024×700 and 1400×900: in the dark theme a dark frame and panel, the page still white
    paper, every text readable (the palette's text far from its base); at 1024 the page keeps its room."""
    from imrdesk.ui.theme import apply_theme, is_dark
    from imrdesk.ui.theme_menu import choose_theme

    db = tmp_path / "themes.db"
    ids = fill(db)
    win = window(db)
    try:
        choose_theme(win, theme)  # View › Theme (a system set to dark gives the same)
        assert is_dark() == (theme == "dark")
        win.resize(*size)
        case = next(d for d in ids if win.store.document_info(d)["case_number"] == "CM17-0002198")
        win.documents.select_doc(case)
        win.next_check(1)
        image = shoot(win, f"{theme}-{size[0]}", size=size)
        panel = win.panel.mapTo(win, win.panel.rect().topLeft())
        shade = _mean_lightness(image, panel.x(), panel.y(), panel.x() + win.panel.width(), panel.y() + 200)
        assert shade < 0.35 if theme == "dark" else shade > 0.8
        page = win.viewer.view.viewport().mapTo(win, win.viewer.view.viewport().rect().center())
        assert _median_lightness(image, page.x(), page.y()) > 0.9  # the letter stays white paper
        assert win.viewer.width() >= 380  # the page is not squeezed
        pal = qapp.palette()
        assert (
            abs(pal.color(pal.ColorRole.Text).lightnessF() - pal.color(pal.ColorRole.Base).lightnessF()) > 0.6
        )
    finally:
        apply_theme(qapp, False)
    assert not is_dark()


def _median_lightness(image: QImage, x: int, y: int) -> float:
    from PySide6.QtGui import QColor

    values = sorted(
        QColor(image.pixel(i, j)).lightnessF()
        for i in range(x - 40, x + 40, 3)
        for j in range(y - 40, y + 40, 3)
    )
    return values[len(values) // 2]
