"""The layouts imrdesk knows (2016-17 header table, 2014 one-sentence reviewer, 2013 notice) -> the contract
record (without file identity and error); letters of any other IMR layout go to the generic reader."""

from __future__ import annotations

import re

from .builder import CASE_RE, HEADER_DATES, HEADER_FIELDS, RecordBuilder, empty_item, empty_record
from .citations import parse_guideline
from .dates import parse_date
from .document import Document
from .generic import read_unknown
from .header import read_header
from .items import LABELS, conclusion, find_items, heading_text
from .layout import UNKNOWN, detect
from .textmap import clean

__all__ = ["HEADER_DATES", "HEADER_FIELDS", "conclusion", "detect_format", "empty_record", "parse_document"]


def detect_format(doc: Document, text: str) -> str | None:
    """Which layout the letter follows (a score over its cues); None when it is not an IMR determination."""
    return detect(text, header_labels=len(read_header(doc)))


class LetterBuilder(RecordBuilder):
    """The readers of the layouts imrdesk knows."""

    # ------------------------------------------------------------------ header
    def header(self) -> None:
        cells = read_header(self.doc)
        for field, cell in cells.items():
            if not cell.value:
                continue
            raw = cell.text
            if field == "case_number":
                m = CASE_RE.search(raw)
                value, conf = (m.group(), 0.97) if m else (raw, 0.3)
            elif field == "priority":
                # A flattened header runs on into the next cell: "Standard Application 12/05/2016"
                value = re.split(r"\s+(?=Application\b|Received\b|Date\b|\d)", raw.strip(" :"))[0]
                conf = 0.95 if re.fullmatch(r"[A-Za-z][A-Za-z \-]{2,30}", value) else 0.4
            else:
                value = parse_date(raw)
                conf = 0.97 if value else 0.2
                value = value or None
            if value is None:
                continue
            self.rec[field] = value
            self.words_prov(field, cell.value, conf)
        # Labels read from the flat text where the table geometry is missing (e.g. a text copy).
        self.header_labels()

    # ----------------------------------------------------------------- summary
    def summary(self) -> None:
        t = self.text
        start_m = re.search(r"including all medical records:|CLINICAL CASE SUMMARY|Case Summary:", t, re.I)
        if not start_m:
            return
        if start_m.group().upper() == "CLINICAL CASE SUMMARY":
            nxt = re.search(r"including all medical records:", t[start_m.end() : start_m.end() + 400], re.I)
            start = start_m.end() + (nxt.end() if nxt else 0)
        else:
            start = start_m.end()
        end_m = re.search(
            r"IMR ISSUES,? DECISIONS AND RATIONALES|INDEPENDENT MEDICAL REVIEW DECISION", t[start:], re.I
        )
        end = start + end_m.start() if end_m else min(len(t), start + 6000)
        self.read_summary(start, end, 0.9 if end_m else 0.5)

    # ------------------------------------------------------------------- items
    def items(self) -> None:
        m = re.search(
            r"(?:set\s+forth|listed)\s+below:?|IMR ISSUES,? DECISIONS AND RATIONALES", self.text, re.I
        )
        region = m.end() if m else 0
        found = find_items(self.tm, region)
        # A decision line whose paragraphs' labels are worded otherwise is still a decision: never drop it.
        loose = find_items(self.tm, region, require_label=False)
        labelled = {item.decision_span for item in found}
        for item in loose if len(loose) > len(found) else found:
            confidence, doubts = (item.heading_confidence, item.decision_confidence), item.doubts
            if item.decision_span not in labelled:
                confidence = (min(confidence[0], 0.6), min(confidence[1], 0.6))
                doubts = (doubts[0], (*doubts[1], "a decision without its paragraphs' labels"))
            self.add_item(
                item.heading,
                heading_text(self.tm, item.heading),
                item.decision,
                item.decision_span,
                confidence,
                item.paragraphs,
                doubts,
            )

    # ------------------------------------------------------------ 2013 notice
    def _notice_rationales(self) -> None:
        """Later pages of a notice: "1) Regarding the request for X:" then the guidelines and the rationale."""
        t = self.text
        heads = list(re.finditer(r"(?m)^\s*(?P<n>\d+)\)\s*Regarding the request for\s+(?P<t>.+?):", t, re.S))
        for k, head in enumerate(heads):
            n = int(head.group("n")) - 1
            if not 0 <= n < len(self.rec["items"]):
                continue
            end = heads[k + 1].start() if k + 1 < len(heads) else len(t)
            found = ((key, LABELS[label].search(t, head.end(), end)) for key, label in _NOTICE_LABELS.items())
            labels = sorted((m.start(), m.end(), key) for key, m in found if m)
            item, path = self.rec["items"][n], f"items[{n}]"
            for j, (_, start, key) in enumerate(labels):
                stop = labels[j + 1][0] if j + 1 < len(labels) else end
                text = clean(t[start:stop]) or None
                if key == "rationale":
                    item["rationale"] = text
                    self.prov(f"{path}.rationale", start, stop, 0.85)
                    continue
                citations, families, conf = parse_guideline(text)
                item[f"{key}_guideline"], item[f"{key}_sources"], item[f"{key}_citations"] = (
                    text,
                    families,
                    citations,
                )
                self.prov(f"{path}.{key}_guideline", start, stop, 0.85)
                self.prov(f"{path}.{key}_sources", start, stop, min(conf, 0.75))

    def notice_items(self) -> None:
        t = self.text
        pattern = re.compile(
            r"(?P<n>\d+)\)\s*MAXIMUS Federal Services,? Inc\.? has determined the request for\s+(?P<t>.+?)\s+"
            r"(?:is|are)\s*(?P<not>not)?\s*medically\s+necessary\s+and\s+appropriate",
            re.S | re.I,
        )
        seen: set[str] = set()
        for m in pattern.finditer(t):
            if m.group("n") in seen:
                continue  # the notice lists its decisions twice
            seen.add(m.group("n"))
            n = len(self.rec["items"])
            path = f"items[{n}]"
            decision = "Upheld" if m.group("not") else "Overturned"
            self.rec["items"].append(empty_item(clean(m.group("t")), decision))
            self.prov(f"{path}.treatment", m.start("t"), m.end("t"), 0.9)
            span = (
                (m.start("not"), m.end()) if m.group("not") else (m.start("t") + len(m.group("t")), m.end())
            )
            self.prov(f"{path}.decision", *span, 0.9)
        self._notice_rationales()
        cues = {
            "decision_date": r"Dated:?\s*(?P<v>\S+)",
            "application_received": r"Independent Medical Review was filed on\s*(?P<v>\S+)",
            "ur_denial_date": r"Utilization Review (?:Denial|determination) dated\s*(?P<v>[^.\n]+\d)",
            "date_assigned": r"Notice of Assignment and Request for\s+Information was provided to the above parties on\s*(?P<v>\S+)",
        }
        for field, pattern_text in cues.items():
            m = re.search(pattern_text, t, re.I)
            if m and self.rec[field] is None:
                value = parse_date(m.group("v"))
                if value:
                    self.rec[field] = value
                    self.prov(field, m.start("v"), m.end("v"), 0.85)


# The notice's paragraphs ("Medical Treatment Guideline(s) which the Claims Administrator relied upon:", "…
# which the Expert Reviewer relied upon:", "Rationale for the Decision:") under the items' labels.
_NOTICE_LABELS = {"claims_administrator": "claims", "maximus": "maximus", "rationale": "rationale"}


def parse_document(doc: Document) -> dict:
    """Build the contract fields from a loaded document; never raises on any text."""
    b = LetterBuilder(doc)
    fmt = detect_format(doc, b.text)
    if fmt is None:
        return b.rec
    if fmt == UNKNOWN:
        return read_unknown(doc)
    b.rec["format"] = fmt
    b.header()
    b.reviewer()
    b.summary()
    if fmt == "imr-2013":
        b.notice_items()
    else:
        b.items()
    if not b.rec["items"]:
        # The layout's reader found no decision where the letter writes them: a layout it does not know
        # after all (an earlier year's, say). Whatever the generic reader finds beats an empty record.
        generic = read_unknown(doc)
        if generic["items"]:
            return generic
    return b.rec
