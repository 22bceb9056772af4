"""Command line: ``imrdesk [--db PATH] [COMMAND ...]``; with no command, the window opens."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__


def _cmd_extract(args: argparse.Namespace) -> int:
    from .extract import extract

    failed = 0
    for path in args.files:
        rec = extract(Path(path))
        failed += rec["error"] is not None
        if args.json:
            sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
        else:
            _print_human(rec)
        sys.stdout.flush()
    return 0 if args.json or not failed else 1


def _print_human(rec: dict) -> None:
    if rec["error"]:
        print(f"{rec['file']}: {rec['error']['code']}: {rec['error']['message']}")
        return
    items = rec["items"]
    print(f"{rec['file']}: {rec['case_number'] or '(no case number)'} [{rec['format']}] {len(items)} item(s)")
    for item in items:
        print(f"  {item['decision']:10} {item['treatment']}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imrdesk",
        description="Turn IMR Final Determination letters into a clean, reviewed dataset. "
        "With no command, the reviewer's window opens.",
    )
    parser.add_argument("--version", action="version", version=f"imrdesk {__version__}")
    parser.add_argument("--smoke-gui", type=int, metavar="MS", help=argparse.SUPPRESS)  # build start check
    parser.add_argument(
        "--db", metavar="PATH", help="database file (default: IMRDESK_DB or the user data folder)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("extract", help="extract letters to records without touching any database")
    p.add_argument("files", nargs="+", metavar="FILE", help="PDF or .txt letters")
    p.add_argument("--json", action="store_true", help="print one JSON record per file (JSON Lines)")
    p.set_defaults(func=_cmd_extract)

    try:
        from .store import commands as store_commands
    except ImportError:  # the store layer is optional for a bare extractor build
        store_commands = None
    if store_commands is not None:
        store_commands.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # JSON Lines are UTF-8 whatever the console's code page (Windows consoles and redirects default to ANSI).
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and (stream.encoding or "").lower().replace("-", "") != "utf8":
            stream.reconfigure(encoding="utf-8")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.smoke_gui is not None:
        from .ui.smoke import smoke_gui

        return smoke_gui(args.smoke_gui, db=args.db)
    if getattr(args, "func", None) is None:
        from .ui.app import run_gui

        return run_gui(db=args.db)
    return int(args.func(args) or 0)
