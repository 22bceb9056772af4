"""Confidence from evidence: how a value was read and whether its shape fits, turned into a number.

A finder reports a :class:`Reading`: the value, its span, the strength of the pattern that read it and the
doubts its shape raises. :func:`confidence` turns that into the provenance confidence, so that a value sits
below the review threshold (0.8) exactly when there is a reason to look at it, and the reasons travel with it
(``provenance[path]["doubts"]``) so the reviewer sees why. The model, in order:

- the pattern: the letter's own labelled sentence ("Treatment to date has included …", "The mechanism of
  injury is detailed as …", "Decision based on …") reads at :data:`STRICT`; a looser cue (a causal clause, a
  list found without its usual frame) at :data:`FALLBACK`, below the threshold;
- the shape: each doubt caps the confidence (:data:`DOUBT_CAPS`): a value that starts or ends in the middle of
  a word or a number was cut, unbalanced brackets or quotes mean it was cut or ran on, a length far from the
  usual for its field or words outside the field's vocabulary mean the pattern caught something else;
- agreement: two independent readings of one value that disagree cap both (:data:`DISAGREE`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

STRICT = 0.92  # the letter's own labelled sentence, nothing doubtful about the value
FALLBACK = 0.7  # a looser cue: always below the review threshold
DISAGREE = 0.55  # two independent readings of the same value differ

# Each doubt caps a value's confidence; the worst one wins.
DOUBT_CAPS: dict[str, float] = {
    "starts mid-word": 0.4,
    "ends mid-word": 0.4,
    "ends on a cut number": 0.4,
    "unbalanced parentheses": 0.55,
    "unbalanced quotes": 0.6,
    "unusually short": 0.6,
    "unusually long": 0.6,
    "words outside the field's vocabulary": 0.65,
    "a list item without a condition": 0.65,
    "a fragment of a longer name": 0.6,
    "an 'and' that may join one diagnosis": 0.7,
    "a reference that may be two": 0.6,
    "two names printed as one": 0.65,
    "a decision word misread": 0.6,
    "the paragraphs of an item whose decision was not read": 0.5,
    "another reading differs": DISAGREE,
    "a qualifier that contradicts the decision": 0.4,
    "a decision without its paragraphs' labels": 0.6,
    "an unknown guideline chapter": 0.7,
    "text of the paragraph left out of the citations": 0.6,
    "a reading from a layout imrdesk does not know": 0.6,
}


@dataclass(frozen=True)
class Reading:
    """One value read from the letter: offsets into the text the finder was given."""

    value: object
    start: int
    end: int
    strength: float = STRICT
    doubts: tuple[str, ...] = field(default=())

    @property
    def confidence(self) -> float:
        return confidence(self.strength, self.doubts)


def confidence(strength: float, doubts: tuple[str, ...] | list[str] = ()) -> float:
    return round(min([strength, *(DOUBT_CAPS.get(d, 0.6) for d in doubts)]), 3)


# ------------------------------------------------------------------------------------------- sentences

# A period after these does not end a sentence ("Dr. Smith", "e.g. MRI", "vs. surgery", initials "J.").
_ABBREVIATION = re.compile(
    r"(?:\b(?:Dr|Drs|Mr|Mrs|Ms|vs|etc|approx|No|Nos|St|Jr|Sr|Inc|Co|Corp|pg|pp|p|ed|eds|al|ref|Fig|"
    r"e\.g|i\.e|U\.S|a\.m|p\.m|ca|cf|min|max|hr|hrs|wk|wks|mo|mos|yr|yrs|Rt|Lt|Bil|Bilat)|(?<![A-Za-z])[A-Z])$",
)
_END = re.compile(r"[.!?](?=[\"')\]]?(?:\s|$)|[A-Z][a-z])")


def sentence_end(text: str, start: int, limit: int | None = None) -> int:
    """Offset of the period that ends the sentence running from ``start`` (or ``limit``/the text end).

    A period between digits ("7.5 mg"), after an abbreviation or an initial, is no sentence end; a period
    glued to the next sentence's capital ("2016.The documentation") is.
    """
    stop = len(text) if limit is None else min(limit, len(text))
    for m in _END.finditer(text, start, stop):
        if _ABBREVIATION.search(text, max(start, m.start() - 8), m.start()):
            continue
        return m.start()
    return stop


def sentence_start(text: str, pos: int, reach: int = 2000) -> int:
    """Offset where the sentence holding ``pos`` begins (looking back at most ``reach`` characters)."""
    at = max(0, pos - reach)
    for m in _END.finditer(text, at, pos):
        if _ABBREVIATION.search(text, max(0, m.start() - 8), m.start()):
            continue
        at = m.end()
    while at < pos and text[at].isspace():
        at += 1
    return at


# ------------------------------------------------------------------------------------------ shape checks


def shape_doubts(text: str, start: int, end: int, usual: tuple[int, int]) -> list[str]:
    """Doubts that the span ``text[start:end]`` is a whole value of the usual length ``usual`` (characters)."""
    value = text[start:end]
    out = []
    if start > 0 and text[start - 1].isalnum() and value[:1].isalnum():
        out.append("starts mid-word")
    if end < len(text) and value[-1:].isalnum() and text[end].isalnum():
        out.append("ends mid-word")
    if value[-1:].isdigit() and re.match(r"[.,/]\d", text[end : end + 2]):
        out.append("ends on a cut number")
    if value.count("(") != value.count(")") or value.count("[") != value.count("]"):
        out.append("unbalanced parentheses")
    if value.count('"') % 2:
        out.append("unbalanced quotes")
    length = len(" ".join(value.split()))
    if length < usual[0]:
        out.append("unusually short")
    elif length > usual[1]:
        out.append("unusually long")
    return out
