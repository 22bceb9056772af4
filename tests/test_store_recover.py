"""Recovering a damaged database into a new file: real letters and corrections, a real page overwritten in the
middle of the file, every row on the good pages back, the derived data rebuilt, the losses counted, and the
damaged file untouched."""

from __future__ import annotations

import copy
import functools
import hashlib
import sqlite3
from pathlib import Path

import pytest

from imrdesk.cli import main
from imrdesk.extract import extract
from imrdesk.services.importing import reextract_in_process
from imrdesk.services.review import ReviewService
from imrdesk.store import Store, StoreError
from imrdesk.store.recover import RecoveryCancelled, default_destination, recover

LETTERS = sorted((Path(__file__).parent / "fixtures" / "pdf").glob("*.pdf"))
COPIES = 40  # letters stored: the documents table spans several pages


@functools.cache
def _extracted(path: Path) -> dict:
    return extract(path)


@functools.cache
def _database(folder: Path) -> bytes:
    """The bytes of a database of COPIES letters (the fixtures, each stored as several distinct files: a
    comment appended changes the bytes, not the letter), every one corrected by a reviewer."""
    path = folder / "built.db"
    with Store(path) as store:
        for i in range(COPIES):
            source = LETTERS[i % len(LETTERS)]
            data = source.read_bytes() + f"\n%copy {i}\n".encode()
            record = copy.deepcopy(_extracted(source))
            record["sha256"] = hashlib.sha256(data).hexdigest()
            store.add_record(record, data, source_path=str(source))
        service = ReviewService(store, user="ann")
        for doc_id in store.document_ids():
            service.correct(doc_id, "patient.age", 20 + doc_id)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")  # one file to damage, no log beside it
    return path.read_bytes()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> bytes:
    return _database(tmp_path_factory.mktemp("recover"))


def _leaves(path: Path, table: str) -> list[int]:
    """The table's leaf pages in key order (SQLite's dbstat walks the b-tree)."""
    with sqlite3.connect(path) as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY path", (table,)
            )
        ]


def _damage(path: Path, page: int) -> None:
    """Overwrite one page with bytes that are no page at all."""
    with sqlite3.connect(path) as conn:
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    assert page > 1
    with open(path, "r+b") as fh:
        fh.seek((page - 1) * size)
        fh.write(b"\xa5" * size)


def _damaged(tmp_path: Path, built: bytes, table: str) -> tuple[Path, int]:
    path = tmp_path / "imrdesk.db"
    path.write_bytes(built)
    leaves = _leaves(path, table)
    assert len(leaves) >= 3
    page = leaves[len(leaves) // 2]  # a page in the middle of the table, neither its first nor its last
    _damage(path, page)
    with Store(path, read_only=True) as store:
        assert store.verify(), "quick_check finds the damage"
    return path, page


def test_a_damaged_page_of_letters_costs_only_the_rows_on_it(tmp_path, built, capsys):
    path, _page = _damaged(tmp_path, built, "documents")
    before = path.read_bytes()
    new = tmp_path / "new.db"
    assert main(["recover", str(path), "-o", str(new), "-q"]) == 1  # something was lost
    out = capsys.readouterr().out
    assert path.read_bytes() == before and "was not changed" in out
    with Store(new) as store:
        assert store.verify() == []
        rows = {r["id"]: r for r in store.list_documents()}
        assert sorted(rows) == list(range(1, COPIES + 1))  # every letter
        rebuilt = [i for i, r in rows.items() if r["file_name"].startswith("recovered-letter-")]
        # the letters whose rows were on the bad page: a run of them, rebuilt around their original file
        assert 0 < len(rebuilt) <= 8 and rebuilt == list(range(rebuilt[0], rebuilt[-1] + 1))
        assert f"documents: {COPIES - len(rebuilt)} rows recovered, {len(rebuilt)} lost" in out
        assert f"{len(rebuilt)} letters whose own row was lost were rebuilt" in out
        for doc_id in rows:  # every letter with its values, its reviewer's corrections and its file
            record = store.record(doc_id)
            assert record["patient"]["age"] == 20 + doc_id
            assert store.history(doc_id, "patient.age")[-1]["user"] == "ann"
            assert store.document_bytes(doc_id).startswith(b"%PDF")
        # derived data rebuilt from the rows recovered: search, list columns
        case = store.record(rebuilt[0])["case_number"]
        assert rows[rebuilt[0]]["case_number"] == case and rows[rebuilt[0]]["status"] == "flagged"
        assert rebuilt[0] in [hit["doc_id"] for hit in store.search(case, limit=COPIES)]
        assert "own row was lost" in store.notes(rebuilt[0])[-1]["text"]
        reextract_in_process(store, rebuilt[0])  # read again from its file: everything back, corrections kept
        record = store.record(rebuilt[0])
        source = _extracted(LETTERS[(rebuilt[0] - 1) % len(LETTERS)])
        assert record["pages"] == source["pages"] and record["patient"]["age"] == 20 + rebuilt[0]


def test_a_damaged_page_of_values_keeps_every_letter_and_says_which_to_extract_again(tmp_path, built):
    path, _page = _damaged(tmp_path, built, "fields")
    report = recover(path)
    assert report.dest == tmp_path / "imrdesk-recovered.db"
    assert default_destination(path) == tmp_path / "imrdesk-recovered-2.db"  # never over the first one
    fields = report.table("fields")
    assert fields.damaged and fields.lost and fields.recovered
    assert report.letters == COPIES and report.table("corrections").recovered == COPIES
    assert report.incomplete and not report.without_file
    assert report.table("notes").recovered and not report.table("notes").lost
    with Store(report.dest) as store:
        doc_id = report.incomplete[0]
        assert "extracted values were lost" in store.notes(doc_id)[-1]["text"]
        assert store.corrections(doc_id)[0]["value"] == 20 + doc_id
        reextract_in_process(store, doc_id)  # its original file was recovered: read again, values back
        record = store.record(doc_id)
        assert record["patient"]["age"] == 20 + doc_id  # the correction in force again
        assert record["case_number"] == _extracted(LETTERS[(doc_id - 1) % len(LETTERS)])["case_number"]


def test_what_cannot_be_recovered_is_said_and_nothing_is_overwritten(tmp_path, built, capsys):
    path = tmp_path / "imrdesk.db"
    path.write_bytes(built)
    other = tmp_path / "other.db"
    other.write_bytes(b"keep me")
    with pytest.raises(StoreError, match="exists already"):
        recover(path, other)
    with pytest.raises(StoreError, match="exists already"):
        recover(path, path, replace=True)
    assert other.read_bytes() == b"keep me"
    with pytest.raises(RecoveryCancelled):
        recover(path, tmp_path / "stopped.db", cancelled=lambda: True)
    assert not (tmp_path / "stopped.db").exists()
    sound = recover(path)  # a sound file: everything, and the report says so
    assert sound.complete and "Nothing was lost." in sound.lines()
    broken = tmp_path / "broken.db"
    data = bytearray(built)
    data[100:4096] = b"\xa5" * (4096 - 100)  # the list of tables (page 1) unreadable
    broken.write_bytes(bytes(data))
    assert main(["recover", str(broken), "-q"]) == 2
    assert "Nothing can be recovered" in capsys.readouterr().err
    assert not list(tmp_path.glob(".*part*")) and not (tmp_path / "broken-recovered.db").exists()
