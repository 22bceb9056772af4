"""Insights over the reviewed dataset: counts and decision rates of the effective values.

Everything here counts the letters' *effective* values (the reviewer's corrections applied), so a corrected
decision, date, specialty or treatment counts as corrected. The counting is SQL (``GROUP BY`` over the
store's derived ``item_facts`` and ``documents`` columns, kept in the same transaction as every import and
correction: ``store.dataset.tallies``); here the few rows a group are put into tables. Letters that could not be read are left
out (they have no data). Filters: a date range on the decision date (inclusive, ISO dates; a letter without a
decision date is left out whenever a range is given) and review statuses.

:func:`compute` returns an :class:`Insights` holding ``overall`` (a dict) and these tables (:class:`Table`),
each exportable as CSV:

- ``by_month``      letters and items by month of decision (months without letters in between included);
- ``by_category``   items by treatment category (``imrdesk.extract.categories``);
- ``by_specialty``  items by the reviewer's board certification (the first specialty the letter lists);
- ``by_guideline``  items by guideline family MAXIMUS cited (an item citing two families counts in both;
  ``none cited`` for items citing none);
- ``top_treatments`` the most disputed treatments (normalised names), most items first.

A decision rate is over the items with a decision (Upheld or Overturned). No Qt here.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..extract import categories
from ..record import DOCUMENT_STATUSES
from ..record.registry import SOURCE_FAMILIES

if TYPE_CHECKING:  # pragma: no cover
    from ..store import Store

DECISIONS = ("Upheld", "Overturned")
FAMILIES = SOURCE_FAMILIES  # MTUS, ACOEM, ODG, OTHER
NONE_CITED = "none cited"
NOT_STATED = "not stated"
DECISION_COLUMNS = ("items", "upheld", "overturned", "upheld_rate", "overturned_rate")


@dataclass
class Table:
    """One insight as rows: ``columns`` names them; ``label`` is the first column's title for people."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple]
    label: str = ""
    note: str = ""

    def dicts(self) -> list[dict]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def column(self, name: str) -> list:
        i = self.columns.index(name)
        return [row[i] for row in self.rows]

    def to_csv(self, path) -> Path:
        """Write the table as CSV (UTF-8 with a byte order mark, for spreadsheet programs)."""
        from .export import neutralise
        from .files import atomic_file

        path = Path(path)
        with atomic_file(path, "w", encoding="utf-8-sig", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(self.columns)
            for row in self.rows:
                out.writerow(["" if v is None else neutralise(v) for v in row])
        return path


@dataclass
class Insights:
    filters: dict
    overall: dict
    tables: dict[str, Table] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]

    def to_json(self) -> dict:
        return {
            "filters": self.filters,
            "overall": self.overall,
            **{name: t.dicts() for name, t in self.tables.items()},
        }

    def write_csv(self, folder) -> list[Path]:
        """Every table as ``<folder>/<name>.csv``; returns the files written."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        return [t.to_csv(folder / f"{name}.csv") for name, t in self.tables.items()]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _decided(items: int, upheld: int, overturned: int) -> tuple:
    n = upheld + overturned
    return (items, upheld, overturned, _rate(upheld, n), _rate(overturned, n))


def check_date(value: str | None, what: str) -> str | None:
    """An ISO date for a filter (``YYYY-MM-DD``; ``YYYY-MM`` and ``YYYY`` are widened to the whole month or
    year when ``what`` is 'from' or 'to'); ValueError with a message for a person."""
    if value is None or str(value).strip() == "":
        return None
    value = str(value).strip()
    try:
        if len(value) == 4 and value.isdigit():
            return f"{value}-01-01" if what == "from" else f"{value}-12-31"
        if len(value) == 7:
            first = _dt.date.fromisoformat(value + "-01")
            if what == "from":
                return first.isoformat()
            nxt = (first.replace(day=28) + _dt.timedelta(days=4)).replace(day=1)
            return (nxt - _dt.timedelta(days=1)).isoformat()
        return _dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError(f"--{what}: {value!r} is not a date (write YYYY-MM-DD, YYYY-MM or YYYY).") from None


def statuses_of(status) -> tuple[str, ...] | None:
    if status is None or status == "" or status == ():
        return None
    if isinstance(status, str):
        return tuple(s.strip() for s in status.split(",") if s.strip())
    return tuple(status)


def select_ids(
    store: Store, *, date_from: str | None = None, date_to: str | None = None, status=None
) -> list[int]:
    """Ids of the readable letters that pass the filters, by the store's derived (effective) columns."""
    date_from, date_to = check_date(date_from, "from"), check_date(date_to, "to")
    statuses = statuses_of(status) or ()
    bad = [s for s in statuses if s not in DOCUMENT_STATUSES]
    if bad:
        raise ValueError(f"A review status is one of {', '.join(DOCUMENT_STATUSES)} (got {bad[0]!r}).")
    return store.select_ids(date_from=date_from, date_to=date_to, statuses=statuses)


