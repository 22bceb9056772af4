"""Derived facts of a letter's effective record that figures count with SQL (schema 5), written by
:func:`~imrdesk.store.records.refresh` in the same transaction as each import and correction:

- ``item_facts``   one row per disputed item: its decision, treatment category and normalised treatment
  name (``imrdesk.extract.categories``: keyword rules too costly to run per item on every count) and the
  guideline families MAXIMUS cited (a JSON list, known families only, each once);
- ``documents.specialty``  the first specialty listed for the letter's expert reviewer;
- ``documents.corrected``  the paths of the values a reviewer changed (a JSON list in provenance order, as
  :func:`imrdesk.record.corrected_paths` gives them), for the dataset export.

Insights, stats and the report are then ``GROUP BY`` queries over ``documents`` and ``item_facts``: no
record is rebuilt to count (:mod:`imrdesk.store.tallies`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

from ..extract.categories import classify, normalise, treatment_text
from ..record import corrected_paths
from ..record.registry import SOURCE_FAMILIES
from ..record.types import Record


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def item_facts(rec: Record) -> Iterator[tuple[int, str | None, str, str, str]]:
    """``(idx, decision, category, treatment name, families)`` of each item of an effective record."""
    for idx, item in enumerate(rec.get("items") or []):
        if not isinstance(item, dict):
            continue
        decision = item.get("decision")
        text = treatment_text(item)
        sources = item.get("maximus_sources") or []
        families = list(dict.fromkeys(f for f in sources if f in SOURCE_FAMILIES))
        yield (
            idx,
            decision if isinstance(decision, str) else None,
            classify(text),
            normalise(text),
            _dumps(families),
        )


def specialty(rec: Record) -> str | int | float | None:
    """The first specialty listed for the expert reviewer (None when none is)."""
    specialties = (rec.get("reviewer") or {}).get("specialties") or []
    first = specialties[0] if specialties else None
    return first if first is None or isinstance(first, (str, int, float)) else _dumps(first)


def corrected(rec: Record) -> str | None:
    """The changed values' paths as JSON (None when a reviewer changed nothing)."""
    paths = corrected_paths(rec)
    return _dumps(paths) if paths else None


def categories_json(categories: list[str]) -> str | None:
    """The distinct treatment categories of a letter's items as ``documents.categories`` keeps them (a sorted
    JSON list; None for a letter without items)."""
    return _dumps(sorted(set(categories))) if categories else None


def write_item_facts(conn: sqlite3.Connection, doc_id: int, rec: Record) -> list[str]:
    """Rewrite one letter's ``item_facts`` rows; returns the items' categories (for ``documents.categories``)."""
    rows = list(item_facts(rec))
    conn.execute("DELETE FROM item_facts WHERE doc_id = ?", (doc_id,))
    conn.executemany(
        "INSERT INTO item_facts (doc_id, idx, decision, category, treatment, families) VALUES (?, ?, ?, ?, ?, ?)",
        [(doc_id, *row) for row in rows],
    )
    return [row[2] for row in rows]
