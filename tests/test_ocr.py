"""OCR of scanned letters: fax-like scans of shared letters (tests/scans.py) read as the text PDF is.

The engine is a dependency of the project (pyproject.toml); the tests that run it skip only where it is not
installed. Each OCR'd page costs a few CPU seconds, so the letters are read once per module.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from scans import (
    FAX,
    ScanStyle,
    compare_records,
    mixed_pdf,
    other_document_pdf,
    picture_pdf,
    render_pages,
    roughen,
    scan_pdf,
    shown_box,
)

from imrdesk.extract import REVIEW_THRESHOLD, extract
from imrdesk.extract.ocr import OcrWord, PageGeometry, lines_run_across, measure_skew
from imrdesk.extract.scanned import finish, ocr_cap

ROOT = Path(__file__).resolve().parent.parent
LETTER = "CM16-0213037.pdf"  # two pages, two items, the 2016 header table

needs_engine = pytest.mark.skipif(
    __import__("importlib.util").util.find_spec("rapidocr") is None, reason="the OCR engine is not installed"
)


def iou(a: list[float], b: list[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


@pytest.fixture(scope="module")
def letter_pdf(corpus_dir) -> Path:
    return corpus_dir / "pdf" / LETTER


@pytest.fixture(scope="module")
def text_record(letter_pdf) -> dict:
    return extract(letter_pdf)


@pytest.fixture(scope="module")
def scan_reading(letter_pdf):
    """The letter's scan read by OCR: (the document the parsers read, the OCR run)."""
    from imrdesk.extract import load
    from imrdesk.extract.scanned import with_ocr

    data = scan_pdf(letter_pdf, seed=3)
    return with_ocr(load(data, "scan.pdf"), data)


@pytest.fixture(scope="module")
def scan_record(scan_reading) -> dict:
    from imrdesk.extract import extract_document

    doc, run = scan_reading
    return finish(extract_document(doc, "scan.pdf", "x"), run)


# ------------------------------------------------------------------------------------ no engine needed


@pytest.mark.parametrize("quarter", [0, 1, 2, 3])
def test_geometry_maps_upright_boxes_back_onto_the_shown_page(letter_pdf, quarter):
    """measure the page's turn and skew as read_page does, then map a word's box back: it lands where the
    word lies on the turned, skewed scan (the scan helper's own transformation says where that is)."""
    style = ScanStyle(speckle=0.0, angle=1.2, quarter_turns=quarter)
    clean = render_pages(letter_pdf, 100, [0])[0]
    import random

    shown = roughen(clean, style, random.Random(0))
    across = lines_run_across(shown)
    assert across == (quarter % 2 == 0)
    turn = 0 if across else 1
    upright = shown.rotate(90 * turn, expand=True) if turn else shown
    skew, _ = measure_skew(upright)
    # a page upside down straightens the same way; the reading tells 0 from 180 (tested with the engine)
    if quarter in (2, 3):
        turn += 2
    assert abs(skew + 1.2) <= 0.15
    geometry = PageGeometry(
        size=(612.0, 792.0) if quarter % 2 == 0 else (792.0, 612.0),
        pixels=shown.size,
        quarter=turn,
        skew=skew,
    )
    box = [180.0, 96.0, 255.0, 107.0]  # the case number's box on the clean page
    # the parsers see the page upright and straight: the clean page's box, up to the skew measured
    mapped = geometry.to_shown(box)
    assert iou(mapped, shown_box(box, (612.0, 792.0), style)) > 0.7


def test_ocr_cap_keeps_confident_values_and_sends_doubtful_ones_to_review():
    assert ocr_cap(0.99) == 0.99
    assert ocr_cap(1.0) == 1.0
    assert ocr_cap(0.9) < REVIEW_THRESHOLD
    assert ocr_cap(0.3) < ocr_cap(0.6) < REVIEW_THRESHOLD


