"""The insights as one self-contained HTML file: every chart as an embedded PNG, every table, the filters and
the state of the review. No external reference (no scripts, fonts, styles or images from elsewhere), so the
file can be mailed, archived or printed to PDF from any browser."""

from __future__ import annotations

import base64
import datetime as _dt
import html
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__

if TYPE_CHECKING:  # pragma: no cover
    from ..store import Store
    from .insights import Insights, Table

CSS = """
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #222; margin: 0;
       background: #f6f6f4; }
main { max-width: 62rem; margin: 0 auto; padding: 2rem 2.5rem 3rem; background: white; }
h1 { font-size: 1.7rem; margin: 0 0 .2rem; }
h2 { font-size: 1.2rem; margin: 2.4rem 0 .6rem; padding-top: .6rem; border-top: 1px solid #e3e3e3; }
p.lead, p.note, footer { color: #6b6b6b; }
p.note { font-size: .85rem; margin: .3rem 0 0; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1.4rem 0 .4rem; }
.card { flex: 1 1 9rem; border: 1px solid #e3e3e3; border-radius: 6px; padding: .7rem .9rem; }
.card b { display: block; font-size: 1.6rem; }
.card span { color: #6b6b6b; font-size: .85rem; }
.card.upheld b { color: #4E79A7; } .card.overturned b { color: #D9731A; }
figure { margin: .8rem 0 0; } figure img { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%; margin-top: .8rem; font-size: .85rem; }
th, td { padding: .3rem .55rem; border-bottom: 1px solid #ececec; text-align: right; }
th { color: #555; font-weight: 600; border-bottom: 1px solid #bbb; white-space: nowrap; }
th:first-child, td:first-child, .text { text-align: left; }
tbody tr:hover { background: #fafaf7; }
details summary { cursor: pointer; color: #4E79A7; font-size: .85rem; margin-top: .5rem; }
dl.method dt { font-weight: 600; margin-top: .6rem; } dl.method dd { margin: .15rem 0 0 0; color: #444; }
footer { font-size: .8rem; margin-top: 2.5rem; }
@media print { body { background: white; } main { padding: 0; } h2 { break-before: auto; }
  figure, table { break-inside: avoid; } details { display: none; } }
"""

COLUMN_TITLES = {
    "month": "Month",
    "letters": "Letters",
    "items": "Items",
    "upheld": "Upheld",
    "overturned": "Overturned",
    "upheld_rate": "Upheld %",
    "overturned_rate": "Overturned %",
    "category": "Category",
    "specialty": "Reviewer specialty",
    "guideline": "Guideline family",
    "treatment": "Treatment",
}


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _cell(column: str, value) -> str:
    if column.endswith("_rate"):
        return "–" if value is None else f"{value * 100:.1f}%"
    if value is None:
        return "–"
    return _e(value)


def table_html(table: Table, *, first_title: str | None = None, collapsed: bool = False) -> str:
    textual = [bool(table.rows) and isinstance(table.rows[0][i], str) for i in range(len(table.columns))]
    head = "".join(
        ('<th class="text">' if textual[i] else "<th>")
        + f"{_e(first_title if i == 0 and first_title else COLUMN_TITLES.get(c, c))}</th>"
        for i, c in enumerate(table.columns)
    )
    body = []
    for row in table.rows:
        cells = []
        for c, v in zip(table.columns, row, strict=True):
            cls = ' class="text"' if isinstance(v, str) and not c.endswith("_rate") else ""
            cells.append(f"<td{cls}>{_cell(c, v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(table.columns)}">No rows match the filters.</td></tr>')
    html_table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    if collapsed:
        return f"<details><summary>The figures ({len(table.rows)} rows)</summary>{html_table}</details>"
    return html_table


def _img(fig, alt: str) -> str:
    from .charts import png_bytes

    data = base64.b64encode(png_bytes(fig, dpi=170)).decode("ascii")
    return f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{data}"></figure>'


def _pct(rate) -> str:
    return "–" if rate is None else f"{rate * 100:.1f}%"


def _filters_text(filters: dict) -> str:
    parts = []
    if filters.get("date_from") or filters.get("date_to"):
        parts.append(
            f"decision dates from {filters.get('date_from') or 'the first'} to {filters.get('date_to') or 'the last'}"
        )
    if filters.get("status"):
        parts.append("review status " + " or ".join(s.replace("_", " ") for s in filters["status"]))
    return "; ".join(parts) if parts else "all readable letters"


def render(
    ins: Insights,
    *,
    quality: dict | None = None,
    database: str | None = None,
    generated: str | None = None,
    title: str = "IMR Final Determinations: insights",
) -> str:
    """The report as one HTML document (a string)."""
    from .charts import CHARTS, figure

    generated = generated or _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    o = ins.overall
    span = ""
    if o.get("first_decision"):
        span = f"Decisions dated {o['first_decision']} to {o['last_decision']}."
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="lead">California workers\' compensation Independent Medical Review letters issued by '
        f"MAXIMUS Federal Services, with the reviewers' corrections applied. Letters: {_e(_filters_text(ins.filters))}."
        f" {_e(span)}</p>",
        '<div class="cards">',
        f'<div class="card"><b>{o["letters"]}</b><span>letters</span></div>',
        f'<div class="card"><b>{o["items"]}</b><span>disputed items</span></div>',
        f'<div class="card upheld"><b>{_pct(o["upheld_rate"])}</b><span>upheld ({o["upheld"]})</span></div>',
        f'<div class="card overturned"><b>{_pct(o["overturned_rate"])}</b>'
        f"<span>overturned ({o['overturned']})</span></div>",
        "</div>",
    ]
    for name, (chart_title, table_name) in CHARTS.items():
        fig = figure(ins, name, standalone=False)
        out.append(f'<section id="{_e(name)}"><h2>{_e(chart_title)}</h2>')
        out.append(_img(fig, chart_title))
        if table_name:
            table = ins.tables[table_name]
            if table.note:
                out.append(f'<p class="note">{_e(table.note)}</p>')
            out.append(table_html(table, first_title=table.label or None, collapsed=name == "by_month"))
        out.append("</section>")
    if quality:
        out.append(_quality_html(quality))
    out.append(_method_html())
    source = f" from {_e(database)}" if database else ""
    out.append(f"<footer>Generated {_e(generated)}{source} by imrdesk {_e(__version__)}.</footer>")
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


