"""Clinical case summary -> patient age and sex, date of injury (mechanism, diagnoses and treatment to date:
``injury.py``, ``diagnoses.py``).

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
