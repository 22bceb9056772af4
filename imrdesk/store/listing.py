"""Letters as rows of a list (derived columns only: no record is rebuilt) and the full-text search."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..record.types import DocumentInfo, ListRow
from .errors import SearchError
from .search import fts_query, search_message

LIST_COLUMNS = (
    "id, case_number, file_name, kind, format, pages, status, error_code, error_message, n_items, "
    "n_upheld, n_overturned, n_low, imported_at, decision_date, sha256, "
    "(SELECT count(*) FROM findings WHERE findings.doc_id = documents.id), ocr IS NOT NULL"
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
        "ocr": bool(r[17]),
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
    where, params = ["removed_at IS NULL"], []
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
        source_path=row[18],
        size=row[19],
        extracted_at=row[20],
        extractor=row[21],
        corrected=row[22],
        confirmed=row[23],
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


# ---------------------------------------------------------------------------- the list at any size
# The window's list asks SQL for the ordered ids of the letters a filter selects (ints: 100,000 of them are
# under a megabyte) and for their rows a page at a time, as they scroll into view; the filter's counts come
# from one aggregate query. Nothing is loaded or counted in Python per letter.

STATUS_FILTERS = {
    "all": "1",
    "to_review": "d.error_code IS NULL AND d.status IN ('new', 'in_review')",
    "new": "d.error_code IS NULL AND d.status = 'new'",
    "in_review": "d.error_code IS NULL AND d.status = 'in_review'",
    "reviewed": "d.error_code IS NULL AND d.status = 'reviewed'",
    "flagged": "d.error_code IS NULL AND d.status = 'flagged'",
    "findings": "d.error_code IS NULL AND EXISTS (SELECT 1 FROM findings f WHERE f.doc_id = d.id)",
    "failed": "d.error_code IS NOT NULL",
}
_SPECIALTY = (
    "(SELECT coalesce((SELECT c.value FROM corrections c WHERE c.doc_id = d.id AND c.path = 'reviewer.specialties'), "
    "(SELECT f.value FROM fields f WHERE f.doc_id = d.id AND f.path = 'reviewer.specialties')))"
)
SORT_KEYS = {
    "id": "d.id",
    "case": "coalesce(d.case_number, d.file_name) COLLATE NOCASE",
    "decided": "d.decision_date",
    "items": "d.n_items",
    "upheld": "d.n_upheld",
    "overturned": "d.n_overturned",
    "to_check": "d.n_low",
    "findings": "(SELECT count(*) FROM findings f WHERE f.doc_id = d.id)",
    "status": "CASE WHEN d.error_code IS NOT NULL THEN 'failed' ELSE d.status END",
    "specialty": f"json_extract({_SPECIALTY}, '$[0]') COLLATE NOCASE",
    "imported": "d.imported_at",
    "source": "d.ocr IS NOT NULL",
}


@dataclass(frozen=True)
class ListQuery:
    """Which letters the list shows, in which order. Every part is optional; they combine with AND."""

    status: str = "all"  # a key of STATUS_FILTERS
    search: str | None = None  # full-text query (SearchError when unparsable)
    decision: str | None = None  # "upheld" / "overturned": letters with at least one such item
    date_from: str | None = None  # decision date, ISO, inclusive
    date_to: str | None = None
    specialty: str | None = None  # words in the reviewer's specialties
    category: str | None = None  # letters with an item of this treatment category (extract.categories)
    source: str | None = None  # "ocr": letters read from a scan by OCR; "text": the others
    removed: bool = False  # the letters taken out of the dataset instead of those in it
    sort: str = "id"  # a key of SORT_KEYS
    descending: bool = False


def _where(q: ListQuery, *, with_status: bool = True, with_search: bool = True) -> tuple[str, list]:
    where = ["d.removed_at IS NOT NULL" if q.removed else "d.removed_at IS NULL"]
    params: list = []
    if with_status:
        where.append(STATUS_FILTERS.get(q.status, "1"))
    if with_search and q.search and q.search.strip():
        where.append("d.id IN (SELECT rowid FROM doc_text_fts WHERE doc_text_fts MATCH ?)")
        params.append(fts_query(q.search))
    if q.decision == "upheld":
        where.append("d.n_upheld > 0")
    elif q.decision == "overturned":
        where.append("d.n_overturned > 0")
    if q.date_from:
        where.append("d.decision_date >= ?")
        params.append(q.date_from)
    if q.date_to:
        where.append("d.decision_date <= ?")
        params.append(q.date_to)
    if q.specialty and q.specialty.strip():
        where.append(f"{_SPECIALTY} LIKE ?")
        params.append("%" + q.specialty.strip().replace("%", "").replace("_", " ") + "%")
    if q.category:
        where.append("d.categories LIKE ?")  # a JSON list of quoted names: '"imaging"' matches only itself
        params.append('%"' + q.category.replace("%", "").replace("_", " ") + '"%')
    if q.source == "ocr":
        where.append("d.ocr IS NOT NULL")
    elif q.source == "text":
        where.append("d.ocr IS NULL")
    return " AND ".join(where), params


def list_ids(conn: sqlite3.Connection, q: ListQuery, limit: int | None = None) -> list[int]:
    """The ids of the letters the query selects, in its order (ties by import order); ``limit``: the first
    ones only."""
    order = SORT_KEYS.get(q.sort, "d.id")
    direction = "DESC" if q.descending else "ASC"
    if order == "d.id" and q.search and q.search.strip():
        # in import order the full-text index leads: it gives its matches in that order, so the first
        # screenfuls come at once (a common word's million matches are not gathered first)
        where, params = _where(q, with_search=False)
        sql = (
            "SELECT d.id FROM doc_text_fts f JOIN documents d ON d.id = f.rowid "
            f"WHERE doc_text_fts MATCH ? AND {where} ORDER BY f.rowid {direction}"
        )
        params = [fts_query(q.search), *params]
    else:
        where, params = _where(q)
        sql = f"SELECT d.id FROM documents d WHERE {where} ORDER BY {order} {direction}, d.id {direction}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [r[0] for r in fts_execute(conn, sql, params, q.search)]


def list_rows(conn: sqlite3.Connection, ids: list[int]) -> dict[int, ListRow]:
    """The list rows of some letters (a page of the list), by id, with the reviewer's first specialty."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = {}
    for r in conn.execute(
        f"SELECT {LIST_COLUMNS}, json_extract({_SPECIALTY.replace('d.id', 'documents.id')}, '$[0]') "
        f"FROM documents WHERE id IN ({marks})",
        list(ids),
    ):
        row = list_row(r)
        row["specialty"] = r[18]  # type: ignore[typeddict-unknown-key]
        rows[row["id"]] = row
    return rows


