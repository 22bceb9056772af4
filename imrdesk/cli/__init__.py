"""Command line: ``imrdesk [--db PATH] [COMMAND [--db PATH] ...]``; with no command, the window opens.

One module per group of commands, each with ``register(subparsers)`` and its ``cmd_*`` functions:
``extract`` (no database), ``batch`` (import, reextract), ``letters`` (search, show), ``export``, ``stats``
(stats, report); ``common`` holds what they share. The commands stand on the services and the store's public
methods; heavy libraries are imported inside the commands, so ``--version`` and ``--help`` stay fast."""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from . import batch, export, extract, letters, stats
from .common import add_db_option


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imrdesk",
        description="Turn IMR Final Determination letters into a clean, reviewed dataset. "
        "With no command, the reviewer's window opens.",
    )
    parser.add_argument("--version", action="version", version=f"imrdesk {__version__}")
    parser.add_argument("--smoke-gui", type=int, metavar="MS", help=argparse.SUPPRESS)  # build start check
    add_db_option(parser, command=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in (extract, batch, letters, export, stats):
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # JSON Lines are UTF-8 whatever the console's code page (Windows consoles and redirects default to ANSI).
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and (stream.encoding or "").lower().replace("-", "") != "utf8":
            stream.reconfigure(encoding="utf-8")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.smoke_gui is not None:
        from ..ui.smoke import smoke_gui

        return smoke_gui(args.smoke_gui, db=args.db)
    if getattr(args, "func", None) is None:
        from ..ui.app import run_gui

        return run_gui(db=args.db)
    return int(args.func(args) or 0)
