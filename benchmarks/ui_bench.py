"""How the reviewer's window feels: time to open a letter, and event-loop stalls during a big import.

    QT_QPA_PLATFORM=offscreen python benchmarks/ui_bench.py [--corpus DIR] [--letters 200] [--rounds 3]

1. Opening a letter (store record + fields + first render of the visible pages, painted): p50/p95/max
   over every letter of the corpus (default ../shared/corpus: pdf/ and seeds/), at 1400×900.
   Goal: p95 ≤ 150 ms.
2. The longest stall of the event loop while the window imports N distinct letters (copies of the corpus
   letters with a distinct trailing comment) in its worker thread: a QTimer ticks every 5 ms and the largest
   gap between ticks is reported. Goal: no stall over 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def letters(corpus: Path) -> list[Path]:
    found = sorted((corpus / "pdf").glob("*.pdf")) + sorted((corpus / "seeds").glob("*.txt"))
    if not found:  # no shared corpus: the bundled samples
        found = sorted((ROOT / "resources" / "samples").iterdir())
    return found


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def bench_open(app, window_class, files: list[Path], rounds: int, workdir: Path) -> list[float]:
    from PySide6.QtCore import QSettings

    from imrdesk.extract import extract
    from imrdesk.store import Store

    db = workdir / "open.db"
    with Store(db) as store:
        ids = [store.add_record(extract(p), p.read_bytes(), source_path=str(p))["doc_id"] for p in files]
    window = window_class(db, QSettings(str(workdir / "open.ini"), QSettings.Format.IniFormat))
    window.resize(1400, 900)
    window.show()
    app.processEvents()
    times = []
    for _ in range(rounds):
        for doc_id in ids:
            app.processEvents()
            started = time.perf_counter()
            window.documents.select_doc(doc_id)  # as a click in the list does
            window.viewer.view.viewport().repaint()  # the first paint of the pages
            window.panel.repaint()
            times.append(time.perf_counter() - started)
            assert window.doc_id == doc_id
    window.close()
    return times


def bench_import(app, window_class, files: list[Path], n: int, workdir: Path) -> dict:
    from PySide6.QtCore import QSettings, QTimer

    from imrdesk.ui.warmup import freeze_start_up

    folder = workdir / "batch"
    folder.mkdir()
    for i in range(n):
        src = files[i % len(files)]
        comment = f"\n% copy {i}\n" if src.suffix == ".pdf" else f"\n\ncopy {i}\n"
        (folder / f"{src.stem}-{i:04d}{src.suffix}").write_bytes(src.read_bytes() + comment.encode())
    window = window_class(
        workdir / "import.db", QSettings(str(workdir / "import.ini"), QSettings.Format.IniFormat)
    )
    window.resize(1400, 900)
    window.show()
    freeze_start_up()  # as the program does once its window is shown
    app.processEvents()
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setTimerType(timer.timerType().PreciseTimer)
    timer.timeout.connect(tick)
    started = time.perf_counter()
    window.start_import([folder])
    last[0] = time.perf_counter()
    timer.start(5)
    while window.importer.is_running():
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    elapsed = time.perf_counter() - started
    result = window.last_import or {}
    window.close()
    return {"gaps": gaps, "seconds": elapsed, "result": result}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--letters", type=int, default=200, help="letters in the import batch")
    ap.add_argument("--rounds", type=int, default=3, help="times each letter is opened")
    args = ap.parse_args()

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    from imrdesk.ui.app import configure
    from imrdesk.ui.main_window import MainWindow

    configure(app)
    files = letters(Path(args.corpus))
    with tempfile.TemporaryDirectory(prefix="imrdesk-ui-bench-") as tmp:
        work = Path(tmp)
        times = bench_open(app, MainWindow, files, args.rounds, work)
        ms = [t * 1000 for t in times]
        p95 = percentile(ms, 95)
        print(f"open a letter ({len(files)} letters x {args.rounds}, 1400x900, render + fields, painted):")
        print(
            f"  p50 {statistics.median(ms):.1f} ms   p95 {p95:.1f} ms   max {max(ms):.1f} ms"
            f"   goal p95 <= 150 ms: {'ok' if p95 <= 150 else 'MISSED'}"
        )
        imp = bench_import(app, MainWindow, files, args.letters, work)
        gaps = [g * 1000 for g in imp["gaps"][1:]] or [0.0]
        result = imp["result"]
        worst = max(gaps)
        print(f"import {args.letters} letters in the window (worker thread, 2 extraction processes):")
        print(
            f"  {imp['seconds']:.1f} s, {result.get('imported', 0)} imported, {result.get('duplicates', 0)} "
            f"duplicates, {len(result.get('failed') or [])} failed"
        )
        print(
            f"  event loop, timer every 5 ms: {len(gaps)} ticks, median gap {statistics.median(gaps):.1f} ms, "
            f"p99 {percentile(gaps, 99):.1f} ms, longest stall {worst:.1f} ms"
            f"   goal <= 50 ms: {'ok' if worst <= 50 else 'MISSED'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
