"""Imports in the background: ``import_paths`` runs in a QThread worker; the status bar shows progress."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QWidget

BACKGROUND_NICENESS = 10


def lower_thread_priority() -> bool:
    """Run this thread, and the extraction processes it starts, below the window's priority (Linux, where
    niceness is per thread and inherited by the processes a thread starts): on a machine with few cores the
    extraction would otherwise take the processor from the window for tens of milliseconds at a time."""
    if not sys.platform.startswith("linux") or not hasattr(os, "setpriority"):
        return False
    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, max(current, BACKGROUND_NICENESS))
    except OSError:
        return False
    return True


class ImportWorker(QObject):
    """Runs one batch; lives in its own thread. Progress events arrive as dicts (done, total, file, …)."""

    progress = Signal(object)
    finished = Signal(object)

    def __init__(self, store_path: Path, paths: list[Path], cancel: threading.Event, **options) -> None:
        super().__init__()
        self.store_path = store_path
        self.paths = paths
        self.cancel = cancel
        self.options = options

    @Slot()
    def run(self) -> None:
        from imrdesk.store.importer import import_paths

        lower_thread_priority()
        try:
            result = import_paths(
                self.store_path, self.paths, progress=self.progress.emit, cancel=self.cancel, **self.options
            )
        except Exception as exc:  # the batch itself broke (disk full, database locked…): report, don't crash
            result = {
                "imported": 0,
                "duplicates": 0,
                "failed": [],
                "cancelled": self.cancel.is_set(),
                "error": f"{type(exc).__name__}: {exc}",
            }
        self.finished.emit(result)


class ImportController(QObject):
    """Starts, follows and cancels one import at a time."""

    started = Signal(int)  # number of files
    progress = Signal(object)
    finished = Signal(object)

    def __init__(self, store_path: Path, parent: QObject | None = None, **options) -> None:
        super().__init__(parent)
        self.store_path = store_path
        self.options = {"workers": 2, "timeout": 60, **options}
        self._thread: QThread | None = None
        self._worker: ImportWorker | None = None
        self._cancel = threading.Event()
        self.total = 0

    def is_running(self) -> bool:
        return self._thread is not None

    def start(self, paths: list[Path]) -> bool:
        if self.is_running() or not paths:
            return False
        self._cancel = threading.Event()
        self.total = len(paths)
        thread = QThread(self)
        thread.setObjectName("imrdesk-import")
        worker = ImportWorker(self.store_path, list(paths), self._cancel, **self.options)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self.progress)
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        worker.finished.connect(self._on_finished)
        self._thread, self._worker = thread, worker
        thread.start()
        self.started.emit(len(paths))
        return True

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the worker thread ends (closing the window mid-import)."""
        if self._thread is None:
            return True
        return self._thread.wait(msecs)

    def _on_finished(self, result: dict) -> None:
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        if thread is not None:
            thread.wait()
            thread.deleteLater()
        if worker is not None:
            worker.deleteLater()
        self.finished.emit(result)


class ImportProgress(QWidget):
    """Status-bar widget: what is being imported, a progress bar, Cancel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importProgress")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 4, 0)
        row.setSpacing(8)
        self.label = QLabel("", self)
        self.label.setObjectName("importLabel")
        self.label.setMinimumWidth(260)
        self.bar = QProgressBar(self)
        self.bar.setObjectName("importBar")
        self.bar.setFixedWidth(220)
        self.bar.setTextVisible(True)
        self.bar.setFormat("%v / %m")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelImport")
        self.cancel_button.setToolTip("Stop the import; letters already imported stay")
        self.cancel_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        row.addWidget(self.label)
        row.addWidget(self.bar)
        row.addWidget(self.cancel_button)
        self.setVisible(False)

    def begin(self, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(0)
        self.label.setText(f"Importing {total} file{'s' if total != 1 else ''}…")
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self.setVisible(True)

    def update_event(self, event: dict) -> None:
        total = int(event.get("total") or self.bar.maximum() or 1)
        done = int(event.get("done") or 0)
        if self.bar.maximum() != total:
            self.bar.setMaximum(total)
        self.bar.setValue(min(done, total))
        name = Path(str(event.get("file") or "")).name
        if name and self.cancel_button.isEnabled():
            self.label.setText(f"Importing {name}")
            self.label.setToolTip(str(event.get("file")))

    def cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self.label.setText("Cancelling the import…")

    def end(self) -> None:
        self.setVisible(False)
