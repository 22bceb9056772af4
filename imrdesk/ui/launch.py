"""``imrdesk [--db PATH] [FILE...]``: the window, one per database.

``run_window`` hands the files to the window already open on that database when there is one (and returns
at once), or opens the window (``app.run_gui``), imports the files and opens the first, and from then on
takes the files of later launches (``single_instance``)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import QApplication

from .app import run_gui
from .single_instance import SingleInstance


def run_window(db: str | Path | None = None, files=()) -> int:
    from imrdesk.store import Store

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_DontCreateNativeWidgetSiblings, True)
    app = QApplication.instance() or QApplication(sys.argv)
    instance = SingleInstance(Path(db).expanduser() if db else Store.default_path())
    if instance.hand_over(files):
        return 0

    def attach() -> None:  # on the first turn of the event loop, the window run_gui has just shown
        from .main_window import MainWindow

        window = next((w for w in app.topLevelWidgets() if isinstance(w, MainWindow)), None)
        if window is not None:
            instance.serve(window)
            if files:
                window.open_files(files)

    QTimer.singleShot(0, app, attach)
    try:
        return run_gui(db=db)
    finally:
        instance.close()
