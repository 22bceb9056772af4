"""The fast reader (pdfium, ``imrdesk/extract/pdfium_text.py``) against the reference reader (pdfplumber).

Every shared letter gives the same record either way; what the fast reader cannot vouch for is read by the
reference reader (a PDF pdfium refuses, a page without text, a record that looks wrong), and so is a letter
whose worker died in the fast reader. Real PDFs, real worker processes, no mocks.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
import time
import zlib
from pathlib import Path

import pytest
from hostile import pdf_with_streams, text_page
from pdfgen import FIXTURES, text_letter_pdf

from imrdesk.extract import extract, extract_with_reader
from imrdesk.extract.document import Document, load_pdf
from imrdesk.extract.pdfium_text import load_pdf_fast
from imrdesk.services.extract_worker import FAULT_ENV
from imrdesk.services.importing import import_paths
from imrdesk.services.reader_pool import Job, ReaderPool
from imrdesk.store import Store

REPO = Path(__file__).resolve().parent.parent
# pdfium and pdfminer place a line's characters differently by up to 0.24 pt where the letter sets a word
# spacing (on ~1.5% of words; the text, fonts and every other coordinate agree to 0.001 pt). A quarter of
# a point is a twentieth of a character's width at 12 pt: the highlight lands on the same word.
BOX_TOLERANCE = 0.25


@pytest.fixture(scope="module")
def shared_letters(corpus_pdfs) -> list[Path]:
    """Every letter PDF the tests share: the corpus, tests/fixtures/pdf and the bundled samples, each once."""
    seen: set[str] = set()
    letters = []
    for path in [
        *corpus_pdfs,
        *sorted((FIXTURES / "pdf").glob("*.pdf")),
        *sorted(REPO.glob("resources/samples/*.pdf")),
    ]:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        if sha not in seen:
            seen.add(sha)
            letters.append(path)
    return letters


def assert_same(fast, reference, where: str = "") -> None:
    """Equal JSON, except that boxes agree within BOX_TOLERANCE (same count, same order)."""
    if where.endswith(".boxes"):
        assert len(fast) == len(reference), where
        for a, b in zip(fast, reference, strict=True):
            assert max(abs(x - y) for x, y in zip(a, b, strict=True)) <= BOX_TOLERANCE, (where, a, b)
    elif isinstance(fast, dict) and isinstance(reference, dict):
        assert list(fast) == list(reference), where
        for key in fast:
            assert_same(fast[key], reference[key], f"{where}.{key}")
    elif isinstance(fast, list) and isinstance(reference, list):
        assert len(fast) == len(reference), where
        for i, (a, b) in enumerate(zip(fast, reference, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    else:
        assert json.dumps(fast) == json.dumps(reference), where


def words(doc: Document) -> list[tuple]:
    return [(w.text, w.page, w.bold, line.para_break) for line in doc.lines for w in line.words] + [
        ("running", w.text, w.page) for line in doc.running for w in line.words
    ]


def test_every_shared_letter_gives_the_same_record_either_way(shared_letters):
    """The records of all shared letters: values, pages, findings, confidences identical; boxes within
    BOX_TOLERANCE. Every one is the fast reader's (CM16-0232543's last page, two text objects drawing
    nothing pdfium counts as a character, shows nothing either reader makes a word of)."""
    assert len(shared_letters) >= 65
    by_reference = []
    for path in shared_letters:
        data = path.read_bytes()
        fast, used = extract_with_reader(data, name=path.name, reader="fast", ocr=False)
        assert_same(fast, extract(data, name=path.name, reader="reference", ocr=False), path.name)
        if used != "fast":
            by_reference.append(path.name)
    assert by_reference == []


def test_the_words_are_pdfplumbers(shared_letters):
    """Below the record: the same words (text, page, bold), lines, paragraph breaks and running lines, the
    boxes within BOX_TOLERANCE — on the fixture letters and on letters typeset with the standard fonts."""
    letters = [p.read_bytes() for p in sorted((FIXTURES / "pdf").glob("*.pdf"))]
    for text in sorted((FIXTURES / "layouts").glob("*.txt")):
        letters.append(text_letter_pdf(text.read_text(), footer="Page {n} of 4"))
    for data in letters:
        fast, reference = load_pdf_fast(data), load_pdf(data)
        assert fast.page_sizes == reference.page_sizes
        assert words(fast) == words(reference)
        pairs = zip(
            [w for line in fast.lines for w in line.words],
            [w for line in reference.lines for w in line.words],
            strict=True,
        )
        for a, b in pairs:
            assert max(abs(x - y) for x, y in zip(a.box, b.box, strict=True)) <= BOX_TOLERANCE, (a, b)


# ------------------------------------------------------------------------------ falling back


def test_a_pdf_pdfium_refuses_is_read_by_pdfplumber(shared_letters):
    """A real letter behind 2,000 bytes of blanks: pdfium looks for the PDF header in the first 1,024 bytes
    only and refuses it; pdfplumber reads it, and the record is the letter's."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    letter = shared_letters[0].read_bytes()
    copy = io.BytesIO()
    pdfium.PdfDocument(letter, password="").save(copy, flags=pdfium_c.FPDF_REMOVE_SECURITY)
    data = b" " * 2000 + copy.getvalue()
    with pytest.raises(Exception, match="pdfium cannot open it"):
        load_pdf_fast(data)
    record, used = extract_with_reader(data, name="late-header.pdf", reader="fast", ocr=False)
    assert used == "reference" and record["error"] is None
    original = extract(letter, name="late-header.pdf", reader="reference", ocr=False)
    assert_same({**record, "sha256": None}, {**original, "sha256": None})


