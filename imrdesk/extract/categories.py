"""Treatment categories and normalised treatment names, from the treatment text of a disputed item.

A transparent keyword classifier: :data:`RULES` is a list of ``(category, pattern)`` tried in order on the
treatment text (its disputed portion when the request was modified), with the words that only frame a
request ("Associated surgical service:", "Retrospective", "Post-op", dates of service) taken off first. The
first pattern that matches gives the category; :func:`explain` says which words decided it. The order
settles the overlaps: a test before an evaluation ("functional capacity evaluation" is a test), a visit
before an injection or surgery ("follow-up visit post injection", "spine surgery evaluation"), an injection
before imaging ("ultrasound guided facet injection"), equipment before therapy ("cold therapy unit"),
therapy before medication ("acupuncture with a capsaicin patch").

:func:`normalise` turns a treatment into the name "most disputed treatments" counts: a test or imaging
study with its body region ("MRI lumbar spine"), a therapy, injection or device by its kind ("Physical
therapy", "Epidural steroid injection", "TENS unit"), a medication by its drug name ("Norco"), anything
else by its words without quantities, frequencies and dates.
"""

from __future__ import annotations

import re

CATEGORIES = (
    "medication",
    "imaging",
    "therapy",
    "injection",
    "surgery",
    "DME",
    "diagnostic/testing",
    "consultation/evaluation",
    "other",
)
CATEGORY_LABELS = {
    "medication": "Medication",
    "imaging": "Imaging",
    "therapy": "Therapy (PT/OT/chiro/acupuncture)",
    "injection": "Injection",
    "surgery": "Surgery",
    "DME": "Equipment (DME)",
    "diagnostic/testing": "Diagnostic testing",
    "consultation/evaluation": "Consultation/evaluation",
    "other": "Other",
}

# Common workers' compensation drugs (brand and generic); a dose ("10mg", "5%", "#60") also marks a drug.
DRUGS = (
    "acetaminophen alprazolam ambien amitriptyline anaprox baclofen buprenorphine butrans capsaicin carisoprodol "
    "celebrex celecoxib codeine colace cyclobenzaprine cymbalta deprizine diazepam diclofenac dicopanol docusate "
    "duexis duloxetine etodolac famotidine fanatrex fentanyl fioricet flector flexeril flurbiprofen gabapentin "
    "hydrocodone ibuprofen keratek ketoprofen ketorolac lidocaine lidoderm lidopro lorazepam lyrica meloxicam "
    "menthoderm methadone methocarbamol mobic morphine motrin advil aleve nabumetone naproxen neurontin norco norflex nortriptyline "
    "nucynta omeprazole ondansetron orphenadrine oxycodone oxycontin pantoprazole pennsaid pepcid percocet "
    "pregabalin prilosec protonix ranitidine robaxin sentra senna sertraline skelaxin soma suboxone sumatriptan "
    "synapryn tabradol tapentadol terocin theramine tizanidine topiramate tramadol trazodone trepadone trezix "
    "tylenol ultracet ultram valium venlafaxine voltaren xanax zanaflex zofran zolpidem"
).split()
_DRUG = r"\b(?:" + "|".join(DRUGS) + r")\b"
_DOSE = r"\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)*\s?(?:mg|mcg|gm?|ml|%)(?![a-z])"

