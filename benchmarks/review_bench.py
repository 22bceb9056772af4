"""One reviewer's correction, end to end below the window: what it costs and what it writes.

    python benchmarks/review_bench.py [--corpus ../shared/corpus] [--edits 200] [--repeat 3]

Imports the corpus letters (the real importer) into a temporary database, then, per run, corrects ``--edits``
values across the letters three ways, each followed by what the window needs to show the result:

- **service**: ``ReviewService.correct`` — one transaction; the change carries the refreshed record, so the
  window only adds the list row (``document_info``) and the dismissals.
- **two writes** (how the window did it before the review service): ``Store.set_value`` then
  ``Store.set_status`` (new -> in review), then the record read again — two transactions, two refreshes.
- **undo**: ``History.undo`` of each service correction.

The anchor is one bare ``Store.record`` read of the same letters, measured in the same run: figures are
printed as milliseconds and as multiples of the anchor (the machine is shared; ratios travel better). Also
printed: transactions and audit rows per correction (counted on the connection, not assumed).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from imrdesk.services.importing import import_paths  # noqa: E402
from imrdesk.services.review import ReviewService  # noqa: E402
from imrdesk.store import Store  # noqa: E402


class Counter:
    def __init__(self, store: Store) -> None:
        self.sql: list[str] = []
        store.conn.set_trace_callback(self.sql.append)

    def take(self) -> tuple[int, int]:
        begins = sum(1 for s in self.sql if s.lstrip().upper().startswith("BEGIN"))
        audits = sum(1 for s in self.sql if s.lstrip().upper().startswith("INSERT INTO AUDIT"))
        self.sql.clear()
        return begins, audits


def _ms(seconds: float, n: int) -> float:
    return seconds * 1000 / max(n, 1)


def run(db: Path, fresh: Path, edits: int, base_age: int) -> dict:
    """``db`` and ``fresh``: two copies of the same imported letters (every letter still new in each)."""
    store = Store(db)
    service = ReviewService(store, user="bench")
    ids = store.document_ids()
    targets = [ids[i % len(ids)] for i in range(edits)]
    count = Counter(store)

    t = time.perf_counter()
    for doc in targets:
        store.record(doc)
    anchor = _ms(time.perf_counter() - t, edits)

    count.take()
    t = time.perf_counter()
    for n, doc in enumerate(targets):
        change = service.correct(doc, "patient.age", base_age + n % 50)
        store.document_info(doc)
        store.dismissed_findings(doc, change.record)
    svc = _ms(time.perf_counter() - t, edits)
    svc_tx, svc_audit = count.take()

    t = time.perf_counter()
    for doc in targets:
        service.history(doc).undo()
    undo = _ms(time.perf_counter() - t, edits)
    store.close()

    store = Store(fresh)
    count = Counter(store)
    t = time.perf_counter()
    for n, doc in enumerate(targets):
        store.set_value(doc, "patient.age", base_age + 1 + n % 50, user="bench")
        if store.review_status(doc) == "new":
            store.set_status(doc, "in_review", user="bench")
        rec = store.record(doc)
        store.document_info(doc)
        store.dismissed_findings(doc, rec)
    two = _ms(time.perf_counter() - t, edits)
    two_tx, two_audit = count.take()
    store.close()
    return {
        "anchor": anchor,
        "service": svc,
        "undo": undo,
        "two_writes": two,
        "service_tx": svc_tx / edits,
        "service_audit": svc_audit / edits,
        "two_tx": two_tx / edits,
        "two_audit": two_audit / edits,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pdfs = args.corpus / "pdf"
    if not pdfs.is_dir():
        print(f"no corpus at {pdfs}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for r in range(args.repeat):
            # each run on freshly imported letters: the first edit of each moves it from new to in review
            db, fresh = Path(tmp) / f"review-{r}.db", Path(tmp) / f"fresh-{r}.db"
            import_paths(db, [pdfs], workers=2, timeout=120)
            src, dst = sqlite3.connect(db), sqlite3.connect(fresh)
            src.backup(dst)
            src.close()
            dst.close()
            results.append(run(db, fresh, args.edits, 30))
    print(f"{args.edits} corrections over the corpus letters, {args.repeat} runs (median; ms per correction)")
    print(f"{'':34}{'ms':>8}{'× anchor':>10}{'transactions':>14}{'audit rows':>12}")
    med = {k: statistics.median(r[k] for r in results) for k in results[0]}
    rows = (
        ("anchor: Store.record", "anchor", None),
        ("service.correct + row + dismissals", "service", "service"),
        ("History.undo", "undo", None),
        ("set_value + set_status + record", "two_writes", "two"),
    )
    for label, key, counts in rows:
        line = f"{label:34}{med[key]:8.2f}{med[key] / med['anchor']:10.2f}"
        if counts:
            line += f"{med[counts + '_tx']:14.2f}{med[counts + '_audit']:12.2f}"
        print(line)
    print(f"two writes / service: {med['two_writes'] / med['service']:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
