"""What the commands share: exit codes, the ``--db`` option, opening the store, error messages, the progress
display of a batch and its summary, and finding stored letters by case number, file name or ``#ID``.

Nothing heavy is imported here at module level (the store pulls in sqlite_utils): ``imrdesk --version`` and
``--help`` must stay fast, so the store is imported inside the functions that need it."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..store import Store

EXIT_OK = 0
EXIT_FAILED = 1  # some letters failed (the others are stored), or nothing matched
EXIT_ERROR = 2  # a usage or environment error: nothing was done
EXIT_INTERRUPTED = 130  # Ctrl-C: the letters finished so far are stored
EXIT_BROKEN_PIPE = 141  # the reader of stdout went away (`| head`); what a shell reports for SIGPIPE

DB_HELP = "database file (default: IMRDESK_DB or the user data folder)"


def add_db_option(parser: argparse.ArgumentParser, *, command: bool = True) -> None:
    """``--db PATH``. The program's parser takes it before the command (default None); each command's parser
    takes it too, after the command, with no default of its own (SUPPRESS), so the value given after the
    command replaces the one given before it only when it is given."""
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS if command else None,
        help=DB_HELP,
    )


def db_path(args) -> Path:
    """The database file the command works on: ``--db``, else IMRDESK_DB, else the user data folder."""
    if getattr(args, "db", None):
        return Path(args.db).expanduser()
    from ..store import Store

    return Store.default_path()


def fail(message: str) -> int:
    """Print ``imrdesk: error: MESSAGE`` on stderr; the exit status of an error."""
    print(f"imrdesk: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def open_store(args) -> Store:
    """The command's store, open (StoreError with a message when the file is not a usable database)."""
    from ..store import Store

    return Store(db_path(args))


def run_command(func: Callable[[argparse.Namespace], int | None], args: argparse.Namespace) -> int:
    """Run a command; when whoever reads its output stops reading (``imrdesk search … | head -1``), end
    quietly instead of with a BrokenPipeError traceback."""
    try:
        return int(func(args) or 0)
    except BrokenPipeError:
        return output_closed()


def output_closed() -> int:
    """The reader of stdout went away: point stdout at the null device (so the interpreter's last flush
    of the lost output fails no more) and return the exit status for it."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
    return EXIT_BROKEN_PIPE


def write_line(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class Progress:
    """A one-line progress bar on a terminal; one line per letter otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.drawn = False

    def __call__(self, ev: dict) -> None:
        if self.quiet:
            return
        done, total = ev["done"], ev["total"]
        if self.tty:
            width = shutil.get_terminal_size((80, 20)).columns
            bar_w = 24
            filled = int(bar_w * done / total) if total else bar_w
            head = f"[{'#' * filled}{'.' * (bar_w - filled)}] {done}/{total} "
            tail = f"{ev['status']}: {ev['file']}"
            if ev["status"] == "reading":  # a page of a scan read by OCR
                tail = f"reading by OCR (page {ev.get('page')} of {ev.get('pages')}): {ev['file']}"
            line = (head + tail)[: max(10, width - 1)]
            sys.stderr.write("\r" + line.ljust(max(10, width - 1)))
            sys.stderr.flush()
            self.drawn = True
        elif ev["status"] != "reading":  # a log gets a line per letter, not per page
            extra = f" ({ev.get('code')})" if ev["status"] == "failed" else ""
            sys.stderr.write(f"[{done}/{total}] {ev['status']}{extra}: {ev['path']}\n")
            sys.stderr.flush()

    def end(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.drawn = False


def run_batch(args, run: Callable[[Progress, threading.Event], dict]) -> int:
    """Run an import-like batch, ``run(progress, cancel) -> summary``, with a progress display; Ctrl-C
    cancels it cleanly (a second Ctrl-C aborts). Prints the summary; returns the exit status."""
    from ..store import StoreError

    cancel = threading.Event()
    bar = Progress(args.quiet)
    previous = None
    interrupts = []

    def on_sigint(signum, frame):
        if interrupts:
            raise KeyboardInterrupt
        interrupts.append(1)
        cancel.set()
        sys.stderr.write("\nimrdesk: stopping after the letters being read (Ctrl-C again to abort)\n")

    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        summary = run(bar, cancel)
    except StoreError as exc:
        bar.end()
        return fail(str(exc))
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    bar.end()
    print_summary(summary)
    if summary["cancelled"]:
        return EXIT_INTERRUPTED
    return EXIT_FAILED if summary["failed"] else EXIT_OK


def print_summary(s: dict) -> None:
    """A batch's summary on stdout: counts, then one line per failed letter."""
    parts = [f"Imported {plural(s['imported'], 'letter')}"]
    if s.get("flagged"):
        parts[0] += f" ({s['flagged']} flagged: case number already stored from a different file)"
    parts.append(plural(s["duplicates"], "duplicate") + " skipped")
    parts.append(f"{len(s['failed'])} failed")
    line = ", ".join(parts)
    if s.get("cancelled"):
        line += f"; cancelled, {s.get('skipped', 0)} not read"
    write_line(line + (":" if s["failed"] else "."))
    for path, code, message in s["failed"]:
        write_line(f"  {path}: {code}: {message}")


def resolve_docs(store: Store, key: str) -> list[int]:
    """The stored letters a person means by ``key``: ``#ID``, a case number, or a file name."""
    key = key.strip()
    if key.startswith("#") and key[1:].isdigit():
        doc_id = int(key[1:])
        try:
            store.document_info(doc_id)
        except KeyError:
            return []
        return [doc_id]
    ids = store.find(key)
    if ids:
        return ids
    return store.find_file(key)