def compute(
    store: Store,
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    status=None,
    top: int = 15,
    stop: threading.Event | None = None,
) -> Insights:
    """The insights over the letters that pass the filters (see the module's doc). ``stop``: set by another
    thread when the count is no longer wanted; it then ends after the query running, with :class:`Stopped`."""
    date_from, date_to = check_date(date_from, "from"), check_date(date_to, "to")
    if date_from and date_to and date_from > date_to:
        raise ValueError(f"The date range is empty: {date_from} is after {date_to}.")
    statuses = statuses_of(status) or ()
    bad = [s for s in statuses if s not in DOCUMENT_STATUSES]
    if bad:
        raise ValueError(f"A review status is one of {', '.join(DOCUMENT_STATUSES)} (got {bad[0]!r}).")
    filters = {"date_from": date_from, "date_to": date_to, "status": list(statuses)}
    groups: dict[str, list] = {}
    for name, rows in store.dataset.tallies(date_from=date_from, date_to=date_to, statuses=statuses):
        if stop is not None and stop.is_set():
            raise Stopped
        groups[name] = rows
    return build(groups, filters=filters, top=top)


class Stopped(Exception):
    """A count ended early because its ``stop`` flag was set."""


MAX_EMPTY_RUN = 3  # months without letters between two with letters: shown up to this many in a row


def _month_rows(months: dict[str, tuple]) -> tuple[list[tuple], int]:
    """One row per month with letters, and the empty months between them when the gap is short: a letter
    with a far-off decision date (a typo, a late re-issue) does not add dozens of empty months. ``months``:
    each month's ``(letters, items, upheld, overturned)``. Returns the rows and how many empty months were
    left out."""
    if not months:
        return [], 0
    rows, gap, left_out = [], [], 0
    for m in month_range(min(months), max(months)):
        t = months.get(m)
        if t is None:
            gap.append(m)
            continue
        if len(gap) <= MAX_EMPTY_RUN:
            rows.extend((g, 0, *_decided(0, 0, 0)) for g in gap)
        else:
            left_out += len(gap)
        gap = []
        rows.append((m, t[0], *_decided(*t[1:])))
    return rows, left_out


def month_range(first: str, last: str) -> Iterator[str]:
    y, m = int(first[:4]), int(first[5:7])
    while f"{y:04d}-{m:02d}" <= last:
        yield f"{y:04d}-{m:02d}"
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def _overall(letter_groups: list, span: tuple) -> tuple[dict, dict[str, tuple], dict[object, tuple]]:
    """The overall figures, and the letters and their items by month and by specialty, from the letter
    groups: ``(letters, items, upheld, overturned)`` a month or specialty."""
    by_status: dict[str, int] = {}
    months: dict[str, tuple] = {}
    specialties: dict[object, tuple] = {}
    total = (0, 0, 0, 0)
    undated = 0
    for g in letter_groups:
        counts = (g.letters, g.items, g.upheld, g.overturned)
        total = _add(total, counts)
        by_status[g.status] = by_status.get(g.status, 0) + g.letters
        specialties[g.specialty] = _add(specialties.get(g.specialty, (0, 0, 0, 0)), counts)
        if g.month is None:
            undated += g.letters
        else:
            months[g.month] = _add(months.get(g.month, (0, 0, 0, 0)), counts)
    o = _decided(*total[1:])
    figures = {
        "letters": total[0],
        "items": o[0],
        "upheld": o[1],
        "overturned": o[2],
        "upheld_rate": o[3],
        "overturned_rate": o[4],
        "undated_letters": undated,
        "first_decision": span[0],
        "last_decision": span[1],
        # in the order of the review: new, then in progress, then reviewed (failed letters are not counted)
        "by_status": {s: by_status[s] for s in (*DOCUMENT_STATUSES, *sorted(by_status)) if by_status.get(s)},
    }
    return figures, months, specialties


