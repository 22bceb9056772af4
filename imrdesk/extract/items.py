"""Disputed items: heading, decision, both guideline paragraphs and the rationale.

An item is found by its decision line (``...: Upheld`` / ``...: Overturned``, or the word alone on the line
after the heading). Its heading runs back to where the heading paragraph opens: a paragraph gap, a switch
from regular to bold type, or the previous item's text. Guideline and rationale paragraphs are found by their
labels inside the block that runs to the next heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .evidence import DISAGREE
from .layout import is_section_heading
from .textmap import TextMap, clean

# "…: Upheld", "…: UPHELD", "…: Upheld (Not Medically Necessary)", "…: Overturned - medically necessary"; a
# qualifier may wrap onto the next line ("(Not Medically" / "Necessary)").
DECISION_LINE = re.compile(
    r"(?:^|:)\s*(?P<d>Upheld|Overturned)\b\s*(?P<q>\([^()]*\)?|[-–—,]\s*(?:not\s+)?medically\s+necessary"
    r"(?:\s+and\s+appropriate)?)?\s*[.;]?\s*$",
    re.I,
)
# A decision word the OCR misread ("Uphcld", "0verturned") or whose colon it read as ";" — tried only where
# DECISION_LINE finds nothing; the item is kept (not silently lost) and its decision goes to review.
_MISREAD_DECISION_LINE = re.compile(
    r"(?:^|[:;])\s*(?P<d>[A-Za-z0-9|]{5,12})\b\s*(?P<q>\([^()]*\)?)?\s*[.;:,]?\s*$", re.I
)
_QUALIFIER_SAYS_NOT = re.compile(r"\bnot\b|\bun(?:necessary|warranted)\b|\bdenied\b|\bnon-?certif", re.I)
# The sentence that introduces the items; a heading that begins with it starts after it.
INTRO_SENTENCE = re.compile(
    r"(?:The\s+)?Final\s+Determination\s+was\s+based\s+on\s+(?:the\s+)?decisions?\s+for\s+the\s+disputed\s+"
    r"items?(?:\s*/\s*services?)?\s+(?:set\s+forth|listed)\s+below\s*:?|\b(?:set\s+forth|listed)\s+below\s*:",
    re.I,
)
_REVIEWER = r"(?:Expert|Physician|Medical|Professional|Independent|Peer)\s+Reviewer"
# The labels of an item's paragraphs, as the 2016 letters print them and as other layouts word them.
LABELS = {
    "claims": re.compile(
        r"Claims\s+Administrator(?:'s)?\s+guidelines?\s*:|Guidelines?\s+(?:used|relied\s+upon|cited)\s+by\s+"
        r"(?:the\s+)?Claims\s+Administrator\s*:|Medical\s+Treatment\s+Guideline\(s\)\s+(?:which\s+|that\s+)?"
        r"(?:the\s+)?Claims\s+Administrator\s+(?:relied\s+upon|based\s+(?:its|their|his/her)\s+decision\s+on)\s*:",
        re.I,
    ),
    "maximus": re.compile(
        rf"MAXIMUS\s+guidelines?\s*:|{_REVIEWER}(?:'s)?\s+guidelines?\s*:|Guidelines?\s+(?:used|relied\s+upon|"
        rf"cited)\s+by\s+(?:the\s+)?{_REVIEWER}\s*:|Medical\s+Treatment\s+Guideline\(s\)\s+(?:relied\s+upon\s+by\s+"
        rf"(?:the\s+)?{_REVIEWER}(?:\s+and\s+why)?|(?:which\s+|that\s+)?(?:the\s+)?{_REVIEWER}\s+(?:relied\s+upon|"
        rf"based\s+(?:his/her|its|their)\s+decision\s+on))\s*:",
        re.I,
    ),
    "rationale": re.compile(
        r"Decision\s+rationale\s*:|Rationale\s+for\s+(?:the\s+)?Decision\s*:|Rationale\s+for\s+why\s+the\s+"
        r"requested\s+treatment\s*/?\s*service\s+is\s*/?\s*was\s+not\s+medically\s+necessary\s*:|^\s*Rationale\s*:",
        re.I | re.M,
    ),
}
# Other layouts' rationale labels ("Reason:", "Basis for the determination:"): the generic reader's only,
# since a 2016 rationale may hold such words at a line start.
GENERIC_LABELS = LABELS | {
    "rationale": re.compile(
        rf"(?:{LABELS['rationale'].pattern})|^\s*(?:Reasons?|Basis|Explanation)(?:\s+for\s+(?:the\s+)?"
        r"(?:decision|determination))?\s*:",
        re.I | re.M,
    )
}
ANY_LABEL = re.compile("|".join(f"(?:{p.pattern})" for p in LABELS.values()), re.I)
_INTRO = re.compile(
    r"(?:set\s+forth|listed)\s+below:?|DECISIONS?(?:\(S\))?\s+AND\s+RATIONALES?(?:\(S\))?", re.I
)
MAX_HEADING_LINES = 10
# An item's number in a numbered list of headings: "1. ", "2) ", "(3) ", "Item 4: " (not "3.0 Tesla MRI").
_ITEM_NUMBER = re.compile(r"(?:\(\d{1,2}\)|\d{1,2}[.)]|Item\s+\d{1,2}\s*[:.)-])\s+(?=[A-Za-z(])", re.I)


@dataclass
class Item:
    heading: tuple[int, int]  # span of the treatment text (without the decision)
    decision: str
    decision_span: tuple[int, int]
    heading_confidence: float
    decision_confidence: float
    paragraphs: dict[str, tuple[int, int] | None]  # label -> span of paragraph text
    block_end: int
    doubts: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # the heading's, the decision's


def find_items(
    tm: TextMap, region_start: int, *, require_label: bool = True, labels: dict[str, re.Pattern] = LABELS
) -> list[Item]:
    """Items by their decision lines from ``region_start``; ``require_label``: only a decision line that a
    paragraph label follows (the known layouts) counts."""
    lines = tm.lines
    first_line = tm.line_index(region_start) if tm.text else 0
    # (heading start offset, confidence, decision line, match, decision, read only as a misreading)
    found: list[tuple[int, float, int, re.Match, str, bool]] = []
    for i in range(first_line, len(lines)):
        text = lines[i].text
        m = DECISION_LINE.search(text)
        misread = m is None
        m = m or _MISREAD_DECISION_LINE.search(text)
        decision = decision_word(m.group("d")) if m else None
        if m is None or decision is None:
            continue
        # The decision word alone must follow a heading line ending in ":" (or "is:").
        if not text[: m.start("d")].strip() and (i == 0 or not lines[i - 1].text.rstrip().endswith(":")):
            continue
        wrapped = bool(m.group("q")) and m.group("q").startswith("(") and not m.group("q").endswith(")")
        if require_label and not _followed_by_label(tm, i + 1 if wrapped else i):
            continue
        floor = found[-1][2] + 1 if found else first_line
        start, conf = _heading_start(tm, i, floor)
        found.append((start, conf, i, m, decision, misread))
    items: list[Item] = []
    for k, (head_start, conf, i, m, decision, misread) in enumerate(found):
        line_start = tm.line_starts[i]
        dec_start, dec_end = line_start + m.start("d"), line_start + m.end("d")
        head_end = line_start + m.start()  # at the ":" before the decision, or the start of its own line
        block_end = found[k + 1][0] - 1 if k + 1 < len(found) else len(tm.text)
        spans = paragraphs(tm.text, dec_end, block_end, labels)
        dec_conf = 0.97
        head_doubts = ("another reading differs",) if conf == DISAGREE else ()
        dec_doubts: tuple[str, ...] = ()
        if spans["claims"] is None or spans["rationale"] is None:
            conf, dec_conf = min(conf, 0.7), 0.7
        if misread:  # the word it is nearest to, or its colon read as ";": reviewed
            dec_conf, dec_doubts = min(dec_conf, 0.6), ("a decision word misread",)
        before = region_start if k == 0 else dec_end
        if len(labels["claims"].findall(tm.text, before, block_end)) > 1:
            # two items' paragraphs in one block: a decision line was not read (a scan's "Uphcii"), so an
            # item is missing around this one; say so on it rather than lose the other silently
            lost = ("the paragraphs of an item whose decision was not read",)
            conf, dec_conf = min(conf, 0.5), min(dec_conf, 0.5)
            head_doubts, dec_doubts = head_doubts + lost, dec_doubts + lost
        qualifier = m.group("q") or ""
        if qualifier and (decision == "Upheld") != bool(_QUALIFIER_SAYS_NOT.search(qualifier)):
            # "Overturned (Not Medically Necessary)": the letter contradicts itself
            dec_conf, dec_doubts = min(dec_conf, 0.4), ("a qualifier that contradicts the decision",)
        intro = list(INTRO_SENTENCE.finditer(tm.text, head_start, head_end))
        if intro:  # the items' introduction shares the heading's paragraph or line
            head_start = intro[-1].end()
            while head_start < head_end and tm.text[head_start].isspace():
                head_start += 1
        number = _ITEM_NUMBER.match(tm.text, head_start, head_end)
        if number:  # "1. MRI of the lumbar spine: Upheld": the list's number is no part of the treatment
            head_start = number.end()
        items.append(
            Item(
                (head_start, head_end),
                decision,
                (dec_start, dec_end),
                conf,
                dec_conf,
                spans,
                block_end,
                (head_doubts, dec_doubts),
            )
        )
    return items


def decision_word(word: str) -> str | None:
    """ "Upheld" or "Overturned" for the word as printed or as a scan misreads it (two letters off at most,
    and nearer one than the other); None for any other word."""
    word = word.lower()
    if word in ("upheld", "overturned"):
        return word.capitalize()
    near = {name: _distance(word, name.lower()) for name in ("Upheld", "Overturned")}
    best = min(near, key=near.get)
    return best if near[best] <= 2 else None  # the two words are 8 edits apart: never near both


def _distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace) that turn ``a`` into ``b``."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _followed_by_label(tm: TextMap, i: int) -> bool:
    following = " ".join(line.text for line in tm.lines[i + 1 : i + 4])
    return bool(re.match(rf"\s*(?:{ANY_LABEL.pattern})", following, re.I))


_SENTENCE_END = re.compile(r"[.!?][\"')\]]?\s*$")
# How a modified request names the part left for review: "The remaining IMR eligible portion of the original
# request, Z", "The portion eligible for IMR, Z", "The original request, Z" (after "leaving … IMR eligible").
DISPUTED_INTRO = (
    r"The\s+(?:remaining\s+)?(?:IMR[\s-]+eligible\s+portion|portion\s+(?:that\s+(?:is|remains)\s+|remaining\s+)?"
    r"eligible\s+for\s+(?:IMR|Independent\s+Medical\s+Review)|remaining\s+portion|remainder|original\s+request)"
    r"(?:\s+of\s+the\s+(?:original\s+)?request)?(?:\s+(?:that\s+is\s+)?(?:eligible\s+for\s+IMR|IMR\s+eligible))?"
)
_MODIFIED_TAIL = re.compile(rf"{DISPUTED_INTRO}|leaving\s+the\s+(?:original\s+request|remainder)", re.I)


def _heading_start(tm: TextMap, i: int, floor: int) -> tuple[int, float]:
    """Offset where the heading of the decision on line ``i`` begins, and how sure that is.

    Two independent readings: the layout's (a paragraph gap, a switch to bold type, the item-list
    introduction) and the words' (the line after the last sentence end). A flat text with no layout signal (a
    letter pasted into a .txt) has only the second, at lower confidence; where both exist and disagree, the
    layout's wins but goes to review.
    """
    by_words = _words_start(tm, i, floor)
    by_layout = _layout_start(tm, i, floor)
    if by_layout is None:
        return by_words, 0.6
    return by_layout, 0.97 if by_layout == by_words else DISAGREE


def _layout_start(tm: TextMap, i: int, floor: int) -> int | None:
    lines = tm.lines
    j = i
    while j > floor:
        line, prev = lines[j], lines[j - 1]
        intro = _INTRO.search(prev.text)
        if intro and prev.text[intro.end() :].strip():
            return _after_intro(tm, j - 1, intro)
        if (
            line.para_break
            or (prev.starts_bold is False and line.starts_bold)
            or intro
            or is_section_heading(prev.text)
        ):
            return tm.line_starts[j]
        if i - j >= MAX_HEADING_LINES or ANY_LABEL.match(prev.text):
            return None  # a labelled paragraph of the previous item is no boundary signal by itself
        j -= 1
    if floor == 0 or lines[floor].para_break:
        return tm.line_starts[floor]
    return None


def _after_intro(tm: TextMap, line_no: int, intro: re.Match) -> int:
    """ "… set forth below: MRI of the lumbar spine …": the heading starts on the introduction's line."""
    at = tm.line_starts[line_no] + intro.end()
    while tm.text[at].isspace():
        at += 1
    return at


