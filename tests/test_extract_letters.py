"""Extraction on real letters: the 2016-17 PDFs, the 2014 layout as text and as generated PDF, the 2013 notice."""

from __future__ import annotations

import json
import re

import pdfplumber
import pytest
from pdfgen import FIXTURES, SHARED_CORPUS, seed_text, text_letter_pdf

from imrdesk.extract import REVIEW_THRESHOLD, extract, load
from imrdesk.extract.letter import HEADER_FIELDS

SEED_A = "000_a1eecbe2ec3dca72.txt"
SEED_B = "003_9351796eb9e60cf4.txt"


def _pdfs() -> list:
    folder = SHARED_CORPUS / "pdf"
    return sorted(folder.glob("*.pdf")) if folder.is_dir() else []


def _decisions_printed(path) -> int:
    """Independent count of a letter's decisions: its 'Claims Administrator guideline:' labels."""
    with pdfplumber.open(path) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    return len(re.findall(r"Claims Administrator guideline:", text))


@pytest.mark.skipif(not _pdfs(), reason="the shared corpus (../shared/corpus/pdf) is not beside the project")
@pytest.mark.parametrize("path", _pdfs(), ids=lambda p: p.stem)
def test_every_shared_letter_extracts_cleanly(path):
    rec = extract(path)
    assert rec["error"] is None
    assert rec["format"] == "imr-2016"
    assert rec["case_number"] == path.stem
    assert len(rec["items"]) == _decisions_printed(path) > 0
    for n, item in enumerate(rec["items"]):
        assert item["decision"] in ("Upheld", "Overturned")
        assert item["treatment"] and not item["treatment"].endswith((":", " is"))
        assert item["rationale"] and item["maximus_guideline"] and item["claims_administrator_guideline"]
        assert f"items[{n}].decision" in rec["provenance"]
    for key in ("date_assigned", "decision_date", "ur_denial_date", "application_received", "date_of_injury"):
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", rec[key]), key
    assert rec["date_of_injury"] <= rec["ur_denial_date"] <= rec["decision_date"]


def _gold_cases():
    return sorted((FIXTURES / "gold").glob("*.json"))


@pytest.mark.parametrize("gold_path", _gold_cases(), ids=lambda p: p.stem)
def test_fixture_letters_match_gold(gold_path):
    gold = json.loads(gold_path.read_text())
    rec = extract(FIXTURES / "pdf" / f"{gold_path.stem}.pdf")
    for key in HEADER_FIELDS:
        assert rec[key] == gold[key], key
    assert rec["reviewer"] == gold["reviewer"]
    assert rec["patient"] == gold["patient"]
    assert len(rec["items"]) == len(gold["items"])
    for got, want in zip(rec["items"], gold["items"], strict=True):
        assert got["decision"] == want["decision"]
        assert re.sub(r"\s+is$", "", got["treatment"]) == re.sub(r"\s+is$", "", want["treatment"])
        assert got["claims_administrator_sources"] == want["claims_administrator_sources"]
        assert got["maximus_sources"] == want["maximus_sources"]
        assert got["rationale"].startswith(want["rationale_first_words"])


def test_modified_request_is_split_into_its_parts():
    rec = extract(FIXTURES / "pdf" / "CM16-0234202.pdf")
    (item,) = rec["items"]
    assert item["original_request"] == "Norco 10/325mg #60"
    assert item["authorized"] == "Norco 10/325mg #25"
    assert item["disputed_portion"] == "Norco 10/325mg #35"
    assert item["decision"] == "Upheld"
    # The heading starts on page 1 and the guideline paragraphs follow on page 2.
    assert rec["provenance"]["items[0].treatment"]["page"] == 1
    assert rec["provenance"]["items[0].maximus_guideline"]["page"] == 2
    cite = item["maximus_citations"][0]
    assert (cite["source"], cite["title"], cite["year"]) == ("MTUS", "Opioid Treatment", 2016)
    assert cite["section"].startswith("1.4 Opioids for Acute Pain")


def test_heading_at_top_of_a_page_is_not_glued_to_the_previous_rationale():
    rec = extract(FIXTURES / "pdf" / "CM17-0008479.pdf")
    treatments = [i["treatment"] for i in rec["items"]]
    assert "Extracorporeal shockwave therapy (ESWT)" in treatments
    last = rec["items"][7]
    # "…(TPII); Hyperstimulation analgesia" is one more section of the same ODG chapter, not another source.
    assert last["claims_administrator_sources"] == ["ODG"]
    assert last["maximus_sources"] == ["OTHER"]


