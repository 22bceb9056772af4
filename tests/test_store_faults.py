"""Database faults become messages and cost nothing stored: a read-only file, a full disk, a damaged page,
another program's file (even one with a "documents" table); a backup is consistent while the file is in use."""

from __future__ import annotations

import copy
import functools
import sqlite3
from pathlib import Path

import pytest

from imrdesk.cli import database as database_cli
from imrdesk.extract import extract
from imrdesk.services.review import ReviewService
from imrdesk.store import Store, StoreError

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"
LETTERS = sorted(FIXTURES.glob("*.pdf"))


@functools.cache
def _extracted(path: Path) -> dict:
    return extract(path)


def _add(store: Store, path: Path) -> int:
    return store.add_record(copy.deepcopy(_extracted(path)), path.read_bytes())["doc_id"]


def _filled(tmp_path, n: int = 3) -> Path:
    path = tmp_path / "imrdesk.db"
    with Store(path) as store:
        for letter in LETTERS[:n]:
            _add(store, letter)
        ReviewService(store, user="ann").correct(1, "patient.age", 41)
    return path


def _snapshot(path: Path) -> bytes:
    """The database's contents: the file after its write-ahead log was folded in (a read-only connection
    may still create an empty log and its index beside the file; that changes no stored byte)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return b"".join(line.encode() for line in conn.iterdump())


def test_a_read_only_database_reads_and_refuses_writes_with_a_message(tmp_path):
    path = _filled(tmp_path)
    before = _snapshot(path)
    with Store(path, read_only=True) as store:
        assert store.read_only and store.record(1)["patient"]["age"] == 41
        assert len(store.list_documents()) == 3
        with pytest.raises(StoreError, match="read-only"):
            ReviewService(store).correct(1, "patient.age", 42)
        with pytest.raises(StoreError, match="read-only"):
            _add(store, LETTERS[3])
    assert _snapshot(path) == before
    with pytest.raises(StoreError, match="no database"):
        Store(tmp_path / "missing.db", read_only=True)


def test_a_full_disk_keeps_what_was_saved_and_says_so(tmp_path):
    path = _filled(tmp_path, 1)
    with Store(path) as store:
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 1}")  # the disk has room for one more page
        with pytest.raises(StoreError, match="full") as err:
            _add(store, LETTERS[4])
        assert "safe" in str(err.value)
        assert [r["id"] for r in store.list_documents()] == [1]  # the failed letter left nothing behind
        assert store.record(1)["patient"]["age"] == 41
        store.conn.execute(f"PRAGMA max_page_count = {pages * 100}")  # space freed: it goes on
        assert _add(store, LETTERS[4]) == 2


def _damage(path: Path) -> None:
    """Overwrite the root page of the extracted values' table (the schema on page 1 stays readable)."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'provenance'").fetchone()[0]
    data = bytearray(path.read_bytes())
    start = (root - 1) * size
    data[start : start + size] = b"\xa5" * size
    path.write_bytes(bytes(data))


def test_a_damaged_database_is_never_written(tmp_path, capsys):
    path = _filled(tmp_path, 4)
    _damage(path)
    before = path.read_bytes()
    with Store(path) as store:
        problems = store.verify()
        assert problems and store.damaged
        with pytest.raises(StoreError, match="damaged"):
            _add(store, LETTERS[5])
        with pytest.raises(StoreError, match="damaged"):
            ReviewService(store).correct(1, "patient.age", 50)
    assert path.read_bytes() == before
    assert database_cli.cmd_check(_args(path)) == 1
    out = capsys.readouterr().out
    assert "damaged" in out


def test_another_programs_file_is_refused_untouched(tmp_path):
    other = tmp_path / "crm.db"
    with sqlite3.connect(other) as conn:  # another program's file with a table of the same name
        conn.execute("CREATE TABLE documents (id INTEGER PRIMARY KEY, title TEXT, body TEXT)")
        conn.execute("INSERT INTO documents (title, body) VALUES ('minutes', 'of the meeting')")
    before = other.read_bytes()
    with pytest.raises(StoreError, match="some other program"):
        Store(other)
    assert other.read_bytes() == before  # not even switched to write-ahead logging
    assert not (tmp_path / "crm.db-wal").exists()


def _args(path: Path, **extra):
    class Args:
        db = str(path)
        quiet = True

    for key, value in extra.items():
        setattr(Args, key, value)
    return Args()


def test_a_backup_while_in_use_holds_every_committed_correction(tmp_path, capsys):
    path = _filled(tmp_path)
    with Store(path) as store:  # the window has the file open; its last corrections are still in the WAL
        service = ReviewService(store, user="ann")
        for age in range(50, 58):
            service.correct(2, "patient.age", age)
        assert (tmp_path / "imrdesk.db-wal").stat().st_size > 0
        target = tmp_path / "backups" / "copy.db"
        assert database_cli.cmd_backup(_args(path, file=str(target))) == 0
        assert "Backed up" in capsys.readouterr().out
        with pytest.raises(ValueError):
            store.backup(path)  # never onto itself
    assert not (tmp_path / "backups" / "copy.db-wal").exists()
    assert not list((tmp_path / "backups").glob(".*part"))
    with Store(target) as copy_:
        assert copy_.verify() == []
        assert copy_.record(2)["patient"]["age"] == 57
        assert [r["new"] for r in copy_.history(2, "patient.age")] == list(range(50, 58))
    assert database_cli.cmd_check(_args(target)) == 0


def test_backup_and_check_from_the_command_line(tmp_path, capsys):
    from imrdesk.cli import main

    path = _filled(tmp_path)
    target = tmp_path / "copy.db"
    assert main(["backup", str(target), "--db", str(path)]) == 0
    assert main(["check", "--db", str(target)]) == 0
    assert "sound" in capsys.readouterr().out
    assert main(["check", "--db", str(tmp_path / "nothing.db")]) == 2  # no such file: an error, nothing created
    assert not (tmp_path / "nothing.db").exists()