def _add(a: tuple, b: tuple) -> tuple:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def build(groups: dict[str, list], *, filters: dict | None = None, top: int = 15) -> Insights:
    """The insights from the store's tallies (``store.dataset.tallies``)."""
    overall, months, spec_counts = _overall(groups["letters"], groups["span"])
    result = Insights(filters=filters or {}, overall=overall)
    undated = overall["undated_letters"]
    month_rows, left_out = _month_rows(months)
    result.tables["by_month"] = Table(
        "by_month",
        "Letters and items by month of decision",
        ("month", "letters", *DECISION_COLUMNS),
        month_rows,
        label="Month of decision",
        note=" ".join(
            part
            for part in (
                f"{undated} letter{' has' if undated == 1 else 's have'} no decision date and "
                f"{'is' if undated == 1 else 'are'} not counted here."
                if undated
                else "",
                f"{left_out} months without any letter are left out." if left_out else "",
            )
            if part
        ),
    )
    by_cat = {g.key: g for g in groups["category"]}
    cat_rows = [
        (categories.CATEGORY_LABELS[c], t.letters, *_decided(t.items, t.upheld, t.overturned))
        for c in categories.CATEGORIES
        if (t := by_cat.get(c)) is not None and t.items
    ]
    cat_rows.sort(key=lambda r: (-r[2], r[0]))
    result.tables["by_category"] = Table(
        "by_category",
        "Decisions by treatment category",
        ("category", "letters", *DECISION_COLUMNS),
        cat_rows,
        label="Treatment category",
    )
    spec_rows = [(spec, n, *_decided(*counts)) for spec, (n, *counts) in spec_counts.items()]
    spec_rows.sort(key=lambda r: (-r[2], -r[1], r[0]))
    result.tables["by_specialty"] = Table(
        "by_specialty",
        "Decisions by reviewer specialty",
        ("specialty", "letters", *DECISION_COLUMNS),
        spec_rows,
        label="Reviewer's board certification",
        note="The first specialty each letter lists for its expert reviewer.",
    )
    by_fam = {NONE_CITED if g.key is None else g.key: g for g in groups["family"]}
    fam_rows = [
        (f, t.letters, *_decided(t.items, t.upheld, t.overturned))
        for f in (*FAMILIES, NONE_CITED)
        if (t := by_fam.get(f)) is not None and t.items
    ]
    result.tables["by_guideline"] = Table(
        "by_guideline",
        "Decisions by guideline family MAXIMUS cited",
        ("guideline", "letters", *DECISION_COLUMNS),
        fam_rows,
        label="Guideline family cited by MAXIMUS",
        note="An item citing several families counts once under each.",
    )
    # a name's category: the one most of its items have (the greater name on a tie)
    treatment_cat: dict[str, tuple[int, str]] = {}
    for name, cat, n in groups["treatment_category"]:
        treatment_cat[name] = max(treatment_cat.get(name, (n, cat)), (n, cat))
    treat_rows = []
    for t in groups["treatment"]:
        cat = treatment_cat[t.key][1]
        treat_rows.append(
            (t.key, categories.CATEGORY_LABELS[cat], t.letters, *_decided(t.items, t.upheld, t.overturned))
        )
    treat_rows.sort(key=lambda r: (-r[3], -r[2], r[0].lower(), r[0]))
    result.tables["top_treatments"] = Table(
        "top_treatments",
        "Most disputed treatments",
        ("treatment", "category", "letters", *DECISION_COLUMNS),
        treat_rows[: max(0, top)] if top else treat_rows,
        label="Treatment (normalised)",
        note=f"The {min(top, len(treat_rows))} most frequent of {len(treat_rows)} treatments."
        if top and len(treat_rows) > top
        else "",
    )
    return result


def dumps(insights: Insights) -> str:
    return json.dumps(insights.to_json(), ensure_ascii=False)