RULES: tuple[tuple[str, str], ...] = (
    (
        "diagnostic/testing",
        r"functional capacity (?:evaluation|exam)|\bfce\b|\bemg\b|\bnc[vs]\b|nerve conduction|electromyogra"
        r"|\blabs?\b|laboratory|\bcbc\b|chem(?:istry)? panel|urinalysis|\bua\b|urine drug|drug screen"
        r"|\be[kc]g\b|electrocardiogra|sleep study|polysomnogra|genetic test|\bqfce\b|range of motion test"
        r"|muscle testing|\bvng\b|audiogra|allergy test|blood test",
    ),
    (
        "consultation/evaluation",
        r"consult|referral|refer to|\beval(?:uation)?s?\b|assessment|\bexam(?:ination)?\b|office visit"
        r"|follow[- ]up visit|clearance|second opinion|transfer of care|\btoc\b"
        r"|specialist",
    ),
    (
        "injection",
        r"inject|epidural|\besi\b|nerve block|branch block|\bblocks?\b|facet|trigger point inj|\bprp\b"
        r"|platelet rich|radiofrequency|rhizotomy|neurotomy|ablation|botox|viscosupplement|synvisc"
        r"|hyaluron|cortisone|steroid shot",
    ),
    (
        "imaging",
        r"\bmri\b|\bmra\b|magnetic resonance|\bct\b|ct scan|computed tomography|cat scan|x-?rays?\b"
        r"|radiograph|bone scan|scintigra|imaging|fluoroscop|arthrogra|myelogra|discogra|dexa|\bpet\b"
        r"|(?:diagnostic )?ultrasound (?:of|study|scan)|sonogra|ultrasound-guided",
    ),
    (
        "surgery",
        r"surg(?:ery|ical|eon)|arthroscop|ectomy|plasty|otomy|desis\b|fusion|repair|decompression"
        r"|release\b|replacement|arthroplast|reconstruction|debridement|implant(?:ation)?|operative"
        r"|excision|manipulation under anesthesia|\bmua\b|carpal tunnel|hardware removal|\borif\b",
    ),
    (
        "DME",
        r"\bunits?\b|brace|support\b|pillow|sling|wheelchair|walker|\bcane\b|scooter|commode|chair"
        r"|workstation|gloves?|wipes|\bpads?\b|wraps?\b|cold therapy|cryotherapy|hot/cold|cold pack|orthotic"
        r"|orthosis|splint|collar|mattress|\bbed\b|durable medical|\bdme\b|crutch|stocking|garment|\bkit\b"
        r"|h-?wave|interferential|tens\b|cushion|shoe|insoles?|lift\b|reacher|grab bar|rental|purchase of",
    ),
    (
        "therapy",
        r"therap|\bpt\b|\bot\b|chiro|acupunct|manipulation|massage|exercise|biofeedback|infrared"
        r"|electrical stimulation|e-?stim|\bems\b|shock ?wave|\beswt\b|neurostimulation|work (?:hardening|conditioning)"
        r"|functional restoration|rehabilitation|aquatic|pool|traction|ultrasound|modalit|psychotherap"
        r"|cognitive behavio|\bcbt\b|counsel|yoga|pilates|gym membership|home health|program",
    ),
    (
        "medication",
        _DRUG + r"|" + _DOSE + r"|medication|compound|\bcream\b|ointment|\bgel\b|patch|lotion|tablets?\b"
        r"|\btabs?\b|capsules?\b|\bcaps?\b|suspension|solution|\bspray\b|refills?|prescription|\bdrug"
        r"|topical|analgesic|opioid|nsaid|muscle relaxant|medical food",
    ),
)
_COMPILED = tuple((cat, re.compile(pattern, re.IGNORECASE)) for cat, pattern in RULES)

# Words that frame a request without saying what it is.
_FRAME = re.compile(
    r"^\s*(?:associated surgical services?\s*:\s*|retrospective(?: request)?(?: for)?\s*:?\s*"
    r"|prospective(?: request)?(?: for)?\s*:?\s*|post-?op(?:erative)?\s+|pre-?op(?:erative)?\s+"
    r"|additional\s+|continued\s+|initial\s+|outpatient\s+|inpatient\s+|(?:one|1)\s+)+",
    re.IGNORECASE,
)
_DOS = re.compile(
    r"\(?\s*(?:dos|date of service)\s*:?\s*[\d/.-]+\s*\)?|,?\s*per\s+\d{1,2}/\d{1,2}/\d{2,4}\s+order"
    r"|\(\s*\d{1,2}/\d{1,2}/\d{2,4}\s*\)",
    re.IGNORECASE,
)