def test_a_pdf_without_text_or_not_a_letter_is_read_by_pdfplumber():
    """No text at all: the reference reader reads it before it is called a scan; a PDF the fast reading
    finds is not an IMR letter: the reference reader reads it too, and says so itself."""
    blank = pdf_with_streams([zlib.compress(b"")])
    record, used = extract_with_reader(blank, name="blank.pdf", reader="fast", ocr=False)
    assert used == "reference" and record["error"]["code"] == "no_text_layer"
    other = pdf_with_streams([text_page(["Minutes of the parish council", "Present: everyone"])])
    record, used = extract_with_reader(other, name="minutes.pdf", reader="fast", ocr=False)
    assert used == "reference" and record["error"]["code"] == "not_imr"


def test_a_worker_dying_in_the_fast_reader_is_read_again_by_the_reference_reader(tmp_path, monkeypatch):
    """A worker that dies in the fast reader (a real segmentation fault, as a fault inside pdfium would
    be) costs that reading only: the letter is read again with the reference reader in a fresh worker and
    imported. A letter that kills the reference reader too is recorded as crashed, as before."""
    letters = sorted((FIXTURES / "pdf").glob("*.pdf"))
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copyfile(letters[0], folder / "pdfium-dies.pdf")
    shutil.copyfile(letters[1], folder / "always-dies.pdf")
    shutil.copyfile(letters[2], folder / "fine.pdf")
    monkeypatch.setenv(FAULT_ENV, "crash_fast:pdfium-dies.pdf;crash:always-dies.pdf")
    summary = import_paths(tmp_path / "i.db", [folder], workers=1, timeout=60)
    failed = {Path(path).name: (code, message) for path, code, message in summary["failed"]}
    assert summary["imported"] == 2 and set(failed) == {"always-dies.pdf"}
    assert failed["always-dies.pdf"][0] == "crashed" and "SIGSEGV" in failed["always-dies.pdf"][1]
    with Store(tmp_path / "i.db") as store:
        rows = {row["file_name"]: row for row in store.list_documents()}
    assert rows["pdfium-dies.pdf"]["status"] == "new" and rows["pdfium-dies.pdf"]["items"] > 0
    assert rows["pdfium-dies.pdf"]["case_number"] == letters[0].stem


class _Outcomes:
    def __init__(self) -> None:
        self.records: dict[str, dict] = {}
        self.failures: dict[str, str] = {}

    def record(self, job: Job, record: dict) -> None:
        self.records[job.name] = record

    def failed(self, job: Job, code: str, message: str) -> None:
        self.failures[job.name] = code


