"""The database file itself: ``backup`` (a consistent copy while the app runs) and ``check`` (is it sound?)."""

from __future__ import annotations

import sys
from pathlib import Path

from .common import EXIT_FAILED, EXIT_OK, add_db_option, db_path, fail, write_line


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "backup",
        help="copy the database to FILE, safely, even while the window has it open",
        description="Write a consistent copy of the whole database (original letters, values, corrections, "
        "audit) to FILE with SQLite's online backup: every committed correction is in it, nothing "
        "half-written. Copying the file by hand while imrdesk runs is not a backup.",
    )
    p.add_argument("file", metavar="FILE", help="the backup file to write (replaced when it exists)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    add_db_option(p)
    p.set_defaults(func=cmd_backup)

    p = subparsers.add_parser(
        "check",
        help="check that the database file is sound",
        description="Run SQLite's integrity check on the database. Exit status 0 when it is sound, 1 when "
        "it is damaged (a damaged database is never written by imrdesk: back it up and open it to read).",
    )
    add_db_option(p)
    p.set_defaults(func=cmd_check)


def _open_read_only(args):
    from ..store import Store

    path = db_path(args)
    if not path.exists():
        raise FileNotFoundError(f"there is no database at {path}.")
    return Store(path, read_only=True)


def cmd_backup(args) -> int:
    from ..store import StoreError

    dest = Path(args.file).expanduser()

    def progress(done: int, total: int) -> None:
        if not args.quiet and sys.stderr.isatty():
            sys.stderr.write(f"\rbacking up: {done}/{total} pages")
            sys.stderr.flush()

    try:
        with _open_read_only(args) as store:
            store.backup(dest, progress)
    except (StoreError, FileNotFoundError, ValueError) as exc:
        return fail(str(exc))
    if not args.quiet and sys.stderr.isatty():
        sys.stderr.write("\n")
    write_line(f"Backed up {db_path(args)} to {dest}.")
    return EXIT_OK


def cmd_check(args) -> int:
    from ..store import StoreError

    try:
        with _open_read_only(args) as store:
            problems = store.verify()
    except (StoreError, FileNotFoundError) as exc:
        return fail(str(exc))
    if not problems:
        write_line(f"{db_path(args)}: sound.")
        return EXIT_OK
    write_line(f"{db_path(args)}: damaged — it will not be written. What SQLite found:")
    for line in problems:
        write_line(f"  {line}")
    return EXIT_FAILED
