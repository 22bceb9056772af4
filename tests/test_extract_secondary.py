"""Secondary fields — treatment to date, diagnoses, mechanism, structured citations — one test per phrasing
family; confidence from evidence; misses as findings; the new parsers never raise (hypothesis)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdfgen import FIXTURES

from imrdesk.extract import REVIEW_THRESHOLD, extract, load, rules
from imrdesk.extract.citations import read_guideline
from imrdesk.extract.diagnoses import find_diagnoses, split_diagnoses
from imrdesk.extract.evidence import sentence_end, shape_doubts
from imrdesk.extract.generic import read_unknown
from imrdesk.extract.injury import find_mechanism, find_treatment
from imrdesk.extract.items import modified_request
from imrdesk.extract.layout import detect
from imrdesk.extract.reviewer import find_reviewer

OPENING = "The injured worker is a 44 year old male who sustained an industrial injury on 11-14-2016. "


# ------------------------------------------------------------------------------------- treatment to date
@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        (
            "Treatment to date has included physical therapy and medications.",
            "physical therapy and medications",
        ),
        (
            "Treatments to date include activity modification and medication therapy.",
            "activity modification and medication therapy",
        ),
        (
            "Treatment and diagnostic studies to date has included medication regimen and radiographs.",
            "medication regimen and radiographs",
        ),
        (
            "Treatment and evaluation to date has included medications, x-rays and a Toradol injection.",
            "medications, x-rays and a Toradol injection",
        ),
        (
            "Treatments and evaluation to date have included Pamelor, Robaxin, and physical therapy.",
            "Pamelor, Robaxin, and physical therapy",
        ),
        (
            "The treatment and diagnostic testing to date has included: spica splint and medications.",
            "spica splint and medications",
        ),
        (
            "Relevant treatments have included: physical therapy, work restrictions, and medications.",
            "physical therapy, work restrictions, and medications",
        ),
        ("Prior relevant treatment included physical therapy.", "physical therapy"),
        (
            "Past treatments were noted to include medication and activity modification.",
            "medication and activity modification",
        ),
        ("Previous treatments included chiropractic care.", "chiropractic care"),
        ("Treatment rendered included diagnostic testing and follow up.", "diagnostic testing and follow up"),
        (
            "The treatment to date includes the medications of Ibuprofen with Pepcid.",
            "the medications of Ibuprofen with Pepcid",
        ),
        (
            "The treatment to date includes meloxicam 7.5 mg, however it is not effective.",
            "meloxicam 7.5 mg, however it is not effective",
        ),
        (
            "The injured worker previously received the following treatments Ibuprofen and 6 sessions of physical therapy.",
            "Ibuprofen and 6 sessions of physical therapy",
        ),
        (
            "The patient had been treated with a Controlled Ankle Movement Boot and knee immobilizer.",
            "a Controlled Ankle Movement Boot and knee immobilizer",
        ),
        ("To date, treatment has consisted of rest and ice.", "rest and ice"),
        ("Treatment modalities have included rest and ice.", "rest and ice"),
        ("The patient's treatment to date has included rest and ice.", "rest and ice"),
        ("Treatment received to date includes rest and ice.", "rest and ice"),
        ("Treatment to date: rest and ice.", "rest and ice"),
    ],
)
def test_treatment_to_date_phrasings(sentence, value):
    reading = find_treatment(OPENING + sentence + " The treatment plan included an MRI.")
    assert reading.value == value
    assert reading.confidence >= REVIEW_THRESHOLD


@pytest.mark.parametrize(
    "sentence",
    [
        "Past treatments were not noted for review.",
        "The treatment plan included physical therapy and an MRI.",
        "The following treatments were requested; physical therapy 2 times a week.",
        "Home health care note dated 12/12/2016 states wound care was completed.",
    ],
)
def test_no_treatment_to_date_where_none_is_stated(sentence):
    assert find_treatment(OPENING + sentence) is None


# ------------------------------------------------------------------------------------------------ diagnoses
@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        (
            "Diagnoses include lumbar strain, left hip strain and left knee strain.",
            ["lumbar strain", "left hip strain", "left knee strain"],
        ),
        (
            "The current diagnoses are documented as sprain of ligaments of cervical spine and lumbar sprain.",
            ["sprain of ligaments of cervical spine", "lumbar sprain"],
        ),
        (
            "The current diagnosis is documented cervical spine sprain/strain and low back pain.",
            ["cervical spine sprain/strain", "low back pain"],
        ),
        (
            "He was diagnosed with a head contusion, cervical strain and right shoulder sprain.",
            ["head contusion", "cervical strain", "right shoulder sprain"],
        ),
        (
            "The injured worker was diagnosed as having right elbow lateral epicondylitis.",
            ["right elbow lateral epicondylitis"],
        ),
        (
            "The injured worker is undergoing treatments for contusion of the lumbar spine, suspect right sided neural impingement.",
            ["contusion of the lumbar spine", "suspect right sided neural impingement"],
        ),
        (
            "A review of the records shows the worker has diagnosis that include tenosynovitis right wrist, and carpal tunnel syndrome right wrist.",
            ["tenosynovitis right wrist", "carpal tunnel syndrome right wrist"],
        ),
        (
            "The worker has had diagnoses of right distal radius fracture and stiffness of right wrist joint; stiffness of right hand joint.",
            [
                "right distal radius fracture",
                "stiffness of right wrist joint",
                "stiffness of right hand joint",
            ],
        ),
        ("The physician gave the applicant a diagnosis of lumbar radiculopathy.", ["lumbar radiculopathy"]),
        ("He carries a diagnosis of lumbar radiculopathy.", ["lumbar radiculopathy"]),
        ("The diagnostic impression is lumbar radiculopathy.", ["lumbar radiculopathy"]),
        (
            "The diagnoses have included lumbar radiculopathy and neck pain.",
            ["lumbar radiculopathy", "neck pain"],
        ),
        ("Impression: lumbar radiculopathy.", ["lumbar radiculopathy"]),
        (
            "Diagnoses, and-or impressions, were noted to include: low back injury; sacroiliac joint sprain.",
            ["low back injury", "sacroiliac joint sprain"],
        ),
    ],
)
def test_diagnosis_sentences(sentence, value):
    reading = find_diagnoses(OPENING + sentence + " He was seen again later.")
    assert reading.value == value
    assert reading.confidence >= REVIEW_THRESHOLD


@pytest.mark.parametrize(
    ("listing", "value"),
    [
        # ICD names keep their own commas; a site after a comma qualifies the diagnosis before it
        (
            "other intervertebral disc displacement, lumbosacral region",
            ["other intervertebral disc displacement, lumbosacral region"],
        ),
        (
            "strain of muscle, fascia, and tendon of lower back, subsequent encounter; dorsalgia, unspecified",
            [
                "strain of muscle, fascia, and tendon of lower back, subsequent encounter",
                "dorsalgia, unspecified",
            ],
        ),
        (
            "contusion of face, scalp and neck and acute cervical sprain",
            ["contusion of face, scalp and neck", "acute cervical sprain"],
        ),
        # a shared head noun, a bare condition sharing the site
        ("right and left shoulder joint sprain", ["right and left shoulder joint sprain"]),
        (
            "right wrist and right hand sprain and wrist tendinitis and bursitis",
            ["right wrist and right hand sprain", "wrist tendinitis and bursitis"],
        ),
        ("dizziness and giddiness", ["dizziness and giddiness"]),
        (
            "sprain of joints and ligaments of other parts of neck",
            ["sprain of joints and ligaments of other parts of neck"],
        ),
        # every "and" between diagnoses splits, not only the last one
        (
            "possible rotator cuff tear and impingement syndrome and left thumb fracture",
            ["possible rotator cuff tear", "impingement syndrome", "left thumb fracture"],
        ),
        ("a lumbar strain", ["lumbar strain"]),
    ],
)
def test_diagnoses_are_split_by_what_names_a_condition(listing, value):
    assert find_diagnoses(f"Diagnoses include {listing}.").value == value


def test_a_claim_is_not_a_diagnosis():
    text = "The applicant is a 48-year-old male who has filed a claim for shoulder pain reportedly associated with an industrial injury."
    assert find_diagnoses(text) is None


def test_an_and_that_may_join_one_diagnosis_is_doubted():
    reading = find_diagnoses(
        "The patient is being treated for right shoulder pain and injury status post-surgery."
    )
    assert reading.confidence < REVIEW_THRESHOLD
    assert "an 'and' that may join one diagnosis" in reading.doubts


# ------------------------------------------------------------------------------------------------ mechanism
@pytest.mark.parametrize(
    ("sentence", "value", "strict"),
    [
        ("The mechanism of injury is detailed as a slip and fall.", "a slip and fall", True),
        (
            "Mechanism of injury is detailed as occurring when the patient lifted a gas tank.",
            "lifted a gas tank",
            True,
        ),
        (
            "The mechanism of injury is detailed as the patient bent down to pick up a wrench and felt a strain.",
            "bent down to pick up a wrench",
            True,
        ),
        (
            "Mechanism of injury occurred when the injured worker was hit by an object then fell.",
            "hit by an object then fell",
            True,
        ),
        ("Mechanism of injury: repetitive work.", "repetitive work", True),
        ("The mechanism of injury involved a fall.", "a fall", True),
        (
            "The injury occurred when she was carrying boxes down the stairs.",
            "carrying boxes down the stairs",
            True,
        ),
        (
            "The patient reported injury when carrying rebar which slid down and struck his foot.",
            "carrying rebar which slid down and struck his foot",
            False,
        ),
        ("He sustained a spinal contusion after a fall.", "a fall", False),
        (
            "The injured worker was punched in the face by a customer.",
            "punched in the face by a customer",
            False,
        ),
        ("He sustained a crush injury to the left hand at work.", "a crush injury", False),
        ("She rolled her right ankle on a curb.", "rolled her right ankle on a curb", False),
        (
            "She was seen in the emergency room after she slipped and fell on a wet floor.",
            "slipped and fell on a wet floor",
            False,
        ),
        ("She injured her back while lifting a patient.", "lifting a patient", False),
        ("He reported that he was lifting a heavy box when he felt pain.", "lifting a heavy box", False),
        ("She reported pain that started while pushing boxes.", "pushing boxes", False),
        ("He was involved in a motor vehicle accident.", "a motor vehicle accident", False),
        (
            "The patient was pulling a pallet jack when he felt a pop in his back.",
            "pulling a pallet jack",
            False,
        ),
        ("He felt a sharp pain in his back while lifting a box of files.", "lifting a box of files", False),
        ("The injury occurred as a result of a fall from a ladder.", "a fall from a ladder", True),
    ],
)
def test_mechanism_phrasings(sentence, value, strict):
    reading = find_mechanism(OPENING + sentence + " Pain was rated 6/10.")
    assert reading.value == value
    assert (reading.confidence >= REVIEW_THRESHOLD) is strict  # a causal cue is a fallback: always reviewed


@pytest.mark.parametrize(
    "sentence",
    [
        "Mechanism of injury is unclear.",
        "The mechanism of injury was not detailed in the information provided for review.",
        "The applicant has filed a claim for knee pain reportedly associated with an industrial contusion injury.",
        "The utilization review denied the request due to repetitive use of imaging.",
    ],
)
def test_no_mechanism_where_the_letter_states_none(sentence):
    assert find_mechanism(OPENING + sentence) is None


# ------------------------------------------------------------------------------------------------ citations
def _cites(paragraph: str) -> list[tuple]:
    return [(c["source"], c["title"], c["pages"], c["year"]) for c in read_guideline(paragraph).citations]


@pytest.mark.parametrize(
    ("paragraph", "want"),
    [
        # a date inside brackets, commas inside brackets: no cut
        (
            "Decision based on Non-MTUS Citation Official Disability Guidelines (ODG), Pain (updated 11/16/16), Lidoderm (Lidocaine patch, topical).",
            [("ODG", "Pain (updated 11/16/16)", None, None)],
        ),
        # a web address keeps its colon and slashes
        (
            "Decision based on Non-MTUS Citation http://www.drugs.com/famotidine.html.",
            [("OTHER", "http://www.drugs.com/famotidine.html", None, None)],
        ),
        # pages as letters print them
        (
            "Decision based on Non-MTUS Citation ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Low Back Disorders, pg. 607.",
            [("ACOEM", "Low Back Disorders", "607", None)],
        ),
        (
            "Decision based on MTUS ACOEM Chapter 12 Low Back Complaints Page(s): 301.",
            [("MTUS", "Low Back Complaints", "301", None)],
        ),
        # "Non-MTUS" without the word "Citation" is not MTUS
        (
            "Decision based on Non-MTUS Official Disability Guidelines, Low Back Chapter.",
            [("ODG", "Low Back", None, None)],
        ),
        # a separate reference is its own citation
        (
            "Decision based on Non-MTUS Citation Official Disability Guidelines (ODG), Pain Chapter. Harris J. Occupational medicine practice guidelines, 2nd edition (2004).",
            [
                ("ODG", "Pain", None, None),
                (
                    "OTHER",
                    "Harris J. Occupational medicine practice guidelines, 2nd edition (2004)",
                    None,
                    2004,
                ),
            ],
        ),
        # ACOEM after "Other Medical Treatment Guidelines" is kept
        (
            "Decision based on Non-MTUS Citation Official Disability Guidelines (ODG), Knee & Leg and Other Medical Treatment Guidelines ACOEM Knee Disorders Chapter.",
            [("ODG", "Knee & Leg", None, None), ("ACOEM", "Knee Disorders", None, None)],
        ),
        # two ODG chapters in one sentence, and a bare chapter that takes the family its sentence names
        (
            "Decision based on Non-MTUS Citation Official Disability Guidelines, Neck and Upper Back, TENS; Low Back - Lumbar & Thoracic (Acute & Chronic).",
            [
                ("ODG", "Neck and Upper Back", None, None),
                ("ODG", "Low Back - Lumbar & Thoracic (Acute & Chronic)", None, None),
            ],
        ),
        (
            "Decision based on Non-MTUS Citation Neck and Upper Back, Physical Therapy, ODG Preface - Physical Therapy.",
            [("ODG", "Neck and Upper Back", None, None), ("ODG", "Preface", None, None)],
        ),
        # a chapter without any family named is another reference
        (
            "Decision based on Non-MTUS Citation Low Back (Hyperstimulation analgesia).",
            [("OTHER", "Low Back (Hyperstimulation analgesia)", None, None)],
        ),
        # MTUS guidelines each with their year; ", and" inside a title stays
        (
            "Decision based on MTUS Shoulder Complaints 2004, Section(s): Initial Care, and Forearm, Wrist, and Hand Complaints 2004.",
            [
                ("MTUS", "Shoulder Complaints", None, 2004),
                ("MTUS", "Forearm, Wrist, and Hand Complaints", None, 2004),
            ],
        ),
        ("The Claims Administrator did not cite any medical evidence for its decision.", []),
    ],
)
def test_citation_phrasings(paragraph, want):
    assert _cites(paragraph) == want


def test_two_names_after_a_semicolon_are_two_references_in_doubt():
    reading = read_guideline(
        "Decision based on Non-MTUS Citation CMS Physician Fee Schedule Search; Medicare Physicians Fee Schedule (MPFS)."
    )
    assert [c["title"] for c in reading.citations] == [
        "CMS Physician Fee Schedule Search",
        "Medicare Physicians Fee Schedule (MPFS)",
    ]
    assert reading.confidence < REVIEW_THRESHOLD
    assert _cites("Decision based on Non-MTUS Citation ODG 2016 Shoulder Chapter.") == [
        ("ODG", "Shoulder", None, 2016)
    ]


def test_a_citation_that_leaves_text_out_is_doubted():
    reading = read_guideline(
        "Decision based on MTUS Acupuncture Treatment 2007. These guidelines address acupuncture."
    )
    assert reading.confidence < REVIEW_THRESHOLD
    assert "text of the paragraph left out of the citations" in reading.doubts
    assert read_guideline("Decision based on MTUS Acupuncture Treatment 2007.").confidence >= REVIEW_THRESHOLD


# ------------------------------------------------------------------------------------- confidence from shape
def test_shape_doubts_name_what_is_wrong():
    text = "The treatment to date includes meloxicam 7.5 mg daily."
    cut = text.index("7") + 1
    assert "ends on a cut number" in shape_doubts(text, text.index("meloxicam"), cut, (3, 400))
    assert "starts mid-word" in shape_doubts(text, text.index("ludes"), len(text) - 1, (3, 400))
    assert "unbalanced parentheses" in shape_doubts("(acute and chronic", 0, 18, (3, 400))
    assert shape_doubts(text, text.index("meloxicam"), len(text) - 1, (3, 400)) == []
    assert sentence_end(text, 0) == len(text) - 1  # not at the decimal point


def test_doubts_travel_with_the_value_and_lower_its_confidence():
    path = FIXTURES / "pdf" / "CM17-0009282.pdf"
    text = "\n".join(line.text for line in load(path.read_bytes(), path.name).lines)
    rec = extract(
        text.replace("Treatment rendered included", "Treatment rendered included (").encode(), name="x.txt"
    )
    prov = rec["provenance"]["injury.treatment_to_date"]
    assert prov["confidence"] < REVIEW_THRESHOLD and "unbalanced parentheses" in prov["doubts"]


# ------------------------------------------------------------------------------------------ misses -> findings
@pytest.fixture(scope="module")
def letter() -> dict:
    return extract(FIXTURES / "pdf" / "CM17-0002198.pdf")


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda r: r["injury"].update(treatment_to_date=None), "injury.treatment_to_date"),
        (lambda r: r["injury"].update(diagnoses=[]), "injury.diagnoses"),
        (lambda r: r["items"][0].update(maximus_citations=[]), "items[0].maximus_citations"),
    ],
)
def test_a_value_the_letter_states_but_nobody_read_is_a_finding(letter, change, path):
    rec = copy.deepcopy(letter)
    assert not [f for f in rules.check(rec) if f.rule == "value_missed"]
    change(rec)
    (finding,) = [f for f in rules.check(rec) if f.rule == "value_missed"]
    assert finding.path == path
    assert "but" in finding.message


def test_a_mechanism_sentence_with_no_mechanism_read_is_a_finding(letter):
    rec = copy.deepcopy(letter)
    rec["summary"] += " The mechanism of injury is detailed as a slip and fall."
    rec["injury"]["mechanism"] = None
    assert ("value_missed", "injury.mechanism") in {(f.rule, f.path) for f in rules.check(rec)}
    rec["summary"] = rec["summary"].replace(
        "is detailed as a slip and fall", "was not detailed in the records"
    )
    assert ("value_missed", "injury.mechanism") not in {(f.rule, f.path) for f in rules.check(rec)}


def test_no_finding_where_the_letter_says_there_was_no_treatment(letter):
    rec = copy.deepcopy(letter)
    rec["summary"] = "The injured worker is a 41 year old male. Past treatments were not noted for review."
    rec["injury"]["treatment_to_date"] = None
    assert "injury.treatment_to_date" not in {f.path for f in rules.check(rec)}


# -------------------------------------------------------------------------------------------- never raise
_words = st.sampled_from(
    "Treatment to date has included Diagnoses include mechanism of injury is detailed as when after fall "
    "and , ; . : ( ) 7.5 mg Decision based on MTUS Non-MTUS Citation Official Disability Guidelines (ODG) "
    "Low Back Chapter Knee & Leg pg. 12 2004 Section(s): Upheld Overturned is not medically necessary "
    "Regarding the request for ISSUE AT DISPUTE: CASE SUMMARY Board Certified in licensed to practice in "
    "was the original request authorized by the Claims Administrator The remaining IMR eligible portion "
    "CM16-0234202 \n \u00a0 \u2019 http://x.org/a:b".split(" ")
)
_texts = st.one_of(st.text(max_size=300), st.lists(_words, max_size=80).map(" ".join))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_texts)
def test_the_new_parsers_never_raise(text):
    for finder in (find_treatment, find_mechanism, find_diagnoses, read_guideline, find_reviewer, detect):
        finder(text)
    split_diagnoses(text)
    modified_request(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_texts)
def test_the_generic_reader_never_raises_and_stays_below_the_threshold(text):
    if not text.strip():
        return
    rec = read_unknown(load(text.encode(), "letter.txt"))
    assert all(p["confidence"] < REVIEW_THRESHOLD for p in rec["provenance"].values())
    rules.apply(rec)


def test_a_list_item_that_names_neither_a_condition_nor_a_site_is_doubted():
    known = find_diagnoses("Diagnoses include lumbar HNP, cervical DDD and right knee strain.")
    assert known.value == ["lumbar HNP", "cervical DDD", "right knee strain"]
    assert known.confidence >= REVIEW_THRESHOLD
    site = find_diagnoses("Diagnoses include carpal tunnel syndrome, left upper limb.")
    assert site.value == ["carpal tunnel syndrome, left upper limb"] and site.confidence >= REVIEW_THRESHOLD
    unknown = find_diagnoses("Diagnoses include lumbar strain, cervical zygapophysealgia-like complaint.")
    assert unknown.confidence >= REVIEW_THRESHOLD  # "complaint" names a condition
    odd = find_diagnoses("Diagnoses include lumbar strain, cervical blorf.")
    assert odd.confidence < REVIEW_THRESHOLD and "a list item without a condition" in odd.doubts
