"""Pre-counted figures (schema 6): what stats and insights count, kept by SQLite triggers in the same
transaction as every write to ``documents`` and ``item_facts``, so a count over a million letters reads a few
thousand summary rows instead of every letter.

- ``letter_tally``  letters in the dataset (not removed) by review status, month of decision, format, error
  and first reviewer specialty, with their items, decisions and review counts summed;
- ``item_tally``    items of readable letters by review status and month, under each ``kind`` of group —
  ``category``, ``treatment``, ``family`` (each family MAXIMUS cited; ``null`` for none) and
  ``treatment_category`` — with the letters they come from (a letter counts once in each group), their
  items and decisions.

Group keys are JSON (``json_quote``) so that NULL and a number keep their type and a key is never NULL;
``month`` is ``''`` for a letter without a usable decision date. ``exact`` is 1 when the decision date is
NULL or a plain ``YYYY-MM-DD`` date: a whole-month date filter then selects exactly the rows of its months.
A month bucket whose counts fall to zero stays as a zero row (reads skip them).

Triggers rather than Python keep every path in step — import, correction, status, removal, deletion, an
upgrade's backfill, a recovery's copy — since each of them writes those two tables.
"""

from __future__ import annotations

import sqlite3

# a letter's month of decision and whether its date is a plain ISO date, for a documents row alias
_MONTH = (
    "CASE WHEN typeof({d}.decision_date) = 'text' AND length({d}.decision_date) >= 7 "
    "THEN substr({d}.decision_date, 1, 7) ELSE '' END"
)
_EXACT = (
    "({d}.decision_date IS NULL OR (typeof({d}.decision_date) = 'text' AND length({d}.decision_date) = 10 "
    "AND {d}.decision_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'))"
)
_COUNTED = "{d}.error_code IS NULL AND {d}.removed_at IS NULL"

LETTER_KEYS = ("status", "month", "exact", "format", "error_code", "specialty")
LETTER_SUMS = ("letters", "items", "upheld", "overturned", "low", "corrected", "confirmed")
ITEM_KEYS = ("kind", "key", "status", "month", "exact")
ITEM_SUMS = ("letters", "items", "upheld", "overturned")


def month(alias: str) -> str:
    return _MONTH.format(d=alias)


def exact(alias: str) -> str:
    return _EXACT.format(d=alias)


def families(f: str) -> str:
    """The guideline families an item row (alias ``f``) counts under, as a JSON list: those MAXIMUS cited, or
    ``[null]`` when it cited none (an item counts under None then)."""
    return f"CASE {f}.families WHEN '[]' THEN '[null]' ELSE {f}.families END"


def _item_groups(f: str) -> str:
    """The groups one item row (alias ``f``: ``new``, ``old`` or a table alias) counts in: ``(kind, key)``."""
    return (
        f"SELECT 'category' AS kind, json_quote({f}.category) AS key "
        f"UNION ALL SELECT 'treatment', json_quote({f}.treatment) "
        f"UNION ALL SELECT 'treatment_category', json_array({f}.treatment, {f}.category) "
        f"UNION ALL SELECT 'family', json_quote(value) FROM json_each({families(f)})"
    )


# every (doc_id, idx, kind, key, decision) of the stored items: the item groups of a whole letter
ITEM_GROUPS_VIEW = (
    "CREATE VIEW IF NOT EXISTS item_groups AS "
    "SELECT doc_id, idx, 'category' AS kind, json_quote(category) AS key, decision FROM item_facts "
    "UNION ALL SELECT doc_id, idx, 'treatment', json_quote(treatment), decision FROM item_facts "
    "UNION ALL SELECT doc_id, idx, 'treatment_category', json_array(treatment, category), decision "
    "FROM item_facts "
    "UNION ALL SELECT f.doc_id, f.idx, 'family', json_quote(j.value), f.decision FROM item_facts f, "
    f"json_each({families('f')}) j"
)


def _upsert(table: str, keys: tuple[str, ...], sums: tuple[str, ...]) -> str:
    update = ", ".join(f"{s} = {s} + excluded.{s}" for s in sums)
    return f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {update}"


def _letter_row(d: str, sign: str) -> str:
    """Add (``sign`` '+') or take away ('-') one documents row (``new``/``old``) in ``letter_tally``."""
    values = (
        f"coalesce({d}.status, ''), {month(d)}, {exact(d)}, json_quote({d}.format), json_quote({d}.error_code), "
        f"json_quote({d}.specialty), {sign}1, {sign}coalesce({d}.n_items, 0), {sign}coalesce({d}.n_upheld, 0), "
        f"{sign}coalesce({d}.n_overturned, 0), {sign}coalesce({d}.n_low, 0), {sign}coalesce({d}.n_corrected, 0), "
        f"{sign}coalesce({d}.n_confirmed, 0)"
    )
    return (
        f"INSERT INTO letter_tally ({', '.join(LETTER_KEYS + LETTER_SUMS)}) SELECT {values} "
        f"WHERE {d}.removed_at IS NULL {_upsert('letter_tally', LETTER_KEYS, LETTER_SUMS)};"
    )


def _letter_items(d: str, sign: str) -> str:
    """Add or take away all the items of one letter (``new``/``old`` documents row) in ``item_tally``."""
    return (
        f"INSERT INTO item_tally ({', '.join(ITEM_KEYS + ITEM_SUMS)}) "
        f"SELECT g.kind, g.key, coalesce({d}.status, ''), {month(d)}, {exact(d)}, {sign}1, {sign}count(*), "
        f"{sign}total(g.decision = 'Upheld'), {sign}total(g.decision = 'Overturned') "
        f"FROM item_groups g WHERE g.doc_id = {d}.id AND {_COUNTED.format(d=d)} GROUP BY g.kind, g.key "
        f"{_upsert('item_tally', ITEM_KEYS, ITEM_SUMS)};"
    )


def _one_item(f: str, sign: str) -> str:
    """Add or take away one item row (``new``/``old`` of item_facts): a letter counts in a group while any of
    its items does, so its letter is counted when the first such item comes and the last one goes."""
    decision = f"{f}.decision"
    return (
        f"INSERT INTO item_tally ({', '.join(ITEM_KEYS + ITEM_SUMS)}) "
        f"SELECT g.kind, g.key, coalesce(d.status, ''), {month('d')}, {exact('d')}, "
        f"{sign}(NOT EXISTS (SELECT 1 FROM item_groups o WHERE o.doc_id = {f}.doc_id AND o.idx != {f}.idx "
        f"AND o.kind = g.kind AND o.key = g.key)), {sign}1, "
        f"{sign}coalesce({decision} = 'Upheld', 0), {sign}coalesce({decision} = 'Overturned', 0) "
        f"FROM ({_item_groups(f)}) g, documents d WHERE d.id = {f}.doc_id AND {_COUNTED.format(d='d')} "
        f"{_upsert('item_tally', ITEM_KEYS, ITEM_SUMS)};"
    )


_LETTER_COLUMNS = (
    "status",
    "decision_date",
    "format",
    "error_code",
    "removed_at",
    "specialty",
    "n_items",
    "n_upheld",
    "n_overturned",
    "n_low",
    "n_corrected",
    "n_confirmed",
)
_ITEM_COLUMNS = ("status", "decision_date", "error_code", "removed_at")


def _changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"old.{c} IS NOT new.{c}" for c in columns)


TRIGGERS = {
    "tally_document_insert": f"AFTER INSERT ON documents BEGIN {_letter_row('new', '+')} "
    f"{_letter_items('new', '+')} END",
    "tally_document_delete": f"AFTER DELETE ON documents BEGIN {_letter_row('old', '-')} "
    f"{_letter_items('old', '-')} END",
    "tally_document_letter": f"AFTER UPDATE ON documents WHEN {_changed(_LETTER_COLUMNS)} BEGIN "
    f"{_letter_row('old', '-')} {_letter_row('new', '+')} END",
    "tally_document_items": f"AFTER UPDATE ON documents WHEN {_changed(_ITEM_COLUMNS)} BEGIN "
    f"{_letter_items('old', '-')} {_letter_items('new', '+')} END",
    "tally_item_insert": f"AFTER INSERT ON item_facts BEGIN {_one_item('new', '+')} END",
    "tally_item_delete": f"AFTER DELETE ON item_facts BEGIN {_one_item('old', '-')} END",
    "tally_item_update": f"AFTER UPDATE ON item_facts BEGIN {_one_item('old', '-')} {_one_item('new', '+')} END",
}


