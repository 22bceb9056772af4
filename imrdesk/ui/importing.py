"""Imports in the background: ``import_paths`` runs as a job of the window's task runner; the status bar
shows progress."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QSizePolicy, QWidget

from imrdesk.record.types import ImportSummary

from .plain import plain_label, shown_as_written
from .tasks import TaskRunner

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


class ImportController(QObject):
    """Starts, follows and cancels one import at a time, as a job of the window's task runner (the import
    runs its own worker processes; this thread only schedules them and stores their records)."""

    KEY = "import"
    started = Signal(int)  # number of files
    progress = Signal(object)  # ImportEvent
    finished = Signal(object)  # ImportSummary

    def __init__(self, runner: TaskRunner, parent: QObject | None = None, **options) -> None:
        super().__init__(parent)
        self.runner = runner
        self.options = {"workers": 2, "timeout": 60, **options}
        self.total = 0

    def is_running(self) -> bool:
        return self.runner.is_running(self.KEY)

    def start(self, paths: list[Path]) -> bool:
        if self.is_running() or not paths:
            return False
        self.total = len(paths)
        self.runner.submit(
            self.KEY,
            lambda store, task: self._run(store, task, list(paths)),
            done=self.finished.emit,
            progress=self.progress.emit,
        )
        self.started.emit(len(paths))
        return True

    def _run(self, store, task, paths: list[Path]) -> ImportSummary:
        """In the runner's thread: the batch, with the letters' progress sent to the window."""
        from imrdesk.services.importing import import_paths

        lower_thread_priority()
        try:
            return import_paths(store, paths, progress=task.progress, cancel=task.stop, **self.options)
        except Exception as exc:  # the batch itself broke (disk full, database locked…): report, don't crash
            return {
                "imported": 0,
                "duplicates": 0,
                "failed": [],
                "cancelled": task.stop.is_set(),
                "error": f"{type(exc).__name__}: {exc}",
            }

    def reextract(self, doc_ids: list[int]) -> bool:
        """Read stored letters again (after an upgrade), isolated like an import; same progress and end."""
        if self.is_running() or not doc_ids:
            return False
        self.total = len(doc_ids)
        self.runner.submit(
            self.KEY,
            lambda store, task: self._reextract(store, task, list(doc_ids)),
            done=self.finished.emit,
            progress=self.progress.emit,
        )
        self.started.emit(len(doc_ids))
        return True

    def _reextract(self, store, task, doc_ids: list[int]) -> ImportSummary:
        from imrdesk.services.importing import reextract_documents

        lower_thread_priority()
        try:
            return reextract_documents(
                store, doc_ids, progress=task.progress, cancel=task.stop, **self.options
            )
        except Exception as exc:  # the batch itself broke: report, don't crash
            return {
                "imported": 0,
                "duplicates": 0,
                "failed": [],
                "cancelled": task.stop.is_set(),
                "error": str(exc),
            }

    def cancel(self) -> None:
        """Stop scheduling letters; those already stored stay, and ``finished`` still reports the batch."""
        self.runner.stop(self.KEY)

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the batch ends (closing the window mid-import)."""
        return self.runner.wait(self.KEY, msecs)


class ImportProgress(QWidget):
    """Status-bar widget: what is being imported, a progress bar, Cancel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importProgress")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 4, 0)
        row.setSpacing(8)
        self.label = plain_label("", self)  # file names, as written
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
        if event.get("status") == "reading":  # a page of a scan read by OCR: the letter is not done yet
            if self.cancel_button.isEnabled():
                name = Path(str(event.get("file") or "")).name
                self.label.setText(f"Reading {name} by OCR: page {event.get('page')} of {event.get('pages')}")
            return
        total = int(event.get("total") or self.bar.maximum() or 1)
        done = int(event.get("done") or 0)
        if self.bar.maximum() != total:
            self.bar.setMaximum(total)
        self.bar.setValue(min(done, total))
        name = Path(str(event.get("file") or "")).name
        if name and self.cancel_button.isEnabled():
            self.label.setText(f"Importing {name}")
            self.label.setToolTip(shown_as_written(str(event.get("file"))))

    def cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self.label.setText("Cancelling the import…")

    def end(self) -> None:
        self.setVisible(False)