def test_header_values_point_at_their_words():
    path = FIXTURES / "pdf" / "CM17-0009282.pdf"
    rec = extract(path)
    prov = rec["provenance"]["case_number"]
    with pdfplumber.open(path) as pdf:
        words = pdf.pages[0].extract_words()
    (word,) = [w for w in words if w["text"] == "CM17-0009282"]
    assert prov["page"] == 1
    assert prov["boxes"] == [[round(word[k], 2) for k in ("x0", "top", "x1", "bottom")]]
    assert prov["confidence"] >= REVIEW_THRESHOLD


def _check_seed_a(rec):
    assert rec["error"] is None and rec["format"] == "imr-2014"
    assert rec["reviewer"] == {
        "licensure_states": ["Minnesota"],
        "specialties": ["Physical Medicine & Rehabilitation", "Pain Medicine"],
    }
    assert rec["patient"] == {"age": 30, "sex": "male"}
    assert rec["date_of_injury"] == "2013-06-20"
    assert rec["injury"]["mechanism"] == "a fall"
    assert [i["treatment"] for i in rec["items"]] == [
        "BILATERAL ULTRASOUND GUIDED LUMBAR FACET INJECTIONS AT L4-L5, L5-S1",
        "PHYSICAL MEDICINE AND REHABILITATION FOLLOW-UP VISIT POST INJECTION",
    ]
    assert [i["decision"] for i in rec["items"]] == ["Upheld", "Upheld"]
    first = rec["items"][0]
    # "did not base their decision on the MTUS. Decision based on Non-MTUS Citation MTUS ACOEM Guidelines"
    assert first["claims_administrator_sources"] == ["MTUS", "ACOEM"]
    assert first["maximus_sources"] == ["MTUS", "ACOEM", "ODG"]
    assert first["maximus_citations"][0]["chapter"] == "12"
    assert first["maximus_citations"][0]["pages"] == "301"
    assert rec["items"][1]["maximus_sources"] == []
    assert rec["items"][1]["rationale"].startswith("Since the primary procedure is not medically necessary")


def test_seed_letter_as_text():
    _check_seed_a(extract(FIXTURES / "seeds" / SEED_A))


@pytest.mark.parametrize("bold", [True, False], ids=["bold-headings", "plain"])
def test_seed_letter_as_generated_pdf(bold):
    data = text_letter_pdf(seed_text(SEED_A), bold_headings=bold)
    rec = extract(data, name="seed-a.pdf")
    _check_seed_a(rec)
    assert rec["provenance"]["items[0].decision"]["page"] >= 1


def test_second_seed_with_colons_inside_headings_as_text_and_pdf():
    for rec in (
        extract(FIXTURES / "seeds" / SEED_B),
        extract(text_letter_pdf(seed_text(SEED_B), footer="Page {n} of 3"), name="seed-b.pdf"),
    ):
        assert rec["format"] == "imr-2014"
        assert rec["reviewer"]["specialties"] == ["Anesthesiology", "Pain Management"]
        assert rec["reviewer"]["licensure_states"] == ["Tennessee"]
        assert rec["patient"] == {"age": 43, "sex": "female"}
        assert rec["date_of_injury"] == "1999-03-10"
        treatments = [i["treatment"] for i in rec["items"]]
        assert treatments[0] == "BILATERAL LUMBAR MEDIAL BRANCH BLOCK L2 NOT SAME DAY (SECOND SET) QTY: 2.00"
        assert treatments[-2:] == ["FLUOROSCOPIC GUIDANCE", "MODERATE SEDATION SERVICES"]
        assert len(treatments) == 5
        assert not any("Page" in (i["rationale"] or "") for i in rec["items"])  # running footer dropped


def test_2013_notice_fragment():
    rec = extract(FIXTURES / "fragments" / "medicpdf_workcompliens_2013-09-26.txt")
    assert rec["error"] is None and rec["format"] == "imr-2013"
    assert [(i["treatment"], i["decision"]) for i in rec["items"]] == [
        ("a 28 day functional restoration program", "Upheld"),
        ("a 6 month follow-up aftercare program", "Upheld"),
    ]
    assert rec["decision_date"] == "2013-09-26"
    assert rec["application_received"] == "2013-09-06"
    assert rec["ur_denial_date"] == "2013-08-30"
    assert rec["reviewer"] == {"licensure_states": ["California"], "specialties": ["Occupational Medicine"]}
    assert rec["patient"] == {"age": 44, "sex": "female"}