@pytest.mark.parametrize(
    ("read", "words"),
    [
        ("ClaimsAdministrator", ["Claims", "Administrator"]),
        ("manipulation1", ["manipulation", "1"]),
        ("2016Chronic", ["2016", "Chronic"]),
        ("WASMADE", ["WAS", "MADE"]),
        ("ISSUES,DECISIONSAND", ["ISSUES,", "DECISIONS", "AND"]),
        ("CM16-0213037", ["CM16-0213037"]),
        ("MAXIMUS", ["MAXIMUS"]),
        ("L5-S1", ["L5-S1"]),
        ("1,000", ["1,000"]),
    ],
)
def test_words_run_together_are_split_with_their_boxes(read, words):
    from imrdesk.extract.ocr import EngineWord, split_joined

    parts = split_joined(EngineWord(read, 0.9, 100.0, 10.0, 100.0 + 10 * len(read), 30.0))
    assert [p.text for p in parts] == words
    assert parts[0].x0 == 100.0 and parts[-1].x1 == 100.0 + 10 * len(read)
    assert all(a.x1 == b.x0 for a, b in zip(parts, parts[1:], strict=False))


def test_a_text_pdf_is_not_read_by_ocr(text_record):
    assert "ocr" not in text_record
    assert text_record["error"] is None


# ------------------------------------------------------------------------------------------ the engine


@needs_engine
def test_a_scanned_letter_reads_like_its_text_pdf(scan_record, text_record):
    assert scan_record["error"] is None
    assert scan_record["format"] == text_record["format"]
    assert scan_record["case_number"] == text_record["case_number"]
    assert [i["decision"] for i in scan_record["items"]] == [i["decision"] for i in text_record["items"]]
    assert scan_record["ocr"]["pages"] == [1, 2]
    assert scan_record["ocr"]["engine"].startswith("rapidocr")
    compared = compare_records(scan_record, text_record)
    wrong_and_trusted = [
        c for c in compared if c.wrong and (c.confidence is None or c.confidence >= REVIEW_THRESHOLD)
    ]
    assert not wrong_and_trusted
    assert sum(c.right for c in compared) >= 0.9 * len(compared)


@needs_engine
def test_the_highlight_lands_on_the_scan(letter_pdf, text_record):
    style = ScanStyle(angle=1.4)
    rec = extract(scan_pdf(letter_pdf, seed=5, style=style, pages=[0]), name="p1.pdf")
    assert rec["case_number"] == text_record["case_number"]
    got = rec["provenance"]["case_number"]
    want = shown_box(text_record["provenance"]["case_number"]["boxes"][0], (612.0, 792.0), style)
    assert got["page"] == 1
    assert iou(got["boxes"][0], want) > 0.5


@needs_engine
@pytest.mark.parametrize("quarter", [2, 3])
def test_a_page_fed_turned_is_read_upright(letter_pdf, text_record, quarter):
    style = ScanStyle(angle=-0.8, quarter_turns=quarter)
    rec = extract(scan_pdf(letter_pdf, seed=quarter, style=style, pages=[0]), name="turned.pdf")
    assert rec["case_number"] == text_record["case_number"]
    assert rec["decision_date"] == text_record["decision_date"]
    got = rec["provenance"]["case_number"]["boxes"][0]
    assert (
        iou(got, shown_box(text_record["provenance"]["case_number"]["boxes"][0], (612.0, 792.0), style)) > 0.5
    )


@needs_engine
def test_a_doubtful_word_sends_its_value_to_review(scan_reading, scan_record):
    """The same reading, with the engine's confidence in the case number's word lowered: the value on that
    word falls below the review threshold, the others keep theirs."""
    import copy

    from imrdesk.extract import extract_document

    doc, run = copy.deepcopy(scan_reading)
    assert scan_record["provenance"]["case_number"]["confidence"] >= REVIEW_THRESHOLD
    lowered = 0
    for word in run.readings[0].words:
        if isinstance(word, OcrWord) and word.text == scan_record["case_number"]:
            word.confidence = 0.55
            lowered += 1
    assert lowered == 1
    after = finish(extract_document(doc, "scan.pdf", "x"), run)
    assert after["case_number"] == scan_record["case_number"]
    assert after["provenance"]["case_number"]["confidence"] < REVIEW_THRESHOLD
    assert after["provenance"]["case_number"]["ocr_confidence"] == 0.55
    from imrdesk.record import why_doubted

    assert why_doubted(after, "case_number") == ["a doubtful word in the scan (OCR 55%)"]  # the reviewer is told
    for path in ("decision_date", "date_assigned", "items[0].decision"):
        assert after["provenance"][path] == scan_record["provenance"][path]


