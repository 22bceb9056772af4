"""Files and processes: only regular files are read and every path left out says why; worker results cross
the process boundary as JSON; failed letters are not read again unless asked; ``extract`` reads each file
in a bounded worker; a closed pipe ends the command quietly; exports leave no temporary files behind and
get the permissions a new file normally gets.

Real FIFOs, devices, links and folders; real worker processes (misbehaving through the documented
IMRDESK_TEST_FAULT hook); real subprocesses of the command line.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hostile import MiB, bomb_pdf
from pdfgen import FIXTURES

from imrdesk.services.files import atomic_file, remove_stale_parts
from imrdesk.services.importing import import_paths
from imrdesk.services.letter_files import scan_paths
from imrdesk.services.reader_pool import check_record, parse_reply
from imrdesk.store import Store

ROOT = Path(__file__).resolve().parent.parent
LETTERS = sorted((FIXTURES / "pdf").glob("*.pdf"))
POSIX = os.name == "posix"


def cli(*args: str, env: dict | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def unlistable_folder(parent: Path) -> Path:
    """A folder os.walk cannot list, even for root: nested deeper than the longest path the system takes
    (built one level at a time, relative to the one before)."""
    fd = os.open(parent, os.O_RDONLY)
    name = "d" * 200
    depth = 0
    try:
        while depth * 201 < 5000:
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
            depth += 1
        with open(os.open("letter.pdf", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as fh:
            fh.write(LETTERS[0].read_bytes())
    finally:
        os.close(fd)
    return parent / name


# ------------------------------------------------------------------------ regular files only


@pytest.mark.skipif(not POSIX, reason="FIFOs, devices and links as on POSIX")
def test_every_path_left_out_is_reported_with_its_reason(tmp_path):
    folder = tmp_path / "letters"
    folder.mkdir()
    shutil.copyfile(LETTERS[0], folder / "good.pdf")
    os.mkfifo(folder / "pipe.pdf")
    (folder / "gone.pdf").symlink_to(tmp_path / "deleted.pdf")
    (folder / "zero.pdf").symlink_to("/dev/zero")
    deep = unlistable_folder(folder)
    if os.geteuid() != 0:  # a folder without permissions stops only other users
        locked = folder / "locked"
        locked.mkdir()
        (locked / "inside.pdf").write_bytes(b"x")
        locked.chmod(0)
    fifo = tmp_path / "named.pdf"
    os.mkfifo(fifo)

    scan = scan_paths([folder])
    assert [p.name for p in scan.files] == ["good.pdf"]
    reasons = {s.path.name: s.reason for s in scan.skipped}
    assert "named pipe" in reasons["pipe.pdf"]
    assert "link to" in reasons["gone.pdf"] and "does not exist" in reasons["gone.pdf"]
    assert "character device" in reasons["zero.pdf"]
    assert any("folder cannot be read" in r for r in reasons.values())
    assert any(str(s.path).startswith(str(deep)) for s in scan.skipped)

    db = tmp_path / "files.db"
    summary = import_paths(db, [folder, fifo, Path("/dev/zero"), tmp_path / "missing.pdf"], workers=1)
    failed = {Path(p).name: (code, message) for p, code, message in summary["failed"]}
    assert summary["imported"] == 1
    assert "named pipe" in failed["named.pdf"][1] and "named pipe" in failed["pipe.pdf"][1]
    assert "character device" in failed["zero"][1] and "character device" in failed["zero.pdf"][1]
    assert "link to" in failed["gone.pdf"][1]
    assert "does not exist" in failed["missing.pdf"][1]
    assert any("folder cannot be read" in message for _, message in failed.values())
    assert summary["total"] == 1 + len(failed)
    with Store(db) as store:  # nothing that was not read is stored
        assert [r["file_name"] for r in store.list_documents()] == ["good.pdf"]
    if os.geteuid() != 0:
        (folder / "locked").chmod(0o755)


# ------------------------------------------------------------------------ across the process boundary


def test_replies_are_checked_json_never_pickles():
    import pickle

    with pytest.raises((ValueError, UnicodeDecodeError)):
        parse_reply(pickle.dumps(("result", 1, {"file": "x"})))
    with pytest.raises(ValueError):
        parse_reply(json.dumps({"kind": "result", "seq": 1, "record": ["not", "a", "record"]}).encode())
    with pytest.raises(ValueError):
        parse_reply(json.dumps({"kind": "failed", "seq": 1, "code": "rm -rf", "message": "x"}).encode())
    with pytest.raises(ValueError):
        check_record({"error": {"code": "corrupt"}})  # no message
    ok = parse_reply(
        json.dumps({"kind": "result", "seq": 3, "record": {"error": None, "items": []}}).encode()
    )
    assert ok["seq"] == 3


def test_records_of_the_wrong_shape_are_refused():
    """Shapes the store cannot take (they stopped an import with a traceback) are refused before it."""
    for bad in (
        {"error": None, "case_number": ["a list"]},
        {"error": None, "patient": {"age": {"nested": 1}}},
        {"error": None, "provenance": {"case_number": "not a dict"}},
        {"error": None, "items": [{"treatment": {"a": 1}}]},
        {"error": None, "items": [{"maximus_citations": ["not a dict"]}]},
        {"error": None, "findings": ["text"]},
        {"error": None, "pages": "many"},
    ):
        with pytest.raises(ValueError):
            check_record(bad)


@pytest.mark.parametrize("fault", ["pickle", "malformed"])
def test_a_worker_that_answers_with_something_else_costs_its_letter_only(tmp_path, monkeypatch, fault):
    folder = tmp_path / "in"
    folder.mkdir()
    names = ["evil.pdf", "ok1.pdf", "ok2.pdf"]
    for name, letter in zip(names, LETTERS, strict=False):
        shutil.copyfile(letter, folder / name)
    monkeypatch.setenv("IMRDESK_TEST_FAULT", f"{fault}:evil.pdf")
    summary = import_paths(tmp_path / "p.db", [folder], workers=1, timeout=60)
    assert summary["imported"] == 2
    ((path, code, message),) = summary["failed"]
    assert Path(path).name == "evil.pdf" and code == "crashed" and "not a record" in message


def test_failed_letters_are_read_again_only_when_asked(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copyfile(LETTERS[1], folder / "slow.pdf")
    shutil.copyfile(LETTERS[2], folder / "fine.pdf")
    db = str(tmp_path / "r.db")
    env = {"IMRDESK_TEST_FAULT": "hang:slow.pdf"}
    first = cli("import", str(folder), "--db", db, "--timeout", "3", env=env)
    assert first.returncode == 1 and "slow.pdf: timeout" in first.stdout, first.stdout + first.stderr
    t0 = time.monotonic()
    second = cli("import", str(folder), "--db", db, "--timeout", "3", env=env)
    assert second.returncode == 1 and "--retry-failed" in second.stdout
    assert "1 duplicate skipped" in second.stdout
    assert time.monotonic() - t0 < 60  # the hanging letter was not read (no worker waited 3 s on it)
    third = cli("import", str(folder), "--db", db, "--retry-failed")
    assert third.returncode == 0, third.stdout + third.stderr
    assert "Imported 1 letter" in third.stdout
    with Store(db) as store:
        assert all(r["error"] is None for r in store.list_documents())


# ------------------------------------------------------------------------ the extract command


def test_extract_reads_each_file_in_a_bounded_worker(tmp_path):
    names = ["a-hang.pdf", "b-crash.pdf", "c-ok.pdf", "d-bomb.pdf", "e-ok.pdf"]
    for name, letter in zip(names, [LETTERS[0], LETTERS[1], LETTERS[2], None, LETTERS[3]], strict=True):
        (tmp_path / name).write_bytes(letter.read_bytes() if letter else bomb_pdf(2048 * MiB))
    env = {"IMRDESK_TEST_FAULT": "hang:a-hang.pdf;crash:b-crash.pdf"}
    # the bomb: pdfium inflates it (a few seconds, ~2 GB, under the worker's memory limit), finds no text and
    # hands it to pdfplumber, whose decode budget says too_large — a limit that lets that finish on a loaded
    # machine, and that the hanging letter still runs into
    run = cli("extract", "--json", "--timeout", "15", *(str(tmp_path / n) for n in names), env=env)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["file"] for r in records] == names  # in the order given
    codes = [r["error"] and r["error"]["code"] for r in records]
    assert codes == ["timeout", "crashed", None, "too_large", None]
    assert "SIGSEGV" in records[1]["error"]["message"] or os.name != "posix"
    assert records[2]["items"] and records[4]["items"]


@pytest.mark.skipif(not POSIX, reason="a FIFO")
def test_extract_refuses_a_fifo_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    run = cli("extract", "--json", str(fifo), str(LETTERS[0]), timeout=120)
    first, second = (json.loads(line) for line in run.stdout.splitlines())
    assert first["error"]["code"] == "corrupt" and "named pipe" in first["error"]["message"]
    assert second["error"] is None


def test_a_closed_pipe_ends_the_command_quietly():
    args = [sys.executable, "main.py", "extract", "--json", *map(str, LETTERS * 3)]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()  # like `| head -1`
    proc.stdout.close()
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert json.loads(first)["file"] == LETTERS[0].name
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()
    assert proc.returncode == 141


def test_any_command_ends_quietly_when_its_reader_is_gone(tmp_path):
    """Not only extract: a command whose output nobody reads any more (its pipe closed before it wrote)
    ends with the status a shell gives SIGPIPE and no traceback."""
    db = tmp_path / "pipe.db"
    import_paths(db, LETTERS[:3], workers=1)
    proc = subprocess.Popen(
        [sys.executable, "main.py", "search", "medical", "--json", "--db", str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # the reader is gone before the first line
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()
    assert proc.returncode == 141


# ------------------------------------------------------------------------ exports


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(not POSIX, reason="POSIX permissions")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path, umask):
    old = os.umask(umask)
    try:
        target = tmp_path / "dataset.csv"
        with atomic_file(target, "w") as fh:
            fh.write("a,b\n")
    finally:
        os.umask(old)
    assert _mode(target) == 0o666 & ~umask
    assert target.read_text() == "a,b\n"


@pytest.mark.skipif(not POSIX, reason="POSIX permissions")
def test_replacing_a_file_keeps_its_mode(tmp_path):
    target = tmp_path / "dataset.json"
    target.write_text("old")
    target.chmod(0o640)
    with atomic_file(target, "w") as fh:
        fh.write("new")
    assert _mode(target) == 0o640 and target.read_text() == "new"


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "dataset.csv"
    target.write_text("kept")
    with pytest.raises(RuntimeError), atomic_file(target, "w") as fh:
        fh.write("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["dataset.csv"]


@pytest.mark.skipif(not POSIX, reason="SIGKILL")
def test_a_killed_export_leaves_a_part_file_the_next_export_removes(tmp_path):
    """A real kill in the middle of a write leaves the temporary file; the next export into that folder
    removes it (its writer is gone), and the export under the real name is whole."""
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from imrdesk.services.files import atomic_file
        with atomic_file(Path({str(tmp_path / "dataset.csv")!r}), "w") as fh:
            fh.write("half a dataset")
            fh.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=60)
    assert run.returncode == -9
    left = [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    assert len(left) == 1 and not (tmp_path / "dataset.csv").exists()

    from imrdesk.services.export import export

    db = tmp_path.parent / f"{tmp_path.name}-export.db"
    import_paths(db, LETTERS[:2], workers=1)
    with Store(db) as store:
        rows = export(store, tmp_path / "dataset.csv", "csv")
    assert rows > 0 and not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    # a temporary file of a writer still running is left alone
    mine = tmp_path / f".other.csv.{os.getpid()}.0000.part"
    mine.write_text("in progress")
    assert remove_stale_parts(tmp_path) == [] and mine.exists()


def _bytes_read() -> int | None:
    """Bytes this process has read through read() calls so far (Linux), else None."""
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("rchar:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def test_a_file_over_the_size_limit_is_refused_from_its_size_without_being_read(tmp_path):
    from imrdesk.extract.document import MAX_BYTES, too_large_message

    big = tmp_path / "disk-image.pdf"
    size = 64 * 1024**3  # sparse: no disk used, yet hashing it would read 64 GiB
    try:
        with open(big, "wb") as fh:
            fh.truncate(size)
    except OSError as exc:
        pytest.skip(f"no sparse file of 64 GiB here: {exc}")
    db = tmp_path / "big.db"
    read_before, t0 = _bytes_read(), time.perf_counter()
    summary = import_paths(db, [big], workers=1)
    seconds = time.perf_counter() - t0
    assert summary["failed"] == [(str(big), "too_large", too_large_message(size, MAX_BYTES))]
    if read_before is not None:
        assert (
            _bytes_read() - read_before < 64 * MiB
        )  # the database and the program's own files, not the file
    assert seconds < 30
    with Store(db) as store:  # listed as a failure, without bytes
        (row,) = store.list_documents()
        assert store.record(row["id"])["error"]["code"] == "too_large"
        assert store.document_bytes(row["id"]) == b""  # listed, its bytes not stored
    again = import_paths(db, [big], workers=1)
    assert again["duplicates"] == 1 and not again["failed"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="an address-space limit read from /proc")
def test_the_fast_reader_runs_with_bounded_headroom():
    """The worker's fast reader may grow the process by its headroom only (a deflate bomb's inflation fails
    there and the reference reader's budget decides); the limit is put back after the block."""
    script = (
        "from imrdesk.services.worker_limits import limit_memory, memory_headroom\n"
        "limit_memory(3072)\n"
        "with memory_headroom(64):\n"
        "    try:\n"
        "        bytearray(256 * 1024 * 1024)\n"
        "        print('grew')\n"
        "    except MemoryError:\n"
        "        print('refused')\n"
        "block = bytearray(256 * 1024 * 1024)\n"
        "print('after', len(block) // (1024 * 1024))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.stdout.split() == ["refused", "after", "256"], run.stderr
