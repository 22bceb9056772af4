"""What a record says about its own review: which values are doubtful, in which order keyboard review
visits them, which findings stand on a value, how many items were upheld.

The review queue (:func:`review_queue`) is the order in which keyboard review visits a letter's values: its
open findings first, then the other values below the review threshold that no reviewer has corrected, each
group in document order (the record's field order, which follows the letter: header, reviewer, case summary,
then each item in turn). Document order rather than lowest-confidence-first: below the threshold, confidences
are coarse classes (fallback, conflict, doubted) rather than a fine ranking, and going down the letter keeps
the page view moving one way instead of jumping back and forth.
"""

from __future__ import annotations

from collections.abc import Iterable

from .paths import META_KEYS, STORE_KEYS, citation_anchor, item_path
from .registry import ITEM_FIELDS, PANEL_LETTER_FIELDS, REVIEW_THRESHOLD


def provenance(record: dict, path: str) -> dict | None:
    return (record.get("provenance") or {}).get(path)


def field_provenance(record: dict, path: str) -> dict | None:
    """Where a value stands in the letter; citations stand where their guideline paragraph does."""
    return provenance(record, path) or provenance(record, citation_anchor(path))


def confidence(record: dict, path: str) -> float | None:
    prov = provenance(record, path)
    if not prov or prov.get("confidence") is None:
        return None
    return float(prov["confidence"])


CORRECTED, CONFIRMED = "corrected", "confirmed"


def is_corrected(record: dict, path: str) -> bool:
    """True when a reviewer's value is in force: corrected, or confirmed as extracted (see :func:`checked`)."""
    prov = provenance(record, path)
    return bool(prov and prov.get("corrected"))


def checked(record: dict, path: str) -> str | None:
    """How a reviewer settled a value: ``corrected`` (changed it), ``confirmed`` (kept it as extracted), or
    None (not yet). A confirmation is not a correction: figures and exports count them apart."""
    prov = provenance(record, path)
    if not prov or not prov.get("corrected"):
        return None
    return prov.get("checked") or CORRECTED


def needs_check(record: dict, path: str) -> bool:
    """True for a value extracted with low confidence that no reviewer has corrected or accepted yet."""
    conf = confidence(record, path)
    return conf is not None and conf < REVIEW_THRESHOLD and not is_corrected(record, path)


def why_doubted(record: dict, path: str) -> list[str]:
    """Why the extractor doubts a value, for a person: the doubts its reading carried
    (``provenance[path]["doubts"]``: "starts mid-word", "a doubtful word in the scan (OCR 62%)", …). Empty for
    a value read without doubt or settled by a reviewer."""
    prov = provenance(record, path)
    if not prov or prov.get("corrected"):
        return []
    return [d for d in prov.get("doubts") or [] if isinstance(d, str)]


def low_confidence_paths(record: dict) -> list[str]:
    """Paths whose value is below the review threshold and has no reviewer's correction (provenance order)."""
    out = []
    for path, p in (record.get("provenance") or {}).items():
        if not isinstance(p, dict) or p.get("corrected"):
            continue
        conf = p.get("confidence")
        if conf is not None and conf < REVIEW_THRESHOLD:
            out.append(path)
    return out


def corrected_paths(record: dict) -> list[str]:
    """Values a reviewer changed (not those confirmed as extracted)."""
    return [p for p in (record.get("provenance") or {}) if checked(record, p) == CORRECTED]


def confirmed_paths(record: dict) -> list[str]:
    """Values a reviewer confirmed as extracted."""
    return [p for p in (record.get("provenance") or {}) if checked(record, p) == CONFIRMED]


def decision_counts(record: dict) -> tuple[int, int]:
    """(upheld, overturned) items of a record."""
    items = record.get("items") or []
    return (
        sum(1 for i in items if i.get("decision") == "Upheld"),
        sum(1 for i in items if i.get("decision") == "Overturned"),
    )


def document_order(record: dict) -> list[str]:
    """Every field path of a record in document order: the letter's fields in the record's key order
    (header, reviewer, patient, injury, summary), ``items``, then each item's fields in item order; paths
    only the provenance knows come last, in provenance order."""
    order: list[str] = []
    for key, value in record.items():
        if key in META_KEYS or key in STORE_KEYS or key in ("items", "provenance"):
            continue
        if isinstance(value, dict) and value:
            order.extend(f"{key}.{sub}" for sub in value)
        else:
            order.append(key)
    order.append("items")
    for n, item in enumerate(record.get("items") or []):
        if isinstance(item, dict):
            order.extend(f"items[{n}].{key}" for key in item)
    seen = set(order)
    order.extend(p for p in (record.get("provenance") or {}) if p not in seen)
    return order


def panel_order(record: dict) -> list[str]:
    """Every editable path of a record in the order the field panel shows them."""
    order = [spec.key for spec in PANEL_LETTER_FIELDS]
    for index, _item in enumerate(record.get("items") or []):
        order.extend(item_path(index, spec.key) for spec in ITEM_FIELDS)
    return order


def review_queue(record: dict | None, order: Iterable[str] | None = None) -> list[str]:
    """The paths keyboard review visits, in turn: open findings first, then the other uncorrected values
    below the review threshold, each group in ``order`` (default: :func:`document_order`; the window passes
    its panel order). Paths not in ``order`` follow their group, in document order. No path twice.
    A finding about the whole letter has the path ``items`` (no item found)."""
    if not record:
        return []
    doc = document_order(record)
    ranked = list(dict.fromkeys([*(order or ()), *doc]))
    rank = {p: i for i, p in enumerate(ranked)}

    def sort(paths: Iterable[str]) -> list[str]:
        return sorted(dict.fromkeys(paths), key=lambda p: rank.get(p, len(rank)))

    first = sort(f["path"] for f in record.get("findings") or [])
    taken = set(first)
    return first + sort(p for p in low_confidence_paths(record) if p not in taken)


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


def error_message(error) -> str:
    """The person-readable message of a record's or a list row's ``error`` ("" when there is none)."""
    if not error:
        return ""
    if isinstance(error, dict):
        return error.get("message") or error.get("code") or "Import failed"
    return str(error)


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


def check_queue(record: dict | None) -> list[str]:
    """The review queue in the panel's order: what F8 visits (``items`` stands for a finding about the
    whole letter)."""
    if not record:
        return []
    return review_queue(record, panel_order(record))


def pending_paths(record: dict) -> list[str]:
    """Low-confidence values still to check, in panel order (paths the panel does not show last, sorted)."""
    prov = record.get("provenance") or {}
    order = panel_order(record)
    known = set(order)
    pending = [p for p in order if p in prov and needs_check(record, p)]
    pending += sorted(p for p in prov if p not in known and needs_check(record, p))
    return pending
