"""The batch importer: the corpus, re-import, isolation of hanging/crashing letters, bad inputs, cancel,
and a SIGKILL of an import in progress."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pdfgen import image_only_pdf, plain_pdf, seed_text, text_letter_pdf

from imrdesk.extract import extract
from imrdesk.services.importing import collect_paths, import_paths
from imrdesk.store import Store

REPO_ROOT = Path(__file__).resolve().parent.parent


def _table_counts(path) -> dict:
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        conn.close()


def _copy_letters(pdfs, folder: Path, names=None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, pdf in enumerate(pdfs):
        dst = folder / (names[i] if names else pdf.name)
        shutil.copyfile(pdf, dst)
        out.append(dst)
    return out


def _assert_whole_letters(db: Path) -> None:
    """Every stored letter is complete: bytes, values, items, citations, provenance and search text."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        docs = conn.execute("SELECT id, sha256, n_items, n_fields, error_code FROM documents").fetchall()
        for doc_id, sha, n_items, n_fields, error in docs:
            (content,) = conn.execute("SELECT content FROM files WHERE doc_id = ?", (doc_id,)).fetchone()
            assert hashlib.sha256(content).hexdigest() == sha
            assert (
                conn.execute("SELECT count(*) FROM fields WHERE doc_id = ?", (doc_id,)).fetchone()[0]
                == n_fields
            )
            assert n_fields > 0
            got = conn.execute("SELECT count(*) FROM items WHERE doc_id = ?", (doc_id,)).fetchone()[0]
            assert got == n_items
            assert (
                conn.execute("SELECT count(*) FROM doc_text WHERE doc_id = ?", (doc_id,)).fetchone()[0] == 1
            )
            if error is None:
                assert n_items > 0
                assert conn.execute("SELECT count(*) FROM provenance WHERE doc_id = ?", (doc_id,)).fetchone()[
                    0
                ]
    finally:
        conn.close()


# ----------------------------------------------------------------------------- the corpus
def test_import_the_corpus(imported_corpus, corpus_pdfs):
    s = imported_corpus.summary
    assert s["imported"] == len(corpus_pdfs) == 65
    assert s["duplicates"] == 0 and s["failed"] == [] and s["cancelled"] is False and s["total"] == 65
    events = imported_corpus.events
    assert [e["done"] for e in events] == list(range(1, 66))
    assert all(e["total"] == 65 and e["status"] == "imported" and e["doc_id"] for e in events)
    assert sorted(e["file"] for e in events) == sorted(p.name for p in corpus_pdfs)
    _assert_whole_letters(imported_corpus.path)
    with Store(imported_corpus.path) as store:
        assert store.count_documents() == 65
        assert {r["file_name"] for r in store.list_documents()} == {p.name for p in corpus_pdfs}
        assert all(r["status"] == "new" and r["format"] == "imr-2016" for r in store.list_documents())


def test_reimport_is_a_no_op(corpus_store, corpus_dir):
    before = _table_counts(corpus_store.path)
    t0 = time.monotonic()
    events = []
    s = import_paths(corpus_store.path, [corpus_dir / "pdf"], progress=events.append)
    assert s["imported"] == 0 and s["duplicates"] == 65 and s["failed"] == []
    assert all(e["status"] == "duplicate" and "Already in the database" in e["message"] for e in events)
    assert _table_counts(corpus_store.path) == before
    assert time.monotonic() - t0 < 20  # nothing is extracted again (a full import takes longer)


def test_collect_paths(tmp_path, corpus_pdfs):
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    for rel in ("a/x.pdf", "a/deep/y.TXT", "a/notes.docx", "a/.z.pdf", ".hidden/w.pdf", "b.pdf"):
        (tmp_path / rel).write_bytes(b"x")
    got = collect_paths(
        [tmp_path / "a", tmp_path / "b.pdf", tmp_path / "a" / "x.pdf", tmp_path / "missing.pdf"]
    )
    assert got == sorted(
        [tmp_path / "a/x.pdf", tmp_path / "a/deep/y.TXT", tmp_path / "b.pdf", tmp_path / "missing.pdf"],
        key=str,
    )


