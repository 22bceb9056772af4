"""OCR of fax-like scans of the shared letters, scored against the records of the same letters' text PDFs.

    python benchmarks/ocr_bench.py [--letters 20] [--engine rapidocr|tesseract|rapidocr-onnxruntime]
                                   [--models shipped|wheel|DIR] [--workers 2] [--dpi 200] [--show 10]

Each letter (spread over the sorted corpus) is scanned with tests/scans.py (200 dpi grey, turned by up to
1.5°, speckles, JPEG) into an image-only PDF, read with OCR, and compared value by value with the record
of its text PDF (tests/scans.py ``compare_records``: the header, reviewer, patient, diagnoses and each item's
treatment, decision, families and modified-request parts; paragraphs by similarity, apart). Prints:

- case numbers right, decisions right (every item's decision, and no item more or less), of N letters;
- field accuracy (values equal to the text PDF's), wrong values at or above the review threshold (0.8),
  missed values (empty where the text PDF has one), paragraphs' mean similarity;
- seconds per scanned page (render, orientation, skew, OCR, layout), beside the anchor measured in the same
  run in the same process: reading the same letter's text layer (seconds per page and the ratio);
- what the engine adds to an install: the size of its distributions on disk, beside PySide6's.

``--models`` picks RapidOCR's models: ``shipped`` (resources/ocr, the smaller weights the app loads), ``wheel``
(the float models inside the rapidocr wheel they are derived from) or a folder holding models of the same
names; run it with two of them in one session to compare them on the same machine load.

``--engine tesseract`` needs tesserocr and an English traineddata (TESSDATA_PREFIX or Debian's
tesseract-ocr-eng); ``--engine rapidocr-onnxruntime`` needs that package (it installs opencv-python, which
conflicts with the headless OpenCV that rapidocr uses: use another virtual environment). Both are for the
comparison in docs/ocr.md only; imrdesk ships rapidocr.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

THRESHOLD = 0.8


# ---------------------------------------------------------------------------------------------- engines


class TesseractEngine:
    """Tesseract 5 through tesserocr, LSTM engine, automatic page segmentation."""

    name = "tesseract"

    def __init__(self) -> None:
        import tesserocr

        path = os.environ.get("TESSDATA_PREFIX") or next(
            (
                p
                for p in ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata")
                if Path(p, "eng.traineddata").exists()
            ),
            None,
        )
        self.api = tesserocr.PyTessBaseAPI(path=path, lang="eng", psm=tesserocr.PSM.AUTO)
        self.version = (
            f"tesseract {tesserocr.tesseract_version().split()[1]} (tesserocr {tesserocr.__version__})"
        )

    def read(self, image):
        import tesserocr

        from imrdesk.extract.ocr import EngineWord

        self.api.SetImage(image)
        self.api.Recognize()
        words = []
        it = self.api.GetIterator()
        level = tesserocr.RIL.WORD
        while True:
            text = it.GetUTF8Text(level)
            box = it.BoundingBox(level)
            if text and text.strip() and box:
                words.append(EngineWord(text.strip(), it.Confidence(level) / 100.0, *box))
            if not it.Next(level):
                break
        return words


class RapidOnnxEngine:
    """rapidocr-onnxruntime 1.4 (PP-OCRv4): line boxes only, split into words by character count."""

    name = "rapidocr-onnxruntime"

    def __init__(self) -> None:
        from importlib.metadata import version

        from rapidocr_onnxruntime import RapidOCR

        self.ocr = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, use_cls=False)
        self.version = f"rapidocr-onnxruntime {version('rapidocr-onnxruntime')}"

    def read(self, image):
        import re

        import numpy as np

        from imrdesk.extract.ocr import EngineWord

        result, _ = self.ocr(np.asarray(image.convert("RGB")), use_cls=False)
        words = []
        for quad, text, score in result or ():
            xs, ys = [p[0] for p in quad], [p[1] for p in quad]
            x0, x1, top, bottom = min(xs), max(xs), min(ys), max(ys)
            per_char = (x1 - x0) / max(1, len(text))
            for m in re.finditer(r"\S+", text):
                words.append(
                    EngineWord(
                        m.group(),
                        float(score),
                        x0 + m.start() * per_char,
                        top,
                        x0 + m.end() * per_char,
                        bottom,
                    )
                )
        return words


def models_folder(models: str) -> Path | None:
    """``--models``: None for the shipped ones, else the folder to load them from."""
    if models == "shipped":
        return None
    if models == "wheel":
        from importlib.util import find_spec

        spec = find_spec("rapidocr")
        return Path(next(iter(spec.submodule_search_locations))) / "models"
    return Path(models)


def make_engine(name: str, models: str = "shipped"):
    from imrdesk.extract.ocr import RapidEngine

    if name == "tesseract":
        return TesseractEngine()
    if name == "rapidocr-onnxruntime":
        return RapidOnnxEngine()
    engine = RapidEngine(threads=1, models=models_folder(models))
    engine.model_paths()  # fail here, not on every page, when a model is missing
    return engine


# ------------------------------------------------------------------------------------------------- work

_ENGINE = None


def _init(name: str, models: str) -> None:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    global _ENGINE
    _ENGINE = make_engine(name, models)


def one_letter(job: tuple[str, int, int]) -> dict:
    """Scan one letter, read the scan, and read the text PDF (the anchor), in this process."""
    from scans import FAX, ScanStyle, compare_records, scan_pdf, text_similarities

    from imrdesk.extract import extract, extract_document, load
    from imrdesk.extract.scanned import finish, with_ocr

    path, seed, dpi = job
    src = Path(path)
    scan = scan_pdf(src, seed=seed, style=ScanStyle(**{**FAX.__dict__, "dpi": dpi}))
    t0 = time.process_time()
    text_rec = extract(src)
    text_s = time.process_time() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    doc = load(scan, src.name)
    doc, run = with_ocr(doc, scan, engine=_ENGINE)
    rec = finish(extract_document(doc, src.name, "scan"), run)
    ocr_s, ocr_cpu = time.perf_counter() - t0, time.process_time() - c0
    comparisons = compare_records(rec, text_rec)
    return {
        "file": src.name,
        "pages": text_rec["pages"],
        "text_s": text_s,
        "ocr_s": ocr_s,
        "ocr_cpu": ocr_cpu,
        "engine": getattr(_ENGINE, "version", _ENGINE.name),
        "models": str(getattr(_ENGINE, "models", "")),
        "error": rec["error"],
        "case_right": rec["case_number"] == text_rec["case_number"],
        "decisions_right": [i["decision"] for i in rec["items"]]
        == [i["decision"] for i in text_rec["items"]],
        "values": [
            (
                c.path,
                c.right,
                c.wrong,
                c.missed,
                c.confidence,
                c.expected,
                c.got,
                ((rec.get("provenance") or {}).get(c.path) or {}).get("ocr_confidence"),
            )
            for c in comparisons
        ],
        "texts": text_similarities(rec, text_rec),
    }


def dist_size(names: list[str]) -> int:
    """Bytes on disk of installed distributions (their RECORD's files)."""
    from importlib.metadata import PackageNotFoundError, distribution

    total = 0
    for name in names:
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        for f in dist.files or ():
            p = Path(dist.locate_file(f))
            if p.is_file():
                total += p.stat().st_size
    return total


# What each engine adds to an install: its distributions and those it pulls in that imrdesk had not already
# (for rapidocr: what `pip install` added to the project's environment).
ENGINE_DISTS = {
    "rapidocr": [
        "rapidocr",
        "onnxruntime",
        "opencv-python-headless",
        "shapely",
        "pyclipper",
        "omegaconf",
        "antlr4-python3-runtime",
        "colorlog",
        "flatbuffers",
        "protobuf",
        "pyyaml",
        "requests",
        "certifi",
        "idna",
        "urllib3",
        "charset-normalizer",
        "six",
        "tqdm",
    ],
    "rapidocr-onnxruntime": [
        "rapidocr-onnxruntime",
        "onnxruntime",
        "opencv-python",
        "shapely",
        "pyclipper",
        "flatbuffers",
        "protobuf",
        "pyyaml",
        "six",
        "tqdm",
    ],
    "tesseract": ["tesserocr"],
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folder", default=str(ROOT.parent / "shared" / "corpus" / "pdf"))
    ap.add_argument("--letters", type=int, default=20)
    ap.add_argument("--engine", default="rapidocr", choices=["rapidocr", "tesseract", "rapidocr-onnxruntime"])
    ap.add_argument("--models", default="shipped", help="RapidOCR's models: shipped, wheel or a folder")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--show", type=int, default=10, help="print up to N wrong or missed values")
    args = ap.parse_args()
    paths = sorted(Path(args.folder).glob("*.pdf"))
    if not paths:
        sys.exit(f"no PDFs in {args.folder}")
    step = max(1, len(paths) // args.letters)
    chosen = paths[::step][: args.letters]
    jobs = [(str(p), k, args.dpi) for k, p in enumerate(chosen)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers, initializer=_init, initargs=(args.engine, args.models)) as pool:
        results = list(pool.map(one_letter, jobs))
    wall = time.perf_counter() - t0

    values = [v for r in results for v in r["values"]]
    right = sum(v[1] for v in values)
    wrong_high = [
        (r["file"], v) for r in results for v in r["values"] if v[2] and (v[4] is None or v[4] >= THRESHOLD)
    ]
    missed = [(r["file"], v) for r in results for v in r["values"] if v[3]]
    wrong = [(r["file"], v) for r in results for v in r["values"] if v[2]]
    texts = [s for r in results for _, s in r["texts"]]
    pages = sum(r["pages"] for r in results)
    ocr_pp = [r["ocr_cpu"] / r["pages"] for r in results]
    ocr_wall_pp = [r["ocr_s"] / r["pages"] for r in results]
    text_pp = [r["text_s"] / r["pages"] for r in results]
    from imrdesk.extract.ocr import MODELS

    if results[0]["models"]:
        sizes = ", ".join(
            f"{p.name} {p.stat().st_size / 1e6:.1f} MB"
            for p in sorted(Path(results[0]["models"]).glob("*.onnx"))
            if p.name in MODELS
        )
        print(f"models ({args.models}): {results[0]['models']}: {sizes}")
    print(
        f"engine: {results[0]['engine']}; {len(results)} letters, {pages} pages, scans at {args.dpi} dpi; "
        f"{args.workers} worker processes, one engine thread each"
    )
    errors = [(r["file"], r["error"]["code"]) for r in results if r["error"]]
    print(f"records with an error: {len(errors)} {errors if errors else ''}")
    print(
        f"case numbers right: {sum(r['case_right'] for r in results)}/{len(results)}; "
        f"decisions right: {sum(r['decisions_right'] for r in results)}/{len(results)}"
    )
    print(
        f"field accuracy: {right}/{len(values)} = {right / len(values):.1%}; wrong values: {len(wrong)}, "
        f"at or above the review threshold {THRESHOLD}: {len(wrong_high)}; missed values: {len(missed)}"
    )
    print(
        f"paragraphs: mean similarity {statistics.mean(texts):.3f}, at least 0.98: "
        f"{sum(s >= 0.98 for s in texts)}/{len(texts)}"
    )
    right_conf = [v[4] for v in values if v[1] and v[4] is not None]
    print(
        f"right values below the threshold (sent to review needlessly): "
        f"{sum(c < THRESHOLD for c in right_conf)}/{len(right_conf)}"
    )
    print(
        f"CPU seconds per scanned page: mean {statistics.mean(ocr_pp):.2f}, median {statistics.median(ocr_pp):.2f}, "
        f"max {max(ocr_pp):.2f}; anchor, the text layer of the same letters in the same processes: "
        f"{statistics.mean(text_pp):.3f} CPU s/page (OCR is {statistics.mean(ocr_pp) / statistics.mean(text_pp):.0f}x)"
    )
    print(
        f"elapsed seconds per scanned page in a process: mean {statistics.mean(ocr_wall_pp):.2f} (more than the CPU "
        f"seconds when other programs share the cores); the whole run: {wall:.0f} s, {wall / pages:.2f} s per page "
        f"over {args.workers} processes, load average {os.getloadavg()[0]:.1f} at the end"
    )
    engine_mb = dist_size(ENGINE_DISTS[args.engine]) / 1e6
    qt_mb = dist_size(["PySide6-Essentials", "shiboken6"]) / 1e6
    print(
        f"installed size of the engine and what it pulls in: {engine_mb:.0f} MB; anchor, PySide6-Essentials + "
        f"shiboken6 in the same environment: {qt_mb:.0f} MB"
    )
    needless = [
        (r["file"], v) for r in results for v in r["values"] if v[1] and v[4] is not None and v[4] < THRESHOLD
    ]
    for file, v in needless[: args.show]:
        print(f"  right but doubted: {file} {v[0]} {v[6]!r} (confidence {v[4]}, weakest OCR word {v[7]})")
    for file, v in (wrong_high + [m for m in missed if m not in wrong_high])[: args.show]:
        print(
            f"  {file} {v[0]}: expected {v[5]!r}, got {v[6]!r} (confidence {v[4]}, weakest OCR word {v[7]})"
        )
    ocr_conf_wrong = sorted(v[7] for _, v in wrong if v[7] is not None)
    ocr_conf_right = sorted(v[7] for v in values if v[1] and v[7] is not None)
    if ocr_conf_wrong:
        print(f"weakest OCR word under wrong values: {ocr_conf_wrong}")
    if ocr_conf_right:
        q = statistics.quantiles(ocr_conf_right, n=20)
        print(
            f"weakest OCR word under right values: 5% {q[0]:.3f}, 10% {q[1]:.3f}, median {statistics.median(ocr_conf_right):.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