def _quality_html(q: dict) -> str:
    from ..extract.rules import RULES

    status = q.get("by_status") or {}
    rows = "".join(
        f"<tr><td>{_e(s.replace('_', ' ').capitalize())}</td><td>{n}</td></tr>"
        for s, n in status.items()
        if n
    )
    findings = q.get("findings") or {}
    by_rule = [(r, n) for r, n in (findings.get("by_rule") or {}).items() if n]
    rule_rows = "".join(f"<tr><td>{_e(RULES.get(r, r))}</td><td>{n}</td></tr>" for r, n in by_rule)
    parts = [
        '<section id="review"><h2>State of the review</h2>',
        f"<p>{q.get('corrected_values', 0)} values corrected and {q.get('confirmed_values', 0)} confirmed "
        "by reviewers; "
        f"{q.get('low_confidence_values', 0)} values still below the review threshold; "
        f"{findings.get('open', 0)} open validation findings in {findings.get('letters', 0)} letters "
        f"({findings.get('dismissed', 0)} dismissed by reviewers).</p>",
        f"<table><thead><tr><th>Review status</th><th>Letters</th></tr></thead><tbody>{rows}</tbody></table>",
    ]
    if rule_rows:
        parts.append(
            "<table><thead><tr><th>Open findings by rule</th><th>Findings</th></tr></thead>"
            f"<tbody>{rule_rows}</tbody></table>"
        )
    parts.append("</section>")
    return "".join(parts)


def _method_html() -> str:
    return (
        '<section id="method"><h2>How the figures are made</h2><dl class="method">'
        "<dt>Items and decisions</dt><dd>Each disputed item of a letter counts once. Upheld: the claims "
        "administrator's denial stands; Overturned: the treatment was found medically necessary. Rates are over "
        "the items with a decision.</dd>"
        "<dt>Treatment category</dt><dd>Assigned from the treatment text (the disputed portion of a modified "
        "request) by ordered keyword rules: tests, visits, injections, imaging, surgery, equipment, therapy, "
        "medication; anything else is Other.</dd>"
        "<dt>Reviewer specialty</dt><dd>The first specialty the letter lists for its expert reviewer, which is "
        "the board certification.</dd>"
        "<dt>Guideline family</dt><dd>The families MAXIMUS cited for the item (MTUS, ACOEM, ODG, other). An item "
        "citing several families counts under each, so the rows add up to more than the items.</dd>"
        "<dt>Most disputed treatments</dt><dd>Treatments named the same way: imaging and tests with their "
        "body region, therapies and devices by their kind, medications by drug name; quantities, frequencies "
        "and dates are left out.</dd>"
        "<dt>Corrections</dt><dd>Every figure uses the reviewers' corrections. Letters that could not be read "
        "are not counted.</dd></dl></section>"
    )


def quality(store: Store, filters: dict) -> dict:
    """The state of the review of the letters the insights' ``filters`` select: statuses, corrected and
    low-confidence values, findings."""
    return store.figures.review_state(
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        statuses=filters.get("status") or (),
    )


def write_report(
    store: Store,
    path,
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    status=None,
    top: int = 15,
) -> Path:
    """Compute the insights with these filters and write the HTML report to ``path`` (atomically)."""
    from .files import atomic_file
    from .insights import compute

    ins = compute(store, date_from=date_from, date_to=date_to, status=status, top=top)
    text = render(ins, quality=quality(store, ins.filters), database=store.path.name)
    path = Path(path)
    with atomic_file(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return path
