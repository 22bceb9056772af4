"""The figures: ``stats`` (counts, rates, open findings and the insight tables, as text, JSON or CSV) and
``report`` (the insights as a self-contained HTML file, optionally every chart as PNG)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..record import DOCUMENT_STATUSES
from .common import EXIT_OK, add_db_option, fail, open_store, write_line


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "stats",
        help="counts and decision rates of the stored letters",
        description="Letters, items, upheld/overturned rates, by layout and by review status; open "
        "validation findings; then the insights over the letters the filters select (corrections applied): by "
        "month of decision, treatment category, reviewer specialty, guideline family MAXIMUS cited, and the "
        "most disputed treatments.",
    )
    add_db_option(p)
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    add_filter_options(p)
    p.add_argument("--csv", metavar="DIR", help="also write every insight table as DIR/<table>.csv")
    p.set_defaults(func=cmd_stats)

    p = subparsers.add_parser(
        "report",
        help="write the insights as a self-contained HTML report (charts and tables)",
        description="Write an HTML report of the stored letters with the reviewers' corrections applied: "
        "decisions by month, treatment category, reviewer specialty and guideline family, the most disputed "
        "treatments, and the state of the review. Charts are embedded, so the file stands on its own.",
    )
    add_db_option(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the HTML file to write")
    add_filter_options(p)
    p.add_argument(
        "--png", metavar="DIR", help="also save every chart as DIR/<chart>.png with its data as .csv"
    )
    p.set_defaults(func=cmd_report)


def add_filter_options(p: argparse.ArgumentParser) -> None:
    """The insight filters ``stats`` and ``report`` share: a decision-date range, review statuses, top N."""
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


def _filter_kwargs(args) -> dict:
    return {
        "date_from": args.date_from,
        "date_to": args.date_to,
        "status": args.statuses,
        "top": max(0, args.top),
    }


def _insights(store, args):
    """The insights the command's filters ask for (ValueError with a message for a bad date or range)."""
    from ..services.insights import compute

    return compute(store, **_filter_kwargs(args))


# ---------------------------------------------------------------------------- stats
def cmd_stats(args) -> int:
    from ..store import StoreError

    try:
        with open_store(args) as store:
            s = store.stats()
            insights = _insights(store, args)
        if args.csv:
            insights.write_csv(args.csv)
    except StoreError as exc:
        return fail(str(exc))
    except ValueError as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"cannot write the tables to {args.csv}: {exc.strerror or exc}.")
    if args.json:
        write_line(json.dumps({**s, "insights": insights.to_json()}, ensure_ascii=False))
        return EXIT_OK

    write_line(f"Letters: {s['letters']} ({s['failed']} failed)")
    write_line(
        f"Items: {s['items']}  upheld: {s['upheld']} ({_pct(s['upheld_rate'])})  "
        f"overturned: {s['overturned']} ({_pct(s['overturned_rate'])})"
    )
    write_line(
        f"Values to review (low confidence): {s['low_confidence_values']}  corrected: {s['corrected_values']}"
        f"  confirmed: {s.get('confirmed_values', 0)}"
    )
    write_line("By layout:")
    for fmt, row in s["by_format"].items():
        write_line(
            f"  {fmt:10} {row['letters']:>6} letters {row['items']:>7} items  upheld {_pct(row['upheld_rate']):>6}"
            f"  overturned {_pct(row['overturned_rate']):>6}"
        )
    write_line("By status:")
    for status, n in s["by_status"].items():
        write_line(f"  {status:10} {n:>6}")
    if s["errors"]:
        write_line("Failures by reason:")
        for code, n in s["errors"].items():
            write_line(f"  {code:14} {n:>6}")
    _print_insights(insights, s)
    return EXIT_OK


def _pct(rate) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


def _filters_line(filters: dict) -> str:
    parts = []
    if filters.get("date_from") or filters.get("date_to"):
        parts.append(f"decided {filters.get('date_from') or '...'} to {filters.get('date_to') or '...'}")
    if filters.get("status"):
        parts.append("status " + ", ".join(filters["status"]))
    return "; ".join(parts) if parts else "all readable letters"


def _print_insights(ins, stats: dict) -> None:
    """The open findings and the insight tables as text, after ``stats``' own figures."""
    o = ins.overall
    f = stats.get("findings") or {}
    write_line(
        f"Open findings: {f.get('open', 0)} in {f.get('letters', 0)} letters (dismissed: {f.get('dismissed', 0)})"
    )
    for rule, n in (f.get("by_rule") or {}).items():
        if n:
            write_line(f"  {rule:24} {n:>6}")
    write_line()
    write_line(f"Decisions ({_filters_line(ins.filters)}, corrections applied):")
    write_line(
        f"  {o['letters']} letters, {o['items']} items: upheld {o['upheld']} ({_pct(o['upheld_rate'])}), "
        f"overturned {o['overturned']} ({_pct(o['overturned_rate'])})"
    )
    for table in ins.tables.values():
        write_line()
        write_line(f"{table.title}:")
        if not table.rows:
            write_line("  (none)")
            continue
        key = table.columns[0]
        width = min(44, max(len(str(r[0])) for r in table.rows))
        extra = "category" in table.columns and key != "category"
        for r in table.dicts():
            label = str(r[key])
            label = label if len(label) <= width else label[: width - 1] + "…"
            cat = f"  {r['category']:<34}" if extra else ""
            write_line(
                f"  {label:<{width}}{cat} {r['letters']:>5} letters {r['items']:>6} items  "
                f"upheld {_pct(r['upheld_rate']):>6}  overturned {_pct(r['overturned_rate']):>6}"
            )
        if table.note:
            write_line(f"  ({table.note})")


# ---------------------------------------------------------------------------- report
def cmd_report(args) -> int:
    from ..store import StoreError

    out = Path(args.output)
    try:
        with open_store(args) as store:
            from ..services import report

            report.write_report(store, out, **_filter_kwargs(args))
            if args.png:
                from ..services.charts import CHARTS, export_chart

                ins = _insights(store, args)
                for name in CHARTS:
                    export_chart(ins, name, args.png)
    except StoreError as exc:
        return fail(str(exc))
    except ValueError as exc:
        return fail(str(exc))
    except ImportError as exc:  # a build without matplotlib (or numpy) can count but not draw
        return fail(
            f"the charts cannot be drawn in this installation ({exc}); `stats --csv DIR` writes the tables."
        )
    except OSError as exc:
        return fail(f"cannot write {out}: {exc.strerror or exc}.")
    print(f"Wrote the report to {out}.", file=sys.stderr)
    if args.png:
        print(f"Wrote the charts (PNG) and their data (CSV) to {args.png}.", file=sys.stderr)
    return EXIT_OK
