"""The insights' counts as SQL aggregates: no record is rebuilt and nothing is counted in Python.

Two ways to the same counts:

- from the pre-counted summary tables (``summary.py``, schema 6): a few rows a group whatever the size of the
  dataset — used when the date filter, if any, covers whole months (what the insights window and the
  command line's ``YYYY-MM``/``YYYY`` filters give) and every stored decision date is a plain date;
- from ``documents`` and ``item_facts`` (schema 5), for any other filter: one pass over the letters chosen.

The letters counted are the readable ones still in the dataset, filtered like :func:`figures.select_ids`
(decision date range, review statuses). :func:`tallies` yields its groups one query at a time so a caller
can stop between two.
"""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from . import summary

DECISIONS = "count(*), total(f.decision = 'Upheld'), total(f.decision = 'Overturned')"
SUMS = "sum(letters), sum(items), sum(upheld), sum(overturned)"


@dataclass(frozen=True)
class Group:
    """The items of one group (a category, a treatment, a guideline family): the letters they come from (a
    letter counts once), the items and their decisions."""

    key: object
    letters: int
    items: int
    upheld: int
    overturned: int


@dataclass(frozen=True)
class LetterGroup:
    """Letters by review status, month of decision (None without one) and first reviewer specialty, with their
    items and decisions (letters without items too)."""

    status: str
    month: str | None
    specialty: object
    letters: int
    items: int
    upheld: int
    overturned: int


def insight_where(date_from: str | None, date_to: str | None, statuses: Sequence[str]) -> tuple[str, list]:
    """The letters the figures count (readable, in the dataset, decided in the range, in those statuses), as
    an SQL condition on ``documents d`` and its parameters; stats, insights and the report share it."""
    where, params = ["d.error_code IS NULL", "d.removed_at IS NULL"], []
    if date_from:
        where.append("d.decision_date >= ?")
        params.append(date_from)
    if date_to:
        where.append("d.decision_date <= ?")
        params.append(date_to)
    if statuses:
        where.append(f"d.status IN ({','.join('?' * len(statuses))})")
        params.extend(statuses)
    return " AND ".join(where), params


def whole_months(date_from: str | None, date_to: str | None) -> bool:
    """True when the range starts on a month's first day and ends on a month's last (or is open)."""
    try:
        if date_from and _dt.date.fromisoformat(date_from).day != 1:
            return False
        return not date_to or (_dt.date.fromisoformat(date_to) + _dt.timedelta(days=1)).day == 1
    except ValueError:
        return False


def tallies(
    conn: sqlite3.Connection,
    lock: threading.RLock,
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    statuses: Sequence[str] = (),
    not_stated: str = "not stated",
    scan: bool = False,
) -> Iterator[tuple[str, object]]:
    """``(name, rows)`` for ``letters`` (:class:`LetterGroup`), ``span`` (the first and last decision date),
    then ``category``, ``family`` (a family MAXIMUS cited, None for items citing none), ``treatment`` (each
    a list of :class:`Group`) and ``treatment_category`` (``(treatment, category, items)``). ``lock`` is
    held for one query at a time. ``scan``: count from the tables even where the summary would serve."""

    def run(sql: str, args: Sequence) -> list:
        with lock:
            return conn.execute(sql, args).fetchall()

    where, params = insight_where(date_from, date_to, statuses)
    with lock:
        served = not scan and summary_serves(conn, date_from, date_to)
    if served:
        yield from _summed(run, month_condition(date_from, date_to, statuses), not_stated)
    else:
        yield from _scanned(run, where, params, not_stated)
    yield "span", (_edge(run, where, params, "ASC"), _edge(run, where, params, "DESC"))


def summary_serves(conn: sqlite3.Connection, date_from: str | None, date_to: str | None) -> bool:
    """True when the summary tables count exactly the letters this date filter selects: no filter, or whole
    months and every stored decision date a plain date (another text compares with a range's ends as text,
    not by its month)."""
    if not (date_from or date_to):
        return True
    if not whole_months(date_from, date_to):
        return False
    return not conn.execute("SELECT 1 FROM letter_tally WHERE exact = 0 AND letters != 0 LIMIT 1").fetchone()


