"""The reviewer's window: documents list | page viewer | field panel, menus, import, export, review keys."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QSplitter,
    QStackedWidget,
)

from imrdesk.record import error_message, field_label, field_provenance, needs_check
from imrdesk.services.review import Change
from imrdesk.store import Store, StoreError

from .database_actions import DatabaseActions
from .dataset_files import DatasetFiles
from .dialogs import HistoryDialog, ShortcutsDialog
from .doclist import DocumentList
from .empty import EmptyState
from .fields import FieldPanel
from .icons import app_icon
from .importing import ImportController, ImportProgress
from .page_selection import PageText
from .plain import plain_label, shown_as_written
from .resources import sample_letters
from .review_flow import ReviewFlow
from .tasks import TaskRunner
from .viewer import PageViewer
from .warmup import warm_up
from .window_menus import build_actions, build_menus
from .window_state import PAGE_ROOM, keep_page_room, reopen_last, restore_window, save_window, toggle_list


class MainWindow(QMainWindow):
    def __init__(
        self,
        db_path: str | Path,
        settings: QSettings | None = None,
        *,
        import_options: dict | None = None,
    ) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.store = Store(self.db_path)
        self.settings = settings if settings is not None else QSettings("imrdesk", "imrdesk")
        self.doc_id: int | None = None
        self.record: dict | None = None
        self.info: dict | None = None
        self.last_import: dict | None = None
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setMinimumSize(900, 560)

        self.review = ReviewFlow(self)
        self.tasks = TaskRunner(self.db_path, self)
        self.importer = ImportController(self.tasks, self, **(import_options or {}))
        self.files = DatasetFiles(self)
        self.database = DatabaseActions(self)

        self._build_widgets()
        self.page_text = PageText(self)  # page to field: click a value's word, select words, Ctrl+C, Ctrl+E
        build_actions(self)
        build_menus(self)
        self._connect()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(600)
        self._refresh_timer.timeout.connect(self.refresh_documents)
        self._restore_settings()
        self.documents.set_store(self.store, self.settings, self.tasks)
        self._update_central()
        reopen_last(self)
        self.database.check_in_background()  # a damaged file is then never written
        QTimer.singleShot(2000, self, warm_up)  # the charts' modules, before Insights is opened
        self.documents.view.setFocus(Qt.FocusReason.OtherFocusReason)
        self._update_title()
        self._update_actions()

    # ------------------------------------------------------------------ construction

    def _build_widgets(self) -> None:
        self.documents = DocumentList(self)
        self.viewer = PageViewer(self)
        self.panel = FieldPanel(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(True)  # the list folds away on a small screen (Ctrl+L)
        self.splitter.setHandleWidth(1)
        for widget, minimum in ((self.documents, 240), (self.viewer, 320), (self.panel, 360)):
            widget.setMinimumWidth(minimum)
            self.splitter.addWidget(widget)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        for index in (1, 2):
            self.splitter.setCollapsible(index, False)
        self.splitter.setSizes([420, 480, 500])

        self.splitter.ensurePolished()  # styled now, not in the middle of the first import
        self.empty = EmptyState(len(sample_letters()), self)
        self.central = QStackedWidget(self)
        self.central.addWidget(self.empty)
        self.central.addWidget(self.splitter)
        self.setCentralWidget(self.central)

        self.drop_overlay = QLabel("Drop letters or folders to import them", self.central)
        self.drop_overlay.setObjectName("dropOverlay")
        self.drop_overlay.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_overlay.setVisible(False)

        self.import_progress = ImportProgress(self)
        self.db_label = plain_label(self.db_path.name, self)
        self.db_label.setObjectName("dbLabel")
        self.db_label.setToolTip(shown_as_written(f"Database: {self.db_path}"))
        self.statusBar().addPermanentWidget(self.import_progress)
        self.statusBar().addPermanentWidget(self.db_label)
        self.statusBar().setSizeGripEnabled(False)

    def _connect(self) -> None:
        self.documents.doc_selected.connect(self._on_doc_selected)
        self.documents.bulk_requested.connect(self.review.bulk)
        self.panel.field_focused.connect(self._on_field_focused)
        self.panel.value_committed.connect(lambda path, value: self.review.commit_value(path, value))
        self.panel.invalid_value.connect(lambda _p, message: self.statusBar().showMessage(message, 6000))
        self.panel.history_requested.connect(self.show_history)
        self.panel.accept_requested.connect(lambda path: self.review.accept_and_next(path))
        self.panel.locate_requested.connect(self._on_field_focused)
        self.panel.status_requested.connect(self.review.set_status)
        self.panel.dismiss_requested.connect(self.review.dismiss_finding)
        self.panel.restore_requested.connect(self.review.restore_finding)
        self.empty.import_samples.connect(self.files.import_samples)
        self.empty.choose_files.connect(self.files.import_files)
        self.empty.choose_folder.connect(self.files.import_folder)
        self.import_progress.cancel_button.clicked.connect(self.cancel_import)

    # ------------------------------------------------------------------ settings

    def _restore_settings(self) -> None:
        restore_window(self)

    def save_settings(self) -> None:
        save_window(self)

    def last_folder(self) -> str:
        folder = self.settings.value("folders/last", "")
        return str(folder) if folder and Path(str(folder)).is_dir() else str(Path.home())

    def _remember_folder(self, path: str | Path) -> None:
        p = Path(path)
        self.settings.setValue("folders/last", str(p if p.is_dir() else p.parent))

    # ------------------------------------------------------------------ documents

    def show_selection_menu(self) -> None:
        """The work on the selected letters (also the list's right-click menu), under the list."""
        ids = self.documents.selected_ids()
        if not ids:
            self.statusBar().showMessage("Select letters in the list first (Shift/Ctrl+click).", 4000)
            return
        menu = self.documents.bulk_menu(ids)
        self.selection_menu = menu
        menu.popup(self.documents.view.mapToGlobal(self.documents.view.rect().center()))

    PAGE_ROOM = PAGE_ROOM

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        keep_page_room(self)

    def toggle_list(self) -> None:
        """Fold the documents list away to give the page room, or show it again (Ctrl+L)."""
        toggle_list(self)

    def refresh_documents(self) -> None:
        self.documents.refresh()
        self._update_central()
        if self.doc_id is None and self.documents.doc_ids():
            if self.importer.is_running():
                # Letters arrive while an import runs: the reviewer picks one (opening one now would hold
                # the window up while the import competes for the processor); the first opens at the end.
                self.viewer.show_message("Importing letters…\n\nSelect one in the list to start reviewing.")
            else:
                # On the next turn of the event loop: the list (perhaps shown for the first time) paints
                # first, so neither step holds the window up for long.
                QTimer.singleShot(20, self, self._open_first)

    def _open_first(self) -> None:
        if self.doc_id is None:
            self.documents.select_row(0)

    def _update_central(self) -> None:
        has_letters = self.store.lists.size() > 0 or self.store.count_documents() > 0  # (failed, removed)
        self.central.setCurrentWidget(self.splitter if has_letters else self.empty)

    def _on_doc_selected(self, doc_id: int) -> None:
        if doc_id < 0:
            if not self.documents.select_row(0):
                self.close_document()
            return
        self.open_document(doc_id)

    def open_document(self, doc_id: int) -> None:
        """Show a letter: its pages, its fields; its own undo history becomes active."""
        if doc_id == self.doc_id:
            return
        self.panel.commit_pending()
        try:
            record = self.store.record(doc_id)
            info = self.store.document_info(doc_id)
            data = self.store.document_bytes(doc_id)
        except KeyError:
            self.refresh_documents()
            return
        except StoreError as exc:  # a damaged page: say so where the letter would be
            self.close_document()
            self.viewer.show_message(f"This letter cannot be read from the database.\n\n{exc}")
            return
        self.doc_id, self.record, self.info = doc_id, record, info
        if self.documents.current_doc_id() != doc_id:
            self.documents.select_doc(doc_id)
        error = record.get("error") or info.get("error")
        title = info.get("file_name") or ""
        if not data:
            self.viewer.show_message(error_message(error) or "The file is empty.")
        elif self.viewer.show_letter(info.get("kind") or "pdf", data, title) is not None:
            self.viewer.show_message(
                "This letter cannot be displayed.\n\n" + (error_message(error) or "The file is damaged.")
            )
        editing = self.panel.isAncestorOf(QApplication.focusWidget())
        self.panel.set_record(
            record, notes=info.get("notes") or [], dismissed=self._dismissed(doc_id, record)
        )
        if (
            editing
        ):  # a new letter never opens with the cursor in one of its values: a stray key edits nothing
            self.documents.view.setFocus(Qt.FocusReason.OtherFocusReason)
        self._update_title()
        self._update_actions()

    def _dismissed(self, doc_id: int, record: dict) -> list[dict]:
        """The letter's dismissed findings whose rule still fires (shown muted, with Restore)."""
        try:
            return [d for d in self.store.dismissed_findings(doc_id, record) if d["active"]]
        except KeyError:
            return []

    def close_document(self) -> None:
        self.doc_id = self.record = self.info = None
        self.viewer.clear()
        self.panel.set_record(None)
        self._update_title()
        self._update_actions()

    def _update_title(self) -> None:
        if self.record:
            name = self.record.get("case_number") or (self.info or {}).get("file_name") or "letter"
            self.setWindowTitle(f"{name} — imrdesk")
        else:
            self.setWindowTitle("imrdesk")

    def _update_actions(self) -> None:
        has = self.record is not None
        history = self.review.history()
        # Undo stays enabled with a letter open: it also throws away typing not yet saved.
        self.act_undo.setEnabled(has)
        self.act_redo.setEnabled(bool(history and history.can_redo()))
        self.act_undo.setText(f"&Undo {history.undo_text()}" if history and history.can_undo() else "&Undo")
        self.act_redo.setText(f"&Redo {history.redo_text()}" if history and history.can_redo() else "&Redo")
        for action in (self.act_history, self.act_accept, self.act_next_check, self.act_prev_check):
            action.setEnabled(has)
        for action in (self.act_reviewed, self.act_flag):
            action.setEnabled(has and not (self.record or {}).get("error"))

    def step_document(self, delta: int) -> bool:
        self.panel.commit_pending()
        if not self.documents.step(delta):
            self.statusBar().showMessage("No more letters in this list.", 3000)
            return False
        return True

    def focus_search(self) -> None:
        if self.central.currentWidget() is self.splitter:
            self.documents.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.documents.search.selectAll()

    def show_tab(self, index: int) -> None:
        if self.record is not None:
            self.panel.tabs.setCurrentIndex(index)

    # ------------------------------------------------------------------ fields & corrections

    def _on_field_focused(self, path: str) -> None:
        if self.record is None:
            return
        if not self._show_field(path, scroll=True) and self.viewer.view.page_count:
            self.statusBar().showMessage(f"{field_label(path)}: not found in the letter.", 3000)

    def _show_field(self, path: str, *, scroll: bool) -> bool:
        """Highlight a value's words on the page (warning colour while it still needs a check)."""
        prov = field_provenance(self.record, path)
        self.viewer.view.show_boxes(prov, low=needs_check(self.record, path), scroll=scroll)
        return prov is not None

    def write_value(self, doc_id: int, path: str, value, *, clear: bool = False) -> bool:
        """Write (or, with ``clear``, drop) a reviewer's value through the review service (undoable)."""
        return self.review.write_value(doc_id, path, value, clear=clear)

    def show_change(self, change: Change) -> None:
        """Show what a review operation did: the letter's row, and its fields when it is the open letter."""
        self._show_record(change.doc_id, change.record)

    def _reload(self, doc_id: int) -> None:
        try:
            record = self.store.record(doc_id) if doc_id == self.doc_id else None
        except KeyError:
            return
        self._show_record(doc_id, record)

    def _show_record(self, doc_id: int, record: dict | None) -> None:
        try:
            info = self.store.document_info(doc_id)
        except KeyError:
            return
        self.documents.update_row(info)
        if doc_id != self.doc_id or record is None:
            return
        self.record = record
        self.info = info
        self.panel.update_record(
            self.record, notes=info.get("notes") or [], dismissed=self._dismissed(doc_id, self.record)
        )
        current = self.panel.current_path()
        if current:
            self._show_field(current, scroll=False)
        self._update_title()
        self._update_actions()

    def undo(self) -> None:
        self.review.undo()

    def redo(self) -> None:
        self.review.redo()

    def show_history(self, path: str | None = None) -> None:
        if self.doc_id is None:
            return
        path = path or self.panel.current_path()
        if not path:
            self.statusBar().showMessage("Select a field first, then Ctrl+H shows its history.", 4000)
            return
        rows = self.store.value_history(self.doc_id, path)
        dialog = HistoryDialog(path, rows, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.history_dialog = dialog
        dialog.open()

    # ------------------------------------------------------------------ keyboard review (review_flow.py)

    def next_check(self, direction: int = 1) -> str | None:
        return self.review.next_check(direction)

    # ------------------------------------------------------------------ import and export (dataset_files.py)

    def start_import(self, paths) -> bool:
        return self.files.start_import(paths)

    def open_files(self, paths) -> bool:
        """Letters from outside (``imrdesk FILE...``, Explorer, a second launch): import, open the first."""
        from .single_instance import FileOpener

        if getattr(self, "file_opener", None) is None:
            self.file_opener = FileOpener(self)
        return self.file_opener.open(paths)

    def cancel_import(self) -> None:
        self.files.cancel_import()

    def export_dialog(self, fmt: str) -> None:
        self.files.export_dialog(fmt)

    # ------------------------------------------------------------------ help

    def show_insights(self) -> None:
        """The insights window (one, kept; counted again each time it is shown)."""
        from .insights_view import InsightsWindow  # matplotlib loads here, not at start-up

        self.panel.commit_pending()
        if getattr(self, "insights_window", None) is None:
            self.insights_window = InsightsWindow(self.db_path, self, tasks=self.tasks)
        win = self.insights_window
        win.refresh()
        win.show()
        win.raise_()
        win.activateWindow()

    def show_shortcuts(self) -> None:
        dialog = ShortcutsDialog(self.menus, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.shortcuts_dialog = dialog
        dialog.open()

    # ------------------------------------------------------------------ drag and drop

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
            self.drop_overlay.setGeometry(self.central.rect().adjusted(16, 16, -16, -16))
            self.drop_overlay.raise_()
            self.drop_overlay.setVisible(True)

    def dragLeaveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.drop_overlay.setVisible(False)

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.drop_overlay.setVisible(False)
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self._remember_folder(paths[0])
            self.start_import(paths)

    # ------------------------------------------------------------------ closing

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.panel.commit_pending()
        if self.importer.is_running():
            self.importer.cancel()
            self.importer.wait(30000)
        self.tasks.close()
        self.save_settings()
        self.documents.detach()
        self.viewer.clear()
        self.store.close()
        super().closeEvent(event)
