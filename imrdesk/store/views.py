"""SQL views of the reviewed dataset, for tools that read SQLite directly (Datasette, DB Browser for SQLite,
DuckDB): the values a reviewer decided — a correction where there is one, else the extracted value — without
knowing how the store keeps them apart. Generated from the field registry, so a field added there is a
column here; :func:`ensure_views` recreates them when their definition changes.

- ``dataset_letters``   one row per letter: identity, review status, error, every letter field.
- ``dataset_items``     one row per disputed item: ``doc_id``, ``item_index`` and every item field.
- ``dataset_citations`` one row per structured guideline citation: ``doc_id``, ``item_index``, ``party``
  (claims_administrator or maximus), ``ord`` and the citation's parts.

List values (specialties, diagnoses, guideline families) are joined with "; ". Letters a reviewer removed
from the dataset are left out.
"""

from __future__ import annotations

import sqlite3

from ..record.registry import CITATION_COLUMNS, ITEM_FIELDS, LETTER_FIELDS, PARTIES

LIST_KINDS = ("list", "lines", "sources")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _value(json_expr: str, kind: str) -> str:
    """A stored JSON value as an SQL value: scalars unwrapped, lists joined with "; "."""
    if kind in LIST_KINDS:
        return f"(SELECT group_concat(j.value, '; ') FROM json_each({json_expr}) j)"
    return f"json_extract({json_expr}, '$')"


def _letters_sql() -> str:
    columns = []
    for spec in LETTER_FIELDS:
        if spec.kind == "citations":
            continue
        path = _quote(spec.key)
        effective = (
            f"coalesce((SELECT c.value FROM corrections c WHERE c.doc_id = d.id AND c.path = {path}), "
            f"(SELECT f.value FROM fields f WHERE f.doc_id = d.id AND f.path = {path}))"
        )
        columns.append(f"{_value(effective, spec.kind)} AS {spec.column}")
    return (
        "SELECT d.id AS doc_id, d.file_name AS file, d.sha256, d.format, d.pages, d.status AS review_status, "
        "d.error_code, d.error_message, "
        + ", ".join(columns)
        + " FROM documents d WHERE d.removed_at IS NULL"
    )


def _items_sql() -> str:
    columns = []
    for spec in ITEM_FIELDS:
        if spec.kind == "citations":
            continue
        correction = (
            "(SELECT c.value FROM corrections c WHERE c.doc_id = i.doc_id "
            f"AND c.path = 'items[' || i.idx || '].{spec.key}')"
        )
        if spec.kind in LIST_KINDS:  # stored as JSON in both places
            columns.append(f"{_value(f'coalesce({correction}, i.{spec.key})', spec.kind)} AS {spec.key}")
        else:  # the items table holds plain text; a correction is JSON (a cleared value: null, in force)
            columns.append(
                f"CASE WHEN {correction} IS NULL THEN i.{spec.key} "
                f"ELSE json_extract({correction}, '$') END AS {spec.key}"
            )
    return (
        "SELECT i.doc_id, i.idx AS item_index, " + ", ".join(columns) + " FROM items i "
        "JOIN documents d ON d.id = i.doc_id WHERE d.removed_at IS NULL"
    )


def _citations_sql() -> str:
    parts = [c for c in CITATION_COLUMNS if c != "families"]
    corrected_path = "'items[' || i.idx || '].' || {party} || '_citations'"
    stored = (
        "SELECT c.doc_id, i.idx AS item_index, c.party, c.ord, "
        + ", ".join(f"c.{p}" for p in parts)
        + " FROM citations c JOIN items i ON i.id = c.item_id JOIN documents d ON d.id = c.doc_id "
        "WHERE d.removed_at IS NULL AND NOT EXISTS (SELECT 1 FROM corrections k WHERE k.doc_id = c.doc_id "
        f"AND k.path = {corrected_path.format(party='c.party')})"
    )
    parties = " UNION ALL ".join(f"SELECT {_quote(p)} AS party" for p in PARTIES)
    corrected = (
        "SELECT i.doc_id, i.idx AS item_index, p.party, CAST(j.key AS INTEGER) AS ord, "
        + ", ".join(f"json_extract(j.value, '$.{part}') AS {part}" for part in parts)
        + f" FROM items i JOIN documents d ON d.id = i.doc_id JOIN ({parties}) p "
        f"JOIN corrections k ON k.doc_id = i.doc_id AND k.path = {corrected_path.format(party='p.party')} "
        "JOIN json_each(k.value) j WHERE d.removed_at IS NULL"
    )
    return f"{stored} UNION ALL {corrected}"


VIEWS = {
    "dataset_letters": _letters_sql,
    "dataset_items": _items_sql,
    "dataset_citations": _citations_sql,
}


def ensure_views(conn: sqlite3.Connection) -> bool:
    """Create the views, or recreate those whose definition changed (inside the caller's transaction);
    True when something was written."""
    existing = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'").fetchall())
    changed = False
    for name, build in VIEWS.items():
        sql = f"CREATE VIEW {name} AS {build()}"
        if existing.get(name) == sql:
            continue
        conn.execute(f"DROP VIEW IF EXISTS {name}")
        conn.execute(sql)
        changed = True
    return changed


def views_current(conn: sqlite3.Connection) -> bool:
    existing = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'").fetchall())
    return all(existing.get(name) == f"CREATE VIEW {name} AS {build()}" for name, build in VIEWS.items())
