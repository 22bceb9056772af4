"""Hostile files in bounded time and memory: the deflate bomb, the one-line text, 200 mutated letters, and
the window's responsiveness while the bomb's page is drawn.

    python benchmarks/hardening_bench.py [--rounds 3] [--bomb-mib 512] [--mutants 200] [--skip-window]

Every figure is measured in a fresh process (its peak RSS is its own ``ru_maxrss``, workers' included
where the work runs in workers) and printed beside an anchor measured in the same run:

1. ``extract()`` of the bomb (a 2 MB-ish deflate stream inflating to ``--bomb-mib`` MiB) beside ``extract()``
   of one real letter; and the same bomb read by pdfplumber without the decompression cap (how imrdesk read
   it before), so the cap's effect is a ratio.
2. ``extract()`` of a 45 MB one-line .txt beside a real text letter.
3. ``--mutants`` mutated letters through the ``extract`` command's path (bounded worker, results as JSON)
   beside the same number of unmutated letters through the same path.
4. The window: the longest event-loop stall and the window process's RSS while the bomb's page is drawn,
   beside drawing it the way the window did before (pdfium on the GUI thread, in-process).

Defaults keep the machine usable (the "before" of 1 and 4 with a 2 GiB bomb needs ~3-4 GB of memory;
``--bomb-mib 2048`` reproduces the issue's figures).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

CORPUS = ROOT.parent / "shared" / "corpus"
if not (CORPUS / "pdf").is_dir():
    CORPUS = ROOT / "tests" / "fixtures" / "corpus"


def _peak_mb() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0


# ---------------------------------------------------------------------------------- measured in a child


def measure(kind: str, arg: str) -> dict:
    from hostile import MiB, bomb_pdf, mutants, one_line_text

    from imrdesk.extract import extract

    work = Path(arg) if arg else None
    if kind == "extract-bomb":
        data = bomb_pdf(int(work.name) * MiB) if work else bomb_pdf()
        t0 = time.perf_counter()
        rec = extract(data, name="bomb.pdf")
        return {"s": time.perf_counter() - t0, "code": (rec["error"] or {}).get("code")}
    if kind == "extract-letter":
        path = sorted((CORPUS / "pdf").glob("*.pdf"))[0]
        t0 = time.perf_counter()
        rec = extract(path)
        return {"s": time.perf_counter() - t0, "code": (rec["error"] or {}).get("code")}
    if kind == "uncapped-bomb":  # how the bomb was read before: pdfplumber, no cap
        import io

        import pdfplumber

        data = bomb_pdf(int(work.name) * MiB)
        t0 = time.perf_counter()
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                page.extract_words()
        return {"s": time.perf_counter() - t0, "code": None}
    if kind == "extract-line":
        data = one_line_text(45 * MiB)
        t0 = time.perf_counter()
        rec = extract(data, name="line.txt")
        return {"s": time.perf_counter() - t0, "code": (rec["error"] or {}).get("code")}
    if kind == "extract-text":
        path = sorted((CORPUS / "seeds").glob("*.txt"))[0]
        t0 = time.perf_counter()
        rec = extract(path)
        return {"s": time.perf_counter() - t0, "code": (rec["error"] or {}).get("code")}
    if kind == "mutants-inprocess":  # extract() on each, in this process, with and without OCR
        import inspect

        count = int(work.name.split("-")[0])
        letters = sorted((CORPUS / "pdf").glob("*.pdf"))
        ocr_flag = "ocr" in inspect.signature(extract).parameters
        timings = {}
        for label, kwargs in (("ocr", {}), ("no_ocr", {"ocr": False} if ocr_flag else None)):
            if kwargs is None:
                continue
            t0 = time.perf_counter()
            for name, data in mutants(letters, count, seed=13):
                extract(data, name=name, **kwargs)
            timings[label] = time.perf_counter() - t0
        return {"s": timings.get("ocr"), "no_ocr_s": timings.get("no_ocr")}
    if kind in ("mutants", "originals"):
        from imrdesk.services.extracting import extract_files

        count, folder = int(work.name.split("-")[0]), work
        letters = sorted((CORPUS / "pdf").glob("*.pdf"))
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        if kind == "mutants":
            for name, data in mutants(letters, count, seed=13):
                (folder / name).write_bytes(data)
                paths.append(folder / name)
        else:
            for i in range(count):
                src = letters[i % len(letters)]
                (folder / f"copy-{i:03d}-{src.name}").write_bytes(src.read_bytes())
                paths.append(folder / f"copy-{i:03d}-{src.name}")
        codes: dict[str, int] = {}
        t0 = time.perf_counter()
        for rec in extract_files(paths, workers=1, timeout=60):
            key = (rec["error"] or {}).get("code") or "read"
            codes[key] = codes.get(key, 0) + 1
        return {"s": time.perf_counter() - t0, "codes": codes}
    if kind == "render-inprocess":  # the window before: pdfium on the GUI thread
        import pypdfium2 as pdfium

        data = bomb_pdf(int(work.name) * MiB)
        doc = pdfium.PdfDocument(data)
        t0 = time.perf_counter()
        page = doc[1]
        page.render(scale=1.5).close()
        return {"stall_ms": (time.perf_counter() - t0) * 1000}
    if kind == "render-window":
        return _window(int(work.name))
    raise SystemExit(f"unknown measure {kind}")


def _window(bomb_mib: int) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from hostile import MiB, bomb_pdf
    from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from imrdesk.extract import extract
    from imrdesk.store import Store
    from imrdesk.ui.app import configure
    from imrdesk.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    configure(app)
    work = Path(tempfile.mkdtemp())
    data = bomb_pdf(bomb_mib * MiB)
    with Store(work / "w.db") as store:
        doc = store.add_record(extract(data, name="bomb.pdf"), data, source_path="bomb.pdf")["doc_id"]
    window = MainWindow(work / "w.db", QSettings(str(work / "w.ini"), QSettings.Format.IniFormat))
    window.resize(1400, 900)
    window.show()
    app.processEvents()
    view = window.viewer.view
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    t0 = time.perf_counter()
    window.open_document(doc)  # from here on, as a reviewer sees it: open the letter, go to its page 2
    view.go_to_page(2)
    view.pixmap_for(1, view.render_scale())
    while view.page_failure(1) is None and view.cached_pixmap(1) is None and time.perf_counter() - t0 < 120:
        app.processEvents()
        time.sleep(0.001)
    took = time.perf_counter() - t0
    timer.stop()
    import resource

    window_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    result = {
        "stall_ms": max(gaps) if gaps else took * 1000,
        "page_s": took,
        "failed": view.page_failure(1),
        "window_mb": window_mb,
    }
    window.close()
    app.processEvents()
    return result


# ---------------------------------------------------------------------------------- the parent


def run(kind: str, arg: str = "") -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "_measure", kind, arg],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"error": (out.stderr or "")[-400:].strip() or f"exit {out.returncode}", "rc": out.returncode}
    return json.loads(lines[-1])


def rounds_of(kind: str, arg: str, n: int) -> list[dict]:
    return [run(kind, arg) for _ in range(n)]


def med(results: list[dict], key: str) -> float:
    values = [r[key] for r in results if isinstance(r.get(key), (int, float))]
    return statistics.median(values) if values else float("nan")


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] == "_measure":
        result = measure(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
        result["peak_mb"] = _peak_mb()
        print(json.dumps(result))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bomb-mib", type=int, default=512, help="what the bomb inflates to (default 512)")
    ap.add_argument("--mutants", type=int, default=200)
    ap.add_argument("--skip-window", action="store_true")
    ap.add_argument("--parts", default="1,2,3,4", help="which measures to run (default 1,2,3,4)")
    args = ap.parse_args()
    parts = {int(p) for p in args.parts.split(",") if p.strip()}
    if args.skip_window:
        parts.discard(4)
    n = args.rounds
    tmp = Path(tempfile.mkdtemp(prefix="hardening-bench-"))
    bomb = tmp / str(args.bomb_mib)

    print(f"corpus: {CORPUS}; {n} rounds, medians; bomb inflates to {args.bomb_mib} MiB")
    if 1 in parts:
        bench_bomb(n, bomb)
    if 2 in parts:
        bench_line(n)
    if 3 in parts:
        bench_mutants(n, args.mutants, tmp)
    if 4 in parts:
        bench_window(n, bomb)
    return 0


def bench_bomb(n: int, bomb: Path) -> None:
    print("\n1. the deflate bomb, extract() in one process")
    letter = rounds_of("extract-letter", "", n)
    capped = rounds_of("extract-bomb", str(bomb), n)
    uncapped = rounds_of("uncapped-bomb", str(bomb), 1)
    ls, lm = med(letter, "s"), med(letter, "peak_mb")
    print(f"   anchor: one real letter          {ls * 1000:8.0f} ms  {lm:7.0f} MB peak")
    print(
        f"   bomb, capped (now)               {med(capped, 's') * 1000:8.0f} ms  {med(capped, 'peak_mb'):7.0f} MB peak"
        f"  ({med(capped, 's') / ls:.1f}× the letter's time, {med(capped, 'peak_mb') / lm:.2f}× its memory;"
        f" {capped[0].get('code')})"
    )
    if "s" in uncapped[0]:
        u = uncapped[0]
        print(
            f"   bomb, no cap (before, 1 round)   {u['s'] * 1000:8.0f} ms  {u['peak_mb']:7.0f} MB peak"
            f"  ({u['s'] / med(capped, 's'):.0f}× the capped time, {u['peak_mb'] / med(capped, 'peak_mb'):.1f}× its memory)"
        )
    else:
        print(f"   bomb, no cap (before): did not finish: {uncapped[0].get('error')}")


def bench_line(n: int) -> None:
    print("\n2. a 45 MB one-line .txt, extract() in one process")
    text = rounds_of("extract-text", "", n)
    line = rounds_of("extract-line", "", n)
    ts, tm = med(text, "s"), med(text, "peak_mb")
    print(f"   anchor: one real text letter     {ts * 1000:8.0f} ms  {tm:7.0f} MB peak")
    print(
        f"   one-line text                    {med(line, 's') * 1000:8.0f} ms  {med(line, 'peak_mb'):7.0f} MB peak"
        f"  ({med(line, 's') / ts:.1f}× the letter's time, {med(line, 'peak_mb') / tm:.2f}× its memory;"
        f" {line[0].get('code')})"
    )


def bench_mutants(n: int, count: int, tmp: Path) -> None:
    print(f"\n3. {count} letters through the extract command's path (a bounded worker, JSON back)")
    originals = rounds_of("originals", str(tmp / f"{count}-originals"), n)
    mutated = rounds_of("mutants", str(tmp / f"{count}-mutants"), n)
    os_, om = med(originals, "s"), med(originals, "peak_mb")
    print(f"   anchor: {count} unmutated letters    {os_:8.1f} s   {om:7.0f} MB peak")
    print(
        f"   {count} mutated letters             {med(mutated, 's'):8.1f} s   {med(mutated, 'peak_mb'):7.0f} MB peak"
        f"  ({med(mutated, 's') / os_:.2f}× the time, {med(mutated, 'peak_mb') / om:.2f}× the memory)"
    )
    print(f"   outcomes: {mutated[0].get('codes')}")
    inproc = run("mutants-inprocess", str(tmp / f"{count}-inprocess"))
    if inproc.get("no_ocr_s"):
        print(
            f"   in one process, extract() of the mutants: {inproc['s']:.1f} s with OCR of the pages that come out "
            f"blank, {inproc['no_ocr_s']:.1f} s without ({inproc['s'] / inproc['no_ocr_s']:.1f}×)"
        )


def bench_window(n: int, bomb: Path) -> None:
    print("\n4. the window while the bomb's page is drawn")
    before = rounds_of("render-inprocess", str(bomb), 1)
    after = rounds_of("render-window", str(bomb), n)
    if "stall_ms" in before[0]:
        b = before[0]
        print(
            f"   before: pdfium on the GUI thread (1 round)  longest stall {b['stall_ms']:8.0f} ms, "
            f"{b['peak_mb']:6.0f} MB in the window's process"
        )
    else:
        print(f"   before: did not finish: {before[0].get('error')}")
    a_stall, a_mb = med(after, "stall_ms"), med(after, "window_mb")
    print(
        f"   now: render process                          longest stall {a_stall:8.0f} ms, "
        f"{a_mb:6.0f} MB in the window's process; page back in {med(after, 'page_s'):.1f} s as "
        f"{'a message' if after[0].get('failed') else 'an image'}"
    )
    if "stall_ms" in before[0]:
        print(
            f"   ratio: the stall is {before[0]['stall_ms'] / a_stall:.0f}× shorter, the window's memory "
            f"{before[0]['peak_mb'] / a_mb:.1f}× smaller"
        )


if __name__ == "__main__":
    sys.exit(main())
