"""Letters per second of the two PDF readers and of the real import, beside a bare pdfplumber loop.

    python benchmarks/import_bench.py [FOLDER] [--repeat N] [--workers N]

FOLDER defaults to the shared corpus (../shared/corpus/pdf). In one run, each measured ``--repeat`` times
(median):

- the anchor: a bare ``pdfplumber`` loop (open, ``extract_words`` on every page), what the reference reader
  costs at the least;
- ``extract(reader="reference")`` and ``extract(reader="fast")`` in this process, OCR off (the text layer
  is what is compared; a letter the fast reading doubts is read again by pdfplumber, and counts);
- the text layer alone: ``load_pdf`` (pdfplumber) and ``load_pdf_fast`` (pdfium) into a Document;
- ``main.py import FOLDER`` into a new database (worker processes, the store, everything a reviewer waits
  for), which reads with the fast reader; with ``--copies N`` also a pile of N copies of every letter (each
  with a comment after its end of file, so the bytes differ and none is a duplicate; the case numbers
  repeat, so each copy is flagged as a possible duplicate), where the start of the workers counts less.

Printed as letters/s and as ratios to the anchor, so runs on different machines compare.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pdfplumber  # noqa: E402

from imrdesk.extract import extract_with_reader  # noqa: E402
from imrdesk.extract.document import load_pdf  # noqa: E402
from imrdesk.extract.pdfium_text import load_pdf_fast  # noqa: E402


def anchor(letters: list[tuple[str, bytes]]) -> None:
    import io

    for _name, data in letters:
        with pdfplumber.open(io.BytesIO(data), password="") as pdf:
            for page in pdf.pages:
                page.extract_words()


def extractor(reader: str) -> Callable[[list[tuple[str, bytes]]], None]:
    def run(letters: list[tuple[str, bytes]]) -> None:
        for name, data in letters:
            record, _used = extract_with_reader(data, name=name, reader=reader, ocr=False)
            assert record["error"] is None, (name, record["error"])

    return run


def loader(load: Callable[[bytes], object]) -> Callable[[list[tuple[str, bytes]]], None]:
    def run(letters: list[tuple[str, bytes]]) -> None:
        for _name, data in letters:
            load(data)

    return run


def pile(letters: list[tuple[str, bytes]], copies: int, folder: Path) -> list[tuple[str, bytes]]:
    """``copies`` copies of every letter written to ``folder``, each with its own bytes."""
    out = []
    for n in range(copies):
        for name, data in letters:
            copy = (f"{Path(name).stem}-{n}.pdf", data + f"\n%copy {n}\n".encode())
            (folder / copy[0]).write_bytes(copy[1])
            out.append(copy)
    return out


def importer(folder: Path, workers: int) -> Callable[[list[tuple[str, bytes]]], None]:
    def run(letters: list[tuple[str, bytes]]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            command = [
                sys.executable,
                str(ROOT / "main.py"),
                "import",
                str(folder),
                "--db",
                f"{tmp}/bench.db",
            ]
            command += ["--workers", str(workers)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"the import failed:\n{done.stdout}\n{done.stderr}")

    return run


def median_rate(fn: Callable[[list[tuple[str, bytes]]], None], letters, repeat: int) -> float:
    rates = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(letters)
        rates.append(len(letters) / (time.perf_counter() - t0))
    return statistics.median(rates)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", nargs="?", default=str(ROOT.parent / "shared" / "corpus" / "pdf"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the import (default 2)")
    ap.add_argument("--copies", type=int, default=0, help="also import a pile of N copies of every letter")
    args = ap.parse_args()
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    folder = Path(args.folder)
    letters = [(p.name, p.read_bytes()) for p in sorted(folder.glob("*.pdf"))]
    if not letters:
        sys.exit(f"no PDFs in {folder}")
    extractor("fast")(letters[:3])  # warm imports and caches
    extractor("reference")(letters[:3])
    runs = [
        ("anchor: pdfplumber extract_words", anchor),
        ("extract, reference reader", extractor("reference")),
        ("extract, fast reader", extractor("fast")),
        ("text layer, pdfplumber (load_pdf)", loader(load_pdf)),
        ("text layer, pdfium (load_pdf_fast)", loader(load_pdf_fast)),
        (f"main.py import, {args.workers} workers", importer(folder, args.workers)),
    ]
    print(f"{len(letters)} letters from {folder}, median of {args.repeat}")
    rates = {}
    for label, fn in runs:
        rates[label] = median_rate(fn, letters, args.repeat)
        print(f"  {label:<40} {rates[label]:8.1f} letters/s", flush=True)
    if args.copies:
        with tempfile.TemporaryDirectory() as tmp:
            copies = pile(letters, args.copies, Path(tmp))
            label = f"main.py import, {len(copies)} letters"
            runs.append((label, None))
            rates[label] = median_rate(importer(Path(tmp), args.workers), copies, args.repeat)
            print(f"  {label:<40} {rates[label]:8.1f} letters/s", flush=True)
    base = rates[runs[0][0]]
    print("ratios to the anchor (higher is faster):")
    for label, _fn in runs:
        print(f"  {label:<40} {rates[label] / base:8.2f}x")
    fast, reference = rates["extract, fast reader"], rates["extract, reference reader"]
    print(f"fast reader / reference reader: {fast / reference:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
