"""What a reviewer's value must be before it is stored: :func:`validate_value` turns what was typed into
the value the contract expects (an ISO date, a whole number, a list of strings, one of the decisions), by
the field's kind in the registry, or raises ValueError with a message for that reviewer."""

from __future__ import annotations

import datetime as _dt
import json
import re

from .registry import DECISIONS, SOURCE_FAMILIES, spec_for

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def validate_value(path: str, value, old=None):
    """Check and normalise a reviewer's value for a field path (``old``: the value it replaces, whose
    shape it must keep when the registry does not know the field)."""
    spec = spec_for(path)
    kind = spec.kind if spec else None
    if isinstance(value, str):
        value = value.strip()
        if value == "" and kind != "sources":
            value = None
    if kind == "date":
        return _date(path, value)
    if kind == "decision":
        if value is None:
            return None
        match = [d for d in DECISIONS if isinstance(value, str) and d.lower() == value.lower()]
        if not match:
            raise ValueError(f"{path}: the decision is 'Upheld' or 'Overturned' (got {value!r}).")
        return match[0]
    if kind == "int":
        return _whole_number(path, value, spec.bounds if spec else None)
    if kind == "sex":
        if value is None:
            return None
        if not isinstance(value, str) or value.lower() not in ("male", "female"):
            raise ValueError(f"{path}: sex is 'male' or 'female' (got {value!r}).")
        return value.lower()
    if kind == "sources":
        value = _string_list(path, value)
        bad = [v for v in value if v not in SOURCE_FAMILIES]
        if bad:
            raise ValueError(f"{path}: guideline families are {', '.join(SOURCE_FAMILIES)} (got {bad}).")
        return list(dict.fromkeys(value))
    if kind == "citations":
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
            raise ValueError(f"{path}: citations are a list of objects.")
        return value
    if kind in ("list", "lines") or isinstance(old, list):
        return _string_list(path, value)
    if isinstance(value, (list, tuple, dict)):
        raise ValueError(f"{path}: expected a single value, not {type(value).__name__}.")
    if kind in ("text", "longtext", "priority"):
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{path}: expected text (got {value!r}).")
    try:
        json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        raise ValueError(f"{path}: {value!r} cannot be stored.") from None
    return value


def _date(path: str, value):
    if value is None:
        return None
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError(f"{path}: a date is written YYYY-MM-DD (got {value!r}).")
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{path}: {value} is not a calendar date.") from None
    return value


def _whole_number(path: str, value, bounds: tuple[int, int] | None):
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{path}: the age is a whole number (got {value!r}).") from None
    low, high = bounds or (-(2**63), 2**63 - 1)
    if isinstance(value, float) and value != number or not low <= number <= high:
        raise ValueError(f"{path}: {value!r} is not a plausible age.")
    return number


def _string_list(path: str, value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = re.split(r"[;\n]", value)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{path}: expected a list of strings (got {value!r}).")
    return [v.strip() for v in value if v.strip()]
