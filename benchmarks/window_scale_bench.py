"""The reviewer's window and search on a large database (issue 17): first paint, the longest stall of the
GUI thread during each everyday action, and full-text search latency.

    QT_QPA_PLATFORM=offscreen python benchmarks/window_scale_bench.py --db LARGE.db [--repeat 20]

``LARGE.db`` is a database built by ``benchmarks/scale_bench.py --keep`` (or any imrdesk file); it is
copied first, since "reviewed and next" writes, and the letters the window opens get their original files
back from ``--corpus`` (a replicated database leaves them out). Measured in one run, offscreen at 1400×900:

- first paint: from creating the main window to its first painted frame, and until the list shows its first
  rows; the anchor is a bare PySide6 window with one empty table, shown the same way in the same process;
- the longest gap of a 5 ms watchdog timer on the GUI thread (what a reviewer would feel as a freeze) while
  typing a search one key every 80 ms, changing the status filter, clearing the search, marking a letter
  reviewed and opening the next, and opening Insights — each until its answer is on screen;
- search: p50 and p95 of ``--repeat`` runs of the list's query for a common word, a rare word, a phrase and
  a prefix — its first 1,000 ids (what a large list shows first), every matching id in the list's order,
  and the snippets of a page of 200 (read on the task runner as the rows show).

Goals (issue 17, at 1M letters): no stall over 100 ms, first paint ≤ 2 s, search p95 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEARCHES = {
    "common word": "pain",
    "rare word": "gabapentin",
    "phrase": '"medically necessary"',
    "prefix": "lumb*",
}


class Watchdog:
    """A 5 ms timer on the GUI thread; the longest gap between two ticks since :meth:`reset`."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.reset()
        self.timer.start()

    def reset(self) -> None:
        self.last = time.perf_counter()
        self.longest = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now


def run_until(app, done: Callable[[], bool], timeout: float) -> float:
    """Process events until ``done()`` (or ``timeout`` s); seconds taken."""
    t = time.perf_counter()
    while not done() and time.perf_counter() - t < timeout:
        app.processEvents()
        time.sleep(0.002)
    app.processEvents()
    return time.perf_counter() - t


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def search_latency(db: Path, repeat: int) -> list[tuple[str, float, float, float, int]]:
    from imrdesk.store import ListQuery, Store

    rows = []
    with Store(db) as store:
        for label, text in SEARCHES.items():
            full, first, page, n = [], [], [], 0
            for _ in range(repeat):
                t = time.perf_counter()
                ids = store.lists.ids(ListQuery(search=text), limit=1000)
                first.append(time.perf_counter() - t)
                t = time.perf_counter()
                ids = store.lists.ids(ListQuery(search=text))
                full.append(time.perf_counter() - t)
                t = time.perf_counter()
                store.lists.snippets(text, ids[:200])
                page.append(time.perf_counter() - t)
                n = len(ids)
            rows.append(
                (
                    label,
                    percentile(first, 0.5),
                    percentile(first, 0.95),
                    statistics.median(full),
                    percentile(full, 0.95),
                    percentile(page, 0.95),
                    n,
                )
            )
    return rows


def restore_files(db: Path, corpus: Path, search: str, n: int = 3000) -> int:
    """Give back their original bytes to the letters the window will open — the first ``n`` in import
    order and among the matches of ``search`` — where the database was built without them (replicated
    letters keep their file names); returns how many."""
    from imrdesk.store.search import fts_query

    files = {p.name: p.read_bytes() for p in corpus.glob("*.pdf")}
    conn = sqlite3.connect(db)
    try:
        ids = {r[0] for r in conn.execute("SELECT id FROM documents ORDER BY id LIMIT ?", (n,))}
        ids |= {
            r[0]
            for r in conn.execute(
                "SELECT rowid FROM doc_text_fts WHERE doc_text_fts MATCH ? ORDER BY rowid LIMIT ?",
                (fts_query(search), n),
            )
        }
        marks = ",".join("?" * len(ids))
        rows = conn.execute(
            f"SELECT id, file_name FROM documents WHERE id IN ({marks}) "
            "AND id NOT IN (SELECT doc_id FROM files)",
            sorted(ids),
        ).fetchall()
        with conn:
            conn.executemany(
                "INSERT INTO files (doc_id, content) VALUES (?, ?)",
                [(i, files[name]) for i, name in rows if name in files],
            )
        return sum(1 for _i, name in rows if name in files)
    finally:
        conn.close()


