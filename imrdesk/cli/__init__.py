"""Command line: ``imrdesk [--db PATH] [COMMAND [--db PATH] ...]``; with no command, the window opens, and
``imrdesk [--db PATH] FILE...`` opens it on those letters (imported first: Explorer's "Open with", files
dropped on the program's icon).

One module per group of commands, each with ``register(subparsers)`` and its ``cmd_*`` functions:
``extract`` (no database), ``batch`` (import, reextract), ``letters`` (search, show), ``export``, ``stats``
(stats, report), ``recover`` (a damaged database into a new file); ``common`` holds what they share. The
commands stand on the services and the store's public methods; heavy libraries are imported inside the commands, so ``--version`` and ``--help`` stay fast."""

from __future__ import annotations

import argparse
import os
import sys

from .. import __version__
from . import batch, export, extract, letters, recover, stats
from .common import add_db_option, run_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imrdesk",
        description="Turn IMR Final Determination letters into a clean, reviewed dataset. "
        "With no command, the reviewer's window opens; given letters (imrdesk FILE...), it imports them "
        "and opens the first.",
    )
    parser.add_argument("--version", action="version", version=f"imrdesk {__version__}")
    parser.add_argument("--smoke-gui", type=int, metavar="MS", help=argparse.SUPPRESS)  # build start check
    add_db_option(parser, command=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in (extract, batch, letters, export, stats, recover):
        group.register(sub)
    parser.commands = frozenset(sub.choices)  # split_files tells a command from a letter's name by it
    return parser


LETTER_SUFFIXES = (".pdf", ".txt", ".text")
VALUE_OPTIONS = ("--db", "--smoke-gui")  # the program's options that take a value


def split_files(argv: list[str], commands) -> tuple[list[str], list[str]]:
    """``imrdesk [OPTIONS] FILE...`` -> (the options, the files). The files start at the first argument that
    is not an option (or an option's value) and not a command, when it names a file: an existing path, or a
    letter's name (.pdf, .txt). Anything else is left to argparse (so a mistyped command is still an error)."""

    def positionals(args: list[str]):
        i = 0
        while i < len(args):
            if args[i] in VALUE_OPTIONS:
                i += 2
            elif args[i].startswith("-") and args[i] != "-":
                i += 1
            else:
                yield i
                i += 1

    first = next(positionals(argv), None)
    if first is None or argv[first] in commands:
        return argv, []
    name = argv[first]
    if not (os.path.exists(name) or name.lower().endswith(LETTER_SUFFIXES) or os.sep in name or "/" in name):
        return argv, []
    at = set(positionals(argv))
    return [a for i, a in enumerate(argv) if i not in at], [argv[i] for i in sorted(at)]


def main(argv: list[str] | None = None) -> int:
    # JSON Lines are UTF-8 whatever the console's code page (Windows consoles and redirects default to ANSI).
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and (stream.encoding or "").lower().replace("-", "") != "utf8":
            stream.reconfigure(encoding="utf-8")
    parser = build_parser()
    options, files = split_files(sys.argv[1:] if argv is None else list(argv), parser.commands)
    args = parser.parse_args(options)
    if args.smoke_gui is not None:
        from ..ui.smoke import smoke_gui

        return smoke_gui(args.smoke_gui, db=args.db)
    if getattr(args, "func", None) is None:
        from ..ui.launch import run_window

        return run_window(db=args.db, files=files)
    return run_command(args.func, args)  # a reader that stops reading (`| head`) ends it quietly