def test_overturned_notice_decision_and_header_conflict_lower_confidence():
    text = (FIXTURES / "fragments" / "medicpdf_workcompliens_2013-09-26.txt").read_text()
    text = text.replace(
        "for a 28 day\nfunctional restoration program is notmedically",
        "for a 28 day\nfunctional restoration program is medically",
        1,
    )
    rec = extract(text.encode(), name="notice.txt")
    assert rec["items"][0]["decision"] == "Overturned"
    assert rec["items"][1]["decision"] == "Upheld"


def test_header_and_summary_injury_dates_disagree_is_low_confidence():
    path = FIXTURES / "pdf" / "CM17-0009282.pdf"
    rec = extract(path)
    assert rec["provenance"]["date_of_injury"]["confidence"] >= REVIEW_THRESHOLD
    # Same letter as text, with the summary's date changed: the header's value stays, flagged for review.
    with pdfplumber.open(path) as pdf:
        text = "\n".join(p.extract_text() for p in pdf.pages)
    summary_date = re.search(r"injury on (\S+?)[.,\s]", text.split("CLINICAL CASE SUMMARY")[1]).group(1)
    changed = text.replace(f"injury on {summary_date}", "injury on 01/02/2015")
    rec2 = extract(changed.encode(), name="changed.txt")
    assert rec2["date_of_injury"] == rec["date_of_injury"]
    assert rec2["provenance"]["date_of_injury"]["confidence"] < REVIEW_THRESHOLD


def test_flattened_text_copy_reads_the_same_and_flags_the_weaker_headings():
    """A letter pasted into a .txt loses fonts and gaps: values still right, uncertain headings sent to review."""
    path = FIXTURES / "pdf" / "CM17-0006634.pdf"
    from_pdf = extract(path)
    with pdfplumber.open(path) as pdf:
        text = "\n".join(page.extract_text() for page in pdf.pages)
    from_text = extract(text.encode(), name="pasted.txt")
    assert from_text["error"] is None
    for key in (
        "case_number",
        "date_assigned",
        "date_of_injury",
        "decision_date",
        "priority",
        "reviewer",
        "patient",
    ):
        assert from_text[key] == from_pdf[key], key
    assert [i["treatment"] for i in from_text["items"]] == [i["treatment"] for i in from_pdf["items"]]
    assert [i["decision"] for i in from_text["items"]] == [i["decision"] for i in from_pdf["items"]]
    assert all(
        from_pdf["provenance"][f"items[{n}].treatment"]["confidence"] >= REVIEW_THRESHOLD
        for n in range(len(from_pdf["items"]))
    )
    assert all(
        from_text["provenance"][f"items[{n}].treatment"]["confidence"] < REVIEW_THRESHOLD
        for n in range(1, len(from_text["items"]))
    )


def test_2014_letter_with_a_header_block_and_case_number_in_the_footer():
    header = (
        "Independent Medical Review Final Determination Letter\n\nDated: 1/28/2014\n\n"
        "IMR Case Number: CM13-0043568 Date of Injury: 06/20/2013\n"
        "UR Denial Date: 10/28/2013 Priority: STANDARD\nApplication Received: 11/04/2013\n\n"
    )
    rec = extract((header + seed_text(SEED_A)).encode(), name="with-header.txt")
    assert rec["format"] == "imr-2014"
    assert (rec["case_number"], rec["decision_date"], rec["ur_denial_date"], rec["application_received"]) == (
        "CM13-0043568",
        "2014-01-28",
        "2013-10-28",
        "2013-11-04",
    )
    assert rec["priority"] == "STANDARD" and rec["findings"] == []
    footer_pdf = text_letter_pdf(seed_text(SEED_A), footer="CM13-0043568   Page {n} of 2")
    rec = extract(footer_pdf, name="footer.pdf")
    assert rec["case_number"] == "CM13-0043568"
    assert rec["provenance"]["case_number"]["confidence"] < REVIEW_THRESHOLD  # read off a running footer
    assert not any("Page" in (i["rationale"] or "") for i in rec["items"])


