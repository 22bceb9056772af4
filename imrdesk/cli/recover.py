"""``recover``: what can still be read from a damaged database, copied into a new file with a report of what
was recovered and lost (the damaged file is only read)."""

from __future__ import annotations

import sys
from pathlib import Path

from .common import EXIT_FAILED, EXIT_OK, fail, write_line


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "recover",
        help="copy what can still be read from a damaged database into a new file",
        description="Read every row of a damaged database that can still be read, table by table (a damaged "
        "page costs only the rows on it), into a NEW database, rebuild its search index and list columns, and "
        "report the rows recovered and lost per table. The damaged file is never changed. Exit status 0 "
        "when nothing was lost, 1 when something was, 2 when nothing could be recovered.",
    )
    p.add_argument("damaged", metavar="DAMAGED.db", help="the damaged database (only read)")
    p.add_argument(
        "-o",
        "--output",
        metavar="NEW.db",
        help="the new database to write (default: DAMAGED-recovered.db beside it; never an existing file)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_recover)


def cmd_recover(args) -> int:
    from ..store import StoreError
    from ..store.recover import recover

    def progress(stage: str, done: int, total: int) -> None:
        if not args.quiet and sys.stderr.isatty():
            what = "letters rebuilt" if stage == "letters" else f"tables copied ({stage})"
            sys.stderr.write(f"\rrecovering: {done}/{total} {what:<30}")
            sys.stderr.flush()

    try:
        report = recover(Path(args.damaged), args.output and Path(args.output), progress=progress)
    except StoreError as exc:
        return fail(str(exc))
    finally:
        if not args.quiet and sys.stderr.isatty():
            sys.stderr.write("\n")
    for line in report.lines():
        write_line(line)
    return EXIT_OK if report.complete else EXIT_FAILED
