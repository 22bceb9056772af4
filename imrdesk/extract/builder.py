"""The record being built from a letter, with provenance written beside every value it sets.

:class:`RecordBuilder` holds what every layout's reader shares: provenance from text offsets, the header's
labelled values read from the flat text, the reviewer, the case summary's values, one disputed item with its
guideline paragraphs. A reader for a layout imrdesk does not know sets :attr:`RecordBuilder.cap`: every value
it reads stays below the review threshold, with the reason among its doubts.
"""

from __future__ import annotations

import re

from ..record.registry import DATE_FIELDS
from . import summary as S
from .citations import read_guideline
from .dates import parse_date
from .diagnoses import find_diagnoses
from .document import Document
from .evidence import Reading
from .injury import find_mechanism, find_treatment
from .items import modified_request
from .reviewer import find_reviewer
from .textmap import TextMap, clean, words_provenance

HEADER_DATES = DATE_FIELDS  # the registry's header dates, in contract order
# the letter's header table, in contract order: case number, its dates, priority
HEADER_FIELDS = ("case_number", *HEADER_DATES, "priority")
CASE_RE = re.compile(r"\bCM\d{2}-\d{5,7}\b")
JOINER = "\u2060"  # stands where a hyphenated word broke across lines, in the summary finders' one-line text
UNKNOWN_LAYOUT = "a reading from a layout imrdesk does not know"

_DATE = r"(?P<v>\d{1,2}\s?[/-]\s?\d{1,2}\s?[/-]\s?\d{2,4}|[A-Z][a-z]+\.? \d{1,2},? \d{4})"
# Header labels as letters of any year print them; the value follows the label.
HEADER_LABELS = {
    "case_number": r"(?:IMR\s+)?Case\s+(?:Number|No\.?|#)\s*:?\s*(?P<v>CM\d{2}-\d{5,7})",
    "date_assigned": rf"Date\s+(?:Assigned|of\s+Assignment)\s*:?\s*{_DATE}",
    "date_of_injury": rf"(?:Date\s+of\s+Injury|DOI)\s*:?\s*{_DATE}",
    "decision_date": rf"(?:Decision\s+Date|\bDated|Date\s+of\s+(?:Decision|Determination)|Determination\s+Date)\s*:?\s*{_DATE}",
    "ur_denial_date": rf"(?:UR\s+(?:Denial\s+)?Date|Date\s+of\s+UR\s+(?:Denial|Decision)|Utilization\s+Review\s+(?:Denial\s+)?Date)\s*:?\s*{_DATE}",
    "priority": r"Priority\s*:?\s*(?P<v>[A-Za-z]+)",
    "application_received": rf"(?:Application\s+(?:Received\s*:?\s*)?|Date\s+(?:of\s+)?Application(?:\s+Received)?\s*:?\s*|IMR\s+Application\s+(?:Received\s*)?(?:Date\s*)?:?\s*){_DATE}",
}


def empty_record() -> dict:
    return {
        "format": None,
        "case_number": None,
        **{k: None for k in HEADER_DATES},
        "priority": None,
        "reviewer": {"licensure_states": [], "specialties": []},
        "patient": {"age": None, "sex": None},
        "injury": {"mechanism": None, "diagnoses": [], "treatment_to_date": None},
        "summary": None,
        "items": [],
        "provenance": {},
    }


def empty_item(treatment: str | None, decision: str | None) -> dict:
    return {
        "treatment": treatment,
        "decision": decision,
        "claims_administrator_guideline": None,
        "maximus_guideline": None,
        "claims_administrator_sources": [],
        "maximus_sources": [],
        "claims_administrator_citations": [],
        "maximus_citations": [],
        "rationale": None,
        "original_request": None,
        "authorized": None,
        "disputed_portion": None,
    }


