"""Test helpers that generate PDF fixtures with reportlab: older-layout letters from text, and bad inputs."""

from __future__ import annotations

import io
import re
from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The full shared corpus sits beside the project (../shared/corpus); a fresh clone uses its copy in
# tests/fixtures/corpus (the letters are public), so the tests that need all of it run there too.
SHARED_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
if not (SHARED_CORPUS / "pdf").is_dir():
    SHARED_CORPUS = FIXTURES / "corpus"

_HEADING = re.compile(r"^[A-Z0-9 ,/&()\-:.#]{6,}$")


def text_letter_pdf(text: str, *, bold_headings: bool = True, footer: str | None = None) -> bytes:
    """Typeset a plain-text letter as a PDF the way MAXIMUS did: Times 12pt, headings in bold.

    Blank source lines become vertical space, so paragraph gaps survive. ``footer`` adds a running
    footer ("Page {n}" is formatted with the page number) to test that running lines are dropped.
    """
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=letter)
    width, height = letter
    top, bottom, pitch = 72.0, 72.0, 13.8
    y = height - top
    page = 1
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        if y < bottom:
            if footer:
                pdf.setFont("Times-Roman", 9)
                pdf.drawString(72, 40, footer.format(n=page))
            pdf.showPage()
            page += 1
            y = height - top
        if line.strip():
            bold = bold_headings and bool(_HEADING.match(line.strip()))
            pdf.setFont("Times-Bold" if bold else "Times-Roman", 12)
            pdf.drawString(72, y, line.strip())
        y -= pitch
    if footer:
        pdf.setFont("Times-Roman", 9)
        pdf.drawString(72, 40, footer.format(n=page))
    pdf.save()
    return buf.getvalue()


def seed_text(name: str) -> str:
    """A seed letter with its double spacing undone (the original PDFs were single-spaced)."""
    raw = (FIXTURES / "seeds" / name).read_text(encoding="utf-8")
    lines = raw.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        if line == "" and 0 < i < len(lines) - 1 and lines[i - 1].strip() and lines[i + 1].strip():
            continue  # the blank between two lines of one paragraph
        out.append(line)
    return "\n".join(out)


def encrypted_pdf(password: str = "s3cret") -> bytes:
    from reportlab.lib import pdfencrypt

    buf = io.BytesIO()
    enc = pdfencrypt.StandardEncryption(password, ownerPassword="owner", canPrint=0, strength=128)
    pdf = canvas.Canvas(buf, pagesize=letter, encrypt=enc)
    pdf.drawString(72, 700, "IMR ISSUES, DECISIONS AND RATIONALES")
    pdf.save()
    return buf.getvalue()


def image_only_pdf() -> bytes:
    """A 'scan': a page with a drawn picture and no text layer."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=letter)
    for k in range(40):
        pdf.setFillGray(0.2 + (k % 5) * 0.15)
        pdf.rect(72, 700 - k * 15, 300 + (k * 7) % 150, 9, stroke=0, fill=1)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def plain_pdf(lines: list[str], pages: int = 1) -> bytes:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=letter)
    for _ in range(pages):
        pdf.setFont("Helvetica", 11)
        for k, line in enumerate(lines):
            pdf.drawString(72, 720 - 14 * k, line)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def corrupt_pdf() -> bytes:
    """The first third of a real letter: a PDF header and no usable body."""
    data = (FIXTURES / "pdf" / "CM16-0234202.pdf").read_bytes()
    return data[: len(data) // 3]