def treatment_text(item: dict) -> str:
    """What an item asks for: its disputed portion when the request was modified, else its treatment."""
    return (item.get("disputed_portion") or item.get("treatment") or "").strip()


def _clean(text: str) -> str:
    text = " ".join((text or "").split())
    text = _DOS.sub(" ", text)
    text = _FRAME.sub("", text)
    return " ".join(text.split())


def explain(text: str) -> tuple[str, str | None]:
    """``(category, the words that decided it)``; ``("other", None)`` when no pattern matches."""
    clean = _clean(text)
    for category, pattern in _COMPILED:
        m = pattern.search(clean)
        if m:
            return category, m.group(0)
    return "other", None


def classify(text: str) -> str:
    """The category of a treatment text (one of :data:`CATEGORIES`)."""
    return explain(text)[0]


def classify_item(item: dict) -> str:
    return classify(treatment_text(item))


# ----------------------------------------------------------------------------- normalised names
REGIONS = (
    ("cervical spine", r"cervical|\bneck\b|c-spine"),
    ("thoracic spine", r"thoracic|t-spine"),
    ("lumbar spine", r"lumbar|lumbosacral|low(?:er)? back|l-spine|\bl\d(?:-[ls]?\d)?\b"),
    ("shoulder", r"shoulder"),
    ("elbow", r"elbow"),
    ("wrist/hand", r"wrist|\bhands?\b|finger|thumb"),
    ("hip/pelvis", r"\bhips?\b|pelvi"),
    ("knee", r"\bknees?\b"),
    ("ankle/foot", r"ankle|\bfoot\b|\bfeet\b|\btoes?\b"),
    ("upper extremities", r"upper extremit|\barms?\b"),
    ("lower extremities", r"lower extremit|\blegs?\b"),
    ("head", r"\bhead\b|\bbrain\b"),
    ("chest", r"\bchest\b"),
)
_REGIONS = tuple((name, re.compile(p, re.IGNORECASE)) for name, p in REGIONS)

