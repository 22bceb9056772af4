"""Figures from the derived columns and the pre-counted figures (no record rebuilt): the database's counts
and rates, the letters a date and status filter selects, and the state of the review of some letters;
:class:`Figures` (``store.figures``) for what the pre-counted figures answer and their own check."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..record import DOCUMENT_STATUSES
from . import summary
from .review import finding_counts
from .tallies import insight_where, month_condition, summary_serves

if TYPE_CHECKING:  # pragma: no cover
    from .store import Store


def stats(c: sqlite3.Connection) -> dict:
    """Figures of the whole database, from the pre-counted letters (``summary.py``): a few hundred rows
    whatever the number of letters."""
    rows = c.execute(
        "SELECT status, format, error_code, sum(letters), sum(items), sum(upheld), sum(overturned), sum(low), "
        "sum(corrected), sum(confirmed) FROM letter_tally GROUP BY 1, 2, 3 HAVING sum(letters) != 0"
    ).fetchall()
    letters = failed = items = upheld = overturned = low = corrected = confirmed = 0
    formats: dict[str, list[int]] = {}
    by_status = {s: 0 for s in DOCUMENT_STATUSES}
    errors: dict = {}
    for status, fmt, error, n, n_items, n_up, n_over, n_low, n_corr, n_conf in rows:
        letters, items, upheld, overturned = letters + n, items + n_items, upheld + n_up, overturned + n_over
        low, corrected, confirmed = low + n_low, corrected + n_corr, confirmed + n_conf
        failed += n if status == "failed" else 0
        by_status[status] = by_status.get(status, 0) + n
        error = json.loads(error)
        if error is not None:
            errors[error] = errors.get(error, 0) + n
            continue
        fmt = json.loads(fmt)
        counts = formats.setdefault("unknown" if fmt is None else fmt, [0, 0, 0, 0])
        for i, v in enumerate((n, n_items, n_up, n_over)):
            counts[i] += v

    def rates(n_up, n_over) -> dict:
        decided = n_up + n_over
        return {
            "upheld_rate": round(n_up / decided, 4) if decided else None,
            "overturned_rate": round(n_over / decided, 4) if decided else None,
        }

    by_format = {
        fmt: {"letters": n, "items": i, "upheld": u, "overturned": o, **rates(u, o)}
        for fmt, (n, i, u, o) in sorted(formats.items())
    }
    errors = dict(sorted(errors.items()))
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


def review_state_where(
    c: sqlite3.Connection, date_from: str | None, date_to: str | None, statuses: list[str]
) -> dict:
    """:func:`review_state` of the letters :func:`select_ids` selects, without listing them: from the
    pre-counted letters where the filter allows (``tallies.summary_serves``), else from the documents."""
    where, params = insight_where(date_from, date_to, statuses)
    if summary_serves(c, date_from, date_to):
        cond, args = month_condition(date_from, date_to, statuses)
        rows = c.execute(
            "SELECT status, sum(letters), sum(low), sum(corrected), sum(confirmed) FROM letter_tally "
            f"WHERE error_code = 'null' AND {cond} GROUP BY status HAVING sum(letters) != 0 ORDER BY status",
            args,
        ).fetchall()
    else:
        rows = c.execute(
            "SELECT d.status, count(*), total(d.n_low), total(d.n_corrected), total(d.n_confirmed) "
            f"FROM documents d WHERE {where} GROUP BY d.status ORDER BY d.status",
            params,
        ).fetchall()
    return {
        "by_status": {status: n for status, n, *_ in rows},
        "low_confidence_values": int(sum(r[2] for r in rows)),
        "corrected_values": int(sum(r[3] for r in rows)),
        "confirmed_values": int(sum(r[4] for r in rows)),
        "findings": finding_counts(c, letters=(where, params)),
    }


class Figures:
    """The store's figures that read the pre-counted tables (``summary.py``): ``store.figures``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def review_state(
        self, *, date_from: str | None = None, date_to: str | None = None, statuses: Sequence[str] = ()
    ) -> dict:
        """``store.review_state`` of the letters ``store.select_ids`` would give, counted without listing
        them."""
        with self.store._lock:
            return review_state_where(self.store.conn, date_from, date_to, list(statuses))

    def differences(self) -> list[str]:
        """How the pre-counted figures differ from the letters ([] when they agree)."""
        with self.store._lock:
            return summary.differences(self.store.conn)

    def recount(self) -> None:
        """Count the pre-counted figures again from the letters, in one transaction."""
        with self.store.transaction():
            summary.rebuild(self.store.conn)