def test_the_pool_reads_again_only_what_died_in_the_fast_reader(monkeypatch):
    """The same through the pool itself, counting: one letter dies in the fast reader and is read again
    (its record the reference reading's), one is read by the fast reader, and one asked of the reference
    reader from the start dies there and is not read again."""
    letter = sorted((FIXTURES / "pdf").glob("*.pdf"))[0].read_bytes()
    sha = hashlib.sha256(letter).hexdigest()
    jobs = [
        Job("dies.pdf", "dies.pdf", letter, "1" + sha[1:], ocr=False),
        Job("fine.pdf", "fine.pdf", letter, "2" + sha[1:], ocr=False),
        Job("reference.pdf", "reference.pdf", letter, "3" + sha[1:], ocr=False, reader="reference"),
    ]
    monkeypatch.setenv(FAULT_ENV, "crash_fast:dies.pdf;crash:reference.pdf")
    outcomes = _Outcomes()
    pool = ReaderPool(outcomes, workers=1, timeout=60)
    pool.run(jobs, lambda job: job)
    assert pool.reread == 1 and outcomes.failures == {"reference.pdf": "crashed"}
    reference = extract(letter, name="dies.pdf", reader="reference", ocr=False)
    assert outcomes.records["dies.pdf"] == {**reference, "sha256": jobs[0].sha}
    assert_same(outcomes.records["fine.pdf"], {**reference, "file": "fine.pdf", "sha256": jobs[1].sha})


# ------------------------------------------------------------------------------ pages without words


def _with_extra_page(letter: bytes, fill) -> bytes:
    """``letter`` with one more page after its last, ``fill(pdf, page)`` putting on it what it shows."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(letter, password="")
    page = pdf.new_page(612, 792)
    fill(pdf, page)
    page.gen_content()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _blanks(pdf, page) -> None:
    """A text object drawing only spaces, and a ruled line: nothing either reader makes a word of."""
    import pypdfium2.raw as pdfium_c

    text = pdfium_c.FPDFPageObj_NewTextObj(pdf.raw, b"Helvetica", 12.0)
    spaces = (pdfium_c.c_ushort * 4)(0x20, 0x20, 0x20, 0)
    assert pdfium_c.FPDFText_SetText(text, spaces)
    pdfium_c.FPDFPageObj_Transform(text, 1, 0, 0, 1, 72, 700)
    pdfium_c.FPDFPage_InsertObject(page.raw, text)
    line = pdfium_c.FPDFPageObj_CreateNewPath(72, 400)
    pdfium_c.FPDFPath_LineTo(line, 540, 400)
    pdfium_c.FPDFPath_SetDrawMode(line, 0, True)
    pdfium_c.FPDFPage_InsertObject(page.raw, line)


def _picture(pdf, page) -> None:
    """An image over the page, as a scanned page is."""
    import pypdfium2 as pdfium

    image = pdfium.PdfImage.new(pdf)
    image.set_bitmap(pdfium.PdfBitmap.new_native(40, 50, pdfium.raw.FPDFBitmap_Gray))
    image.set_matrix(pdfium.PdfMatrix().scale(612, 792))
    page.insert_obj(image)


@pytest.mark.parametrize(
    "fill, reader", [(lambda pdf, page: None, "fast"), (_blanks, "fast"), (_picture, "reference")]
)
def test_a_page_without_words_is_the_fast_readers_only_when_it_shows_nothing(shared_letters, fill, reader):
    """A real letter with a page added that has no words: an empty page, or one drawing only spaces and a
    line, reads the same with pdfplumber, so the fast reading stands (same record either way); a page that
    shows a picture (a scan for OCR) is the reference reader's to read."""
    from imrdesk.extract.pdfium_text import FastReadError

    data = _with_extra_page(shared_letters[0].read_bytes(), fill)
    if reader == "reference":
        with pytest.raises(FastReadError, match="no words"):
            load_pdf_fast(data)
    fast, used = extract_with_reader(data, name="extra-page.pdf", reader="fast", ocr=False)
    assert used == reader and fast["error"] is None and fast["pages"] >= 2
    assert_same(fast, extract(data, name="extra-page.pdf", reader="reference", ocr=False))


# ------------------------------------------------------------------------------ words from characters


