"""The generic reader: an IMR letter in a layout imrdesk does not know, read for whatever it carries.

It looks for what every IMR determination says in some form — a case number, labelled dates, the reviewer,
a case summary, and the decisions — without trusting any one layout:

1. decision lines, as the known layouts print them ("MRI of the lumbar spine: Upheld");
2. decision sentences ("1. MRI of the lumbar spine is not medically necessary and appropriate", "MAXIMUS …
   has determined the request for X is medically necessary"), one item per treatment;
3. the treatments listed under an "issue(s) at dispute" heading, each decided by the conclusion of its
   rationale ("… is not medically necessary" -> Upheld).

Every value it reads stays below the review threshold (:data:`CAP`), with the reason among its doubts, and the
rules add a finding that the layout is unknown: the reviewer checks each value against the letter.
"""

from __future__ import annotations

import re

from .builder import RecordBuilder
from .document import Document
from .items import ANY_LABEL, GENERIC_LABELS, conclusion, find_items, heading_text, paragraphs
from .layout import UNKNOWN
from .textmap import clean

CAP = 0.7  # below the review threshold: nothing a generic reading says is taken on trust

_SUMMARY_HEADING = re.compile(
    r"(?:CLINICAL\s+)?CASE\s+SUMMARY\s*:?|SUMMARY\s+OF\s+(?:THE\s+)?(?:MEDICAL\s+)?RECORDS\s*:?|"
    r"Clinical\s+Summary\s*:|Case\s+Summary\s*:",
    re.I,
)
_SUMMARY_INTRO = re.compile(
    r"^\s*(?:The\s+(?:expert|physician|professional|independent)\s+reviewer\s+developed\s+the\s+following\s+[^:]{0,120}:"
    r"|Disclaimer:[^:]{0,200}?(?:dated|from)[^.]{0,60}\.)\s*",
    re.I,
)
# Headings that end a section: a line in capitals, or a known label of what follows the summary.
_SECTION = re.compile(
    r"^(?:[A-Z][A-Z0-9 ,&()/'’-]{6,}:?|(?:Documents?\s+Reviewed|Issues?\s+at\s+Dispute|IMR\s+Decision|Decision\(s\)|"
    r"Medical\s+Reviewer\s+Qualifications|Medical\s+Qualifications|Rationale)[^\n]{0,80}:?|cc\s*:.*|"
    r"(?:\d{1,2}\s*[.)]\s*)?Regarding\s+the\s+request\s+for\b.*)$",
)
_ISSUE_HEADING = re.compile(
    r"(?:ISSUES?|ITEMS?|TREATMENTS?(?:/SERVICES?)?|SERVICES?)\s+(?:AT|IN)\s+DISPUTE\s*:?|DISPUTED\s+(?:ITEMS?|"
    r"TREATMENTS?|SERVICES?)(?:/SERVICES?)?\s*:?|Treatment\(s\)\s+in\s+Dispute[^:\n]{0,60}:",
    re.I,
)
# "1. MRI … is not medically necessary and appropriate", "… has determined the request for X is medically necessary"
_STATEMENT = re.compile(
    r"[ \t]*(?:(?P<num>\d{1,2})\s*[.)]\s*)?(?P<det>MAXIMUS\s+Federal\s+Services,?\s+Inc\.?\s+has\s+determined\s+"
    r"(?:that\s+)?)?(?:the\s+)?(?:request(?:ed)?\s+(?:for\s+)?)?(?P<t>[^\n].{2,400}?)\s+(?:is|are|was|were)\s*"
    r"(?:(?:determined|found)\s+to\s+be\s+)?(?P<not>not\s*)?medically\s+necessary(?:\s+and\s+appropriate)?",
    re.I | re.S,
)
_NUMBERED = re.compile(r"(?m)^[ \t]*(?P<num>\d{1,2})\s*[.)]\s*(?P<t>\S.*)$")


