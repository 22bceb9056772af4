"""Validation findings in the store: re-checked on the effective record, dismissals audited and kept across
re-extraction, the review queue's order, open findings in the documents list, stats and exports."""

from __future__ import annotations

import copy
import csv
import functools
import json
import sqlite3

import pytest
from openpyxl import load_workbook
from pdfgen import FIXTURES

from imrdesk.extract import REVIEW_THRESHOLD, extract
from imrdesk.record import document_order, review_queue
from imrdesk.services.export import export
from imrdesk.services.importing import import_paths, reextract_documents, reextract_in_process
from imrdesk.store import SCHEMA_VERSION, Store

LETTER = FIXTURES / "pdf" / "CM17-0002198.pdf"  # two items, both Upheld; no findings as extracted
DOUBTED = "date_order:application_received"


@functools.cache
def _extracted(name: str) -> dict:
    return extract(FIXTURES / "pdf" / name)


def _add(store: Store, name: str = LETTER.name) -> int:
    data = (FIXTURES / "pdf" / name).read_bytes()
    return store.add_record(copy.deepcopy(_extracted(name)), data)["doc_id"]


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "findings.db")
    yield s
    s.close()


def _row(store: Store, doc_id: int) -> dict:
    return next(r for r in store.list_documents() if r["id"] == doc_id)


def _doubt_application_received(store: Store, doc_id: int) -> None:
    """A UR denial after the application was received: the rule doubts the (uncorrected) later date."""
    store.set_value(doc_id, "ur_denial_date", "2017-01-10", user="ann")


def test_a_correction_raises_and_clears_findings_on_the_effective_record(store):
    doc_id = _add(store)
    before = store.record(doc_id)
    assert store.findings(doc_id) == [] and _row(store, doc_id)["findings"] == 0
    low_before = _row(store, doc_id)["low_confidence"]
    extracted_conf = before["provenance"]["application_received"]["confidence"]
    assert extracted_conf >= REVIEW_THRESHOLD

    _doubt_application_received(store, doc_id)
    (finding,) = store.findings(doc_id)
    assert finding["key"] == DOUBTED and finding["path"] == "application_received"
    assert "2017-01-03" in finding["message"] and "2017-01-10" in finding["message"]
    rec = store.record(doc_id)
    assert rec["findings"] == [finding]
    assert rec["provenance"]["application_received"]["confidence"] < REVIEW_THRESHOLD
    row = _row(store, doc_id)
    assert row["findings"] == 1 and row["low_confidence"] == low_before + 1  # lowered by the finding

    # correcting the doubted value so the dates are in order clears the finding
    store.set_value(doc_id, "application_received", "2017-01-12", user="ann")
    store.set_value(doc_id, "date_assigned", "2017-01-13", user="ann")
    assert store.findings(doc_id) == [] and _row(store, doc_id)["findings"] == 0
    # undoing the corrections gives the extracted value its own confidence back
    for path in ("application_received", "date_assigned", "ur_denial_date"):
        store.clear_correction(doc_id, path)
    rec = store.record(doc_id)
    assert rec["findings"] == []
    assert rec["provenance"]["application_received"] == before["provenance"]["application_received"]
    assert _row(store, doc_id)["low_confidence"] == low_before
    # the stored record still round-trips to what the extractor gave
    assert {k: v for k, v in rec.items() if k not in ("id", "review_status")} == _extracted(LETTER.name)


def test_a_dismissed_finding_stays_dismissed_after_reextraction(store, tmp_path):
    doc_id = _add(store)
    _doubt_application_received(store, doc_id)
    with pytest.raises(ValueError, match="no open finding"):
        store.dismiss_finding(doc_id, "age_plausible:patient.age")
    with pytest.raises(KeyError):
        store.dismiss_finding(999, DOUBTED)

    store.dismiss_finding(doc_id, DOUBTED, user="bob")
    store.dismiss_finding(doc_id, DOUBTED, user="carol")  # already dismissed: nothing happens
    assert store.findings(doc_id) == [] and _row(store, doc_id)["findings"] == 0
    rec = store.record(doc_id)
    assert rec["provenance"]["application_received"]["confidence"] >= REVIEW_THRESHOLD  # its own again
    (dismissal,) = store.dismissed_findings(doc_id)
    assert dismissal["key"] == DOUBTED and dismissal["user"] == "bob" and dismissal["active"]
    (audit,) = store.history(doc_id, "finding:" + DOUBTED)
    assert (audit["old"], audit["new"], audit["user"]) == ("open", "dismissed", "bob")

    # re-extraction in this process, in worker processes, and a re-import that replaces the letter
    reextract_in_process(store, doc_id)
    assert store.findings(doc_id) == [] and store.dismissed_findings(doc_id)[0]["active"]
    summary = reextract_documents(store.path, [doc_id], workers=1)
    assert summary["failed"] == [] and summary["imported"] == 1
    pdf = tmp_path / LETTER.name
    pdf.write_bytes(LETTER.read_bytes())
    import_paths(store.path, [pdf], workers=1, reextract=True)
    assert store.findings(doc_id) == [] and len(store.dismissed_findings(doc_id)) == 1
    assert [h["path"] for h in store.history(doc_id) if h["path"] == "extraction"] == ["extraction"] * 3

    # once the value is corrected the dismissal hides nothing; restoring it reopens only a live finding
    store.clear_correction(doc_id, "ur_denial_date")
    assert store.dismissed_findings(doc_id)[0]["active"] is False
    _doubt_application_received(store, doc_id)
    store.restore_finding(doc_id, DOUBTED, user="bob")
    store.restore_finding(doc_id, DOUBTED, user="bob")  # not dismissed: nothing happens
    assert [f["key"] for f in store.findings(doc_id)] == [DOUBTED]
    assert [(h["old"], h["new"]) for h in store.history(doc_id, "finding:" + DOUBTED)] == [
        ("open", "dismissed"),
        ("dismissed", "open"),
    ]
    assert store.dismissed_findings(doc_id) == []


