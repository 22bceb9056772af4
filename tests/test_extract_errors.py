"""Bad input comes back as an error record with a message for a person; the parsers never raise."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdfgen import FIXTURES, corrupt_pdf, encrypted_pdf, image_only_pdf, plain_pdf

from imrdesk.extract import extract
from imrdesk.extract.citations import parse_guideline
from imrdesk.extract.dates import parse_date
from imrdesk.extract.document import load_text
from imrdesk.extract.letter import parse_document

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("make", "name", "code"),
    [
        (lambda: b"", "empty.pdf", "empty"),
        (lambda: b"   \n", "blank.txt", "empty"),
        (corrupt_pdf, "truncated.pdf", "corrupt"),
        (lambda: b"%PDF-1.7\n" + bytes(range(256)) * 40, "garbage.pdf", "corrupt"),
        (lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "picture.pdf", "corrupt"),
        (encrypted_pdf, "locked.pdf", "encrypted"),
        (image_only_pdf, "scan.pdf", "no_text_layer"),
        (
            lambda: plain_pdf(["Quarterly sales report", "Revenue grew 4% in the west region."]),
            "sales.pdf",
            "not_imr",
        ),
        (lambda: b"Dear customer, your order has shipped.", "note.txt", "not_imr"),
    ],
)
def test_bad_input_is_an_error_record(make, name, code):
    rec = extract(make(), name=name)
    assert rec["error"]["code"] == code
    assert len(rec["error"]["message"]) > 15 and rec["error"]["message"][0].isupper()
    assert rec["items"] == [] and rec["case_number"] is None and rec["provenance"] == {}


def test_too_large_by_bytes_and_by_pages(tmp_path):
    big = tmp_path / "big.pdf"
    big.write_bytes(plain_pdf(["x"]) + b"\n%" + b"0" * 2_000_000)
    assert extract(big, max_bytes=1_000_000)["error"]["code"] == "too_large"
    rec = extract(
        plain_pdf(["IMR ISSUES, DECISIONS AND RATIONALES"], pages=12), name="long.pdf", max_pages=10
    )
    assert rec["error"]["code"] == "too_large" and rec["pages"] == 12
    assert "10 pages" in rec["error"]["message"]


def test_missing_file_is_a_record_not_an_exception(tmp_path):
    rec = extract(tmp_path / "nowhere.pdf")
    assert rec["error"]["code"] == "corrupt" and "cannot be read" in rec["error"]["message"]


def test_cli_batch_one_bad_file_does_not_spoil_the_others(tmp_path):
    bad = tmp_path / "locked.pdf"
    bad.write_bytes(encrypted_pdf())
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    good = [FIXTURES / "pdf" / "CM16-0230548.pdf", FIXTURES / "seeds" / "000_a1eecbe2ec3dca72.txt"]
    files = [str(good[0]), str(bad), str(empty), str(good[1])]
    run = subprocess.run(
        [sys.executable, "main.py", "extract", "--json", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    recs = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["file"] for r in recs] == [
        "CM16-0230548.pdf",
        "locked.pdf",
        "empty.pdf",
        "000_a1eecbe2ec3dca72.txt",
    ]
    assert [r["error"] and r["error"]["code"] for r in recs] == [None, "encrypted", "empty", None]
    assert recs[0]["case_number"] == "CM16-0230548" and len(recs[0]["items"]) == 2
    assert len(recs[3]["items"]) == 2


def test_cli_human_output_names_the_failure(tmp_path):
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(image_only_pdf())
    run = subprocess.run(
        [sys.executable, "main.py", "extract", str(bad)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 1
    assert "no_text_layer" in run.stdout and "OCR" in run.stdout


letterish = st.lists(
    st.one_of(
        st.text(max_size=80),
        st.sampled_from(
            [
                "Case Number: CM16-0213037",
                "Date of Injury: 13/45/2016",
                "IMR ISSUES, DECISIONS AND RATIONALES",
                "set forth below:",
                "Upheld",
                ": Overturned",
                "MRI of the knee: Upheld",
                "Claims Administrator guideline:",
                "MAXIMUS guideline: Decision based on MTUS",
                "Decision rationale:",
                "Decision based on Non-MTUS Citation",
                "was the original request.",
                "is Board Certified in",
                "and is licensed to practice in",
                ".",
                "",
                "The injured worker is a 999 year old male",
                "Certification(s)/Specialty:",
                "State(s) of Licensure:",
                "1) MAXIMUS Federal Services, Inc. has determined the request for x is medically necessary and appropriate",
            ]
        ),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(letterish)
def test_text_parsers_never_raise(lines):
    text = "\n".join(lines)
    rec = parse_document(load_text(text))
    json.dumps(rec)
    for item in rec["items"]:
        assert item["decision"] in ("Upheld", "Overturned")
    for prov in rec["provenance"].values():
        assert 0.0 <= prov["confidence"] <= 1.0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_guideline_and_date_parsers_never_raise(text):
    citations, families, conf = parse_guideline(text)
    assert set(families) <= {"MTUS", "ACOEM", "ODG", "OTHER"} and 0 <= conf <= 1
    assert parse_date(text) is None or len(parse_date(text)) == 10


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_give_a_record(data):
    rec = extract(data, name="x.pdf")
    assert rec["error"] is None or rec["error"]["code"] in (
        "empty",
        "corrupt",
        "not_imr",
        "no_text_layer",
        "encrypted",
    )
