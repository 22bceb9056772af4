"""Who reviewed the case: the states that license the reviewer and the reviewer's certifications/specialties.

Two ways letters say it: labelled lines ("State(s) of Licensure: California", "Certification(s)/Specialty:
Family Practice" — and their rewordings "Licensed in:", "Board Certification:", "Specialty:") or one sentence
("… is Board Certified in X, has a subspecialty in Y and is licensed to practice in Z."). Readings carry offsets
into the letter's text.
"""

from __future__ import annotations

import re

from .evidence import STRICT, Reading
from .reviewer_names import doubtful_specialty, joined_specialties, known_state
from .textmap import clean

_LICENSE = (
    r"(?:State\(s\)|States?)\s+of\s+Licens(?:ure|e)|Licensed\s+in|State\(s\)\s+Licensed|States?\s+Licensed|"
    r"Licensure(?:\s+States?(?:\(s\))?)?"
)
_SPECIALTY = (
    r"(?:Board\s+)?Certifications?\s*(?:\(s\))?\s*/\s*Specialt(?:y|ies)(?:\(ies\))?|Board\s+Certifications?(?:\(s\))?|"
    r"Certifications?(?:\(s\))?|Specialt(?:y|ies)(?:\(ies\))?|Board\s+Certified\s+in"
)
_LABEL = re.compile(rf"(?m)^[ \t]*(?P<label>{_LICENSE}|{_SPECIALTY})\s*:\s*", re.I)
# A labelled value runs to the next labelled line, a heading in capitals or a blank line.
_VALUE_END = re.compile(r"\n[ \t]*(?:[^\n:]{1,40}:|[A-Z][A-Z0-9 ,&()/'-]{7,}(?=\n|\Z))|\n\s*\n|\Z")
_SENTENCE = re.compile(
    r"Board[\s-]+Certified\s+in\s+(?P<a>.+?)(?:,?\s+(?:has|with|and\s+has)\s+an?\s+subspecialty\s+in\s+(?P<b>.+?))?"
    r",?\s+and\s+(?:is\s+)?licensed\s+(?:to\s+practice\s+)?in\s+(?P<c>.+?)\.",
    re.S | re.I,
)
CANONICAL = re.compile(r"State\(s\) of Licensure|Certification\(s\)/Specialty")


def _items(value: str) -> list[str]:
    return [v.strip(" .;") for v in re.split(r"\s*[,;]\s*", clean(value)) if v.strip(" .;")]


def _states(value: str) -> list[str]:
    return [s for s in re.split(r",\s*(?:and\s+)?|\s+and\s+|\s*[/&]\s*", clean(value).strip(" .")) if s]


def _checked(path: str, items: list[str]) -> tuple[list[str], tuple[str, ...]]:
    """The items as the letter means them, and the doubts they raise: a state that is none, two specialties
    printed as one ("Preventive Medicine and Occupational Medicine": split when both are known names, else
    doubted)."""
    if path.endswith("states"):
        return items, () if all(map(known_state, items)) else ("words outside the field's vocabulary",)
    out: list[str] = []
    for item in items:
        out.extend(joined_specialties(item) or [item])
    return out, ("two names printed as one",) if any(map(doubtful_specialty, out)) else ()


def find_reviewer(text: str) -> dict[str, Reading]:
    """Readings of ``reviewer.licensure_states`` and ``reviewer.specialties`` (either may be missing)."""
    found: dict[str, Reading] = {}
    for m in _LABEL.finditer(text):
        label = m.group("label")
        path = "reviewer.licensure_states" if re.match(_LICENSE, label, re.I) else "reviewer.specialties"
        if path in found:
            continue
        end = _VALUE_END.search(text, m.end())
        stop = end.start() if end else len(text)
        value = text[m.end() : stop]
        items = _states(value) if path.endswith("states") else _items(value)
        if not items:
            continue
        # The 2016 labels are the strict reading; a reworded label is a labelled line all the same.
        strength = 0.95 if CANONICAL.match(label) else 0.9
        items, doubts = _checked(path, items)
        if len(clean(value)) > 200:
            doubts += ("unusually long",)
        found[path] = Reading(items, m.end(), m.end() + len(value.rstrip()), strength, doubts)
    if found:
        return found
    m = _SENTENCE.search(text)
    if m:
        specs, doubts = _checked(
            "reviewer.specialties", [clean(m.group("a"))] + ([clean(m.group("b"))] if m.group("b") else [])
        )
        end = m.end("b") if m.group("b") else m.end("a")
        found["reviewer.specialties"] = Reading(specs, m.start("a"), end, STRICT, doubts)
        states, doubts = _checked("reviewer.licensure_states", _states(m.group("c")))
        found["reviewer.licensure_states"] = Reading(states, m.start("c"), m.end("c"), STRICT, doubts)
    return found
