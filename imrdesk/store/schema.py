"""The database schema and every upgrade of it, in one place (``PRAGMA user_version``):

1. letters, their original bytes, extracted values, provenance, corrections, audit, notes, full-text index;
2. ``dismissals`` (reviewers' decisions that a finding is not a problem) and ``findings`` (derived: the open
   findings of each letter's effective record);
3. ``documents.n_confirmed`` (values a reviewer confirmed as extracted, apart from those corrected),
   ``documents.removed_at`` (a letter taken out of the dataset, recoverable), and the dataset views
   (``views.py``, recreated whenever the field registry changes them);
4. ``documents.ocr`` (how a scanned letter was read by OCR: the record's ``ocr`` key, kept with the letter's
   identity instead of among its correctable values) and ``documents.categories`` (derived: the treatment
   categories of the letter's items, for the list's filter);
5. ``item_facts`` (derived: each item's decision, treatment category, normalised treatment name and the
   guideline families MAXIMUS cited), ``documents.specialty`` and ``documents.corrected`` (derived: the
   reviewer's first specialty, the paths of changed values), so figures and exports are SQL (``facts.py``);
6. ``letter_tally`` and ``item_tally`` (derived: the figures pre-counted, kept by triggers; ``summary.py``)
   and an index on ``documents.decision_date``;
7. ``corrections.source`` (where a reviewer's value read off the page was read: its page and words' boxes).

:func:`migrate` brings any older file up to :data:`SCHEMA_VERSION` in one transaction; the store's module doc
describes each table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from ..record.registry import ITEM_LISTS, ITEM_TEXT
from . import summary
from .errors import StoreError
from .views import ensure_views

SCHEMA_VERSION = 7


def create_v1(db) -> None:
    """Create the schema-1 tables in ``db`` (a sqlite_utils Database, inside the migration's transaction)."""
    db["documents"].create(
        {
            "id": int,
            "sha256": str,
            "file_name": str,
            "source_path": str,
            "kind": str,
            "size": int,
            "format": str,
            "pages": int,
            "status": str,
            "error_code": str,
            "error_message": str,
            "imported_at": str,
            "extracted_at": str,
            "extractor": str,
            "layout": str,  # JSON: key order of the record, its items and citations
            # derived from the effective record (corrections applied), refreshed on every write
            "case_number": str,
            "decision_date": str,
            "n_items": int,
            "n_upheld": int,
            "n_overturned": int,
            "n_low": int,
            "n_fields": int,
            "n_corrected": int,
        },
        pk="id",
        not_null={"sha256", "file_name", "kind", "status", "imported_at"},
        defaults={"status": "new", "n_items": 0, "n_upheld": 0, "n_overturned": 0, "n_low": 0},
        if_not_exists=True,
    )
    db["documents"].create_index(["sha256"], unique=True, if_not_exists=True)
    db["documents"].create_index(["case_number"], if_not_exists=True)
    db["documents"].create_index(["status"], if_not_exists=True)
    fk = [("doc_id", "documents", "id")]
    db["files"].create({"doc_id": int, "content": bytes}, pk="doc_id", foreign_keys=fk, if_not_exists=True)
    db.execute(
        "CREATE TRIGGER IF NOT EXISTS files_bytes_ro BEFORE UPDATE OF content ON files BEGIN "
        "SELECT RAISE(ABORT, 'original files are never modified'); END"
    )
    db["fields"].create(
        {"doc_id": int, "path": str, "ord": int, "value": str},
        pk=("doc_id", "path"),
        foreign_keys=fk,
        not_null={"ord"},
        if_not_exists=True,
    )
    db["items"].create(
        {
            "id": int,
            "doc_id": int,
            "idx": int,
            **{k: str for k in ITEM_TEXT},
            **{k: str for k in ITEM_LISTS},
            "extra": str,
        },
        pk="id",
        foreign_keys=fk,
        not_null={"doc_id", "idx"},
        if_not_exists=True,
    )
    db["items"].create_index(["doc_id", "idx"], unique=True, if_not_exists=True)
    db["citations"].create(
        {
            "id": int,
            "item_id": int,
            "doc_id": int,
            "party": str,
            "ord": int,
            "source": str,
            "title": str,
            "chapter": str,
            "section": str,
            "pages": str,
            "year": int,
            "text": str,
            "families": str,
            "extra": str,
        },
        pk="id",
        foreign_keys=[("item_id", "items", "id"), ("doc_id", "documents", "id")],
        not_null={"item_id", "doc_id", "party", "ord"},
        if_not_exists=True,
    )
    db["citations"].create_index(["item_id", "party", "ord"], if_not_exists=True)
    db["citations"].create_index(["doc_id"], if_not_exists=True)
    db["provenance"].create(
        {
            "doc_id": int,
            "path": str,
            "page": int,
            "confidence": float,
            "boxes": str,
            "spans": str,
            "extra": str,
        },
        pk=("doc_id", "path"),
        foreign_keys=fk,
        if_not_exists=True,
    )
    db["corrections"].create(
        {"doc_id": int, "path": str, "value": str, "at": str, "user": str},
        pk=("doc_id", "path"),
        foreign_keys=fk,
        not_null={"at"},
        if_not_exists=True,
    )
    db["audit"].create(
        {"id": int, "doc_id": int, "path": str, "old": str, "new": str, "at": str, "user": str},
        pk="id",
        foreign_keys=fk,
        not_null={"doc_id", "path", "at"},
        if_not_exists=True,
    )
    db["audit"].create_index(["doc_id", "id"], if_not_exists=True)
    db["notes"].create(
        {"id": int, "doc_id": int, "at": str, "user": str, "text": str},
        pk="id",
        foreign_keys=fk,
        not_null={"doc_id", "at", "text"},
        if_not_exists=True,
    )
    db["notes"].create_index(["doc_id"], if_not_exists=True)
    db["doc_text"].create(
        {
            "doc_id": int,
            "case_number": str,
            "file_name": str,
            "summary": str,
            "treatments": str,
            "rationales": str,
            "guidelines": str,
        },
        pk="doc_id",
        foreign_keys=fk,
        if_not_exists=True,
    )
    db["doc_text"].enable_fts(
        ["case_number", "file_name", "summary", "treatments", "rationales", "guidelines"],
        fts_version="FTS5",
        create_triggers=True,
        tokenize="porter unicode61 remove_diacritics 2",
        replace=True,
    )


def create_v2(db) -> None:
    """The schema-2 tables: dismissals and derived findings."""
    fk = [("doc_id", "documents", "id")]
    db["dismissals"].create(
        {"doc_id": int, "key": str, "rule": str, "path": str, "message": str, "at": str, "user": str},
        pk=("doc_id", "key"),
        foreign_keys=fk,
        not_null={"at"},
        if_not_exists=True,
    )
    db["findings"].create(
        {"doc_id": int, "key": str, "ord": int, "rule": str, "path": str, "message": str},
        pk=("doc_id", "key"),
        foreign_keys=fk,
        not_null={"ord"},
        if_not_exists=True,
    )
    db["findings"].create_index(["rule"], if_not_exists=True)


def user_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def check_version(conn: sqlite3.Connection, name: str) -> int:
    """The file's schema version; StoreError when a newer imrdesk wrote it or another program owns it."""
    version = user_version(conn)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{name} was written by a newer imrdesk (schema {version}; this version reads "
            f"up to {SCHEMA_VERSION}). Update imrdesk to open it."
        )
    if version == 0:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if names and "documents" not in names:
            raise StoreError(f"{name} is an SQLite database of some other program, not imrdesk's.")
    return version


def create_v3(conn: sqlite3.Connection) -> None:
    """Schema 3: confirmed values counted apart from corrected ones; letters removed from the dataset."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(documents)")}
    if "n_confirmed" not in columns:
        conn.execute("ALTER TABLE documents ADD COLUMN n_confirmed INTEGER NOT NULL DEFAULT 0")
    if "removed_at" not in columns:
        conn.execute("ALTER TABLE documents ADD COLUMN removed_at TEXT")
    conn.execute("CREATE INDEX IF NOT EXISTS documents_removed ON documents (removed_at)")


def create_v4(conn: sqlite3.Connection) -> None:
    """Schema 4: the OCR reading of a scanned letter, and the derived treatment categories of its items.
    Schema-3 files kept the ``ocr`` key as the values ``ocr.engine``, ``ocr.pages`` … : they move here."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(documents)")}
    for column in ("ocr", "categories"):
        if column not in columns:
            conn.execute(f"ALTER TABLE documents ADD COLUMN {column} TEXT")
    moved = conn.execute(
        "SELECT doc_id, json_group_object(substr(path, 5), json(value)) FROM fields "
        "WHERE path LIKE 'ocr.%' GROUP BY doc_id"
    ).fetchall()
    conn.executemany("UPDATE documents SET ocr = ? WHERE id = ?", [(o, d) for d, o in moved])
    conn.execute("DELETE FROM fields WHERE path LIKE 'ocr.%'")


