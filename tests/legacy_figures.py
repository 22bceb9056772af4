"""The figures and exports as imrdesk computed them before schema 5: by rebuilding every letter's effective
record in Python (``Store.records``, the validation rules run again). Kept only to check that the SQL path
gives exactly the same figures and bytes (tests/test_figures_sql.py) and as the benchmark's anchor
(benchmarks/scale_bench.py); the product no longer uses it."""

from __future__ import annotations

import csv
import datetime as _dt
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from imrdesk.extract import categories
from imrdesk.record import DOCUMENT_STATUSES, corrected_paths
from imrdesk.services.export import (
    DATE_COLUMNS,
    DOCUMENT_COLUMNS,
    FAILED_COLUMNS,
    FORMULA_PREFIXES,
    ITEM_COLUMNS,
    LETTER_COLUMNS,
    ROW_COLUMNS,
    XLSX_CELL_LIMIT,
    cell,
    new_sheet,
)
from imrdesk.services.files import atomic_file
from imrdesk.services.insights import (
    DECISION_COLUMNS,
    FAMILIES,
    NONE_CITED,
    NOT_STATED,
    Insights,
    Table,
    check_date,
    select_ids,
    statuses_of,
)
from imrdesk.store import Store


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


def compute(store, *, date_from=None, date_to=None, status=None, top: int = 15) -> Insights:
    """The insights as ``insights.compute`` gave them: every selected letter's record rebuilt and walked."""
    date_from, date_to = check_date(date_from, "from"), check_date(date_to, "to")
    ids = select_ids(store, date_from=date_from, date_to=date_to, status=status)
    filters = {"date_from": date_from, "date_to": date_to, "status": list(statuses_of(status) or [])}
    return compute_records(store.records(ids, provenance=False), filters=filters, top=top)


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
            # by the review's order (the old path listed them in the order first met)
            "by_status": {s: statuses[s] for s in (*DOCUMENT_STATUSES, *sorted(statuses)) if statuses.get(s)},
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


def _get(record: dict, path: str):
    node = record
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def item_rows(record: dict) -> Iterator[dict]:
    """Rows of the CSV/Excel dataset for one letter: one per disputed item, the letter's fields repeated
    (a letter without items, e.g. a failed one, gives one row with empty item columns)."""
    base = {}
    for column, path in LETTER_COLUMNS:
        if column == "error_code":
            base[column] = (record.get("error") or {}).get("code")
        elif column == "error_message":
            base[column] = (record.get("error") or {}).get("message")
        else:
            base[column] = _get(record, path)
    corrected = corrected_paths(record)
    letter_corrected = [p for p in corrected if not p.startswith("items[")]
    findings = [f for f in record.get("findings") or [] if isinstance(f, dict)]
    letter_findings = [f["message"] for f in findings if not str(f.get("path")).startswith("items[")]
    items = record.get("items") or []
    if not items:
        yield {
            **base,
            **{c: None for c in ITEM_COLUMNS},
            "corrected_fields": letter_corrected,
            "open_findings": letter_findings,
        }
        return
    for idx, item in enumerate(items):
        row = dict(base)
        row["item_index"] = idx
        for column in ITEM_COLUMNS[1:]:
            row[column] = item.get(column)
        prefix = f"items[{idx}]."
        row["corrected_fields"] = letter_corrected + [p for p in corrected if p.startswith(prefix)]
        row["open_findings"] = letter_findings + [
            f["message"] for f in findings if str(f.get("path")).startswith(prefix)
        ]
        yield row


def export(store, path, fmt: str, *, ids: list[int] | None = None) -> int:
    """The CSV or Excel export as it was: from rebuilt records."""
    ids = list(ids) if ids is not None else store.document_ids()
    return {"csv": _csv, "xlsx": _xlsx}[fmt](store, Path(path), ids)


def _csv(store: Store, path: Path, ids: list[int]) -> int:
    n = 0
    # utf-8 with a byte order mark, so that spreadsheet programs read accents correctly
    with atomic_file(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(ROW_COLUMNS)
        for rec in store.records(ids):
            for row in item_rows(rec):
                out.writerow(["" if row[c] is None else cell(row[c]) for c in ROW_COLUMNS])
                n += 1
    return n


def _xlsx(store: Store, path: Path, ids: list[int]) -> int:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    items = new_sheet(wb, "items", ROW_COLUMNS)
    items.append([xlsx_cell(items, "", c) for c in ROW_COLUMNS])
    failed = new_sheet(wb, "failed", FAILED_COLUMNS)
    failed.append([xlsx_cell(failed, "", c) for c in FAILED_COLUMNS])
    n = n_failed = 0
    for rec in store.records(ids):
        if rec.get("error"):  # nothing to analyse: on the failed sheet, with the reason
            err = rec["error"]
            failed.append(
                [
                    xlsx_cell(failed, c, v)
                    for c, v in zip(
                        FAILED_COLUMNS,
                        (
                            rec.get("id"),
                            rec.get("file"),
                            err.get("code"),
                            err.get("message"),
                            rec.get("sha256"),
                        ),
                        strict=True,
                    )
                ]
            )
            n_failed += 1
            continue
        for row in item_rows(rec):
            items.append([xlsx_cell(items, c, row[c]) for c in ROW_COLUMNS])
            n += 1
    items.auto_filter.ref = f"A1:{get_column_letter(len(ROW_COLUMNS))}{n + 1}"
    failed.auto_filter.ref = f"A1:{get_column_letter(len(FAILED_COLUMNS))}{n_failed + 1}"
    doc_columns = (*DOCUMENT_COLUMNS, "sha256")
    docs = new_sheet(wb, "documents", doc_columns)
    docs.append([xlsx_cell(docs, "", c) for c in doc_columns])
    n_docs = 0
    for start in range(0, len(ids), 1000):  # the exported letters' list rows, in the order exported
        rows = store.lists.rows(ids[start : start + 1000])
        for doc_id in ids[start : start + 1000]:
            d = rows.get(doc_id)
            if d is None:
                continue
            err = d["error"] or {}
            flat = {**d, "error_code": err.get("code"), "error_message": err.get("message")}
            docs.append([xlsx_cell(docs, c, flat.get(c)) for c in doc_columns])
            n_docs += 1
    docs.auto_filter.ref = f"A1:{get_column_letter(len(doc_columns))}{n_docs + 1}"
    with atomic_file(path, None) as tmp:
        wb.save(tmp)
    return n


def xlsx_cell(sheet, column: str, value):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    if column in DATE_COLUMNS and isinstance(value, str):
        try:
            cell = WriteOnlyCell(sheet, value=_dt.date.fromisoformat(value))
            cell.number_format = "yyyy-mm-dd"
            return cell
        except ValueError:
            pass  # not an ISO date (a reviewer's odd value): shown as written
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(value) > XLSX_CELL_LIMIT:
            value = value[: XLSX_CELL_LIMIT - 1] + "…"
        cell = WriteOnlyCell(sheet, value=None)
        cell.value = value
        cell.data_type = "s"
        if value.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True
        return cell
    return WriteOnlyCell(sheet, value=value)
