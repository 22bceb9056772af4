"""Figures from the derived columns (no record rebuilt): the database's counts and rates, the letters a
date and status filter selects, and the state of the review of some letters."""

from __future__ import annotations

import json
import sqlite3

from ..record import DOCUMENT_STATUSES
from .review import finding_counts
from .tallies import insight_where


def stats(c: sqlite3.Connection) -> dict:
    """Figures of the whole database from the derived columns."""
    letters, failed, items, upheld, overturned, low, corrected, confirmed = c.execute(
        "SELECT count(*), sum(status = 'failed'), total(n_items), total(n_upheld), total(n_overturned), "
        "total(n_low), total(n_corrected), total(n_confirmed) FROM documents WHERE removed_at IS NULL"
    ).fetchone()

    def rates(n_up, n_over) -> dict:
        decided = n_up + n_over
        return {
            "upheld_rate": round(n_up / decided, 4) if decided else None,
            "overturned_rate": round(n_over / decided, 4) if decided else None,
        }

    by_format = {}
    for fmt, n, n_items, n_up, n_over in c.execute(
        "SELECT coalesce(format, 'unknown'), count(*), total(n_items), total(n_upheld), total(n_overturned) "
        "FROM documents WHERE error_code IS NULL AND removed_at IS NULL GROUP BY 1 ORDER BY 1"
    ):
        by_format[fmt] = {
            "letters": n,
            "items": int(n_items),
            "upheld": int(n_up),
            "overturned": int(n_over),
            **rates(n_up, n_over),
        }
    by_status = {s: 0 for s in DOCUMENT_STATUSES}
    for status, n in c.execute(
        "SELECT status, count(*) FROM documents WHERE removed_at IS NULL GROUP BY status"
    ):
        by_status[status] = n
    errors = dict(
        c.execute(
            "SELECT error_code, count(*) FROM documents WHERE error_code IS NOT NULL AND removed_at IS NULL "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
    )
    return {
        "letters": letters,
        "failed": int(failed or 0),
        "items": int(items),
        "upheld": int(upheld),
        "overturned": int(overturned),
        **rates(upheld, overturned),
        "low_confidence_values": int(low),
        "corrected_values": int(corrected),
        "confirmed_values": int(confirmed),
        "findings": finding_counts(c),  # open by rule, letters with any, dismissed
        "by_format": by_format,
        "by_status": by_status,
        "errors": errors,
    }


def select_ids(
    c: sqlite3.Connection, date_from: str | None, date_to: str | None, statuses: list[str]
) -> list[int]:
    where, params = insight_where(date_from, date_to, statuses)
    sql = f"SELECT d.id FROM documents d WHERE {where} ORDER BY d.id"
    return [r[0] for r in c.execute(sql, params)]


def review_state(c: sqlite3.Connection, ids: list[int]) -> dict:
    arg = json.dumps(ids)
    by_status = dict(
        c.execute(
            "SELECT status, count(*) FROM documents WHERE id IN (SELECT value FROM json_each(?)) "
            "GROUP BY status ORDER BY status",
            (arg,),
        ).fetchall()
    )
    low, corrected, confirmed = c.execute(
        "SELECT total(n_low), total(n_corrected), total(n_confirmed) FROM documents "
        "WHERE id IN (SELECT value FROM json_each(?))",
        (arg,),
    ).fetchone()
    return {
        "by_status": by_status,
        "low_confidence_values": int(low),
        "corrected_values": int(corrected),
        "confirmed_values": int(confirmed),
        "findings": finding_counts(c, ids),
    }