def create(conn: sqlite3.Connection) -> None:
    """Schema 6: the two summary tables, the view and triggers that keep them, counted from what is stored
    (one pass over the letters and items, in SQL), and the decision-date index the first and last decision
    are read from."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS letter_tally (status TEXT NOT NULL, month TEXT NOT NULL, "
        "exact INTEGER NOT NULL, format TEXT NOT NULL, error_code TEXT NOT NULL, specialty TEXT NOT NULL, "
        "letters INTEGER NOT NULL, items INTEGER NOT NULL, upheld INTEGER NOT NULL, "
        "overturned INTEGER NOT NULL, low INTEGER NOT NULL, corrected INTEGER NOT NULL, "
        "confirmed INTEGER NOT NULL, PRIMARY KEY (status, month, exact, format, error_code, specialty)) "
        "WITHOUT ROWID"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS item_tally (kind TEXT NOT NULL, key TEXT NOT NULL, status TEXT NOT NULL, "
        "month TEXT NOT NULL, exact INTEGER NOT NULL, letters INTEGER NOT NULL, items INTEGER NOT NULL, "
        "upheld INTEGER NOT NULL, overturned INTEGER NOT NULL, "
        "PRIMARY KEY (kind, key, status, month, exact)) WITHOUT ROWID"
    )
    conn.execute(ITEM_GROUPS_VIEW)
    conn.execute("CREATE INDEX IF NOT EXISTS documents_decision_date ON documents (decision_date)")
    rebuild(conn)
    for name, body in TRIGGERS.items():
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
        conn.execute(f"CREATE TRIGGER {name} {body}")


def _counted() -> tuple[str, str]:
    """The two tables' rows counted from scratch (SELECTs in the tables' column order)."""
    keys = (
        f"coalesce(d.status, ''), {month('d')}, {exact('d')}, json_quote(d.format), json_quote(d.error_code), "
        "json_quote(d.specialty)"
    )
    letters = (
        f"SELECT {keys}, count(*), total(coalesce(n_items, 0)), total(coalesce(n_upheld, 0)), "
        "total(coalesce(n_overturned, 0)), total(coalesce(n_low, 0)), total(coalesce(n_corrected, 0)), "
        "total(coalesce(n_confirmed, 0)) FROM documents d WHERE d.removed_at IS NULL GROUP BY 1, 2, 3, 4, 5, 6"
    )
    items = (
        f"SELECT g.kind, g.key, coalesce(d.status, ''), {month('d')}, {exact('d')}, count(DISTINCT g.doc_id), "
        "count(*), total(g.decision = 'Upheld'), total(g.decision = 'Overturned') "
        f"FROM item_groups g JOIN documents d ON d.id = g.doc_id WHERE {_COUNTED.format(d='d')} "
        "GROUP BY 1, 2, 3, 4, 5"
    )
    return letters, items


def rebuild(conn: sqlite3.Connection) -> None:
    """Count both summary tables again from ``documents`` and ``item_facts`` (the triggers keep them after)."""
    letters, items = _counted()
    conn.execute("DELETE FROM letter_tally")
    conn.execute("DELETE FROM item_tally")
    conn.execute(f"INSERT INTO letter_tally ({', '.join(LETTER_KEYS + LETTER_SUMS)}) {letters}")
    conn.execute(f"INSERT INTO item_tally ({', '.join(ITEM_KEYS + ITEM_SUMS)}) {items}")


def differences(conn: sqlite3.Connection) -> list[str]:
    """How the summary tables differ from a count from scratch (read only; [] when they agree): what
    ``imrdesk check`` reports, since a wrong count would show as a right-looking figure."""
    letters, items = _counted()
    found = []
    for table, counted, sums in (("letter_tally", letters, LETTER_SUMS), ("item_tally", items, ITEM_SUMS)):
        kept = f"SELECT * FROM {table} WHERE " + " OR ".join(f"{s} != 0" for s in sums)
        for name, a, b in (("missing from", counted, kept), ("not in the letters but in", kept, counted)):
            n = conn.execute(f"SELECT count(*) FROM ({a} EXCEPT {b})").fetchone()[0]
            if n:
                found.append(f"{n} pre-counted row{'s' if n != 1 else ''} {name} {table}")
    return found
