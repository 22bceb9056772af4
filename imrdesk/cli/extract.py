"""``extract``: letters to contract records, printed; no database is touched."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import closing
from pathlib import Path

from .common import EXIT_FAILED, EXIT_OK, fail, output_closed


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "extract",
        help="extract letters to records without touching any database",
        description="Extract letters to contract records, printed in the order given. Each file is read in "
        "a separate process with a time and a memory limit: a file that hangs or crashes its reader becomes "
        "an error record (timeout, crashed) and the next file is read.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="PDF or .txt letters")
    p.add_argument("--json", action="store_true", help="print one JSON record per file (JSON Lines)")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="extraction processes (default: 1)")
    p.add_argument(
        "--timeout", type=float, default=60.0, metavar="SECONDS", help="time allowed per letter (default: 60)"
    )
    p.add_argument(
        "--no-ocr",
        action="store_true",
        help="leave pages without a text layer unread (scanned letters are then no_text_layer)",
    )
    p.set_defaults(func=cmd_extract)


def cmd_extract(args: argparse.Namespace) -> int:
    from ..services.extracting import extract_files

    if args.workers < 1:
        return fail("--workers must be at least 1.")
    failed = 0
    records = extract_files(
        [Path(p) for p in args.files],
        workers=args.workers,
        timeout=args.timeout if args.timeout > 0 else None,
        ocr=not args.no_ocr,
    )
    with closing(records):  # a reader that stops early (a closed pipe) stops the workers too
        try:
            for rec in records:
                failed += rec["error"] is not None
                if args.json:
                    sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
                else:
                    _print_human(rec)
                sys.stdout.flush()
        except BrokenPipeError:  # `imrdesk extract --json … | head -1`
            return output_closed()
    return EXIT_OK if args.json or not failed else EXIT_FAILED


def _print_human(rec: dict) -> None:
    if rec["error"]:
        print(f"{rec['file']}: {rec['error']['code']}: {rec['error']['message']}")
        return
    items = rec["items"]
    print(f"{rec['file']}: {rec['case_number'] or '(no case number)'} [{rec['format']}] {len(items)} item(s)")
    for item in items:
        print(f"  {item['decision']:10} {item['treatment']}")
