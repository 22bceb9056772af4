"""Schema 3: a value a reviewer confirms is not counted as corrected; the dataset views show what reviewers
decided (a correction where there is one, else the extracted value); an older file is upgraded."""

from __future__ import annotations

import copy
import functools
import sqlite3
from pathlib import Path

import pytest
from old_files import drop_summary

from imrdesk.extract import extract
from imrdesk.record import CONFIRMED, CORRECTED, checked, get_value
from imrdesk.record.registry import CITATION_COLUMNS, ITEM_FIELDS, LETTER_FIELDS
from imrdesk.services.review import ReviewService
from imrdesk.store import SCHEMA_VERSION, Store

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"
LETTER = FIXTURES / "CM17-0002198.pdf"


@functools.cache
def _extracted(path: Path = LETTER) -> dict:
    return extract(path)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "dataset.db")
    yield s
    s.close()


def _add(store: Store, path: Path = LETTER) -> int:
    return store.add_record(copy.deepcopy(_extracted(path)), path.read_bytes())["doc_id"]


def test_a_confirmation_is_not_a_correction(store):
    doc = _add(store)
    service = ReviewService(store, user="ann")
    age = store.record(doc)["patient"]["age"]
    service.correct(doc, "patient.age", age)  # the value as extracted: confirmed
    service.correct(doc, "patient.sex", "female" if store.record(doc)["patient"]["sex"] == "male" else "male")
    rec = store.record(doc)
    assert checked(rec, "patient.age") == CONFIRMED and checked(rec, "patient.sex") == CORRECTED
    assert checked(rec, "case_number") is None
    info = store.document_info(doc)
    assert (info["corrected"], info["confirmed"]) == (1, 1)
    stats = store.stats()
    assert (stats["corrected_values"], stats["confirmed_values"]) == (1, 1)
    assert store.review_state([doc])["confirmed_values"] == 1
    # the audit tells them apart too: a confirmation writes the value it found
    age_row, sex_row = store.history(doc, "patient.age")[-1], store.history(doc, "patient.sex")[-1]
    assert age_row["old"] == age_row["new"] and sex_row["old"] != sex_row["new"]
    # clearing the correction leaves neither
    service.clear(doc, "patient.sex")
    assert store.stats()["corrected_values"] == 0


def _rows(store: Store, sql: str, params=()) -> list[dict]:
    cur = store.conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _joined(value):
    """How a view shows a list: joined with "; ", NULL when empty (nothing stated)."""
    if isinstance(value, list):
        return "; ".join(value) or None
    return value


def test_the_dataset_views_show_the_reviewed_values(store):
    docs = [_add(store, p) for p in sorted(FIXTURES.glob("*.pdf"))]
    service = ReviewService(store)
    first = docs[0]
    rec = store.record(first)
    service.correct(first, "case_number", "CM99-0000001")
    service.correct(first, "reviewer.specialties", ["Orthopedic Surgery", "Pain Medicine"])
    service.correct(
        first, "items[0].decision", "Overturned" if rec["items"][0]["decision"] == "Upheld" else "Upheld"
    )
    service.correct(first, "items[0].maximus_sources", ["ODG"])
    service.correct(
        first,
        "items[0].maximus_citations",
        [{"source": "ODG", "title": "Knee", "year": 2016, "text": "ODG Knee"}],
    )
    letters = {r["doc_id"]: r for r in _rows(store, "SELECT * FROM dataset_letters")}
    items = {(r["doc_id"], r["item_index"]): r for r in _rows(store, "SELECT * FROM dataset_items")}
    cites = _rows(store, "SELECT * FROM dataset_citations ORDER BY doc_id, item_index, party, ord")
    assert set(letters) == set(docs)
    n_items = n_cites = 0
    for record in store.records(docs):
        row = letters[record["id"]]
        assert row["review_status"] == record["review_status"]
        for spec in LETTER_FIELDS:
            assert row[spec.column] == _joined(get_value(record, spec.key)), spec.key
        for idx, item in enumerate(record["items"]):
            n_items += 1
            for spec in ITEM_FIELDS:
                if spec.kind != "citations":
                    assert items[(record["id"], idx)][spec.key] == _joined(item.get(spec.key)), spec.key
            for party in ("claims_administrator", "maximus"):
                mine = [
                    c
                    for c in cites
                    if (c["doc_id"], c["item_index"], c["party"]) == (record["id"], idx, party)
                ]
                expected = item.get(f"{party}_citations") or []
                assert [{k: c[k] for k in CITATION_COLUMNS if k != "families"} for c in mine] == [
                    {k: e.get(k) for k in CITATION_COLUMNS if k != "families"} for e in expected
                ]
                n_cites += len(expected)
    assert len(items) == n_items and len(cites) == n_cites and n_cites > 0
    assert letters[first]["case_number"] == "CM99-0000001"
    assert letters[first]["reviewer_specialties"] == "Orthopedic Surgery; Pain Medicine"


def test_a_schema_2_file_is_upgraded_with_its_confirmations_counted(tmp_path):
    path = tmp_path / "old.db"
    with Store(path) as store:
        doc = _add(store)
        ReviewService(store).correct(doc, "patient.age", store.record(doc)["patient"]["age"])
    conn = sqlite3.connect(path)  # what schema 2 left: no n_confirmed, no removed_at, no views
    for view in ("dataset_letters", "dataset_items", "dataset_citations"):
        conn.execute(f"DROP VIEW {view}")
    drop_summary(conn)
    conn.execute("DROP INDEX documents_removed")
    conn.execute("ALTER TABLE documents DROP COLUMN n_confirmed")
    conn.execute("ALTER TABLE documents DROP COLUMN removed_at")
    conn.execute("UPDATE documents SET n_corrected = 1")  # schema 2 counted the confirmation as a correction
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
        info = store.document_info(doc)
        assert (info["corrected"], info["confirmed"]) == (0, 1)
        assert len(_rows(store, "SELECT * FROM dataset_letters")) == 1
    # opening a current file writes nothing
    before = path.stat().st_mtime_ns
    with Store(path):
        pass
    assert path.stat().st_mtime_ns == before
