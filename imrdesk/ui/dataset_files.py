"""Letters in and the dataset out: importing files, folders and the samples (progress, cancel, the report
of what failed) and exporting the dataset, both as jobs of the window's task runner."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox

from imrdesk.record.types import ImportEvent, ImportSummary
from imrdesk.services.export import export
from imrdesk.services.letter_files import scan_paths

from .dialogs import ImportReportDialog, import_summary
from .plain import shown_as_written
from .resources import sample_letters
from .window_menus import EXPORTS

if TYPE_CHECKING:  # pragma: no cover
    from .main_window import MainWindow

LETTER_FILTER = "Letters (*.pdf *.PDF *.txt *.TXT *.text);;PDF letters (*.pdf *.PDF);;Text letters (*.txt *.text);;All files (*)"


class DatasetFiles(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._duplicates: list[tuple[str, str]] = []
        self.report_dialog: ImportReportDialog | None = None
        window.importer.progress.connect(self._on_import_progress)
        window.importer.finished.connect(self._on_import_finished)

    def import_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self.window, "Import letters", self.window.last_folder(), LETTER_FILTER
        )
        if paths:
            self.window._remember_folder(paths[0])
            self.start_import(paths)

    def import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.window, "Import every letter in a folder", self.window.last_folder()
        )
        if folder:
            self.window.settings.setValue("folders/last", folder)
            self.start_import([folder])

    def import_samples(self) -> None:
        self.start_import(sample_letters())

    def start_import(self, paths) -> bool:
        if self.window.importer.is_running():
            self.window.statusBar().showMessage(
                "An import is already running; wait for it or cancel it.", 5000
            )
            return False
        try:
            scan = scan_paths([Path(p) for p in paths])
            # what cannot be read goes to the importer too, named: the import report says why it was left out
            files = [*scan.files, *(s.path for s in scan.skipped)]
        except (OSError, ValueError) as exc:
            QMessageBox.warning(self.window, "Nothing imported", shown_as_written(str(exc)))
            return False
        if not files:
            QMessageBox.information(
                self.window, "Nothing to import", "No PDF or text letters were found there."
            )
            return False
        self._duplicates = []
        self.window.import_progress.begin(len(files))
        self.window.importer.start(files)
        return True

    def cancel_import(self) -> None:
        if self.window.importer.is_running():
            self.window.importer.cancel()
            self.window.import_progress.cancelling()

    def _on_import_progress(self, event: ImportEvent) -> None:
        self.window.import_progress.update_event(event)
        if event.get("status") == "duplicate":
            self._duplicates.append((str(event.get("file") or ""), str(event.get("message") or "")))
        if event.get("status") in ("imported", "failed") and not self.window._refresh_timer.isActive():
            self.window._refresh_timer.start()

    def _on_import_finished(self, result: ImportSummary) -> None:
        self.window._refresh_timer.stop()
        self.window.import_progress.end()
        self.window.refresh_documents()
        self.window.last_import = result
        text = import_summary(result)
        self.window.statusBar().showMessage(text, 10000)
        if result.get("failed") or self._duplicates or result.get("error"):
            if self.report_dialog is not None:
                self.report_dialog.close()
            self.report_dialog = ImportReportDialog(result, self._duplicates, self.window)
            self.report_dialog.show()

    def export_dialog(self, fmt: str, ids: list[int] | None = None) -> None:
        """Ask where to write the dataset (``ids``: only those letters — a selection), then write it. With
        ``ids``, the format follows the file name chosen (Excel, CSV or JSON)."""
        label = {"csv": "CSV", "json": "JSON", "xlsx": "Excel"}[fmt]
        pattern = next(p for f, _, p in EXPORTS if f == fmt)
        if ids is not None:
            pattern = ";;".join([pattern, *(p for f, _, p in EXPORTS if f != fmt)])
        what = "the dataset" if ids is None else f"{len(ids)} selected letter{'s' if len(ids) != 1 else ''}"
        default = str(Path(self.window.last_folder()) / f"imr-dataset.{fmt}")
        path, chosen = QFileDialog.getSaveFileName(self.window, f"Export {what} as {label}", default, pattern)
        if not path:
            return
        if ids is not None:
            fmt = next((f for f, _, p in EXPORTS if p == chosen), fmt)
        if not path.lower().endswith("." + fmt):
            path += "." + fmt
        self.window._remember_folder(path)
        self.export_to(path, fmt, ids)

    def reextract(self, ids: list[int]) -> None:
        """Read the selected letters again (after an upgrade), in the background with the import's progress
        bar; corrections stay in force."""
        if self.window.importer.is_running():
            self.window.statusBar().showMessage(
                "An import is already running; wait for it or cancel it.", 5000
            )
            return
        self._duplicates = []
        self.window.import_progress.begin(len(ids))
        self.window.importer.reextract(ids)

    def export_to(self, path: str | Path, fmt: str, ids: list[int] | None = None) -> None:
        """Write the dataset in the background (a large database takes a while); the status bar says when
        it is done, a dialog when it failed (disk full, permission denied, file open in Excel…)."""
        self.window.panel.commit_pending()
        self.window.statusBar().showMessage(f"Exporting the dataset to {path}…")

        def done(count: int) -> None:
            unit = "letter" if fmt == "json" else "row"
            self.window.statusBar().showMessage(
                f"Exported {count} {unit}{'s' if count != 1 else ''} to {path}.", 8000
            )

        def failed(exc: BaseException) -> None:
            self.window.statusBar().clearMessage()
            QMessageBox.warning(
                self.window,
                "Export failed",
                shown_as_written(f"The dataset could not be written to {path}:\n{exc}"),
            )

        self.window.tasks.submit(
            "export", lambda store, _task: export(store, path, fmt, ids=ids), done=done, failed=failed
        )
