"""Disputed items: heading, decision, both guideline paragraphs and the rationale.

An item is found by its decision line (``...: Upheld`` / ``...: Overturned``, or the word alone on the line
after the heading). Its heading runs back to where the heading paragraph opens: a paragraph gap, a switch
from regular to bold type, or the previous item's text. Guideline and rationale paragraphs are found by their
labels inside the block that runs to the next heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .textmap import TextMap, clean

_DECISION_LINE = re.compile(r"(?:^|:)\s*(?P<d>Upheld|Overturned)\s*\.?\s*$", re.I)
_LABELS = {
    "claims": re.compile(r"Claims\s+Administrator\s+guidelines?\s*:", re.I),
    "maximus": re.compile(r"MAXIMUS\s+guidelines?\s*:", re.I),
    "rationale": re.compile(r"Decision\s+rationale\s*:", re.I),
}
_INTRO = re.compile(r"set forth below:?|DECISIONS AND RATIONALES", re.I)
_LABEL_LINE = re.compile(r"^(Claims Administrator guideline|MAXIMUS guideline|Decision rationale):", re.I)
MAX_HEADING_LINES = 10


@dataclass
class Item:
    heading: tuple[int, int]  # span of the treatment text (without the decision)
    decision: str
    decision_span: tuple[int, int]
    heading_confidence: float
    decision_confidence: float
    paragraphs: dict[str, tuple[int, int] | None]  # label -> span of paragraph text
    block_end: int


def find_items(tm: TextMap, region_start: int) -> list[Item]:
    lines = tm.lines
    first_line = tm.line_index(region_start) if tm.text else 0
    found: list[
        tuple[int, float, int, re.Match]
    ] = []  # (heading start offset, confidence, decision line, match)
    for i in range(first_line, len(lines)):
        text = lines[i].text
        m = _DECISION_LINE.search(text)
        if not m:
            continue
        # The decision word alone must follow a heading line ending in ":" (or "is:").
        if not text[: m.start("d")].strip() and (i == 0 or not lines[i - 1].text.rstrip().endswith(":")):
            continue
        if not _followed_by_label(tm, i):
            continue
        floor = found[-1][2] + 1 if found else first_line
        start, conf = _heading_start(tm, i, floor)
        found.append((start, conf, i, m))
    items: list[Item] = []
    for k, (head_start, conf, i, m) in enumerate(found):
        line_start = tm.line_starts[i]
        dec_start, dec_end = line_start + m.start("d"), line_start + m.end("d")
        head_end = line_start + m.start()  # at the ":" before the decision, or the start of its own line
        block_end = found[k + 1][0] - 1 if k + 1 < len(found) else len(tm.text)
        paragraphs = _paragraphs(tm.text, dec_end, block_end)
        dec_conf = 0.97
        if paragraphs["claims"] is None or paragraphs["rationale"] is None:
            conf, dec_conf = min(conf, 0.7), 0.7
        decision = m.group("d").capitalize()
        items.append(
            Item(
                (head_start, head_end), decision, (dec_start, dec_end), conf, dec_conf, paragraphs, block_end
            )
        )
    return items


def _followed_by_label(tm: TextMap, i: int) -> bool:
    following = " ".join(line.text for line in tm.lines[i + 1 : i + 4])
    return bool(
        re.match(
            r"\s*(Claims\s+Administrator\s+guideline|MAXIMUS\s+guideline|Decision\s+rationale)",
            following,
            re.I,
        )
    )


_SENTENCE_END = re.compile(r"[.!?][\"')\]]?\s*$")
_MODIFIED_TAIL = re.compile(
    r"The remaining IMR eligible portion|leaving the original request|The original request,", re.I
)


def _heading_start(tm: TextMap, i: int, floor: int) -> tuple[int, float]:
    """Offset where the heading of the decision on line ``i`` begins, and how sure that is.

    Layout tells first: a paragraph gap, a switch to bold type, or the item-list introduction. A flat text
    with none of these (a letter pasted into a .txt) falls back to sentence ends, with lower confidence.
    """
    lines = tm.lines
    j = i
    while j > floor:
        line, prev = lines[j], lines[j - 1]
        if line.para_break or (prev.starts_bold is False and line.starts_bold) or _INTRO.search(prev.text):
            return tm.line_starts[j], 0.97
        if i - j >= MAX_HEADING_LINES or _LABEL_LINE.search(prev.text):
            break  # a labelled paragraph of the previous item is no boundary signal by itself
        j -= 1
    if j == floor and (floor == 0 or lines[floor].para_break):
        return tm.line_starts[j], 0.97
    floor = max(floor, j - 1) if _LABEL_LINE.search(lines[j - 1].text) else floor
    # No layout signal: the heading opens on the line after the last sentence end.
    j = i
    while j > floor and not (
        _SENTENCE_END.search(lines[j - 1].text)
        and (lines[j].text[:1].isupper() or lines[j].text[:1].isdigit())
    ):
        j -= 1
    start = tm.line_starts[j]
    head = tm.text[start : tm.line_starts[i] + len(lines[i].text)]
    if _MODIFIED_TAIL.search(head) and "was the original request" not in head:
        # "X was the original request. Y was authorized … The remaining … portion, Z is: Upheld"
        back = tm.line_starts[max(floor, j - 6)]
        at = tm.text.rfind("was the original request", back, start)
        if at >= 0:
            ends = [m.end() for m in re.finditer(r"[.!?][\"')\]]?\s+(?=[A-Z0-9])", tm.text[back:at])]
            start = back + ends[-1] if ends else tm.line_starts[tm.line_index(at)]
    return start, 0.6


def _paragraphs(text: str, start: int, end: int) -> dict[str, tuple[int, int] | None]:
    """Spans of the three labelled paragraphs in text[start:end], each running to the next label."""
    found = {}
    for name, pattern in _LABELS.items():
        m = pattern.search(text, start, end)
        if m:
            found[name] = m
    order = sorted(found.items(), key=lambda kv: kv[1].start())
    spans: dict[str, tuple[int, int] | None] = {name: None for name in _LABELS}
    for k, (name, m) in enumerate(order):
        stop = order[k + 1][1].start() if k + 1 < len(order) else end
        spans[name] = (m.end(), stop)
    return spans


def heading_text(tm: TextMap, span: tuple[int, int]) -> str:
    text = clean(tm.text[span[0] : span[1]])
    text = re.sub(r"\s*:\s*$", "", text)
    return re.sub(r"\s+is\s*$", "", text).strip()


_MODIFIED = [
    re.compile(
        r"^(?P<orig>.+?) was the original request\.\s*(?P<auth>.+?) (?:was|were) authorized by the Claims "
        r"Administrator\.\s*The remaining IMR eligible portion of the original request,?\s*(?P<disp>.+)$",
        re.I,
    ),
    re.compile(
        r"^(?P<orig>.+?) was the original request\.\s*The Claims Administrator (?:authorized|modified the request "
        r"to|certified) (?P<auth>.+?),\s*leaving the (?:original request|remainder) IMR eligible\.\s*"
        r"The original request,?\s*(?P<disp>.+)$",
        re.I,
    ),
]


def modified_request(treatment: str) -> dict | None:
    for pattern in _MODIFIED:
        m = pattern.match(treatment)
        if m:
            return {k: m.group(k).strip(" ,.") for k in ("orig", "auth", "disp")}
    return None
