"""Figures and exports at scale (issue 17, items 3 and 5): stats, the HTML report, the insights count, the
CSV and Excel exports on databases of 10,000 and 100,000 letters, each beside the old path (every record
rebuilt in Python, the rules run again: ``tests/legacy_figures.py``) measured on a 2,000-letter database of
the same letters and scaled to the size, in one run.

    python benchmarks/scale_bench.py [--corpus DIR] [--sizes 10000,100000] [--repeat 3] [--keep]
    python benchmarks/scale_bench.py --db LARGE.db     # a database kept from an earlier run (e.g. 1,000,000)

The real letters (the shared corpus, else the copy in tests/fixtures/corpus) are imported once through the
real import path, then reviewed a little through the review service (decisions, dates, specialties, a
treatment changed, a confirmation, a finding dismissed, statuses, a letter removed), so corrections, audit,
dismissals and findings are there. Each larger database replicates those stored rows in SQL — every table
the app reads (documents with their derived columns, fields, items, citations, provenance, corrections,
audit, notes, dismissals, findings, item_facts, the search text and its full-text index), with distinct ids,
hashes and case numbers — and leaves out the original files (about 23 KiB a letter). Each figure is the
median of ``--repeat`` runs. Peak memory is the process's (``resource.getrusage``), after each size. The GIL
stall is the longest gap of a 1 ms ticker on the main thread while the insights count runs in a worker thread
(what the window's GUI thread would feel). Not part of the test suite.

The Excel export is left out where the dataset has more rows than a sheet holds (1,048,576). The window and
search on the same databases: ``benchmarks/window_scale_bench.py --db``.

Goals (issue 17, at 1M letters): stats ≤ 2 s, insights ≤ 3 s, CSV export ≥ 20,000 rows/s.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the old path, kept there for the comparison test

import legacy_figures as legacy  # noqa: E402

from imrdesk.cli import main as cli  # noqa: E402
from imrdesk.services import export, insights  # noqa: E402
from imrdesk.services.importing import import_paths  # noqa: E402
from imrdesk.services.report import render  # noqa: E402
from imrdesk.services.review import ReviewService  # noqa: E402
from imrdesk.store import Store  # noqa: E402

ANCHOR = 2000
# tables holding a letter's rows, parents first; (column, table whose ids it points to)
TABLES = (
    "documents",
    "fields",
    "items",
    "citations",
    "provenance",
    "corrections",
    "audit",
    "notes",
    "dismissals",
    "findings",
    "item_facts",
    "doc_text",
)
OWN_IDS = ("items", "citations", "audit", "notes")  # tables with an id of their own


def corpus(arg: str | None) -> list[Path]:
    for folder in (
        arg,
        ROOT.parent / "shared" / "corpus" / "pdf",
        ROOT / "tests" / "fixtures" / "corpus" / "pdf",
    ):
        if folder and sorted(Path(folder).glob("*.pdf")):
            return sorted(Path(folder).glob("*.pdf"))
    raise SystemExit("no letters found: pass --corpus DIR")


def base_database(pdfs: list[Path], db: Path) -> None:
    """The real letters through the real import path, then some reviewers' work through the service."""
    import_paths(db, pdfs, workers=2, timeout=120)
    with Store(db) as store:
        service = ReviewService(store, user="bench")
        ids = store.document_ids()
        for n, doc_id in enumerate(ids[:12]):
            rec = store.record(doc_id)
            if rec.get("error") or not rec["items"]:
                continue
            flip = "Overturned" if rec["items"][0]["decision"] == "Upheld" else "Upheld"
            if n % 4 == 0:
                service.correct(doc_id, "items[0].decision", flip)
            elif n % 4 == 1:
                service.correct(doc_id, "decision_date", "2016-06-15")
            elif n % 4 == 2:
                service.correct(doc_id, "reviewer.specialties", ["Neurology"])
            else:
                service.correct(doc_id, "items[0].treatment", "=Lumbar fusion L4-L5")
            service.confirm(doc_id, "patient.age")
        finding = next((r for r in map(store.record, ids) if r["findings"]), None)
        if finding:
            service.dismiss(finding["id"], finding["findings"][0]["key"])
        service.set_status_many(ids[:8], "reviewed")
        service.remove(ids[-1:])


