"""``export``: the dataset, corrections applied, as CSV, JSON or Excel."""

from __future__ import annotations

import sys
from pathlib import Path

from ..record import DOCUMENT_STATUSES
from ..services.export import FORMATS
from .common import EXIT_OK, add_db_option, fail, open_store, plural


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export",
        help="export the dataset to CSV, JSON or Excel",
        description="Export every stored letter with corrections applied. json: an array of contract "
        "records with review_status. csv and xlsx: one row per disputed item with the letter's fields "
        "repeated (xlsx also has a documents sheet). Spreadsheet cells that would start a formula are "
        "prefixed with an apostrophe.",
    )
    add_db_option(p)
    p.add_argument("--format", choices=FORMATS, help="output format (default: from the file's extension)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")
    p.add_argument("--status", choices=DOCUMENT_STATUSES, help="only letters with this review status")
    p.set_defaults(func=cmd_export)


def cmd_export(args) -> int:
    from ..services.export import export
    from ..store import StoreError

    out = Path(args.output)
    fmt = args.format or out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        return fail(f"cannot tell the format from {out.name!r}; use --format {{{','.join(FORMATS)}}}.")
    try:
        with open_store(args) as store:
            n = export(store, out, fmt, status=args.status)
    except StoreError as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"cannot write {out}: {exc.strerror or exc}.")
    except ValueError as exc:  # more rows than an Excel sheet holds
        return fail(str(exc))
    unit = "record" if fmt == "json" else "item row"
    print(f"Wrote {plural(n, unit)} to {out}.", file=sys.stderr)
    return EXIT_OK
