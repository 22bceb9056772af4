"""Helpers the window tests share (a module, not a fixture file: imported by name like ``pdfgen``)."""

from __future__ import annotations


def show_main_window(qtbot, db, settings_file, *, size=(1400, 900), active=True, **options):
    """A reviewer's window on ``db`` with its own settings file, shown (and, with ``active``, focused) the
    way the window tests drive it."""
    from PySide6.QtCore import QSettings

    from imrdesk.ui.main_window import MainWindow

    window = MainWindow(db, QSettings(str(settings_file), QSettings.Format.IniFormat), **options)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    if active:
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    return window