def replicate(src: Path, dst: Path, letters: int) -> float:
    """``dst``: the letters of ``src`` copied in SQL until it holds ``letters`` letters; seconds taken."""
    shutil.copyfile(src, dst)
    conn = sqlite3.connect(dst, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    t0 = time.perf_counter()
    conn.execute("DELETE FROM files")  # the original bytes are left out
    base_n, base = conn.execute("SELECT count(*), max(id) FROM documents").fetchone()
    shift = {t: conn.execute(f"SELECT coalesce(max(id), 0) FROM {t}").fetchone()[0] for t in OWN_IDS}
    shift["documents"] = base
    rounds = -(-letters // base_n) - 1
    conn.execute("BEGIN")
    conn.execute("CREATE TEMP TABLE r (k INTEGER PRIMARY KEY)")
    conn.execute(
        "INSERT INTO r (k) WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < ?) "
        "SELECT k FROM n",
        (rounds,),
    )
    case = f"printf('BX%02d-%07d', r.k % 100, {{doc}} + r.k * {base})"
    for table in TABLES:
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        doc = "t.id" if table == "documents" else "t.doc_id"
        exprs = []
        for c in columns:
            if c == "id":
                exprs.append(f"t.id + r.k * {shift[table]}")
            elif c == "doc_id":
                exprs.append(f"t.doc_id + r.k * {base}")
            elif c == "item_id":
                exprs.append(f"t.item_id + r.k * {shift['items']}")
            elif c == "sha256":
                exprs.append("lower(hex(randomblob(32)))")
            elif c == "case_number":
                exprs.append(case.format(doc=doc))
            elif table == "fields" and c == "value":
                exprs.append(
                    f"CASE WHEN t.path = 'case_number' THEN json_quote({case.format(doc=doc)}) ELSE t.value END"
                )
            else:
                exprs.append(f"t.{c}")
        names = ", ".join(columns)
        conn.execute(
            f"INSERT INTO {table} ({names}) SELECT {', '.join(exprs)} FROM {table} t, r WHERE {doc} <= {base}"
        )
    last = conn.execute("SELECT id FROM documents ORDER BY id LIMIT 1 OFFSET ?", (letters - 1,)).fetchone()[0]
    for table in reversed(TABLES):  # trim to the exact count
        conn.execute(f"DELETE FROM {table} WHERE {'id' if table == 'documents' else 'doc_id'} > ?", (last,))
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return time.perf_counter() - t0


def median(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def gil_stall(fn: Callable[[], object]) -> float:
    """The longest gap, in ms, of a 1 ms ticker on this thread while ``fn`` runs in another thread."""
    done = threading.Event()
    worker = threading.Thread(target=lambda: (fn(), done.set()))
    longest, last = 0.0, time.perf_counter()
    worker.start()
    while not done.is_set():
        time.sleep(0.001)
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    worker.join()
    return longest * 1000


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----------------------------------------------------------------------------- the two paths
def new_stats(db: Path) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli(["--db", str(db), "stats", "--json"]) == 0


def old_stats(db: Path) -> None:
    import json

    with Store(db) as store:
        json.dumps({**store.stats(), "insights": legacy.compute(store).to_json()})


def new_report(db: Path, out: Path) -> None:
    with contextlib.redirect_stderr(io.StringIO()):
        assert cli(["--db", str(db), "report", "-o", str(out)]) == 0


def old_report(db: Path, out: Path) -> None:
    with Store(db) as store:
        ins = legacy.compute(store)
        ids = insights.select_ids(store)
        out.write_text(render(ins, quality=store.review_state(ids), database=db.name), encoding="utf-8")


def new_insights(db: Path) -> object:
    with Store(db) as store:
        return insights.compute(store)


def old_insights(db: Path) -> object:
    with Store(db) as store:
        return legacy.compute(store)


def new_export(db: Path, out: Path, fmt: str) -> int:
    with Store(db) as store:
        return export.export(store, out, fmt)


def old_export(db: Path, out: Path, fmt: str) -> int:
    with Store(db) as store:
        return legacy.export(store, out, fmt)


def measure(db: Path, work: Path, repeat: int, old: bool) -> dict:
    """Every figure on one database (``old``: by the old path instead)."""
    out: dict = {}
    out["stats"], _ = median(lambda: (old_stats if old else new_stats)(db), repeat)
    out["report"], _ = median(lambda: (old_report if old else new_report)(db, work / "r.html"), repeat)
    out["insights"], _ = median(lambda: (old_insights if old else new_insights)(db), repeat)
    out["stall_ms"] = gil_stall(lambda: (old_insights if old else new_insights)(db))
    for fmt in ("csv", "xlsx"):
        try:
            seconds, rows = median(
                lambda fmt=fmt: (old_export if old else new_export)(db, work / f"x.{fmt}", fmt), repeat
            )
        except ValueError:  # more rows than an Excel sheet holds: the export refuses, before writing
            continue
        out[fmt], out[f"{fmt}_rows"] = seconds, rows
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", help="folder of letters (default: the shared corpus)")
    ap.add_argument("--sizes", default="10000,100000", help="database sizes, comma-separated")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the databases (printed folder)")
    ap.add_argument(
        "--db", type=Path, help="measure this database (built before with --keep) instead of sizes"
    )
    args = ap.parse_args()
    sizes = [] if args.db else [int(s) for s in args.sizes.split(",") if s]
    work = Path(tempfile.mkdtemp(prefix="imrdesk-scale-"))
    try:
        base = work / "base.db"
        t = time.perf_counter()
        pdfs = corpus(args.corpus)
        base_database(pdfs, base)
        print(f"{len(pdfs)} letters imported and reviewed in {time.perf_counter() - t:.1f} s; load {_load()}")
        anchor_db = work / f"{ANCHOR}.db"
        replicate(base, anchor_db, ANCHOR)
        with Store(anchor_db) as store:  # the replicated rows count as the real ones: both paths agree
            assert insights.compute(store).to_json() == legacy.compute(store).to_json()
        old = measure(anchor_db, work, args.repeat, old=True)
        new_2k = measure(anchor_db, work, args.repeat, old=False)
        print(f"anchor: {ANCHOR} letters, {old['csv_rows']} item rows; peak memory {peak_mb():.0f} MB")
        _table(ANCHOR, new_2k, old, 1.0)
        if args.db:
            with Store(args.db) as store:  # upgraded first, if it is an older file
                n = store.lists.size()
            mb = args.db.stat().st_size / 2**20
            print(f"\n{args.db.name}: {n} letters, {mb:.0f} MB ({mb * 1024 / n:.1f} KiB a letter)")
            _table(n, measure(args.db, work, args.repeat, old=False), old, n / ANCHOR)
            print(f"peak memory: {peak_mb():.0f} MB; load {_load()}")
        for n in sizes:
            db = work / f"{n}.db"
            seconds = replicate(base, db, n)
            mb = db.stat().st_size / 2**20
            print(f"\n{n} letters: built in {seconds:.0f} s, {mb:.0f} MB ({mb * 1024 / n:.1f} KiB a letter)")
            figures = measure(db, work, args.repeat, old=False)
            _table(n, figures, old, n / ANCHOR)
            print(f"peak memory after {n}: {peak_mb():.0f} MB; load {_load()}")
            if not args.keep:
                db.unlink()
        if args.keep:
            print(f"databases kept in {work}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def _load() -> str:
    try:
        import os

        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _table(n: int, new: dict, old: dict, scale: float) -> None:
    """One line a figure: the new time, the old path's (on the anchor, scaled to ``n``), their ratio."""
    label = "old path" if scale == 1 else f"old path ×{scale:g} (anchor {ANCHOR})"
    print(f"  {'figure':<22}{'new':>12}{label:>34}{'ratio':>10}")
    for key, name in (("stats", "stats"), ("report", "report"), ("insights", "insights compute")):
        o = old[key] * scale
        if key == "report":  # the charts are drawn once whatever the size: scale only the count
            o = old["report"] + (old["insights"] * (scale - 1))
        print(f"  {name:<22}{new[key]:>10.2f} s{o:>32.2f} s{o / new[key]:>9.0f}×")
    for fmt in ("csv", "xlsx"):
        if fmt not in new:
            print(f"  {fmt + ' export':<22}{'(more rows than a sheet holds: refused)':>44}")
            continue
        rate, old_rate = new[f"{fmt}_rows"] / new[fmt], old[f"{fmt}_rows"] / old[fmt]
        print(
            f"  {fmt + ' export':<22}{new[fmt]:>10.2f} s{old[fmt] * scale:>32.2f} s{old[fmt] * scale / new[fmt]:>9.0f}×"
        )
        print(f"  {'  rows/s':<22}{rate:>12,.0f}{old_rate:>34,.0f}")
    print(f"  {'GIL stall (insights)':<22}{new['stall_ms']:>9.0f} ms{old['stall_ms']:>31.0f} ms")


if __name__ == "__main__":
    sys.exit(main())