def _words_start(tm: TextMap, i: int, floor: int) -> int:
    """The heading opens on the line after the last sentence end (or after the items' introduction)."""
    lines = tm.lines
    j = i
    while j > floor:
        prev = lines[j - 1]
        intro = _INTRO.search(prev.text)
        if intro:
            return _after_intro(tm, j - 1, intro) if prev.text[intro.end() :].strip() else tm.line_starts[j]
        if ANY_LABEL.match(prev.text) and j - 1 < i:
            floor = max(floor, j - 1)
        if is_section_heading(prev.text) or (
            _SENTENCE_END.search(prev.text)
            and (
                lines[j].text[:1].isupper()
                or lines[j].text[:1].isdigit()
                or _ITEM_NUMBER.match(lines[j].text)
            )
        ):
            break
        j -= 1
    start = tm.line_starts[j]
    head = tm.text[start : tm.line_starts[i] + len(lines[i].text)]
    if _MODIFIED_TAIL.search(head) and not re.search(r"(?:was|were)\s+the\s+original\s+request", head):
        # "X was the original request. Y was authorized … The remaining … portion, Z is: Upheld"
        back = tm.line_starts[max(floor, j - 6)]
        found = list(re.finditer(r"(?:was|were)\s+the\s+original\s+request", tm.text[back:start]))
        if found:
            at = back + found[-1].start()
            ends = [m.end() for m in re.finditer(r"[.!?][\"')\]]?\s+(?=[A-Z0-9])", tm.text[back:at])]
            start = back + ends[-1] if ends else tm.line_starts[tm.line_index(at)]
    return start


