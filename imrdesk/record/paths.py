"""Field paths: how one value of a contract record is named and reached.

A path names one value: ``case_number``, ``patient.age``, ``items[2].decision``. Two readers: the strict
:func:`get_path` (KeyError when the record has no such value: a correction must name a real field) and the
lenient :func:`get_value` (None: for display).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Keys of a record that describe the file rather than the letter: never corrected, never a field.
META_KEYS = ("file", "sha256", "pages", "format", "error", "ocr")  # ocr: only on a letter read by OCR
# Keys the store adds to a record it reads back (not part of the extractor's contract).
STORE_KEYS = ("id", "review_status", "findings")

_ITEM_PATH = re.compile(r"^items\[(\d+)\]\.([A-Za-z_][A-Za-z0-9_]*)$")
_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def parse_path(path: str) -> tuple[int | None, str]:
    """``"items[2].decision"`` -> ``(2, "decision")``; ``"patient.age"`` -> ``(None, "patient.age")``.
    ValueError for something that is not a path."""
    m = _ITEM_PATH.match(path)
    if m:
        return int(m.group(1)), m.group(2)
    if path.startswith("items") or not path or path.startswith(".") or path.endswith("."):
        raise ValueError(
            f"{path!r} is not a field path (expected e.g. 'case_number' or 'items[0].decision')."
        )
    return None, path


def item_path(index: int, key: str) -> str:
    return f"items[{index}].{key}"


def parse_item_path(path: str) -> tuple[int, str] | None:
    """``"items[2].decision"`` -> ``(2, "decision")``; None for a path outside the items."""
    m = _ITEM_PATH.match(path)
    return (int(m.group(1)), m.group(2)) if m else None


def split_path(path: str) -> list[str | int]:
    """``"items[2].decision"`` -> ``["items", 2, "decision"]``."""
    return [m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _STEP.finditer(path)]


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


def get_value(record: dict, path: str):
    """The value at ``path`` in ``record``, or None when any step is missing."""
    node = record
    for step in split_path(path):
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
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


def letter_values(record: dict) -> Iterator[tuple[str, object]]:
    """The letter-level values of a record by path, in record order (groups such as ``patient`` split
    into ``patient.age``, ``patient.sex``); meta keys, items and provenance left out. What the store keeps
    as a letter's fields."""
    for key, value in record.items():
        if key in META_KEYS or key in ("items", "provenance"):
            continue
        if isinstance(value, dict) and value:
            for sub, subvalue in value.items():
                yield f"{key}.{sub}", subvalue
        else:
            yield key, value


def citation_anchor(path: str) -> str:
    """Citations are parsed from their guideline paragraph: that paragraph is where they stand and are
    edited (``items[0].maximus_citations`` -> ``items[0].maximus_guideline``)."""
    if path.endswith("_citations"):
        return path[: -len("_citations")] + "_guideline"
    return path
