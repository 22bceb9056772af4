"""Storing one extracted letter: new bytes become a letter, the same bytes again a duplicate, a re-reading
replaces the extracted values and keeps every correction; a case number already stored flags the letter."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..record.types import Record, StoredResult
from .audit import SYSTEM_USER, audit, note, now
from .records import delete_extracted, dumps, insert_extracted, layout, refresh


def document_kind(name: str, data: bytes) -> str:
    if data[:1024].lstrip()[:5] == b"%PDF-" or b"%PDF-" in data[:1024]:
        return "pdf"
    return "pdf" if name.lower().endswith(".pdf") else "txt"


def label(conn: sqlite3.Connection, doc_id: int) -> str:
    """How a letter is named in messages: ``#12 CM16-0213037 (file.pdf)``."""
    row = conn.execute("SELECT case_number, file_name FROM documents WHERE id = ?", (doc_id,)).fetchone()
    if row is None:
        return f"#{doc_id}"
    case, name = row
    return f"#{doc_id} {case} ({name})" if case else f"#{doc_id} ({name})"


@dataclass(frozen=True)
class NewLetter:
    """One extracted letter to store with its original bytes (see :meth:`imrdesk.store.Store.add_records`)."""

    record: Record
    data: bytes
    source_path: str | None = None
    replace: bool = False


def add_record(
    conn: sqlite3.Connection,
    record: Record,
    data: bytes,
    *,
    source_path: str | None = None,
    replace: bool = False,
) -> StoredResult:
    """Store one extracted letter and its original bytes (inside the caller's transaction); see
    :meth:`imrdesk.store.Store.add_record`."""
    data = bytes(data or b"")
    sha = hashlib.sha256(data).hexdigest() if data else None
    if record.get("sha256") and sha and record["sha256"] != sha:
        raise ValueError("The record's sha256 does not match the bytes given with it.")
    sha = record.get("sha256") or sha or hashlib.sha256(b"").hexdigest()
    name = record.get("file") or (Path(source_path).name if source_path else "letter")
    error = record.get("error") or None
    ocr = dumps(record["ocr"]) if record.get("ocr") else None  # how a scan was read; not a value to correct
    row = conn.execute("SELECT id, status FROM documents WHERE sha256 = ?", (sha,)).fetchone()
    if row and not replace:
        doc_id = row[0]
        info = label(conn, doc_id)
        return {
            "status": "duplicate",
            "doc_id": doc_id,
            "case_duplicate": False,
            "message": f"Already in the database as {info}.",
        }
    at = now()
    old_case = None
    if row:
        doc_id, old_status = row
        old_extractor, old_case = conn.execute(
            "SELECT extractor, case_number FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()
        delete_extracted(conn, doc_id)
        status = old_status
        if error and old_status == "new":
            status = "failed"
        elif not error and old_status == "failed":
            status = "new"
        conn.execute(
            "UPDATE documents SET format = ?, pages = ?, error_code = ?, error_message = ?, "
            "extracted_at = ?, extractor = ?, layout = ?, status = ?, ocr = ? WHERE id = ?",
            (
                record.get("format"),
                record.get("pages"),
                error["code"] if error else None,
                error["message"] if error else None,
                at,
                __version__,
                dumps(layout(record)),
                status,
                ocr,
                doc_id,
            ),
        )
        if data:
            conn.execute(
                "INSERT INTO files (doc_id, content) VALUES (?, ?) ON CONFLICT(doc_id) DO NOTHING",
                (doc_id, data),
            )
        audit(conn, doc_id, "extraction", old_extractor, __version__, SYSTEM_USER, at)
        if status != old_status:
            audit(conn, doc_id, "review_status", old_status, status, SYSTEM_USER, at)
    else:
        cur = conn.execute(
            "INSERT INTO documents (sha256, file_name, source_path, kind, size, format, pages, status, "
            "error_code, error_message, imported_at, extracted_at, extractor, layout, ocr) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sha,
                name,
                str(source_path) if source_path else None,
                document_kind(name, data),
                len(data),
                record.get("format"),
                record.get("pages"),
                "failed" if error else "new",
                error["code"] if error else None,
                error["message"] if error else None,
                at,
                at,
                __version__,
                dumps(layout(record)),
                ocr,
            ),
        )
        doc_id = cur.lastrowid
        conn.execute("INSERT INTO files (doc_id, content) VALUES (?, ?)", (doc_id, data))
    insert_extracted(conn, doc_id, record)
    eff = refresh(conn, doc_id)
    case_duplicate = False
    message = "Re-extracted; corrections kept." if row else "Imported."
    if error:
        message = error.get("message") or error.get("code") or "failed"
    elif eff.get("case_number") and eff["case_number"] != old_case:
        others = conn.execute(
            "SELECT id, file_name FROM documents WHERE case_number = ? AND id != ? ORDER BY id",
            (eff["case_number"], doc_id),
        ).fetchall()
        if others:
            case_duplicate = True
            listed = ", ".join(f"#{i} ({f})" for i, f in others[:5])
            if len(others) > 5:
                listed += f" and {len(others) - 5} more"
            remark = (
                f"Case number {eff['case_number']} is also in letter {listed}, with different bytes: "
                "check whether this is a re-issued or amended letter."
            )
            cur_status = conn.execute("SELECT status FROM documents WHERE id = ?", (doc_id,)).fetchone()[0]
            if cur_status != "flagged":
                conn.execute("UPDATE documents SET status = 'flagged' WHERE id = ?", (doc_id,))
                audit(conn, doc_id, "review_status", cur_status, "flagged", SYSTEM_USER, at)
            note(conn, doc_id, remark, SYSTEM_USER, at)
            for other_id, _f in others:
                note(
                    conn,
                    other_id,
                    f"Another letter with case number {eff['case_number']} was imported as #{doc_id} ({name}).",
                    SYSTEM_USER,
                    at,
                )
            message = f"Imported and flagged: {remark}"
    return {
        "status": "failed" if error else "imported",
        "doc_id": doc_id,
        "case_duplicate": case_duplicate,
        "message": message,
    }