def paragraphs(
    text: str, start: int, end: int, labels: dict[str, re.Pattern] = LABELS
) -> dict[str, tuple[int, int] | None]:
    """Spans of the three labelled paragraphs in text[start:end], each running to the next label."""
    found = {}
    for name, pattern in labels.items():
        m = pattern.search(text, start, end)
        if m:
            found[name] = m
    order = sorted(found.items(), key=lambda kv: kv[1].start())
    spans: dict[str, tuple[int, int] | None] = {name: None for name in labels}
    for k, (name, m) in enumerate(order):
        stop = order[k + 1][1].start() if k + 1 < len(order) else end
        spans[name] = (m.end(), stop)
    return spans


def heading_text(tm: TextMap, span: tuple[int, int]) -> str:
    text = clean(tm.text[span[0] : span[1]])
    text = re.sub(r"\s*:\s*$", "", text)
    return re.sub(r"\s+is\s*$", "", text).strip()


_AUTHORIZED_BY = (
    r"(?:(?:was|were|has\s+been|have\s+been)\s+)?(?:partially\s+)?(?:authorized|certified|approved|allowed|"
    r"modified(?:\s+to)?)\s+(?:by\s+(?:the\s+)?(?:Claims\s+Administrator|utilization\s+review|UR)|on\s+utilization\s+review)"
)
_MODIFIED = [
    re.compile(
        rf"^(?P<orig>.+?)\s+(?:was|were)\s+the\s+original\s+request\.\s*(?P<auth>.+?)\s+{_AUTHORIZED_BY}\.\s*"
        rf"{DISPUTED_INTRO}\s*(?:,|:|\bis\s+for\b|\bis\b|\bwas\b)?\s*(?P<disp>.+)$",
        re.I,
    ),
    re.compile(
        rf"^(?P<orig>.+?)\s+(?:was|were)\s+the\s+original\s+request\.\s*The\s+Claims\s+Administrator\s+"
        rf"(?:partially\s+)?(?:authorized|certified|approved|allowed|modified\s+(?:the\s+request\s+)?to)\s+"
        rf"(?P<auth>.+?),?\s+leaving\s+(?:the\s+(?:original\s+request|remainder|rest)\s+)?(?:IMR\s+eligible|eligible\s+for\s+IMR)"
        rf"\.\s*{DISPUTED_INTRO}\s*(?:,|:|\bis\s+for\b|\bis\b|\bwas\b)?\s*(?P<disp>.+)$",
        re.I,
    ),
]


def modified_request(treatment: str) -> dict | None:
    for pattern in _MODIFIED:
        m = pattern.match(treatment)
        if m:
            return {k: m.group(k).strip(" ,.") for k in ("orig", "auth", "disp")}
    return None


_NECESSITY = re.compile(
    r"medically necessary|medical necessity|\b(?:is|are|was|were|be|been)\s+(?:not\s+)?(?:recommended|indicated|"
    r"supported|warranted|necessary|appropriate|certified)\b",
    re.I,
)
_NEGATION = re.compile(r"\b(?:not|none|no|neither|nor|never|cannot|non-?certified|unnecessary)\b|n't", re.I)


def conclusion(rationale: str) -> str | None:
    """What the rationale's last sentence on necessity says: Upheld (not necessary) or Overturned (necessary)."""
    for sentence in reversed(re.split(r"(?<=[.!?])\s+", rationale.strip())):
        if _NECESSITY.search(sentence):
            return "Upheld" if _NEGATION.search(sentence) else "Overturned"
    return None
