"""Validation findings on the shared corpus: how many, and how many of them real.

    python benchmarks/findings_bench.py [--corpus ../shared/corpus] [--no-flat] [--context 1]

1. **Letters as published**: the corpus PDFs, the seed letters (.txt) and the 2013 notice fragment are imported
   into a temporary database (the real importer); every open finding is listed with the letter's lines around
   its value, so that a person can read each one and say whether it is real. The gold labels show the
   extraction of these letters is right field for field, so here a finding is a false alarm unless the
   letter itself is inconsistent.
2. **The same letters as flat text** (``--no-flat`` skips it): each PDF's text layer without its layout (no
   header table geometry, no bold headings) is imported as .txt, so the extractor falls back and makes real
   mistakes. Every value is compared with the PDF reading (the reference); a finding is *real* when the
   value it points at (or, for a missing item, the item count) differs from the reference, and each
   difference counts as *caught* when a finding points at it.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from imrdesk.extract import rules  # noqa: E402
from imrdesk.extract.letter import HEADER_FIELDS  # noqa: E402
from imrdesk.services.importing import import_paths  # noqa: E402
from imrdesk.store import Store  # noqa: E402

LETTER_PATHS = (
    *HEADER_FIELDS,
    "reviewer.licensure_states",
    "reviewer.specialties",
    "patient.age",
    "patient.sex",
)
ITEM_KEYS = (
    "treatment",
    "decision",
    "claims_administrator_guideline",
    "claims_administrator_sources",
    "maximus_guideline",
    "maximus_sources",
    "rationale",
)


def _get(rec: dict, path: str):
    node = rec
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _norm(value):
    return " ".join(value.split()) if isinstance(value, str) else value


def differences(ref: dict, got: dict) -> list[str]:
    """Paths where ``got`` disagrees with the reference reading (``items`` for a different item count)."""
    out = [p for p in LETTER_PATHS if _norm(_get(ref, p)) != _norm(_get(got, p))]
    ref_items, got_items = ref.get("items") or [], got.get("items") or []
    if len(ref_items) != len(got_items):
        out.append("items")
    for n, (a, b) in enumerate(zip(ref_items, got_items, strict=False)):
        out += [f"items[{n}].{k}" for k in ITEM_KEYS if _norm(a.get(k)) != _norm(b.get(k))]
    return out


def _import(db: Path, paths: list[Path]) -> Store:
    summary = import_paths(db, paths, workers=2, timeout=120)
    if summary["failed"]:
        print(f"  ({len(summary['failed'])} letters failed to import)")
    return Store(db)


def _lines_around(store: Store, doc_id: int, rec: dict, path: str, context: int) -> list[str]:
    """The letter's lines where the value stands (from its provenance), for reading the finding by hand."""
    prov = (rec.get("provenance") or {}).get(path)
    if not prov or not prov.get("boxes"):
        return []
    page, (_x0, top, _x1, bottom) = prov["page"], prov["boxes"][0]
    data = store.document_bytes(doc_id)
    if data[:5] != b"%PDF-":
        lines = data.decode("utf-8", "replace").splitlines()
        row = (page - 1) * 60 + int((top - 36) // 12)
        return lines[max(0, row - context) : row + context + 1]
    import io

    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        p = pdf.pages[page - 1]
        band = p.crop((0, max(0, top - 14 * context), p.width, min(p.height, bottom + 14 * context)))
        return (band.extract_text() or "").splitlines()


def published(corpus: Path, tmp: Path, context: int) -> None:
    paths = [corpus / "pdf", corpus / "seeds", corpus / "fragments"]
    store = _import(tmp / "published.db", [p for p in paths if p.exists()])
    counts = store.finding_counts()
    letters = store.count_documents()
    print(f"1. Letters as published: {letters} letters ({', '.join(p.name for p in paths if p.exists())})")
    print(f"   open findings: {counts['open']} in {counts['letters']} letters")
    for rule, n in counts["by_rule"].items():
        print(f"     {rule:24} {n:>4}   {rules.RULES[rule]}")
    for rec in store.records():
        for f in rec["findings"]:
            print(f"   - {rec['file']} {f['path']}: {f['message']}")
            for line in _lines_around(store, rec["id"], rec, f["path"], context):
                print(f"       | {line}")
    store.close()


def flat(corpus: Path, tmp: Path) -> None:
    import pdfplumber

    folder = tmp / "flat"
    folder.mkdir()
    pdfs = sorted((corpus / "pdf").glob("*.pdf"))
    for pdf_path in pdfs:
        with pdfplumber.open(pdf_path) as pdf:
            text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        (folder / f"{pdf_path.stem}.txt").write_text(text, encoding="utf-8")
    ref_store = _import(tmp / "reference.db", pdfs)
    flat_store = _import(tmp / "flat.db", [folder])
    ref = {r["file"].rsplit(".", 1)[0]: r for r in ref_store.records()}
    by_rule: collections.Counter = collections.Counter()
    real_by_rule: collections.Counter = collections.Counter()
    n_diff = caught = 0
    details = []
    for rec in flat_store.records():
        reference = ref[rec["file"].rsplit(".", 1)[0]]
        diffs = differences(reference, rec)
        pointed = {f["path"] for f in rec["findings"]}
        n_diff += len(diffs)
        caught += sum(1 for d in diffs if d in pointed)
        for f in rec["findings"]:
            real = f["path"] in diffs
            by_rule[f["rule"]] += 1
            real_by_rule[f["rule"]] += real
            details.append(
                f"   - {rec['file']} {f['path']}: {f['message']} [{'real' if real else 'false alarm'}]"
            )
        details += [f"     (missed) {rec['file']} {d}" for d in diffs if d not in pointed]
    total = sum(by_rule.values())
    print(f"2. The same {len(pdfs)} letters as flat text (PDF reading as the reference)")
    print(f"   open findings: {total}, real: {sum(real_by_rule.values())}")
    for rule in rules.RULES:
        if by_rule[rule]:
            print(f"     {rule:24} {by_rule[rule]:>4} ({real_by_rule[rule]} real)")
    print(f"   values that differ from the reference: {n_diff}, caught by a finding: {caught}")
    print("\n".join(details))
    ref_store.close()
    flat_store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--no-flat", action="store_true", help="skip the flat-text run")
    parser.add_argument(
        "--context", type=int, default=1, metavar="N", help="letter lines shown around a value"
    )
    args = parser.parse_args()
    if not (args.corpus / "pdf").is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        published(args.corpus, Path(tmp), args.context)
        if not args.no_flat:
            print()
            flat(args.corpus, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
