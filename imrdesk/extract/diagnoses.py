"""The diagnoses of a case summary: the sentence that names them, split into one diagnosis each.

Summaries name them in many ways — "Diagnoses include …", "The current diagnoses are documented as …",
"was diagnosed as having …", "is undergoing treatment(s) for …", "has had diagnoses of …", "gave the
applicant a diagnosis of …" — and the first such sentence is the list (later narrative mentions are not).
"filed a claim for X" is a claim, not a diagnosis.

Splitting follows the words rather than the punctuation alone. A list item is a diagnosis when it names a
condition (a sprain, a pain, a fracture, a syndrome, any "-itis" …); an item that names none is part of its
neighbour: a body part continuing an "of" list ("contusion of face, scalp and neck"), a site or an ICD
qualifier after a comma ("radiculopathy, lumbosacral region", "dorsalgia, unspecified"), or the first half
of a shared head noun ("right wrist and right hand sprain"). "A and B" stays one diagnosis when B is a bare
condition sharing A's site ("wrist tendinitis and bursitis", "cervical sprain and strain").
"""

from __future__ import annotations

import re

from .evidence import STRICT, Reading, sentence_end, shape_doubts

_CONDITION_WORDS = set(
    """strain sprain pain fracture contusion syndrome tear injury injuries displacement dysfunction impingement
    lesion disorder stenosis herniation hernia protrusion bulge bulging degeneration degenerative disease
    dislocation subluxation instability effusion derangement spasm stiffness numbness weakness paresthesia
    headache migraine depression anxiety stress insomnia concussion laceration abrasion burn wound amputation
    deformity contracture infection crush crushing trauma status s/p history rupture avulsion swelling edema
    sciatica lumbago vertigo dizziness giddiness syncope tachycardia infarct infarction hypertension diabetes
    obesity cyst mass nodule thrombosis abscess complaints complaint condition impairment loss limitation disc
    tunnel spondylolisthesis fasciitis tendinosis ganglion neuroma scar adhesion adhesions collapse necrosis
    palsy hypertrophy arthrosis spur spurs tension malunion nonunion neuritis shock fibromyalgia apnea reflux
    gerd ulcer hematoma bruise bruising sensitivity intolerance dependence addiction ptsd inflammation
    irritation entrapment compression ache radiating disruption tightness tenderness fatigue thoughts ideation
    herniated torn fractured dislocated sprained strained ruptured hnp ddd djd cts oa tbi crps rsd htn copd ibs""".split()
)
# Medical suffixes that name a condition: tendinitis, neuralgia, radiculopathy, spondylosis, paresthesias …
_CONDITION_SUFFIX = re.compile(r"(?:itis|algia|algias|opathy|opathies|osis|oses|plegia|paresis|emia|trophy)$")
_WORD = re.compile(r"[a-z][a-z/'-]*")
# "A and B" keeps B with A when B is a bare condition: "tendinitis and bursitis", "sprain with impingement".
# ("sprain of the wrist" after "and" names its own site: a diagnosis of its own.)
_LINKING = {"with", "without", "secondary", "due"}
# "… and stiffness of right wrist joint": a condition with a site of its own is a diagnosis of its own.
_OWN_SITE = {"of", "in", "at", "to", "involving", "affecting"}
# Words that open a diagnosis of its own: "… and status post carpal tunnel release", "… and possible tear".
_NEW_DIAGNOSIS = re.compile(
    r"\s*(?:status\s+post|s/p|history\s+of|possible|probable|suspected|rule\s+out|r/o|chronic|acute)\b", re.I
)


def is_condition_word(word: str) -> bool:
    word = word.lower().strip("'")
    word = word[:-2] if word.endswith("'s") else word
    for part in {word, *re.split(r"[/-]", word)}:
        if part in _CONDITION_WORDS or part[:-1] in _CONDITION_WORDS and part.endswith("s"):
            return True
        if _CONDITION_SUFFIX.search(part):
            return True
    return False


def names_condition(text: str) -> bool:
    return any(is_condition_word(w) for w in _WORD.findall(text.lower()))


