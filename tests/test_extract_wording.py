"""Wording-proof reading: real letters with one phrasing changed read the same, as text and as generated PDFs.

Each test takes a real letter's text (its PDF's reading order), changes one phrasing the way letters of other
months word it, and checks that the values stay right — and confident where the wording is still plain.
"""

from __future__ import annotations

import re

import pytest
from pdfgen import FIXTURES, text_letter_pdf

from imrdesk.extract import REVIEW_THRESHOLD, extract, load


def _text(case: str) -> str:
    path = FIXTURES / "pdf" / f"{case}.pdf"
    return "\n".join(line.text for line in load(path.read_bytes(), path.name).lines)


def _both(text: str):
    """The same letter as a text file and as a PDF."""
    yield extract(text.encode(), name="letter.txt")
    yield extract(text_letter_pdf(text), name="letter.pdf")


def _decisions(rec: dict) -> list[tuple[str, str]]:
    return [(i["treatment"], i["decision"]) for i in rec["items"]]


MODIFIED = "CM16-0234202"  # one modified request: "X was the original request. Y was authorized …"
TWO_ITEMS = "CM16-0230548"  # one Upheld, one Overturned


@pytest.mark.parametrize(
    ("upheld", "overturned"),
    [
        (": Upheld (Not Medically Necessary)", ": Overturned (Medically Necessary)"),
        (": UPHELD", ": OVERTURNED"),
        (": Upheld - not medically necessary", ": Overturned - medically necessary"),
        (": Upheld (Not Medically\nNecessary)", ": Overturned (Medically\nNecessary)"),  # the qualifier wraps
        (":\nUpheld", ":\nOverturned"),  # the decision word on its own line
    ],
)
def test_decisions_with_qualifiers_or_in_capitals(upheld, overturned):
    text = _text(TWO_ITEMS)
    want = _decisions(extract(FIXTURES / "pdf" / f"{TWO_ITEMS}.pdf"))
    changed = text.replace(": Upheld", upheld).replace(": Overturned", overturned)
    for rec in _both(changed):
        assert _decisions(rec) == want
        assert all(rec["provenance"][f"items[{n}].decision"]["confidence"] >= 0.9 for n in range(len(want)))


def test_a_qualifier_that_contradicts_the_decision_sends_it_to_review():
    changed = _text(TWO_ITEMS).replace(": Overturned", ": Overturned (Not Medically Necessary)")
    rec = extract(changed.encode(), name="letter.txt")
    assert rec["items"][1]["decision"] == "Overturned"
    assert rec["provenance"]["items[1].decision"]["confidence"] < REVIEW_THRESHOLD


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("was authorized by the Claims Administrator", "was certified by the Claims Administrator"),
        ("was authorized by the Claims Administrator", "was approved by the Claims Administrator"),
        ("The remaining IMR eligible portion of the original request,", "The portion eligible for IMR,"),
        (
            "The remaining IMR eligible portion of the original request,",
            "The remaining portion eligible for IMR is",
        ),
    ],
)
def test_modified_request_wordings_still_split(old, new):
    text = _text(MODIFIED)
    assert old in text
    for rec in _both(text.replace(old, new)):
        (item,) = rec["items"]
        assert item["treatment"].startswith("Norco 10/325mg #60 was the original request.")
        assert (item["original_request"], item["authorized"], item["disputed_portion"]) == (
            "Norco 10/325mg #60",
            "Norco 10/325mg #25",
            "Norco 10/325mg #35",
        )
        assert item["decision"] == "Upheld"


@pytest.mark.parametrize("glue", [" ", "\n"])
def test_the_intro_sentence_is_never_part_of_the_first_treatment(glue):
    """The intro shares the first heading's line or paragraph (no gap, no bold switch in a text copy)."""
    text = _text(TWO_ITEMS)
    intro = "The Final Determination was based on decisions for the disputed items/services set forth below:"
    assert intro + "\n" in text
    changed = text.replace(intro + "\n", "Something said before it. " + intro + glue)
    for rec in _both(changed):
        assert rec["items"][0]["treatment"] == "MRI of neck and right hand without contrast"
        assert "Final Determination" not in rec["items"][0]["treatment"]


def test_intro_sentence_shares_the_line_of_a_modified_request_heading():
    changed = _text(MODIFIED).replace("set forth below:\n", "set forth below: ")
    for rec in _both(changed):
        assert rec["items"][0]["original_request"] == "Norco 10/325mg #60"


def test_non_breaking_spaces_curly_quotes_crlf_and_a_byte_order_mark():
    text = _text(TWO_ITEMS)
    plain = extract(text.encode(), name="letter.txt")
    typographic = text.replace(" ", "\u00a0", 200).replace("'", "\u2019").replace("\n", "\r\n")
    for data in (typographic.encode("utf-8"), "\ufeff".encode() + typographic.encode("utf-8")):
        rec = extract(data, name="letter.txt")
        assert _decisions(rec) == _decisions(plain)
        assert rec["case_number"] == plain["case_number"] and rec["injury"] == plain["injury"]
        assert rec["reviewer"] == plain["reviewer"]


def test_reworded_summary_sentences_read_the_same_values():
    text = _text(TWO_ITEMS)
    want = extract(text.encode(), name="letter.txt")["injury"]
    changed = re.sub(r"Relevant\s+treatments\s+have\s+included:", "Prior treatment has consisted of:", text)
    changed = re.sub(r"is\s+undergoing\s+treatment\s+for", "has been diagnosed with", changed)
    assert changed != text
    for rec in _both(changed):
        assert rec["injury"] == want
        for key in ("diagnoses", "treatment_to_date"):
            assert rec["provenance"][f"injury.{key}"]["confidence"] >= REVIEW_THRESHOLD


def test_a_heading_whose_layout_and_words_disagree_goes_to_review():
    """Independent readings: a paragraph gap inside a heading says it starts later than its sentences do."""
    text = _text(MODIFIED)
    at = text.index("Norco 10/325mg #60 was the original request.", text.index("set forth below"))
    cut = text.index("request.", at) + len("request.")
    broken = text[:cut] + "\n\n" + text[cut:].lstrip(" ")
    for rec in _both(broken):
        assert rec["provenance"]["items[0].treatment"]["confidence"] < REVIEW_THRESHOLD
    for rec in _both(text):
        assert rec["provenance"]["items[0].treatment"]["confidence"] >= REVIEW_THRESHOLD


def test_a_decision_whose_paragraph_labels_are_worded_otherwise_is_kept_and_reviewed():
    text = _text(TWO_ITEMS)
    second = text.index("Acupuncture 3 times a week")
    tail = text[second:]
    for old, new in (
        ("Claims Administrator guideline:", "Guideline the claims administrator relied on:"),
        ("MAXIMUS guideline:", "Guideline the reviewer relied on:"),
        ("Decision rationale:", "Why:"),
    ):
        tail = tail.replace(old, new, 1)
    for rec in _both(text[:second] + tail):
        assert _decisions(rec) == [
            ("MRI of neck and right hand without contrast", "Upheld"),
            ("Acupuncture 3 times a week for 2 weeks, neck, right hand and head", "Overturned"),
        ]
        assert rec["provenance"]["items[0].decision"]["confidence"] >= REVIEW_THRESHOLD
        assert rec["provenance"]["items[1].decision"]["confidence"] < REVIEW_THRESHOLD
        assert {f["path"] for f in rec["findings"]} >= {"items[1].rationale", "items[1].maximus_guideline"}
