"""A loaded :class:`Document` -> the contract record (without file identity and error)."""

from __future__ import annotations

import re

from ..record.registry import DATE_FIELDS
from . import summary as S
from .citations import parse_guideline
from .dates import parse_date
from .diagnoses import find_diagnoses
from .document import Document
from .evidence import Reading
from .header import read_header
from .injury import find_mechanism, find_treatment
from .items import find_items, heading_text, modified_request
from .textmap import TextMap, clean, words_provenance

HEADER_DATES = DATE_FIELDS  # the registry's header dates, in contract order
# the letter's header table, in contract order: case number, its dates, priority
HEADER_FIELDS = ("case_number", *HEADER_DATES, "priority")
CASE_RE = re.compile(r"\bCM\d{2}-\d{5,7}\b")
JOINER = "\u2060"  # stands where a hyphenated word broke across lines, in the summary finders' one-line text

_IMR_2016 = re.compile(r"Certification\(s\)/Specialty|State\(s\) of Licensure", re.I)
_IMR_2014 = re.compile(r"HOW THE IMR FINAL DETERMINATION WAS MADE|IMR ISSUES, DECISIONS AND RATIONALES", re.I)
_IMR_2013 = re.compile(
    r"Notice of Independent Medical Review Determination|MAXIMUS Federal Services,? Inc\.? has "
    r"determined the request",
    re.I,
)


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


def detect_format(doc: Document, text: str) -> str | None:
    """Which layout the letter follows; None when it is not an IMR determination at all."""
    if _IMR_2016.search(text):  # the "Expert Reviewer has the following credentials" block
        return "imr-2016"
    if _IMR_2013.search(text):
        return "imr-2013"
    decided = re.search(r"Upheld|Overturned|Decision rationale", text, re.I)
    if decided and (
        _IMR_2014.search(text) or re.search(r"Board Certified in .{3,80}licensed to practice in", text, re.S)
    ):
        return "imr-2014"
    if read_header(doc).get("case_number") and decided:
        return "imr-2016"
    return None