def create_v5(conn: sqlite3.Connection) -> None:
    """Schema 5: the facts figures count, derived from each letter's effective record (``facts.py``)."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(documents)")}
    for column in ("specialty", "corrected"):
        if column not in columns:
            conn.execute(f"ALTER TABLE documents ADD COLUMN {column} TEXT")
    # WITHOUT ROWID: a letter's items sit together in the primary key's order, which is how they are read
    conn.execute(
        "CREATE TABLE IF NOT EXISTS item_facts (doc_id INTEGER NOT NULL REFERENCES documents(id), "
        "idx INTEGER NOT NULL, decision TEXT, category TEXT NOT NULL, treatment TEXT NOT NULL, "
        "families TEXT NOT NULL, PRIMARY KEY (doc_id, idx)) WITHOUT ROWID"
    )


def create_v7(conn: sqlite3.Connection) -> None:
    """Schema 7: where a reviewer's value read off the page was read (``corrections.source``: the page and
    its words' boxes, JSON; NULL for a value typed in)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(corrections)")}
    if "source" not in columns:
        conn.execute("ALTER TABLE corrections ADD COLUMN source TEXT")


def migrate(conn: sqlite3.Connection, name: str, backfill: Callable[[int], None]) -> None:
    """Upgrade the file to :data:`SCHEMA_VERSION` inside the caller's transaction. ``backfill(version)``
    recomputes what that version derives for the letters already stored (the store's, since it needs the
    record loader): 2, the findings of every letter; 3, the confirmed/corrected counts of corrected ones; 5, the
    item facts, treatment categories (schema 4's column) and specialty of every letter and the changed values
    of corrected ones — one pass over the letters for both versions."""
    version = check_version(conn, name)  # again inside the transaction: another process may have won
    if version < SCHEMA_VERSION:
        # sqlite-utils (and the numpy it loads) only here, to create or upgrade tables: imported at every
        # open, it cost a tenth of a second at each start of the command line and of each import
        import sqlite_utils

        db = sqlite_utils.Database(conn, execute_plugins=False)
        if version == 0:
            create_v1(db)
        if version < 2:
            create_v2(db)
            backfill(2)  # the rules now run on the effective record
        if version < 3:
            create_v3(conn)
            if version:
                backfill(3)
        if version < 4:
            create_v4(conn)  # its categories are derived with the item facts below (5)
        if version < 5:
            create_v5(conn)
            if version:
                backfill(5)
        if version < 6:
            summary.create(conn)  # counted from the item facts above
        if version < 7:
            create_v7(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    ensure_views(conn)
