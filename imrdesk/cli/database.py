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
        description="Run SQLite's integrity check on the database, and check that the pre-counted figures "
        "(what stats, insights and the report read) agree with the letters. Exit status 0 when it is sound, 1 "
        "when it is damaged (a damaged database is never written by imrdesk: back it up and open it to read) "
        "or the figures disagree (--recount counts them again).",
    )
    p.add_argument(
        "--recount", action="store_true", help="count the pre-counted figures again from the letters"
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
    from ..store import Store, StoreError

    recount = getattr(args, "recount", False)  # the option is newer than some callers' argument sets
    try:
        with _open_read_only(args) as store:
            problems = store.verify()
            drift = [] if problems else store.figures.differences()
        if drift and recount:
            with Store(db_path(args)) as store:
                store.figures.recount()
                drift = store.figures.differences()
    except (StoreError, FileNotFoundError) as exc:
        return fail(str(exc))
    if drift:
        write_line(
            f"{db_path(args)}: the pre-counted figures disagree with the letters (imrdesk check --recount):"
        )
        for line in drift:
            write_line(f"  {line}")
        return EXIT_FAILED
    if not problems:
        write_line(f"{db_path(args)}: sound{' (figures counted again)' if recount else ''}.")
        return EXIT_OK
    write_line(f"{db_path(args)}: damaged — it will not be written. What SQLite found:")
    for line in problems:
        write_line(f"  {line}")
    return EXIT_FAILED
