"""Command line of the insights: the filters and tables ``stats`` adds, and ``report`` (an HTML file)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_filter_options(p: argparse.ArgumentParser) -> None:
    from ..store.store import DOCUMENT_STATUSES

    p.add_argument(
        "--from",
        dest="date_from",
        metavar="DATE",
        help="only letters decided on or after DATE (YYYY-MM-DD, YYYY-MM or YYYY)",
    )
    p.add_argument(
        "--to", dest="date_to", metavar="DATE", help="only letters decided on or before DATE (same forms)"
    )
    p.add_argument(
        "--status",
        dest="statuses",
        action="append",
        choices=DOCUMENT_STATUSES,
        metavar="STATUS",
        help=f"only letters with this review status ({', '.join(DOCUMENT_STATUSES)}); repeat for several",
    )
    p.add_argument(
        "--top", type=int, default=15, metavar="N", help="most disputed treatments listed (default: 15)"
    )


def add_stats_options(p: argparse.ArgumentParser) -> None:
    """The options ``stats`` gains: the insight filters and a folder for the tables as CSV."""
    add_filter_options(p)
    p.add_argument("--csv", metavar="DIR", help="also write every insight table as DIR/<table>.csv")


def compute(store, args):
    """The insights the command's filters ask for (ValueError with a message for a bad date or range)."""
    from ..store.insights import compute as compute_insights

    return compute_insights(
        store,
        date_from=args.date_from,
        date_to=args.date_to,
        status=args.statuses,
        top=max(0, args.top),
    )


def _pct(rate) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


def _filters_line(filters: dict) -> str:
    parts = []
    if filters.get("date_from") or filters.get("date_to"):
        parts.append(f"decided {filters.get('date_from') or '...'} to {filters.get('date_to') or '...'}")
    if filters.get("status"):
        parts.append("status " + ", ".join(filters["status"]))
    return "; ".join(parts) if parts else "all readable letters"


def print_insights(ins, stats: dict | None = None, write=None) -> None:
    """The insight tables as text, after ``stats``' own figures."""
    write = write or (lambda line="": sys.stdout.write(line + "\n"))
    o = ins.overall
    if stats is not None:
        f = stats.get("findings") or {}
        write(
            f"Open findings: {f.get('open', 0)} in {f.get('letters', 0)} letters "
            f"(dismissed: {f.get('dismissed', 0)})"
        )
        for rule, n in (f.get("by_rule") or {}).items():
            if n:
                write(f"  {rule:24} {n:>6}")
    write()
    write(f"Decisions ({_filters_line(ins.filters)}, corrections applied):")
    write(
        f"  {o['letters']} letters, {o['items']} items: upheld {o['upheld']} ({_pct(o['upheld_rate'])}), "
        f"overturned {o['overturned']} ({_pct(o['overturned_rate'])})"
    )
    for table in ins.tables.values():
        write()
        write(f"{table.title}:")
        if not table.rows:
            write("  (none)")
            continue
        key = table.columns[0]
        width = min(44, max(len(str(r[0])) for r in table.rows))
        extra = "category" in table.columns and key != "category"
        for r in table.dicts():
            label = str(r[key])
            label = label if len(label) <= width else label[: width - 1] + "…"
            cat = f"  {r['category']:<34}" if extra else ""
            write(
                f"  {label:<{width}}{cat} {r['letters']:>5} letters {r['items']:>6} items  "
                f"upheld {_pct(r['upheld_rate']):>6}  overturned {_pct(r['overturned_rate']):>6}"
            )
        if table.note:
            write(f"  ({table.note})")


def write_csv(ins, folder) -> list[Path]:
    return ins.write_csv(folder)


# ---------------------------------------------------------------------------- report
def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report",
        help="write the insights as a self-contained HTML report (charts and tables)",
        description="Write an HTML report of the stored letters with the reviewers' corrections applied: "
        "decisions by month, treatment category, reviewer specialty and guideline family, the most disputed "
        "treatments, and the state of the review. Charts are embedded, so the file stands on its own.",
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the HTML file to write")
    add_filter_options(p)
    p.add_argument(
        "--png", metavar="DIR", help="also save every chart as DIR/<chart>.png with its data as .csv"
    )
    p.set_defaults(func=cmd_report)


def cmd_report(args) -> int:
    from ..store.commands import _error, _open
    from ..store.store import StoreError

    out = Path(args.output)
    try:
        with _open(args) as store:
            from .html import write_report

            write_report(
                store,
                out,
                date_from=args.date_from,
                date_to=args.date_to,
                status=args.statuses,
                top=max(0, args.top),
            )
            if args.png:
                from .charts import CHARTS, export_chart

                ins = compute(store, args)
                for name in CHARTS:
                    export_chart(ins, name, args.png)
    except StoreError as exc:
        return _error(str(exc))
    except ValueError as exc:
        return _error(str(exc))
    except ImportError as exc:  # a build without matplotlib (or numpy) can count but not draw
        return _error(
            f"the charts cannot be drawn in this installation ({exc}); `stats --csv DIR` writes the tables."
        )
    except OSError as exc:
        return _error(f"cannot write {out}: {exc.strerror or exc}.")
    print(f"Wrote the report to {out}.", file=sys.stderr)
    if args.png:
        print(f"Wrote the charts (PNG) and their data (CSV) to {args.png}.", file=sys.stderr)
    return 0


def stats_json(stats: dict, ins) -> str:
    return json.dumps({**stats, "insights": ins.to_json()}, ensure_ascii=False)
