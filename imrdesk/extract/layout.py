"""Which layout a letter follows, by a score over many cues rather than one exact string.

Each known layout has cues with weights: its headings, its labels, the way it names the reviewer. The layout
with the highest score at or above :data:`ENOUGH` wins. A letter no known layout claims, but that carries
the marks of an IMR determination (MAXIMUS, "Independent Medical Review", a case number CMyy-nnnnnnn,
Upheld/Overturned decisions, guideline paragraphs) is ``imr-unknown``: the generic reader takes it. Anything
else is not an IMR letter (None).
"""

from __future__ import annotations

import re

UNKNOWN = "imr-unknown"
ENOUGH = 3  # a layout needs this much evidence to claim a letter

_CUES: dict[str, list[tuple[str, int]]] = {
    "imr-2016": [
        (r"Expert\s+Reviewer\s+has\s+the\s+following\s+credentials", 3),
        (r"Certification\(s\)\s*/\s*Specialt|Certifications?\s*/\s*Specialt|Board\s+Certifications?\s*:", 2),
        (r"State\(s\)\s+of\s+Licensure|States?\s+of\s+Licensure|Licensed\s+in\s*:", 2),
        (r"Date\s+Assigned\s*:?", 1),
        (r"Application\s+Received", 1),
        (r"IMR\s+ISSUES,?\s+DECISIONS\s+AND\s+RATIONALES", 1),
        (r"MAXIMUS\s+guidelines?\s*:", 1),
    ],
    "imr-2014": [
        (r"Board[\s-]+Certified\s+in\s+.{3,120}?licensed\s+to\s+practice\s+in", 3),
        (r"IMR\s+ISSUES,?\s+DECISIONS\s+AND\s+RATIONALES", 1),
        (r"HOW\s+THE\s+IMR\s+FINAL\s+DETERMINATION\s+WAS\s+MADE", 1),
        (r"MAXIMUS\s+guidelines?\s*:", 1),
        (r"Decision\s+rationale\s*:", 1),
    ],
    "imr-2013": [
        (r"Notice\s+of\s+Independent\s+Medical\s+Review\s+Determination", 3),
        (r"MAXIMUS\s+Federal\s+Services,?\s+Inc\.?\s+has\s+determined\s+the\s+request", 3),
        (r"Regarding\s+the\s+request\s+for", 1),
    ],
}
_COMPILED = {name: [(re.compile(p, re.I | re.S), w) for p, w in cues] for name, cues in _CUES.items()}
# Each layout's own section headings. A heading in capitals that a layout does not have counts against it: a
# letter of another year shares some headings with a known layout, and has others of its own.
_2016_HEADINGS = [
    r"HOW THE IMR FINAL DETERMINATION WAS MADE",
    r"CLINICAL CASE SUMMARY",
    r"IMR ISSUES,? DECISIONS AND RATIONALES",
]
_HEADINGS = {
    "imr-2016": _2016_HEADINGS,
    "imr-2014": _2016_HEADINGS,
    "imr-2013": [r"INDEPENDENT MEDICAL REVIEW DECISIONS? AND RATIONALES?"],
}
# A section heading is strong evidence of a layout: one the layout does not have costs it more than any single
# cue earns, one of its own that is missing costs it a little.
FOREIGN_HEADING = 5
MISSING_HEADING = 2
_SECTION_WORDS = re.compile(
    r"\b(?:REVIEW(?:ED)?|SUMMARY|DECISIONS?|DECISION\(S\)|RATIONALES?|RATIONALE\(S\)|DOCUMENTS|QUALIFICATIONS|DISPUTE|"
    r"DETERMINATION|ISSUES?|GUIDELINES?|GUIDELINE\(S\))\b"
)


def is_section_heading(line: str) -> bool:
    """A line in capitals that names a part of a determination ("CLINICAL CASE SUMMARY", "ISSUE AT DISPUTE:")."""
    line = line.strip()
    if len(line) > 160 or not _SECTION_WORDS.search(line):  # most lines: no need to count letters
        return False
    letters = [ch for ch in line if ch.isalpha()]
    return 6 <= len(letters) and sum(ch.isupper() for ch in letters) > 0.9 * len(letters)


def section_headings(text: str) -> list[str]:
    """The letter's section headings."""
    return [line.strip() for line in text.splitlines() if is_section_heading(line)]


# The marks of any IMR determination, whatever its layout.
_IMR_MARKS = [
    (re.compile(r"\bMAXIMUS\b", re.I), 1),
    (re.compile(r"Independent\s+Medical\s+Review|\bIMR\b"), 1),
    (re.compile(r"\bCM\d{2}-\d{5,7}\b"), 2),
    (re.compile(r"\b(?:Upheld|Overturned)\b", re.I), 2),
    (re.compile(r"\b(?:is|are|was|were)\s+(?:not\s*)?medically\s+necessary", re.I), 1),
    (re.compile(r"\b(?:MTUS|ODG|ACOEM)\b|Official\s+Disability\s+Guidelines", re.I), 1),
]
# A letter's decisions: "…: Upheld", "… is not medically necessary and appropriate".
DECISION_WORDS = re.compile(
    r"\b(?:Upheld|Overturned)\b|\b(?:is|are|was|were)\s+(?:not\s*)?medically\s+necessary\s+and\s+appropriate",
    re.I,
)


def scores(text: str, header_labels: int = 0) -> dict[str, int]:
    """Each known layout's evidence in ``text``; ``header_labels`` counts header-table labels found by geometry."""
    out = {name: sum(w for pattern, w in cues if pattern.search(text)) for name, cues in _COMPILED.items()}
    if header_labels >= 3:  # the 2016 header table, read by geometry
        out["imr-2016"] += 3
    headings = section_headings(text)
    for name, own in _HEADINGS.items():
        known = "|".join(own)
        out[name] -= FOREIGN_HEADING * sum(1 for h in headings if not re.fullmatch(rf"(?:{known})\s*:?", h))
        out[name] -= MISSING_HEADING * sum(1 for h in own if not re.search(h, text))
    return out


def imr_marks(text: str) -> int:
    return sum(w for pattern, w in _IMR_MARKS if pattern.search(text))


def detect(text: str, header_labels: int = 0) -> str | None:
    """The layout of a letter: a known one, :data:`UNKNOWN` for an IMR letter of another layout, or None."""
    ranked = sorted(scores(text, header_labels).items(), key=lambda kv: -kv[1])
    best, score = ranked[0]
    decided = bool(re.search(r"Upheld|Overturned|Decision\s+rationale|medically\s+necessary", text, re.I))
    if score >= ENOUGH and decided:
        return best
    return UNKNOWN if imr_marks(text) >= 4 else None
