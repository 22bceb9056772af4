"""Insights over the reviewed dataset: counts and decision rates, computed on the effective records.

Everything here is computed from the letters' *effective* records (the reviewer's corrections applied), so a
corrected decision, date, specialty or treatment counts as corrected. Letters that could not be read are left
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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..extract import categories
from ..record import DOCUMENT_STATUSES

if TYPE_CHECKING:  # pragma: no cover
    from ..store import Store

DECISIONS = ("Upheld", "Overturned")
FAMILIES = ("MTUS", "ACOEM", "ODG", "OTHER")
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


class _Tally:
    __slots__ = ("letters", "items", "upheld", "overturned")

    def __init__(self) -> None:
        self.letters: set[int] = set()
        self.items = self.upheld = self.overturned = 0

    def add(self, doc_id: int, decision: str | None) -> None:
        self.letters.add(doc_id)
        self.items += 1
        self.upheld += decision == "Upheld"
        self.overturned += decision == "Overturned"

    def decided(self) -> tuple:
        n = self.upheld + self.overturned
        return (
            self.items,
            self.upheld,
            self.overturned,
            _rate(self.upheld, n),
            _rate(self.overturned, n),
        )


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


def _statuses(status) -> tuple[str, ...] | None:
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
    statuses = _statuses(status) or ()
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
    thread when the count is no longer wanted; it then ends at the next letter with :class:`Stopped`."""
    date_from, date_to = check_date(date_from, "from"), check_date(date_to, "to")
    if date_from and date_to and date_from > date_to:
        raise ValueError(f"The date range is empty: {date_from} is after {date_to}.")
    ids = select_ids(store, date_from=date_from, date_to=date_to, status=status)
    filters = {"date_from": date_from, "date_to": date_to, "status": list(_statuses(status) or [])}
    records = store.records(ids, provenance=False)
    if stop is not None:
        records = _until(records, stop)
    return compute_records(records, filters=filters, top=top)


class Stopped(Exception):
    """A count ended early because its ``stop`` flag was set."""


def _until(records: Iterable[dict], stop: threading.Event) -> Iterator[dict]:
    for record in records:
        if stop.is_set():
            raise Stopped
        yield record


MAX_EMPTY_RUN = 3  # months without letters between two with letters: shown up to this many in a row


def _month_rows(months: dict) -> tuple[list[tuple], int]:
    """One row per month with letters, and the empty months between them when the gap is short: a letter
    with a far-off decision date (a typo, a late re-issue) does not add dozens of empty months. Returns the
    rows and how many empty months were left out."""
    if not months:
        return [], 0
    rows, gap, left_out = [], [], 0
    for m in month_range(min(months), max(months)):
        t = months.get(m)
        if t is None:
            gap.append(m)
            continue
        if len(gap) <= MAX_EMPTY_RUN:
            rows.extend((g, 0, *_Tally().decided()) for g in gap)
        else:
            left_out += len(gap)
        gap = []
        rows.append((m, len(t.letters), *t.decided()))
    return rows, left_out


def month_range(first: str, last: str) -> Iterator[str]:
    y, m = int(first[:4]), int(first[5:7])
    while f"{y:04d}-{m:02d}" <= last:
        yield f"{y:04d}-{m:02d}"
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def compute_records(records: Iterable[dict], *, filters: dict | None = None, top: int = 15) -> Insights:
    """The insights over some effective records (readable letters; failed ones are skipped)."""
    overall = _Tally()
    months: dict[str, _Tally] = {}
    by_cat: dict[str, _Tally] = {c: _Tally() for c in categories.CATEGORIES}
    by_spec: dict[str, _Tally] = {}
    by_fam: dict[str, _Tally] = {f: _Tally() for f in (*FAMILIES, NONE_CITED)}
    treatments: dict[str, _Tally] = {}
    treatment_cat: dict[str, dict[str, int]] = {}
    letters = undated = 0
    statuses: dict[str, int] = {}
    first_date = last_date = None
    for rec in records:
        if rec.get("error"):
            continue
        doc_id = rec.get("id", letters)
        letters += 1
        statuses[rec.get("review_status") or "new"] = statuses.get(rec.get("review_status") or "new", 0) + 1
        date = rec.get("decision_date")
        month = date[:7] if isinstance(date, str) and len(date) >= 7 else None
        if month:
            months.setdefault(month, _Tally()).letters.add(doc_id)
            first_date = min(first_date or date, date)
            last_date = max(last_date or date, date)
        else:
            undated += 1
        specialties = (rec.get("reviewer") or {}).get("specialties") or []
        specialty = specialties[0] if specialties else NOT_STATED
        by_spec.setdefault(specialty, _Tally()).letters.add(doc_id)
        for item in rec.get("items") or []:
            if not isinstance(item, dict):
                continue
            decision = item.get("decision")
            overall.add(doc_id, decision)
            if month:
                months[month].add(doc_id, decision)
            text = categories.treatment_text(item)
            cat = categories.classify(text)
            by_cat[cat].add(doc_id, decision)
            by_spec[specialty].add(doc_id, decision)
            fams = [f for f in (item.get("maximus_sources") or []) if f in FAMILIES] or [NONE_CITED]
            for fam in dict.fromkeys(fams):
                by_fam[fam].add(doc_id, decision)
            name = categories.normalise(text)
            treatments.setdefault(name, _Tally()).add(doc_id, decision)
            counts = treatment_cat.setdefault(name, {})
            counts[cat] = counts.get(cat, 0) + 1
        overall.letters.add(doc_id)

    o = overall.decided()
    result = Insights(
        filters=filters or {},
        overall={
            "letters": letters,
            "items": o[0],
            "upheld": o[1],
            "overturned": o[2],
            "upheld_rate": o[3],
            "overturned_rate": o[4],
            "undated_letters": undated,
            "first_decision": first_date,
            "last_decision": last_date,
            "by_status": statuses,
        },
    )
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
    cat_rows = [
        (categories.CATEGORY_LABELS[c], len(t.letters), *t.decided()) for c, t in by_cat.items() if t.items
    ]
    cat_rows.sort(key=lambda r: (-r[2], r[0]))
    result.tables["by_category"] = Table(
        "by_category",
        "Decisions by treatment category",
        ("category", "letters", *DECISION_COLUMNS),
        cat_rows,
        label="Treatment category",
    )
    spec_rows = [(s, len(t.letters), *t.decided()) for s, t in by_spec.items() if t.letters]
    spec_rows.sort(key=lambda r: (-r[2], -r[1], r[0]))
    result.tables["by_specialty"] = Table(
        "by_specialty",
        "Decisions by reviewer specialty",
        ("specialty", "letters", *DECISION_COLUMNS),
        spec_rows,
        label="Reviewer's board certification",
        note="The first specialty each letter lists for its expert reviewer.",
    )
    fam_rows = [(f, len(t.letters), *t.decided()) for f, t in by_fam.items() if t.items]
    result.tables["by_guideline"] = Table(
        "by_guideline",
        "Decisions by guideline family MAXIMUS cited",
        ("guideline", "letters", *DECISION_COLUMNS),
        fam_rows,
        label="Guideline family cited by MAXIMUS",
        note="An item citing several families counts once under each.",
    )
    treat_rows = []
    for name, t in treatments.items():
        cat = max(treatment_cat[name].items(), key=lambda kv: (kv[1], kv[0]))[0]
        treat_rows.append((name, categories.CATEGORY_LABELS[cat], len(t.letters), *t.decided()))
    treat_rows.sort(key=lambda r: (-r[3], -r[2], r[0].lower()))
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
