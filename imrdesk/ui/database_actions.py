"""The database file from the window: back it up while it is open, open another one, show its folder, and
check it in the background after opening (a damaged file is opened to read only, and the reviewer told)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox

from .plain import shown_as_written

if TYPE_CHECKING:  # pragma: no cover
    from .main_window import MainWindow

DB_FILTER = "imrdesk databases (*.db *.sqlite *.sqlite3);;All files (*)"


class DatabaseActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.problems: list[str] | None = None  # what the integrity check found (None: not yet checked)

    def check_in_background(self) -> None:
        """SQLite's quick check on the runner's own connection (it reads the whole file); the window's
        store takes its result, so a damaged file is never written and the reviewer is told why."""
        self.window.tasks.submit("verify", lambda store, _task: store.verify(), done=self._checked)

    def _checked(self, problems: list[str]) -> None:
        w = self.window
        self.problems = list(problems)
        w.store.verify(self.problems)
        if problems:
            QMessageBox.warning(
                w,
                "The database is damaged",
                shown_as_written(
                    f"{w.db_path.name} is damaged, so imrdesk will not write to it: nothing more can be lost. "
                    "Make a copy now (File › Back up database…); what can still be read stays readable."
                    "\n\nWhat SQLite found:\n" + "\n".join(problems[:5])
                ),
            )

    def backup(self, dest: str | Path | None = None) -> None:
        """A consistent copy of the database while it is open (SQLite's online backup), in the background."""
        w = self.window
        if dest is None:
            stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
            default = str(Path(w.last_folder()) / f"{w.db_path.stem}-backup-{stamp}.db")
            chosen, _ = QFileDialog.getSaveFileName(w, "Back up the database", default, DB_FILTER)
            if not chosen:
                return
            dest = chosen
        dest = Path(dest)
        w.statusBar().showMessage(f"Backing up the database to {dest}…")

        def done(path: Path) -> None:
            w.statusBar().showMessage(f"Backed up the database to {path}.", 8000)

        def failed(exc: BaseException) -> None:
            w.statusBar().clearMessage()
            QMessageBox.warning(
                w, "Backup failed", shown_as_written(f"The backup could not be written:\n{exc}")
            )

        w.tasks.submit("backup", lambda store, _task: store.backup(dest), done=done, failed=failed)

    def open_database(self, path: str | Path | None = None):
        """Open another database in a new window (this one closes): the reviewer's own file, a colleague's
        copy, a backup. Returns the new window (None when nothing was chosen or it could not be opened)."""
        from imrdesk.store import Store, StoreError

        w = self.window
        if path is None:
            path, _ = QFileDialog.getOpenFileName(w, "Open a database", str(w.db_path.parent), DB_FILTER)
            if not path:
                return None
        try:
            Store(path).close()  # refused here, with its reason, rather than half-way through a window
        except StoreError as exc:
            QMessageBox.warning(w, "Cannot open the database", shown_as_written(str(exc)))
            return None
        other = type(w)(path, w.settings)  # a window like this one (no import of the window module: no cycle)
        other.show()
        w.close()
        return other

    def show_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.window.db_path.parent)))
