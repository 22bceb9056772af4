"""The field registry: one spec per contract field — its path, label, kind (which says how it is
validated and which editor shows it), export column — and the review vocabulary (statuses, threshold).

Every layer reads this file: the extractor's threshold, the store's validation of a correction
(:mod:`.validate`), the export's columns, the window's panel. "Where is field X" starts here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .paths import parse_item_path

# Values whose provenance confidence is below this go to the review queue (measured on the gold labels).
REVIEW_THRESHOLD = 0.8

REVIEW_STATUSES = ("new", "in_review", "reviewed", "flagged")
# "failed" is given by the importer to a letter that could not be read; it is not set by hand.
DOCUMENT_STATUSES = (*REVIEW_STATUSES, "failed")
STATUS_LABELS = {
    "new": "New",
    "in_review": "In review",
    "reviewed": "Reviewed",
    "flagged": "Flagged",
    "failed": "Failed",
}

SOURCE_FAMILIES = ("MTUS", "ACOEM", "ODG", "OTHER")
SEXES = ("female", "male")
DECISIONS = ("Upheld", "Overturned")
PRIORITIES = ("Standard", "Expedited")
PARTIES = ("claims_administrator", "maximus")
SIDES = (("claims_administrator_", "claims administrator"), ("maximus_", "MAXIMUS"))

# Kinds: text (one line), longtext (a paragraph), date (ISO), int, sex, priority, decision (fixed choices),
# list (short strings, one line, "; " between), lines (one string per line), sources (guideline families),
# citations (structured, parsed from a guideline paragraph).
KINDS = (
    "text",
    "longtext",
    "date",
    "int",
    "sex",
    "priority",
    "decision",
    "list",
    "lines",
    "sources",
    "citations",
)


@dataclass(frozen=True)
class FieldSpec:
    key: str  # the path of a letter field, or the key inside an item (``items[n].<key>``)
    label: str
    kind: str
    lines: tuple[int, int] = (1, 4)  # a text editor grows with its text between these numbers of lines
    optional: bool = False  # shown only when the letter states it (modified requests)
    export: bool = True  # a column of the CSV/Excel dataset
    bounds: tuple[int, int] | None = None  # plausible range of a whole number
    long_label: str = ""  # its name out of the panel's sections ("patient age"), when the label needs one

    @property
    def title(self) -> str:
        """The field's name in a sentence or a listing: ``date of injury``, ``UR denial date``."""
        if self.long_label:
            return self.long_label
        return self.label if self.label[:2].isupper() else self.label[0].lower() + self.label[1:]

    @property
    def column(self) -> str:
        """The dataset's column name: ``patient.age`` -> ``patient_age``."""
        return self.key.replace(".", "_")


def _f(key: str, label: str, kind: str, **kw) -> FieldSpec:
    return FieldSpec(key, label, kind, **kw)


# Letter fields in contract order (the order of the record and of the dataset's columns).
LETTER_FIELDS = (
    _f("case_number", "Case number", "text"),
    _f("date_assigned", "Date assigned", "date"),
    _f("date_of_injury", "Date of injury", "date"),
    _f("decision_date", "Decision date", "date"),
    _f("ur_denial_date", "UR denial date", "date"),
    _f("application_received", "Application received", "date"),
    _f("priority", "Priority", "priority"),
    _f("reviewer.licensure_states", "Licensed in", "list", long_label="reviewer licensed in"),
    _f("reviewer.specialties", "Specialties", "list", long_label="reviewer specialties"),
    _f("patient.age", "Age", "int", bounds=(0, 130), long_label="patient age"),
    _f("patient.sex", "Sex", "sex", long_label="patient sex"),
    _f("injury.mechanism", "Mechanism", "longtext", lines=(1, 4), long_label="mechanism of injury"),
    _f("injury.diagnoses", "Diagnoses", "lines", lines=(2, 8)),
    _f("injury.treatment_to_date", "Treatment to date", "longtext", lines=(1, 5)),
    _f("summary", "Case summary", "longtext", lines=(4, 14)),
)
# Item fields in panel order (the dataset's item columns follow it, citations left out).
ITEM_FIELDS = (
    _f("treatment", "Treatment", "longtext", lines=(1, 4)),
    _f("decision", "Decision", "decision"),
    _f("original_request", "Original request", "longtext", lines=(1, 4), optional=True),
    _f("authorized", "Authorized", "longtext", lines=(1, 4), optional=True),
    _f("disputed_portion", "Disputed portion", "longtext", lines=(1, 4), optional=True),
    _f("claims_administrator_guideline", "Guideline", "longtext", lines=(2, 6)),
    _f("claims_administrator_sources", "Sources", "sources"),
    _f("claims_administrator_citations", "Citations", "citations", export=False),
    _f("maximus_guideline", "Guideline", "longtext", lines=(2, 6)),
    _f("maximus_sources", "Sources", "sources"),
    _f("maximus_citations", "Citations", "citations", export=False),
    _f("rationale", "Rationale", "longtext", lines=(4, 16)),
)
LETTER_SPECS = {spec.key: spec for spec in LETTER_FIELDS}
ITEM_SPECS = {spec.key: spec for spec in ITEM_FIELDS}


