"""Opening a database file, and what its faults mean for a person.

A file is identified before anything is written to it: another program's SQLite file, or one from a newer
imrdesk, is refused untouched (not even switched to write-ahead logging). A file the user may not write
(its permissions, or its folder's: SQLite needs to create its journal beside it) is opened read-only, and
every write then says so instead of failing half-way. SQLite's errors become messages that say what
happened and what to do (:func:`explain`).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from .errors import StoreError
from .schema import check_version

# columns only imrdesk's own documents table has: a file with a "documents" table of another program
# is not taken for an imrdesk database
IMRDESK_COLUMNS = {"sha256", "file_name", "kind", "layout", "extractor"}


def _writable(path: Path) -> bool:
    folder = path.parent
    if path.exists():
        return os.access(path, os.W_OK) and os.access(folder, os.W_OK)
    return os.access(folder, os.W_OK)


def connect(path: Path, read_only: bool = False) -> tuple[sqlite3.Connection, bool]:
    """A connection to ``path`` (created when missing) and whether it is read-only (asked for, or the file
    may not be written); StoreError when the file cannot be opened or is not an imrdesk database (nothing
    written to it then)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"Cannot create the folder of the database {path}: {exc.strerror or exc}.") from exc
    if read_only and not path.exists():
        raise StoreError(f"There is no database {path} to open.")
    read_only = read_only or (path.exists() and not _writable(path))
    if not path.exists() and not _writable(path):
        raise StoreError(f"Cannot create the database {path}: the folder is not writable.")
    try:
        if read_only:
            uri = f"file:{quote(str(path))}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, timeout=60.0, check_same_thread=False, isolation_level=None)
        else:
            conn = sqlite3.connect(str(path), timeout=60.0, check_same_thread=False, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"Cannot open the database {path}: {exc}") from exc
    try:
        conn.execute("PRAGMA busy_timeout = 60000")
        identify(conn, path)
        if not read_only:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"The database {path} cannot use write-ahead logging (mode {mode}).")
            conn.execute("PRAGMA synchronous = FULL")  # a committed correction survives a power cut
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(explain(exc, path)) from exc
    except BaseException:
        conn.close()
        raise
    return conn, read_only


def identify(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a file that is not an imrdesk database (before anything is written to it)."""
    version = check_version(conn, str(path))
    if version == 0:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "documents" in tables:
            columns = {r[1] for r in conn.execute("PRAGMA table_info(documents)")}
            if not IMRDESK_COLUMNS <= columns:
                raise StoreError(f"{path} is an SQLite database of some other program, not imrdesk's.")


def explain(exc: BaseException, path: Path) -> str:
    """What an SQLite error means for the person using the database at ``path``."""
    text = str(exc).lower()
    name = path.name
    if "readonly" in text or "read-only" in text or "attempt to write" in text:
        return (
            f"The database {name} is read-only (no permission to write it or its folder): nothing was "
            "changed. Copy it to a folder you can write to, or open it to read only."
        )
    if "disk is full" in text or "database or disk is full" in text or "no space" in text:
        return (
            f"The disk holding {name} is full: the last change was not saved, everything saved before is "
            "safe. Free some space and try again."
        )
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return (
            f"The database {name} is damaged ({exc}). It was not changed, and imrdesk will not write to it. "
            "Make a copy with 'imrdesk backup' (or File › Back up database…) before anything else; the "
            "letters and values that can still be read stay readable."
        )
    if "locked" in text or "busy" in text:
        return f"The database {name} is in use by another program and stayed locked; try again in a moment."
    return f"The database {name} could not be used: {exc}."


def backup(conn: sqlite3.Connection, source: Path, dest: Path, progress=None) -> Path:
    """Copy the database behind ``conn`` to ``dest`` with SQLite's online backup (consistent while in use),
    into a temporary file beside ``dest`` moved into place when complete; ``progress(done, total)`` in
    pages. StoreError with a message for a person when it cannot be written."""
    if dest.exists() and dest.resolve() == source.resolve():
        raise ValueError("A backup must go to another file than the database itself.")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"Cannot create the folder for the backup {dest}: {exc.strerror or exc}.") from exc
    part = dest.with_name(f".{dest.name}.part")

    def report(_status, remaining: int, total: int) -> None:
        if progress is not None:
            progress(total - remaining, total)

    try:
        part.unlink(missing_ok=True)
        target = sqlite3.connect(str(part))
        try:
            conn.backup(target, pages=1024, progress=report)
            target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        finally:
            target.close()
        os.replace(part, dest)
    except sqlite3.Error as exc:
        part.unlink(missing_ok=True)
        raise StoreError(explain(exc, dest)) from exc
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise StoreError(f"The backup could not be written to {dest}: {exc.strerror or exc}.") from exc
    return dest


def quick_check(conn: sqlite3.Connection) -> list[str]:
    """SQLite's quick integrity check: [] when the file is sound, else what is wrong (a few lines)."""
    try:
        rows = [r[0] for r in conn.execute("PRAGMA quick_check(20)")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows
