"""Validation rules: what an IMR letter must look like, checked on one record (extracted or corrected).

``check(record)`` returns findings, each tied to a value's path so the window can show it beside the field and
the review queue can go to it first. ``apply(record)`` also lowers the confidence of every value a rule
doubts. Pure functions, no I/O; they never raise on any record.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from ..record.registry import LETTER_SPECS
from .diagnoses import CUE as DIAGNOSIS_CUE
from .injury import MECHANISM_CUE, TREATMENT_CUE, cue_sentence, treatment_not_stated
from .items import conclusion
from .layout import UNKNOWN
from .summary import find_injury_date

FINDING_CONFIDENCE = 0.5  # a value a rule doubts goes below the review threshold
DATE_ORDER = ("date_of_injury", "ur_denial_date", "application_received", "date_assigned", "decision_date")
DATE_LABELS = {path: LETTER_SPECS[path].title for path in DATE_ORDER}
RULES = {
    "case_number_form": "Case number has the form CMyy-nnnnnnn",
    "header_dates": "Header dates are present and valid",
    "date_order": "Injury ≤ UR denial ≤ application received ≤ assigned ≤ decision",
    "age_plausible": "Patient age is plausible",
    "has_items": "The letter decides at least one item",
    "item_complete": "Every item has a decision, a rationale and both guideline paragraphs",
    "conclusion_agrees": "The rationale's conclusion agrees with the decision",
    "injury_date_agrees": "The header's date of injury agrees with the summary's",
    "sources_match_citations": "Guideline families agree with the parsed citations",
    "treatment_heading": "A treatment is a heading, not the paragraphs after it",
    "value_missed": "Where the letter states a value, a value was read",
    "layout_unknown": "The letter follows a layout imrdesk knows",
}
# "Decision based on …": a guideline paragraph that names what it relied on.
_CITES = re.compile(
    r"Decision\s+based\s+on\b|based\s+(?:its|his/her|his|her|their)\s+decision\s+on\s+the\s+(?!MTUS\b)", re.I
)
# The labels of a letter's paragraphs: a treatment that contains one ran on past its heading.
_PARAGRAPH_LABEL = re.compile(
    r"\b(?:claims\s+administrator\s+guideline|maximus\s+guideline|decision\s+rationale|"
    r"rationale\s+for\s+the\s+decision|medical\s+treatment\s+guidelines?\s*:|clinical\s+summary\s*:|"
    r"documents?\s*(?:\(s\))?\s+reviewed)",
    re.I,
)
LONG_TREATMENT = 1200  # characters; the longest treatment heading seen in real letters is about 450


@dataclass(frozen=True)
class Finding:
    rule: str
    path: str
    message: str

    @property
    def key(self) -> str:
        """Stable identity of a finding, used to remember a reviewer's dismissal across re-extraction."""
        return f"{self.rule}:{self.path}"


def _iso(value: object) -> bool:
    return isinstance(value, str) and bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


def check(rec: dict) -> list[Finding]:
    try:
        return _check(rec)
    except Exception:  # a malformed record (a hand-edited JSON, say) must not break the review
        return [Finding("has_items", "items", "The record could not be checked; review it by hand.")]


def _check(rec: dict) -> list[Finding]:
    out: list[Finding] = []
    if rec.get("error"):
        return out
    modern = rec.get("format") == "imr-2016"
    case = rec.get("case_number")
    if case is not None or modern:
        if not (isinstance(case, str) and re.fullmatch(r"CM\d{2}-\d{7}", case)):
            out.append(
                Finding(
                    "case_number_form",
                    "case_number",
                    f"Case number {case!r} is not of the form CMyy-nnnnnnn.",
                )
            )
    for key in DATE_ORDER:
        value = rec.get(key)
        if value is None and modern:
            out.append(Finding("header_dates", key, f"The {DATE_LABELS[key]} is missing."))
        elif value is not None and not _iso(value):
            out.append(Finding("header_dates", key, f"The {DATE_LABELS[key]} {value!r} is not a date."))
    dated = [(k, rec.get(k)) for k in DATE_ORDER if _iso(rec.get(k))]
    for (k1, v1), (k2, v2) in zip(dated, dated[1:], strict=False):
        if v1 > v2:
            out.append(
                Finding(
                    "date_order", k2, f"The {DATE_LABELS[k2]} ({v2}) is before the {DATE_LABELS[k1]} ({v1})."
                )
            )
    age = (rec.get("patient") or {}).get("age")
    if age is not None and not (isinstance(age, int) and 14 <= age <= 95):
        out.append(
            Finding("age_plausible", "patient.age", f"An age of {age} is implausible for an injured worker.")
        )
    items = rec.get("items") or []
    if not items:
        out.append(Finding("has_items", "items", "No disputed item was found in this letter."))
    # The notice's rationales follow later pages; a layout imrdesk does not know may word or lack them.
    notice = rec.get("format") in ("imr-2013", UNKNOWN)
    for n, item in enumerate(items):
        path = f"items[{n}]"
        if item.get("decision") not in ("Upheld", "Overturned"):
            out.append(
                Finding("item_complete", f"{path}.decision", "The decision is neither Upheld nor Overturned.")
            )
        if not notice:
            for key, label in (
                ("rationale", "decision rationale"),
                ("claims_administrator_guideline", "Claims Administrator guideline"),
                ("maximus_guideline", "MAXIMUS guideline"),
            ):
                if not (item.get(key) or "").strip():
                    out.append(Finding("item_complete", f"{path}.{key}", f"The {label} is missing."))
        treatment = item.get("treatment") or ""
        label = _PARAGRAPH_LABEL.search(treatment)
        if label:
            out.append(
                Finding(
                    "treatment_heading",
                    f"{path}.treatment",
                    f"The treatment contains the paragraph label “{' '.join(label.group(0).split())}”: "
                    "it may have swallowed the paragraph after the heading.",
                )
            )
        elif len(treatment) > LONG_TREATMENT:
            out.append(
                Finding(
                    "treatment_heading",
                    f"{path}.treatment",
                    f"The treatment is {len(treatment)} characters long: it may include the text after its heading.",
                )
            )
        said = conclusion(item.get("rationale") or "")
        if said and item.get("decision") in ("Upheld", "Overturned") and said != item["decision"]:
            wording = "is not medically necessary" if said == "Upheld" else "is medically necessary"
            out.append(
                Finding(
                    "conclusion_agrees",
                    f"{path}.decision",
                    f"The rationale concludes the request {wording}, but the decision is {item['decision']}.",
                )
            )
        for side in ("claims_administrator", "maximus"):
            cited: list[str] = []
            for c in item.get(f"{side}_citations") or []:
                for fam in c.get("families") or [c.get("source")]:
                    if fam and fam not in cited:
                        cited.append(fam)
            sources = item.get(f"{side}_sources") or []
            if cited and sorted(cited) != sorted(sources):
                out.append(
                    Finding(
                        "sources_match_citations",
                        f"{path}.{side}_sources",
                        f"Sources {sources} differ from the families cited ({', '.join(cited)}).",
                    )
                )
    out.extend(_missed(rec))
    if rec.get("format") == UNKNOWN:
        out.append(
            Finding(
                "layout_unknown",
                "items",
                "This letter's layout is not one imrdesk knows: its values were read by the generic reader, "
                "so check each against the letter.",
            )
        )
    header_doi = rec.get("date_of_injury")
    summary_doi = find_injury_date(rec.get("summary") or "")
    if _iso(header_doi) and summary_doi and summary_doi[0] != header_doi and modern:
        out.append(
            Finding(
                "injury_date_agrees",
                "date_of_injury",
                f"The header says {header_doi}, the case summary {summary_doi[0]}.",
            )
        )
    return out