class _Builder:
    """Holds the record being built and writes provenance beside every value it sets."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.tm = TextMap(doc.lines)
        self.text = self.tm.text
        self.rec = empty_record()

    def prov(self, path: str, start: int, end: int, conf: float) -> None:
        p = self.tm.provenance(start, end, conf)
        if p:
            self.rec["provenance"][path] = p

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

    def conf(self, path: str) -> float | None:
        p = self.rec["provenance"].get(path)
        return p["confidence"] if p else None

    def lower(self, path: str, conf: float) -> None:
        p = self.rec["provenance"].get(path)
        if p:
            p["confidence"] = round(min(p["confidence"], conf), 3)

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
            p = words_provenance(cell.value, conf)
            if p:
                self.rec["provenance"][field] = p
        self._header_fallback()

    def _header_fallback(self) -> None:
        """Labels read from the flat text where the table geometry is missing (e.g. a text copy)."""
        date = r"(?P<v>\d{1,2}\s?[/-]\s?\d{1,2}\s?[/-]\s?\d{2,4}|[A-Z][a-z]+\.? \d{1,2},? \d{4})"
        patterns = {
            "case_number": r"Case (?:Number|No\.?|#):?\s*(?P<v>CM\d{2}-\d{5,7})",
            "date_assigned": rf"Date Assigned:?\s*{date}",
            "date_of_injury": rf"Date of Injury:?\s*{date}",
            "decision_date": rf"(?:Decision Date|\bDated):?\s*{date}",
            "ur_denial_date": rf"UR Denial Date:?\s*{date}",
            "priority": r"Priority:?\s*(?P<v>[A-Za-z]+)",
            "application_received": rf"Application\s+(?:Received:?\s*)?{date}",
        }
        head = self.text[:1500]
        for field, pattern in patterns.items():
            if self.rec[field] is not None:
                continue
            m = re.search(pattern, head)
            if not m:
                continue
            value = m.group("v") if field in ("case_number", "priority") else parse_date(m.group("v"))
            if value:
                self.rec[field] = value
                self.prov(field, m.start("v"), m.end("v"), 0.8)
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
                        p = words_provenance([w for w in line.words if CASE_RE.search(w.text)], 0.7)
                        if p:
                            self.rec["provenance"]["case_number"] = p
                        break

    # ---------------------------------------------------------------- reviewer
    def reviewer(self) -> None:
        t = self.text
        m = re.search(
            r"State\(s\) of Licensure:\s*(?P<v>.*?)\s*(?=Certification\(s\)|\n\S+[^\n]*:|$)", t, re.S
        )
        if m:
            self._list("reviewer.licensure_states", m, 0.95)
        m = re.search(
            r"Certification\(s\)/Specialty:\s*(?P<v>.*?)\s*(?=CLINICAL CASE SUMMARY|State\(s\) of Licensure|\n[A-Z ]{8,}\n|$)",
            t,
            re.S,
        )
        if m:
            self._list("reviewer.specialties", m, 0.95)
        if self.rec["reviewer"]["specialties"] or self.rec["reviewer"]["licensure_states"]:
            return
        # Older layouts: "is Board Certified in X, has a subspecialty in Y and is licensed to practice in Z."
        m = re.search(
            r"Board[\s-]+Certified\s+in\s+(?P<a>.+?)(?:,?\s+(?:has|with)\s+an?\s+subspecialty\s+in\s+(?P<b>.+?))?"
            r",?\s+and\s+(?:is\s+)?licensed\s+to\s+practice\s+in\s+(?P<c>.+?)\.",
            t,
            re.S | re.I,
        )
        if m:
            specs = [clean(m.group("a"))] + ([clean(m.group("b"))] if m.group("b") else [])
            self.rec["reviewer"]["specialties"] = specs
            self.prov("reviewer.specialties", m.start("a"), m.end("b") if m.group("b") else m.end("a"), 0.9)
            states = [s for s in re.split(r",\s*(?:and\s+)?|\s+and\s+", clean(m.group("c"))) if s]
            self.rec["reviewer"]["licensure_states"] = states
            self.prov("reviewer.licensure_states", m.start("c"), m.end("c"), 0.9)

    def _list(self, path: str, m: re.Match, conf: float) -> None:
        value = clean(m.group("v"))
        items = [v.strip(" .") for v in re.split(r"\s*,\s*", value) if v.strip(" .")]
        if not items:
            return
        if len(value) > 200:
            conf = 0.4
        group, key = path.split(".")
        self.rec[group][key] = items
        self.prov(path, m.start("v"), m.end("v"), conf)

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
        while start < end and t[start].isspace():
            start += 1
        self.summary_span = (start, end)
        body = t[start:end]
        self.rec["summary"] = clean(body) or None
        # One line of the same length, so that finders' offsets still map to words; a word broken by a hyphen
        # at a line end keeps a joiner (not a space) where the break was: "non-\ncertified".
        body = re.sub(r"(?<=\w-)\n(?=\w)", JOINER, body).replace("\n", " ")
        if self.rec["summary"]:
            self.prov("summary", start, end, 0.9 if end_m else 0.5)
        self._patient(body, start)
        self._injury(body, start)

    def _set(self, group: str | None, key: str, found: S.Found | None, offset: int) -> None:
        if not found:
            return
        value, a, b, conf = found
        if group:
            self.rec[group][key] = value
            path = f"{group}.{key}"
        else:
            self.rec[key] = value
            path = key
        self.prov(path, offset + a, offset + b, conf)

    def _patient(self, body: str, offset: int) -> None:
        age, sex = S.find_age_sex(body)
        self._set("patient", "age", age, offset)
        self._set("patient", "sex", sex, offset)

    def read(self, path: str, reading: Reading | None, offset: int) -> None:
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
        p = self.tm.provenance(offset + reading.start, offset + reading.end, reading.confidence)
        if p:
            if reading.doubts:
                p["doubts"] = list(reading.doubts)
            self.rec["provenance"][path] = p

    def _injury(self, body: str, offset: int) -> None:
        self.read("injury.mechanism", find_mechanism(body), offset)
        self.read("injury.diagnoses", find_diagnoses(body), offset)
        self.read("injury.treatment_to_date", find_treatment(body), offset)
        doi = S.find_injury_date(body)
        if doi is None:
            return
        if self.rec["date_of_injury"] is None:
            value, a, b, conf = doi
            self._set(None, "date_of_injury", (value, a, b, 0.85), offset)
        elif doi[0] != self.rec["date_of_injury"]:
            # The header and the summary disagree: keep the header's, but send it to review.
            self.lower("date_of_injury", 0.4)

    # ------------------------------------------------------------------- items
    def items(self) -> None:
        t = self.text
        m = re.search(r"set forth below:?|IMR ISSUES,? DECISIONS AND RATIONALES", t, re.I)
        region = m.end() if m else 0
        for n, item in enumerate(find_items(self.tm, region)):
            path = f"items[{n}]"
            treatment = heading_text(self.tm, item.heading)
            rec_item = {
                "treatment": treatment,
                "decision": item.decision,
                "original_request": None,
                "authorized": None,
                "disputed_portion": None,
            }
            self.prov(f"{path}.treatment", *item.heading, item.heading_confidence)
            self.prov(f"{path}.decision", *item.decision_span, item.decision_confidence)
            mod = modified_request(treatment)
            if mod:
                rec_item.update(
                    original_request=mod["orig"], authorized=mod["auth"], disputed_portion=mod["disp"]
                )
                for key, src in (
                    ("original_request", "orig"),
                    ("authorized", "auth"),
                    ("disputed_portion", "disp"),
                ):
                    found = self.locate(mod[src], *item.heading, last=src == "disp")
                    if found:
                        self.prov(f"{path}.{key}", *found, 0.9)
            for side, key in (("claims", "claims_administrator"), ("maximus", "maximus")):
                span = item.paragraphs[side]
                paragraph = clean(t[span[0] : span[1]]) if span else None
                citations, families, conf = parse_guideline(paragraph)
                rec_item[f"{key}_guideline"] = paragraph or None
                rec_item[f"{key}_sources"] = families
                rec_item[f"{key}_citations"] = citations
                if span:
                    self.prov(f"{path}.{key}_guideline", *span, 0.95)
                    self.prov(f"{path}.{key}_sources", *span, conf)
                    self.prov(f"{path}.{key}_citations", *span, conf)
            span = item.paragraphs["rationale"]
            rec_item["rationale"] = clean(t[span[0] : span[1]]) if span else None
            if span:
                self.prov(f"{path}.rationale", *span, 0.93)
            self.rec["items"].append(rec_item)

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
            found = (
                (key, re.compile(pat, re.I).search(t, head.end(), end)) for key, pat in _NOTICE_LABELS.items()
            )
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
            self.rec["items"].append(
                {
                    "treatment": clean(m.group("t")),
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
            )
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


_NECESSITY = re.compile(
    r"medically necessary|medical necessity|\b(?:is|are|was|were|be|been)\s+(?:not\s+)?(?:recommended|indicated|"
    r"supported|warranted|necessary|appropriate|certified)\b",
    re.I,
)
_NEGATION = re.compile(r"\b(?:not|none|no|neither|nor|never|cannot|non-?certified|unnecessary)\b|n't", re.I)


_NOTICE_LABELS = {
    "claims_administrator": r"Medical Treatment Guideline\(s\) (?:which |that )?(?:the )?Claims Administrator (?:relied upon|based "
    r"(?:its|their|his/her) decision on)\s*:",
    "maximus": r"Medical Treatment Guideline\(s\) (?:which |that )?(?:the )?(?:Expert|Medical|Independent|Physician) "
    r"Reviewer (?:relied upon|based (?:his/her|its|their) decision on)\s*:",
    "rationale": r"Rationale for the Decision\s*:",
}


def conclusion(rationale: str) -> str | None:
    """What the rationale's last sentence on necessity says: Upheld (not necessary) or Overturned (necessary)."""
    for sentence in reversed(re.split(r"(?<=[.!?])\s+", rationale.strip())):
        if _NECESSITY.search(sentence):
            return "Upheld" if _NEGATION.search(sentence) else "Overturned"
    return None


def parse_document(doc: Document) -> dict:
    """Build the contract fields from a loaded document; never raises on any text."""
    b = _Builder(doc)
    fmt = detect_format(doc, b.text)
    b.rec["format"] = fmt
    if fmt is None:
        return b.rec
    b.header()
    b.reviewer()
    b.summary()
    if fmt == "imr-2013":
        b.notice_items()
    else:
        b.items()
    return b.rec
