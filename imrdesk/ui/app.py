"""Start the reviewer's window: ``run_gui(db=None)`` (``python main.py [--db PATH]``)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QStyleFactory

from imrdesk import APP_NAME, __version__
from imrdesk.services.logs import start_logging

from .crash import install_crash_handling
from .icons import app_icon
from .plain import shown_as_written
from .theme import apply_choice, apply_theme, saved_choice, wanted_dark
from .warmup import freeze_start_up


def configure(app: QApplication, theme: str | None = None) -> None:
    """Application identity, style, palette, stylesheet and icon (shared by the window and the tests).
    ``theme``: "system", "light" or "dark"; by default the reviewer's choice (View › Theme)."""
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    QGuiApplication.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName(APP_NAME)
    fusion = QStyleFactory.create("Fusion")
    if fusion is not None:
        app.setStyle(fusion)
    apply_theme(app, wanted_dark(theme if theme is not None else saved_choice()))
    app.setWindowIcon(app_icon())


def follow_system_theme(app: QApplication) -> None:
    """While the reviewer's choice is "Follow the system", a change of the desktop's scheme applies at once
    (icons too: they are drawn in the theme's colours when shown)."""

    def changed(_scheme) -> None:
        if saved_choice() == "system":
            apply_choice("system")

    QGuiApplication.styleHints().colorSchemeChanged.connect(changed)


def run_gui(db: str | Path | None = None) -> int:
    """Open the window on ``db`` (default: IMRDESK_DB or the user data folder) and run until it closes."""
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_DontCreateNativeWidgetSiblings, True)
    app = QApplication.instance() or QApplication(sys.argv)
    configure(app)
    follow_system_theme(app)
    # an error nobody caught is logged and shown (the windowed program has no console to print it to)
    crashes = install_crash_handling(app, start_logging("window"))

    from imrdesk.store import Store, StoreError

    from .main_window import MainWindow

    path = Path(db).expanduser() if db else Store.default_path()
    try:
        try:
            window = MainWindow(path)
        except StoreError as exc:
            QMessageBox.critical(None, "imrdesk cannot open its database", shown_as_written(str(exc)))
            return 1
        window.show()
        freeze_start_up()
        return app.exec()
    finally:
        crashes.uninstall()
