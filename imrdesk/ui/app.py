"""Start the reviewer's window: ``run_gui(db=None)`` (``python main.py [--db PATH]``)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox, QStyleFactory

from imrdesk import APP_NAME, __version__
from imrdesk.services.logs import start_logging

from .crash import install_crash_handling
from .icons import app_icon
from .plain import shown_as_written
from .resources import resource_path, resource_root


def light_palette() -> QPalette:
    """A calm light palette (the letters are white paper; a dark frame around them tires the eye less
    than a dark theme with white pages in the middle)."""
    p = QPalette()
    roles = QPalette.ColorRole
    colors = {
        roles.Window: "#f4f6f8",
        roles.WindowText: "#1f2937",
        roles.Base: "#ffffff",
        roles.AlternateBase: "#f7f9fb",
        roles.ToolTipBase: "#fffef5",
        roles.ToolTipText: "#1f2937",
        roles.PlaceholderText: "#9aa3af",
        roles.Text: "#1f2937",
        roles.Button: "#f7f8fa",
        roles.ButtonText: "#1f2937",
        roles.BrightText: "#ffffff",
        roles.Highlight: "#2563eb",
        roles.HighlightedText: "#ffffff",
        roles.Link: "#1d4ed8",
        roles.Mid: "#cfd5dd",
        roles.Midlight: "#e5e9ee",
        roles.Dark: "#9aa3af",
        roles.Light: "#ffffff",
        roles.Shadow: "#6b7280",
    }
    for role, color in colors.items():
        p.setColor(role, QColor(color))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.Text, roles.WindowText, roles.ButtonText):
        p.setColor(disabled, role, QColor("#9aa3af"))
    return p


def stylesheet() -> str:
    """resources/style.qss, with ``@resources`` standing for the resources folder (for images)."""
    try:
        text = resource_path("style.qss").read_text(encoding="utf-8")
    except OSError:
        return ""
    return text.replace("@resources", resource_root().as_posix())


def configure(app: QApplication) -> None:
    """Application identity, style, palette, stylesheet and icon (shared by the window and the tests)."""
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    QGuiApplication.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName(APP_NAME)
    fusion = QStyleFactory.create("Fusion")
    if fusion is not None:
        app.setStyle(fusion)
    app.setPalette(light_palette())
    app.setStyleSheet(stylesheet())
    app.setWindowIcon(app_icon())


def run_gui(db: str | Path | None = None) -> int:
    """Open the window on ``db`` (default: IMRDESK_DB or the user data folder) and run until it closes."""
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_DontCreateNativeWidgetSiblings, True)
    app = QApplication.instance() or QApplication(sys.argv)
    configure(app)
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
        return app.exec()
    finally:
        crashes.uninstall()