def month_condition(date_from: str | None, date_to: str | None, statuses: Sequence[str]) -> tuple[str, list]:
    """The filter as a condition on the summary tables' ``month`` and ``status`` (whole months)."""
    cond, args = ["1"], []
    if date_from or date_to:
        cond.append("month != ''")
    if date_from:
        cond.append("month >= ?")
        args.append(date_from[:7])
    if date_to:
        cond.append("month <= ?")
        args.append(date_to[:7])
    if statuses:
        cond.append(f"status IN ({','.join('?' * len(statuses))})")
        args.extend(statuses)
    return " AND ".join(cond), args


def _edge(run: Callable, where: str, params: list, order: str) -> str | None:
    """The first (ASC) or last (DESC) decision date with a month, walking the decision-date index."""
    rows = run(
        "SELECT d.decision_date FROM documents d INDEXED BY documents_decision_date "
        f"WHERE {where} AND d.decision_date >= '' AND length(d.decision_date) >= 7 "
        f"ORDER BY d.decision_date {order} LIMIT 1",
        params,
    )
    return rows[0][0] if rows else None


def _summed(run: Callable, condition: tuple[str, list], not_stated: str) -> Iterator[tuple[str, object]]:
    """The counts from the summary tables, for a :func:`month_condition`."""
    cond_sql, args = condition
    rows = run(
        f"SELECT status, month, specialty, {SUMS} FROM letter_tally WHERE error_code = 'null' AND {cond_sql} "
        "GROUP BY 1, 2, 3 HAVING sum(letters) != 0",
        args,
    )
    yield (
        "letters",
        [LetterGroup(s, m or None, _key(k, not_stated), *map(int, rest)) for s, m, k, *rest in rows],
    )
    for kind in ("category", "family", "treatment"):
        rows = run(
            f"SELECT key, {SUMS} FROM item_tally WHERE kind = ? AND {cond_sql} GROUP BY 1 HAVING sum(items) != 0",
            [kind, *args],
        )
        yield kind, [Group(json.loads(k), *map(int, rest)) for k, *rest in rows]
    rows = run(
        f"SELECT key, sum(items) FROM item_tally WHERE kind = 'treatment_category' AND {cond_sql} "
        "GROUP BY 1 HAVING sum(items) != 0",
        args,
    )
    yield "treatment_category", [(*json.loads(k), int(n)) for k, n in rows]


def _key(text: str, not_stated: str) -> object:
    value = json.loads(text)
    return not_stated if value is None else value


def _scanned(run: Callable, where: str, params: list, not_stated: str) -> Iterator[tuple[str, object]]:
    """The same counts from ``documents`` and ``item_facts``."""
    rows = run(
        f"SELECT d.status, {summary.month('d')}, coalesce(d.specialty, ?), count(*), "
        "total(coalesce(d.n_items, 0)), "
        "total(coalesce(d.n_upheld, 0)), total(coalesce(d.n_overturned, 0)) "
        f"FROM documents d WHERE {where} GROUP BY 1, 2, 3",
        [not_stated, *params],
    )
    yield "letters", [LetterGroup(s, m or None, k, *map(int, rest)) for s, m, k, *rest in rows]
    items = f"FROM item_facts f JOIN documents d ON d.id = f.doc_id WHERE {where}"
    # an item counts once under each family it cites (item_facts keeps each known family once), and under
    # None when it cites none
    families = (
        "FROM item_facts f JOIN documents d ON d.id = f.doc_id "
        f"JOIN json_each({summary.families('f')}) j "
        f"WHERE {where}"
    )
    for name, key, source in (("category", "f.category", items), ("family", "j.value", families)):
        sql = f"SELECT {key}, count(DISTINCT f.doc_id), {DECISIONS} {source} GROUP BY 1"
        yield name, [Group(k, *map(int, rest)) for k, *rest in run(sql, params)]
    sql = f"SELECT f.treatment, count(DISTINCT f.doc_id), {DECISIONS} {items} GROUP BY 1"
    yield "treatment", [Group(k, *map(int, rest)) for k, *rest in run(sql, params)]
    yield "treatment_category", run(f"SELECT f.treatment, f.category, count(*) {items} GROUP BY 1, 2", params)
