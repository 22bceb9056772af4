"""Letters handed in from outside: ``imrdesk FILE...``, files dropped on the program's icon, "Open with
imrdesk" in Explorer, and a second launch while the window is already open.

One window per database and user: the first launch listens on a local socket (a named pipe on Windows)
whose name comes from the user and the database path; a later launch on the same database connects,
hands over its files (as absolute paths, one JSON line) and exits once the window has answered ``ok``.
The window imports the files and opens the first (``FileOpener``), then comes to the front. Explorer starts
one process per file when several are opened at once, so deciding "hand over or become the window" runs
under a lock file: of two launches at the same moment, one listens and the other hands over to it.

When no window answers in time (a window hung, or one on another machine's socket folder), the launch
opens its own window, as it always could: a second window on one database is safe (SQLite, WAL).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDir, QLockFile, QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from imrdesk.services.importing import collect_paths

if TYPE_CHECKING:  # pragma: no cover
    from .main_window import MainWindow

CONNECT_MS = 1000
ANSWER_MS = 15000  # the window answers from its event loop, which starts after the window is built
MAX_MESSAGE = 1 << 20  # bytes: a list of paths, not a file


def server_name(db_path: str | Path) -> str:
    """The socket's name for this user and database (the same database reached by another spelling of its
    path, or with another letter case on Windows, gives the same name)."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name (a service account without USERNAME/LOGNAME)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    path = str(Path(db_path).expanduser().resolve())
    if sys.platform == "win32":
        path = path.lower()
    digest = hashlib.sha256(f"{user}\0{path}".encode()).hexdigest()[:24]
    return f"imrdesk-{digest}"


class SingleInstance(QObject):
    """``hand_over(files)`` either gives the files to the window already open on the database (True: this
    launch is done) or makes this process the one that listens (False: open the window, then ``serve``)."""

    files_received = Signal(list)

    def __init__(self, db_path: str | Path, parent: QObject | None = None, *, name: str | None = None):
        super().__init__(parent)
        self.name = name or server_name(db_path)
        self.server: QLocalServer | None = None
        self.received: list[list[str]] = []  # hand-overs that arrived before serve()
        self._window: MainWindow | None = None
        self._buffers: dict[QLocalSocket, bytes] = {}

    # ------------------------------------------------------------------ the launch that hands over

    def hand_over(self, files=()) -> bool:
        paths = [str(Path(f).expanduser().absolute()) for f in files]
        lock = QLockFile(os.path.join(QDir.tempPath(), f"{self.name}.lock"))
        locked = lock.tryLock(5000)  # a lock left by a process that died is taken over (Qt checks its pid)
        try:
            if self.send(paths):
                return True
            return not self.listen() and self.send(paths)
        finally:
            if locked:
                lock.unlock()

    def send(self, paths: list[str], answer_ms: int = ANSWER_MS) -> bool:
        """Give ``paths`` to the listening window; True once it has answered that it took them."""
        sock = QLocalSocket()
        sock.connectToServer(self.name)
        if not sock.waitForConnected(CONNECT_MS):
            return False
        if sys.platform == "win32":  # let the window come to the front (Windows gives the focus to us)
            import ctypes

            ctypes.windll.user32.AllowSetForegroundWindow(-1)  # ASFW_ANY
        sock.write(json.dumps({"files": paths}).encode("utf-8") + b"\n")
        sock.flush()
        answer = b""
        while b"\n" not in answer and sock.waitForReadyRead(answer_ms):
            answer += bytes(sock.readAll().data())
        sock.disconnectFromServer()
        return answer.startswith(b"ok")

    # ------------------------------------------------------------------ the window's side

    def listen(self) -> bool:
        """Listen under the name; a socket file left by a window that crashed (Unix: nothing answers on it)
        is removed first."""
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            probe = QLocalSocket()
            probe.connectToServer(self.name)
            if probe.waitForConnected(CONNECT_MS):  # a live window: never take its name away
                probe.abort()
                return False
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                return False
        server.newConnection.connect(self._on_connection)
        self.server = server
        return True

    def serve(self, window: MainWindow) -> None:
        """From now on the window takes the files: those handed over already, then each as it comes."""
        self._window = window
        self.files_received.connect(self._deliver)
        for paths in self.received:
            self._deliver(paths)
        self.received.clear()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None

    def _on_connection(self) -> None:
        while self.server is not None and self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda s=sock: self._on_ready_read(s))
            sock.disconnected.connect(lambda s=sock: self._forget(s))
            QTimer.singleShot(ANSWER_MS, sock, sock.abort)  # a client that never finishes its line
            self._on_ready_read(sock)

    def _on_ready_read(self, sock: QLocalSocket) -> None:
        if sock not in self._buffers:
            return
        data = self._buffers[sock] + bytes(sock.readAll().data())
        self._buffers[sock] = data
        if b"\n" not in data:
            if len(data) > MAX_MESSAGE:
                sock.abort()
            return
        del self._buffers[sock]
        try:
            message = json.loads(data.split(b"\n", 1)[0].decode("utf-8"))
            paths = [str(p) for p in message["files"]]
        except (ValueError, KeyError, TypeError):
            sock.write(b"error\n")
            sock.disconnectFromServer()
            return
        sock.write(b"ok\n")
        sock.flush()
        sock.disconnectFromServer()
        if self._window is None:
            self.received.append(paths)
        else:
            self.files_received.emit(paths)

    def _forget(self, sock: QLocalSocket) -> None:
        self._buffers.pop(sock, None)
        sock.deleteLater()

    def _deliver(self, paths: list[str]) -> None:
        window = self._window
        if window is None:
            return
        if paths:
            window.open_files(paths)
        if window.isMinimized():
            window.showNormal()
        window.show()
        window.raise_()
        window.activateWindow()


class FileOpener(QObject):
    """Imports letters handed in from outside and then opens the first of them (in the order given; a
    folder stands for its letters). Files that arrive while an import runs wait for it to finish."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.waiting: list[list[str]] = []
        self.wanted: list[str] | None = None  # the letters of the running hand-over, in order
        self.found: dict[str, int] = {}  # their path -> letter id, as the import reports them
        window.importer.progress.connect(self._on_progress)
        window.importer.finished.connect(self._on_finished)

    def open(self, paths) -> bool:
        paths = [str(Path(p).expanduser().absolute()) for p in paths]
        if not paths:
            return False
        if self.window.importer.is_running():
            self.waiting.append(paths)
            self.window.statusBar().showMessage(
                f"{len(paths)} more file(s) will be imported when this import ends.", 5000
            )
            return True
        return self._start(paths)

    def _start(self, paths: list[str]) -> bool:
        wanted: list[str] = []
        for p in paths:
            wanted += [str(f) for f in collect_paths([p])] if Path(p).is_dir() else [p]
        self.wanted, self.found = wanted, {}
        if not self.window.start_import(paths):
            self.wanted = None
            return False
        return True

    def _on_progress(self, event) -> None:
        if self.wanted is not None and event.get("doc_id") is not None:
            self.found[str(event.get("path"))] = int(event["doc_id"])

    def _on_finished(self, _summary) -> None:
        wanted, self.wanted = self.wanted, None
        doc_id = next((self.found[p] for p in wanted or () if p in self.found), None)
        if doc_id is not None:
            self.window.open_document(doc_id)
        if self.waiting:
            QTimer.singleShot(0, self, lambda: self._start(self.waiting.pop(0)))
