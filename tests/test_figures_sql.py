"""Figures and exports from SQL (schema 5's derived facts) give exactly what rebuilding every record in Python
gave (``legacy_figures``, the old path): the same insights under every filter and the same CSV and Excel
bytes, over the real letters with corrections made through the review service, a confirmation, removed and
failed letters and formula-looking text; an older file is upgraded with its facts derived."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import zipfile
from pathlib import Path

import legacy_figures as legacy
import pytest
from old_files import drop_summary

from imrdesk.extract import extract
from imrdesk.services import export, insights
from imrdesk.services.review import ReviewService
from imrdesk.store import Store

FILTERS = (
    {},
    {"top": 0},
    {"top": 3},
    {"date_from": "2017-01", "date_to": "2017-02-14"},
    {"status": "reviewed"},
    {"status": ["new", "flagged"], "top": 5},
    {"date_from": "2030"},
)


def _failed(store: Store, folder: Path, name: str, data: bytes) -> int:
    path = folder / name
    path.write_bytes(data)
    return store.add_record(extract(path), data)["doc_id"]


@pytest.fixture
def reviewed(corpus_store, tmp_path):
    """The corpus with reviewers' work on it: decisions flipped, a date moved and one cleared, specialties,
    sources (repeated and unknown families) and treatments changed, formula-looking text, a confirmation, a
    dismissed finding, statuses, two letters removed, two letters that could not be read."""
    store = corpus_store
    service = ReviewService(store, user="ann")
    ids = store.document_ids()
    recs = {i: store.record(i) for i in ids[:12]}

    def flip(decision):
        return "Overturned" if decision == "Upheld" else "Upheld"

    service.correct(ids[0], "items[0].decision", flip(recs[ids[0]]["items"][0]["decision"]))
    service.correct(ids[1], "decision_date", "2016-06-15")
    service.correct(ids[2], "reviewer.specialties", ["Neurology", "Pain Medicine"])
    service.correct(ids[3], "items[0].maximus_sources", ["ACOEM", "OTHER", "ACOEM"])
    service.correct(ids[4], "items[0].treatment", '=HYPERLINK("http://x") Lumbar fusion L4-L5')
    service.correct(ids[5], "summary", "+1 called -2 @sum; a summary a spreadsheet would run")
    service.correct(ids[6], "decision_date", None)  # undated now
    service.correct(ids[6], "injury.mechanism", "#DIV/0!")  # a spreadsheet's error code, as text
    service.correct(ids[7], "reviewer.specialties", [])  # no specialty stated
    service.confirm(ids[8], "patient.age")  # confirmed, not corrected
    service.correct(ids[9], "items[0].disputed_portion", "Norco 10/325mg #60")
    service.correct(ids[9], "items[0].rationale", None)  # cleared
    last = len(recs[ids[10]]["items"]) - 1
    service.correct(ids[10], f"items[{last}].decision", flip(recs[ids[10]]["items"][last]["decision"]))
    finding = next(r for r in (store.record(i) for i in ids) if r["findings"])
    service.dismiss(finding["id"], finding["findings"][0]["key"])
    service.set_status_many(ids[:3], "reviewed")
    service.set_status(ids[11], "flagged")
    service.remove([ids[20], ids[21]])
    _failed(store, tmp_path, "broken.pdf", b"%PDF-1.4\n garbage \n%%EOF")
    _failed(store, tmp_path, "empty.pdf", b"")
    return store


def test_insights_from_sql_equal_the_records_walk(reviewed):
    for filters in FILTERS:
        new, old = insights.compute(reviewed, **filters), legacy.compute(reviewed, **filters)
        assert json.dumps(new.to_json()) == json.dumps(old.to_json()), filters
        assert [(t.title, t.label, t.note) for t in new.tables.values()] == [
            (t.title, t.label, t.note) for t in old.tables.values()
        ]
    ins = insights.compute(reviewed, top=0)
    assert ins.overall["undated_letters"] >= 1 and "not stated" in ins["by_specialty"].column("specialty")
    assert ins.overall["letters"] == reviewed.count_documents() - 4  # two removed, two failed


def test_stopped_between_two_queries(reviewed):
    import threading

    stop = threading.Event()
    stop.set()
    with pytest.raises(insights.Stopped):
        insights.compute(reviewed, stop=stop)


def _xlsx_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:  # docProps/core.xml holds the time the file was written
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def test_csv_and_excel_from_sql_are_the_same_bytes(reviewed, tmp_path):
    store = reviewed
    removed = [r[0] for r in store.conn.execute("SELECT id FROM documents WHERE removed_at IS NOT NULL")]
    assert len(removed) == 2
    everything = [r[0] for r in store.conn.execute("SELECT id FROM documents ORDER BY id DESC")]
    for name, ids in (("all", None), ("chosen", everything[:15] + removed), ("none", [])):
        for fmt in ("csv", "xlsx"):
            new, old = tmp_path / f"{name}-new.{fmt}", tmp_path / f"{name}-old.{fmt}"
            n = export.export(store, new, fmt, ids=ids)
            assert n == legacy.export(store, old, fmt, ids=ids)
            if fmt == "csv":
                assert new.read_bytes() == old.read_bytes(), name
            else:
                assert _xlsx_parts(new) == _xlsx_parts(old), name
    text = (tmp_path / "all-new.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'+1 called" in text and "corrupt" in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert any("items[0].decision" in r["corrected_fields"] for r in rows)
    assert not any("patient.age" in r["corrected_fields"] for r in rows)  # confirmed, not changed
    assert sum(bool(r["open_findings"]) for r in rows) >= 3


def test_the_dataset_views_show_what_the_export_streams(reviewed):
    """The views for other tools and the export's rows agree, a cleared item value included."""
    columns = ("treatment", "decision", "disputed_portion", "rationale")
    view = {
        (r[0], r[1]): r[2:]
        for r in reviewed.conn.execute(f"SELECT doc_id, item_index, {', '.join(columns)} FROM dataset_items")
    }
    rows = {
        (letter.id, idx): tuple(item.get(c) for c in columns)
        for letter in reviewed.dataset.letters(reviewed.document_ids())
        for idx, item in enumerate(letter.items)
    }
    assert view == rows and (None in {r[3] for r in rows.values()})


