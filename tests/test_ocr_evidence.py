"""Only pages that carry a scan are read by OCR: a text letter whose text layer a flipped byte broke is
reported at once (it used to be rendered and read by OCR for seconds a page, to find nothing), while real
scans — whole letters, single pages of a mixed one — are still read (their OCR: tests/test_ocr.py)."""

from __future__ import annotations

import random
import time
from pathlib import Path

from hostile import mutate
from pdfgen import image_only_pdf
from scans import mixed_pdf, scan_pdf

from imrdesk.extract import extract, load, scanned
from imrdesk.extract.page_images import look_at

LETTERS = sorted((Path(__file__).parent / "fixtures" / "pdf").glob("*.pdf"))


def _damaged_letter(*, text_left: bool) -> bytes:
    """A real letter with bytes flipped so that pages come out of the text reader blank (all of them, or
    some with text left on others): the first such mutant of a fixed series."""
    for seed in range(200):
        data = mutate(LETTERS[seed % len(LETTERS)].read_bytes(), random.Random(seed))
        try:
            doc = load(data, "damaged.pdf")
        except Exception:  # noqa: BLE001 - a mutant the reader refuses outright is not the one wanted
            continue
        if scanned.blank_pages(doc) and bool(doc.word_count) == text_left:
            return data
    raise AssertionError("no mutant of that kind in the series")


def test_a_text_letter_whose_text_layer_broke_is_not_sent_to_ocr():
    data = _damaged_letter(text_left=False)
    seen = look_at(data, scanned.blank_pages(load(data, "damaged.pdf")))
    assert not seen.scanned and seen.with_text  # it draws text, and no picture of a page
    t0 = time.perf_counter()
    rec = extract(data, name="damaged.pdf")
    assert time.perf_counter() - t0 < 5  # OCR alone takes seconds a page
    assert rec["error"]["code"] == "no_text_layer" and "ocr" not in rec
    assert "cannot be decoded" in rec["error"]["message"]


def test_a_letter_with_some_broken_pages_keeps_its_text_without_ocr():
    data = _damaged_letter(text_left=True)
    rec = extract(data, name="damaged.pdf")
    assert "ocr" not in rec


def _in_a_form(pdf: bytes) -> bytes:
    """The first page of ``pdf`` drawn as a form XObject on a page of a new PDF (as some scanners save)."""
    import io

    import pypdfium2 as pdfium

    source, out = pdfium.PdfDocument(pdf), pdfium.PdfDocument.new()
    page = out.new_page(*source[0].get_size())
    page.insert_obj(source.page_as_xobject(0, out).as_pageobject())
    page.gen_content()
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def test_the_evidence_of_a_scan():
    letter = LETTERS[0]
    scan = scan_pdf(letter, pages=[0])
    assert look_at(scan, [1]).scanned == [1]
    assert look_at(_in_a_form(scan), [1]).scanned == [1]
    assert look_at(mixed_pdf(letter, [1], seed=4), [2]).scanned == [2]
    drawing = image_only_pdf()  # shapes drawn, no image: nothing for OCR
    assert look_at(drawing, [1]).scanned == []
    assert "no scanned image" in extract(drawing, name="drawing.pdf")["error"]["message"]
    for path in LETTERS:  # a real letter's own images (a logo, a signature) are no scan
        assert look_at(path.read_bytes(), list(range(1, 12))).scanned == []
    assert look_at(b"%PDF-1.4 not really", [1]).opened is False