@needs_engine
def test_a_letter_with_some_scanned_pages(letter_pdf, text_record):
    rec = extract(mixed_pdf(letter_pdf, [1], seed=4), name="mixed.pdf")
    assert rec["ocr"]["pages"] == [2]
    assert rec["case_number"] == text_record["case_number"]
    assert [i["decision"] for i in rec["items"]] == [i["decision"] for i in text_record["items"]]
    assert rec["provenance"]["case_number"] == text_record["provenance"]["case_number"]  # page 1: text layer


@needs_engine
def test_a_scan_too_small_to_read(letter_pdf):
    rec = extract(scan_pdf(letter_pdf, style=ScanStyle(dpi=60, speckle=0.0), pages=[0]), name="tiny.pdf")
    assert rec["error"]["code"] == "no_text_layer"
    assert "too small" in rec["error"]["message"]


@needs_engine
def test_a_scan_too_blurred_to_read(letter_pdf):
    rec = extract(scan_pdf(letter_pdf, style=ScanStyle(blur=7.0), pages=[0]), name="blurred.pdf")
    assert rec["error"]["code"] == "no_text_layer"
    assert "blurred" in rec["error"]["message"]


@needs_engine
def test_a_scan_of_something_else_is_not_imr():
    rec = extract(scan_pdf(other_document_pdf(), seed=2), name="invoice.pdf")
    assert rec["error"]["code"] == "not_imr"
    assert rec["ocr"]["pages"] == [1]


@needs_engine
def test_a_picture_without_text():
    rec = extract(picture_pdf(), name="picture.pdf")
    assert rec["error"]["code"] == "no_text_layer"
    assert "no text" in rec["error"]["message"]


@needs_engine
def test_command_line_reads_a_scan_in_its_worker_and_no_ocr_turns_it_off(tmp_path, letter_pdf, text_record):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scan_pdf(letter_pdf, seed=7, pages=[0]))

    def run(*extra: str) -> dict:
        out = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "extract", "--json", *extra, str(scan)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.splitlines()[0])

    rec = run()
    assert rec["error"] is None
    assert rec["case_number"] == text_record["case_number"]
    assert rec["ocr"]["pages"] == [1]
    off = run("--no-ocr")
    assert off["error"]["code"] == "no_text_layer"
    assert "ocr" not in off


@needs_engine
def test_import_reads_a_scan_in_the_worker_processes(tmp_path, letter_pdf, text_record):
    from imrdesk.services.importing import import_paths
    from imrdesk.store import Store

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scan_pdf(letter_pdf, seed=8, pages=[0]))
    events: list[dict] = []
    summary = import_paths(tmp_path / "db.sqlite", [scan], workers=1, timeout=240, progress=events.append)
    assert summary["imported"] == 1, summary
    with Store(tmp_path / "db.sqlite") as store:
        rec = store.record(events[-1]["doc_id"])
        from imrdesk.store import ListQuery

        assert store.lists.ids(ListQuery(source="ocr")) == [rec["id"]]  # listed as a scan
    from imrdesk.record import check_queue, letter_values

    assert not [p for p, _v in letter_values(rec) if p.startswith("ocr")]  # not values to correct
    assert not [p for p in check_queue(rec) if p.startswith("ocr")]
    assert rec["case_number"] == text_record["case_number"]
    assert rec["ocr"]["pages"] == [1]
    assert FAX.dpi == rec["ocr"]["dpi"]


@needs_engine
@pytest.mark.parametrize("letter", ["CM16-0234202.pdf"])  # a modified request: original, authorized, disputed
def test_another_letter_scanned_reads_like_its_text_pdf(corpus_dir, letter):
    pdf = corpus_dir / "pdf" / letter
    expected = extract(pdf)
    rec = extract(scan_pdf(pdf, seed=11), name=letter)
    assert rec["case_number"] == expected["case_number"]
    assert [i["decision"] for i in rec["items"]] == [i["decision"] for i in expected["items"]]
    compared = compare_records(rec, expected)
    assert not [c for c in compared if c.wrong and (c.confidence is None or c.confidence >= REVIEW_THRESHOLD)]
    modified = [
        c for c in compared if c.path.endswith(("original_request", "authorized", "disputed_portion"))
    ]
    assert any(c.expected for c in modified)
    assert all(c.right or c.missed or c.confidence < REVIEW_THRESHOLD for c in modified)