def test_findings_are_not_a_correctable_field_and_go_with_their_letter(store):
    doc_id = _add(store)
    with pytest.raises(ValueError, match="not a correctable field"):
        store.set_value(doc_id, "findings", [])
    _doubt_application_received(store, doc_id)
    store.dismiss_finding(doc_id, DOUBTED)
    store.set_value(doc_id, "patient.age", 120)
    store.delete_document(doc_id)
    for table in ("dismissals", "findings", "documents"):
        assert store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_review_queue_visits_findings_first_then_low_confidence_values(store):
    doc_id = _add(store)
    rec = store.record(doc_id)
    low = [p for p, v in rec["provenance"].items() if v["confidence"] < REVIEW_THRESHOLD]
    assert low, "the fixture letter has fallback values to check"
    order = document_order(rec)
    assert review_queue(store.record(doc_id)) == sorted(low, key=order.index)

    # findings on a later and an earlier field, and on an item: all before the low-confidence values,
    # in document order (header, patient, then the item), whatever the order the rules list them in
    _doubt_application_received(store, doc_id)
    store.set_value(doc_id, "patient.age", 120)
    store.set_value(doc_id, "items[1].decision", "Overturned")  # the rationale says not necessary
    keys = {f["key"] for f in store.findings(doc_id)}
    assert {DOUBTED, "age_plausible:patient.age", "conclusion_agrees:items[1].decision"} <= keys
    queue = review_queue(store.record(doc_id))
    first = ["application_received", "patient.age", "items[1].decision"]
    assert queue[:3] == first
    assert queue[3:] == sorted((p for p in low if p not in first), key=order.index)
    assert len(queue) == len(set(queue))

    # a window may pass its own field order; corrected low-confidence values leave the queue
    store.set_value(doc_id, low[0], store.record(doc_id)["injury"][low[0].split(".")[1]])
    mine = ["items[1].decision", "patient.age", "application_received"]
    queue = review_queue(store.record(doc_id), order=mine)
    assert queue[:3] == mine and low[0] not in queue


def test_review_queue_on_a_record_without_provenance():
    rec = {"items": [], "provenance": None, "findings": [{"path": "items", "key": "has_items:items"}]}
    assert review_queue(rec) == ["items"]


def test_exports_carry_open_findings(store, tmp_path):
    doc_id = _add(store)
    other = _add(store, "CM17-0006634.pdf")
    store.set_value(doc_id, "patient.age", 120)  # a letter-level finding: every item row of the letter
    store.set_value(doc_id, "items[1].decision", "Overturned")  # an item's finding: its row only
    messages = {f["path"]: f["message"] for f in store.findings(doc_id)}

    export(store, tmp_path / "out.csv", "csv")
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    mine = [r for r in rows if r["doc_id"] == str(doc_id)]
    assert mine[0]["open_findings"] == messages["patient.age"]
    assert mine[1]["open_findings"] == f"{messages['patient.age']}; {messages['items[1].decision']}"
    assert all(r["open_findings"] == "" for r in rows if r["doc_id"] == str(other))

    export(store, tmp_path / "out.xlsx", "xlsx")
    wb = load_workbook(tmp_path / "out.xlsx", read_only=True)
    sheet = list(wb["items"].iter_rows(values_only=True))
    col = sheet[0].index("open_findings")
    assert sheet[2][col] == mine[1]["open_findings"]
    docs = list(wb["documents"].iter_rows(values_only=True))
    fcol = docs[0].index("findings")
    assert {r[0]: r[fcol] for r in docs[1:]} == {doc_id: 2, other: 0}
    wb.close()

    export(store, tmp_path / "out.json", "json")
    records = {r["id"]: r for r in json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))}
    assert records[doc_id]["findings"] == store.findings(doc_id) and records[other]["findings"] == []


def test_finding_counts_equal_the_database(store):
    a, b = _add(store), _add(store, "CM17-0006634.pdf")
    _doubt_application_received(store, a)
    store.set_value(a, "patient.age", 7)
    store.set_value(b, "patient.age", 120)
    store.dismiss_finding(b, "age_plausible:patient.age")
    counts = store.stats()["findings"]
    sql = dict(store.conn.execute("SELECT rule, count(*) FROM findings GROUP BY rule").fetchall())
    assert {r: n for r, n in counts["by_rule"].items() if n} == sql == {"date_order": 1, "age_plausible": 1}
    assert counts["open"] == 2 and counts["letters"] == 1 and counts["dismissed"] == 1
    assert store.finding_counts([b]) == {
        "open": 0,
        "letters": 0,
        "by_rule": dict.fromkeys(counts["by_rule"], 0),
        "dismissed": 1,
    }
    assert sum(len(store.findings(i)) for i in (a, b)) == counts["open"]


def test_a_schema_1_database_is_upgraded(tmp_path):
    path = tmp_path / "v1.db"
    with Store(path) as store:
        doc_id = _add(store)
        _doubt_application_received(store, doc_id)
    conn = sqlite3.connect(path)  # what imrdesk 0.1 with schema 1 left: no findings tables
    conn.execute("DROP TABLE findings")
    conn.execute("DROP TABLE dismissals")
    conn.execute("UPDATE documents SET n_low = 0")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
        assert _row(store, doc_id)["findings"] == 1 and _row(store, doc_id)["low_confidence"] > 0
        store.dismiss_finding(doc_id, DOUBTED)
        assert _row(store, doc_id)["findings"] == 0
