"""Store and importer benchmark: prints, in one run,

1. import throughput of ``import_paths`` (2 workers) against a bare single-process pdfplumber
   ``extract_words`` loop over the same files (and the in-process ``extract`` loop, for reference);
2. database bytes per letter (total, and without the stored original files);
3. search latency p50/p95 on a database of 100,000 letters, built by re-keying the imported letters with
   SQL (new ids, sha256 and case numbers; the original-file blobs are not copied unless --with-files);
4. memory over a long import (a repeated corpus): RSS of the importing process and of the workers
   after every 100 letters.

    python benchmarks/store_bench.py [--corpus ../shared/corpus/pdf] [--letters 100000] [--long 600]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from imrdesk.services.importing import import_paths  # noqa: E402
from imrdesk.store import Store  # noqa: E402


def rss_mb(pid: int | None = None) -> float | None:
    try:
        for line in Path(f"/proc/{pid or 'self'}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    if pid is None:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return None


def children(pid: int) -> list[int]:
    out = []
    proc = Path("/proc")
    if not proc.is_dir():
        return out
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def repeated_corpus(pdfs: list[Path], folder: Path, copies: int) -> list[Path]:
    """``copies`` byte-distinct copies of every letter (a PDF comment appended: same content, new sha256)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for k in range(copies):
        for pdf in pdfs:
            dst = folder / f"{pdf.stem}-copy{k:03d}.pdf"
            data = pdf.read_bytes()
            dst.write_bytes(data if k == 0 else data + f"\n% benchmark copy {k}\n".encode())
            out.append(dst)
    return out


def bare_loop(files: list[Path]) -> None:
    import pdfplumber

    for f in files:
        with pdfplumber.open(f) as pdf:
            for page in pdf.pages:
                page.extract_words()


