"""Extraction speed over a folder of letters, beside a bare pdfplumber ``extract_words`` loop in the same run.

    python benchmarks/extract_bench.py [FOLDER] [--repeat N]

FOLDER defaults to the shared corpus (../shared/corpus/pdf). Prints letters/s and pages/s for both, and the
overhead of everything imrdesk does beyond reading the words (layout, fields, citations, provenance).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pdfplumber  # noqa: E402

from imrdesk.extract import extract  # noqa: E402


def bare_loop(paths: list[Path]) -> int:
    pages = 0
    for path in paths:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_words()
                pages += 1
    return pages


def imrdesk_loop(paths: list[Path]) -> int:
    pages = 0
    for path in paths:
        rec = extract(path)
        assert rec["error"] is None, (path, rec["error"])
        pages += rec["pages"]
    return pages


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", nargs="?", default=str(ROOT.parent / "shared" / "corpus" / "pdf"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    paths = sorted(Path(args.folder).glob("*.pdf"))
    if not paths:
        sys.exit(f"no PDFs in {args.folder}")
    imrdesk_loop(paths[:3])  # warm imports and caches
    results = {}
    for label, fn in (("pdfplumber extract_words", bare_loop), ("imrdesk extract", imrdesk_loop)):
        best = None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            pages = fn(paths)
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        results[label] = (best, pages)
    print(f"{len(paths)} letters, best of {args.repeat} runs, one process")
    print(f"{'loop':28} {'seconds':>8} {'letters/s':>10} {'pages/s':>8}")
    for label, (secs, pages) in results.items():
        print(f"{label:28} {secs:8.2f} {len(paths) / secs:10.1f} {pages / secs:8.1f}")
    bare, ours = results["pdfplumber extract_words"][0], results["imrdesk extract"][0]
    print(
        f"imrdesk / bare time: {ours / bare:.2f}x  (overhead beyond reading words: {(ours - bare) / len(paths) * 1000:.1f} ms/letter)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
