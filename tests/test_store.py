"""The Store: schema, records round trip, corrections and audit, re-extraction, search, stats, exports."""

from __future__ import annotations

import copy
import csv
import getpass
import hashlib
import json
import re
import sqlite3
import threading
import time

import pytest
from openpyxl import load_workbook
from pdfgen import seed_text, text_letter_pdf

from imrdesk.extract import REVIEW_THRESHOLD, extract
from imrdesk.services.export import export
from imrdesk.services.importing import import_paths, reextract_documents, reextract_in_process
from imrdesk.store import SCHEMA_VERSION, SearchError, Store, StoreError


def _strip(rec: dict) -> dict:
    rec = dict(rec)
    rec.pop("id")
    rec.pop("review_status")
    return rec


def _doc(store: Store, case_number: str) -> int:
    (doc_id,) = store.find(case_number)
    return doc_id


def _with_items(store: Store, n: int = 2) -> int:
    """A letter of the corpus with at least ``n`` items and an Upheld first item."""
    for row in store.list_documents():
        if row["items"] >= n and store.record(row["id"])["items"][0]["decision"] == "Upheld":
            return row["id"]
    raise AssertionError("no such letter in the corpus")


# ----------------------------------------------------------------------------- schema and opening
def test_new_database_schema(tmp_path):
    path = tmp_path / "sub" / "new.db"
    with Store(path) as store:
        assert store.path == path and path.exists()
        assert store.count_documents() == 0
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "documents",
        "files",
        "fields",
        "items",
        "citations",
        "provenance",
        "corrections",
        "audit",
    } <= tables
    assert "doc_text_fts" in tables
    conn.close()
    with Store(path) as store:  # reopening an up-to-date database changes nothing
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store.stats()["letters"] == 0


def test_refuses_foreign_newer_and_broken_files(tmp_path):
    newer = tmp_path / "newer.db"
    Store(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer imrdesk"):
        Store(newer)

    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE songs (title TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="some other program"):
        Store(other)
    assert sqlite3.connect(other).execute("SELECT name FROM sqlite_master").fetchall() == [("songs",)]

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError):
        Store(junk)


