"""Letters handed in from outside: ``imrdesk FILE...`` imports them and opens the first, and a second launch
on the same database hands its files to the window already open (imrdesk/ui/single_instance.py).

Real Qt (offscreen), real local sockets, real processes started from main.py, real letters."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QDir, QSettings  # noqa: E402
from PySide6.QtNetwork import QLocalSocket  # noqa: E402

from imrdesk.cli import build_parser, main, split_files  # noqa: E402
from imrdesk.store import Store  # noqa: E402
from imrdesk.ui.app import configure  # noqa: E402
from imrdesk.ui.main_window import MainWindow  # noqa: E402
from imrdesk.ui.single_instance import SingleInstance, server_name  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "resources" / "samples"
PDF_A = SAMPLES / "CM16-0230548.pdf"
PDF_B = SAMPLES / "CM17-0002198.pdf"
PDF_C = SAMPLES / "CM16-0246487.pdf"
WAIT_MS = 120000  # a shared two-core machine: letters are read in worker processes


@pytest.fixture(scope="module", autouse=True)
def _app_style(qapp):
    configure(qapp)


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(
        tmp_path / "letters.db",
        QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat),
        import_options={"workers": 1},
    )
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def _env(tmp_path: Path) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.pop("IMRDESK_DB", None)
    return env


def _launch(tmp_path: Path, db: Path, *files: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "--db", str(db), *map(str, files)],
        cwd=tmp_path,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _file_names(db: Path) -> set[str]:
    if not db.exists():
        return set()
    with Store(db) as store:
        return {store.document_info(i)["file_name"] for i in store.document_ids()}


def _wait_for(predicate, seconds: float = WAIT_MS / 1000) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def _stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.terminate()
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out or ""


def _wait_import(qtbot, win: MainWindow) -> None:
    qtbot.waitUntil(lambda: win.last_import is not None and not win.importer.is_running(), timeout=WAIT_MS)
    qtbot.wait(50)


# ------------------------------------------------------------------------------ the command line


def test_bare_file_arguments_open_the_window_and_commands_still_work(tmp_path):
    commands = build_parser().commands
    assert split_files(["letter.pdf"], commands) == ([], ["letter.pdf"])
    assert split_files(["--db", "x.db", "a.pdf", str(SAMPLES)], commands) == (
        ["--db", "x.db"],
        ["a.pdf", str(SAMPLES)],
    )
    assert split_files(["a.pdf", "--db=x.db", "b.TXT"], commands) == (["--db=x.db"], ["a.pdf", "b.TXT"])
    for argv in (["extract", "--json", "a.pdf"], ["--db", "x.db", "import", "a.pdf"], ["--version"], []):
        assert split_files(argv, commands) == (argv, []), argv
    # a mistyped command is still an argument error, not a file to import
    assert split_files(["exract", "a.pdf"], commands) == (["exract", "a.pdf"], [])
    with pytest.raises(SystemExit) as exit_:
        main(["exract", "a.pdf"])
    assert exit_.value.code == 2


def test_a_subcommand_given_a_letter_still_runs_it(capsys):
    assert main(["extract", "--json", str(PDF_A)]) == 0
    assert '"case_number": "CM16-0230548"' in capsys.readouterr().out


# ------------------------------------------------------------------------------ the window's side


def test_open_files_imports_them_and_opens_the_first_given(qtbot, window):
    assert window.open_files([PDF_B, PDF_A]) is True
    _wait_import(qtbot, window)
    assert window.last_import["imported"] == 2
    assert window.info["file_name"] == PDF_B.name  # the first given, not the first in the list's order
    # a letter already in the database is opened, not imported again
    window.open_files([PDF_A])
    qtbot.waitUntil(lambda: window.info["file_name"] == PDF_A.name, timeout=WAIT_MS)
    assert window.last_import["duplicates"] == 1 and window.store.count_documents() == 2


def test_files_handed_in_during_an_import_wait_for_it(qtbot, window):
    assert window.open_files([PDF_A])
    assert window.importer.is_running()
    assert window.open_files([str(PDF_C)])  # queued, not refused
    qtbot.waitUntil(
        lambda: window.store.count_documents() == 2 and not window.importer.is_running(), timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: window.info and window.info["file_name"] == PDF_C.name, timeout=WAIT_MS)


def test_a_second_launch_hands_its_files_to_the_open_window(qtbot, window, tmp_path):
    instance = SingleInstance(window.db_path)
    assert instance.hand_over([]) is False  # nobody listens yet: this process is the window's
    instance.serve(window)
    try:
        proc = _launch(tmp_path, window.db_path, PDF_C)
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=60000)  # the event loop answers it meanwhile
        assert proc.returncode == 0, _stop(proc)
        _wait_import(qtbot, window)
        assert window.info["file_name"] == PDF_C.name
        # another database is another window: no hand-over to this one
        other = SingleInstance(tmp_path / "other.db")
        assert other.name != instance.name
        assert other.send([str(PDF_A)], answer_ms=2000) is False
    finally:
        instance.close()


def test_the_listener_answers_a_bad_message_and_keeps_serving(qtbot, window):
    instance = SingleInstance(window.db_path, name=f"imrdesk-test-{os.getpid()}")
    assert instance.listen()
    instance.serve(window)
    try:
        sock = QLocalSocket()
        sock.connectToServer(instance.name)
        assert sock.waitForConnected(2000)
        sock.write(b"not json\n")
        sock.flush()
        qtbot.waitUntil(lambda: sock.bytesAvailable() > 0, timeout=5000)
        assert bytes(sock.readAll().data()) == b"error\n"
        received = []
        instance.files_received.connect(received.append)
        sock2 = QLocalSocket()
        sock2.connectToServer(instance.name)
        assert sock2.waitForConnected(2000)
        sock2.write(b'{"files": []}\n')  # no files: only brings the window to the front
        sock2.flush()
        qtbot.waitUntil(lambda: received == [[]], timeout=5000)
    finally:
        instance.close()


@pytest.mark.skipif(sys.platform == "win32", reason="Unix socket files only")
def test_a_socket_left_by_a_crashed_window_is_taken_over(tmp_path):
    name = f"imrdesk-test-stale-{os.getpid()}"
    path = os.path.join(QDir.tempPath(), name)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)  # bound, never listening, never removed: what a killed window leaves behind
    stale.close()
    try:
        instance = SingleInstance(tmp_path / "x.db", name=name)
        assert instance.hand_over([]) is False  # no one answered
        assert instance.server is not None and instance.server.isListening()
        instance.close()
    finally:
        if os.path.exists(path):
            os.unlink(path)


def test_the_name_is_per_database_and_user(tmp_path):
    db = tmp_path / "a.db"
    assert server_name(db) == server_name(tmp_path / "sub" / ".." / "a.db")
    assert server_name(db) != server_name(tmp_path / "b.db")


# ------------------------------------------------------------------------------ whole launches


def test_launch_with_files_then_second_and_third_launches(tmp_path):
    db = tmp_path / "letters.db"
    first = _launch(tmp_path, db, PDF_A)
    try:
        assert _wait_for(lambda: PDF_A.name in _file_names(db)), _stop(first)
        second = _launch(tmp_path, db, PDF_B)
        assert second.wait(60) == 0, _stop(second)
        assert _wait_for(lambda: _file_names(db) == {PDF_A.name, PDF_B.name}), _stop(first)
        third = _launch(tmp_path, db)  # no files: the open window comes to the front, no second window
        assert third.wait(60) == 0, _stop(third)
        assert first.poll() is None, _stop(first)
    finally:
        _stop(first)


def test_launches_at_the_same_moment_end_in_one_window(tmp_path):
    """Explorer starts one process per file when several are opened at once."""
    db = tmp_path / "letters.db"
    procs = [_launch(tmp_path, db, pdf) for pdf in (PDF_A, PDF_B, PDF_C)]
    try:
        assert _wait_for(lambda: sum(p.poll() is not None for p in procs) == 2, 90), [p.poll() for p in procs]
        assert sorted(p.returncode for p in procs if p.poll() is not None) == [0, 0]
        assert _wait_for(lambda: _file_names(db) == {PDF_A.name, PDF_B.name, PDF_C.name})
        assert sum(p.poll() is None for p in procs) == 1  # the one window
    finally:
        for p in procs:
            _stop(p)
