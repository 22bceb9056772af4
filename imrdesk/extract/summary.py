"""Clinical case summary -> patient age and sex, date and mechanism of injury, diagnoses, treatment to date.

Each finder returns ``(value, start, end, confidence)`` with offsets into the summary text, or None.
"""

from __future__ import annotations

import re

from .dates import DATE_RE, match_to_iso

Found = tuple[object, int, int, float]

_AGE_SEX = re.compile(
    r"\b(?P<age>\d{1,3})\s*-?\s*(?:years?|yr)s?\s*-?\s*old,?\s+(?:[a-z\-]+\s+){0,3}?"
    r"(?P<sex>male|female|man|woman|gentleman|lady|boy|girl)\b",
    re.I,
)
_AGE_ONLY = re.compile(
    r"\b(?:age[d:]?\s+(?P<a1>\d{1,3})|(?P<a2>\d{1,3})\s*-?\s*years?\s*-?\s*(?:old|of age))\b", re.I
)
_SEX_WORD = {
    "male": "male",
    "man": "male",
    "gentleman": "male",
    "boy": "male",
    "female": "female",
    "woman": "female",
    "lady": "female",
    "girl": "female",
}


def find_age_sex(text: str) -> tuple[Found | None, Found | None]:
    m = _AGE_SEX.search(text)
    if m:
        age = int(m.group("age"))
        conf = 0.96 if 14 <= age <= 95 else 0.35
        sex = _SEX_WORD[m.group("sex").lower()]
        return (age, m.start("age"), m.end("age"), conf), (sex, m.start("sex"), m.end("sex"), 0.96)
    age_found = None
    m = _AGE_ONLY.search(text)
    if m:
        g = "a1" if m.group("a1") else "a2"
        age = int(m.group(g))
        age_found = (age, m.start(g), m.end(g), 0.75 if 14 <= age <= 95 else 0.3)
    # Sex from pronouns only when they all agree: a weak, fallback reading.
    he = [p for p in re.finditer(r"\b(he|him|his)\b", text, re.I)]
    she = [p for p in re.finditer(r"\b(she|her|hers)\b", text, re.I)]
    sex_found = None
    if he and not she:
        sex_found = ("male", he[0].start(), he[0].end(), 0.6)
    elif she and not he:
        sex_found = ("female", she[0].start(), she[0].end(), 0.6)
    return age_found, sex_found


_DOI_CUE = re.compile(
    r"(date of injury|injury date|injur(?:y|ed)|claim|accident|incident|trauma)\b[^.]{0,60}?(?:on|of|from|dated)?\s*$",
    re.I,
)


def find_injury_date(text: str) -> Found | None:
    """The first date the summary ties to the injury ("injury on 10-27-2016", "claim from 10/18/2016")."""
    for m in DATE_RE.finditer(text):
        before = text[max(0, m.start() - 90) : m.start()]
        before = before.split(".")[-1] if "." in before and not re.search(r"\d\.$", before) else before
        if _DOI_CUE.search(before):
            iso = match_to_iso(m)
            if iso:
                return iso, m.start(), m.end(), 0.9
    return None


_SUBJECT = r"(?:the\s+)?(?:patient|injured\s+worker|injured\s+employee|employee|worker|claimant|IW|he|she)"
_MECHANISMS = [
    # (pattern, confidence) -- the group "m" is the mechanism
    (
        rf"mechanism of (?:the )?injury (?:is|was) (?:detailed|described|documented|reported|noted) as (?:occurring )?"
        rf"(?:when |while )?(?:{_SUBJECT}\s+)?(?P<m>[^.]+)",
        0.9,
    ),
    (
        rf"mechanism of (?:the )?injury (?:occurred|happened) (?:when|while|as) (?:{_SUBJECT}\s+)?(?P<m>[^.]+)",
        0.88,
    ),
    (
        rf"mechanism of (?:the )?injury (?:involved|was|is|included|includes)\s*:?\s*(?:when |while )?"
        rf"(?:{_SUBJECT}\s+)?(?P<m>[^.]+)",
        0.85,
    ),
    (r"mechanism of (?:the )?injury\s*:\s*(?P<m>[^.]+)", 0.85),
    (
        rf"(?:sustained|suffered|incurred|reported|had)\s+an?\s+(?:[\w-]+\s+){{0,3}}injur(?:y|ies)\b[^.]{{0,60}}?"
        rf"\b(?:when|while|after)\s+(?:{_SUBJECT}\s+)?(?P<m>[^.]+)",
        0.8,
    ),
    (rf"\binjured\s+(?:his|her|their)\s+[^.]{{0,40}}?\b(?:when|while)\s+(?:{_SUBJECT}\s+)?(?P<m>[^.]+)", 0.7),
    (
        r"(?:secondary|due|attributed)\s+to\s+(?P<m>(?:an?\s+|repetitive\s+|cumulative\s+)?(?:fall|trip|slip|lift|"
        r"motor vehicle|MVA|MVC|cumulative|repetitive|assault|altercation)[^.,;]*)",
        0.55,
    ),
    (r"\b(?P<m>cumulative trauma|continuous trauma|repetitive (?:motion|trauma|strain)[^.,;]*)", 0.5),
]
# Where the mechanism ends and the story goes on: "... lifted a box and felt pain", "... fell, injuring".
_MECH_TAIL = re.compile(
    r"\s*(?:,\s*|\s+)(?:and|resulting|which|with|causing|injuring|sustaining)\s+(?:felt|developed|sustained|"
    r"experienced|noted|reported|injur|hurt|strain|resulting|caus|in\b|subsequent|complain|began|started|"
    r"had\b|was\b|has\b)",
    re.I,
)


