"""The store's commands: import, search, show, export, stats, reextract, report (``imrdesk COMMAND --help``)."""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import threading
from pathlib import Path

from ..report import cli as report_cli
from .export import FORMATS
from .store import DOCUMENT_STATUSES, SearchError, Store, StoreError

EXIT_FAILED = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


def register(subparsers) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    p = subparsers.add_parser(
        "import",
        help="import letters (PDF or .txt files, or folders) into the database",
        description="Import IMR letters into the database. Folders are searched recursively for .pdf and "
        ".txt files. Each letter is read in a separate process with a time limit; a letter that cannot be "
        "read is stored as a failure and the others go on. Letters already in the database are skipped.",
        epilog="Exit status: 0 when every letter was imported or already present, 1 when some failed "
        "(the others are stored), 130 when interrupted (letters finished so far are stored).",
        formatter_class=fmt,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="letters or folders of letters")
    p.add_argument("--workers", type=int, default=2, metavar="N", help="extraction processes (default: 2)")
    p.add_argument(
        "--timeout", type=float, default=60.0, metavar="SECONDS", help="time allowed per letter (default: 60)"
    )
    p.add_argument(
        "--reextract",
        action="store_true",
        help="read letters that are already stored again (after an upgrade); corrections are kept",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_import)

    p = subparsers.add_parser(
        "search",
        help="full-text search over the stored letters",
        description="Search the letters' text (summary, treatments, rationales, guideline paragraphs, case "
        'number, file name). Words must all appear; "a phrase" in double quotes; AND, OR, NOT; prefix*.',
    )
    p.add_argument("query", nargs="+", metavar="QUERY", help="words to search for (joined by spaces)")
    p.add_argument("--json", action="store_true", help="JSON Lines: doc_id, case_number, file_name, snippet")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N letters (default: 50)")
    p.set_defaults(func=cmd_search)

    p = subparsers.add_parser(
        "show",
        help="show a stored letter's values (corrections applied)",
        description="Show the stored letter(s) with this case number (also accepts a file name or #ID), "
        "with the reviewer's corrections applied. In the text display, * marks a corrected value and ? a "
        "value extracted with low confidence.",
    )
    p.add_argument("case", metavar="CASE", help="case number (e.g. CM16-0213037), file name, or #ID")
    p.add_argument("--json", action="store_true", help="the contract record(s), one JSON object per line")
    p.set_defaults(func=cmd_show)

    p = subparsers.add_parser(
        "export",
        help="export the dataset to CSV, JSON or Excel",
        description="Export every stored letter with corrections applied. json: an array of contract "
        "records with review_status. csv and xlsx: one row per disputed item with the letter's fields "
        "repeated (xlsx also has a documents sheet). Spreadsheet cells that would start a formula are "
        "prefixed with an apostrophe.",
    )
    p.add_argument("--format", choices=FORMATS, help="output format (default: from the file's extension)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")
    p.add_argument("--status", choices=DOCUMENT_STATUSES, help="only letters with this review status")
    p.set_defaults(func=cmd_export)

    p = subparsers.add_parser(
        "stats",
        help="counts and decision rates of the stored letters",
        description="Letters, items, upheld/overturned rates, by layout and by review status; open "
        "validation findings; then the insights over the letters the filters select (corrections applied): by "
        "month of decision, treatment category, reviewer specialty, guideline family MAXIMUS cited, and the "
        "most disputed treatments.",
    )
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    report_cli.add_stats_options(p)
    p.set_defaults(func=cmd_stats)

    p = subparsers.add_parser(
        "reextract",
        help="extract stored letters again with this version (corrections are kept)",
        description="Read stored letters again from their original bytes, isolated like an import. "
        "Corrections stay in force; a letter whose re-reading fails keeps its stored values.",
    )
    p.add_argument("cases", nargs="*", metavar="CASE", help="case numbers, file names or #IDs")
    p.add_argument("--all", action="store_true", help="every stored letter")
    p.add_argument("--workers", type=int, default=2, metavar="N", help="extraction processes (default: 2)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="time allowed per letter")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_reextract)

    report_cli.register(subparsers)


# ---------------------------------------------------------------------------- helpers
def _db_path(args) -> Path:
    return Path(args.db).expanduser() if getattr(args, "db", None) else Store.default_path()


def _error(message: str) -> int:
    print(f"imrdesk: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _open(args) -> Store:
    return Store(_db_path(args))


def _write_line(text: str = "") -> None:
    sys.stdout.write(text + "\n")


class _Progress:
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
            line = (head + tail)[: max(10, width - 1)]
            sys.stderr.write("\r" + line.ljust(max(10, width - 1)))
            sys.stderr.flush()
            self.drawn = True
        else:
            extra = f" ({ev.get('code')})" if ev["status"] == "failed" else ""
            sys.stderr.write(f"[{done}/{total}] {ev['status']}{extra}: {ev['path']}\n")
            sys.stderr.flush()

    def end(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.drawn = False


def _run_batch(args, run) -> int:
    """Run an import-like batch with a progress display; Ctrl-C cancels it cleanly."""
    cancel = threading.Event()
    bar = _Progress(args.quiet)
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
        return _error(str(exc))
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    bar.end()
    _print_summary(summary)
    if summary["cancelled"]:
        return EXIT_INTERRUPTED
    return EXIT_FAILED if summary["failed"] else 0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _print_summary(s: dict) -> None:
    parts = [f"Imported {_plural(s['imported'], 'letter')}"]
    if s.get("flagged"):
        parts[0] += f" ({s['flagged']} flagged: case number already stored from a different file)"
    parts.append(_plural(s["duplicates"], "duplicate") + " skipped")
    parts.append(f"{len(s['failed'])} failed")
    line = ", ".join(parts)
    if s.get("cancelled"):
        line += f"; cancelled, {s.get('skipped', 0)} not read"
    _write_line(line + (":" if s["failed"] else "."))
    for path, code, message in s["failed"]:
        _write_line(f"  {path}: {code}: {message}")


# ---------------------------------------------------------------------------- commands
def cmd_import(args) -> int:
    from .importer import import_paths

    if args.workers < 1:
        return _error("--workers must be at least 1.")
    try:
        db = _db_path(args)
    except OSError as exc:
        return _error(f"cannot create the database folder: {exc}")

    def run(bar, cancel):
        return import_paths(
            db,
            args.paths,
            workers=args.workers,
            timeout=args.timeout if args.timeout > 0 else None,
            progress=bar,
            cancel=cancel,
            reextract=args.reextract,
        )

    return _run_batch(args, run)


def _resolve_docs(store: Store, key: str) -> list[int]:
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


def cmd_reextract(args) -> int:
    from .importer import reextract_documents

    try:
        store = _open(args)
    except StoreError as exc:
        return _error(str(exc))
    try:
        if args.all:
            ids = store.document_ids()
        else:
            if not args.cases:
                return _error(
                    "name the letters to re-extract (case numbers, file names or #IDs), or use --all."
                )
            ids = []
            for key in args.cases:
                found = _resolve_docs(store, key)
                if not found:
                    return _error(f"no stored letter matches {key!r}.")
                ids += [i for i in found if i not in ids]
    finally:
        store.close()

    def run(bar, cancel):
        return reextract_documents(
            _db_path(args),
            ids,
            workers=max(1, args.workers),
            timeout=args.timeout if args.timeout > 0 else None,
            progress=bar,
            cancel=cancel,
        )

    return _run_batch(args, run)


def cmd_search(args) -> int:
    query = " ".join(args.query)
    try:
        with _open(args) as store:
            hits = store.search(query, limit=args.limit)
    except SearchError as exc:
        return _error(str(exc))
    except StoreError as exc:
        return _error(str(exc))
    for hit in hits:
        if args.json:
            _write_line(json.dumps(hit, ensure_ascii=False))
        else:
            _write_line(f"{hit['case_number'] or '(no case number)'}  #{hit['doc_id']}  {hit['file_name']}")
            _write_line(f"    {hit['snippet']}")
    if not hits and not args.json:
        print(f"No letter matches {query!r}.", file=sys.stderr)
    return 0


def cmd_show(args) -> int:
    try:
        with _open(args) as store:
            ids = _resolve_docs(store, args.case)
            if not ids:
                print(f"imrdesk: no stored letter matches {args.case!r}.", file=sys.stderr)
                return EXIT_FAILED
            records = [store.record(i) for i in ids]
            infos = [store.document_info(i) for i in ids]
    except StoreError as exc:
        return _error(str(exc))
    for n, (rec, info) in enumerate(zip(records, infos, strict=True)):
        if args.json:
            _write_line(json.dumps(rec, ensure_ascii=False))
        else:
            if n:
                _write_line()
            _print_record(rec, info)
    return 0


def _print_record(rec: dict, info: dict) -> None:
    from ..extract import REVIEW_THRESHOLD

    prov = rec.get("provenance") or {}

    def mark(path: str) -> str:
        p = prov.get(path) or {}
        if p.get("corrected"):
            return "*"
        if p.get("confidence") is not None and p["confidence"] < REVIEW_THRESHOLD:
            return "?"
        return " "

    def show(value) -> str:
        if value is None or value == []:
            return "-"
        if isinstance(value, list):
            return "; ".join(str(v) for v in value)
        return str(value)

    title = rec.get("case_number") or "(no case number)"
    _write_line(
        f"{title}  #{rec['id']}  {rec['file']}  [{rec.get('format') or 'unknown layout'}, "
        f"{_plural(rec.get('pages') or 0, 'page')}]  status: {rec['review_status']}"
    )
    if rec.get("error"):
        _write_line(f"  error: {rec['error']['code']}: {rec['error']['message']}")
    for note in info.get("notes") or []:
        _write_line(f"  note ({note['user']}, {note['at']}): {note['text']}")
    rows = [
        ("case_number", "case number"),
        ("date_assigned", "date assigned"),
        ("date_of_injury", "date of injury"),
        ("decision_date", "decision date"),
        ("ur_denial_date", "UR denial date"),
        ("application_received", "application received"),
        ("priority", "priority"),
        ("reviewer.specialties", "reviewer specialties"),
        ("reviewer.licensure_states", "reviewer licensed in"),
        ("patient.age", "patient age"),
        ("patient.sex", "patient sex"),
        ("injury.mechanism", "mechanism of injury"),
        ("injury.diagnoses", "diagnoses"),
    ]
    for path, label in rows:
        node = rec
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        _write_line(f" {mark(path)}{label:22} {show(node)}")
    items = rec.get("items") or []
    _write_line(f"  {_plural(len(items), 'disputed item')}:")
    for i, item in enumerate(items):
        p = f"items[{i}]"
        _write_line(
            f" {mark(p + '.decision')}{i + 1:>3}. {show(item.get('decision')):10} "
            f"{mark(p + '.treatment')}{show(item.get('treatment'))}"
        )
        for party, label in (("claims_administrator", "claims administrator"), ("maximus", "MAXIMUS")):
            _write_line(f"        {label} cited: {show(item.get(party + '_sources'))}")
    if any(mark(k) == "*" for k in prov) or any(mark(k) == "?" for k in prov):
        _write_line("  (* corrected by a reviewer, ? extracted with low confidence)")


def cmd_export(args) -> int:
    out = Path(args.output)
    fmt = args.format or out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        return _error(f"cannot tell the format from {out.name!r}; use --format {{{','.join(FORMATS)}}}.")
    try:
        with _open(args) as store:
            n = store.export(out, fmt, status=args.status)
    except StoreError as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"cannot write {out}: {exc.strerror or exc}.")
    unit = "record" if fmt == "json" else "item row"
    print(f"Wrote {_plural(n, unit)} to {out}.", file=sys.stderr)
    return 0


def cmd_stats(args) -> int:
    try:
        with _open(args) as store:
            s = store.stats()
            insights = report_cli.compute(store, args)
        if args.csv:
            report_cli.write_csv(insights, args.csv)
    except StoreError as exc:
        return _error(str(exc))
    except ValueError as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"cannot write the tables to {args.csv}: {exc.strerror or exc}.")
    if args.json:
        _write_line(report_cli.stats_json(s, insights))
        return 0

    def pct(rate) -> str:
        return "-" if rate is None else f"{rate * 100:.1f}%"

    _write_line(f"Letters: {s['letters']} ({s['failed']} failed)")
    _write_line(
        f"Items: {s['items']}  upheld: {s['upheld']} ({pct(s['upheld_rate'])})  "
        f"overturned: {s['overturned']} ({pct(s['overturned_rate'])})"
    )
    _write_line(
        f"Values to review (low confidence): {s['low_confidence_values']}  corrected: {s['corrected_values']}"
    )
    _write_line("By layout:")
    for fmt, row in s["by_format"].items():
        _write_line(
            f"  {fmt:10} {row['letters']:>6} letters {row['items']:>7} items  upheld {pct(row['upheld_rate']):>6}"
            f"  overturned {pct(row['overturned_rate']):>6}"
        )
    _write_line("By status:")
    for status, n in s["by_status"].items():
        _write_line(f"  {status:10} {n:>6}")
    if s["errors"]:
        _write_line("Failures by reason:")
        for code, n in s["errors"].items():
            _write_line(f"  {code:14} {n:>6}")
    report_cli.print_insights(insights, s, _write_line)
    return 0
