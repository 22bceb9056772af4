"""CSV and Excel export rates (issue 17: a research team exporting a million letters), each beside an anchor
measured in the same run: the bare cost of the same rows — the item rows and their letters' stored columns
read by one plain SELECT a chunk of letters (no letter fields, no corrections, no findings) and written as
they come by ``csv.writer`` (CSV) or by openpyxl's write-only sheet (Excel) — and the ratio of the two.

    python benchmarks/export_bench.py [--db FILE] [--letters 10000] [--xlsx-letters 5000] [--repeat 3]

Without ``--db`` a database of ``--letters`` letters is built the way ``scale_bench`` builds them (the real
letters imported and reviewed through the app, then replicated in SQL). ``--db`` is opened read-only and
never changed (a file that needs an upgrade is copied to a temporary folder first). Excel is measured on the
first ``--xlsx-letters`` letters (it is the slow one). Each figure is the median of ``--repeat`` runs, the
process's CPU seconds beside the wall clock (the machine may be shared; the CSV export writes on a second
thread, whose CPU time counts too). Not part of the test suite.

Goal (issue 17): CSV export ≥ 20,000 rows/s.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import scale_bench  # noqa: E402

from imrdesk.services import export  # noqa: E402
from imrdesk.store import Store, StoreError  # noqa: E402

CHUNK = 500
ANCHOR_SQL = (
    "SELECT d.id, d.file_name, d.case_number, d.format, d.status, d.error_code, d.error_message, d.pages, "
    "d.sha256, i.idx, i.treatment, i.decision, i.original_request, i.authorized, i.disputed_portion, "
    "i.claims_administrator_guideline, i.claims_administrator_sources, i.maximus_guideline, i.maximus_sources, "
    "i.rationale FROM documents d LEFT JOIN items i ON i.doc_id = d.id "
    "WHERE d.id IN (SELECT value FROM json_each(?)) ORDER BY d.id, i.idx"
)


def anchor_csv(db: Path, ids: list[int], out: Path) -> int:
    n = 0
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        for start in range(0, len(ids), CHUNK):
            rows = list(anchor_rows_chunk(db, ids[start : start + CHUNK]))
            writer.writerows(rows)
            n += len(rows)
    return n


_conns: dict[Path, sqlite3.Connection] = {}


def anchor_rows_chunk(db: Path, ids: list[int]) -> list[tuple]:
    conn = _conns.get(db) or _conns.setdefault(db, sqlite3.connect(f"file:{db}?mode=ro", uri=True))
    return conn.execute(ANCHOR_SQL, (json.dumps(ids),)).fetchall()


def anchor_xlsx(db: Path, ids: list[int], out: Path) -> int:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("items")
    n = 0
    for start in range(0, len(ids), CHUNK):
        for row in anchor_rows_chunk(db, ids[start : start + CHUNK]):
            sheet.append(row)
            n += 1
    wb.save(out)
    return n


def timed(fn: Callable[[], int], repeat: int, out: Path) -> tuple[float, float, int]:
    """Median wall and CPU seconds of ``repeat`` runs of ``fn``, and what it returned (rows); the file it
    writes, ``out``, is removed before each run (not timed: freeing the last run's file is no part of it)."""
    walls, cpus, rows = [], [], 0
    for _ in range(repeat):
        out.unlink(missing_ok=True)
        wall, cpu = time.perf_counter(), time.process_time()
        rows = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), rows


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def open_store(db: Path, work: Path) -> tuple[Store, Path]:
    try:
        return Store(db, read_only=True), db
    except StoreError as exc:
        copy = work / db.name
        print(f"{exc} — copying it to {copy}")
        shutil.copyfile(db, copy)
        return Store(copy), copy


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="an imrdesk database (default: build one of --letters letters)")
    ap.add_argument("--letters", type=int, default=10000, help="size of the database built without --db")
    ap.add_argument("--xlsx-letters", type=int, default=5000, help="letters the Excel export is timed on")
    ap.add_argument("--corpus", help="folder of letters to build from (default: the shared corpus)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="imrdesk-export-"))
    try:
        db = args.db
        if db is None:
            base, db = work / "base.db", work / f"{args.letters}.db"
            scale_bench.base_database(scale_bench.corpus(args.corpus), base)
            seconds = scale_bench.replicate(base, db, args.letters)
            print(f"{args.letters} letters replicated in {seconds:.0f} s")
        store, db = open_store(db, work)
        with store:
            ids = store.document_ids()
            print(f"{db.name}: {len(ids):,} letters, {db.stat().st_size / 2**20:,.0f} MB; load {load()}")
            results = []
            for fmt, chosen in (("csv", ids), ("xlsx", ids[: args.xlsx_letters])):
                out, base_out = work / f"new.{fmt}", work / f"anchor.{fmt}"
                bare = anchor_csv if fmt == "csv" else anchor_xlsx
                a = timed(lambda b=bare, c=chosen, o=base_out: b(db, c, o), args.repeat, base_out)
                e = timed(lambda f=fmt, c=chosen, o=out: export.export(store, o, f, ids=c), args.repeat, out)
                results.append((fmt, len(chosen), e, a, out.stat().st_size))
            print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        print(
            f"\n  {'':<6}{'letters':>9}{'rows':>10}{'export rows/s':>16}{'(cpu)':>10}{'anchor rows/s':>16}"
            f"{'(cpu)':>10}{'ratio':>8}{'file':>9}"
        )
        for fmt, letters, (wall, cpu, rows), (a_wall, a_cpu, a_rows), size in results:
            print(
                f"  {fmt:<6}{letters:>9,}{rows:>10,}{rows / wall:>16,.0f}{rows / cpu:>10,.0f}"
                f"{a_rows / a_wall:>16,.0f}{a_rows / a_cpu:>10,.0f}{(rows / wall) / (a_rows / a_wall):>7.2f}×"
                f"{size / 2**20:>6,.0f} MB"
            )
        print("\n  ratio: the export's rows/s over the anchor's (wall clock), both from this run")
    finally:
        for conn in _conns.values():
            conn.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
