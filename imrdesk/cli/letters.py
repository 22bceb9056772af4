"""Reading stored letters: ``search`` (full text) and ``show`` (one letter's values, corrections applied)."""

from __future__ import annotations

import json
import sys

from ..record import CONFIRMED, REVIEW_THRESHOLD
from ..record.registry import LETTER_SPECS
from .common import EXIT_FAILED, EXIT_OK, add_db_option, fail, open_store, plural, resolve_docs, write_line


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "search",
        help="full-text search over the stored letters",
        description="Search the letters' text (summary, treatments, rationales, guideline paragraphs, case "
        'number, file name). Words must all appear; "a phrase" in double quotes; AND, OR, NOT; prefix*.',
    )
    p.add_argument("query", nargs="+", metavar="QUERY", help="words to search for (joined by spaces)")
    add_db_option(p)
    p.add_argument("--json", action="store_true", help="JSON Lines: doc_id, case_number, file_name, snippet")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N letters (default: 50)")
    p.set_defaults(func=cmd_search)

    p = subparsers.add_parser(
        "show",
        help="show a stored letter's values (corrections applied)",
        description="Show the stored letter(s) with this case number (also accepts a file name or #ID), "
        "with the reviewer's corrections applied. In the text display, * marks a corrected value, = a confirmed one and ? a "
        "value extracted with low confidence.",
    )
    p.add_argument("case", metavar="CASE", help="case number (e.g. CM16-0213037), file name, or #ID")
    add_db_option(p)
    p.add_argument("--json", action="store_true", help="the contract record(s), one JSON object per line")
    p.set_defaults(func=cmd_show)


def cmd_search(args) -> int:
    from ..store import SearchError, StoreError

    query = " ".join(args.query)
    try:
        with open_store(args) as store:
            hits = store.search(query, limit=args.limit)
    except SearchError as exc:
        return fail(str(exc))
    except StoreError as exc:
        return fail(str(exc))
    for hit in hits:
        if args.json:
            write_line(json.dumps(hit, ensure_ascii=False))
        else:
            write_line(f"{hit['case_number'] or '(no case number)'}  #{hit['doc_id']}  {hit['file_name']}")
            write_line(f"    {hit['snippet']}")
    if not hits and not args.json:
        print(f"No letter matches {query!r}.", file=sys.stderr)
    return EXIT_OK


def cmd_show(args) -> int:
    from ..store import StoreError

    try:
        with open_store(args) as store:
            ids = resolve_docs(store, args.case)
            if not ids:
                print(f"imrdesk: no stored letter matches {args.case!r}.", file=sys.stderr)
                return EXIT_FAILED
            records = [store.record(i) for i in ids]
            infos = [store.document_info(i) for i in ids]
    except StoreError as exc:
        return fail(str(exc))
    for n, (rec, info) in enumerate(zip(records, infos, strict=True)):
        if args.json:
            write_line(json.dumps(rec, ensure_ascii=False))
        else:
            if n:
                write_line()
            _print_record(rec, info)
    return EXIT_OK


# the letter's values in the text display, in this order
_ROWS = tuple(
    (path, LETTER_SPECS[path].title)
    for path in (
        "case_number",
        "date_assigned",
        "date_of_injury",
        "decision_date",
        "ur_denial_date",
        "application_received",
        "priority",
        "reviewer.specialties",
        "reviewer.licensure_states",
        "patient.age",
        "patient.sex",
        "injury.mechanism",
        "injury.diagnoses",
    )
)


def _print_record(rec: dict, info: dict) -> None:
    prov = rec.get("provenance") or {}

    def mark(path: str) -> str:
        p = prov.get(path) or {}
        if p.get("corrected"):
            return "=" if p.get("checked") == CONFIRMED else "*"
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
    write_line(
        f"{title}  #{rec['id']}  {rec['file']}  [{rec.get('format') or 'unknown layout'}, "
        f"{plural(rec.get('pages') or 0, 'page')}]  status: {rec['review_status']}"
    )
    if rec.get("error"):
        write_line(f"  error: {rec['error']['code']}: {rec['error']['message']}")
    ocr = rec.get("ocr")
    if isinstance(ocr, dict):
        pages = ", ".join(str(p) for p in ocr.get("pages") or [])
        write_line(
            f"  read by OCR: page(s) {pages} at {ocr.get('dpi')} dpi, mean word confidence "
            f"{ocr.get('mean_confidence')} ({ocr.get('engine')})"
        )
    for note in info.get("notes") or []:
        write_line(f"  note ({note['user']}, {note['at']}): {note['text']}")
    for path, label in _ROWS:
        node = rec
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        write_line(f" {mark(path)}{label:22} {show(node)}")
    items = rec.get("items") or []
    write_line(f"  {plural(len(items), 'disputed item')}:")
    for i, item in enumerate(items):
        p = f"items[{i}]"
        write_line(
            f" {mark(p + '.decision')}{i + 1:>3}. {show(item.get('decision')):10} "
            f"{mark(p + '.treatment')}{show(item.get('treatment'))}"
        )
        for party, label in (("claims_administrator", "claims administrator"), ("maximus", "MAXIMUS")):
            write_line(f"        {label} cited: {show(item.get(party + '_sources'))}")
    if any(mark(k) != " " for k in prov):
        write_line(
            "  (* corrected by a reviewer, = confirmed by a reviewer, ? extracted with low confidence)"
        )
