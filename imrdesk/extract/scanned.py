"""Scanned pages of a PDF read by OCR, and what the record then says about it. No Qt here.

``with_ocr(doc, data)`` finds the pages of a loaded PDF that have no text layer (all of a scanned letter, or
some pages of a mixed one), renders them with pypdfium2, reads them with :mod:`imrdesk.extract.ocr` and
returns the document with their words in reading order, laid out like a text layer's, plus an
:class:`OcrRun`. After the parsers have made the record, ``finish(record, run)``:

- caps every value's confidence by the OCR confidence of the words under it (:func:`ocr_cap`): a value
  read from a doubtful word falls below the review threshold and goes to review;
- maps the value's boxes from the upright, straightened page the parsers saw back onto the page as it is
  shown (turned, skewed), in PDF points with the origin top-left, so the highlight lands on the scan;
- adds the contract key ``ocr`` (docs/ocr.md): ``{"engine", "pages", "dpi", "mean_confidence"}``, only on
  records of letters some of whose pages were read by OCR.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import median
from typing import TYPE_CHECKING

from .document import Document, Line, Word
from .ocr import RENDER_DPI, Engine, OcrError, OcrWord, PageReading, default_engine, read_page, sharpness
from .page_images import BlankPages, look_at

if TYPE_CHECKING:
    from PIL.Image import Image

# A value whose weakest OCR word was read with at least this confidence keeps its parser's confidence (up to
# the word's); below it, the value is put under the review threshold. Calibrated by benchmarks/ocr_bench.py.
HIGH_WORD_CONFIDENCE = 0.93
BELOW_REVIEW = 0.79  # the highest confidence a value from a doubtful word can have (the threshold is 0.8)
MIN_READ_CHARS = 20  # confident characters a page must give to count as read
MIN_MEAN_CONFIDENCE = 0.65  # and the mean confidence of its words
BLURRED = 50  # an unreadable page whose edges are softer than this (ocr.sharpness) is called blurred

Progress = Callable[[int, int], None]  # (pages read, pages to read)


class OcrCancelled(Exception):
    """Reading the scanned pages was cancelled."""


@dataclass
class OcrRun:
    engine: str
    dpi: int
    readings: list[PageReading] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def pages(self) -> list[int]:
        return [r.page for r in self.readings]

    def info(self) -> dict:
        words = [w for r in self.readings for w in r.words]
        mean = sum(w.confidence for w in words) / len(words) if words else 0.0
        return {
            "engine": self.engine,
            "pages": self.pages,
            "dpi": self.dpi,
            "mean_confidence": round(mean, 3),
        }


def blank_pages(doc: Document) -> list[int]:
    """1-based numbers of the pages without a word in their text layer."""
    used = {line.page for line in doc.lines} | {line.page for line in doc.running}
    return [n for n in range(1, doc.pages + 1) if n not in used]


# ------------------------------------------------------------------------------------------- reading


def _native_dpi(page, size: tuple[float, float]) -> float | None:
    """Resolution of the largest image on a page (pixels per inch as placed), or None without images."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    best = None
    try:
        for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
            if not isinstance(obj, pdfium.PdfImage):
                continue
            bounds = getattr(obj, "get_bounds", None) or obj.get_pos  # pypdfium2 5 / 4
            left, bottom, right, top = bounds()
            width_px, height_px = obj.get_px_size()
            inches = max(right - left, top - bottom) / 72.0
            if inches <= 0:
                continue
            area = (right - left) * (top - bottom)
            dpi = max(width_px, height_px) / inches
            if best is None or area > best[0]:
                best = (area, dpi)
    except Exception:  # an odd image object: judge the rendering instead
        return None
    return None if best is None else best[1]


