"""Test helper: fax-like scans of letters, saved as image-only PDFs (no text layer).

A page is rendered with pypdfium2 at ``dpi`` in grey, turned by a small angle (up to ``max_skew`` degrees,
either way) or by a quarter turn, sprinkled with speckle noise (dark specks on the paper, white specks in the
ink), JPEG-compressed, and written back as a PDF page of the same size in points. Everything is drawn from a
``random.Random(seed)``, so one seed gives one scan, byte for byte.

Used by the OCR tests and by ``benchmarks/ocr_bench.py``; nothing here is part of the product.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image


@dataclass(frozen=True)
class ScanStyle:
    """How rough a scan is."""

    dpi: int = 200
    max_skew: float = 1.5  # degrees, either way
    speckle: float = 0.002  # share of pixels turned into specks
    jpeg_quality: int = 55
    blur: float = 0.0  # Gaussian blur radius in pixels (0: none)
    quarter_turns: int = 0  # 1, 2, 3: the page lies turned by 90°, 180°, 270° clockwise
    angle: float | None = None  # this skew (degrees, anticlockwise) instead of a random one


FAX = ScanStyle()


def render_pages(pdf: bytes | Path, dpi: int = 200, pages: list[int] | None = None) -> list[Image.Image]:
    """Grey renderings of a PDF's pages (0-based ``pages``; all by default)."""
    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    doc = pdfium.PdfDocument(data, password="")
    try:
        wanted = range(len(doc)) if pages is None else pages
        out = []
        for index in wanted:
            page = doc[index]
            bitmap = page.render(scale=dpi / 72.0, grayscale=True)
            out.append(bitmap.to_pil().convert("L"))
            bitmap.close()
            page.close()
        return out
    finally:
        doc.close()


def roughen(image: Image.Image, style: ScanStyle, rng: random.Random) -> Image.Image:
    """Turn a clean grey page into what a fax machine makes of it (still grey, not yet compressed)."""
    from PIL import ImageFilter

    img = image.convert("L")
    if style.blur:
        img = img.filter(ImageFilter.GaussianBlur(style.blur))
    angle = rng.uniform(-style.max_skew, style.max_skew)
    if style.angle is not None:
        angle = style.angle
    img = img.rotate(angle, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=255)
    if style.quarter_turns % 4:
        # Image.rotate turns anticlockwise; a page fed turned clockwise by k quarters is turned back by -k.
        img = img.rotate(-90 * (style.quarter_turns % 4), expand=True)
    if style.speckle:
        pixels = np.asarray(img, dtype=np.uint8).copy()
        gen = np.random.default_rng(rng.getrandbits(32))
        mask = gen.random(pixels.shape) < style.speckle
        pixels[mask] = np.where(pixels[mask] > 128, gen.integers(0, 90, mask.sum()), 255).astype(np.uint8)
        # a faint grain over the whole sheet
        grain = gen.normal(0.0, 6.0, pixels.shape)
        pixels = np.clip(pixels.astype(np.float32) + grain, 0, 255).astype(np.uint8)
        img = Image.fromarray(pixels, mode="L")
    return img


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    out = Image.open(buf)
    out.load()
    return out


def images_pdf(images: list[Image.Image], dpi: int) -> bytes:
    """Image-only PDF: one JPEG page per image, each page as large in points as the image at ``dpi``."""
    buf = io.BytesIO()
    first, rest = images[0], images[1:]
    first.save(buf, "PDF", resolution=float(dpi), save_all=True, append_images=rest)
    return buf.getvalue()


def scan_pdf(
    pdf: bytes | Path, *, seed: int = 0, style: ScanStyle = FAX, pages: list[int] | None = None
) -> bytes:
    """A fax-like scan of a PDF letter: image-only pages, same page sizes in points."""
    rng = random.Random(seed)
    images = [
        jpeg(roughen(img, style, rng), style.jpeg_quality) for img in render_pages(pdf, style.dpi, pages)
    ]
    return images_pdf(images, style.dpi)


def mixed_pdf(pdf: bytes | Path, scanned: list[int], *, seed: int = 0, style: ScanStyle = FAX) -> bytes:
    """The letter with the pages in ``scanned`` (0-based) replaced by their scans; the others keep text."""
    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    scan = pdfium.PdfDocument(scan_pdf(data, seed=seed, style=style, pages=sorted(scanned)))
    src = pdfium.PdfDocument(data, password="")
    out = pdfium.PdfDocument.new()
    try:
        slot = {page: k for k, page in enumerate(sorted(scanned))}
        for index in range(len(src)):
            if index in slot:
                out.import_pages(scan, [slot[index]])
            else:
                out.import_pages(src, [index])
        buf = io.BytesIO()
        out.save(buf)
        return buf.getvalue()
    finally:
        out.close()
        src.close()
        scan.close()


def picture_pdf(seed: int = 0, size: tuple[int, int] = (1700, 2200), dpi: int = 200) -> bytes:
    """An image-only page of something that is not a letter: shapes and a few printed words."""
    from PIL import ImageDraw

    rng = random.Random(seed)
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x, y = rng.randrange(size[0] - 200), rng.randrange(size[1] - 200)
        draw.rectangle(
            [x, y, x + rng.randrange(40, 200), y + rng.randrange(40, 200)], fill=rng.randrange(0, 200)
        )
    return images_pdf([img], dpi)


