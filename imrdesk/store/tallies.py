"""The insights' counts as SQL aggregates over ``documents`` and the derived ``item_facts`` (schema 5): no
record is rebuilt and nothing is counted in Python, so a count over a million letters runs inside SQLite
(which lets go of Python's lock while it steps) and returns only a few rows a group.

The letters counted are the readable ones still in the dataset, filtered like :func:`figures.select_ids`
(decision date range, review statuses). Each query is one :class:`Group` list; :func:`tallies` yields them one
by one so a caller can stop between two.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

# A decision date's month, as the insights read it: the first seven characters of a text of seven or more.
MONTH = (
    "CASE WHEN typeof(d.decision_date) = 'text' AND length(d.decision_date) >= 7 "
    "THEN substr(d.decision_date, 1, 7) END"
)
# An item's place in the order letters and items are read (by letter id, then item index): ties between two
# groups are broken by whichever was met first, as a count that walks the letters in turn would.
FIRST = "min(f.doc_id * 1000000 + f.idx)"
ITEM_COUNTS = (
    f"count(*), coalesce(sum(f.decision = 'Upheld'), 0), coalesce(sum(f.decision = 'Overturned'), 0), {FIRST}"
)
COUNTS = f"count(DISTINCT f.doc_id), {ITEM_COUNTS}"
# a month's and a specialty's letters are counted with the letters (those without items too): their items'
# queries leave out the distinct count, the costly part of a group
NO_LETTERS = f"NULL, {ITEM_COUNTS}"


@dataclass(frozen=True)
class Group:
    """The items of one group (a month, a category, …): the letters they come from (None where the letters
    are counted with :class:`LetterGroup`), their decisions, and where the group was first met (a letter id
    and item index folded into one number)."""

    key: object
    letters: int | None
    items: int
    upheld: int
    overturned: int
    first: int


@dataclass(frozen=True)
class LetterGroup:
    """Letters by review status, month of decision and reviewer specialty (letters without items too)."""

    status: str
    month: str | None
    specialty: str
    letters: int
    first_id: int
    first_date: str | None
    last_date: str | None


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


def tallies(
    conn: sqlite3.Connection,
    lock: threading.RLock,
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    statuses: Sequence[str] = (),
    not_stated: str = "not stated",
) -> Iterator[tuple[str, list]]:
    """``(name, rows)`` for ``letters`` (:class:`LetterGroup`), then ``overall``, ``month``, ``category``,
    ``specialty``, ``family`` (a family MAXIMUS cited, None for items citing none), ``treatment`` (each a list
    of :class:`Group`) and ``treatment_category`` (``(treatment, category, items)``). ``lock`` is held for
    one query at a time."""
    where, params = insight_where(date_from, date_to, statuses)
    specialty = "coalesce(d.specialty, ?)"
    items = f"FROM item_facts f JOIN documents d ON d.id = f.doc_id WHERE {where}"

    def run(sql: str, args: list) -> list:
        with lock:
            return conn.execute(sql, args).fetchall()

    rows = run(
        f"SELECT d.status, {MONTH} AS month, {specialty} AS spec, count(*), min(d.id), "
        "min(d.decision_date), max(d.decision_date) "
        f"FROM documents d WHERE {where} GROUP BY 1, 2, 3",
        [not_stated, *params],
    )
    yield "letters", [LetterGroup(*r) for r in rows]
    yield "overall", [Group(None, *r) for r in run(f"SELECT {NO_LETTERS} {items}", params)]
    for name, key, args, counts in (
        ("month", MONTH, [], NO_LETTERS),
        ("category", "f.category", [], COUNTS),
        ("specialty", specialty, [not_stated], NO_LETTERS),
        ("treatment", "f.treatment", [], COUNTS),
    ):
        sql = f"SELECT {key} AS k, {counts} {items} GROUP BY 1"
        yield name, [Group(*r) for r in run(sql, [*args, *params])]
    # an item counts once under each family it cites (item_facts keeps each known family once), and under
    # None when it cites none
    sql = (
        f"SELECT j.value AS k, {COUNTS} FROM item_facts f JOIN documents d ON d.id = f.doc_id "
        "JOIN json_each(CASE f.families WHEN '[]' THEN '[null]' ELSE f.families END) j "
        f"WHERE {where} GROUP BY 1"
    )
    yield "family", [Group(*r) for r in run(sql, params)]
    sql = f"SELECT f.treatment, f.category, count(*) {items} GROUP BY 1, 2"
    yield "treatment_category", run(sql, params)