def read_pages(
    data: bytes,
    pages: list[int],
    sizes: list[tuple[float, float]],
    *,
    engine: Engine | None = None,
    dpi: int = RENDER_DPI,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[PageReading]:
    """Render the given pages (1-based) of a PDF in grey and read each. Raises :class:`OcrError` when no page
    gives readable text (with the reason: too small, too blurred, or no text), OcrCancelled on cancel."""
    import pypdfium2 as pdfium

    engine = engine or default_engine()
    pdf = pdfium.PdfDocument(data, password="")
    readings: list[PageReading] = []
    problems: list[str] = []
    poor: set[int] = set()
    try:
        for done, number in enumerate(pages):
            if cancel is not None and cancel():
                raise OcrCancelled()
            page = pdf[number - 1]
            try:
                size = sizes[number - 1]
                bitmap = page.render(scale=dpi / 72.0, grayscale=True)
                image = bitmap.to_pil().convert("L")
                bitmap.close()
                try:
                    reading = read_page(
                        image, number, size, engine=engine, native_dpi=_native_dpi(page, size)
                    )
                except OcrError as exc:
                    problems.append(exc.message)
                    reading = None
                if reading is not None:
                    readings.append(reading)
                    if not readable(reading):
                        poor.add(number)
                        if _has_ink(image):
                            problems.append(_unreadable(number, image))
            finally:
                page.close()
            if progress is not None:
                progress(done + 1, len(pages))
    finally:
        pdf.close()
    if all(r.page in poor for r in readings):
        if problems:
            raise OcrError(problems[0])
        raise OcrError("This PDF has no text layer, and OCR found no text on its pages.")
    return readings


def readable(reading: PageReading) -> bool:
    """Whether OCR made something of a page: enough confident characters, and not mostly guesses (a clear
    scan reads at a mean confidence over 0.9; a blurred one that still yields words, well under)."""
    read = sum(len(w.text) for w in reading.words if w.confidence >= 0.5)
    return read >= MIN_READ_CHARS and reading.mean_confidence >= MIN_MEAN_CONFIDENCE


def _has_ink(image: Image) -> bool:
    import numpy as np

    pixels = np.asarray(image.reduce(4) if min(image.size) > 400 else image, dtype=np.uint8)
    paper = float(np.median(pixels))
    return bool((pixels < paper - 40).mean() > 0.002)  # marks clearly darker than the paper, sharp or not


def _unreadable(number: int, image: Image) -> str:
    edge = sharpness(image)
    if edge < BLURRED:
        return (
            f"Page {number} is a scanned image too blurred to read (edge sharpness {edge:.0f}; a clear scan "
            f"has over {2 * BLURRED})."
        )
    return f"Page {number} is a scanned image in which OCR found no text it could read."


# ------------------------------------------------------------------------------------------ layout


def _group(words: list[OcrWord]) -> list[Line]:
    """One upright page's words into lines by vertical overlap, each left to right, top to bottom."""
    rows: list[list[Word]] = []
    for w in sorted(words, key=lambda w: ((w.top + w.bottom) / 2, w.x0)):
        mid = (w.top + w.bottom) / 2
        for row in reversed(rows[-3:]):
            top = median(r.top for r in row)
            bottom = median(r.bottom for r in row)
            if top <= mid <= bottom and min(bottom, w.bottom) - max(top, w.top) > 0.5 * min(
                bottom - top, w.bottom - w.top
            ):
                row.append(w)
                break
        else:
            rows.append([w])
    rows.sort(key=lambda r: median((w.top + w.bottom) / 2 for w in r))
    return [Line(sorted(r, key=lambda w: w.x0)) for r in rows]


_PAGE_NUMBER = re.compile(r"^(page\s*)?\d{1,3}(\s*(of|/)\s*\d{1,3})?$|^-\s*\d{1,3}\s*-$", re.I)


def _lay_out(readings: list[PageReading]) -> tuple[dict[int, list[Line]], list[Line]]:
    """Lines of each read page (page numbers in the margins set apart, as the text layer's are), and the
    lines set apart; paragraph breaks marked by the gap before a line, as on a text layer."""
    by_page: dict[int, list[Line]] = {}
    running: list[Line] = []
    for r in readings:
        height = r.geometry.upright_size[1]
        kept = []
        for line in _group(r.words):
            margin = line.bottom < 0.09 * height or line.top > 0.91 * height
            (running if margin and _PAGE_NUMBER.match(line.text.strip()) else kept).append(line)
        by_page[r.page] = kept
    lines = [line for page in sorted(by_page) for line in by_page[page]]
    pitches = [
        b.top - a.top
        for a, b in zip(lines, lines[1:], strict=False)
        if a.page == b.page and 0 < b.top - a.top < 60
    ]
    pitch = median(pitches) if pitches else 14.0
    for i, line in enumerate(lines):
        prev = lines[i - 1] if i else None
        if prev is None:
            line.para_break = True
        elif (
            prev.page != line.page
        ):  # as on a text layer: a page break alone says nothing, a change of type does
            line.para_break = prev.starts_bold is not None and prev.starts_bold != line.starts_bold
        else:
            line.para_break = line.top - prev.top > 1.45 * pitch
    return by_page, running


def unscanned(seen: BlankPages) -> str:
    """Why a PDF without a word of text was not read by OCR."""
    if not seen.opened or seen.with_text:
        return (
            "No text can be read from this PDF: its pages draw text that cannot be decoded (the file looks "
            "damaged), and carry no scanned image for OCR to read."
        )
    return "This PDF has no text layer, and its pages carry no scanned image for OCR to read."


def with_ocr(
    doc: Document,
    data: bytes,
    *,
    engine: Engine | None = None,
    dpi: int = RENDER_DPI,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> tuple[Document, OcrRun | None]:
    """The document with its pages that have no text layer read by OCR (None when every page had text, or
    none of those without carries a scan: see :mod:`imrdesk.extract.page_images`). Raises
    :class:`OcrError` (code ``no_text_layer``) when none of those pages can be read and the PDF has no text
    at all; pages that cannot be read in a letter with other text are left empty."""
    pages = blank_pages(doc) if doc.kind == "pdf" else []
    if not pages:
        return doc, None
    seen = look_at(data, pages)  # only pages that carry a scan: a damaged text page is no picture to read
    if not seen.scanned:
        if doc.word_count:
            return doc, None
        raise OcrError(unscanned(seen))
    pages = seen.scanned
    t0 = time.perf_counter()
    engine = engine or default_engine()
    try:
        readings = read_pages(
            data, pages, doc.page_sizes, engine=engine, dpi=dpi, progress=progress, cancel=cancel
        )
    except OcrError:
        if doc.word_count:
            return doc, None
        raise
    by_page, running = _lay_out(readings)
    text_lines: dict[int, list[Line]] = {}
    for line in doc.lines:
        text_lines.setdefault(line.page, []).append(line)
    lines = [line for n in range(1, doc.pages + 1) for line in (by_page.get(n) or text_lines.get(n, []))]
    sizes = list(doc.page_sizes)
    for r in readings:
        sizes[r.page - 1] = r.geometry.upright_size
    name = getattr(engine, "version", None) or engine.name
    run = OcrRun(engine=name, dpi=dpi, readings=readings, seconds=round(time.perf_counter() - t0, 3))
    return Document(doc.kind, sizes, lines, raw_text=doc.raw_text, running=doc.running + running), run


# ------------------------------------------------------------------------------------------ record


def ocr_cap(word_confidence: float) -> float:
    """The highest confidence a value may keep when its weakest word was read with ``word_confidence``."""
    if word_confidence >= HIGH_WORD_CONFIDENCE:
        return word_confidence
    return round(BELOW_REVIEW * word_confidence / HIGH_WORD_CONFIDENCE, 3)


def _overlap(word: Word, box: list[float]) -> bool:
    """Whether most of a word lies inside a provenance box."""
    ix = min(word.x1, box[2]) - max(word.x0, box[0])
    iy = min(word.bottom, box[3]) - max(word.top, box[1])
    if ix <= 0 or iy <= 0:
        return False
    area = max((word.x1 - word.x0) * (word.bottom - word.top), 1e-6)
    return ix * iy >= 0.5 * area


def _spans(prov: dict) -> list[dict]:
    return prov.get("spans") or [{"page": prov.get("page"), "boxes": prov.get("boxes") or []}]


def finish(record: dict, run: OcrRun | None) -> dict:
    """Confidence caps, boxes on the shown pages and the ``ocr`` key (see the module's docstring)."""
    if run is None:
        return record
    words: dict[int, list[OcrWord]] = {r.page: r.words for r in run.readings}
    geometry = {r.page: r.geometry for r in run.readings}
    for prov in (record.get("provenance") or {}).values():
        if not isinstance(prov, dict):
            continue
        spans = _spans(prov)
        under = [
            w
            for s in spans
            for w in words.get(s.get("page"), ())
            if any(_overlap(w, b) for b in s.get("boxes") or [])
        ]
        if under:
            weakest = min(w.confidence for w in under)
            cap = ocr_cap(weakest)
            if weakest < HIGH_WORD_CONFIDENCE:  # the reviewer is told why the value is doubted
                prov["doubts"] = [
                    *(prov.get("doubts") or []),
                    f"a doubtful word in the scan (OCR {weakest:.0%})",
                ]
            for key in ("confidence", "confidence_before_rules"):
                if isinstance(prov.get(key), (int, float)):
                    prov[key] = round(min(prov[key], cap), 3)
            prov["ocr_confidence"] = round(min(w.confidence for w in under), 3)
        mapped = [
            {**s, "boxes": [geometry[s["page"]].to_shown(b) for b in s.get("boxes") or []]}
            if s.get("page") in geometry
            else s
            for s in spans
        ]
        prov["boxes"] = mapped[0]["boxes"]
        if "spans" in prov:
            prov["spans"] = mapped
    record["ocr"] = run.info()
    return record