# (name, pattern, with region): the first that matches names the treatment
KINDS: tuple[tuple[str, str, bool], ...] = (
    ("Functional capacity evaluation", r"functional capacity|\bfce\b", False),
    ("EMG/NCV", r"\bemg\b|\bnc[vs]\b|nerve conduction|electromyogra", True),
    ("Laboratory tests", r"\blabs?\b|laboratory|\bcbc\b|chem(?:istry)? panel|urinalysis|\bua\b", False),
    ("Urine drug screen", r"urine drug|drug screen|drug test", False),
    ("EKG", r"\be[kc]g\b|electrocardiogra", False),
    ("Epidural steroid injection", r"epidural|\besi\b", True),
    ("Medial branch block", r"medial branch", True),
    ("Facet injection", r"facet", True),
    ("Trigger point injection", r"trigger point inj", False),
    ("Platelet-rich plasma injection", r"platelet rich|\bprp\b", True),
    ("Radiofrequency ablation", r"radiofrequency|rhizotomy|neurotomy|ablation", True),
    ("MRI", r"\bmri\b|magnetic resonance", True),
    ("CT scan", r"\bct\b|computed tomography|cat scan", True),
    ("X-ray", r"x-?rays?\b|radiograph", True),
    ("Bone scan", r"bone scan", False),
    ("Arthroscopy", r"arthroscop", True),
    ("Spinal fusion", r"fusion", True),
    ("Assistant surgeon", r"assistant surgeon", False),
    ("TENS unit", r"\btens\b", False),
    ("Interferential unit", r"interferential", False),
    ("H-wave unit", r"h-?wave", False),
    ("Cold therapy unit", r"cold therapy|cryotherapy|vascutherm|hot/cold", False),
    ("Brace", r"brace|orthosis|splint", True),
    ("Lumbar support", r"lumbar support|back support|lso\b", False),
    ("Wheelchair", r"wheelchair", False),
    ("Physical therapy", r"physical therap|\bpt\b|physiotherap|post-?op(?:erative)? therap", False),
    ("Occupational therapy", r"occupational therap|\bot\b", False),
    ("Chiropractic", r"chiro|spinal manipulation", False),
    ("Acupuncture", r"acupunct", False),
    ("Massage therapy", r"massage", False),
    ("Shockwave therapy", r"shock ?wave|\beswt\b", True),
    ("Functional restoration program", r"functional restoration", False),
    ("Psychotherapy", r"psychotherap|cognitive behavio|\bcbt\b", False),
    ("Home health care", r"home health", False),
    ("Aquatic therapy", r"aquatic|pool therap", False),
    ("Electrical stimulation", r"electrical stimulation|e-?stim", False),
    ("Pain management consultation", r"pain management (?:consult|referral|eval)", False),
    (
        "Orthopedic consultation",
        r"ortho\w* (?:\w+ )?(?:consult|referral|eval)|ortho\w* (?:spine )?surgeon",
        False,
    ),
    ("Surgical consultation", r"surg\w* (?:consult|referral|eval)", True),
    ("Psychological evaluation", r"psych\w* (?:consult|referral|eval)", False),
    ("Follow-up visit", r"follow[- ]up", False),
    ("Medical clearance", r"clearance", False),
)
_KINDS = tuple((name, re.compile(p, re.IGNORECASE), region) for name, p, region in KINDS)
_DRUG_RE = re.compile(_DRUG, re.IGNORECASE)
_DOSE_RE = re.compile(_DOSE, re.IGNORECASE)
_COUNT = r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen|twenty)"
_NOISE = (
    # a leading count or purchase: "Four sessions of", "Twelve", "2", "purchase of a", "standard"
    re.compile(
        rf"^(?:(?:purchase|rental) of (?:an? )?|standard |{_COUNT}(?:\s*(?:-|to)\s*{_COUNT})?\s+"
        r"(?:(?:sessions?|visits?|units?|containers?)\s+(?:of\s+)?)?)+",
        re.IGNORECASE,
    ),
    # quantities and doses anywhere, parentheses and brackets
    re.compile(
        r"\([^)]*\)|\[[^\]]*\]|#\s?\d+(?:\.\d+)?|\bqty\s*:?\s*[\d.]+|" + _DOSE + r"|\bwith(?:out)? contrast\b"
        rf"|\b{_COUNT}\s+(?:sessions?|visits?)\b",
        re.IGNORECASE,
    ),
    # a frequency, a duration, a body part or a comma ends the name
    re.compile(
        rf"(?:\s+|^)(?:{_COUNT}(?:\s*(?:-|to)\s*{_COUNT})?\s+(?:times?|x)\b|(?:times|x|for|over)\s+{_COUNT}\b"
        r"|for the\b|to the\b|of the\b|,|;|\bwas\b).*$",
        re.IGNORECASE,
    ),
)


def region(text: str) -> str | None:
    """The body region a treatment names (the first of :data:`REGIONS` found), or None."""
    for name, pattern in _REGIONS:
        if pattern.search(text):
            return name
    return None


def normalise(text: str) -> str:
    """The name under which a treatment is counted among the most disputed (see the module's doc)."""
    clean = _clean(text)
    if not clean:
        return "(no treatment)"
    for name, pattern, with_region in _KINDS:
        if pattern.search(clean):
            where = region(clean) if with_region else None
            return f"{name} {where}" if where else name
    if classify(clean) == "medication":
        m = _DRUG_RE.search(clean)
        if m:
            return m.group(0).capitalize()
        dose = _DOSE_RE.search(clean)
        words = re.findall(r"[A-Za-z][A-Za-z-]+", clean[: dose.start()] if dose else clean)
        words = [w for w in words if w.lower() not in ("of", "container", "supply", "month", "one")]
        if words:
            return " ".join(words[:2]).capitalize()
    short = clean
    for pattern in _NOISE:
        short = " ".join(pattern.sub(" ", short).split())
    short = short.strip(" ,.;:-") or clean
    return short[:1].upper() + short[1:].lower() if short.isupper() else short[:1].upper() + short[1:]
