"""Errors nobody caught: written to the log and shown in a dialog whose details can be copied and sent.

Without this, an exception in a handler of the windowed program is printed to a console that does not
exist: the reviewer sees nothing happen and nothing is kept. ``install_crash_handling`` replaces
``sys.excepthook`` (PySide6 hands exceptions raised in slots and event handlers to it) and
``threading.excepthook``: each error is logged with its traceback, then the :class:`CrashDialog` shows
what happened, the details (version, platform, traceback) as plain text to copy, and the log's path. The
window goes on: what was already saved stays saved, and the dialog says so.
"""

from __future__ import annotations

import platform
import sys
import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from imrdesk import __version__
from imrdesk.services.logs import log_exception

from .plain import plain_label


def crash_details(exc_type, exc, tb) -> str:
    """What a developer needs, as plain text: version, platform, the traceback."""
    lines = [
        f"imrdesk {__version__}",
        f"Python {platform.python_version()} on {platform.platform()}",
        "",
        *traceback.format_exception(exc_type, exc, tb),
    ]
    return "\n".join(line.rstrip("\n") for line in lines)


class CrashDialog(QDialog):
    """An unexpected error: what happened, copyable details, where the log is."""

    def __init__(
        self, summary: str, details: str, log_path: Path | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle("Something went wrong — imrdesk")
        self.resize(640, 420)
        self.details = details
        self.log_path = log_path
        layout = QVBoxLayout(self)
        intro = plain_label(
            "imrdesk met an error it did not expect. Everything already saved is kept; you can go on "
            "working, or close and reopen the window.\n\n" + summary,
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("crashDetails")
        self.text.setReadOnly(True)
        self.text.setPlainText(details)
        layout.addWidget(self.text, 1)
        where = f"The log file is {log_path}" if log_path else "No log file could be written."
        self.log_label = plain_label(where + " — send it with the details to whoever supports imrdesk.", self)
        self.log_label.setWordWrap(True)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.log_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("Copy details", self)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        if log_path:
            self.folder_button = QPushButton("Open log folder", self)
            self.folder_button.clicked.connect(
                lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(log_path).parent)))
            )
            buttons.addButton(self.folder_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        text = self.details + (f"\n\nLog file: {self.log_path}" if self.log_path else "")
        QGuiApplication.clipboard().setText(text)


class CrashHandler(QObject):
    """Owns the hooks; errors from other threads reach the GUI thread through ``_report``."""

    _report = Signal(str, str)

    def __init__(self, app: QApplication, log_path: Path | None) -> None:
        super().__init__(app)
        self.log_path = log_path
        self.dialog: CrashDialog | None = None
        self.shown = 0
        self._report.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self._previous = (sys.excepthook, threading.excepthook)

    def excepthook(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._previous[0](exc_type, exc, tb)
            return
        self._handle(exc_type, exc, tb, "the window")

    def thread_hook(self, args) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "a thread"
        self._handle(args.exc_type, args.exc_value, args.exc_traceback, f"background work ({name})")

    def _handle(self, exc_type, exc, tb, where: str) -> None:
        try:
            log_exception(exc_type, exc, tb, where=where)
        except Exception:  # a log that cannot be written must not hide the error
            pass
        summary = f"{exc_type.__name__} in {where}: {exc}"[:500]
        self._report.emit(summary, crash_details(exc_type, exc, tb))  # queued: shown by the GUI thread

    def _show(self, summary: str, details: str) -> None:
        self.shown += 1
        if self.dialog is not None and self.dialog.isVisible():
            # one dialog at a time: a burst of errors (a handler failing on every repaint) adds its details
            self.dialog.details += "\n\n" + details
            self.dialog.text.setPlainText(self.dialog.details)
            return
        parent = QApplication.activeWindow()
        self.dialog = CrashDialog(summary, details, self.log_path, parent)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog.destroyed.connect(self._forget)
        self.dialog.show()

    def _forget(self) -> None:
        self.dialog = None

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous


def install_crash_handling(app: QApplication, log_path: Path | None) -> CrashHandler:
    """Log and show every uncaught error of the window's process (see the module's docstring)."""
    handler = CrashHandler(app, log_path)
    sys.excepthook = handler.excepthook
    threading.excepthook = handler.thread_hook
    app.crash_handler = handler  # kept alive with the application
    return handler