class RecordBuilder:
    """Holds the record being built and writes provenance beside every value it sets."""

    def __init__(self, doc: Document, cap: float = 1.0) -> None:
        self.doc = doc
        self.tm = TextMap(doc.lines)
        self.text = self.tm.text
        self.rec = empty_record()
        self.cap = cap  # no value read by this builder is more confident than this

    # -------------------------------------------------------------------------------------- provenance
    def prov(
        self, path: str, start: int, end: int, conf: float, doubts: tuple[str, ...] | list[str] = ()
    ) -> None:
        p = self.tm.provenance(start, end, min(conf, self.cap))
        if p:
            self._doubt(p, conf, doubts)
            self.rec["provenance"][path] = p

    def words_prov(self, path: str, words: list, conf: float) -> None:
        p = words_provenance(words, min(conf, self.cap))
        if p:
            self._doubt(p, conf, ())
            self.rec["provenance"][path] = p

    def _doubt(self, p: dict, conf: float, doubts: tuple[str, ...] | list[str]) -> None:
        why = list(doubts)
        if conf > self.cap:
            why.append(UNKNOWN_LAYOUT)
        if why:
            p["doubts"] = list(dict.fromkeys(why))

    def locate(self, value: str, start: int, end: int, *, last: bool = False) -> tuple[int, int] | None:
        """Span of a cleaned value inside text[start:end], across line breaks and joined hyphens."""
        words = [re.escape(w).replace(r"\-", r"-\s*") for w in value.split()]
        if not words:
            return None
        hits = list(re.finditer(r"\s+".join(words), self.text[start:end]))
        if not hits:
            return None
        m = hits[-1] if last else hits[0]
        return start + m.start(), start + m.end()

    def lower(self, path: str, conf: float, doubt: str) -> None:
        p = self.rec["provenance"].get(path)
        if p:
            p["confidence"] = round(min(p["confidence"], conf), 3)
            p["doubts"] = list(dict.fromkeys([*p.get("doubts", []), doubt]))

    def read(self, path: str, reading: Reading | None, offset: int = 0) -> None:
        """Set a value from a finder's reading, with its provenance, confidence and doubts."""
        if reading is None:
            return
        value = reading.value
        if isinstance(value, str):
            value = value.replace(JOINER, "")
        elif isinstance(value, list):
            value = [v.replace(JOINER, "") if isinstance(v, str) else v for v in value]
        group, key = path.split(".")
        self.rec[group][key] = value
        self.prov(path, offset + reading.start, offset + reading.end, reading.confidence, reading.doubts)

    def set_found(self, path: str, found: S.Found | None, offset: int) -> None:
        if not found:
            return
        value, a, b, conf = found
        group, _, key = path.rpartition(".")
        (self.rec[group] if group else self.rec)[key] = value
        self.prov(path, offset + a, offset + b, conf)

    # ------------------------------------------------------------------------------------------ header
    def header_labels(self, limit: int | None = 1500, conf: float = 0.8) -> None:
        """Header values read from labelled text ("Date of Injury: 10/13/2016") where none was read yet."""
        head = self.text if limit is None else self.text[:limit]
        for field, pattern in HEADER_LABELS.items():
            if self.rec[field] is not None:
                continue
            m = re.search(pattern, head, re.I)
            if not m:
                continue
            value = m.group("v") if field in ("case_number", "priority") else parse_date(m.group("v"))
            if value:
                self.rec[field] = value.upper() if field == "case_number" else value
                self.prov(field, m.start("v"), m.end("v"), conf)
        if self.rec["case_number"] is None:
            m = CASE_RE.search(self.text)
            if m:
                self.rec["case_number"] = m.group()
                self.prov("case_number", m.start(), m.end(), 0.6)
            else:  # a case number printed only in a running header or footer
                for line in self.doc.running:
                    m = CASE_RE.search(line.text)
                    if m:
                        self.rec["case_number"] = m.group()
                        self.words_prov("case_number", [w for w in line.words if CASE_RE.search(w.text)], 0.7)
                        break

    def reviewer(self) -> None:
        for path, reading in find_reviewer(self.text).items():
            self.read(path, reading)

    # ----------------------------------------------------------------------------------------- summary
    def read_summary(self, start: int, end: int, conf: float) -> None:
        """The case summary in text[start:end]: its text, the patient, the injury."""
        t = self.text
        while start < end and t[start].isspace():
            start += 1
        body = t[start:end]
        self.rec["summary"] = clean(body) or None
        if not self.rec["summary"]:
            return
        self.prov("summary", start, end, conf)
        # One line of the same length, so that finders' offsets still map to words; a word broken by a hyphen
        # at a line end keeps a joiner (not a space) where the break was: "non-\ncertified".
        body = re.sub(r"(?<=\w-)\n(?=\w)", JOINER, body).replace("\n", " ")
        age, sex = S.find_age_sex(body)
        self.set_found("patient.age", age, start)
        self.set_found("patient.sex", sex, start)
        self.read("injury.mechanism", find_mechanism(body), start)
        self.read("injury.diagnoses", find_diagnoses(body), start)
        self.read("injury.treatment_to_date", find_treatment(body), start)
        doi = S.find_injury_date(body)
        if doi is None:
            return
        if self.rec["date_of_injury"] is None:
            value, a, b, _ = doi
            self.set_found("date_of_injury", (value, a, b, 0.85), start)
        elif doi[0] != self.rec["date_of_injury"]:
            # The header and the summary disagree: keep the header's, but send it to review.
            self.lower("date_of_injury", 0.4, "another reading differs")

    # ------------------------------------------------------------------------------------------- items
    def add_item(
        self,
        heading: tuple[int, int],
        treatment: str,
        decision: str | None,
        decision_span: tuple[int, int] | None,
        confidence: tuple[float, float],
        paragraphs: dict[str, tuple[int, int] | None],
        doubts: tuple[tuple[str, ...], tuple[str, ...]] = ((), ()),
    ) -> dict:
        """One disputed item: its heading, decision, guideline paragraphs (``claims``, ``maximus``) and
        ``rationale`` (spans into the text)."""
        t = self.text
        path = f"items[{len(self.rec['items'])}]"
        item = empty_item(treatment, decision)
        self.prov(f"{path}.treatment", *heading, confidence[0], doubts[0])
        if decision_span:
            self.prov(f"{path}.decision", *decision_span, confidence[1], doubts[1])
        mod = modified_request(treatment)
        if mod:
            item.update(original_request=mod["orig"], authorized=mod["auth"], disputed_portion=mod["disp"])
            for key, src in (
                ("original_request", "orig"),
                ("authorized", "auth"),
                ("disputed_portion", "disp"),
            ):
                found = self.locate(mod[src], *heading, last=src == "disp")
                if found:
                    self.prov(f"{path}.{key}", *found, 0.9)
        for side, key in (("claims", "claims_administrator"), ("maximus", "maximus")):
            span = paragraphs.get(side)
            paragraph = clean(t[span[0] : span[1]]) if span else None
            reading = read_guideline(paragraph)
            item[f"{key}_guideline"] = paragraph or None
            item[f"{key}_sources"] = reading.families
            item[f"{key}_citations"] = reading.citations
            if span:
                self.prov(f"{path}.{key}_guideline", *span, 0.95)
                self.prov(f"{path}.{key}_sources", *span, reading.confidence, reading.doubts)
                self.prov(f"{path}.{key}_citations", *span, reading.confidence, reading.doubts)
        span = paragraphs.get("rationale")
        item["rationale"] = clean(t[span[0] : span[1]]) or None if span else None
        if span:
            self.prov(f"{path}.rationale", *span, 0.93)
        self.rec["items"].append(item)
        return item