def read_unknown(doc: Document) -> dict:
    """A record of whatever an IMR letter of an unknown layout carries; every value below the threshold."""
    b = RecordBuilder(doc, cap=CAP)
    b.rec["format"] = UNKNOWN
    summary = _summary_span(b)
    b.header_labels(limit=summary[0] if summary else 4000, conf=CAP)
    b.reviewer()
    if summary:
        b.read_summary(*summary, CAP)
    if not _decision_lines(b, summary[1] if summary else 0):
        # Decision sentences or a list of issues, whichever names more items (both: the sentences decide).
        statements, issues = _statements(b), _issues(b)
        for item in statements if len(statements) >= len(issues) else issues:
            b.add_item(*item)
    if not b.rec["items"] and summary:  # decisions printed before the summary
        _decision_lines(b, 0)
    return b.rec


def _summary_span(b: RecordBuilder) -> tuple[int, int] | None:
    t = b.text
    m = _SUMMARY_HEADING.search(t)
    if not m:
        return None
    start = m.end()
    intro = _SUMMARY_INTRO.match(t, start)
    start = intro.end() if intro else start
    first = b.tm.line_index(start) + 1
    for line_no in range(first, len(b.tm.lines)):
        text = b.tm.lines[line_no].text.strip()
        if _SECTION.match(text) or _ISSUE_HEADING.match(text) or GENERIC_LABELS["rationale"].match(text):
            return start, b.tm.line_starts[line_no]
    return start, min(len(t), start + 6000)


def _trimmed(b: RecordBuilder, spans: dict[str, tuple[int, int] | None]) -> dict[str, tuple[int, int] | None]:
    """Paragraph spans cut at the next section heading (a paragraph of an unknown layout may run on)."""
    return {k: (v[0], _section_end(b, v)) if v else None for k, v in spans.items()}


def _decision_lines(b: RecordBuilder, region: int) -> bool:
    """Items by decision lines ("X: Upheld"), with whatever labelled paragraphs follow each."""
    for item in find_items(b.tm, region, require_label=False, labels=GENERIC_LABELS):
        heading = item.heading
        line = b.tm.line_at(item.decision_span[0])
        before = b.text[b.tm.line_starts[b.tm.line_index(item.decision_span[0])] : item.decision_span[0]]
        if _DECISION_LABEL.fullmatch(before.strip(" :")) and line.text:
            # "Decision: Upheld" under "Requested treatment: X": the treatment is on a labelled line above
            above = _labelled_treatment(b, item.decision_span[0])
            if not above:
                continue
            heading = above
        treatment = heading_text(b.tm, heading)
        treatment = _TREATMENT_LABEL.sub("", re.sub(r"^\s*\d{1,2}\s*[.)]\s*", "", treatment))
        if not treatment:
            continue
        b.add_item(
            heading,
            treatment,
            item.decision,
            item.decision_span,
            (0.6, 0.6 if item.decision_confidence < 0.9 else 0.7),
            _trimmed(b, item.paragraphs),
        )
    return bool(b.rec["items"])


_TREATMENT_LABEL = re.compile(
    r"^(?:Issues?\s+at\s+dispute|Disputed\s+(?:item|treatment|service)s?|Requested\s+(?:treatment|service|item)s?|"
    r"Treatments?|Services?|Items?|Requests?)\s*(?:\(s\))?\s*:\s*",
    re.I,
)
_DECISION_LABEL = re.compile(r"(?:IMR\s+|Final\s+)?(?:Decision|Determination|Result|Outcome)", re.I)


def _labelled_treatment(b: RecordBuilder, before: int) -> tuple[int, int] | None:
    """The span of the treatment on a labelled line ("Requested treatment: X") a few lines above ``before``."""
    line_no = b.tm.line_index(before)
    for k in range(line_no - 1, max(-1, line_no - 6), -1):
        line = b.tm.lines[k].text
        m = _TREATMENT_LABEL.match(line)
        if m and line[m.end() :].strip():
            start = b.tm.line_starts[k] + m.end()
            return start, b.tm.line_starts[k] + len(line.rstrip())
    return None


Candidate = tuple[tuple[int, int], str, "str | None", "tuple[int, int] | None", tuple[float, float], dict]


