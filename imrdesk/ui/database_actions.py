"""The database file from the window: back it up while it is open, open another one, show its folder, and
check it in the background after opening (a damaged file is opened to read only, and the reviewer told and
offered its recovery into a new file, which then opens)."""

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


LARGE_FILE = 256 * 2**20  # above this, the check runs beside the first edits (half a second and more)


class DatabaseActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.problems: list[str] | None = None  # what the integrity check found (None: not yet checked)
        self.offer: QMessageBox | None = None  # the damaged file's message, with its recovery button
        self.recover_button = None
        self.recovered = None  # the window on the recovered database, once it opened

    def check_in_background(self) -> None:
        """SQLite's quick check on the runner's own connection (it reads the whole file); the window's
        store takes its result, so a damaged file is never written and the reviewer is told why. On a large
        file (the check takes about 2 ms a MB: most of a minute at a million letters) the reviewer's first
        edits do not wait for it: writes are refused from the moment it finds damage."""
        w = self.window
        if w.db_path.stat().st_size > LARGE_FILE:
            w.store.defer_check()
        w.tasks.submit("verify", lambda store, _task: store.verify(), done=self._checked)

    def _checked(self, problems: list[str]) -> None:
        w = self.window
        self.problems = list(problems)
        w.store.verify(self.problems)
        if problems:
            # open(), not exec(): modal to this window only, and no nested event loop while it shows
            box = self.offer = QMessageBox(
                QMessageBox.Icon.Warning,
                "The database is damaged",
                shown_as_written(
                    f"{w.db_path.name} is damaged, so imrdesk will not write to it: nothing more can be lost. "
                    "Make a copy now (File › Back up database…); what can still be read stays readable. "
                    "Recovery copies everything that can still be read into a new file and opens it; "
                    f"{w.db_path.name} itself is not changed."
                    "\n\nWhat SQLite found:\n" + "\n".join(problems[:5])
                ),
                QMessageBox.StandardButton.Close,
                w,
            )
            self.recover_button = box.addButton("Recover into a new file…", QMessageBox.ButtonRole.AcceptRole)
            box.setDefaultButton(self.recover_button)
            box.buttonClicked.connect(lambda button: button is self.recover_button and self.recover())
            box.open()

    def recover(self, dest: str | Path | None = None) -> None:
        """Copy what can still be read from the (damaged) database into a new file on the task runner, then
        open it in a new window with the report of what was recovered and lost."""
        from imrdesk.store.recover import default_destination, recover

        w = self.window
        source = w.db_path
        asked = dest is None  # a file chosen in the dialog may be replaced: the dialog asked first
        if dest is None:
            chosen, _ = QFileDialog.getSaveFileName(
                w, "Recover into a new file", str(default_destination(source)), DB_FILTER
            )
            if not chosen:
                return
            dest = chosen
        dest = Path(dest)
        w.statusBar().showMessage(f"Recovering {source.name} into {dest.name}…")

        def progress(payload) -> None:
            stage, done, total = payload
            what = "letters rebuilt" if stage == "letters" else "tables copied"
            w.statusBar().showMessage(f"Recovering {source.name}: {done} of {total} {what}…")

        def done(report) -> None:
            w.statusBar().clearMessage()
            self.recovered = self.open_database(report.dest)
            QMessageBox.information(
                self.recovered or w, "Database recovered", shown_as_written("\n".join(report.lines()))
            )

        def failed(exc: BaseException) -> None:
            w.statusBar().clearMessage()
            QMessageBox.warning(w, "Recovery failed", shown_as_written(f"Nothing was recovered:\n{exc}"))

        def job(_store, task):
            return recover(  # never into the damaged file itself
                source,
                dest,
                replace=asked,
                progress=lambda stage, n, total: task.progress((stage, n, total)),
                cancelled=task.stop.is_set,
            )

        w.tasks.submit("recover", job, done=done, failed=failed, progress=progress, store=False)

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
