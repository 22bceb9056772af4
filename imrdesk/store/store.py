"""The reviewed dataset: one SQLite file holding letters, extracted values, corrections and their audit.

Layout (``PRAGMA user_version`` = :data:`SCHEMA_VERSION`):

- ``documents``  one row per letter: identity (sha256, unique), file name, kind, pages, format, error,
  review status, and a few *derived* columns (effective case number, item counts...) refreshed on every write.
- ``files``      the original bytes of each letter, so the database is self-contained.
- ``fields``     extracted letter-level values, one row per field path (``case_number``, ``patient.age``...).
- ``items`` / ``citations``  extracted disputed items and their structured guideline citations.
- ``provenance`` page, boxes and confidence of every extracted value, by field path.
- ``corrections`` the reviewer's values, by field path, kept apart from the extracted ones; the effective
  value of a path is its correction when there is one. Re-extraction rewrites only the extracted tables.
- ``audit``      every correction and status change (old value, new value, when, who), append-only.
- ``notes``      remarks attached to a letter (e.g. the importer's note on a repeated case number).
- ``dismissals`` / ``findings``  reviewers' dismissals of validation findings, and the open findings of each
  letter's effective record (derived); see ``findings.py``.
- ``doc_text`` + ``doc_text_fts``  the searchable text of each letter (FTS5, kept in sync by triggers).

Every write is one ``BEGIN IMMEDIATE`` transaction, so a killed process leaves whole letters only.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

import sqlite_utils

from .. import __version__
from .errors import SearchError, StoreError
from .findings import FindingsMixin, check_records, write_findings
from .findings import backfill as backfill_findings
from .findings import create_tables as _create_findings_tables
from .schema import create_v1
from .search import fts_query, search_message, search_text
from .values import (
    ITEM_LISTS,
    ITEM_TEXT,
    META_KEYS,
    _dumps,
    _flatten,
    get_path,
    set_path,
    validate_value,
)

SCHEMA_VERSION = 2  # 2: dismissals and findings (findings.py)
REVIEW_STATUSES = ("new", "in_review", "reviewed", "flagged")
# "failed" is given by the importer to a letter that could not be read; it is not set by hand.
DOCUMENT_STATUSES = (*REVIEW_STATUSES, "failed")
SYSTEM_USER = "imrdesk"

PARTIES = ("claims_administrator", "maximus")
CITATION_COLUMNS = ("source", "title", "chapter", "section", "pages", "year", "text", "families")
PROVENANCE_KEYS = ("page", "boxes", "confidence", "spans")

_CHUNK = 400


def _threshold() -> float:
    from ..extract import REVIEW_THRESHOLD

    return REVIEW_THRESHOLD


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _os_user() -> str:
    try:
        return getpass.getuser() or "unknown"
    except Exception:  # no login name (some containers, services)
        return "unknown"


def _loads(text):
    return None if text is None else json.loads(text)


def _locked(method):
    @wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


def document_kind(name: str, data: bytes) -> str:
    if data[:1024].lstrip()[:5] == b"%PDF-" or b"%PDF-" in data[:1024]:
        return "pdf"
    return "pdf" if name.lower().endswith(".pdf") else "txt"


class Store(FindingsMixin):
    """One imrdesk database file. Safe to share between threads (calls are serialised by a lock);
    several processes may open the same file (WAL; writers wait for each other)."""

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                str(self.path), timeout=60.0, check_same_thread=False, isolation_level=None
            )
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"Cannot open the database {self.path}: {exc}") from exc
        self.conn = conn
        try:
            self.db = sqlite_utils.Database(conn, execute_plugins=False)
            conn.execute("PRAGMA busy_timeout = 60000")
            conn.execute("PRAGMA foreign_keys = ON")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"The database {self.path} cannot use write-ahead logging (mode {mode}).")
            conn.execute("PRAGMA synchronous = FULL")  # a committed correction survives a power cut
            self._migrate()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{self.path} is not a usable imrdesk database: {exc}.") from exc
        except BaseException:
            conn.close()
            raise

    # ------------------------------------------------------------------ housekeeping
    @staticmethod
    def default_path() -> Path:
        env = os.environ.get("IMRDESK_DB")
        if env:
            path = Path(env).expanduser()
        else:
            import platformdirs

            path = Path(platformdirs.user_data_dir("imrdesk", appauthor=False)) / "imrdesk.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def close(self) -> None:
        with self._lock:
            try:
                self.conn.close()
            except sqlite3.Error:
                pass

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    @contextmanager
    def _tx(self):
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer imrdesk (schema {version}; this version reads "
                f"up to {SCHEMA_VERSION}). Update imrdesk to open it."
            )
        if version == SCHEMA_VERSION:
            return
        with self._tx():
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
            if version == 0:
                names = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                if names and "documents" not in names:
                    raise StoreError(
                        f"{self.path} is an SQLite database of some other program, not imrdesk's."
                    )
                create_v1(self.db)
            if version < 2:
                _create_findings_tables(self.db)
                backfill_findings(self)  # the rules now run on the effective record
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # ------------------------------------------------------------------ writing letters
    @_locked
    def add_record(
        self, record: dict, data: bytes, *, source_path: str | None = None, replace: bool = False
    ) -> dict:
        """Store one extracted letter and its original bytes in one transaction.

        Returns ``{"status": "imported"|"duplicate"|"failed", "doc_id", "case_duplicate", "message"}``.
        The same bytes again are a ``duplicate`` (nothing written) unless ``replace`` is true: then the
        extracted values are replaced by ``record``'s (a re-extraction) and every correction stays in force.
        """
        data = bytes(data or b"")
        sha = hashlib.sha256(data).hexdigest() if data else None
        if record.get("sha256") and sha and record["sha256"] != sha:
            raise ValueError("The record's sha256 does not match the bytes given with it.")
        sha = record.get("sha256") or sha or hashlib.sha256(b"").hexdigest()
        name = record.get("file") or (Path(source_path).name if source_path else "letter")
        error = record.get("error") or None
        with self._tx():
            row = self.conn.execute("SELECT id, status FROM documents WHERE sha256 = ?", (sha,)).fetchone()
            if row and not replace:
                doc_id = row[0]
                info = self.label(doc_id)
                return {
                    "status": "duplicate",
                    "doc_id": doc_id,
                    "case_duplicate": False,
                    "message": f"Already in the database as {info}.",
                }
            now = _now()
            old_case = None
            if row:
                doc_id, old_status = row
                old_extractor, old_case = self.conn.execute(
                    "SELECT extractor, case_number FROM documents WHERE id = ?", (doc_id,)
                ).fetchone()
                self._delete_extracted(doc_id)
                status = old_status
                if error and old_status == "new":
                    status = "failed"
                elif not error and old_status == "failed":
                    status = "new"
                self.conn.execute(
                    "UPDATE documents SET format = ?, pages = ?, error_code = ?, error_message = ?, "
                    "extracted_at = ?, extractor = ?, layout = ?, status = ? WHERE id = ?",
                    (
                        record.get("format"),
                        record.get("pages"),
                        error["code"] if error else None,
                        error["message"] if error else None,
                        now,
                        __version__,
                        _dumps(_layout(record)),
                        status,
                        doc_id,
                    ),
                )
                if data:
                    self.conn.execute(
                        "INSERT INTO files (doc_id, content) VALUES (?, ?) ON CONFLICT(doc_id) DO NOTHING",
                        (doc_id, data),
                    )
                self._audit(doc_id, "extraction", old_extractor, __version__, SYSTEM_USER, now)
                if status != old_status:
                    self._audit(doc_id, "review_status", old_status, status, SYSTEM_USER, now)
            else:
                cur = self.conn.execute(
                    "INSERT INTO documents (sha256, file_name, source_path, kind, size, format, pages, status, "
                    "error_code, error_message, imported_at, extracted_at, extractor, layout) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                        now,
                        now,
                        __version__,
                        _dumps(_layout(record)),
                    ),
                )
                doc_id = cur.lastrowid
                self.conn.execute("INSERT INTO files (doc_id, content) VALUES (?, ?)", (doc_id, data))
            self._insert_extracted(doc_id, record)
            eff = self._refresh(doc_id)
            case_duplicate = False
            message = "Re-extracted; corrections kept." if row else "Imported."
            if error:
                message = error.get("message") or error.get("code") or "failed"
            elif eff.get("case_number") and eff["case_number"] != old_case:
                others = self.conn.execute(
                    "SELECT id, file_name FROM documents WHERE case_number = ? AND id != ? ORDER BY id",
                    (eff["case_number"], doc_id),
                ).fetchall()
                if others:
                    case_duplicate = True
                    listed = ", ".join(f"#{i} ({f})" for i, f in others[:5])
                    if len(others) > 5:
                        listed += f" and {len(others) - 5} more"
                    note = (
                        f"Case number {eff['case_number']} is also in letter {listed}, with different bytes: "
                        "check whether this is a re-issued or amended letter."
                    )
                    cur_status = self.conn.execute(
                        "SELECT status FROM documents WHERE id = ?", (doc_id,)
                    ).fetchone()[0]
                    if cur_status != "flagged":
                        self.conn.execute("UPDATE documents SET status = 'flagged' WHERE id = ?", (doc_id,))
                        self._audit(doc_id, "review_status", cur_status, "flagged", SYSTEM_USER, now)
                    self._note(doc_id, note, SYSTEM_USER, now)
                    for other_id, _f in others:
                        self._note(
                            other_id,
                            f"Another letter with case number {eff['case_number']} was imported as #{doc_id} ({name}).",
                            SYSTEM_USER,
                            now,
                        )
                    message = f"Imported and flagged: {note}"
        return {
            "status": "failed" if error else "imported",
            "doc_id": doc_id,
            "case_duplicate": case_duplicate,
            "message": message,
        }

    def reextract(self, doc_id: int) -> dict:
        """Extract the stored bytes again (after a parser upgrade), in this process; corrections stay in
        force. For many letters, or letters that might hang, use ``importer.reextract_documents``."""
        from ..extract import extract

        with self._lock:
            info = self.document_info(doc_id)
            data = self.document_bytes(doc_id)
        if not data:
            raise ValueError(
                f"Letter #{doc_id}: the original file is not stored, so it cannot be read again."
            )
        rec = extract(data, name=info["file_name"])
        return self.add_record(rec, data, source_path=info.get("source_path"), replace=True)

    @_locked
    def delete_document(self, doc_id: int) -> None:
        with self._tx():
            self._require(doc_id)
            self._delete_extracted(doc_id)
            for table in ("corrections", "dismissals", "findings", "audit", "notes", "doc_text", "files"):
                self.conn.execute(f"DELETE FROM {table} WHERE doc_id = ?", (doc_id,))
            self.conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    def _require(self, doc_id: int) -> None:
        if not self.conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone():
            raise KeyError(f"No letter #{doc_id} in {self.path.name}.")

    @_locked
    def label(self, doc_id: int) -> str:
        """How a letter is named in messages: ``#12 CM16-0213037 (file.pdf)``."""
        row = self.conn.execute(
            "SELECT case_number, file_name FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()
        if row is None:
            return f"#{doc_id}"
        case, name = row
        return f"#{doc_id} {case} ({name})" if case else f"#{doc_id} ({name})"

    @_locked
    def lookup_sha(self, sha256: str) -> tuple[int, str | None] | None:
        """``(doc_id, error code or None)`` of the letter with these bytes, or None."""
        row = self.conn.execute("SELECT id, error_code FROM documents WHERE sha256 = ?", (sha256,)).fetchone()
        return (row[0], row[1]) if row else None

    def _delete_extracted(self, doc_id: int) -> None:
        for table in ("citations", "items", "fields", "provenance"):
            self.conn.execute(f"DELETE FROM {table} WHERE doc_id = ?", (doc_id,))

    def _insert_extracted(self, doc_id: int, record: dict) -> None:
        c = self.conn
        c.executemany(
            "INSERT INTO fields (doc_id, path, ord, value) VALUES (?, ?, ?, ?)",
            [(doc_id, p, i, _dumps(v)) for i, (p, v) in enumerate(_flatten(record))],
        )
        for idx, item in enumerate(record.get("items") or []):
            known = {k: item.get(k) for k in ITEM_TEXT}
            extra = {
                k: v
                for k, v in item.items()
                if k not in ITEM_TEXT and k not in ITEM_LISTS and not _is_cite(k)
            }
            cur = c.execute(
                f"INSERT INTO items (doc_id, idx, {', '.join(ITEM_TEXT)}, {', '.join(ITEM_LISTS)}, extra) "
                f"VALUES (?, ?, {', '.join('?' * (len(ITEM_TEXT) + len(ITEM_LISTS)))}, ?)",
                (
                    doc_id,
                    idx,
                    *known.values(),
                    *(_dumps(item[k]) if k in item else None for k in ITEM_LISTS),
                    _dumps(extra) if extra else None,
                ),
            )
            item_id = cur.lastrowid
            rows = []
            for party in PARTIES:
                for ord_, cit in enumerate(item.get(f"{party}_citations") or []):
                    cextra = {k: v for k, v in cit.items() if k not in CITATION_COLUMNS}
                    rows.append(
                        (
                            item_id,
                            doc_id,
                            party,
                            ord_,
                            *(cit.get(k) for k in CITATION_COLUMNS[:-1]),
                            _dumps(cit["families"]) if "families" in cit else None,
                            _dumps(cextra) if cextra else None,
                        )
                    )
            c.executemany(
                "INSERT INTO citations (item_id, doc_id, party, ord, source, title, chapter, section, pages, "
                "year, text, families, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        prov_rows = []
        for path, p in (record.get("provenance") or {}).items():
            p = p or {}
            extra = {k: v for k, v in p.items() if k not in PROVENANCE_KEYS}
            prov_rows.append(
                (
                    doc_id,
                    path,
                    p.get("page"),
                    p.get("confidence"),
                    _dumps(p.get("boxes", [])),
                    _dumps(p["spans"]) if "spans" in p else None,
                    _dumps(extra) if extra else None,
                )
            )
        c.executemany(
            "INSERT INTO provenance (doc_id, path, page, confidence, boxes, spans, extra) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            prov_rows,
        )

    def _refresh(self, doc_id: int) -> dict:
        """Recompute a letter's derived columns and searchable text from its effective record."""
        rec = self._load([doc_id])[doc_id]
        threshold = _threshold()
        prov = rec.get("provenance") or {}
        n_low = sum(
            1
            for p in prov.values()
            if not p.get("corrected") and p.get("confidence") is not None and p["confidence"] < threshold
        )
        items = rec.get("items") or []
        n_corrected = sum(1 for p in prov.values() if p.get("corrected"))
        self.conn.execute(
            "UPDATE documents SET case_number = ?, decision_date = ?, n_items = ?, n_upheld = ?, "
            "n_overturned = ?, n_low = ?, n_fields = (SELECT count(*) FROM fields WHERE doc_id = ?), "
            "n_corrected = ? WHERE id = ?",
            (
                rec.get("case_number"),
                rec.get("decision_date"),
                len(items),
                sum(1 for i in items if i.get("decision") == "Upheld"),
                sum(1 for i in items if i.get("decision") == "Overturned"),
                n_low,
                doc_id,
                n_corrected,
                doc_id,
            ),
        )
        write_findings(self.conn, doc_id, rec)
        text = search_text(rec)
        self.conn.execute(
            "INSERT INTO doc_text (doc_id, case_number, file_name, summary, treatments, rationales, guidelines) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(doc_id) DO UPDATE SET case_number = excluded.case_number, "
            "file_name = excluded.file_name, summary = excluded.summary, treatments = excluded.treatments, "
            "rationales = excluded.rationales, guidelines = excluded.guidelines",
            (doc_id, *text),
        )
        return rec

    # ------------------------------------------------------------------ reading letters
    def _load(self, ids: list[int], *, corrections: bool = True, provenance: bool = True) -> dict[int, dict]:
        """Rebuild contract records (plus ``id`` and ``review_status``) for some documents, in bulk."""
        out: dict[int, dict] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            out.update(self._load_chunk(chunk, corrections, provenance))
        check_records(self.conn, out, dismissals=corrections)  # findings of the effective record
        return out

    def _load_chunk(self, ids: list[int], corrections: bool, provenance: bool) -> dict[int, dict]:
        c = self.conn
        marks = ",".join("?" * len(ids))
        docs = {
            r[0]: r
            for r in c.execute(
                f"SELECT id, file_name, sha256, pages, format, error_code, error_message, layout, status "
                f"FROM documents WHERE id IN ({marks})",
                ids,
            )
        }
        fields: dict[int, list] = {}
        for doc_id, path, value in c.execute(
            f"SELECT doc_id, path, value FROM fields WHERE doc_id IN ({marks}) ORDER BY doc_id, ord", ids
        ):
            fields.setdefault(doc_id, []).append((path, _loads(value)))
        items: dict[int, list] = {}
        item_ids: dict[int, dict] = {}
        cols = ", ".join((*ITEM_TEXT, *ITEM_LISTS))
        for row in c.execute(
            f"SELECT doc_id, id, extra, {cols} FROM items WHERE doc_id IN ({marks}) ORDER BY doc_id, idx", ids
        ):
            doc_id, item_id, extra = row[:3]
            values = dict(zip(ITEM_TEXT, row[3 : 3 + len(ITEM_TEXT)], strict=True))
            lists = dict(zip(ITEM_LISTS, row[3 + len(ITEM_TEXT) :], strict=True))
            item = {**values, **{k: _loads(v) for k, v in lists.items() if v is not None}}
            for party in PARTIES:
                item[f"{party}_citations"] = []
            extra = json.loads(extra) if extra else {}
            item.update(extra)
            items.setdefault(doc_id, []).append((item, extra))
            item_ids[item_id] = item
        for row in c.execute(
            "SELECT item_id, party, source, title, chapter, section, pages, year, text, families, extra "
            f"FROM citations WHERE doc_id IN ({marks}) ORDER BY item_id, party, ord",
            ids,
        ):
            item_id, party = row[:2]
            cit = dict(zip(CITATION_COLUMNS[:-1], row[2:9], strict=True))
            if row[9] is not None:
                cit["families"] = json.loads(row[9])
            if row[10]:
                cit.update(json.loads(row[10]))
            item_ids[item_id][f"{party}_citations"].append(cit)
        prov: dict[int, dict] = {}
        if provenance:
            for doc_id, path, page, conf, boxes, spans, extra in c.execute(
                "SELECT doc_id, path, page, confidence, boxes, spans, extra FROM provenance "
                f"WHERE doc_id IN ({marks}) ORDER BY doc_id, rowid",
                ids,
            ):
                p = {"page": page, "boxes": json.loads(boxes) if boxes else [], "confidence": conf}
                if spans is not None:
                    p["spans"] = json.loads(spans)
                if extra:
                    p.update(json.loads(extra))
                prov.setdefault(doc_id, {})[path] = p
        corr: dict[int, list] = {}
        if corrections:
            for doc_id, path, value in c.execute(
                f"SELECT doc_id, path, value FROM corrections WHERE doc_id IN ({marks}) ORDER BY doc_id, rowid",
                ids,
            ):
                corr.setdefault(doc_id, []).append((path, _loads(value)))

        out = {}
        for doc_id in ids:
            if doc_id not in docs:
                continue
            _id, file_name, sha, pages, fmt, ecode, emsg, layout, status = docs[doc_id]
            layout = json.loads(layout) if layout else {}
            nested: dict = {}
            for path, value in fields.get(doc_id, []):
                if "." in path:
                    top, sub = path.split(".", 1)
                    nested.setdefault(top, {})[sub] = value
                else:
                    nested[path] = value
            meta = {
                "file": file_name,
                "sha256": sha,
                "pages": pages,
                "format": fmt,
                "error": {"code": ecode, "message": emsg} if ecode else None,
            }
            item_keys = layout.get("item_keys")
            doc_items = []
            for it, extra in items.get(doc_id, []):
                if item_keys:  # the extractor's key order (and key set) for items
                    it = {k: it.get(k) for k in item_keys} | {
                        k: v for k, v in extra.items() if k not in item_keys
                    }
                doc_items.append(it)
            rec: dict = {}
            for key in layout.get("keys") or [*META_KEYS, *nested, "items", "provenance"]:
                if key in meta:
                    rec[key] = meta[key]
                elif key == "items":
                    rec["items"] = doc_items
                elif key == "provenance":
                    rec["provenance"] = prov.get(doc_id, {}) if provenance else {}
                elif key in nested:
                    rec[key] = nested.pop(key)
            rec.update({k: v for k, v in nested.items() if k not in rec})
            for key in ("items", "provenance"):
                rec.setdefault(key, doc_items if key == "items" else prov.get(doc_id, {}))
            for key, value in meta.items():
                rec.setdefault(key, value)
            for path, value in corr.get(doc_id, []):
                if set_path(rec, path, value) and provenance:
                    p = dict(rec["provenance"].get(path) or {"page": None, "boxes": []})
                    p["confidence"] = 1.0
                    p["corrected"] = True
                    rec["provenance"][path] = p
            rec["id"] = doc_id
            rec["review_status"] = status
            out[doc_id] = rec
        return out

    @_locked
    def record(self, doc_id: int, *, corrections: bool = True) -> dict:
        """The contract record with corrections applied (``corrections=False``: as extracted), plus
        ``id`` and ``review_status``. A corrected path's provenance has ``corrected: True``, confidence 1."""
        recs = self._load([doc_id], corrections=corrections)
        if doc_id not in recs:
            raise KeyError(f"No letter #{doc_id} in {self.path.name}.")
        return recs[doc_id]

    def records(self, doc_ids: Iterable[int] | None = None, *, provenance: bool = True) -> Iterator[dict]:
        """Effective records of many letters (all when ``doc_ids`` is None), loaded in chunks."""
        with self._lock:
            ids = (
                list(doc_ids)
                if doc_ids is not None
                else [r[0] for r in self.conn.execute("SELECT id FROM documents ORDER BY id")]
            )
        for start in range(0, len(ids), _CHUNK):
            with self._lock:
                chunk = self._load(ids[start : start + _CHUNK], provenance=provenance)
            for doc_id in ids[start : start + _CHUNK]:
                if doc_id in chunk:
                    yield chunk[doc_id]

    _LIST_COLUMNS = (
        "id, case_number, file_name, kind, format, pages, status, error_code, error_message, n_items, "
        "n_upheld, n_overturned, n_low, imported_at, decision_date, sha256, "
        "(SELECT count(*) FROM findings WHERE findings.doc_id = documents.id)"
    )

    @staticmethod
    def _list_row(r) -> dict:
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

    @_locked
    def count_documents(self, *, status: str | None = None) -> int:
        if status:
            return self.conn.execute("SELECT count(*) FROM documents WHERE status = ?", (status,)).fetchone()[
                0
            ]
        return self.conn.execute("SELECT count(*) FROM documents").fetchone()[0]

    @_locked
    def list_documents(
        self, *, query: str | None = None, status: str | None = None, limit: int = 1000, offset: int = 0
    ) -> list[dict]:
        """Letters in import order. ``query``: full-text filter (raises SearchError when unparsable);
        ``status``: one of new, in_review, reviewed, flagged, failed."""
        where, params = [], []
        if status:
            where.append("status = ?")
            params.append(status)
        if query and query.strip():
            where.append("id IN (SELECT rowid FROM doc_text_fts WHERE doc_text_fts MATCH ?)")
            params.append(fts_query(query))
        sql = f"SELECT {self._LIST_COLUMNS} FROM documents"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id LIMIT ? OFFSET ?"
        rows = self._fts_execute(sql, (*params, int(limit), int(offset)), query)
        return [self._list_row(r) for r in rows]

    @_locked
    def document_info(self, doc_id: int) -> dict:
        row = self.conn.execute(
            f"SELECT {self._LIST_COLUMNS}, source_path, size, extracted_at, extractor, n_corrected "
            "FROM documents WHERE id = ?",
            (doc_id,),
        ).fetchone()
        if row is None:
            raise KeyError(f"No letter #{doc_id} in {self.path.name}.")
        info = self._list_row(row)
        info.update(
            source_path=row[17],
            size=row[18],
            extracted_at=row[19],
            extractor=row[20],
            corrected=row[21],
            notes=self.notes(doc_id),
        )
        return info

    @_locked
    def find(self, case_number: str) -> list[int]:
        """Ids of the letters with this (effective) case number, case-insensitively."""
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM documents WHERE case_number = ? COLLATE NOCASE ORDER BY id",
                (case_number.strip(),),
            )
        ]

    @_locked
    def find_file(self, file_name: str) -> list[int]:
        """Ids of the letters stored under this file name."""
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM documents WHERE file_name = ? ORDER BY id", (Path(file_name.strip()).name,)
            )
        ]

    @_locked
    def document_bytes(self, doc_id: int) -> bytes:
        row = self.conn.execute("SELECT content FROM files WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            raise KeyError(f"No letter #{doc_id} in {self.path.name}.")
        return bytes(row[0] or b"")

    # ------------------------------------------------------------------ review
    @_locked
    def set_value(self, doc_id: int, path: str, value, *, user: str | None = None) -> None:
        """Record a reviewer's value for a field path (kept apart from the extracted value) and audit it.
        ValueError for an unknown path or a value of the wrong shape; KeyError for an unknown letter."""
        user = user or _os_user()
        with self._tx():
            self._require(doc_id)
            rec = self._load([doc_id], provenance=False)[doc_id]
            if path.split(".", 1)[0] in META_KEYS or path in (
                "id",
                "review_status",
                "items",
                "provenance",
                "findings",
            ):
                raise ValueError(f"{path!r} is not a correctable field.")
            try:
                old = get_path(rec, path)
            except KeyError:
                raise ValueError(f"Letter #{doc_id} has no field {path!r}.") from None
            if isinstance(old, dict):
                raise ValueError(f"{path!r} is a group of fields; correct its parts (e.g. '{path}.<name>').")
            value = validate_value(path, value, old)
            now = _now()
            self.conn.execute(
                "INSERT INTO corrections (doc_id, path, value, at, user) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(doc_id, path) DO UPDATE SET value = excluded.value, at = excluded.at, "
                "user = excluded.user",
                (doc_id, path, _dumps(value), now, user),
            )
            self._audit(doc_id, path, old, value, user, now)
            self._refresh(doc_id)

    @_locked
    def clear_correction(self, doc_id: int, path: str, *, user: str | None = None) -> None:
        """Drop the correction of a path: the extracted value is in force again (audited)."""
        user = user or _os_user()
        with self._tx():
            row = self.conn.execute(
                "SELECT value FROM corrections WHERE doc_id = ? AND path = ?", (doc_id, path)
            ).fetchone()
            if row is None:
                return
            extracted = self._load([doc_id], corrections=False, provenance=False)[doc_id]
            try:
                new = get_path(extracted, path)
            except KeyError:
                new = None
            self.conn.execute("DELETE FROM corrections WHERE doc_id = ? AND path = ?", (doc_id, path))
            self._audit(doc_id, path, _loads(row[0]), new, user, _now())
            self._refresh(doc_id)

    @_locked
    def corrections(self, doc_id: int) -> list[dict]:
        return [
            {"path": p, "value": _loads(v), "at": at, "user": u}
            for p, v, at, u in self.conn.execute(
                "SELECT path, value, at, user FROM corrections WHERE doc_id = ? ORDER BY rowid", (doc_id,)
            )
        ]

    @_locked
    def history(self, doc_id: int, path: str | None = None) -> list[dict]:
        """Audit rows, oldest first: path, old, new, at, user (status changes have path 'review_status')."""
        sql = "SELECT path, old, new, at, user FROM audit WHERE doc_id = ?"
        params: tuple = (doc_id,)
        if path is not None:
            sql += " AND path = ?"
            params += (path,)
        return [
            {"path": p, "old": _loads(o), "new": _loads(n), "at": at, "user": u}
            for p, o, n, at, u in self.conn.execute(sql + " ORDER BY id", params)
        ]

    @_locked
    def set_status(self, doc_id: int, status: str, *, user: str | None = None) -> None:
        if status not in REVIEW_STATUSES:
            raise ValueError(f"A review status is one of {', '.join(REVIEW_STATUSES)} (got {status!r}).")
        user = user or _os_user()
        with self._tx():
            row = self.conn.execute("SELECT status FROM documents WHERE id = ?", (doc_id,)).fetchone()
            if row is None:
                raise KeyError(f"No letter #{doc_id} in {self.path.name}.")
            self.conn.execute("UPDATE documents SET status = ? WHERE id = ?", (status, doc_id))
            self._audit(doc_id, "review_status", row[0], status, user, _now())

    @_locked
    def add_note(self, doc_id: int, text: str, *, user: str | None = None) -> None:
        with self._tx():
            self._require(doc_id)
            self._note(doc_id, text, user or _os_user(), _now())

    @_locked
    def notes(self, doc_id: int) -> list[dict]:
        return [
            {"at": at, "user": u, "text": t}
            for at, u, t in self.conn.execute(
                "SELECT at, user, text FROM notes WHERE doc_id = ? ORDER BY id", (doc_id,)
            )
        ]

    def _audit(self, doc_id, path, old, new, user, at) -> None:
        self.conn.execute(
            "INSERT INTO audit (doc_id, path, old, new, at, user) VALUES (?, ?, ?, ?, ?, ?)",
            (doc_id, path, _dumps(old), _dumps(new), at, user),
        )

    def _note(self, doc_id, text, user, at) -> None:
        self.conn.execute(
            "INSERT INTO notes (doc_id, at, user, text) VALUES (?, ?, ?, ?)", (doc_id, at, user, text)
        )

    # ------------------------------------------------------------------ search, stats, export
    def _fts_execute(self, sql: str, params, query: str | None):
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            msg = str(exc)
            if "fts5" in msg or "unterminated string" in msg or "no such column" in msg or "MATCH" in msg:
                raise SearchError(search_message(query or "", msg)) from None
            raise

    @_locked
    def search(self, query: str, limit: int = 50, *, markers: tuple[str, str] = ("[", "]")) -> list[dict]:
        """Full-text search over the letters' text (summary, treatments, rationales, guideline paragraphs,
        case number, file name), best first: ``doc_id``, ``case_number``, ``file_name``, ``snippet``
        (matched words between ``markers``). SearchError when the query cannot be parsed."""
        match = fts_query(query)
        rows = self._fts_execute(
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

    @_locked
    def stats(self) -> dict:
        c = self.conn
        letters, failed, items, upheld, overturned, low, corrected = c.execute(
            "SELECT count(*), sum(status = 'failed'), total(n_items), total(n_upheld), total(n_overturned), "
            "total(n_low), total(n_corrected) FROM documents"
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
            "FROM documents WHERE error_code IS NULL GROUP BY 1 ORDER BY 1"
        ):
            by_format[fmt] = {
                "letters": n,
                "items": int(n_items),
                "upheld": int(n_up),
                "overturned": int(n_over),
                **rates(n_up, n_over),
            }
        by_status = {s: 0 for s in DOCUMENT_STATUSES}
        for status, n in c.execute("SELECT status, count(*) FROM documents GROUP BY status"):
            by_status[status] = n
        errors = dict(
            c.execute(
                "SELECT error_code, count(*) FROM documents WHERE error_code IS NOT NULL GROUP BY 1 ORDER BY 1"
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
            "findings": self.finding_counts(),  # open by rule, letters with any, dismissed
            "by_format": by_format,
            "by_status": by_status,
            "errors": errors,
        }

    def export(self, path, fmt: str, *, status: str | None = None) -> int:
        """Write the dataset (corrections applied) to ``path``: ``json`` (array of contract records with
        ``review_status``; returns records written), ``csv`` or ``xlsx`` (one row per disputed item with
        the letter's fields repeated; xlsx also a documents sheet; returns item rows written)."""
        from .export import export

        return export(self, path, fmt, status=status)

    def document_ids(self, *, status: str | None = None) -> list[int]:
        with self._lock:
            if status:
                return [
                    r[0]
                    for r in self.conn.execute(
                        "SELECT id FROM documents WHERE status = ? ORDER BY id", (status,)
                    )
                ]
            return [r[0] for r in self.conn.execute("SELECT id FROM documents ORDER BY id")]


def _is_cite(key: str) -> bool:
    return key in (f"{p}_citations" for p in PARTIES)


def _layout(record: dict) -> dict:
    items = record.get("items") or []
    layout = {"keys": list(record.keys())}
    if items:
        layout["item_keys"] = list(items[0].keys())
    return layout
