"""Typed shapes of the records that cross the layers. TypedDicts, so a record read from JSON, written by
the extractor or rebuilt by the store is the same plain dict the contract describes (``json.dumps`` and
``==`` keep working), while type checkers and readers know its keys."""

from __future__ import annotations

from typing import Literal, TypedDict

Decision = Literal["Upheld", "Overturned"]
ReviewStatus = Literal["new", "in_review", "reviewed", "flagged"]
DocumentStatus = Literal["new", "in_review", "reviewed", "flagged", "failed"]


class Error(TypedDict):
    code: str
    message: str


class Provenance(TypedDict, total=False):
    page: int | None
    boxes: list[list[float]]
    confidence: float | None
    spans: list
    confidence_before_rules: float
    corrected: bool  # set by the store on a value a reviewer settled (confidence 1.0)
    checked: str  # how: "corrected" (changed) or "confirmed" (kept as extracted)


class Citation(TypedDict, total=False):
    source: str | None
    title: str | None
    chapter: str | None
    section: str | None
    pages: str | None
    year: str | None
    text: str
    families: list[str]


class Item(TypedDict, total=False):
    treatment: str | None
    decision: Decision | None
    original_request: str | None
    authorized: str | None
    disputed_portion: str | None
    claims_administrator_guideline: str | None
    claims_administrator_sources: list[str]
    claims_administrator_citations: list[Citation]
    maximus_guideline: str | None
    maximus_sources: list[str]
    maximus_citations: list[Citation]
    rationale: str | None


class Finding(TypedDict):
    """An open validation finding: ``key`` is ``rule:path`` (stable across re-extraction)."""

    rule: str
    path: str
    message: str
    key: str


class Dismissal(TypedDict):
    key: str
    rule: str
    path: str
    message: str
    at: str
    user: str
    active: bool  # the rule still fires on the letter (False: the dismissal has nothing left to hide)


class Record(TypedDict, total=False):
    """A contract record (``main.py extract --json``); the store adds ``id`` and ``review_status``."""

    file: str
    sha256: str | None
    pages: int
    format: str | None
    error: Error | None
    case_number: str | None
    date_assigned: str | None
    date_of_injury: str | None
    decision_date: str | None
    ur_denial_date: str | None
    application_received: str | None
    priority: str | None
    reviewer: dict
    patient: dict
    injury: dict
    summary: str | None
    items: list[Item]
    provenance: dict[str, Provenance]
    findings: list[Finding]
    id: int
    review_status: DocumentStatus


class ListRow(TypedDict):
    """One letter in the documents list (derived columns, no record load)."""

    id: int
    case_number: str | None
    file_name: str
    kind: str
    format: str | None
    pages: int | None
    status: DocumentStatus
    error: Error | None
    items: int
    upheld: int
    overturned: int
    low_confidence: int
    imported_at: str
    decision_date: str | None
    sha256: str
    findings: int
    ocr: bool  # read from a scan by OCR


class Note(TypedDict):
    at: str
    user: str
    text: str


class DocumentInfo(ListRow):
    source_path: str | None
    size: int | None
    extracted_at: str | None
    extractor: str | None
    corrected: int  # values a reviewer changed
    confirmed: int  # values a reviewer confirmed as extracted
    notes: list[Note]


class AuditRow(TypedDict):
    """One audited change: ``path`` is a field path, ``review_status``, ``extraction`` or
    ``finding:<key>``."""

    path: str
    old: object
    new: object
    at: str
    user: str


class StoredResult(TypedDict):
    """What storing one extracted letter did."""

    status: Literal["imported", "duplicate", "failed", "reading"]
    doc_id: int
    case_duplicate: bool
    message: str


class ImportEvent(TypedDict, total=False):
    """Progress of a batch, after each letter (and ``reading``: after each page of a scan read by OCR, with
    ``page`` of ``pages``)."""

    done: int
    total: int
    file: str
    path: str
    status: Literal["imported", "duplicate", "failed"]
    message: str
    doc_id: int | None
    code: str | None
    case_duplicate: bool
    page: int
    pages: int


class ImportSummary(TypedDict, total=False):
    imported: int
    duplicates: int
    failed: list[tuple[str, str, str]]  # (path, code, message)
    flagged: int
    cancelled: bool
    skipped: int
    total: int
    seconds: float
    error: str