def list_counts(conn: sqlite3.Connection, q: ListQuery) -> dict:
    """For the query's other filters: how many letters each status filter would show, and, for the
    letters the query itself shows, the values to check and the open findings."""
    where, params = _where(q, with_status=False)
    sums = ", ".join(f"sum({cond})" for cond in STATUS_FILTERS.values())
    row = fts_execute(conn, f"SELECT {sums} FROM documents d WHERE {where}", params, q.search)[0]
    counts = {key: int(n or 0) for key, n in zip(STATUS_FILTERS, row, strict=True)}
    where, params = _where(q)
    checks, findings = fts_execute(
        conn,
        "SELECT total(CASE WHEN d.error_code IS NULL THEN d.n_low END), "
        "(SELECT count(*) FROM findings f JOIN documents d2 ON d2.id = f.doc_id WHERE d2.error_code IS NULL "
        f"AND f.doc_id IN (SELECT d.id FROM documents d WHERE {where})) FROM documents d WHERE {where}",
        params + params,
        q.search,
    )[0]
    total, removed = conn.execute(
        "SELECT sum(removed_at IS NULL), sum(removed_at IS NOT NULL) FROM documents"
    ).fetchone()
    return {
        "by_status": counts,
        "total": int(total or 0),
        "removed": int(removed or 0),
        "to_check": int(checks or 0),
        "findings": int(findings or 0),
    }


# a letter with something to check: a value below the threshold (n_low counts those a rule doubts too) or a
# finding about the letter as a whole (it has no value to lower) — what the review queue would list
HAS_CHECKS = "(n_low > 0 OR EXISTS (SELECT 1 FROM findings f WHERE f.doc_id = documents.id))"


def next_waiting(
    conn: sqlite3.Connection, ids: list[int], start: int, skip: int | None, *, with_checks: bool = False
) -> int | None:
    """The first letter still to review (new or in review, readable) in ``ids`` from position ``start``,
    wrapping round; ``skip``: a letter not to return (the one just reviewed); ``with_checks``: only a letter
    with something to check."""
    checks = f" AND {HAS_CHECKS}" if with_checks else ""
    order = ids[start:] + ids[:start]
    for begin in range(0, len(order), 500):
        chunk = order[begin : begin + 500]
        marks = ",".join("?" * len(chunk))
        waiting = {
            r[0]
            for r in conn.execute(
                f"SELECT id FROM documents WHERE id IN ({marks}) AND error_code IS NULL "
                f"AND status IN ('new', 'in_review'){checks}",
                chunk,
            )
        }
        for doc_id in chunk:
            if doc_id in waiting and doc_id != skip:
                return doc_id
    return None


def snippets(
    conn: sqlite3.Connection, query: str, ids: list[int], markers: tuple[str, str]
) -> dict[int, str]:
    """Search snippets of some letters (the rows on screen), matched words between ``markers``."""
    if not ids or not (query or "").strip():
        return {}
    marks = ",".join("?" * len(ids))
    rows = fts_execute(
        conn,
        "SELECT rowid, snippet(doc_text_fts, -1, ?, ?, '…', 24) FROM doc_text_fts "
        f"WHERE doc_text_fts MATCH ? AND rowid IN ({marks})",
        (markers[0], markers[1], fts_query(query), *ids),
        query,
    )
    return {r[0]: " ".join((r[1] or "").split()) for r in rows}