def _atoms(text: str) -> list[tuple[str, int, int]]:
    """Split at ";", "," and " and " outside brackets: (separator before, start, end) of each piece."""
    out: list[tuple[str, int, int]] = []
    depth, start, sep = 0, 0, ""
    pattern = re.compile(r"\s*;\s*|\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+&\s+|[()\[\]]")
    for m in pattern.finditer(text):
        token = m.group()
        if token in "([":
            depth += 1
            continue
        if token in ")]":
            depth = max(0, depth - 1)
            continue
        if depth:
            continue
        out.append((sep, start, m.start()))
        stripped = token.strip()
        sep = ";" if stripped == ";" else ("," if stripped.startswith(",") else "and")
        start = m.end()
    out.append((sep, start, len(text)))
    return [(s, a, b) for s, a, b in out if text[a:b].strip()]


def _bare_condition(text: str) -> bool:
    words = text.lower().split()
    return bool(words) and is_condition_word(words[0]) and (len(words) == 1 or words[1] in _LINKING)


def split_diagnoses(text: str) -> tuple[list[tuple[int, int]], list[str]]:
    """Spans of each diagnosis in ``text`` and the doubts the split leaves."""
    atoms = _atoms(text)
    groups: list[list[int]] = []  # [start, end] per diagnosis
    doubts: list[str] = []
    pending: int | None = None  # a conditionless piece waiting for its head noun ("right wrist and …")
    for k, (sep, a, b) in enumerate(atoms):
        piece = text[a:b]
        if pending is not None:
            a, pending = pending, None
        if names_condition(piece):
            if groups and sep == "and" and _bare_condition(piece):
                groups[-1][1] = b
            else:
                words = piece.lower().split()
                if (
                    groups
                    and sep == "and"
                    and is_condition_word(words[0])
                    and words[1] not in _OWN_SITE
                    and not _NEW_DIAGNOSIS.match(piece)
                ):
                    # "pain and injury status post surgery": one diagnosis or two, the words do not say
                    doubts.append("an 'and' that may join one diagnosis")
                groups.append([a, b])
            continue
        nxt = atoms[k + 1] if k + 1 < len(atoms) else None
        # the last diagnosis's condition and its site ("strain of muscle"): its first words tell
        head = text[groups[-1][0] : min(groups[-1][1], groups[-1][0] + 200)] if groups else ""
        if groups and sep in (",", "and") and re.search(r"\b(?:of|at|in|to)\b", head):
            groups[-1][1] = b  # "contusion of face, scalp and neck"
        elif nxt and nxt[0] == "and" and names_condition(text[nxt[1] : nxt[2]]):
            pending = a  # "right wrist and right hand sprain"
            continue
        elif groups and sep in (",", "and"):
            groups[-1][1] = b  # "radiculopathy, lumbosacral region"; "dizziness and giddiness"
        else:
            groups.append([a, b])
            doubts.append("a list item without a condition")
            continue
        if not _names_a_site(piece):
            # Joined to the diagnosis before it for naming no condition, but no site either ("cervical DDD"):
            # the list may hold a diagnosis whose word imrdesk does not know.
            doubts.append("a list item without a condition")
    return [(a, b) for a, b in groups], list(dict.fromkeys(doubts))


# Words of a site or an ICD qualifier: a list item made of these alone qualifies its neighbour.
_SITE_WORDS = set(
    """right left bilateral both upper lower mid middle region level site sites side sided limb limbs extremity
    extremities arm arms forearm elbow elbows wrist wrists hand hands finger fingers thumb thumbs shoulder
    shoulders neck back spine spinal cervical thoracic lumbar lumbosacral sacral sacroiliac sacrum coccyx hip hips
    pelvis pelvic thigh thighs knee knees leg legs ankle ankles foot feet toe toes heel head face facial scalp
    jaw chest abdomen abdominal groin gluteal buttock buttocks trapezius muscle muscles fascia tendon tendons
    ligament ligaments joint joints bone bones nerve nerves girdle unspecified subsequent initial encounter
    sequela other part parts and or of the a an at in on with without to multiple radius ulna femur tibia fibula
    humerus clavicle scapula rib ribs vertebra vertebrae vertebral lateral medial anterior posterior distal proximal
    dorsal palmar plantar volar index ring little great rotator cuff meniscus patella achilles digit digits
    collateral cruciate carpal metacarpal phalanx phalanges nos nec area areas aspect structure structures
    mid-back low lower-back upper-back iliac crest trunk torso body""".split()
)