def bare_window(app) -> float:
    """Seconds from creating a bare window with an empty table to its first painted frame."""
    from PySide6.QtWidgets import QMainWindow, QTableView

    t = time.perf_counter()
    w = QMainWindow()
    w.setCentralWidget(QTableView(w))
    w.resize(1400, 900)
    w.show()
    app.processEvents()
    w.repaint()
    seconds = time.perf_counter() - t
    w.close()
    return seconds


def window_figures(db: Path, work: Path) -> dict[str, float]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QComboBox

    from imrdesk.ui.main_window import MainWindow
    from imrdesk.ui.warmup import freeze_start_up

    app = QApplication.instance() or QApplication([])
    out = {"anchor: bare window": bare_window(app)}
    settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
    t = time.perf_counter()
    window = MainWindow(db, settings=settings)
    window.resize(1400, 900)
    window.show()
    freeze_start_up()  # as the program does once its window is shown
    app.processEvents()
    window.repaint()
    out["first paint"] = time.perf_counter() - t
    docs = window.documents
    run_until(app, lambda: docs.model.rowCount() > 0, 120)
    out["list shows its first rows"] = time.perf_counter() - t
    dog = Watchdog()
    run_until(app, lambda: False, 1.0)  # let the start-up's background counts land

    def stall(label: str, action: Callable[[], None], done: Callable[[], bool], settle: float = 0.5) -> None:
        dog.reset()
        action()
        run_until(app, done, 120)
        run_until(app, lambda: False, settle)
        out[f"stall: {label}"] = dog.longest

    def typing() -> None:
        for ch in "lumbar":
            docs.search.insert(ch)
            run_until(app, lambda: False, 0.08)

    before = docs.model.rowCount()
    stall("typing a search", typing, lambda: docs.model.rowCount() != before, settle=1.5)
    status = next(c for c in docs.findChildren(QComboBox) if c.accessibleName().lower().startswith("status"))
    searched = docs.model.rowCount()
    stall("changing a filter", lambda: status.setCurrentIndex(1), lambda: docs.model.rowCount() != searched)
    filtered = docs.model.rowCount()
    stall("clearing the search", docs.search.clear, lambda: docs.model.rowCount() != filtered, settle=1.5)
    status.setCurrentIndex(0)
    run_until(app, lambda: False, 2.0)
    docs.view.setCurrentIndex(docs.model.index(0))
    run_until(app, lambda: window.doc_id is not None, 30)
    first = window.doc_id
    stall("reviewed and next", window.review.mark_reviewed_and_next, lambda: window.doc_id != first)
    stall(
        "opening Insights",
        window.show_insights,
        lambda: (
            getattr(window, "insights_window", None) is not None
            and window.insights_window.insights is not None
        ),
        settle=1.0,
    )
    window.close()
    app.processEvents()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="imrdesk-window-"))
    try:
        db = work / "copy.db"
        shutil.copyfile(args.db, db)
        restored = restore_files(db, args.corpus / "pdf", "lumbar")
        from imrdesk.store import Store

        with Store(db) as store:
            n = store.count_documents()
        print(
            f"{n:,} letters, {db.stat().st_size / n / 1024:.1f} KiB a letter ({restored:,} given their files)"
        )
        figures = window_figures(db, work)
        anchor = figures["anchor: bare window"]
        for label, seconds in figures.items():
            ratio = f"{seconds / anchor:8.1f} × anchor" if not label.startswith("stall") else ""
            print(f"  {label:32}{seconds * 1000:10.0f} ms  {ratio}")
        print(
            f"  search, ms ({args.repeat} runs)   first 1,000 p50 / p95   all ids p50 / p95   "
            "snippets of 200 p95   matches"
        )
        for label, f50, f95, p50, p95, page95, matches in search_latency(db, args.repeat):
            print(
                f"  {label:28}{f50 * 1000:12.0f} / {f95 * 1000:<8.0f}{p50 * 1000:10.0f} / {p95 * 1000:<8.0f}"
                f"{page95 * 1000:14.0f}{matches:>14,}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