# ----------------------------------------------------------------------------- isolation
def test_a_long_scan_read_page_by_page_is_no_hang_and_reports_its_pages(tmp_path, corpus_pdfs, monkeypatch):
    """A letter whose worker reports pages read by OCR gets its time limit per page, not per letter: four
    pages 0.8 s apart under a 2 s limit are read, where a letter silent for 2 s is stopped. Each page is told
    to ``progress`` as a ``reading`` event before the letter's own."""
    files = _copy_letters(corpus_pdfs[3:5], tmp_path / "in", ["slow.pdf", "hang.pdf"])
    monkeypatch.setenv("IMRDESK_TEST_FAULT", "slow_pages:slow.pdf;hang:hang.pdf")
    events: list[dict] = []
    s = import_paths(tmp_path / "db.sqlite", files, workers=2, timeout=2, progress=events.append)
    assert s["imported"] == 1, s
    assert [(Path(f).name, code) for f, code, _ in s["failed"]] == [("hang.pdf", "timeout")]
    slow = [e for e in events if e["file"] == "slow.pdf"]
    assert [(e["status"], e.get("page"), e.get("pages")) for e in slow] == [
        ("reading", 1, 4),
        ("reading", 2, 4),
        ("reading", 3, 4),
        ("reading", 4, 4),
        ("imported", None, None),
    ]


def test_hanging_and_crashing_letters_are_isolated(tmp_path, corpus_pdfs, monkeypatch):
    names = ["a_hang.pdf", "b_crash.pdf", "c_exit.pdf", "d_ok.pdf", "e_ok.pdf", "f_ok.pdf", "g_ok.pdf"]
    files = _copy_letters(corpus_pdfs[20:27], tmp_path / "in", names)
    faults = "hang:a_hang.pdf;crash:b_crash.pdf;exit:c_exit.pdf"
    if sys.platform.startswith("linux"):
        faults += ";oom:e_ok.pdf"  # a real MemoryError under the worker's address-space limit
    monkeypatch.setenv("IMRDESK_TEST_FAULT", faults)
    db = tmp_path / "iso.db"
    events = []
    t0 = time.monotonic()
    s = import_paths(db, [tmp_path / "in"], workers=2, timeout=5, progress=events.append)
    elapsed = time.monotonic() - t0
    failed = {Path(f).name: (code, msg) for f, code, msg in s["failed"]}
    assert failed["a_hang.pdf"][0] == "timeout" and "5 s" in failed["a_hang.pdf"][1]
    assert failed["b_crash.pdf"][0] == "crashed" and "SIGSEGV" in failed["b_crash.pdf"][1]
    assert failed["c_exit.pdf"][0] == "crashed" and "exit code 3" in failed["c_exit.pdf"][1]
    ok = {"d_ok.pdf", "f_ok.pdf", "g_ok.pdf"}
    if sys.platform.startswith("linux"):
        assert failed["e_ok.pdf"][0] == "crashed" and "memory" in failed["e_ok.pdf"][1]
    else:
        ok.add("e_ok.pdf")
    assert s["imported"] == len(ok) and set(failed) == set(names) - ok
    assert len(events) == len(names)
    assert elapsed < 40  # the hang cost its time limit, not the batch
    with Store(db) as store:
        rows = {r["file_name"]: r for r in store.list_documents()}
        assert set(rows) == set(names)  # failures are listed too, with their reason and bytes
        for name in set(names) - ok:
            assert rows[name]["status"] == "failed" and rows[name]["error"]["code"] in ("timeout", "crashed")
            assert store.document_bytes(rows[name]["id"]) == (tmp_path / "in" / name).read_bytes()
        for name in ok:
            assert rows[name]["status"] == "new" and rows[name]["items"] > 0
    _assert_whole_letters(db)

    # re-importing does not read the timed-out and crashed letters again (each would cost its time limit
    # on every import of the folder): they are reported as failed, unless asked
    monkeypatch.delenv("IMRDESK_TEST_FAULT")
    again = import_paths(db, files, workers=2, timeout=60)
    assert again["imported"] == 0 and again["duplicates"] == len(ok)
    assert {Path(f).name for f, _, _ in again["failed"]} == set(names) - ok
    assert all("--retry-failed" in msg for _, _, msg in again["failed"])
    s2 = import_paths(db, files, workers=2, timeout=60, retry_failed=True)
    assert s2["imported"] == len(names) - len(ok) and s2["duplicates"] == len(ok) and not s2["failed"]
    with Store(db) as store:
        assert all(r["status"] == "new" and r["error"] is None for r in store.list_documents())
        assert store.count_documents() == len(names)