def _missed(rec: dict) -> list[Finding]:
    """Values the letter carries the cue of, where nothing was read: the review queue must visit them."""
    out: list[Finding] = []
    summary = rec.get("summary") or ""
    injury = rec.get("injury") or {}
    if summary:
        said = {
            "injury.treatment_to_date": (
                TREATMENT_CUE,
                "treatment to date",
                not injury.get("treatment_to_date") and not treatment_not_stated(summary),
            ),
            "injury.diagnoses": (DIAGNOSIS_CUE, "diagnoses", not injury.get("diagnoses")),
            # "The mechanism of injury was not detailed" reads as no mechanism: nothing was missed there.
            "injury.mechanism": (
                MECHANISM_CUE,
                "mechanism of injury",
                not injury.get("mechanism") and not _unstated(summary),
            ),
        }
        for path, (cue, label, empty) in said.items():
            where = cue_sentence(summary, cue) if empty else None
            if where:
                sentence = summary[where[0] : where[1]].strip()
                out.append(
                    Finding(
                        "value_missed",
                        path,
                        f"The case summary speaks of the {label} (“{_short(sentence)}”) but none was read.",
                    )
                )
    for n, item in enumerate(rec.get("items") or []):
        if not isinstance(item, dict):
            continue
        for side, label in (("claims_administrator", "Claims Administrator"), ("maximus", "MAXIMUS")):
            paragraph = item.get(f"{side}_guideline") or ""
            if _CITES.search(paragraph) and not item.get(f"{side}_citations"):
                out.append(
                    Finding(
                        "value_missed",
                        f"items[{n}].{side}_citations",
                        f"The {label} guideline names what the decision was based on, but no citation was read.",
                    )
                )
    return out


def _unstated(summary: str) -> bool:
    return bool(
        re.search(
            r"mechanism\s+of\s+(?:the\s+)?injury\s+(?:is|was|were|has\s+been)\s+(?:not\s+\w+|unknown|unclear|"
            r"undetermined)",
            summary,
            re.I,
        )
    )


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def apply(rec: dict, dismissed: set[str] | frozenset[str] = frozenset()) -> dict:
    """Attach open findings to ``rec["findings"]`` and lower the confidence of the values they doubt.

    A lowered value keeps the confidence it had as ``provenance[path]["confidence_before_rules"]``, so
    applying the rules again (after a correction or a dismissal, as the store does on every read) first
    gives every value its own confidence back: the result depends only on the record and ``dismissed``."""
    if not isinstance(rec.get("provenance"), dict):
        rec["provenance"] = {}
    prov = rec["provenance"]
    for p in prov.values():
        if isinstance(p, dict) and "confidence_before_rules" in p:
            before = p.pop("confidence_before_rules")
            if not p.get("corrected"):
                p["confidence"] = before
    findings = [f for f in check(rec) if f.key not in dismissed]
    open_findings = []
    for f in findings:
        if any(o["key"] == f.key for o in open_findings):
            continue
        open_findings.append(asdict(f) | {"key": f.key})
        p = prov.get(f.path)
        if isinstance(p, dict) and not p.get("corrected"):
            before = p.get("confidence")
            lowered = round(min(1.0 if before is None else before, FINDING_CONFIDENCE), 3)
            if lowered != before:
                p["confidence_before_rules"] = before
                p["confidence"] = lowered
    rec["findings"] = open_findings
    return rec
