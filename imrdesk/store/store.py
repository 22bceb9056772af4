"""The reviewed dataset: one SQLite file holding letters, extracted values, corrections and their audit.

Tables (schema and upgrades: ``schema.py``):

- ``documents``  one row per letter: identity (sha256, unique), file name, kind, pages, format, error,
  review status, and a few *derived* columns (effective case number, item counts...) refreshed on every write.
- ``files``      the original bytes of each letter, so the database is self-contained.
- ``fields``     extracted letter-level values, one row per field path (``case_number``, ``patient.age``...).
- ``items`` / ``citations``  extracted disputed items and their structured guideline citations.
- ``provenance`` page, boxes and confidence of every extracted value, by field path.
- ``corrections`` the reviewer's values, by field path, kept apart from the extracted ones; the effective
  value of a path is its correction when there is one (a value read off the page keeps where it was read,
  ``source``: its provenance). Re-extraction rewrites only the extracted tables.
- ``audit``      every correction, dismissal and status change (old value, new value, when, who), append-only.
- ``notes``      remarks attached to a letter (e.g. the importer's note on a repeated case number).
- ``dismissals`` reviewers' decisions that a validation finding is not a problem, by ``(doc_id, key)``; the
  key (``rule:path``) does not depend on the extraction, so a dismissal survives re-extraction.
- ``findings``   derived: the open findings of each letter's effective record (the validation rules run on
  the extracted values with the corrections applied, less the dismissed findings).
- ``item_facts`` derived: each item's decision, treatment category, normalised treatment name and the
  guideline families MAXIMUS cited, with ``documents.specialty`` and ``documents.corrected`` (``facts.py``):
  what the insights count and the export needs, so figures are SQL aggregates (``tallies.py``) and the
  CSV/Excel export a stream of rows (``dataset.py``) — no record rebuilt (``store.dataset``).
- ``letter_tally`` / ``item_tally``  derived: the stats' and insights' counts pre-counted by status and month
  of decision, kept by triggers in the same transaction as each write (``summary.py``), so a count over a
  million letters reads a few thousand rows.
- ``doc_text`` + ``doc_text_fts``  the searchable text of each letter (FTS5, kept in sync by triggers).

Every write is one ``BEGIN IMMEDIATE`` transaction, so a killed process leaves whole letters only. Writes
made inside :meth:`Store.transaction` join it, and each letter they touch has its derived columns, findings
and search text refreshed once, at the end: a review operation made of several writes is one transaction.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

from ..record import REVIEW_STATUSES
from ..record.types import AuditRow, Dismissal, DocumentInfo, Finding, ListRow, Note, Record, StoredResult
from . import figures, letters, listing, review
from .audit import note, now, os_user
from .connection import backup, connect, explain, quick_check
from .dataset import Dataset
from .errors import SearchError, StoreError
from .figures import Figures
from .letters import NewLetter
from .lists import Lists
from .records import CHUNK, backfill, delete_extracted, load, loads, refresh
from .review import CLEAR, Prior
from .schema import SCHEMA_VERSION, check_version, migrate
from .views import views_current

__all__ = ["Store", "Transaction", "CLEAR", "Prior", "SCHEMA_VERSION", "StoreError", "SearchError"]


def _locked(method):
    """One call at a time on the connection; an SQLite fault while reading (a damaged page) becomes a
    StoreError with a message for a person."""

    @wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            try:
                return method(self, *args, **kwargs)
            except SearchError:
                raise
            except sqlite3.DatabaseError as exc:
                raise StoreError(explain(exc, self.path)) from exc

    return wrapper


class Transaction:
    """The write transaction in progress: the letters it touched, and after it committed, their refreshed
    effective records (``records``), so a caller shows the result without reading the letter again."""

    def __init__(self) -> None:
        self.touched: dict[int, None] = {}
        self.records: dict[int, Record] = {}

    def touch(self, doc_id: int) -> None:
        self.touched[doc_id] = None


class Store:
    """One imrdesk database file. Safe to share between threads (calls are serialised by a lock);
    several processes may open the same file (WAL; writers wait for each other)."""

    def __init__(self, path: str | Path, *, read_only: bool = False):
        self.path = Path(path).expanduser()
        self._lock = threading.RLock()
        self._tx: Transaction | None = None
        self._problems: list[str] | None = None  # what quick_check found; None until it ran
        self._check_deferred = False  # another connection checks the file; writes do not wait for it
        conn, self.read_only = connect(self.path, read_only)
        self.conn = conn
        self.lists = Lists(self)  # the window's list: ids, pages of rows, counts, removal
        self.dataset = Dataset(self)  # figures and exports straight from the tables
        self.figures = Figures(self)  # what the pre-counted figures answer, and their own check
        try:
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

    def verify(self, problems: list[str] | None = None) -> list[str]:
        """Check the file before the first write (SQLite's quick_check, about 2 ms a MB): [] when sound,
        else what is wrong — and then every write is refused. ``problems``: the result of a check another
        connection to the same file just ran (the window checks in the background), taken as is."""
        if problems is None:
            with self._lock:
                problems = quick_check(self.conn)
        self._problems = list(problems)
        return self._problems

    def defer_check(self) -> None:
        """Writes stop waiting for the check before the first write: another connection is running it and
        hands its result to :meth:`verify` (a large file's check takes most of a minute)."""
        self._check_deferred = True

    @property
    def damaged(self) -> bool:
        return bool(self._problems)

    def backup(self, dest: str | Path, progress=None) -> Path:
        """A consistent copy of the whole database at ``dest`` while it stays in use (SQLite's online
        backup: every committed correction, nothing half-written); see :func:`connection.backup`."""
        with self._lock:
            return backup(self.conn, self.path, Path(dest).expanduser(), progress)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One write transaction; store writes made inside it join it (nesting is allowed), and each
        letter they touched is refreshed once before it commits. Rolled back on any exception."""
        with self._lock:
            if self._tx is not None:
                yield self._tx
                return
            if self.read_only:
                raise StoreError(explain(sqlite3.OperationalError("readonly database"), self.path))
            if self._problems is None and not self._check_deferred:
                self.verify()
            if self._problems:  # a damaged file is never written: what can be read stays as it is
                raise StoreError(explain(sqlite3.DatabaseError("malformed: " + self._problems[0]), self.path))
            tx = self._tx = Transaction()
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield tx
                    for doc_id in tx.touched:
                        tx.records[doc_id] = refresh(self.conn, doc_id)
                    self.conn.execute("COMMIT")
                except BaseException as exc:
                    self._rollback()
                    tx.records.clear()
                    if isinstance(exc, sqlite3.Error):  # disk full, damaged page, read-only after all…
                        raise StoreError(explain(exc, self.path)) from exc
                    raise
            except sqlite3.Error as exc:  # BEGIN itself failed (locked too long, damaged, read-only)
                raise StoreError(explain(exc, self.path)) from exc
            finally:
                self._tx = None

    def _rollback(self) -> None:
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite already rolled back (e.g. after a full disk)

    def _migrate(self) -> None:
        """Upgrade an older file, and bring the dataset views up to the field registry (a write only when
        something changed: opening a current file writes nothing)."""
        if check_version(self.conn, str(self.path)) == SCHEMA_VERSION and views_current(self.conn):
            return
        if self.read_only:
            raise StoreError(
                f"The database {self.path.name} needs an upgrade to be opened by this version, and it is "
                "read-only: copy it to a folder you can write to."
            )
        with self.transaction():
            migrate(self.conn, str(self.path), lambda version: backfill(self.conn, version))

    def _require(self, doc_id: int) -> None:
        review.require(self.conn, doc_id, self.path.name)

    # ------------------------------------------------------------------ writing letters
    def add_record(
        self, record: Record, data: bytes, *, source_path: str | None = None, replace: bool = False
    ) -> StoredResult:
        """Store one extracted letter and its original bytes in one transaction.

        Returns ``{"status": "imported"|"duplicate"|"failed", "doc_id", "case_duplicate", "message"}``.
        The same bytes again are a ``duplicate`` (nothing written) unless ``replace`` is true: then the
        extracted values are replaced by ``record``'s (a re-extraction) and every correction stays in force.
        """
        with self.transaction():
            return letters.add_record(self.conn, record, data, source_path=source_path, replace=replace)

    def add_records(self, batch: Sequence[NewLetter]) -> list[StoredResult | Exception]:
        """Store several extracted letters in one transaction (one commit for the batch: the import's
        cost per letter falls by ~40%), each letter still all-or-nothing: a savepoint each, so a letter that
        raises is rolled back alone and its exception returned in its place. An SQLite fault (disk full)
        rolls the whole batch back and raises StoreError, like :meth:`add_record`."""
        out: list[StoredResult | Exception] = []
        with self.transaction():
            for letter in batch:
                self.conn.execute("SAVEPOINT letter")
                try:
                    res = letters.add_record(
                        self.conn,
                        letter.record,
                        letter.data,
                        source_path=letter.source_path,
                        replace=letter.replace,
                    )
                except sqlite3.Error:
                    raise
                except Exception as exc:  # this letter only (a record that contradicts its bytes)
                    self.conn.execute("ROLLBACK TO letter")
                    self.conn.execute("RELEASE letter")
                    out.append(exc)
                    continue
                self.conn.execute("RELEASE letter")
                out.append(res)
        return out

    def delete_document(self, doc_id: int) -> None:
        with self.transaction():
            self._require(doc_id)
            delete_extracted(self.conn, doc_id)
            for table in (
                "item_facts",
                "corrections",
                "dismissals",
                "findings",
                "audit",
                "notes",
                "doc_text",
                "files",
            ):
                self.conn.execute(f"DELETE FROM {table} WHERE doc_id = ?", (doc_id,))
            self.conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    @_locked
    def label(self, doc_id: int) -> str:
        """How a letter is named in messages: ``#12 CM16-0213037 (file.pdf)``."""
        return letters.label(self.conn, doc_id)

    @_locked
    def lookup_sha(self, sha256: str) -> tuple[int, str | None] | None:
        """``(doc_id, error code or None)`` of the letter with these bytes, or None."""
        row = self.conn.execute("SELECT id, error_code FROM documents WHERE sha256 = ?", (sha256,)).fetchone()
        return (row[0], row[1]) if row else None

    # ------------------------------------------------------------------ reading letters
    @_locked
    def record(self, doc_id: int, *, corrections: bool = True) -> Record:
        """The contract record with corrections applied (``corrections=False``: as extracted), plus
        ``id``, ``review_status`` and its open ``findings``. A path with a reviewer's value has
        ``corrected: True``, confidence 1, and ``checked``: ``corrected`` or ``confirmed`` (kept as extracted)."""
        recs = load(self.conn, [doc_id], corrections=corrections)
        if doc_id not in recs:
            raise KeyError(f"No letter #{doc_id} in {self.path.name}.")
        return recs[doc_id]

    def records(self, doc_ids: Iterable[int] | None = None, *, provenance: bool = True) -> Iterator[Record]:
        """Effective records of many letters (all when ``doc_ids`` is None), loaded in chunks."""
        ids = list(doc_ids) if doc_ids is not None else self.document_ids()
        for start in range(0, len(ids), CHUNK):
            with self._lock:
                chunk = load(self.conn, ids[start : start + CHUNK], provenance=provenance)
            for doc_id in ids[start : start + CHUNK]:
                if doc_id in chunk:
                    yield chunk[doc_id]

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
    ) -> list[ListRow]:
        """Letters in import order. ``query``: full-text filter (raises SearchError when unparsable);
        ``status``: one of new, in_review, reviewed, flagged, failed."""
        return listing.list_documents(self.conn, query=query, status=status, limit=limit, offset=offset)

    @_locked
    def document_info(self, doc_id: int) -> DocumentInfo:
        info = listing.document_info(self.conn, doc_id)
        if info is None:
            raise KeyError(f"No letter #{doc_id} in {self.path.name}.")
        info["notes"] = self.notes(doc_id)
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

    @_locked
    def document_ids(self, *, status: str | None = None) -> list[int]:
        if status:
            sql = "SELECT id FROM documents WHERE status = ? AND removed_at IS NULL ORDER BY id"
            params: tuple = (status,)
        else:
            sql, params = "SELECT id FROM documents WHERE removed_at IS NULL ORDER BY id", ()
        return [r[0] for r in self.conn.execute(sql, params)]

    @_locked
    def review_status(self, doc_id: int) -> str:
        """A letter's status (new, in_review, reviewed, flagged, failed); KeyError for an unknown letter."""
        return review.status(self.conn, doc_id, self.path.name)

    # ------------------------------------------------------------------ review writes
    # Each joins the caller's transaction (or is one by itself) and names the letter it touched, which is
    # refreshed once at commit. The review service composes them into operations.
    def write_values(
        self, doc_id: int, values: Mapping[str, object], *, user: str | None = None
    ) -> dict[str, Prior]:
        """Reviewer's values by field path (:data:`CLEAR` drops a correction), one audit row each; returns
        each path's prior state. ValueError for a wrong path or value; KeyError for an unknown letter."""
        with self.transaction() as tx:
            self._require(doc_id)
            prior = review.write_values(self.conn, doc_id, values, user or os_user(), now())
            tx.touch(doc_id)
            return prior

    def set_value(self, doc_id: int, path: str, value, *, user: str | None = None) -> None:
        """Record a reviewer's value for a field path (kept apart from the extracted value), audited."""
        self.write_values(doc_id, {path: value}, user=user)

    def clear_correction(self, doc_id: int, path: str, *, user: str | None = None) -> None:
        """Drop the correction of a path: the extracted value is in force again (audited)."""
        self.write_values(doc_id, {path: CLEAR}, user=user)

    def set_status(self, doc_id: int, status: str, *, user: str | None = None, audited: bool = True) -> str:
        """Set a letter's review status; returns the one it had. ``audited=False`` for a change that follows
        from another audited write (a first correction moves a new letter to in_review)."""
        if status not in REVIEW_STATUSES:
            raise ValueError(f"A review status is one of {', '.join(REVIEW_STATUSES)} (got {status!r}).")
        with self.transaction() as tx:
            old = review.status(self.conn, doc_id, self.path.name)
            review.set_status(self.conn, doc_id, status, old, user or os_user(), now(), audited=audited)
            tx.touch(doc_id)
            return old

    def dismiss_findings(self, doc_id: int, keys: Iterable[str], *, user: str | None = None) -> list[str]:
        """Dismiss open findings (audited): they stop counting and stop lowering their value's confidence,
        also after re-extraction. Returns the keys dismissed now; ValueError for a finding that is not open."""
        with self.transaction() as tx:
            self._require(doc_id)
            done = review.dismiss(self.conn, doc_id, keys, user or os_user(), now())
            tx.touch(doc_id)
            return done

    def restore_findings(self, doc_id: int, keys: Iterable[str], *, user: str | None = None) -> list[str]:
        """Undo dismissals (audited): each finding is open again if its rule still fires."""
        with self.transaction() as tx:
            done = review.restore(self.conn, doc_id, keys, user or os_user(), now())
            tx.touch(doc_id)
            return done

    def dismiss_finding(self, doc_id: int, key: str, *, user: str | None = None) -> None:
        self.dismiss_findings(doc_id, [key], user=user)

    def restore_finding(self, doc_id: int, key: str, *, user: str | None = None) -> None:
        self.restore_findings(doc_id, [key], user=user)

    def add_note(self, doc_id: int, text: str, *, user: str | None = None) -> None:
        with self.transaction():
            self._require(doc_id)
            note(self.conn, doc_id, text, user or os_user(), now())

    # ------------------------------------------------------------------ review reads
    @_locked
    def notes(self, doc_id: int) -> list[Note]:
        return [
            {"at": at, "user": u, "text": t}
            for at, u, t in self.conn.execute(
                "SELECT at, user, text FROM notes WHERE doc_id = ? ORDER BY id", (doc_id,)
            )
        ]

    @_locked
    def corrections(self, doc_id: int) -> list[dict]:
        return [
            {"path": p, "value": loads(v), "at": at, "user": u}
            for p, v, at, u in self.conn.execute(
                "SELECT path, value, at, user FROM corrections WHERE doc_id = ? ORDER BY rowid", (doc_id,)
            )
        ]

    @_locked
    def history(self, doc_id: int, path: str | None = None) -> list[AuditRow]:
        """Audit rows, oldest first: path, old, new, at, user (status changes have path 'review_status')."""
        return review.history(self.conn, doc_id, path)

    @_locked
    def value_history(self, doc_id: int, path: str) -> list[AuditRow]:
        """One value's corrections and the dismissals and restorations of the findings about it."""
        return review.value_history(self.conn, doc_id, path)

    def findings(self, doc_id: int) -> list[Finding]:
        """Open findings of a letter's effective record, in rule order (dismissed ones left out)."""
        return list(self.record(doc_id).get("findings") or [])

    @_locked
    def dismissed_findings(self, doc_id: int, record: Record | None = None) -> list[Dismissal]:
        """A letter's dismissals, oldest first, each ``active`` while its rule still fires. ``record``: the
        letter's effective record when the caller has just read it (not read again)."""
        return review.dismissed_findings(self.conn, doc_id, record)

    @_locked
    def finding_counts(self, ids: Iterable[int] | None = None) -> dict:
        """Open findings by rule, their total, the letters with any, and the dismissals."""
        return review.finding_counts(self.conn, None if ids is None else list(ids))

    # ------------------------------------------------------------------ search and figures
    @_locked
    def search(self, query: str, limit: int = 50, *, markers: tuple[str, str] = ("[", "]")) -> list[dict]:
        """Full-text search over the letters' text (summary, treatments, rationales, guideline paragraphs,
        case number, file name), best first: ``doc_id``, ``case_number``, ``file_name``, ``snippet``
        (matched words between ``markers``). SearchError when the query cannot be parsed."""
        return listing.search(self.conn, query, limit, markers)

    @_locked
    def stats(self) -> dict:
        """Letters, items, decision rates by layout and status, low-confidence and corrected values, open
        findings and errors, over the whole database (from the derived columns: no record is rebuilt)."""
        return figures.stats(self.conn)

    @_locked
    def select_ids(
        self, *, date_from: str | None = None, date_to: str | None = None, statuses: Iterable[str] = ()
    ) -> list[int]:
        """Ids of the readable letters decided in a date range (ISO, inclusive) with one of some statuses."""
        return figures.select_ids(self.conn, date_from, date_to, list(statuses))

    @_locked
    def review_state(self, ids: Iterable[int]) -> dict:
        """The state of the review of some letters: statuses, corrected and low-confidence values, findings."""
        return figures.review_state(self.conn, list(ids))
