"""The batch commands, isolated in worker processes: ``import`` and ``reextract``."""

from __future__ import annotations

import argparse

from . import database
from .common import add_db_option, db_path, fail, open_store, resolve_docs, run_batch


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "import",
        help="import letters (PDF or .txt files, or folders) into the database",
        description="Import IMR letters into the database. Folders are searched recursively for .pdf and "
        ".txt files. Each letter is read in a separate process with a time limit; a letter that cannot be "
        "read is stored as a failure and the others go on. Letters already in the database are skipped; "
        "letters that timed out or crashed at an earlier import are reported, and read again only with "
        "--retry-failed.",
        epilog="Exit status: 0 when every letter was imported or already present, 1 when some failed "
        "(the others are stored), 130 when interrupted (letters finished so far are stored).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="letters or folders of letters")
    add_db_option(p)
    p.add_argument("--workers", type=int, default=2, metavar="N", help="extraction processes (default: 2)")
    p.add_argument(
        "--timeout", type=float, default=60.0, metavar="SECONDS", help="time allowed per letter (default: 60)"
    )
    p.add_argument(
        "--reextract",
        action="store_true",
        help="read letters that are already stored again (after an upgrade); corrections are kept",
    )
    p.add_argument(
        "--retry-failed",
        action="store_true",
        help="read again the letters an earlier import stored as timed out or crashed (by default they are "
        "reported, not read again)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_import)

    p = subparsers.add_parser(
        "reextract",
        help="extract stored letters again with this version (corrections are kept)",
        description="Read stored letters again from their original bytes, isolated like an import. "
        "Corrections stay in force; a letter whose re-reading fails keeps its stored values.",
    )
    p.add_argument("cases", nargs="*", metavar="CASE", help="case numbers, file names or #IDs")
    add_db_option(p)
    p.add_argument("--all", action="store_true", help="every stored letter")
    p.add_argument("--workers", type=int, default=2, metavar="N", help="extraction processes (default: 2)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="time allowed per letter")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_reextract)

    # the database file's own commands (backup, check) come with the batch work on it
    database.register(subparsers)


def cmd_import(args) -> int:
    from ..services.importing import import_paths

    if args.workers < 1:
        return fail("--workers must be at least 1.")
    try:
        db = db_path(args)
    except OSError as exc:
        return fail(f"cannot create the database folder: {exc}")

    def run(bar, cancel):
        return import_paths(
            db,
            args.paths,
            workers=args.workers,
            timeout=args.timeout if args.timeout > 0 else None,
            progress=bar,
            cancel=cancel,
            reextract=args.reextract,
            retry_failed=args.retry_failed,
        )

    return run_batch(args, run)


def cmd_reextract(args) -> int:
    from ..services.importing import reextract_documents
    from ..store import StoreError

    try:
        store = open_store(args)
    except StoreError as exc:
        return fail(str(exc))
    try:
        if args.all:
            ids = store.document_ids()
        else:
            if not args.cases:
                return fail(
                    "name the letters to re-extract (case numbers, file names or #IDs), or use --all."
                )
            ids = []
            for key in args.cases:
                found = resolve_docs(store, key)
                if not found:
                    return fail(f"no stored letter matches {key!r}.")
                ids += [i for i in found if i not in ids]
    finally:
        store.close()

    def run(bar, cancel):
        return reextract_documents(
            db_path(args),
            ids,
            workers=max(1, args.workers),
            timeout=args.timeout if args.timeout > 0 else None,
            progress=bar,
            cancel=cancel,
        )

    return run_batch(args, run)
