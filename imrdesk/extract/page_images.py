"""Which pages without a text layer are worth OCR: those that carry a scan. No Qt here.

A page comes out of the text reader blank for two reasons: it is a scan (a picture of the page), or its text
could not be read — a damaged PDF whose content stream or font broke on a flipped byte. OCR of the second
kind renders the page and reads it for seconds and finds nothing (what was on it was text we could not
decode, or nothing pdfium can draw either); 200 damaged letters were 4.9 times slower than clean ones for
that. So a blank page is read by OCR only on cheap evidence that it is a picture: pdfium opens the file and
lists the page's objects, without rendering (a millisecond or two a page), and the page qualifies when its
images cover a good part of it (:data:`MIN_SCAN_COVER`; a scan covers all of it, a letterhead's logo or a
signature a few per cent). A file pdfium cannot open, or a page whose objects it cannot list (its content
stream does not parse), has no image to read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MIN_SCAN_COVER = 0.25  # the share of a page its images must cover (strips of one scan add up)


@dataclass
class BlankPages:
    """What pdfium saw on the pages the text reader found blank (1-based numbers)."""

    scanned: list[int] = field(default_factory=list)  # an image covers the page: read them by OCR
    with_text: list[int] = field(default_factory=list)  # they draw text the text reader could not read
    opened: bool = True  # pdfium could open the file at all


def look_at(data: bytes, pages: list[int]) -> BlankPages:
    """Sort the blank ``pages`` of a PDF by what they carry (see the module's doc)."""
    import pypdfium2 as pdfium

    seen = BlankPages()
    try:
        pdf = pdfium.PdfDocument(data, password="")
    except Exception:  # a file pdfium cannot open has no page to render either
        seen.opened = False
        return seen
    try:
        for number in pages:
            try:
                page = pdf[number - 1]
            except Exception:
                continue
            try:
                cover, text = _contents(page)
            finally:
                page.close()
            if cover >= MIN_SCAN_COVER:
                seen.scanned.append(number)
            elif text:
                seen.with_text.append(number)
    finally:
        pdf.close()
    return seen


def _contents(page) -> tuple[float, bool]:
    """The share of the page its images cover, and whether it draws text."""
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    if width <= 0 or height <= 0:
        return 0.0, False
    covered, text = 0.0, False
    try:
        for obj in page.get_objects(max_depth=1):  # the page's own objects; a form's are its own business
            kind = obj.type
            if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
                text = True
            elif kind == pdfium_c.FPDF_PAGEOBJ_IMAGE or (
                kind == pdfium_c.FPDF_PAGEOBJ_FORM and _holds_image(obj)  # a scan wrapped in a form
            ):
                covered += _area(obj, width, height)
    except Exception:  # the content stream does not parse (or an odd object): no evidence of a scan
        return 0.0, text
    return min(covered / (width * height), 1.0), text


def _holds_image(form) -> bool:
    import pypdfium2.raw as pdfium_c

    try:
        count = pdfium_c.FPDFFormObj_CountObjects(form.raw)
        for i in range(max(count, 0)):
            child = pdfium_c.FPDFFormObj_GetObject(form.raw, i)
            if child and pdfium_c.FPDFPageObj_GetType(child) == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                return True
    except Exception:
        return False
    return False


def _area(obj, width: float, height: float) -> float:
    """An object's box on the page, clipped to the page, in square points."""
    bounds = getattr(obj, "get_bounds", None) or obj.get_pos  # pypdfium2 5 / 4
    left, bottom, right, top = bounds()
    w = min(right, width) - max(left, 0.0)
    h = min(top, height) - max(bottom, 0.0)
    return max(w, 0.0) * max(h, 0.0)