def _random_characters(rng: random.Random) -> list[tuple]:
    """Characters as the fast reader gives them (text, x0, top, x1, bottom, upright, font): text objects
    upright or turned, steps along and across the line around the 3 pt tolerances, steps back, overlaps,
    blanks, ligatures and typographic marks, bold and regular fonts."""
    chars = []
    for _ in range(rng.randint(1, 12)):
        upright = rng.random() < 0.8
        font = rng.choice(["Helvetica", "Helvetica-Bold", "ABCDEF+Arial,Bold", "Times-Roman"])
        along, across = rng.uniform(0, 500), rng.uniform(0, 700)
        for _ in range(rng.randint(1, 40)):
            text = rng.choice("abcdefgh  ABC12.,-\u2019\ufb01\u00e9\u00a0\t")
            width, height = rng.choice([0, 2.5, 5.0, 6.1]), rng.choice([10.0, 12.0])
            if upright:
                chars.append((text, along, across, along + width, across + height, True, font))
            else:  # x across the line, top along it
                chars.append((text, across, along, across + height, along + width, False, font))
            along += width + rng.choice([0, 0, 0, 0.5, 2.9, 3.0, 3.1, 8, -1, -20])
            across += rng.choice([0, 0, 0, 0, 1.5, 3.0, 3.01, -2.9, 14, -14])
    return chars


def test_words_are_made_from_characters_as_pdfplumbers_word_extractor_makes_them():
    """The fast reader's grouping of characters into lines and words against pdfplumber's own
    ``WordExtractor`` (its defaults, grouped by font) on 500 random pages: the same words, in the same
    order, with the same boxes, text (normalised alike) and weight."""
    from pdfplumber.utils.text import WordExtractor

    from imrdesk.extract.document import make_word
    from imrdesk.extract.pdfium_text import _words

    rng = random.Random(17)
    extractor = WordExtractor(extra_attrs=["fontname"])
    for _ in range(500):
        chars = _random_characters(rng)
        keys = ("text", "x0", "top", "x1", "bottom", "upright", "fontname")
        dicts = [{**dict(zip(keys, ch, strict=True)), "doctop": ch[2]} for ch in chars]
        expected = [
            make_word(w["text"], 1, w["x0"], w["top"], w["x1"], w["bottom"], w["fontname"])
            for w in extractor.extract_words(dicts)
        ]
        assert _words(chars, 1) == [w for w in expected if w is not None], chars


class _SlowOutcomes(_Outcomes):
    """Outcomes whose first record takes a while to store, as a batch's commit can: the other worker's
    answer arrives meanwhile, and both are handled in the same wake-up of the pool."""

    def record(self, job: Job, record: dict) -> None:
        if not self.records:
            time.sleep(0.5)
        super().record(job, record)


def test_every_worker_gets_letters_after_two_answer_at_once():
    """Two workers answering in the same wake-up both get a letter: each reads a fair share of the batch
    (handing out one letter a wake-up left one worker idle for the rest of the batch)."""
    letter = sorted((FIXTURES / "pdf").glob("*.pdf"))[0].read_bytes()
    jobs = [Job(f"{n}.pdf", f"{n}.pdf", letter, f"{n:064x}", ocr=False) for n in range(40)]
    outcomes = _SlowOutcomes()
    pool = ReaderPool(outcomes, workers=2, timeout=60)
    pool.run(jobs, lambda job: job)
    assert len(outcomes.records) == 40 and not outcomes.failures
    assert len(pool.answered) == 2 and min(pool.answered.values()) >= 10, pool.answered


def test_a_worker_is_recycled_after_max_tasks_letters():
    """A worker reads ``max_tasks`` letters, then a fresh process takes over (the memory of a long batch
    stays flat): seven letters, three a worker, three processes."""
    letter = sorted((FIXTURES / "pdf").glob("*.pdf"))[0].read_bytes()
    jobs = [Job(f"{n}.pdf", f"{n}.pdf", letter, f"{n:064x}", ocr=False) for n in range(7)]
    outcomes = _Outcomes()
    pool = ReaderPool(outcomes, workers=1, timeout=60, max_tasks=3)
    pool.run(jobs, lambda job: job)
    assert len(outcomes.records) == 7 and sorted(pool.answered.values()) == [1, 3, 3]
