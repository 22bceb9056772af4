"""Start check for builds: ``imrdesk --smoke-gui MS`` (a hidden option).

Starts the QApplication and the reviewer's main window as ``run_gui`` does (a plain QMainWindow while
``imrdesk.ui.main_window`` does not exist), renders a sample page with pdfium, prints
``smoke-gui: shown <unix time>`` the moment the window is first exposed, and quits after MS milliseconds.
Exit status 0 only if the window was shown. Qt's platform defaults to ``offscreen`` here (set
QT_QPA_PLATFORM to try another). The database (unless ``--db`` is given) and the window's settings are
throw-away files. IMRDESK_SMOKE_SHOT=FILE.png saves a picture of the window. A windowed Windows exe has
no stdout: there, only the exit status tells.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import tempfile
import time


def _resource_path(*parts: str):
    """The app's own resource lookup (imrdesk.ui.resources), which is what a frozen build must satisfy."""
    try:
        from .resources import resource_path
    except ImportError:  # not written yet: the same rule (sys._MEIPASS when frozen, else the checkout)
        from pathlib import Path

        base = getattr(sys, "_MEIPASS", None) or Path(__file__).resolve().parents[2]
        return Path(base, "resources", *parts)
    return resource_path(*parts)


def _say(message: str) -> None:
    print(f"smoke-gui: {message}", flush=sys.stdout is not None)


def _optional_module(name: str):
    """``imrdesk.ui.<name>``, or None while that module does not exist (a bare extractor build)."""
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.{name}":
            raise
        return None


def _main_window(app, tmp: str, db: str | None):
    """The app's real main window (styled as ``run_gui`` styles it) on a throw-away database and
    settings file, or a plain QMainWindow while the UI has none."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMainWindow

    ui_app = _optional_module("app")
    if ui_app is not None and hasattr(ui_app, "configure"):
        ui_app.configure(app)
    main_window = _optional_module("main_window")
    factory = getattr(main_window, "MainWindow", None)
    if factory is None:
        return QMainWindow(), "QMainWindow"
    kwargs = {}
    if "settings" in inspect.signature(factory).parameters:
        kwargs["settings"] = QSettings(os.path.join(tmp, "smoke.ini"), QSettings.Format.IniFormat)
    window = factory(db or os.path.join(tmp, "smoke.db"), **kwargs)
    return window, type(window).__name__


def _render_sample() -> str:
    """Render page 1 of the first sample PDF (or a blank page) with pdfium: proves the native library loads."""
    import pypdfium2 as pdfium

    samples = _resource_path("samples")
    pdfs = sorted(samples.glob("*.pdf")) if samples.is_dir() else []
    doc = pdfium.PdfDocument(str(pdfs[0]), password="") if pdfs else pdfium.PdfDocument.new()
    try:
        page = doc[0] if pdfs else doc.new_page(200, 200)
        bitmap = page.render(scale=0.5)
        size = f"{bitmap.width}x{bitmap.height}"
        bitmap.close()
        page.close()
    finally:
        doc.close()
    return f"{pdfs[0].name if pdfs else 'blank'}@{size}"


def smoke_gui(ms: int, db: str | None = None) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QObject, QTimer, qVersion
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    shown: list[float] = []

    class ExposeWatch(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Expose and not shown and obj.isExposed():
                shown.append(time.time())
                _say(f"shown {shown[0]:.3f}")
            return False

    with tempfile.TemporaryDirectory(prefix="imrdesk-smoke-", ignore_cleanup_errors=True) as tmp:
        window, kind = _main_window(app, tmp, db)
        icon = QIcon(str(_resource_path("icons", "imrdesk.png")))
        if not icon.isNull():
            window.setWindowIcon(icon)
        window.resize(1000, 700)
        watch = ExposeWatch()
        window.winId()  # create the native window now, so its expose event can be watched
        window.windowHandle().installEventFilter(watch)
        window.show()
        QTimer.singleShot(max(0, ms), app.quit)
        app.exec()
        shot = os.environ.get(
            "IMRDESK_SMOKE_SHOT"
        )  # a PNG of the window as it stood, for a person to look at
        if shot and shown:
            window.grab().save(shot)
        pdf = _render_sample()
        window.close()
        window.deleteLater()
        app.processEvents()
    if not shown:
        _say(f"FAILED: the {kind} window was never exposed within {ms} ms")
        return 1
    _say(
        f"ok window={kind} platform={app.platformName()} qt={qVersion()} "
        f"icon={'ok' if not icon.isNull() else 'missing'} pdfium={pdf} utf8={sys.flags.utf8_mode}"
    )
    return 0
