"""A reviewer's value read off the page (``Picked``) is saved with where it was read: the page and the
words' boxes stand as its provenance, through undo and redo and in an upgraded older file. Real letters,
real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from imrdesk.extract import extract
from imrdesk.services.review import Picked, ReviewService
from imrdesk.store import Store
from imrdesk.store.schema import SCHEMA_VERSION

LETTER = Path(__file__).resolve().parent / "fixtures" / "pdf" / "CM16-0230548.pdf"
BOX = (72.5, 140.25, 131.0, 151.75)


@pytest.fixture
def letter(tmp_path):
    store = Store(tmp_path / "picked.db")
    doc = store.add_record(extract(LETTER), LETTER.read_bytes())["doc_id"]
    yield store, doc
    store.close()


def source_of(store: Store, doc: int, path: str):
    row = store.conn.execute("SELECT source FROM corrections WHERE doc_id = ? AND path = ?", (doc, path))
    return row.fetchone()[0]


def test_a_value_read_off_the_page_is_saved_with_its_words_and_undone_with_them(letter):
    store, doc = letter
    review = ReviewService(store, user="tester")
    extracted = store.record(doc)["provenance"]["decision_date"]

    change = review.correct(doc, "decision_date", Picked("2016-12-06", 2, (BOX,)))
    prov = change.record["provenance"]["decision_date"]
    assert change.record["decision_date"] == "2016-12-06"
    assert (prov["page"], prov["boxes"], prov["confidence"], prov["corrected"]) == (2, [list(BOX)], 1.0, True)
    assert "spans" not in prov and store.record(doc)["provenance"]["decision_date"] == prov

    # typed over: a value without a page has the extractor's place back (still the reviewer's value)
    review.correct(doc, "decision_date", "2016-12-07")
    assert source_of(store, doc, "decision_date") is None
    typed = store.record(doc)["provenance"]["decision_date"]
    assert typed["boxes"] == extracted["boxes"] and typed["corrected"]

    history = review.history(doc)
    history.undo()  # back to the value read off the page, with its words
    assert store.record(doc)["provenance"]["decision_date"] == prov
    history.undo()  # back to the extracted value and place
    after = store.record(doc)
    assert after["decision_date"] == extracted_value(store, doc)
    assert after["provenance"]["decision_date"]["boxes"] == extracted["boxes"]
    history.redo()
    assert store.record(doc)["provenance"]["decision_date"] == prov
    review.clear(doc, "decision_date")
    assert store.conn.execute("SELECT count(*) FROM corrections").fetchone()[0] == 0


def extracted_value(store: Store, doc: int):
    return store.record(doc, corrections=False)["decision_date"]


@pytest.mark.parametrize(
    "picked",
    [
        Picked("2016-12-06", 0, (BOX,)),  # no page 0
        Picked("2016-12-06", 1, ()),  # no words
        Picked("2016-12-06", 1, ((1.0, 2.0, 3.0),)),  # not a box
        Picked("2016-12-06", 1, ((1.0, 2.0, "x", 4.0),)),
        Picked("not a date", 1, (BOX,)),  # the value itself is checked as any other
    ],
)
def test_a_value_read_off_the_page_is_refused_whole_when_its_words_or_value_are_wrong(letter, picked):
    store, doc = letter
    before = store.record(doc)
    with pytest.raises(ValueError):
        ReviewService(store).correct(doc, "decision_date", picked)
    assert store.record(doc) == before and store.conn.execute("SELECT count(*) FROM audit").fetchone()[0] == 0


def test_an_older_file_gets_the_column_and_keeps_its_corrections(tmp_path):
    path = tmp_path / "six.db"
    with Store(path) as store:
        doc = store.add_record(extract(LETTER), LETTER.read_bytes())["doc_id"]
        store.set_value(doc, "patient.age", 51)
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE corrections DROP COLUMN source")  # what a schema-6 file has
    conn.execute("PRAGMA user_version = 6")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.record(doc)["patient"]["age"] == 51
        assert source_of(store, doc, "patient.age") is None
        ReviewService(store).correct(doc, "decision_date", Picked("2016-12-06", 1, (BOX,)))
        assert store.record(doc)["provenance"]["decision_date"]["boxes"] == [list(BOX)]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
    conn.close()


def test_a_damaged_place_leaves_the_value_at_the_extractors_place(letter):
    """A place that cannot be read back (a damaged file, a hand edit) costs the highlight, not the letter."""
    store, doc = letter
    extracted = store.record(doc)["provenance"]["decision_date"]
    ReviewService(store).correct(doc, "decision_date", Picked("2016-12-06", 2, (BOX,)))
    for damaged in ("{not json", '{"page": 2}', '{"page": "2", "boxes": [[1, 2, 3, 4]]}', "[1, 2]"):
        with store.conn:
            store.conn.execute("UPDATE corrections SET source = ?", (damaged,))
        record = store.record(doc)
        assert record["decision_date"] == "2016-12-06"
        assert record["provenance"]["decision_date"]["boxes"] == extracted["boxes"], damaged
    ReviewService(store).correct(doc, "decision_date", "2016-12-07")  # and the value can still be edited
    assert store.record(doc)["decision_date"] == "2016-12-07"
