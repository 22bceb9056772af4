"""``extract``: letters to contract records, printed; no database is touched."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .common import EXIT_FAILED, EXIT_OK


def register(subparsers) -> None:
    p = subparsers.add_parser("extract", help="extract letters to records without touching any database")
    p.add_argument("files", nargs="+", metavar="FILE", help="PDF or .txt letters")
    p.add_argument("--json", action="store_true", help="print one JSON record per file (JSON Lines)")
    p.set_defaults(func=cmd_extract)


def cmd_extract(args: argparse.Namespace) -> int:
    from ..extract import extract

    failed = 0
    for path in args.files:
        rec = extract(Path(path))
        failed += rec["error"] is not None
        if args.json:
            sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
        else:
            _print_human(rec)
        sys.stdout.flush()
    return EXIT_OK if args.json or not failed else EXIT_FAILED


def _print_human(rec: dict) -> None:
    if rec["error"]:
        print(f"{rec['file']}: {rec['error']['code']}: {rec['error']['message']}")
        return
    items = rec["items"]
    print(f"{rec['file']}: {rec['case_number'] or '(no case number)'} [{rec['format']}] {len(items)} item(s)")
    for item in items:
        print(f"  {item['decision']:10} {item['treatment']}")
