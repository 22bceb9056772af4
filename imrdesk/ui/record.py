"""Field paths, field specifications and small helpers over contract records (no Qt here)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from imrdesk.extract import REVIEW_THRESHOLD

_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")

SOURCE_FAMILIES = ("MTUS", "ACOEM", "ODG", "OTHER")
SEXES = ("female", "male")
DECISIONS = ("Upheld", "Overturned")
PRIORITIES = ("Standard", "Expedited")
STATUS_LABELS = {
    "new": "New",
    "in_review": "In review",
    "reviewed": "Reviewed",
    "flagged": "Flagged",
    "failed": "Failed",
}


def split_path(path: str) -> list[str | int]:
    """``"items[2].decision"`` -> ``["items", 2, "decision"]``."""
    steps: list[str | int] = []
    for m in _STEP.finditer(path):
        steps.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
    return steps


def get_value(record: dict, path: str):
    """The value at ``path`` in ``record``, or None when any step is missing."""
    node = record
    for step in split_path(path):
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def item_path(index: int, key: str) -> str:
    return f"items[{index}].{key}"


def parse_item_path(path: str) -> tuple[int, str] | None:
    """``"items[2].decision"`` -> ``(2, "decision")``; None for a path outside the items."""
    m = re.fullmatch(r"items\[(\d+)\]\.(\w+)", path)
    return (int(m.group(1)), m.group(2)) if m else None


@dataclass(frozen=True)
class FieldSpec:
    key: str  # path (top-level fields) or the key inside an item
    label: str
    kind: str  # text | date | int | sex | priority | decision | list | lines | longtext | sources | citations
    lines: tuple[int, int] = (1, 4)  # a text editor grows with its text between these numbers of lines
    optional: bool = False  # shown only when the letter states it (modified requests)


CASE_FIELDS = (
    FieldSpec("case_number", "Case number", "text"),
    FieldSpec("decision_date", "Decision date", "date"),
    FieldSpec("date_assigned", "Date assigned", "date"),
    FieldSpec("application_received", "Application received", "date"),
    FieldSpec("ur_denial_date", "UR denial date", "date"),
    FieldSpec("date_of_injury", "Date of injury", "date"),
    FieldSpec("priority", "Priority", "priority"),
)
REVIEWER_FIELDS = (
    FieldSpec("reviewer.specialties", "Specialties", "list"),
    FieldSpec("reviewer.licensure_states", "Licensed in", "list"),
)
PATIENT_FIELDS = (
    FieldSpec("patient.age", "Age", "int"),
    FieldSpec("patient.sex", "Sex", "sex"),
)
INJURY_FIELDS = (
    FieldSpec("injury.mechanism", "Mechanism", "longtext", lines=(1, 4)),
    FieldSpec("injury.diagnoses", "Diagnoses", "lines", lines=(2, 8)),
    FieldSpec("injury.treatment_to_date", "Treatment to date", "longtext", lines=(1, 5)),
    FieldSpec("summary", "Case summary", "longtext", lines=(4, 14)),
)
LETTER_SECTIONS = (
    ("Case", CASE_FIELDS),
    ("Reviewer", REVIEWER_FIELDS),
    ("Patient", PATIENT_FIELDS),
    ("Injury", INJURY_FIELDS),
)
ITEM_SECTIONS = (
    (
        "Item",
        (
            FieldSpec("treatment", "Treatment", "longtext", lines=(1, 4)),
            FieldSpec("decision", "Decision", "decision"),
            FieldSpec("original_request", "Original request", "longtext", lines=(1, 4), optional=True),
            FieldSpec("authorized", "Authorized", "longtext", lines=(1, 4), optional=True),
            FieldSpec("disputed_portion", "Disputed portion", "longtext", lines=(1, 4), optional=True),
        ),
    ),
    (
        "Claims administrator guideline",
        (
            FieldSpec("claims_administrator_guideline", "Guideline", "longtext", lines=(2, 6)),
            FieldSpec("claims_administrator_sources", "Sources", "sources"),
            FieldSpec("claims_administrator_citations", "Citations", "citations"),
        ),
    ),
    (
        "MAXIMUS guideline",
        (
            FieldSpec("maximus_guideline", "Guideline", "longtext", lines=(2, 6)),
            FieldSpec("maximus_sources", "Sources", "sources"),
            FieldSpec("maximus_citations", "Citations", "citations"),
        ),
    ),
    ("Decision rationale", (FieldSpec("rationale", "Rationale", "longtext", lines=(4, 16)),)),
)
LETTER_FIELDS = tuple(spec for _, specs in LETTER_SECTIONS for spec in specs)
ITEM_FIELDS = tuple(spec for _, specs in ITEM_SECTIONS for spec in specs)
ITEM_SPECS = {spec.key: spec for spec in ITEM_FIELDS}
SIDES = (("claims_administrator_", "claims administrator"), ("maximus_", "MAXIMUS"))


def field_label(path: str) -> str:
    """A person's name for a field path: ``items[1].maximus_sources`` -> ``Item 2 MAXIMUS sources``."""
    parsed = parse_item_path(path)
    if parsed:
        index, key = parsed
        spec = ITEM_SPECS.get(key)
        name = spec.label.lower() if spec else key.replace("_", " ")
        for prefix, side in SIDES:
            if key.startswith(prefix):
                name = f"{side} {name}"
        return f"Item {index + 1} {name}"
    for spec in LETTER_FIELDS:
        if spec.key == path:
            return spec.label
    if path == "items":
        return "Disputed items"
    return path