def _specs(*keys: str, item: bool = False) -> tuple[FieldSpec, ...]:
    return tuple((ITEM_SPECS if item else LETTER_SPECS)[k] for k in keys)


# How the panel groups and orders the fields (a reviewer reads the decision date first).
LETTER_SECTIONS = (
    (
        "Case",
        _specs(
            "case_number",
            "decision_date",
            "date_assigned",
            "application_received",
            "ur_denial_date",
            "date_of_injury",
            "priority",
        ),
    ),
    ("Reviewer", _specs("reviewer.specialties", "reviewer.licensure_states")),
    ("Patient", _specs("patient.age", "patient.sex")),
    ("Injury", _specs("injury.mechanism", "injury.diagnoses", "injury.treatment_to_date", "summary")),
)
ITEM_SECTIONS = (
    (
        "Item",
        _specs("treatment", "decision", "original_request", "authorized", "disputed_portion", item=True),
    ),
    (
        "Claims administrator guideline",
        _specs(
            "claims_administrator_guideline",
            "claims_administrator_sources",
            "claims_administrator_citations",
            item=True,
        ),
    ),
    ("MAXIMUS guideline", _specs("maximus_guideline", "maximus_sources", "maximus_citations", item=True)),
    ("Decision rationale", _specs("rationale", item=True)),
)
PANEL_LETTER_FIELDS = tuple(spec for _, specs in LETTER_SECTIONS for spec in specs)

# Storage shape of an item: text columns and JSON list columns (the store's ``items`` table).
ITEM_TEXT = tuple(s.key for s in ITEM_FIELDS if s.kind not in ("sources", "citations"))
ITEM_LISTS = tuple(s.key for s in ITEM_FIELDS if s.kind == "sources")
CITATION_KEYS = tuple(s.key for s in ITEM_FIELDS if s.kind == "citations")
CITATION_COLUMNS = ("source", "title", "chapter", "section", "pages", "year", "text", "families")
DATE_FIELDS = tuple(s.key for s in LETTER_FIELDS if s.kind == "date")

# The dataset (CSV/Excel, one row per item): identity columns, the letter's fields, the item's fields.
EXPORT_LETTER_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("doc_id", "id"),
    ("file", "file"),
    ("case_number", "case_number"),
    ("format", "format"),
    ("review_status", "review_status"),
    ("error_code", None),
    ("error_message", None),
    ("pages", "pages"),
    *((s.column, s.key) for s in LETTER_FIELDS if s.export and s.key != "case_number"),
    ("sha256", "sha256"),
)
EXPORT_ITEM_COLUMNS = ("item_index", *(s.key for s in ITEM_FIELDS if s.export))


def spec_for(path: str) -> FieldSpec | None:
    """The spec of a field path (``items[3].decision`` -> the item's decision spec); None when unknown."""
    parsed = parse_item_path(path)
    if parsed:
        return ITEM_SPECS.get(parsed[1])
    return LETTER_SPECS.get(path)


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
    spec = LETTER_SPECS.get(path)
    if spec:
        return spec.label
    if path == "items":
        return "Disputed items"
    return path


def subject(path: str) -> str:
    """What a finding or a change is about, for messages ("items": the letter as a whole)."""
    return "the letter" if path == "items" else field_label(path)