def _names_a_site(piece: str) -> bool:
    words = re.findall(r"[a-z]+(?:-[a-z]+)?", piece.lower())
    return all(w in _SITE_WORDS or re.fullmatch(r"[ivx]+|[a-z]\d*", w) for w in words)


_LEAD = re.compile(r"^(?:(?:a|an|the)\s+|and\s+|:\s*)+", re.I)


def tidy(value: str) -> str:
    value = re.sub(r"\s+", " ", value).strip(" .;:,")
    return _LEAD.sub("", value).strip(" .;:,")


_VERB = (
    r"(?:include[sd]?|including|(?:have|has)\s+(?:been\s+)?included|are|is|were|was|consist(?:s|ed)?\s+of|"
    r"comprised?\s+of|"
    r"(?:(?:is|are|was|were|have\s+been|has\s+been)\s+)?(?:documented|noted|listed|reported|recorded|given|"
    r"identified|described|stated)(?:\s+(?:as|to\s+include|to\s+be|is|are))?)"
)
_PATTERNS = [
    # "Diagnoses include", "The current diagnoses are documented as", "Diagnoses, and-or impressions, were
    # noted to include:"
    rf"\bdiagnos(?:is|es)\b(?:\s*,?\s*(?:and|and-or|and/or|or)\s+impressions?\s*,?)?\s+{_VERB}(?:\s+{_VERB})?\s*:?\s*",
    r"\b(?:Diagnos(?:is|es)|Impressions?|Assessment)\s*:\s*",
    r"\bdiagnostic\s+impressions?\s+(?:is|are|was|were|include[sd]?)\s*:?\s*",
    r"\bdiagnosed\s+(?:as\s+having|as\s+with|with|as)\s+",
    r"\b(?:has|have|had|carries|carried|with|received)\s+(?:had\s+|been\s+given\s+)?(?:a\s+|the\s+)?(?:working\s+|"
    r"primary\s+|final\s+|current\s+)?diagnos(?:is|es)\s+(?:that\s+)?(?:include[sd]?|including|of)\s*:?\s*",
    r"\b(?:gave|given|assigned|rendered)\s+(?:\w+\s+){0,3}?(?:a\s+|the\s+)?diagnos(?:is|es)\s+of\s+",
    r"\b(?:being\s+treated|undergoing\s+(?:medical\s+)?treatments?|receiving\s+treatments?|under\s+treatment)\s+for\s*:?\s*"
    r"(?:(?:the\s+)?diagnos(?:is|es)\s+of\s+)?",
]
_FIND = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.I)
# "The diagnosis was not documented": the letter states none.
_UNSTATED = re.compile(
    r"^(?:not\s+|unknown|unclear|none\b|no\s+diagnos|pending|deferred|not\s+(?:documented|provided|noted|listed))",
    re.I,
)
CUE = re.compile(r"\bdiagnos(?:is|es|ed)\b|\b(?:being\s+treated|undergoing\s+treatments?)\s+for\b", re.I)


def find_diagnoses(text: str) -> Reading | None:
    """The first diagnosis sentence's list: offsets into ``text`` (one line, as the summary finders use)."""
    for m in _FIND.finditer(text):
        start = m.end()
        end = sentence_end(text, start)
        body = text[start:end]
        if not body.strip() or _UNSTATED.match(body.strip()):
            continue
        spans, doubts = split_diagnoses(body)
        values = [tidy(body[a:b]) for a, b in spans]
        values = [v for v in values if len(v) > 1]
        if not values:
            continue
        if any(len(v) > 160 for v in values) or len(values) > 20:
            doubts.append("unusually long")
        if any(len(v.split()) == 1 and not names_condition(v) for v in values):
            doubts.append("a fragment of a longer name")
        lead = re.match(r"\s*(?:(?:a|an|the)\s+)?", body)
        first = start + (lead.end() if lead else 0)
        cut = ("starts mid-word", "ends on a cut number", "unbalanced parentheses")
        doubts.extend(d for d in shape_doubts(text, first, end, (2, 3000)) if d in cut)
        return Reading(values, first, end, STRICT, tuple(dict.fromkeys(doubts)))
    return None