_UNSTATED = re.compile(
    r"^(?:is |was )?(?:unclear|unknown|not (?:detailed|documented|specified|stated|provided|described|known|clear|"
    r"available)\b)",
    re.I,
)


def find_mechanism(text: str) -> Found | None:
    for pattern, conf in _MECHANISMS:
        m = re.search(pattern, text, re.I)
        if not m:
            continue
        if _UNSTATED.match(m.group("m")):
            return None  # "Mechanism of injury is unclear": the letter does not state one
        lead = re.match(r"(?:was|were|had been|got)\s+", m.group("m"), re.I)
        start = m.start("m") + (lead.end() if lead else 0)
        value = text[start : m.end("m")]
        tail = _MECH_TAIL.search(value)
        end = start + (tail.start() if tail else len(value))
        value = re.sub(r"\s+", " ", text[start:end]).strip(" ,;:")
        # "on 11/10/2016 when ..." -- a date is not a mechanism
        if len(value) < 3 or DATE_RE.fullmatch(value):
            continue
        return value, start, start + len(text[start:end].rstrip(" ,;:")), conf
    return None


_DIAGNOSES = [
    (
        r"(?:current |final |working |pertinent )?diagnos(?:es|is)\s+(?:include[sd]?|includes|were|was|are|is|consist(?:s|ed)? of)"
        r"(?:\s+(?:documented|noted|listed|reported)(?: as| is)?)?\s*:?\s*(?:as\s+)?(?P<v>[^.]+(?:\.\d[^.]*)*)",
        0.85,
    ),
    (r"(?:has been |was |were )?diagnosed (?:as having|with)\s+(?P<v>[^.]+)", 0.85),
    (r"(?:undergoing|being) treate?(?:d|ment) for\s+(?P<v>[^.]+)", 0.7),
    (r"(?:filed a claim|claim) for\s+(?P<v>[^.]+?)\s+associated with", 0.7),
]


def split_list(text: str) -> list[str]:
    text = re.sub(r"\s+", " ", text).strip(" .;:")
    # ICD-10 names hold their own commas and "and": "strain of muscle, fascia and tendon of lower back".
    text = re.sub(r"(muscle), (fascia) and (tendon)", "\\1\x00 \\2 and \\3", text, flags=re.I)
    parts = re.split(r";\s*|,\s*(?:and\s+)?", text)
    return [p.replace("\x00", ",").strip(" .") for p in parts if len(p.strip(" .")) > 1]


def find_diagnoses(text: str) -> Found | None:
    for pattern, conf in _DIAGNOSES:
        m = re.search(pattern, text, re.I)
        if m:
            lead = re.match(r"(?:the |a )?diagnos(?:es|is) of\s+", m.group("v"), re.I)
            start = m.start("v") + (lead.end() if lead else 0)
            return split_list(text[start : m.end("v")]), start, m.end("v"), conf
    return None


_TREATMENT = re.compile(
    r"(?:treatments?|therapies|care)\s+(?:to date|thus far|so far|rendered)?\s*(?:has|have)?\s*"
    r"(?:included?|includes|consisted of|consist of|were|was)\s*:?\s*(?P<v>[^.]+)"
    r"|(?:past|prior|previous|conservative) (?:treatments?|care|therapies)\s+(?:has |have )?(?:included?|includes|"
    r"consisted of|were)\s*:?\s*(?P<w>[^.]+)",
    re.I,
)


def find_treatment(text: str) -> Found | None:
    m = _TREATMENT.search(text)
    if not m:
        return None
    g = "v" if m.group("v") else "w"
    value = re.sub(r"\s+", " ", m.group(g)).strip(" ,;:")
    return value, m.start(g), m.end(g), 0.8
