"""The documents list at scale: what the window's list costs at 20,000 and 100,000 letters.

    python benchmarks/list_bench.py [--letters 20000 100000] [--repeat 3] [--corpus ../shared/corpus]

The corpus letters are imported once (the real importer), then cloned inside SQLite into a database of N
letters (every table copied with new ids and hashes: the same values, the same indexes). On it, each of the
list's operations runs ``--repeat`` times (median printed): the ids of all letters in import order, sorted
by case and by decision date, the "To review" filter, a full-text search for a common word, the filter
counts, one page of rows (200, as the table shows them when it scrolls), and the window's first build of the
list (DocumentList.refresh, offscreen); beside them, what the list did before (every row loaded into Python).
The anchor, measured in the same run on the same file, is one scan of the letters
(``SELECT sum(n_items) FROM documents``): the least any question about every letter costs.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TABLES_BY_DOC = (
    "files",
    "fields",
    "provenance",
    "corrections",
    "dismissals",
    "findings",
    "audit",
    "notes",
    "doc_text",
)


def clone(src: Path, dest: Path, n: int) -> None:
    """A database of ``n`` letters made of copies of those in ``src`` (new ids, hashes and item ids)."""
    import shutil

    shutil.copy(src, dest)
    conn = sqlite3.connect(dest)
    base = [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY id")]
    cols = {
        t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")]
        for t in ("documents", "items", "citations", *TABLES_BY_DOC)
    }
    next_id = max(base) + 1
    conn.execute("BEGIN")
    while next_id <= n:
        for doc in base:
            if next_id > n:
                break
            d_cols = [c for c in cols["documents"] if c != "id"]
            conn.execute(
                f"INSERT INTO documents (id, {', '.join(d_cols)}) SELECT ?, "
                + ", ".join("sha256 || '-' || ?" if c == "sha256" else c for c in d_cols)
                + " FROM documents WHERE id = ?",
                (next_id, next_id, doc),
            )
            for t in TABLES_BY_DOC:
                other = [c for c in cols[t] if c != "doc_id" and not (t in ("audit", "notes") and c == "id")]
                conn.execute(
                    f"INSERT INTO {t} (doc_id, {', '.join(other)}) SELECT ?, {', '.join(other)} FROM {t} WHERE doc_id = ?",
                    (next_id, doc),
                )
            for (item_id,) in conn.execute("SELECT id FROM items WHERE doc_id = ?", (doc,)).fetchall():
                i_cols = [c for c in cols["items"] if c not in ("id", "doc_id")]
                cur = conn.execute(
                    f"INSERT INTO items (doc_id, {', '.join(i_cols)}) SELECT ?, {', '.join(i_cols)} FROM items WHERE id = ?",
                    (next_id, item_id),
                )
                c_cols = [c for c in cols["citations"] if c not in ("id", "item_id", "doc_id")]
                conn.execute(
                    f"INSERT INTO citations (item_id, doc_id, {', '.join(c_cols)}) SELECT ?, ?, {', '.join(c_cols)} "
                    "FROM citations WHERE item_id = ?",
                    (cur.lastrowid, next_id, item_id),
                )
            next_id += 1
    conn.execute("COMMIT")
    conn.close()


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def measure(db: Path, repeat: int) -> list[tuple[str, float]]:
    from imrdesk.store import ListQuery, Store

    rows = []
    with Store(db) as store:
        lists = store.lists
        anchor = timed(lambda: store.conn.execute("SELECT sum(n_items) FROM documents").fetchone(), repeat)
        rows.append(("anchor: one scan of the letters", anchor))
        # what the list did before: every row loaded into Python (the rows the old list model held)
        rows.append(("before: every row loaded", timed(lambda: store.list_documents(limit=10**7), repeat)))
        queries = {
            "ids, import order": ListQuery(),
            "ids, sorted by case": ListQuery(sort="case"),
            "ids, sorted by decision date": ListQuery(sort="decided", descending=True),
            "ids, To review": ListQuery(status="to_review"),
            "ids, search 'pain'": ListQuery(search="pain"),
        }
        ids = lists.ids(ListQuery())
        for label, q in queries.items():
            rows.append((label, timed(lambda q=q: lists.ids(q), repeat)))
        rows.append(("filter counts", timed(lambda: lists.counts(ListQuery()), repeat)))
        middle = ids[len(ids) // 2 : len(ids) // 2 + 200]
        rows.append(("a page of 200 rows", timed(lambda: lists.rows(middle), repeat)))
        rows.append(("snippets of a page, 'pain'", timed(lambda: lists.snippets("pain", middle), repeat)))
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from imrdesk.ui.doclist import DocumentList

    with Store(db) as store:
        widget = DocumentList()
        widget.resize(420, 800)
        widget.show()

        def build() -> None:
            widget.set_store(store)
            app.processEvents()

        rows.append(("window list: set_store + first paint", timed(build, repeat)))
        widget.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--letters", type=int, nargs="+", default=[20000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()
    from imrdesk.services.importing import import_paths

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "corpus.db"
        import_paths(base, [args.corpus / "pdf"], workers=2, timeout=120)
        for n in args.letters:
            db = Path(tmp) / f"list-{n}.db"
            t = time.perf_counter()
            clone(base, db, n)
            print(
                f"\n{n:,} letters (cloned in {time.perf_counter() - t:.0f} s, {db.stat().st_size / 1e6:.0f} MB)"
            )
            results = measure(db, args.repeat)
            anchor = results[0][1]
            for label, ms in results:
                print(f"  {label:40} {ms:9.1f} ms  {ms / anchor:8.1f} × anchor")
            db.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
