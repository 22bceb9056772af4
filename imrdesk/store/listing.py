"""Letters as rows of a list (derived columns only: no record is rebuilt) and the full-text search."""

from __future__ import annotations

import sqlite3

from ..record.types import DocumentInfo, ListRow
from .errors import SearchError
from .search import fts_query, search_message

LIST_COLUMNS = (
    "id, case_number, file_name, kind, format, pages, status, error_code, error_message, n_items, "
    "n_upheld, n_overturned, n_low, imported_at, decision_date, sha256, "
    "(SELECT count(*) FROM findings WHERE findings.doc_id = documents.id)"
)


def list_row(r) -> ListRow:
    return {
        "id": r[0],
        "case_number": r[1],
        "file_name": r[2],
        "kind": r[3],
        "format": r[4],
        "pages": r[5],
        "status": r[6],
        "error": {"code": r[7], "message": r[8]} if r[7] else None,
        "items": r[9],
        "upheld": r[10],
        "overturned": r[11],
        "low_confidence": r[12],
        "imported_at": r[13],
        "decision_date": r[14],
        "sha256": r[15],
        "findings": r[16],
    }


def fts_execute(conn: sqlite3.Connection, sql: str, params, query: str | None) -> list:
    """Run a query with a full-text MATCH; SearchError with a message for a person when FTS5 cannot parse
    what was typed."""
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        msg = str(exc)
        if "fts5" in msg or "unterminated string" in msg or "no such column" in msg or "MATCH" in msg:
            raise SearchError(search_message(query or "", msg)) from None
        raise


def list_documents(
    conn: sqlite3.Connection, *, query: str | None, status: str | None, limit: int, offset: int
) -> list[ListRow]:
    where, params = [], []
    if status:
        where.append("status = ?")
        params.append(status)
    if query and query.strip():
        where.append("id IN (SELECT rowid FROM doc_text_fts WHERE doc_text_fts MATCH ?)")
        params.append(fts_query(query))
    sql = f"SELECT {LIST_COLUMNS} FROM documents"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id LIMIT ? OFFSET ?"
    rows = fts_execute(conn, sql, (*params, int(limit), int(offset)), query)
    return [list_row(r) for r in rows]


def document_info(conn: sqlite3.Connection, doc_id: int) -> DocumentInfo | None:
    """A letter's list row and its details (notes are the store's to add); None for an unknown letter."""
    row = conn.execute(
        f"SELECT {LIST_COLUMNS}, source_path, size, extracted_at, extractor, n_corrected, n_confirmed "
        "FROM documents WHERE id = ?",
        (doc_id,),
    ).fetchone()
    if row is None:
        return None
    info: DocumentInfo = list_row(row)  # type: ignore[assignment]
    info.update(
        source_path=row[17],
        size=row[18],
        extracted_at=row[19],
        extractor=row[20],
        corrected=row[21],
        confirmed=row[22],
        notes=[],
    )
    return info


def search(conn: sqlite3.Connection, query: str, limit: int, markers: tuple[str, str]) -> list[dict]:
    match = fts_query(query)
    rows = fts_execute(
        conn,
        "SELECT f.rowid, d.case_number, d.file_name, "
        "snippet(doc_text_fts, -1, ?, ?, '…', 24) FROM doc_text_fts f JOIN documents d ON d.id = f.rowid "
        "WHERE doc_text_fts MATCH ? ORDER BY f.rank LIMIT ?",
        (markers[0], markers[1], match, int(limit)),
        query,
    )
    return [
        {"doc_id": r[0], "case_number": r[1], "file_name": r[2], "snippet": " ".join(r[3].split())}
        for r in rows
    ]