def _value_paths(rec: dict):
    for key in (*HEADER_FIELDS, "summary"):
        if rec[key] not in (None, []):
            yield key
    for group in ("reviewer", "patient", "injury"):
        for key, value in rec[group].items():
            if value not in (None, []):
                yield f"{group}.{key}"
    for n, item in enumerate(rec["items"]):
        for key, value in item.items():
            if value not in (None, []):
                yield f"items[{n}].{key}"


@pytest.mark.parametrize(
    "path",
    sorted((FIXTURES / "pdf").glob("*.pdf")) + sorted((FIXTURES / "seeds").glob("*")),
    ids=lambda p: p.name,
)
def test_every_value_has_provenance_on_its_page(path):
    rec = extract(path)
    sizes = load(path.read_bytes(), path.name).page_sizes
    for value_path in _value_paths(rec):
        prov = rec["provenance"].get(value_path)
        assert prov, value_path
        assert 1 <= prov["page"] <= rec["pages"] and 0 <= prov["confidence"] <= 1
        width, height = sizes[prov["page"] - 1]
        for x0, top, x1, bottom in prov["boxes"]:
            assert 0 <= x0 < x1 <= width and 0 <= top < bottom <= height


def test_2013_notice_rationale_pages_fill_guidelines_and_rationale():
    """The notice's later pages ("1) Regarding the request for X:") carry each item's guidelines and rationale.

    The shared fragment is truncated before them; this continuation is written in the notice's wording.
    """
    text = (FIXTURES / "fragments" / "medicpdf_workcompliens_2013-09-26.txt").read_text()
    text += (FIXTURES / "fragments" / "notice_rationale_pages.txt").read_text()
    rec = extract(text.encode(), name="notice.txt")
    first, second = rec["items"]
    assert first["claims_administrator_sources"] == ["MTUS"]
    assert first["maximus_sources"] == ["MTUS", "ODG"]
    assert first["rationale"].startswith("The records do not show")
    assert second["maximus_sources"] == [] and second["rationale"].startswith("As the program itself")
    assert rec["findings"] == []


def test_diagnoses_keep_icd_names_whole():
    from imrdesk.extract.diagnoses import find_diagnoses

    text = "Diagnoses include strain of muscle and or tendon of wrist, strain of unspecified muscle, fascia and tendon at upper arm level; lumbar sprain and strain, and neck pain."
    assert find_diagnoses(text).value == [
        "strain of muscle and or tendon of wrist",
        "strain of unspecified muscle, fascia and tendon at upper arm level",
        "lumbar sprain and strain",
        "neck pain",
    ]


def test_mtus_citations_split_between_guidelines_not_inside_titles():
    from imrdesk.extract.citations import parse_guideline

    citations, families, _ = parse_guideline(
        "Decision based on MTUS Shoulder Complaints 2004, Section(s): Initial Care, Follow-up Visits, and Forearm, "
        "Wrist, and Hand Complaints 2004, Section(s): Physical Methods, and Chronic Pain Medical Treatment 2016, "
        "Section(s): Physical medicine treatment. Decision based on Non-MTUS Citation Official Disability "
        "Guidelines (ODG), Knee & Leg, Durable medical equipment (DME)."
    )
    assert [(c["source"], c["title"], c["year"], c["section"]) for c in citations] == [
        ("MTUS", "Shoulder Complaints", 2004, "Initial Care, Follow-up Visits"),
        ("MTUS", "Forearm, Wrist, and Hand Complaints", 2004, "Physical Methods"),
        ("MTUS", "Chronic Pain Medical Treatment", 2016, "Physical medicine treatment"),
        ("ODG", "Knee & Leg", None, "Durable medical equipment (DME)"),
    ]
    assert families == ["MTUS", "ODG"]


@pytest.mark.skipif(not _pdfs(), reason="the shared corpus (../shared/corpus/pdf) is not beside the project")
def test_flat_text_heading_that_starts_with_a_number():
    """'1 knee scooter: Upheld' after a rationale: the sentence-end fallback must accept a leading digit."""
    path = SHARED_CORPUS / "pdf" / "CM17-0004547.pdf"
    with pdfplumber.open(path) as pdf:
        text = "\n".join(page.extract_text() for page in pdf.pages)
    from_text = extract(text.encode(), name="pasted.txt")
    assert [i["treatment"] for i in from_text["items"]] == [i["treatment"] for i in extract(path)["items"]]
    assert from_text["findings"] == []