def test_an_older_file_gets_its_facts_on_upgrade(reviewed, tmp_path):
    store = reviewed
    facts = store.conn.execute("SELECT * FROM item_facts ORDER BY doc_id, idx").fetchall()
    derived = store.conn.execute("SELECT id, specialty, corrected FROM documents ORDER BY id").fetchall()
    before = insights.compute(store, top=0).to_json()
    assert len(facts) == store.conn.execute("SELECT count(*) FROM items").fetchone()[0]
    assert any(c for _i, _s, c in derived) and any(s for _i, s, _c in derived)
    path = store.path
    store.close()
    conn = sqlite3.connect(path)  # what schema 4 left: no item facts, no specialty or changed values
    drop_summary(conn)
    conn.execute("DROP TABLE item_facts")
    conn.execute("ALTER TABLE documents DROP COLUMN specialty")
    conn.execute("ALTER TABLE documents DROP COLUMN corrected")
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    with Store(path) as upgraded:
        assert upgraded.conn.execute("SELECT * FROM item_facts ORDER BY doc_id, idx").fetchall() == facts
        assert (
            upgraded.conn.execute("SELECT id, specialty, corrected FROM documents ORDER BY id").fetchall()
            == derived
        )
        assert insights.compute(upgraded, top=0).to_json() == before


def test_a_deleted_letter_takes_its_facts(reviewed):
    doc_id = reviewed.document_ids()[0]
    reviewed.delete_document(doc_id)
    assert not reviewed.conn.execute(
        "SELECT count(*) FROM item_facts WHERE doc_id = ?", (doc_id,)
    ).fetchone()[0]