def field_order(record: dict) -> list[str]:
    """Every editable path of a record in the order the field panel shows them."""
    order = [spec.key for spec in LETTER_FIELDS]
    for index, _item in enumerate(record.get("items") or []):
        order.extend(item_path(index, spec.key) for spec in ITEM_FIELDS)
    return order


def provenance(record: dict, path: str) -> dict | None:
    return (record.get("provenance") or {}).get(path)


def confidence(record: dict, path: str) -> float | None:
    prov = provenance(record, path)
    if not prov or prov.get("confidence") is None:
        return None
    return float(prov["confidence"])


def is_corrected(record: dict, path: str) -> bool:
    prov = provenance(record, path)
    return bool(prov and prov.get("corrected"))


def needs_check(record: dict, path: str) -> bool:
    """True for a value extracted with low confidence that no reviewer has corrected or accepted yet."""
    conf = confidence(record, path)
    return conf is not None and conf < REVIEW_THRESHOLD and not is_corrected(record, path)


def pending_paths(record: dict) -> list[str]:
    """Low-confidence values still to check, in panel order (unknown paths last, sorted)."""
    prov = record.get("provenance") or {}
    order = field_order(record)
    known = set(order)
    pending = [p for p in order if p in prov and needs_check(record, p)]
    pending += sorted(p for p in prov if p not in known and needs_check(record, p))
    return pending


def decision_summary(upheld: int, overturned: int) -> str:
    if not upheld and not overturned:
        return "No decisions"
    return f"{upheld} upheld / {overturned} overturned"


def display_value(value) -> str:
    """A value as one line of text for tables and history."""
    if value is None:
        return "—"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return "; ".join(citation_text(c) for c in value)
        return "; ".join(str(v) for v in value) if value else "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def citation_text(citation: dict) -> str:
    """``MTUS — Shoulder Complaints (2004), Special Studies, pp. 12-14``."""
    title = citation.get("title") or citation.get("text") or ""
    parts = [title]
    if citation.get("year"):
        parts[0] = f"{title} ({citation['year']})" if title else str(citation["year"])
    for key, prefix in (("chapter", "ch. "), ("section", ""), ("pages", "pp. ")):
        if citation.get(key):
            parts.append(f"{prefix}{citation[key]}")
    source = citation.get("source") or ""
    text = ", ".join(p for p in parts if p)
    return f"{source} — {text}" if source and text else source or text


def field_provenance(record: dict, path: str) -> dict | None:
    """Where a value stands in the letter; citations stand where their guideline paragraph does."""
    return provenance(record, path) or provenance(record, citation_anchor(path))


def error_message(error) -> str:
    """The person-readable message of a record's or a list row's ``error`` ("" when there is none)."""
    if not error:
        return ""
    if isinstance(error, dict):
        return error.get("message") or error.get("code") or "Import failed"
    return str(error)


def citation_anchor(path: str) -> str:
    """Citations are parsed from their guideline paragraph: that paragraph is where they are edited."""
    if path.endswith("_citations"):
        return path[: -len("_citations")] + "_guideline"
    return path


def findings_at(record: dict | None, path: str) -> list[dict]:
    """The open rule findings about one value (those about its citations stand on its guideline)."""
    return [
        f
        for f in (record or {}).get("findings") or []
        if f.get("path") == path or citation_anchor(f.get("path") or "") == path
    ]


def letter_findings(record: dict | None) -> list[dict]:
    """Open findings about the letter as a whole rather than one value (no disputed item found)."""
    return [f for f in (record or {}).get("findings") or [] if f.get("path") == "items"]


def check_queue(record: dict | None) -> list[str]:
    """The values keyboard review visits, in turn: those a rule doubts first, then the other values below
    the review threshold, each in panel order (``items`` stands for a finding about the whole letter)."""
    from imrdesk.store.findings import review_queue

    if not record:
        return []
    return review_queue(record, field_order(record))
