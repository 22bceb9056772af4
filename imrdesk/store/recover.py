"""What can still be read from a damaged database, copied into a new file (in the spirit of SQLite's
``.recover``, whose API Python's sqlite3 module does not expose).

The damaged file is only ever read (``mode=ro``). The new file is written beside its destination as a hidden
``.part`` file and moved into place when complete, so a recovery that fails or is cancelled leaves no
half-made database behind.

1. The schema is made the normal way (a :class:`~imrdesk.store.Store` creates the current one). When the
   damaged file is an older version, the new file is marked with that version before the rows go in, so the
   store's own upgrade (whose steps are idempotent) moves and derives what that upgrade does.
2. The rows, table by table, parents before children. A full scan of the table's b-tree is tried first; when
   it trips on a damaged page, the rows after it are read in rowid ranges: forwards, backwards, and the
   unreadable middle bisected, so a bad page costs the rows on it and no more. Rows whose letter (or item)
   was lost are left out, counted: they have nothing to belong to.
3. What is derived — the full-text index, the findings, the item facts, the derived columns of
   ``documents`` — is not copied but rebuilt from the rows recovered (:func:`~imrdesk.store.records.refresh`), so it matches them.
4. The report: per table, rows recovered, rows lost (counted through an intact index of the damaged table;
   None when no count could be read), rows left out; the letters that lost extracted values (each gets a note
   saying so: extracting it again from its original file restores them) or their original file.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from ..record import REVIEW_STATUSES
from .audit import SYSTEM_USER, note, now
from .errors import StoreError
from .records import loads, refresh
from .schema import SCHEMA_VERSION, user_version

# The tables holding what was stored, parents first (a table the store adds later is copied after them).
# Derived tables are rebuilt from these, never copied: the findings, the searchable text (with its full-text
# index and that index's own tables) and the facts figures count.
COPIED = (
    "documents",
    "files",
    "fields",
    "items",
    "citations",
    "provenance",
    "corrections",
    "dismissals",
    "audit",
    "notes",
)
DERIVED = ("findings", "doc_text", "item_facts", "letter_tally", "item_tally")
ROWID_MIN, ROWID_MAX = -(2**63), 2**63 - 1
# Failed range reads allowed per table. One damaged leaf costs a few; a damaged interior page hides a whole
# subtree, whose key range is bisected only this far (good pages wedged between two bad ones beyond it are
# given up, and counted as lost).
PROBE_BUDGET = 20_000
BATCH = 500

# (what is being done, how far, out of): ("fields", 2, 10) while the tables are copied, then
# ("letters", 120, 4000) while their derived data is rebuilt
Progress = Callable[[str, int, int], None]


class RecoveryCancelled(Exception):
    """The recovery was stopped before it finished; nothing was written."""


@dataclass
class TableRecovery:
    table: str
    recovered: int = 0  # rows copied into the new file
    lost: int | None = 0  # rows that could not be read (None: the damaged file cannot say how many)
    left_out: int = 0  # rows read, but whose letter (or item) was lost
    damaged: bool = False  # some of the table could not be read


@dataclass
class Recovery:
    """What a recovery copied and what it could not."""

    source: Path
    dest: Path
    source_version: int = SCHEMA_VERSION
    tables: list[TableRecovery] = field(default_factory=list)
    incomplete: list[int] = field(default_factory=list)  # letters that lost extracted values
    without_file: list[int] = field(default_factory=list)  # letters whose original file was lost
    rebuilt: list[int] = field(
        default_factory=list
    )  # letters whose own row was lost, rebuilt around their file
    not_rebuilt: list[int] = field(default_factory=list)  # letters whose derived data could not be rebuilt

    def table(self, name: str) -> TableRecovery:
        return next(t for t in self.tables if t.table == name)

    @property
    def letters(self) -> int:
        """Letters in the new file: their rows recovered, or rebuilt around their original file."""
        return self.table("documents").recovered + len(self.rebuilt)

    @property
    def complete(self) -> bool:
        return not any(t.damaged or t.lost or t.left_out for t in self.tables)

    def lines(self) -> list[str]:
        """The report for a person, one line each."""
        out = [f"Recovered {self.letters} letters from {self.source.name} into {self.dest}."]
        for t in self.tables:
            lost = "an unknown number" if t.lost is None else str(t.lost)
            text = f"  {t.table}: {t.recovered} rows recovered"
            if t.damaged or t.lost:
                text += f", {lost} lost"
            if t.left_out:
                text += f", {t.left_out} left out (their letter or item was lost)"
            out.append(text)
        if self.incomplete:
            out.append(
                f"{len(self.incomplete)} letters lost extracted values (each has a note saying so); extract them "
                f"again to restore them from their original file: {_ids(self.incomplete)}."
            )
        if self.rebuilt:
            out.append(
                f"{len(self.rebuilt)} letters whose own row was lost were rebuilt around their original file, "
                f"with their values and corrections (name, import date and review status lost; each is flagged "
                f"and has a note): {_ids(self.rebuilt)}."
            )
        if self.without_file:
            out.append(
                f"{len(self.without_file)} letters lost their original file: {_ids(self.without_file)}."
            )
        if self.not_rebuilt:
            out.append(
                f"{len(self.not_rebuilt)} letters could not be read back whole; their list columns are as "
                f"stored: {_ids(self.not_rebuilt)}."
            )
        if self.complete:
            out.append("Nothing was lost.")
        out.append(f"{self.source.name} was not changed.")
        return out


def _ids(ids: list[int]) -> str:
    shown = ", ".join(f"#{i}" for i in ids[:20])
    return shown + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")


def default_destination(source: Path) -> Path:
    """``NAME-recovered.db`` beside the damaged file (``-recovered-2`` … when that exists)."""
    for n in range(1, 1000):
        tail = "" if n == 1 else f"-{n}"
        candidate = source.with_name(f"{source.stem}-recovered{tail}{source.suffix or '.db'}")
        if not candidate.exists():
            return candidate
    raise StoreError(f"Too many recovered copies of {source.name} in {source.parent}; move some away.")


def recover(
    source: str | Path,
    dest: str | Path | None = None,
    *,
    replace: bool = False,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Recovery:
    """Copy every row of the database ``source`` that can still be read into the new file ``dest`` (default:
    :func:`default_destination`), rebuild what is derived, and say what was recovered and lost. ``source`` is
    never written. ``replace``: an existing ``dest`` may be replaced (a person confirmed it); otherwise it is
    refused. StoreError with a message for a person when nothing can be recovered; RecoveryCancelled when
    ``cancelled()`` turns true (nothing written then)."""
    source = Path(source).expanduser()
    dest = Path(dest).expanduser() if dest is not None else default_destination(source)
    if not source.is_file():
        raise StoreError(f"There is no database {source} to recover.")
    if dest.exists() and (dest.resolve() == source.resolve() or not replace):
        raise StoreError(f"{dest} exists already: recovery writes a new file, never over another one.")
    src = _open_source(source)
    part = dest.with_name(f".{dest.name}.part")
    try:
        report = Recovery(source, dest, user_version(src))
        _remove(part)
        _create(part, report.source_version)
        _copy(src, part, report, progress, cancelled or (lambda: False))
        _rebuild(part, report, progress, cancelled or (lambda: False))
        _sync(part)
        for suffix in ("-wal", "-shm", "-journal"):  # a replaced file's log would be replayed onto this one
            Path(f"{dest}{suffix}").unlink(missing_ok=True)
        os.replace(part, dest)
    except sqlite3.Error as exc:
        raise StoreError(f"The recovered database {dest} could not be written: {exc}.") from exc
    except OSError as exc:
        raise StoreError(
            f"The recovered database {dest} could not be written: {exc.strerror or exc}."
        ) from exc
    finally:
        src.close()
        _remove(part)
    return report


def _remove(part: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{part}{suffix}").unlink(missing_ok=True)


def _open_source(source: Path) -> sqlite3.Connection:
    """The damaged file, read-only; StoreError when even its list of tables cannot be read."""
    from .connection import identify

    try:
        conn = sqlite3.connect(f"file:{quote(str(source))}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"{source} cannot be opened: {exc}.") from exc
    try:
        identify(conn, source)  # another program's file, or a newer imrdesk's: refused
        conn.execute("SELECT name, sql FROM sqlite_master").fetchall()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(
            f"Nothing can be recovered from {source.name}: the list of its tables (its first page) cannot be "
            f"read ({exc}). Restore a backup."
        ) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _create(part: Path, version: int) -> None:
    """The current schema, made by the store itself; marked with an older ``version`` so the store's upgrade
    runs on the rows once they are in (see the module's doc)."""
    from .store import Store

    Store(part).close()
    if version < SCHEMA_VERSION:
        conn = _connect(part)
        try:
            conn.execute(f"PRAGMA user_version = {max(int(version), 1)}")
        finally:
            conn.close()


def _connect(path: Path) -> sqlite3.Connection:
    """A connection to the new file. No sync at each commit: until it is complete, the file is a temporary
    one that a crash leaves to be made again; it is synced once, before it is moved into place."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = OFF")
    return conn


def _sync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _tables(dst: sqlite3.Connection) -> list[str]:
    """The tables to copy: :data:`COPIED`, then any other the store made that is not derived (nor a
    full-text index's own table)."""
    names = [r[0] for r in dst.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")]
    others = [
        n
        for n in names
        if n not in COPIED and n not in DERIVED and not n.startswith(("sqlite_", "doc_text_fts"))
    ]
    return [*COPIED, *others]


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")]


def _copy(
    src: sqlite3.Connection, part: Path, report: Recovery, progress: Progress | None, cancelled
) -> None:
    dst = _connect(part)
    try:
        present = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        kept: dict[str, set[int]] = {}  # ids recovered, by table (what children may point at)
        stored: dict[int, tuple] = {}  # a letter's n_fields, n_items as stored
        dst.execute("BEGIN")
        tables = _tables(dst)
        referenced = {r[2] for t in tables for r in dst.execute(f"PRAGMA foreign_key_list([{t}])")}
        for done, table in enumerate(tables):
            if progress is not None:
                progress(table, done, len(tables))
            result = TableRecovery(table)
            report.tables.append(result)
            if table in present:  # (an older schema may not have it)
                _copy_table(src, dst, table, kept, result, report, cancelled)
            if table in referenced:
                kept[table] = {r[0] for r in dst.execute(f"SELECT rowid FROM [{table}]")}
            if table == "documents":
                stored = {r[0]: r[1:] for r in dst.execute("SELECT id, n_fields, n_items FROM documents")}
        _mark_incomplete(dst, report, stored)
        dst.execute("COMMIT")
    finally:
        if dst.in_transaction:
            dst.execute("ROLLBACK")
        dst.close()


def _copy_table(
    src: sqlite3.Connection,
    dst: sqlite3.Connection,
    table: str,
    kept: dict[str, set[int]],
    result: TableRecovery,
    report: Recovery,
    cancelled,
) -> None:
    names = [c for c in _columns(src, table) if c in set(_columns(dst, table))]
    # the columns that point at a parent row (every parent is copied first, its rowids kept)
    refs = [
        (names.index(r[3]), r[2])
        for r in dst.execute(f"PRAGMA foreign_key_list([{table}])")
        if r[3] in names and r[2] in kept
    ]
    expected = _count(src, table)
    insert = (
        f"INSERT OR IGNORE INTO [{table}] (rowid, {', '.join(f'[{c}]' for c in names)}) "
        f"VALUES ({', '.join('?' * (len(names) + 1))})"
    )
    # an original file whose letter's row was lost: the letter is rebuilt around it (see _stand_in)
    orphan_file = table == "files" and {"doc_id", "content"} <= set(names)
    batch: list[tuple] = []
    reader = _RowReader(src, table, names)
    for row in reader.rows():
        if cancelled():
            raise RecoveryCancelled()
        values = row[1:]
        if orphan_file:
            doc_id, content = values[names.index("doc_id")], values[names.index("content")]
            if doc_id not in kept["documents"] and _stand_in(dst, doc_id, content):
                kept["documents"].add(doc_id)
                report.rebuilt.append(doc_id)
        if any(values[i] is not None and values[i] not in kept[parent] for i, parent in refs):
            result.left_out += 1
            continue
        batch.append(row)
        if len(batch) >= BATCH:
            result.recovered += _insert(dst, insert, batch, result)
            batch = []
    result.recovered += _insert(dst, insert, batch, result)
    result.damaged = reader.failed
    read = result.recovered + result.left_out
    result.lost = None if expected is None else max(expected - read, 0)
    if result.lost is None and not reader.failed:
        result.lost = 0


def _stand_in(dst: sqlite3.Connection, doc_id: int, content) -> bool:
    """A documents row for a letter whose own row was lost but whose original file was read: its identity
    from the file (hash, kind, size), a stand-in name, flagged for a reviewer's look; its values, items,
    corrections and audit then find their letter again. False when there is no file to stand on."""
    if not isinstance(doc_id, int) or not isinstance(content, bytes) or not content:
        return False
    kind = "pdf" if b"%PDF-" in content[:1024] else "txt"
    return bool(
        dst.execute(
            "INSERT OR IGNORE INTO documents (id, sha256, file_name, kind, size, status, imported_at) "
            "VALUES (?, ?, ?, ?, ?, 'flagged', ?)",
            (
                doc_id,
                hashlib.sha256(content).hexdigest(),
                f"recovered-letter-{doc_id}.{kind}",
                kind,
                len(content),
                now(),
            ),
        ).rowcount
    )


def _insert(dst: sqlite3.Connection, sql: str, rows: list[tuple], result: TableRecovery) -> int:
    """Insert rows; a batch that breaks a constraint (a damaged page can read back as nonsense) is inserted
    row by row. Rows refused, or repeating one already in, are counted as left out. Returns the rows
    inserted."""
    if not rows:
        return 0
    dst.execute("SAVEPOINT batch")
    try:
        inserted = dst.executemany(sql, rows).rowcount
    except sqlite3.DatabaseError:
        dst.execute("ROLLBACK TO batch")
        inserted = 0
        for row in rows:
            try:
                inserted += dst.execute(sql, row).rowcount
            except sqlite3.DatabaseError:
                pass
    dst.execute("RELEASE batch")
    result.left_out += len(rows) - inserted
    return inserted


def _count(src: sqlite3.Connection, table: str) -> int | None:
    """How many rows a table holds, through any intact index (its b-tree is apart from the table's), else
    through the table itself; None when no count can be read."""
    indexes = [r[1] for r in src.execute(f"PRAGMA index_list([{table}])")]
    for index in indexes:
        try:
            return src.execute(f"SELECT count(*) FROM [{table}] INDEXED BY [{index}]").fetchone()[0]
        except sqlite3.DatabaseError:
            continue
    try:
        return src.execute(f"SELECT count(*) FROM [{table}] NOT INDEXED").fetchone()[0]
    except sqlite3.DatabaseError:
        return None


class _RowReader:
    """Every readable row of one table as ``(rowid, *columns)``, each once (see the module's doc, 2)."""

    def __init__(self, src: sqlite3.Connection, table: str, names: list[str]) -> None:
        self.src = src
        cols = ", ".join(f"[{c}]" for c in names)
        # NOT INDEXED: the table's own b-tree, never an index that may be damaged too (rowid ranges still
        # seek in the table's b-tree)
        base = f"SELECT rowid, {cols} FROM [{table}] NOT INDEXED WHERE rowid BETWEEN ? AND ?"
        self.forward = base + " ORDER BY rowid"
        self.backward = base + " ORDER BY rowid DESC"
        self.table = table
        self.failed = False
        self.probes = 0

    def _read(self, sql: str, lo: int, hi: int, seen: list) -> bool:
        """Append the rows of ``[lo, hi]`` read in ``sql``'s order to ``seen`` until the first error; True
        when the whole range was read."""
        try:
            for row in self.src.execute(sql, (lo, hi)):
                seen.append(row)
        except sqlite3.DatabaseError:
            self.failed = True
            self.probes += 1
            return False
        return True

    def rows(self) -> Iterator[tuple]:
        pending = [(ROWID_MIN, ROWID_MAX)]
        while pending:
            lo, hi = pending.pop()
            ahead: list[tuple] = []
            whole = self._read(self.forward, lo, hi, ahead)
            yield from ahead
            if whole:
                continue
            start = ahead[-1][0] + 1 if ahead else lo
            if start > hi:
                continue
            behind: list[tuple] = []
            whole = self._read(self.backward, start, hi, behind)
            yield from behind
            end = behind[-1][0] - 1 if behind else hi
            # [start, end] was read from neither side. SQLite steps one row past the last one returned, so
            # the row next to a bad page is missed in one direction and read in the other: single keys are
            # tried both ways before they count as unreadable. Good pages may lie between bad ones: bisect.
            if start > end or lo == hi or self.probes >= PROBE_BUDGET:
                continue
            if start == end:
                pending.append((start, start))
                continue
            mid = (start + end) // 2
            pending.append((mid + 1, end))
            pending.append((start, mid))


def _mark_incomplete(dst: sqlite3.Connection, report: Recovery, stored: dict) -> None:
    """Letters whose extracted values or items are fewer than their stored counts say, letters rebuilt
    around their file, and letters without their original file: listed in the report, the first two given a
    note (extract them again). A rebuilt letter takes back the last review status its audit recorded."""
    fields = dict(dst.execute("SELECT doc_id, count(*) FROM fields GROUP BY doc_id").fetchall())
    items = dict(dst.execute("SELECT doc_id, count(*) FROM items GROUP BY doc_id").fetchall())
    with_file = {r[0] for r in dst.execute("SELECT doc_id FROM files")}
    at = now()
    for doc_id, (n_fields, n_items) in sorted(stored.items()):
        if (n_fields or 0) > fields.get(doc_id, 0) or (n_items or 0) > items.get(doc_id, 0):
            report.incomplete.append(doc_id)
            note(dst, doc_id, LOST_VALUES, SYSTEM_USER, at)
        if doc_id not in with_file:
            report.without_file.append(doc_id)
    for doc_id in report.rebuilt:
        note(dst, doc_id, LOST_ROW, SYSTEM_USER, at)
        last = dst.execute(
            "SELECT new FROM audit WHERE doc_id = ? AND path = 'review_status' ORDER BY id DESC LIMIT 1",
            (doc_id,),
        ).fetchone()
        status = loads(last[0]) if last else None
        if status in REVIEW_STATUSES:
            dst.execute("UPDATE documents SET status = ? WHERE id = ?", (status, doc_id))


LOST_VALUES = (
    "Recovered from a damaged database: some of this letter's extracted values were lost. Extract it again to "
    "read them from its original file (corrections are kept)."
)
LOST_ROW = (
    "Recovered from a damaged database: this letter's own row was lost (its file name, import date and review "
    "status), and it was rebuilt around its original file with the values and corrections that could be read. "
    "Extract it again to read everything from the file (corrections are kept)."
)


def _rebuild(part: Path, report: Recovery, progress: Progress | None, cancelled) -> None:
    """Upgrade an older file the store's way, then rebuild every letter's derived data (one letter that
    cannot be read back whole keeps its stored columns, and is named in the report)."""
    from .store import Store

    Store(part).close()  # the upgrade from the damaged file's version, when it was older
    conn = _connect(part)
    try:
        ids = [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY id")]
        conn.execute("BEGIN")
        conn.execute("DELETE FROM findings")
        for n, doc_id in enumerate(ids):
            if n % 50 == 0:
                if cancelled():
                    raise RecoveryCancelled()
                if progress is not None:
                    progress("letters", n, len(ids))
            conn.execute("SAVEPOINT letter")
            try:
                refresh(conn, doc_id)
            except (sqlite3.DatabaseError, ValueError, KeyError, TypeError, AttributeError, IndexError):
                conn.execute("ROLLBACK TO letter")
                report.not_rebuilt.append(doc_id)
            conn.execute("RELEASE letter")
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()
