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


@pytest.mark.parametrize("joiner", [" and ", " / ", " & ", "/"])
def test_two_specialties_or_states_joined_otherwise_than_by_commas_are_two(joiner):
    """ "Preventive Medicine and Occupational Medicine" is two known specialties printed as one, "Texas /
    California" two states: read as two each, never as one value at high confidence."""
    text = _text(TWO_ITEMS)
    changed = text.replace(
        "Preventive Medicine, Occupational Medicine", f"Preventive Medicine{joiner}Occupational Medicine"
    )
    changed = changed.replace(
        "State(s) of Licensure: Texas", f"State(s) of Licensure: Texas{joiner}California"
    )
    assert changed.count(joiner) > text.count(joiner)
    for rec in _both(changed):
        assert rec["reviewer"]["specialties"] == ["Preventive Medicine", "Occupational Medicine"]
        assert rec["reviewer"]["licensure_states"] == ["Texas", "California"]


@pytest.mark.parametrize(
    ("printed", "want"),
    [
        ("Physical Medicine & Rehabilitation and Pediatric Rehabilitation Medicine",
         ["Physical Medicine & Rehabilitation", "Pediatric Rehabilitation Medicine"]),
        ("Internal Medicine / Hospice & Palliative Medicine", ["Internal Medicine", "Hospice & Palliative Medicine"]),
        ("Physical Medicine and Rehabilitation", ["Physical Medicine and Rehabilitation"]),
        ("Public Health & General Preventive Medicine", ["Public Health & General Preventive Medicine"]),
    ],
)  # fmt: skip
def test_a_specialty_with_and_in_its_name_stays_whole_beside_another(printed, want):
    changed = _text(TWO_ITEMS).replace("Preventive Medicine, Occupational Medicine", printed)
    for rec in _both(changed):
        assert rec["reviewer"]["specialties"] == want
        assert rec["provenance"]["reviewer.specialties"]["confidence"] >= REVIEW_THRESHOLD


@pytest.mark.parametrize(
    ("specialty", "state"),
    [
        ("Spine Care and Wellness", "Texas"),
        ("Preventive Medicine", "Texas / Ontario"),
        ("Family Practice", "Tex."),
    ],
)
def test_an_unknown_joined_specialty_or_a_state_that_is_none_goes_to_review(specialty, state):
    text = _text(TWO_ITEMS)
    changed = text.replace("Preventive Medicine, Occupational Medicine", specialty)
    changed = changed.replace("State(s) of Licensure: Texas", f"State(s) of Licensure: {state}")
    for rec in _both(changed):
        doubted = [p for p in ("reviewer.specialties", "reviewer.licensure_states")
                   if rec["provenance"][p]["confidence"] < REVIEW_THRESHOLD]  # fmt: skip
        assert doubted == (
            ["reviewer.specialties"] if " and " in specialty else ["reviewer.licensure_states"]
        )


@pytest.mark.parametrize("number", ["1. ", "1) ", "(1) ", "Item 1: "])
def test_numbered_item_headings_read_the_treatment_without_the_number(number):
    text = _text(TWO_ITEMS)
    changed = text.replace("MRI of neck and right hand", number + "MRI of neck and right hand", 1)
    changed = changed.replace(
        "Acupuncture 3 times a week", number.replace("1", "2") + "Acupuncture 3 times a week", 1
    )
    assert f"set forth below:\n{number}MRI of neck" in changed  # the headings are what changed
    for rec in _both(changed):
        assert [i["treatment"] for i in rec["items"]] == [
            "MRI of neck and right hand without contrast",
            "Acupuncture 3 times a week for 2 weeks, neck, right hand and head",
        ]


def test_a_header_of_one_label_a_line_does_not_join_labels_across_lines():
    """ "Date of Decision:" above "Injury Date:": the "Date of" of one and the "Injury" below it are no "Date
    of Injury" label; "Injury Date:" above "Date Assigned:" is no "Date Assigned" label either."""
    text = _text(TWO_ITEMS)
    header = text[: text.index("HOW THE IMR")]
    stacked = (
        "Case Number: CM16-0230548\nDate of Decision: 01/04/2017\nInjury Date: 11/01/2016\n"
        "Date Assigned: 12/06/2016\nUR Denial Date: 12/01/2016\nPriority: Standard\n"
        "Application Received: 12/01/2016\n"
    )
    rec = extract(text_letter_pdf(stacked + text[len(header) :]), name="letter.pdf")
    for path, value in (("date_of_injury", "2016-11-01"), ("date_assigned", "2016-12-06")):
        assert rec[path] == value or rec["provenance"].get(path, {}).get("confidence", 0) < REVIEW_THRESHOLD
    assert rec["date_assigned"] == "2016-12-06"


@pytest.mark.parametrize(
    ("upheld", "overturned"), [(": Uphcld", ": Ovcrturncd"), ("; Upheld", "; Overturned")]
)
def test_a_decision_word_a_scan_misread_keeps_its_item_and_goes_to_review(upheld, overturned):
    """A fax read by OCR: "Uphcld", or the colon read as ";". The items stay, with the decision the word is
    nearest to, and both decisions are put in front of the reviewer."""
    text = _text(TWO_ITEMS)
    changed = text.replace(": Upheld", upheld, 1).replace(": Overturned", overturned, 1)
    for rec in _both(changed):
        assert _decisions(rec) == [
            ("MRI of neck and right hand without contrast", "Upheld"),
            ("Acupuncture 3 times a week for 2 weeks, neck, right hand and head", "Overturned"),
        ]
        for n in (0, 1):
            assert rec["provenance"][f"items[{n}].decision"]["confidence"] < REVIEW_THRESHOLD


def test_an_item_whose_decision_line_was_not_read_is_not_lost_silently():
    """A decision word misread past recognition ("Uphcii"): that item cannot be read, but the item whose
    block now holds its paragraphs says so, and the letter goes to review."""
    changed = _text(TWO_ITEMS).replace(": Upheld", ": Uphcii", 1)
    for rec in _both(changed):
        assert len(rec["items"]) == 1
        prov = rec["provenance"]
        assert prov["items[0].decision"]["confidence"] < REVIEW_THRESHOLD
        assert prov["items[0].treatment"]["confidence"] < REVIEW_THRESHOLD
    for rec in _both(_text(TWO_ITEMS)):  # the letter as printed: nothing doubted
        assert rec["provenance"]["items[0].decision"]["confidence"] >= REVIEW_THRESHOLD


def test_a_scan_s_accents_are_taken_off_and_the_word_doubted():
    from imrdesk.extract.ocr import MISREAD, fold_accents

    assert fold_accents("DÉCISIONS") == ("DECISIONS", True)
    assert fold_accents("CASÉ") == ("CASE", True)
    assert fold_accents("Upheld") == ("Upheld", False)
    assert fold_accents("§ 9792.24.2") == ("§ 9792.24.2", False)  # a sign, not an accent
    assert MISREAD < 0.93  # below the word confidence a value keeps: its value goes to review