# ------------------------------------------------------------------------------------ comparing records

LETTER_PATHS = (
    "case_number",
    "format",
    "date_assigned",
    "date_of_injury",
    "decision_date",
    "ur_denial_date",
    "application_received",
    "priority",
    "reviewer.licensure_states",
    "reviewer.specialties",
    "patient.age",
    "patient.sex",
    "injury.diagnoses",
)
ITEM_KEYS = (
    "treatment",
    "decision",
    "claims_administrator_sources",
    "maximus_sources",
    "original_request",
    "authorized",
    "disputed_portion",
)
# Paragraphs: compared by similarity, reported apart (an OCR slip in a 300-word summary is not a wrong value)
TEXT_PATHS = ("summary", "injury.mechanism", "injury.treatment_to_date")
ITEM_TEXT_KEYS = ("claims_administrator_guideline", "maximus_guideline", "rationale")


@dataclass
class Comparison:
    """One value of a scan's record beside the same value of the text PDF's record."""

    path: str
    expected: object
    got: object
    confidence: float | None

    @property
    def right(self) -> bool:
        return self.got == self.expected

    @property
    def missed(self) -> bool:
        return not self.right and self.got in (None, [], "")

    @property
    def wrong(self) -> bool:
        """A value that is there and differs (a missing value is ``missed``, not wrong)."""
        return not self.right and not self.missed


def _get(record: dict, path: str):
    node = record
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _confidence(record: dict, path: str) -> float | None:
    prov = (record.get("provenance") or {}).get(path)
    return prov.get("confidence") if isinstance(prov, dict) else None


def compare_records(got: dict, expected: dict) -> list[Comparison]:
    """The short values of two records of the same letter, one by one (items matched by position)."""
    out = [Comparison(p, _get(expected, p), _get(got, p), _confidence(got, p)) for p in LETTER_PATHS]
    got_items, exp_items = got.get("items") or [], expected.get("items") or []
    for n, exp in enumerate(exp_items):
        item = got_items[n] if n < len(got_items) else {}
        for key in ITEM_KEYS:
            path = f"items[{n}].{key}"
            out.append(Comparison(path, exp.get(key), item.get(key), _confidence(got, path)))
    for n in range(len(exp_items), len(got_items)):  # items the scan has and the letter has not
        for key in ITEM_KEYS:
            path = f"items[{n}].{key}"
            out.append(Comparison(path, None, got_items[n].get(key), _confidence(got, path)))
    return out


def similarity(a: str | None, b: str | None) -> float:
    from difflib import SequenceMatcher

    a, b = " ".join((a or "").split()), " ".join((b or "").split())
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def text_similarities(got: dict, expected: dict) -> list[tuple[str, float]]:
    """(path, similarity 0..1) of every paragraph value."""
    out = [(p, similarity(_get(got, p), _get(expected, p))) for p in TEXT_PATHS]
    got_items = got.get("items") or []
    for n, exp in enumerate(expected.get("items") or []):
        item = got_items[n] if n < len(got_items) else {}
        out.extend((f"items[{n}].{k}", similarity(item.get(k), exp.get(k))) for k in ITEM_TEXT_KEYS)
    return out


def shown_box(box: list[float], size: tuple[float, float], style: ScanStyle) -> list[float]:
    """Where a box of the clean page (points, origin top-left) lies on its scan made with a fixed ``angle``
    and ``quarter_turns``: the box around its turned corners, in the scan page's points."""
    import math

    w, h = size
    cx, cy = w / 2.0, h / 2.0
    a = math.radians(style.angle or 0.0)
    corners = []
    for x, y in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
        dx, dy = x - cx, y - cy  # PIL's rotate(angle): anticlockwise on the screen, y pointing down
        x, y = cx + dx * math.cos(a) + dy * math.sin(a), cy - dx * math.sin(a) + dy * math.cos(a)
        height = h
        for turn in range(style.quarter_turns % 4):  # a quarter turn clockwise: (x, y) -> (height - y, x)
            x, y = height - y, x
            height = w if turn % 2 == 0 else h
        corners.append((x, y))
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return [min(xs), min(ys), max(xs), max(ys)]


def other_document_pdf() -> bytes:
    """A one-page typed document that is not an IMR letter (an invoice), as a text PDF to scan."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=letter)
    lines = [
        "INVOICE 20417",
        "Harbor Office Supply, 118 Pier Avenue, Long Beach",
        "Bill to: Westside Physical Therapy",
        "Date: March 3, 2017",
        "Item                                   Qty     Price",
        "Copy paper, letter, 10 reams             4     38.00",
        "Toner cartridge, black                   2     64.50",
        "Hanging file folders, box of 25          3     12.75",
        "Subtotal 328.25   Tax 31.18   Total 359.43",
        "Payment due within 30 days. Thank you for your order.",
    ]
    y = 700
    for line in lines:
        pdf.setFont("Helvetica-Bold" if y == 700 else "Helvetica", 12)
        pdf.drawString(72, y, line)
        y -= 24
    pdf.save()
    return buf.getvalue()