def test_bad_inputs_are_reported_and_nothing_else_is_lost(tmp_path, corpus_pdfs, corpus_dir):
    folder = tmp_path / "mixed"
    good = _copy_letters(corpus_pdfs[30:33], folder)
    real = corpus_pdfs[40].read_bytes()
    bad = {
        "random.pdf": os.urandom(5000),
        "truncated.pdf": real[: len(real) // 3],
        "empty.pdf": b"",
        "blank.txt": b"   \n\n  \t\n",
        "shopping.txt": b"Eggs, milk, bread.\nCall the plumber on Tuesday.\n",
        "memo.pdf": plain_pdf(["Quarterly staff memo", "The parking lot will be repainted on Friday."]),
        "scan.pdf": image_only_pdf(),
        "binary.txt": bytes(range(256)) * 20,
    }
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    seed = sorted((corpus_dir / "seeds").glob("*.txt"))[0]
    (folder / "older-layout.pdf").write_bytes(text_letter_pdf(seed_text(seed.name)))
    shutil.copyfile(seed, folder / "older-layout.txt")

    db = tmp_path / "bad.db"
    s = import_paths(db, [folder, tmp_path / "does-not-exist.pdf"], workers=2, timeout=60)
    codes = {Path(f).name: code for f, code, _ in s["failed"]}
    assert codes == {
        "random.pdf": "corrupt",
        "truncated.pdf": codes["truncated.pdf"],
        "empty.pdf": "empty",
        "blank.txt": "empty",
        "shopping.txt": "not_imr",
        "memo.pdf": "not_imr",
        "scan.pdf": "no_text_layer",
        "binary.txt": codes["binary.txt"],
        "does-not-exist.pdf": "corrupt",
    }
    assert codes["truncated.pdf"] in ("corrupt", "empty", "not_imr")
    assert codes["binary.txt"] in ("corrupt", "not_imr")
    assert all(msg and "Traceback" not in msg for _, _, msg in s["failed"])
    assert s["imported"] == len(good) + 2
    with Store(db) as store:
        rows = {r["file_name"]: r for r in store.list_documents()}
        assert "does-not-exist.pdf" not in rows  # nothing to store
        for name in bad:
            assert rows[name]["status"] == "failed" and rows[name]["error"]["message"]
        for pdf in good:
            rec = store.record(rows[pdf.name]["id"])
            rec.pop("id"), rec.pop("review_status")
            assert rec == extract(pdf, reader="fast")  # as the import reads it
        assert rows["older-layout.pdf"]["format"] == rows["older-layout.txt"]["format"] == "imr-2014"
        assert rows["older-layout.pdf"]["kind"] == "pdf" and rows["older-layout.txt"]["kind"] == "txt"
        assert store.stats()["failed"] == len(bad)
    _assert_whole_letters(db)


def test_duplicates_within_a_batch_and_repeated_case_numbers(tmp_path, corpus_pdfs):
    folder = tmp_path / "dups"
    a, b = _copy_letters([corpus_pdfs[5], corpus_pdfs[5]], folder, ["one.pdf", "two.pdf"])
    resaved = folder / "three.pdf"
    resaved.write_bytes(a.read_bytes() + b"\n% re-saved by a scanner station\n")
    events = []
    s = import_paths(tmp_path / "d.db", [folder], workers=2, progress=events.append)
    assert s["imported"] == 2 and s["duplicates"] == 1 and s["flagged"] == 1
    by_file = {e["file"]: e for e in events}
    assert by_file["two.pdf"]["status"] == "duplicate" and "one.pdf" in by_file["two.pdf"]["message"]
    # one.pdf and three.pdf are read in parallel: whichever is stored second is the one flagged
    (second,) = [e for e in events if e.get("case_duplicate")]
    assert second["file"] in ("one.pdf", "three.pdf") and second["status"] == "imported"
    with Store(tmp_path / "d.db") as store:
        case = extract(a)["case_number"]
        ids = store.find(case)
        assert len(ids) == 2 and second["doc_id"] == max(ids)
        assert store.document_info(second["doc_id"])["status"] == "flagged"
        assert store.document_info(min(ids))["status"] == "new" and store.notes(min(ids))
        assert store.history(second["doc_id"], "review_status")[-1]["new"] == "flagged"


def test_cancel_stops_scheduling(tmp_path, corpus_pdfs):
    cancel = threading.Event()
    events = []

    def progress(ev):
        events.append(ev)
        if ev["done"] == 2:
            cancel.set()

    db = tmp_path / "c.db"
    # enough letters that some are still unread when the first batch is stored (a letter is read in a few
    # hundredths of a second: twelve could all be read before the first progress event)
    letters = corpus_pdfs[:40]
    n = len(letters)
    s = import_paths(db, letters, workers=1, progress=progress, cancel=cancel)
    assert s["cancelled"] is True
    # letters already read when Cancel came are stored (a batch of them at most); no new one is started
    assert 2 <= s["imported"] < n and s["skipped"] >= 1 and s["imported"] + s["skipped"] == n
    with Store(db) as store:
        assert store.count_documents() == s["imported"]
    _assert_whole_letters(db)
    # the rest comes in with the next import
    s2 = import_paths(db, letters, workers=2)
    assert s2["imported"] == n - s["imported"] and s2["duplicates"] == s["imported"]


# ----------------------------------------------------------------------------- SIGKILL
def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(
    not Path("/proc/self/stat").exists() or os.name != "posix", reason="needs SIGKILL and /proc"
)
def test_sigkill_midway_leaves_whole_letters_and_corrections(tmp_path, corpus_pdfs):
    folder = tmp_path / "batch"
    files = _copy_letters(corpus_pdfs[:24], folder)
    db = tmp_path / "k.db"
    # earlier work: four letters imported and reviewed
    assert import_paths(db, files[:4], workers=2)["imported"] == 4
    expected = {}
    with Store(db) as store:
        for row in store.list_documents():
            flip = "Overturned" if store.record(row["id"])["items"][0]["decision"] == "Upheld" else "Upheld"
            store.set_value(row["id"], "items[0].decision", flip, user="alice")
            store.set_value(row["id"], "patient.age", 50 + row["id"], user="alice")
            store.set_status(row["id"], "reviewed", user="alice")
            expected[row["id"]] = (flip, 50 + row["id"])

    proc = subprocess.Popen(
        [sys.executable, "main.py", "--db", str(db), "import", str(folder), "-q"],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            conn = sqlite3.connect(db, timeout=30)
            n = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
            conn.close()
            if n >= 7:
                break
            assert proc.poll() is None, "the import ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        workers = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    # the worker processes notice and leave
    deadline = time.monotonic() + 15
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)

    _assert_whole_letters(db)
    with Store(db) as store:
        n = store.count_documents()
        assert 7 <= n < 24, "killed midway"
        for row in store.list_documents():
            rec = store.record(row["id"], corrections=False)
            rec.pop("id"), rec.pop("review_status")
            assert rec == extract(store.document_bytes(row["id"]), name=row["file_name"], reader="fast")
        for doc_id, (decision, age) in expected.items():
            rec = store.record(doc_id)
            assert rec["items"][0]["decision"] == decision and rec["patient"]["age"] == age
            assert rec["review_status"] == "reviewed"
            assert len(store.history(doc_id)) == 3
    # and the import can simply be run again
    s = import_paths(db, [folder], workers=2)
    assert s["imported"] == 24 - n and s["duplicates"] == n and not s["failed"]
    _assert_whole_letters(db)


def test_letters_are_stored_in_batches_each_whole(tmp_path, corpus_pdfs):
    """Read letters are stored several to a transaction (fewer commits than letters), every one of them
    whole, and the same bytes twice in one import are still one letter."""
    files = _copy_letters(corpus_pdfs[:20], tmp_path / "in")
    again = tmp_path / "in" / "copy-of-first.pdf"
    shutil.copyfile(files[0], again)
    commits = []
    with Store(tmp_path / "db.sqlite") as store:
        store.conn.set_trace_callback(lambda sql: commits.append(sql) if sql.strip() == "COMMIT" else None)
        events: list[dict] = []
        s = import_paths(store, [*files, again], workers=2, progress=events.append)
        store.conn.set_trace_callback(None)
        assert s["imported"] == 20 and s["duplicates"] == 1 and not s["failed"], s
        assert 1 <= len(commits) < 20  # a commit per batch, not per letter
        assert [e["status"] for e in events].count("imported") == 20
        for path in files:
            rec = store.record(store.lookup_sha(hashlib.sha256(path.read_bytes()).hexdigest())[0])
            assert rec["items"] and rec["file"] == path.name
    _assert_whole_letters(tmp_path / "db.sqlite")


def test_a_letter_refused_in_a_batch_is_rolled_back_alone(tmp_path, corpus_pdfs):
    from imrdesk.store import NewLetter

    good = [extract(p) for p in corpus_pdfs[:3]]
    bad = dict(extract(corpus_pdfs[3]))  # its record names other bytes than those given with it
    with Store(tmp_path / "db.sqlite") as store:
        out = store.add_records(
            [
                NewLetter(good[0], corpus_pdfs[0].read_bytes()),
                NewLetter(bad, corpus_pdfs[4].read_bytes()),
                NewLetter(good[1], corpus_pdfs[1].read_bytes()),
                NewLetter(good[2], corpus_pdfs[2].read_bytes()),
            ]
        )
        assert isinstance(out[1], ValueError)
        assert [r["status"] for i, r in enumerate(out) if i != 1] == ["imported"] * 3
        assert len(store.document_ids()) == 3
    _assert_whole_letters(tmp_path / "db.sqlite")