def _statements(b: RecordBuilder) -> list[Candidate]:
    """Items by decision sentences, one per treatment, each with the labelled paragraphs up to the next one."""
    t = b.text
    found: list[re.Match] = []
    seen: set[str] = set()
    starts = [0] + [k + 1 for k, ch in enumerate(t) if ch == "\n"]
    for m in filter(None, (_STATEMENT.match(t, at) for at in starts)):
        treatment = m.group("t")
        if not m.group("num") and not m.group("det"):
            continue  # a sentence inside a rationale, not a decision
        if (
            treatment.count("\n") > 2
            or ANY_LABEL.search(treatment)
            or re.search(r"Regarding\s+the|has\s+determined", treatment, re.I)
        ):
            continue
        key = re.sub(r"\W+", " ", treatment.lower()).strip()
        if key in seen:
            continue
        seen.add(key)
        found.append(m)
    out: list[Candidate] = []
    for k, m in enumerate(found):
        end = found[k + 1].start() if k + 1 < len(found) else len(t)
        spans = _trimmed(b, paragraphs(t, m.end(), end, GENERIC_LABELS))
        decision = "Upheld" if m.group("not") else "Overturned"
        not_span = (m.start("not"), m.end()) if m.group("not") else (m.end("t"), m.end())
        out.append(((m.start("t"), m.end("t")), clean(m.group("t")), decision, not_span, (0.6, 0.6), spans))
    return out


def _issues(b: RecordBuilder) -> list[Candidate]:
    """Items listed under an "issue(s) at dispute" heading (or as "Regarding the request for X:" sections),
    decided by their rationales' conclusions."""
    t = b.text
    treatments = _issue_list(b) or [m.span("t") for m in _REGARDING.finditer(t)]
    if not treatments:
        return []
    # Each treatment's paragraphs: the k-th rationale (and guidelines before it) after the list.
    rationales = list(GENERIC_LABELS["rationale"].finditer(t, treatments[0][1]))
    bounds = [r.start() for r in rationales]
    out: list[Candidate] = []
    for k, (a, z) in enumerate(treatments):
        spans: dict[str, tuple[int, int] | None] = {"claims": None, "maximus": None, "rationale": None}
        decision = None
        if k < len(rationales):
            lo = max(bounds[k - 1] + 1 if k else 0, z)
            hi = bounds[k + 1] if k + 1 < len(bounds) else len(t)
            spans = _trimmed(b, paragraphs(t, lo, hi, GENERIC_LABELS))
            if spans["rationale"]:
                decision = conclusion(clean(t[spans["rationale"][0] : spans["rationale"][1]]))
        treatment = clean(t[a:z]).rstrip(" .;:")
        out.append(((a, z), treatment, decision, spans["rationale"], (0.6, 0.5), spans))
    return out


_REGARDING = re.compile(
    r"(?m)^[ \t]*(?:\d{1,2}\s*[.)]\s*)?Regarding\s+the\s+request\s+for\s+(?P<t>.+?)\s*:[ \t]*$", re.I
)


def _issue_list(b: RecordBuilder) -> list[tuple[int, int]]:
    t = b.text
    m = _ISSUE_HEADING.search(t)
    if not m:
        return []
    first = b.tm.line_index(m.end())
    treatments: list[tuple[int, int]] = []
    line_end = b.tm.line_starts[first] + len(b.tm.lines[first].text)
    rest = t[m.end() : line_end].strip()
    if rest:  # "ISSUE AT DISPUTE: MRI of the lumbar spine"
        at = t.index(rest, m.end())
        treatments.append((at, at + len(rest)))
    for line_no in range(first + 1, len(b.tm.lines)):
        line = b.tm.lines[line_no].text
        numbered = _NUMBERED.match(line)
        if numbered and not rest:
            at = b.tm.line_starts[line_no] + numbered.start("t")
            treatments.append((at, at + len(numbered.group("t"))))
        elif treatments or _SECTION.match(line.strip()):
            break
        elif not rest and len(line) < 200:  # one treatment on the line after the heading
            at = b.tm.line_starts[line_no]
            treatments.append((at, at + len(line)))
            break
    return treatments


def _section_end(b: RecordBuilder, span: tuple[int, int]) -> int:
    """Where a paragraph running to the end of the letter stops: the next section heading."""
    first = b.tm.line_index(span[0]) + 1
    for line_no in range(first, len(b.tm.lines)):
        if b.tm.line_starts[line_no] >= span[1]:
            break
        if _SECTION.match(b.tm.lines[line_no].text.strip()):
            return b.tm.line_starts[line_no]
    return span[1]
