"""Field paths of a contract record and the checks a reviewer's value must pass before it is stored.

A path names one value: ``case_number``, ``patient.age``, ``items[2].decision``. :func:`validate_value`
turns what a reviewer typed into the value the contract expects (an ISO date, a whole number, a list of
strings, one of the decisions) or raises ValueError with a message for that reviewer.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterator

META_KEYS = ("file", "sha256", "pages", "format", "error")
DATE_FIELDS = ("date_assigned", "date_of_injury", "decision_date", "ur_denial_date", "application_received")
DECISIONS = ("Upheld", "Overturned")
SOURCE_FAMILIES = ("MTUS", "ACOEM", "ODG", "OTHER")
ITEM_TEXT = (
    "treatment",
    "decision",
    "original_request",
    "authorized",
    "disputed_portion",
    "claims_administrator_guideline",
    "maximus_guideline",
    "rationale",
)
ITEM_LISTS = ("claims_administrator_sources", "maximus_sources")
STRING_LIST_FIELDS = ("reviewer.licensure_states", "reviewer.specialties", "injury.diagnoses")
TEXT_FIELDS = ("case_number", "priority", "summary", "injury.mechanism", "injury.treatment_to_date")
_ITEM_PATH = re.compile(r"^items\[(\d+)\]\.([A-Za-z_][A-Za-z0-9_]*)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def parse_path(path: str) -> tuple[int | None, str]:
    """``"items[2].decision"`` -> ``(2, "decision")``; ``"patient.age"`` -> ``(None, "patient.age")``."""
    m = _ITEM_PATH.match(path)
    if m:
        return int(m.group(1)), m.group(2)
    if path.startswith("items") or not path or path.startswith(".") or path.endswith("."):
        raise ValueError(
            f"{path!r} is not a field path (expected e.g. 'case_number' or 'items[0].decision')."
        )
    return None, path


def get_path(record: dict, path: str):
    """The value at a field path of a contract record; KeyError when the path does not exist."""
    idx, key = parse_path(path)
    if idx is not None:
        items = record.get("items") or []
        if idx >= len(items) or key not in items[idx]:
            raise KeyError(path)
        return items[idx][key]
    node = record
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(path)
        node = node[part]
    return node


def set_path(record: dict, path: str, value) -> bool:
    """Set a field path in place; False when the path does not exist in this record."""
    try:
        get_path(record, path)
    except KeyError:
        return False
    idx, key = parse_path(path)
    if idx is not None:
        record["items"][idx][key] = value
        return True
    parts = key.split(".")
    node = record
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value
    return True


def _flatten(record: dict) -> Iterator[tuple[str, object]]:
    for key, value in record.items():
        if key in META_KEYS or key in ("items", "provenance"):
            continue
        if isinstance(value, dict) and value:
            for sub, subvalue in value.items():
                yield f"{key}.{sub}", subvalue
        else:
            yield key, value


def validate_value(path: str, value, old=None):
    """Check and normalise a reviewer's value for a field path (``old``: the value it replaces, whose
    shape it must keep); ValueError with a message for a person when it is wrong."""
    _idx, key = parse_path(path)
    leaf = key.rsplit(".", 1)[-1]
    if isinstance(value, str):
        value = value.strip()
        if value == "" and leaf not in ITEM_LISTS:
            value = None
    if key in DATE_FIELDS:
        if value is None:
            return None
        if not isinstance(value, str) or not _ISO_DATE.match(value):
            raise ValueError(f"{path}: a date is written YYYY-MM-DD (got {value!r}).")
        try:
            _dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{path}: {value} is not a calendar date.") from None
        return value
    if leaf == "decision":
        if value is None:
            return None
        match = [d for d in DECISIONS if isinstance(value, str) and d.lower() == value.lower()]
        if not match:
            raise ValueError(f"{path}: the decision is 'Upheld' or 'Overturned' (got {value!r}).")
        return match[0]
    if key == "patient.age":
        if value is None:
            return None
        try:
            age = int(value)
        except (TypeError, ValueError):
            raise ValueError(f"{path}: the age is a whole number (got {value!r}).") from None
        if isinstance(value, float) and value != age or not 0 <= age <= 130:
            raise ValueError(f"{path}: {value!r} is not a plausible age.")
        return age
    if key == "patient.sex":
        if value is None:
            return None
        if not isinstance(value, str) or value.lower() not in ("male", "female"):
            raise ValueError(f"{path}: sex is 'male' or 'female' (got {value!r}).")
        return value.lower()
    if leaf in ITEM_LISTS:
        value = _string_list(path, value)
        bad = [v for v in value if v not in SOURCE_FAMILIES]
        if bad:
            raise ValueError(f"{path}: guideline families are {', '.join(SOURCE_FAMILIES)} (got {bad}).")
        return list(dict.fromkeys(value))
    if leaf.endswith("_citations"):
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
            raise ValueError(f"{path}: citations are a list of objects.")
        return value
    if key in STRING_LIST_FIELDS or isinstance(old, list):
        return _string_list(path, value)
    if isinstance(value, (list, tuple, dict)):
        raise ValueError(f"{path}: expected a single value, not {type(value).__name__}.")
    if key in TEXT_FIELDS or leaf in ITEM_TEXT:
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{path}: expected text (got {value!r}).")
    try:
        _dumps(value)
    except (TypeError, ValueError):
        raise ValueError(f"{path}: {value!r} cannot be stored.") from None
    return value


def _string_list(path: str, value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [p for p in re.split(r"[;\n]", value)]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{path}: expected a list of strings (got {value!r}).")
    return [v.strip() for v in value if v.strip()]
