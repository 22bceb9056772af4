"""A keyboard-only review of 20 letters, as a reviewer does it: how many keys and seconds a letter takes,
and whether anything needed the mouse.

    python benchmarks/keyboard_review_bench.py [--letters 20] [--corpus ../shared/corpus]

The window (offscreen, real widgets) opens on the first letters of the corpus, imported with the real
importer. For each letter the loop presses only keys, into whatever has the focus: Ctrl+Enter accepts the
value to check (F8 has put the cursor on it) and moves to the next; when nothing is left, Ctrl+Enter marks
the letter reviewed and opens the next. A letter that needs anything else — a click, a key the loop does not
know — counts as needing the mouse (goal: none). Printed: keys per letter (mean, max), seconds per letter
(median, beside the anchor: the time the window takes to open one letter, measured in the same run), and the
letters whose review needed the mouse.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--letters", type=int, default=20)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()

    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from imrdesk.services.importing import import_paths
    from imrdesk.store import Store
    from imrdesk.ui.app import configure
    from imrdesk.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    configure(app)
    with tempfile.TemporaryDirectory() as tmp:
        letters = sorted((args.corpus / "pdf").glob("*.pdf"))[: args.letters]
        db = Path(tmp) / "review.db"
        import_paths(db, letters, workers=2, timeout=120)
        window = MainWindow(db, QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat))
        window.resize(1400, 900)
        window.show()
        window.activateWindow()
        for _ in range(50):
            app.processEvents()
        ids = window.documents.doc_ids()

        # anchor: opening one letter (selecting it in the list)
        opens = []
        for doc in ids[:5]:
            t = time.perf_counter()
            window.documents.select_doc(doc)
            app.processEvents()
            opens.append(time.perf_counter() - t)
        anchor = statistics.median(opens)
        window.documents.select_doc(ids[0])
        app.processEvents()

        def press(key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
            target = QApplication.focusWidget() or window
            QTest.keyClick(target, key, modifier)
            app.processEvents()

        keys, seconds, mouse = [], [], []
        for _ in ids:
            doc = window.doc_id
            if doc is None:
                break
            t, n = time.perf_counter(), 0
            press(Qt.Key.Key_F8)
            n += 1
            while (
                window.doc_id == doc and (window.record or {}).get("review_status") != "reviewed" and n < 60
            ):
                press(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
                n += 1
            seconds.append(time.perf_counter() - t)
            keys.append(n)
            with Store(db) as store:
                if store.review_status(doc) != "reviewed":
                    mouse.append(doc)
            if window.doc_id == doc:  # the last letter: nothing left to open
                break
        window.close()
        with Store(db) as store:
            reviewed = sum(store.review_status(i) == "reviewed" for i in ids)
    print(f"{len(keys)} letters reviewed from the keyboard ({reviewed} of {len(ids)} marked reviewed)")
    print(f"keys per letter: mean {statistics.mean(keys):.1f}, max {max(keys)}")
    median = statistics.median(seconds)
    print(
        f"seconds per letter: median {median:.3f}  ({median / anchor:.1f} × opening one letter, {anchor:.3f} s)"
    )
    print(f"letters that needed the mouse: {len(mouse)}" + (f" {mouse}" if mouse else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