def cpu_children() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def bench_throughput(pdfs: list[Path], work: Path, repeat: int) -> Path:
    import multiprocessing

    files = repeated_corpus(pdfs, work / "throughput", repeat)
    n = len(files)

    t0 = time.perf_counter()
    bare_loop(files)
    bare = time.perf_counter() - t0

    # control: how much parallelism this machine gives right now (the bare loop split over 2 processes)
    ctx = multiprocessing.get_context("spawn")
    t0 = time.perf_counter()
    procs = [ctx.Process(target=bare_loop, args=(files[k::2],)) for k in range(2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    bare2 = time.perf_counter() - t0

    from imrdesk.extract import extract

    t0 = time.perf_counter()
    for f in files:
        extract(f)
    inproc = time.perf_counter() - t0

    db = work / "throughput.db"
    c0 = cpu_children()
    t0 = time.perf_counter()
    summary = import_paths(db, files, workers=2)
    imp = time.perf_counter() - t0
    worker_cpu = cpu_children() - c0
    assert summary["imported"] == n and not summary["failed"], summary

    print(
        f"1. Import throughput over {n} letters ({len(pdfs)} corpus PDFs x {repeat}), {os.cpu_count()} CPUs"
    )
    print(f"   bare pdfplumber extract_words loop, 1 process : {n / bare:6.2f} letters/s  ({bare:.1f} s)")
    print(f"   imrdesk extract() loop, 1 process (reference) : {n / inproc:6.2f} letters/s  ({inproc:.1f} s)")
    print(f"   import_paths, 2 workers, into SQLite          : {n / imp:6.2f} letters/s  ({imp:.1f} s)")
    print(f"   speed-up over the bare loop: {bare / imp:.2f}x")
    print(
        f"   control, bare loop split over 2 processes     : {n / bare2:6.2f} letters/s "
        f"({bare / bare2:.2f}x: the parallelism the machine gave at that moment)"
    )
    print(
        f"   workers' CPU time {worker_cpu:.1f} s over {imp:.1f} s: {worker_cpu / imp:.2f} cores busy on average"
    )
    return db


def bench_size(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    n = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    blobs = conn.execute("SELECT total(length(content)) FROM files").fetchone()[0]
    conn.execute("VACUUM")
    conn.close()
    size = db.stat().st_size
    print(f"2. Database size: {size / 1e6:.1f} MB for {n} letters = {size / n / 1024:.1f} KiB per letter")
    print(
        f"   of which original files {blobs / n / 1024:.1f} KiB/letter; extracted values, provenance, "
        f"audit and search index {(size - blobs) / n / 1024:.1f} KiB/letter"
    )


def build_large(src_db: Path, dst_db: Path, letters: int, with_files: bool) -> float:
    """Copy the letters of ``src_db`` (re-keyed) until ``dst_db`` holds ``letters`` letters."""
    s = Store(src_db)
    s.close()
    shutil.copyfile(src_db, dst_db)
    conn = sqlite3.connect(dst_db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    base_n = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    base = conn.execute("SELECT max(id) FROM documents").fetchone()[0]
    item_base = conn.execute("SELECT coalesce(max(id), 0) FROM items").fetchone()[0]
    cit_base = conn.execute("SELECT coalesce(max(id), 0) FROM citations").fetchone()[0]
    rounds = -(-letters // base_n) - 1
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    conn.execute("CREATE TEMP TABLE r (k INTEGER PRIMARY KEY)")
    conn.execute(
        "INSERT INTO r (k) WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < ?) "
        "SELECT k FROM n",
        (rounds,),
    )
    cols = (
        "file_name, source_path, kind, size, format, pages, status, error_code, error_message, imported_at, "
        "extracted_at, extractor, layout, decision_date, n_items, n_upheld, n_overturned, n_low, n_fields, "
        "n_corrected"
    )
    conn.execute(
        f"INSERT INTO documents (id, sha256, case_number, {cols}) "
        f"SELECT d.id + r.k * {base}, lower(hex(randomblob(32))), "
        f"printf('BX%02d-%07d', r.k % 100, d.id + r.k * {base}), {cols} FROM documents d, r WHERE d.id <= {base}"
    )
    if with_files:
        conn.execute(
            f"INSERT INTO files (doc_id, content) SELECT f.doc_id + r.k * {base}, f.content "
            f"FROM files f, r WHERE f.doc_id <= {base}"
        )
    conn.execute(
        f"INSERT INTO fields (doc_id, path, ord, value) SELECT f.doc_id + r.k * {base}, f.path, f.ord, "
        f"CASE WHEN f.path = 'case_number' THEN json_quote(printf('BX%02d-%07d', r.k % 100, f.doc_id + r.k * {base})) "
        f"ELSE f.value END FROM fields f, r WHERE f.doc_id <= {base}"
    )
    item_cols = (
        "idx, treatment, decision, original_request, authorized, disputed_portion, claims_administrator_guideline, "
        "maximus_guideline, rationale, claims_administrator_sources, maximus_sources, extra"
    )
    conn.execute(
        f"INSERT INTO items (id, doc_id, {item_cols}) SELECT i.id + r.k * {item_base}, i.doc_id + r.k * {base}, "
        f"{item_cols} FROM items i, r WHERE i.doc_id <= {base}"
    )
    cit_cols = "party, ord, source, title, chapter, section, pages, year, text, families, extra"
    conn.execute(
        f"INSERT INTO citations (id, item_id, doc_id, {cit_cols}) SELECT c.id + r.k * {cit_base}, "
        f"c.item_id + r.k * {item_base}, c.doc_id + r.k * {base}, {cit_cols} FROM citations c, r "
        f"WHERE c.doc_id <= {base}"
    )
    conn.execute(
        f"INSERT INTO provenance (doc_id, path, page, confidence, boxes, spans, extra) "
        f"SELECT p.doc_id + r.k * {base}, p.path, p.page, p.confidence, p.boxes, p.spans, p.extra "
        f"FROM provenance p, r WHERE p.doc_id <= {base}"
    )
    # the search text (the FTS5 index is filled by the table's triggers)
    conn.execute(
        f"INSERT INTO doc_text (doc_id, case_number, file_name, summary, treatments, rationales, guidelines) "
        f"SELECT t.doc_id + r.k * {base}, printf('BX%02d-%07d', r.k % 100, t.doc_id + r.k * {base}), "
        f"t.file_name, t.summary, t.treatments, t.rationales, t.guidelines FROM doc_text t, r WHERE t.doc_id <= {base}"
    )
    conn.execute(f"DELETE FROM documents WHERE id > {letters} AND id > {base}")  # trim to the exact count
    for table in ("fields", "provenance", "citations", "doc_text", "files"):
        conn.execute(f"DELETE FROM {table} WHERE doc_id NOT IN (SELECT id FROM documents)")
    conn.execute("DELETE FROM items WHERE doc_id NOT IN (SELECT id FROM documents)")
    conn.execute("COMMIT")
    conn.execute("INSERT INTO doc_text_fts (doc_text_fts) VALUES ('optimize')")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - t0


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def bench_search(src_db: Path, work: Path, letters: int, with_files: bool) -> None:
    big = work / "large.db"
    build = build_large(src_db, big, letters, with_files)
    store = Store(big)
    n = store.count_documents()
    size = big.stat().st_size
    print(
        f"3. Search on {n:,} letters (re-keyed copies of the corpus, built in {build:.0f} s; "
        f"{size / 1e9:.2f} GB{'' if with_files else ' without original files'})"
    )
    rec = store.record(7)
    words = [w for w in (rec["items"][0]["rationale"] or "").split() if w.isalpha()]
    queries = {
        "rare phrase": f'"{" ".join(words[5:9])}"',
        "case number": store.document_info(n // 2)["case_number"],
        "two words": "cervical radiculopathy",
        "common word": "MRI",
        "prefix": "acupunct*",
        "OR": "tramadol OR oxycodone",
    }
    runs = 40
    all_ms: list[float] = []
    for label, q in queries.items():
        store.search(q, limit=50)  # warm the page cache once
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            hits = store.search(q, limit=50)
            times.append((time.perf_counter() - t0) * 1000)
        all_ms += times
        matches = len(store.list_documents(query=q, limit=n))
        print(
            f"   {label:12} {q[:40]!r:44} {matches:>7,} letters match   "
            f"p50 {pct(times, 0.5):7.1f} ms   p95 {pct(times, 0.95):7.1f} ms   ({len(hits)} shown)"
        )
    print(
        f"   all queries: p50 {pct(all_ms, 0.5):.1f} ms, p95 {pct(all_ms, 0.95):.1f} ms (search(limit=50), snippets)"
    )
    t0 = time.perf_counter()
    rows = store.list_documents(limit=100000)
    print(
        f"   list_documents(limit=100000): {len(rows):,} rows in {(time.perf_counter() - t0) * 1000:.0f} ms"
    )
    t0 = time.perf_counter()
    store.stats()
    print(f"   stats(): {(time.perf_counter() - t0) * 1000:.0f} ms")
    store.close()
    big.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(big) + suffix).unlink(missing_ok=True)


def bench_memory(pdfs: list[Path], work: Path, total: int) -> None:
    copies = -(-total // len(pdfs))
    files = repeated_corpus(pdfs, work / "long", copies)[:total]
    db = work / "long.db"
    me = os.getpid()
    samples = []
    worker_peak = [0.0]

    def progress(ev):
        for pid in children(me):
            r = rss_mb(pid)
            if r:
                worker_peak[0] = max(worker_peak[0], r)
        if ev["done"] % 100 == 0 or ev["done"] == ev["total"]:
            ws = [rss_mb(p) or 0 for p in children(me)]
            samples.append((ev["done"], rss_mb(), max(ws) if ws else 0.0))

    t0 = time.perf_counter()
    summary = import_paths(db, files, workers=2, progress=progress)
    secs = time.perf_counter() - t0
    print(
        f"4. Memory over a long import: {summary['imported']} letters in {secs:.0f} s "
        f"({summary['imported'] / secs:.2f} letters/s; {summary['flagged']} flagged as repeated case numbers)"
    )
    print("   letters   importer RSS   largest worker RSS")
    for done, parent, worker in samples:
        print(f"   {done:>7}   {parent:9.1f} MB   {worker:12.1f} MB")
    print(f"   peak worker RSS seen: {worker_peak[0]:.1f} MB (workers are replaced every 200 letters)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "pdf"))
    ap.add_argument("--repeat", type=int, default=2, help="corpus copies for the throughput run (default 2)")
    ap.add_argument("--letters", type=int, default=100_000, help="letters in the search database")
    ap.add_argument("--long", type=int, default=600, help="letters in the long import (memory)")
    ap.add_argument("--with-files", action="store_true", help="copy original files into the search database")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: throughput,size,search,memory")
    args = ap.parse_args()
    pdfs = sorted(Path(args.corpus).glob("*.pdf"))
    if not pdfs:
        print(f"no PDFs in {args.corpus}", file=sys.stderr)
        return 2
    skip = set(filter(None, args.skip.split(",")))
    work = Path(tempfile.mkdtemp(prefix="imrdesk-bench-"))
    try:
        try:
            load = os.getloadavg()
            print(f"(load average at start: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f})")
        except OSError:
            pass
        db = None
        if "throughput" not in skip:
            db = bench_throughput(pdfs, work, args.repeat)
        if db is None:
            db = work / "plain.db"
            import_paths(db, pdfs, workers=2)
        if "size" not in skip:
            bench_size(db)
        if "search" not in skip:
            single = work / "single.db"
            import_paths(single, pdfs, workers=2)
            bench_search(single, work, args.letters, args.with_files)
        if "memory" not in skip:
            bench_memory(pdfs, work, args.long)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