def test_default_path(tmp_path, monkeypatch):
    monkeypatch.setenv("IMRDESK_DB", str(tmp_path / "env" / "mine.db"))
    assert Store.default_path() == tmp_path / "env" / "mine.db"
    assert (tmp_path / "env").is_dir()
    monkeypatch.delenv("IMRDESK_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "xdg"))
    path = Store.default_path()
    assert path.name == "imrdesk.db" and "imrdesk" in path.parent.parts
    assert path.parent.is_dir()


# ----------------------------------------------------------------------------- records
def test_records_round_trip_exactly(corpus_store, corpus_pdfs):
    """What comes out of the store (no corrections) is exactly what the extractor produced — read as the
    import's workers read it (the fast reader; its boxes may differ from pdfplumber's by a few hundredths of a
    point, which tests/test_pdfium_text.py bounds)."""
    from imrdesk.extract import extract_with_reader

    picks = [p for p in corpus_pdfs if p.stem in ("CM16-0234202", "CM16-0213037")] + corpus_pdfs[10:14]
    for pdf in picks:
        rec = extract_with_reader(pdf, reader="fast")[0]
        doc_id = _doc(corpus_store, rec["case_number"])
        assert _strip(corpus_store.record(doc_id)) == rec
        assert list(_strip(corpus_store.record(doc_id))) == list(rec)  # key order kept too
        assert corpus_store.document_bytes(doc_id) == pdf.read_bytes()


def test_text_and_older_layout_letters(tmp_path, corpus_dir):
    seeds = sorted((corpus_dir / "seeds").glob("*.txt"))
    with Store(tmp_path / "t.db") as store:
        for seed in seeds:
            data = seed.read_bytes()
            rec = extract(data, name=seed.name)
            res = store.add_record(rec, data, source_path=str(seed))
            assert res["status"] == "imported", res
            assert _strip(store.record(res["doc_id"])) == rec
            assert store.document_info(res["doc_id"])["kind"] == "txt"
        # the 2014 layout typeset as a PDF
        pdf = text_letter_pdf(seed_text(seeds[0].name))
        rec = extract(pdf, name="seed-as.pdf")
        assert rec["format"] == "imr-2014" and rec["error"] is None
        res = store.add_record(rec, pdf)
        info = store.document_info(res["doc_id"])
        assert info["kind"] == "pdf" and info["format"] == "imr-2014"
        assert _strip(store.record(res["doc_id"])) == rec


def test_add_record_statuses(tmp_path, corpus_pdfs):
    pdf = corpus_pdfs[0]
    data = pdf.read_bytes()
    rec = extract(data, name=pdf.name)
    with Store(tmp_path / "s.db") as store:
        first = store.add_record(rec, data)
        assert first["status"] == "imported" and not first["case_duplicate"]
        again = store.add_record(rec, data)
        assert again == {
            "status": "duplicate",
            "doc_id": first["doc_id"],
            "case_duplicate": False,
            "message": again["message"],
        }
        assert store.count_documents() == 1
        # same case number, other bytes: stored, flagged, with a note on both letters
        other = data + b"\n% saved again\n"
        res = store.add_record(extract(other, name="resaved.pdf"), other)
        assert res["status"] == "imported" and res["case_duplicate"]
        assert store.document_info(res["doc_id"])["status"] == "flagged"
        assert store.find(rec["case_number"]) == [first["doc_id"], res["doc_id"]]
        assert "also in letter" in store.notes(res["doc_id"])[0]["text"]
        assert store.notes(first["doc_id"])
        # an error record is kept as a failed letter
        bad = b"%PDF-1.4 garbage"
        failed = store.add_record(extract(bad, name="bad.pdf"), bad)
        assert failed["status"] == "failed" and failed["message"]
        row = store.document_info(failed["doc_id"])
        assert row["status"] == "failed" and row["error"]["code"] == "corrupt"
        assert [r["id"] for r in store.list_documents(status="failed")] == [failed["doc_id"]]
        assert store.document_bytes(failed["doc_id"]) == bad
        with pytest.raises(ValueError):
            store.add_record(rec, b"other bytes")  # the record's sha256 must be these bytes'


def test_list_documents_rows(corpus_store, corpus_pdfs):
    rows = corpus_store.list_documents()
    assert len(rows) == corpus_store.count_documents() == len(corpus_pdfs)
    keys = {"id", "case_number", "file_name", "kind", "format", "pages", "status", "error", "items", "upheld"}
    keys |= {"overturned", "low_confidence", "imported_at", "decision_date"}
    for row in rows:
        assert keys <= set(row)
        rec = corpus_store.record(row["id"])
        assert row["items"] == len(rec["items"])
        assert row["upheld"] == sum(i["decision"] == "Upheld" for i in rec["items"])
        assert row["overturned"] == sum(i["decision"] == "Overturned" for i in rec["items"])
        low = sum(p["confidence"] < REVIEW_THRESHOLD for p in rec["provenance"].values())
        assert row["low_confidence"] == low
        assert row["case_number"] == rec["case_number"] and row["decision_date"] == rec["decision_date"]
    assert [r["id"] for r in corpus_store.list_documents(limit=5, offset=10)] == [
        r["id"] for r in rows[10:15]
    ]
    info = corpus_store.document_info(rows[3]["id"])
    assert info["sha256"] == hashlib.sha256(corpus_store.document_bytes(rows[3]["id"])).hexdigest()
    with pytest.raises(KeyError):
        corpus_store.document_info(10_000)


# ----------------------------------------------------------------------------- corrections and audit
def test_set_value_applies_and_audits(corpus_store):
    store = corpus_store
    doc_id = _with_items(store)
    before = store.record(doc_id)
    row_before = store.document_info(doc_id)
    store.set_value(doc_id, "case_number", "CM99-0000001", user="alice")
    store.set_value(doc_id, "patient.age", "61")
    store.set_value(doc_id, "reviewer.specialties", ["Orthopedic Surgery", "Sports Medicine"], user="bob")
    store.set_value(doc_id, "items[1].decision", "overturned", user="alice")
    store.set_value(doc_id, "items[0].rationale", "A corrected rationale.", user="alice")
    same = before["priority"]
    store.set_value(doc_id, "priority", same, user="carol")  # equal to the extracted value: still recorded

    rec = store.record(doc_id)
    assert rec["case_number"] == "CM99-0000001"
    assert rec["patient"]["age"] == 61
    assert rec["reviewer"]["specialties"] == ["Orthopedic Surgery", "Sports Medicine"]
    assert rec["items"][1]["decision"] == "Overturned"
    assert rec["items"][0]["rationale"] == "A corrected rationale."
    for path in ("case_number", "patient.age", "reviewer.specialties", "items[1].decision", "priority"):
        assert rec["provenance"][path]["corrected"] is True
        assert rec["provenance"][path]["confidence"] == 1.0
        assert rec["provenance"][path]["boxes"] == before["provenance"][path]["boxes"]  # still located
    assert "corrected" not in rec["provenance"]["items[0].decision"]
    # extracted values are kept apart
    assert _strip(store.record(doc_id, corrections=False)) == _strip(before)

    hist = store.history(doc_id)
    assert [h["path"] for h in hist] == [
        "case_number",
        "patient.age",
        "reviewer.specialties",
        "items[1].decision",
        "items[0].rationale",
        "priority",
    ]
    assert hist[0] == {
        "path": "case_number",
        "old": before["case_number"],
        "new": "CM99-0000001",
        "at": hist[0]["at"],
        "user": "alice",
    }
    assert hist[1]["user"] == getpass.getuser() and hist[1]["old"] == before["patient"]["age"]
    assert hist[5]["old"] == hist[5]["new"] == same and hist[5]["user"] == "carol"
    assert store.history(doc_id, "items[1].decision")[0]["old"] == before["items"][1]["decision"]

    row = store.document_info(doc_id)
    assert row["case_number"] == "CM99-0000001" and store.find("cm99-0000001") == [doc_id]
    assert row["upheld"] == row_before["upheld"] - 1 and row["overturned"] == row_before["overturned"] + 1

    # a second correction of the same path: the latest is in force, both are audited
    store.set_value(doc_id, "patient.age", 62)
    assert store.record(doc_id)["patient"]["age"] == 62
    assert [h["new"] for h in store.history(doc_id, "patient.age")] == [61, 62]
    # dropping a correction brings the extracted value back (audited)
    store.clear_correction(doc_id, "patient.age", user="alice")
    assert store.record(doc_id)["patient"]["age"] == before["patient"]["age"]
    assert "corrected" not in store.record(doc_id)["provenance"]["patient.age"]
    assert store.history(doc_id, "patient.age")[-1]["new"] == before["patient"]["age"]


def test_correcting_low_confidence_value_clears_it(corpus_store):
    store = corpus_store
    row = next(r for r in store.list_documents() if r["low_confidence"])
    rec = store.record(row["id"])
    path = next(p for p, v in rec["provenance"].items() if v["confidence"] < REVIEW_THRESHOLD)
    from imrdesk.record import get_path

    store.set_value(row["id"], path, get_path(rec, path))
    assert store.document_info(row["id"])["low_confidence"] == row["low_confidence"] - 1


@pytest.mark.parametrize(
    "path, value",
    [
        ("nonexistent", 1),
        ("items[99].decision", "Upheld"),
        ("items[0].nothing", "x"),
        ("sha256", "abc"),
        ("file", "x.pdf"),
        ("patient", {"age": 3}),
        ("items[0].decision", "Maybe"),
        ("patient.age", "forty"),
        ("patient.age", 400),
        ("patient.sex", "unknown"),
        ("decision_date", "12/09/2016"),
        ("decision_date", "2016-02-30"),
        ("reviewer.specialties", [1, 2]),
        ("items[0].maximus_sources", ["MTUS", "Wikipedia"]),
        ("summary", ["a", "list"]),
        ("items[", "x"),
    ],
)
def test_set_value_refuses_bad_paths_and_values(corpus_store, path, value):
    doc_id = corpus_store.list_documents(limit=1)[0]["id"]
    with pytest.raises(ValueError) as exc:
        corpus_store.set_value(doc_id, path, value)
    assert str(exc.value)
    assert corpus_store.history(doc_id) == [] and corpus_store.corrections(doc_id) == []


def test_set_status_is_audited(corpus_store):
    doc_id = corpus_store.list_documents(limit=1)[0]["id"]
    corpus_store.set_status(doc_id, "in_review", user="alice")
    corpus_store.set_status(doc_id, "reviewed")
    assert corpus_store.record(doc_id)["review_status"] == "reviewed"
    assert [(h["old"], h["new"]) for h in corpus_store.history(doc_id, "review_status")] == [
        ("new", "in_review"),
        ("in_review", "reviewed"),
    ]
    assert [r["id"] for r in corpus_store.list_documents(status="reviewed")] == [doc_id]
    with pytest.raises(ValueError):
        corpus_store.set_status(doc_id, "done")
    with pytest.raises(KeyError):
        corpus_store.set_status(99_999, "reviewed")


def test_correction_survives_reextraction(corpus_store):
    store = corpus_store
    doc_id = _with_items(store)
    original = store.record(doc_id)
    store.set_value(doc_id, "items[0].decision", "Overturned", user="alice")
    store.set_value(doc_id, "patient.sex", "female" if original["patient"]["sex"] == "male" else "male")

    # 1. the same parser again, in process
    res = reextract_in_process(store, doc_id)
    assert res["status"] == "imported" and res["doc_id"] == doc_id
    rec = store.record(doc_id)
    assert rec["items"][0]["decision"] == "Overturned"
    assert rec["patient"]["sex"] != original["patient"]["sex"]

    # 2. a "newer parser" that reads the letter differently: uncorrected values follow it, corrections stay
    upgraded = _strip(copy.deepcopy(original))
    upgraded["items"][0]["decision"] = "Upheld"
    upgraded["items"][0]["treatment"] = "Treatment as the new parser reads it"
    upgraded["patient"]["age"] = 99
    upgraded["summary"] = "A new summary with the word zanthoxylum."
    res = store.add_record(upgraded, store.document_bytes(doc_id), replace=True)
    assert res["status"] == "imported"
    rec = store.record(doc_id)
    assert rec["items"][0]["decision"] == "Overturned"  # the correction, not the new extraction
    assert rec["patient"]["sex"] != original["patient"]["sex"]
    assert rec["items"][0]["treatment"] == "Treatment as the new parser reads it"
    assert rec["patient"]["age"] == 99
    assert store.record(doc_id, corrections=False)["items"][0]["decision"] == "Upheld"
    assert [h["doc_id"] for h in store.search("zanthoxylum")] == [doc_id]
    assert store.document_info(doc_id)["overturned"] >= 1
    assert store.count_documents() == 65

    # 3. isolated re-extraction (worker processes) restores the parser's values
    others = [r["id"] for r in store.list_documents(limit=4) if r["id"] != doc_id][:3]
    summary = reextract_documents(store.path, [doc_id, *others], workers=2)
    assert summary["imported"] == 4 and not summary["failed"] and summary["duplicates"] == 0
    rec = store.record(doc_id)
    assert rec["items"][0]["decision"] == "Overturned"
    assert rec["items"][0]["treatment"] == original["items"][0]["treatment"]
    assert rec["patient"]["age"] == original["patient"]["age"]
    assert store.search("zanthoxylum") == []
    assert len(store.history(doc_id, "items[0].decision")) == 1


def test_concurrent_writer_while_importing(tmp_path, corpus_pdfs):
    """The window's Store writes corrections while an import (another Store) writes letters."""
    db = tmp_path / "c.db"
    import_paths(db, corpus_pdfs[:1], workers=1)
    errors = []
    with Store(db) as ui:
        doc_id = ui.list_documents()[0]["id"]
        done = threading.Event()

        def correct():
            n = 0
            while not done.is_set():
                try:
                    ui.set_value(doc_id, "priority", f"P{n}")
                except Exception as exc:  # pragma: no cover - this is what must not happen
                    errors.append(exc)
                n += 1
                time.sleep(0.002)  # a busy reviewer, but not a tight loop that could starve the importer
            errors.append(n)

        t = threading.Thread(target=correct)
        t.start()
        try:
            summary = import_paths(db, corpus_pdfs[1:7], workers=2)
        finally:
            done.set()
            t.join()
        assert summary["imported"] == 6 and not summary["failed"]
        assert len(errors) == 1 and isinstance(errors[0], int) and errors[0] > 0
        assert ui.count_documents() == 7
        assert ui.record(doc_id)["priority"] == f"P{errors[0] - 1}"


# ----------------------------------------------------------------------------- search
def _phrase(text: str, words: int = 5) -> str:
    toks = re.findall(r"[A-Za-z0-9]+", text)  # the tokens the search engine sees, in order
    mid = max(0, len(toks) // 2 - words // 2)
    return " ".join(toks[mid : mid + words])


def test_search_finds_phrases_from_letters(corpus_store):
    rows = corpus_store.list_documents()
    for row in rows[::9]:
        rec = corpus_store.record(row["id"])
        for source in (rec["summary"], rec["items"][0]["rationale"], rec["items"][-1]["maximus_guideline"]):
            phrase = _phrase(source, 4)
            hits = corpus_store.search(f'"{phrase}"', limit=100)
            assert row["id"] in [h["doc_id"] for h in hits], phrase
            hit = next(h for h in hits if h["doc_id"] == row["id"])
            assert "[" in hit["snippet"] and hit["case_number"] == rec["case_number"]
        hits = corpus_store.search(rec["case_number"])  # punctuation in a bare word is fine
        assert hits[0]["doc_id"] == row["id"]
        assert corpus_store.search(rec["items"][0]["treatment"].split()[0])  # a single word


def test_search_filters_the_document_list(corpus_store):
    every = corpus_store.list_documents(query="MRI")
    hits = corpus_store.search("MRI", limit=1000)
    assert {r["id"] for r in every} == {h["doc_id"] for h in hits}
    assert 0 < len(every) < corpus_store.count_documents()
    assert corpus_store.search("xylophonequartz") == []
    # stemming: a plural finds the singular
    assert corpus_store.search("injections")
    # corrected text is searchable, the replaced text no longer (when it was unique)
    doc_id = every[0]["id"]
    corpus_store.set_value(doc_id, "items[0].treatment", "Zorbulator therapy twice weekly")
    assert [h["doc_id"] for h in corpus_store.search("zorbulator")] == [doc_id]
    assert [r["id"] for r in corpus_store.list_documents(query='"zorbulator therapy"')] == [doc_id]


@pytest.mark.parametrize(
    "query", ['"unclosed phrase', "(lumbar", "lumbar AND", "lumbar OR OR knee", "knee)", "   ", "NOT"]
)
def test_bad_search_syntax_is_a_message(corpus_store, query):
    with pytest.raises(SearchError) as exc:
        corpus_store.search(query)
    message = str(exc.value)
    assert message and "Traceback" not in message and "sqlite3" not in message
    with pytest.raises(SearchError):
        corpus_store.list_documents(query=query) if query.strip() else corpus_store.search(query)


# ----------------------------------------------------------------------------- stats
def test_stats(corpus_store):
    s = corpus_store.stats()
    rows = corpus_store.list_documents()
    assert s["letters"] == len(rows) == 65 and s["failed"] == 0
    assert s["items"] == sum(r["items"] for r in rows)
    assert s["upheld"] == sum(r["upheld"] for r in rows)
    assert s["overturned"] == sum(r["overturned"] for r in rows)
    assert s["upheld"] + s["overturned"] == s["items"]
    assert s["upheld_rate"] == pytest.approx(s["upheld"] / s["items"], abs=1e-4)
    assert s["by_format"]["imr-2016"]["letters"] == 65
    assert s["by_status"]["new"] == 65
    doc_id = rows[0]["id"]
    corpus_store.set_status(doc_id, "reviewed")
    up = corpus_store.record(doc_id)["items"][0]["decision"] == "Upheld"
    corpus_store.set_value(doc_id, "items[0].decision", "Overturned" if up else "Upheld")
    s2 = corpus_store.stats()
    assert s2["by_status"]["reviewed"] == 1 and s2["by_status"]["new"] == 64
    assert s2["upheld"] == s["upheld"] - (1 if up else -1)
    assert s2["corrected_values"] == 1


# ----------------------------------------------------------------------------- exports
def _read_csv(path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_corrections_show_in_every_export(corpus_store, tmp_path):
    store = corpus_store
    doc_id = _with_items(store)
    rec = store.record(doc_id)
    store.set_value(doc_id, "items[0].decision", "Overturned")
    store.set_value(doc_id, "patient.age", 77)
    store.set_value(doc_id, "items[1].treatment", "Corrected treatment name")
    store.set_status(doc_id, "reviewed")
    reextract_in_process(store, doc_id)  # and after a re-extraction too
    n_items = store.stats()["items"]

    assert export(store, tmp_path / "d.json", "json") == 65
    data = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    mine = next(r for r in data if r["id"] == doc_id)
    assert mine["items"][0]["decision"] == "Overturned" and mine["patient"]["age"] == 77
    assert mine["items"][1]["treatment"] == "Corrected treatment name"
    assert mine["review_status"] == "reviewed"
    assert mine["provenance"]["patient.age"]["corrected"] is True
    assert set(_strip(mine)) == set(extract(store.document_bytes(doc_id), name=rec["file"]))

    assert export(store, tmp_path / "d.csv", "csv") == n_items
    rows = _read_csv(tmp_path / "d.csv")
    assert len(rows) == n_items
    mine = [r for r in rows if r["doc_id"] == str(doc_id)]
    assert len(mine) == len(rec["items"])
    assert mine[0]["decision"] == "Overturned" and mine[0]["patient_age"] == "77"
    assert mine[1]["treatment"] == "Corrected treatment name" and mine[1]["patient_age"] == "77"
    assert mine[0]["review_status"] == "reviewed" and mine[0]["case_number"] == rec["case_number"]
    assert "items[0].decision" in mine[0]["corrected_fields"] and "patient.age" in mine[1]["corrected_fields"]

    assert export(store, tmp_path / "d.xlsx", "xlsx") == n_items
    wb = load_workbook(tmp_path / "d.xlsx", read_only=True)
    assert wb.sheetnames == ["items", "failed", "documents"]
    sheet = list(wb["items"].iter_rows(values_only=True))
    header, body = sheet[0], sheet[1:]
    assert len(body) == n_items
    mine = [dict(zip(header, r, strict=True)) for r in body if r[0] == doc_id]
    assert mine[0]["decision"] == "Overturned" and mine[0]["patient_age"] == 77
    assert mine[1]["treatment"] == "Corrected treatment name"
    docs = list(wb["documents"].iter_rows(values_only=True))
    assert len(docs) == 66
    drow = dict(zip(docs[0], next(r for r in docs[1:] if r[0] == doc_id), strict=True))
    assert drow["status"] == "reviewed" and drow["overturned"] >= 1
    wb.close()

    with pytest.raises(ValueError):
        export(store, tmp_path / "d.txt", "txt")


def test_spreadsheet_formulas_are_neutralised(corpus_store, tmp_path):
    store = corpus_store
    doc_id = _with_items(store)
    evil = {
        "items[0].treatment": '=HYPERLINK("http://example.invalid","click")',
        "items[1].rationale": "+SUM(1,2)",
        "injury.mechanism": "@cmd|' /C calc'!A0",
        "priority": "-2+3",
    }
    for path, value in evil.items():
        store.set_value(doc_id, path, value)
    export(store, tmp_path / "e.csv", "csv")
    rows = [r for r in _read_csv(tmp_path / "e.csv") if r["doc_id"] == str(doc_id)]
    assert rows[0]["treatment"] == "'" + evil["items[0].treatment"]
    assert rows[1]["rationale"] == "'" + evil["items[1].rationale"]
    assert rows[0]["injury_mechanism"] == "'" + evil["injury.mechanism"]
    assert rows[0]["priority"] == "'-2+3"
    for r in _read_csv(tmp_path / "e.csv"):
        assert not any(v.startswith(("=", "+", "-", "@")) for v in r.values())

    export(store, tmp_path / "e.xlsx", "xlsx")
    wb = load_workbook(tmp_path / "e.xlsx")
    quoted = 0
    for row in wb["items"].iter_rows():
        for cell in row:
            assert cell.data_type != "f"  # never a formula
            if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                assert cell.quotePrefix  # Excel's own, invisible guard: editing the cell runs nothing
                quoted += 1
    assert quoted >= len(evil)
    header = [c.value for c in wb["items"][1]]
    mine = [r for r in wb["items"].iter_rows(min_row=2, values_only=True) if r[0] == doc_id]
    assert mine[0][header.index("treatment")] == evil["items[0].treatment"]  # as written, no apostrophe

    export(store, tmp_path / "e.json", "json")  # JSON keeps the exact text
    data = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
    assert next(r for r in data if r["id"] == doc_id)["items"][0]["treatment"] == evil["items[0].treatment"]


def test_delete_document(corpus_store):
    doc_id = corpus_store.list_documents(limit=1)[0]["id"]
    case = corpus_store.record(doc_id)["case_number"]
    corpus_store.set_value(doc_id, "priority", "Expedited")
    corpus_store.delete_document(doc_id)
    assert corpus_store.count_documents() == 64
    assert corpus_store.search(case) == []
    for table in ("files", "fields", "items", "citations", "provenance", "corrections", "audit", "doc_text"):
        n = corpus_store.conn.execute(f"SELECT count(*) FROM {table} WHERE doc_id = ?", (doc_id,)).fetchone()[
            0
        ]
        assert n == 0, table


def test_excel_an_analyst_can_use_at_once(corpus_store, tmp_path):
    """Real date cells, a frozen header row with a filter, widths, and failed letters on their own sheet."""
    import datetime as dt

    from imrdesk.extract import error_record

    store = corpus_store
    store.add_record(
        error_record("scan.pdf", None, "no_text_layer", "This PDF has no text layer."), b"%PDF-1.4"
    )
    doc_id = _with_items(store)
    store.set_value(doc_id, "injury.mechanism", "- fell from a ladder")  # ordinary text starting with a dash
    export(store, tmp_path / "a.xlsx", "xlsx")
    wb = load_workbook(tmp_path / "a.xlsx")
    items, failed = wb["items"], wb["failed"]
    assert items.freeze_panes == "A2" and items.auto_filter.ref.startswith("A1:")
    header = [c.value for c in items[1]]
    row = next(r for r in items.iter_rows(min_row=2) if r[0].value == doc_id)
    date = row[header.index("decision_date")]
    assert isinstance(date.value, dt.datetime) and date.number_format == "yyyy-mm-dd"
    assert date.value.date().isoformat() == store.record(doc_id)["decision_date"]
    assert row[header.index("injury_mechanism")].value == "- fell from a ladder"  # no apostrophe shown
    assert items.column_dimensions["A"].width >= 10
    assert [c.value for c in failed[1]][:4] == ["doc_id", "file", "error_code", "error_message"]
    failed_rows = list(failed.iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2]) for r in failed_rows] == [("scan.pdf", "no_text_layer")]
    assert all(r[header.index("file")] != "scan.pdf" for r in items.iter_rows(min_row=2, values_only=True))
