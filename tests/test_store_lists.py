"""The list at any size, from SQL: filters, sort orders, counts and pages of rows agree with the letters'
own records; bulk review operations; letters taken out of the dataset and put back."""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import pytest
from old_files import drop_summary

from imrdesk.extract import error_record, extract
from imrdesk.services.export import export
from imrdesk.services.review import ReviewService
from imrdesk.store import SORT_KEYS, ListQuery, SearchError, Store
from imrdesk.store.search import fts_query

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"
LETTERS = sorted(FIXTURES.glob("*.pdf"))


@functools.cache
def _extracted(path: Path) -> dict:
    return extract(path)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "lists.db")
    for path in LETTERS:
        s.add_record(copy.deepcopy(_extracted(path)), path.read_bytes())
    s.add_record(
        error_record("scan.pdf", None, "no_text_layer", "This PDF has no text layer."), b"%PDF-1.4 scan"
    )
    yield s
    s.close()


def _records(store: Store) -> dict[int, dict]:
    return {r["id"]: r for r in store.records()}


def test_filters_and_counts_agree_with_the_records(store):
    service = ReviewService(store)
    ids = store.document_ids()
    service.set_status(ids[0], "reviewed")
    service.set_status(ids[1], "flagged")
    service.correct(ids[2], "patient.age", 40)  # in review
    recs = _records(store)
    lists = store.lists

    def expect(pred) -> list[int]:
        return [i for i in ids if pred(recs[i])]

    readable = lambda r: not r.get("error")  # noqa: E731
    assert lists.ids(ListQuery()) == ids
    assert lists.ids(ListQuery(status="failed")) == expect(lambda r: bool(r.get("error")))
    assert lists.ids(ListQuery(status="reviewed")) == [ids[0]]
    assert lists.ids(ListQuery(status="to_review")) == expect(
        lambda r: readable(r) and r["review_status"] in ("new", "in_review")
    )
    assert lists.ids(ListQuery(status="findings")) == expect(lambda r: readable(r) and bool(r["findings"]))
    upheld = expect(lambda r: any(i["decision"] == "Upheld" for i in r["items"]))
    assert lists.ids(ListQuery(decision="upheld")) == upheld
    dated = sorted(r["decision_date"] for r in recs.values() if r.get("decision_date"))
    middle = dated[len(dated) // 2]
    assert lists.ids(ListQuery(date_from=middle)) == expect(
        lambda r: (r.get("decision_date") or "") >= middle
    )
    specialty = next(
        r["reviewer"]["specialties"][0] for r in recs.values() if r.get("reviewer", {}).get("specialties")
    )
    word = specialty.split()[0].lower()
    assert lists.ids(ListQuery(specialty=word)) == expect(
        lambda r: any(word in s.lower() for s in (r.get("reviewer") or {}).get("specialties") or [])
    )
    counts = lists.counts(ListQuery())
    for key in ("all", "to_review", "reviewed", "flagged", "findings", "failed"):
        assert counts["by_status"][key] == len(lists.ids(ListQuery(status=key))), key
    assert counts["to_check"] == sum(store.document_info(i)["low_confidence"] for i in expect(readable))
    with pytest.raises(SearchError):
        lists.ids(ListQuery(search='"unclosed'))
    found = lists.ids(ListQuery(search="lumbar"))
    assert found and set(found) == {h["doc_id"] for h in store.search("lumbar", limit=100)}


@pytest.mark.parametrize("key", sorted(SORT_KEYS))
def test_every_sort_order(store, key):
    lists = store.lists
    ids = lists.ids(ListQuery(sort=key))
    rows = lists.rows(ids)
    assert sorted(ids) == sorted(store.document_ids()) and set(rows) == set(ids)
    value = {
        "id": lambda r: r["id"],
        "case": lambda r: (r["case_number"] or r["file_name"]).lower(),
        "decided": lambda r: r["decision_date"] or "",
        "items": lambda r: r["items"],
        "upheld": lambda r: r["upheld"],
        "overturned": lambda r: r["overturned"],
        "to_check": lambda r: r["low_confidence"],
        "findings": lambda r: r["findings"],
        "status": lambda r: "failed" if r["error"] else r["status"],
        "specialty": lambda r: (r["specialty"] or "").lower(),
        "imported": lambda r: r["imported_at"],
        "source": lambda r: r["ocr"],
    }[key]
    shown = [value(rows[i]) for i in ids]
    assert shown == sorted(shown)
    down = lists.ids(ListQuery(sort=key, descending=True))
    assert [value(rows[i]) for i in down] == sorted(shown, reverse=True)


def test_next_letter_to_review_in_list_order(store):
    service = ReviewService(store)
    ids = store.lists.ids(ListQuery(sort="case"))
    readable = [i for i in ids if not store.document_info(i)["error"]]
    service.set_status(readable[1], "reviewed")
    assert store.lists.next_waiting(ids, ids.index(readable[0]) + 1, skip=readable[0]) == readable[2]
    for doc in readable:
        service.set_status(doc, "reviewed")
    assert store.lists.next_waiting(ids, 0) is None


def test_bulk_status_and_flag_reason_skip_failed_letters(store):
    service = ReviewService(store, user="qa")
    ids = store.document_ids()
    failed = store.lists.ids(ListQuery(status="failed"))
    result = service.set_status_many(ids, "flagged", reason="second reader")
    assert set(result.skipped) == set(failed) and set(result.done) == set(ids) - set(failed)
    assert all(store.review_status(i) == "flagged" for i in result.done)
    assert store.review_status(failed[0]) == "failed"
    assert store.notes(result.done[0])[-1]["text"] == "Flagged: second reader"
    with pytest.raises(ValueError, match="could not be read"):
        service.set_status(failed[0], "reviewed")


def test_removed_letters_leave_the_dataset_and_come_back(store, tmp_path):
    service = ReviewService(store, user="qa")
    ids = store.document_ids()
    gone = ids[:2]
    assert service.remove(gone).done == tuple(gone)
    assert service.remove(gone).done == ()  # already out: nothing to do
    assert store.document_ids() == ids[2:]
    assert store.lists.ids(ListQuery()) == ids[2:] and store.lists.ids(ListQuery(removed=True)) == gone
    assert export(store, tmp_path / "out.json", "json") == len(ids) - 2
    assert store.stats()["letters"] == len(ids) - 2
    views = {r[0] for r in store.conn.execute("SELECT doc_id FROM dataset_letters")}
    assert views == set(ids[2:])
    assert [r["path"] for r in store.history(gone[0])][-1] == "removed"
    assert service.restore_removed(gone).done == tuple(gone)
    assert store.document_ids() == ids and store.record(gone[0])["id"] == gone[0]


def test_next_letter_with_something_to_check_agrees_with_the_review_queue(store):
    from imrdesk.record import check_queue

    ids = store.lists.ids(ListQuery())
    readable = [i for i in ids if not store.document_info(i)["error"]]
    with_checks = [i for i in readable if check_queue(store.record(i))]
    for n, doc in enumerate(ids):
        expect = next((i for i in ids[n + 1 :] + ids[: n + 1] if i in with_checks and i != doc), None)
        assert store.lists.next_waiting(ids, n + 1, skip=doc, with_checks=True) == expect


def test_treatment_category_filter_follows_the_effective_items(store):
    from imrdesk.extract.categories import CATEGORIES, classify_item

    ids = store.lists.ids(ListQuery())
    recs = _records(store)
    seen = set()
    for category in CATEGORIES:
        expect = [i for i in ids if any(classify_item(it) == category for it in recs[i].get("items") or [])]
        assert store.lists.ids(ListQuery(category=category)) == expect, category
        seen |= set(expect)
    assert seen == {i for i in ids if recs[i].get("items")}
    # a reviewer's correction of a treatment moves the letter into its new category, and undo moves it back
    doc = next(
        i
        for i in ids
        if "imaging" not in {classify_item(it) for it in recs[i].get("items") or []} and recs[i].get("items")
    )
    service = ReviewService(store)
    key = (
        "disputed_portion" if recs[doc]["items"][0].get("disputed_portion") else "treatment"
    )  # what it asks for
    change = service.correct(doc, f"items[0].{key}", "MRI of the lumbar spine without contrast")
    assert doc in store.lists.ids(ListQuery(category="imaging"))
    service.apply(change.inverse)
    assert doc not in store.lists.ids(ListQuery(category="imaging"))


def _scan_record(path: Path) -> dict:
    """A letter as the OCR path leaves it: its ``ocr`` key says which pages were read, how and how well."""
    rec = copy.deepcopy(_extracted(path))
    rec["ocr"] = {"engine": "rapidocr (test)", "pages": [1, 2], "dpi": 200, "mean_confidence": 0.97}
    return rec


def test_a_letter_read_by_ocr_keeps_how_and_is_listed_as_a_scan(tmp_path):
    with Store(tmp_path / "ocr.db") as s:
        text_id = s.add_record(copy.deepcopy(_extracted(LETTERS[0])), LETTERS[0].read_bytes())["doc_id"]
        scan = dict(_scan_record(LETTERS[1]), sha256=None)  # other bytes than the text letter's
        scan_id = s.add_record(scan, LETTERS[1].read_bytes() + b"%scan")["doc_id"]
        rec = s.record(scan_id)
        assert rec["ocr"] == _scan_record(LETTERS[1])["ocr"]
        assert "ocr" not in s.record(text_id)
        # how it was read is not a value a reviewer corrects or checks
        paths = [r[0] for r in s.conn.execute("SELECT path FROM fields WHERE doc_id = ?", (scan_id,))]
        assert paths and not [p for p in paths if p.startswith("ocr")]
        from imrdesk.record import check_queue

        assert not [p for p in check_queue(rec) if p.startswith("ocr")]
        assert s.lists.ids(ListQuery(source="ocr")) == [scan_id]
        assert s.lists.ids(ListQuery(source="text")) == [text_id]
        assert s.lists.rows([scan_id, text_id])[scan_id]["ocr"] is True
        assert s.lists.rows([scan_id, text_id])[text_id]["ocr"] is False
        assert s.lists.ids(ListQuery(sort="source")) == [text_id, scan_id]


def test_a_schema_3_file_moves_its_ocr_values_out_of_the_correctable_ones(tmp_path):
    import sqlite3

    from imrdesk.store import SCHEMA_VERSION

    path = tmp_path / "v3.db"
    with Store(path) as s:
        doc = s.add_record(_scan_record(LETTERS[1]), LETTERS[1].read_bytes())["doc_id"]
        expected = s.record(doc)
    conn = sqlite3.connect(path)  # what schema 3 left: the ocr key as values ocr.engine, ocr.pages, …
    ocr = expected["ocr"]
    conn.executemany(
        "INSERT INTO fields (doc_id, path, ord, value) VALUES (?, ?, ?, ?)",
        [(doc, f"ocr.{k}", 90 + n, __import__("json").dumps(v)) for n, (k, v) in enumerate(ocr.items())],
    )
    drop_summary(conn)
    conn.execute("ALTER TABLE documents DROP COLUMN ocr")
    conn.execute("ALTER TABLE documents DROP COLUMN categories")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    with Store(path) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
        assert s.record(doc)["ocr"] == ocr
        assert not s.conn.execute("SELECT count(*) FROM fields WHERE path LIKE 'ocr.%'").fetchone()[0]
        assert s.lists.ids(ListQuery(source="ocr")) == [doc]
        categories = s.conn.execute("SELECT categories FROM documents").fetchone()[0]
        assert categories and __import__("json").loads(categories)  # derived again by the upgrade
        assert s.record(doc) == expected


@pytest.mark.parametrize("descending", [False, True])
def test_a_search_in_import_order_lists_exactly_the_matching_letters(store, descending):
    """In import order the full-text index leads the query (its matches come in that order): the same
    letters as the search's matches among those the filters list, in the same order."""
    ids = store.document_ids()
    store.lists.remove(ids[:1])
    ReviewService(store).set_status_many(ids[1:2], "reviewed")
    for search in ("pain", '"medically necessary"', "lumb*", "guidelines OR treatment"):
        match = {
            r[0]
            for r in store.conn.execute(
                "SELECT rowid FROM doc_text_fts WHERE doc_text_fts MATCH ?", (fts_query(search),)
            )
        }
        for status in (None, "to_review"):
            listed = set(store.lists.ids(ListQuery(status=status)))
            expect = sorted(match & listed, reverse=descending)
            assert expect, (search, status)
            q = ListQuery(search=search, status=status, descending=descending)
            assert store.lists.ids(q) == expect, (search, status)
            assert store.lists.ids(q, limit=3) == expect[:3]
