"""The reviewer's window: documents list | page viewer | field panel, menus, import, export, review keys."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoGroup, QUndoStack
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
)

from imrdesk.store import Store

from .dialogs import HistoryDialog, ImportReportDialog, ShortcutsDialog, import_summary, show_about
from .doclist import DocumentList
from .empty import EmptyState
from .fields import FieldPanel
from .icons import app_icon, icon
from .importing import ImportController, ImportProgress
from .record import (
    check_queue,
    error_message,
    field_label,
    field_order,
    field_provenance,
    findings_at,
    get_value,
    is_corrected,
    needs_check,
)
from .resources import sample_letters
from .viewer import PageViewer

LETTER_FILTER = "Letters (*.pdf *.PDF *.txt *.TXT *.text);;PDF letters (*.pdf *.PDF);;Text letters (*.txt *.text);;All files (*)"
EXPORTS = (
    ("csv", "CSV…", "CSV files (*.csv)"),
    ("json", "JSON…", "JSON files (*.json)"),
    ("xlsx", "Excel…", "Excel workbooks (*.xlsx)"),
)


class SetValueCommand(QUndoCommand):
    """One correction; undo restores the previous value (or the extracted one, dropping the correction)."""

    def __init__(self, window: MainWindow, doc_id: int, path: str, old, new, was_corrected: bool) -> None:
        super().__init__(f"Edit {field_label(path)}")
        self.window = window
        self.doc_id = doc_id
        self.path = path
        self.old = old
        self.new = new
        self.was_corrected = was_corrected
        self._applied = True  # the window wrote the value before pushing (to validate it first)

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            return
        self.window.write_value(self.doc_id, self.path, self.new)

    def undo(self) -> None:
        if self.was_corrected:
            self.window.write_value(self.doc_id, self.path, self.old)
        else:
            self.window.write_value(self.doc_id, self.path, None, clear=True)


class ReviewCommand(QUndoCommand):
    """A reviewer's verdict on one value: dismiss or restore rule findings about it and/or accept the value
    as it stands (a correction to the same value). Undo takes every part back, in reverse order."""

    def __init__(
        self,
        window: MainWindow,
        doc_id: int,
        path: str,
        text: str,
        *,
        dismissed: tuple[str, ...] = (),
        restored: tuple[str, ...] = (),
        accepted: tuple | None = None,  # (value, was_corrected) when the value was accepted
    ) -> None:
        super().__init__(text)
        self.window = window
        self.doc_id = doc_id
        self.path = path
        self.dismissed = dismissed
        self.restored = restored
        self.accepted = accepted
        self._applied = True  # the window did it before pushing (to know what it did)

    def _findings(self, dismiss: tuple[str, ...], restore: tuple[str, ...]) -> None:
        store = self.window.store
        for key in dismiss:
            try:
                store.dismiss_finding(self.doc_id, key)
            except (ValueError, KeyError):
                pass  # the rule no longer fires (a correction undone since): nothing to dismiss
        for key in restore:
            store.restore_finding(self.doc_id, key)

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            return
        self._findings(self.dismissed, self.restored)
        if self.accepted is not None:
            self.window.write_value(self.doc_id, self.path, self.accepted[0])
        self.window._reload(self.doc_id)

    def undo(self) -> None:
        if self.accepted is not None:
            value, was_corrected = self.accepted
            self.window.write_value(
                self.doc_id, self.path, value if was_corrected else None, clear=not was_corrected
            )
        self._findings(self.restored, self.dismissed)
        self.window._reload(self.doc_id)


def _subject(path: str) -> str:
    """What a finding is about, for messages and undo texts ("items": the letter as a whole)."""
    return "the letter" if path == "items" else field_label(path)


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
        self._stacks: dict[int, QUndoStack] = {}
        self._duplicates: list[tuple[str, str]] = []
        self.report_dialog: ImportReportDialog | None = None
        self.last_import: dict | None = None
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setMinimumSize(900, 560)

        self.undo_group = QUndoGroup(self)
        self.importer = ImportController(self.db_path, self, **(import_options or {}))
        self.importer.progress.connect(self._on_import_progress)
        self.importer.finished.connect(self._on_import_finished)

        self._build_widgets()
        self._build_actions()
        self._build_menus()
        self._connect()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(600)
        self._refresh_timer.timeout.connect(self.refresh_documents)
        self._restore_settings()
        self.documents.set_store(self.store)
        self._update_central()
        if self.documents.doc_ids():
            self.documents.select_row(0)
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
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(1)
        for widget, minimum in ((self.documents, 220), (self.viewer, 320), (self.panel, 380)):
            widget.setMinimumWidth(minimum)
            self.splitter.addWidget(widget)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([280, 570, 550])

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
        self.db_label = QLabel(self.db_path.name, self)
        self.db_label.setObjectName("dbLabel")
        self.db_label.setToolTip(f"Database: {self.db_path}")
        self.statusBar().addPermanentWidget(self.import_progress)
        self.statusBar().addPermanentWidget(self.db_label)
        self.statusBar().setSizeGripEnabled(False)

    def _action(self, text: str, slot, keys=(), icon_name: str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)  # shortcuts work wherever the focus is in the window
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.act_import_files = a(
            "&Import files…", self.import_files, ["Ctrl+O"], "import", "Import PDF or text letters"
        )
        self.act_import_folder = a(
            "Import &folder…",
            self.import_folder,
            ["Ctrl+Shift+O"],
            "folder",
            "Import every letter in a folder",
        )
        self.act_import_samples = a("Import &sample letters", self.import_samples, [], "samples")
        self.act_exports = {
            fmt: a(label, lambda f=fmt: self.export_dialog(f), [], "export") for fmt, label, _ in EXPORTS
        }
        self.act_quit = a("&Quit", self.close, ["Ctrl+Q"])
        self.act_undo = a("&Undo", self.undo, ["Ctrl+Z"], "undo")
        self.act_redo = a("&Redo", self.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "redo")
        self.act_find = a("&Find letters", self.focus_search, ["Ctrl+F"], "search")
        self.act_history = a("Field &history…", self.show_history, ["Ctrl+H"], "history")
        self.act_zoom_in = a("Zoom &in", self.viewer.view.zoom_in, ["Ctrl++", "Ctrl+="], "zoom-in")
        self.act_zoom_out = a("Zoom &out", self.viewer.view.zoom_out, ["Ctrl+-"], "zoom-out")
        self.act_fit = a("&Fit width", self.viewer.view.zoom_fit_width, ["Ctrl+0"], "fit-width")
        self.act_next_page = a("&Next page", self.viewer.view.next_page, ["Alt+PgDown"], "go-down")
        self.act_prev_page = a("&Previous page", self.viewer.view.previous_page, ["Alt+PgUp"], "go-up")
        self.act_letter_tab = a("&Letter fields", lambda: self.show_tab(0), ["Ctrl+1"])
        self.act_items_tab = a("D&isputed items", lambda: self.show_tab(1), ["Ctrl+2"])
        self.act_next_doc = a("&Next letter", lambda: self.step_document(1), ["Alt+Down"], "next")
        self.act_prev_doc = a("&Previous letter", lambda: self.step_document(-1), ["Alt+Up"], "previous")
        self.act_next_check = a("Next value to &check", lambda: self.next_check(1), ["F8"], "warning")
        self.act_prev_check = a("Previous value to check", lambda: self.next_check(-1), ["Shift+F8"])
        self.act_accept = a(
            "&Accept value and go to the next", self.accept_and_next, ["Ctrl+Return", "Ctrl+Enter"], "check"
        )
        self.act_reviewed = a(
            "Mark letter &reviewed and open the next", self.mark_reviewed_and_next, ["Ctrl+R"], "check-circle"
        )
        self.act_flag = a("&Flag letter", self.toggle_flag, ["Ctrl+Shift+F"], "flag")
        self.act_insights = a(
            "&Insights…",
            self.show_insights,
            ["Ctrl+I"],
            "chart",
            "Charts of the dataset: decisions by month, category…",
        )
        self.act_shortcuts = a("&Keyboard shortcuts", self.show_shortcuts, ["F1"], "help")
        self.act_about = a("&About imrdesk", lambda: show_about(self), [])

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.menus: list[tuple[str, list[QAction]]] = []

        def menu(title: str, entries: list) -> None:
            m = bar.addMenu(title)
            listed = []
            for entry in entries:
                if entry is None:
                    m.addSeparator()
                elif isinstance(entry, tuple):
                    sub = m.addMenu(icon("export"), entry[0])
                    for action in entry[1]:
                        sub.addAction(action)
                else:
                    m.addAction(entry)
                    listed.append(entry)
            self.menus.append((title.replace("&", ""), listed))

        menu(
            "&File",
            [
                self.act_import_files,
                self.act_import_folder,
                self.act_import_samples,
                None,
                ("&Export", list(self.act_exports.values())),
                None,
                self.act_quit,
            ],
        )
        menu("&Edit", [self.act_undo, self.act_redo, None, self.act_find, self.act_history])
        menu(
            "&View",
            [
                self.act_zoom_in,
                self.act_zoom_out,
                self.act_fit,
                None,
                self.act_next_page,
                self.act_prev_page,
                None,
                self.act_letter_tab,
                self.act_items_tab,
                None,
                self.act_insights,
            ],
        )
        menu(
            "&Review",
            [
                self.act_next_doc,
                self.act_prev_doc,
                None,
                self.act_next_check,
                self.act_prev_check,
                self.act_accept,
                None,
                self.act_reviewed,
                self.act_flag,
            ],
        )
        menu("&Help", [self.act_shortcuts, None, self.act_about])

    def _connect(self) -> None:
        self.documents.doc_selected.connect(self._on_doc_selected)
        self.panel.field_focused.connect(self._on_field_focused)
        self.panel.value_committed.connect(self._on_value_committed)
        self.panel.invalid_value.connect(lambda _p, message: self.statusBar().showMessage(message, 6000))
        self.panel.history_requested.connect(self.show_history)
        self.panel.accept_requested.connect(lambda path: self.accept_and_next(path))
        self.panel.locate_requested.connect(self._on_field_focused)
        self.panel.status_requested.connect(self.set_status)
        self.panel.dismiss_requested.connect(self.dismiss_finding)
        self.panel.restore_requested.connect(self.restore_finding)
        self.empty.import_samples.connect(self.import_samples)
        self.empty.choose_files.connect(self.import_files)
        self.empty.choose_folder.connect(self.import_folder)
        self.import_progress.cancel_button.clicked.connect(self.cancel_import)
        self.undo_group.cleanChanged.connect(lambda _c: self._update_actions())
        self.undo_group.indexChanged.connect(lambda _i: self._update_actions())

    # ------------------------------------------------------------------ settings

    def _restore_settings(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)
        state = s.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        for key, splitter in (
            ("splitter/main", self.splitter),
            ("splitter/items", self.panel.items_splitter),
        ):
            value = s.value(key)
            if isinstance(value, QByteArray) and not value.isEmpty():
                splitter.restoreState(value)
        if not s.value("viewer/fit_width", True, type=bool):
            self.viewer.view.set_zoom(s.value("viewer/zoom", 1.0, type=float))

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("splitter/main", self.splitter.saveState())
        s.setValue("splitter/items", self.panel.items_splitter.saveState())
        s.setValue("viewer/fit_width", self.viewer.view.fit_width)
        s.setValue("viewer/zoom", self.viewer.view.zoom)
        s.sync()

    def last_folder(self) -> str:
        folder = self.settings.value("folders/last", "")
        return str(folder) if folder and Path(str(folder)).is_dir() else str(Path.home())

    def _remember_folder(self, path: str | Path) -> None:
        p = Path(path)
        self.settings.setValue("folders/last", str(p if p.is_dir() else p.parent))

    # ------------------------------------------------------------------ documents

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
        has_letters = self.store.count_documents() > 0
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
        self.panel.set_record(
            record, notes=info.get("notes") or [], dismissed=self._dismissed(doc_id, record)
        )
        self.undo_group.setActiveStack(self._stack(doc_id))
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
        self.undo_group.setActiveStack(None)
        self._update_title()
        self._update_actions()

    def _stack(self, doc_id: int) -> QUndoStack:
        stack = self._stacks.get(doc_id)
        if stack is None:
            stack = QUndoStack(self.undo_group)
            self._stacks[doc_id] = stack
        return stack

    def _update_title(self) -> None:
        if self.record:
            name = self.record.get("case_number") or (self.info or {}).get("file_name") or "letter"
            self.setWindowTitle(f"{name} — imrdesk")
        else:
            self.setWindowTitle("imrdesk")

    def _update_actions(self) -> None:
        has = self.record is not None
        stack = self.undo_group.activeStack()
        # Undo stays enabled with a letter open: it also throws away typing not yet saved.
        self.act_undo.setEnabled(has)
        self.act_redo.setEnabled(bool(stack and stack.canRedo()))
        self.act_undo.setText(f"&Undo {stack.undoText()}" if stack and stack.canUndo() else "&Undo")
        self.act_redo.setText(f"&Redo {stack.redoText()}" if stack and stack.canRedo() else "&Redo")
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

    def _on_value_committed(self, path: str, value) -> None:
        if self.record is None or self.doc_id is None:
            return
        old = get_value(self.record, path)
        if old == value:
            return
        was_corrected = is_corrected(self.record, path)
        if not self.write_value(self.doc_id, path, value):
            return
        self._stack(self.doc_id).push(SetValueCommand(self, self.doc_id, path, old, value, was_corrected))
        self.statusBar().showMessage(f"Saved {field_label(path)}.", 2500)

    def write_value(self, doc_id: int, path: str, value, *, clear: bool = False) -> bool:
        """Write (or, with ``clear``, drop) a correction and show the result; False when refused."""
        try:
            if clear:
                self.store.clear_correction(doc_id, path)
            else:
                self.store.set_value(doc_id, path, value)
            self._start_review(doc_id)
        except (ValueError, KeyError) as exc:
            message = str(exc).strip("'\"")
            self.statusBar().showMessage(message, 8000)
            field = self.panel.field(path) if doc_id == self.doc_id else None
            if field is not None:
                field.revert()
            QMessageBox.warning(self, "Value not saved", message)
            return False
        self._reload(doc_id)
        return True

    def _start_review(self, doc_id: int) -> None:
        """The first correction or acceptance moves a new letter to "in review"."""
        status = (self.record or {}).get("review_status") if doc_id == self.doc_id else None
        if status == "new":
            self.store.set_status(doc_id, "in_review")

    def _reload(self, doc_id: int) -> None:
        try:
            info = self.store.document_info(doc_id)
        except KeyError:
            return
        self.documents.update_row(info)
        if doc_id != self.doc_id:
            return
        self.record = self.store.record(doc_id)
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
        if self.panel.revert_pending():
            return
        stack = self.undo_group.activeStack()
        if stack is not None and stack.canUndo():
            path = stack.command(stack.index() - 1).path
            stack.undo()
            self.panel.focus_field(path)
            self.statusBar().showMessage(f"Undone: {field_label(path)}.", 3000)

    def redo(self) -> None:
        stack = self.undo_group.activeStack()
        if stack is not None and stack.canRedo():
            path = stack.command(stack.index()).path
            stack.redo()
            self.panel.focus_field(path)
            self.statusBar().showMessage(f"Redone: {field_label(path)}.", 3000)

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

    # ------------------------------------------------------------------ keyboard review

    def next_check(self, direction: int = 1) -> str | None:
        """Move the focus to the next (or previous) value to check; returns its path. Values a validation
        rule doubts come first, then the other low-confidence values (see :func:`check_queue`)."""
        if self.record is None:
            return None
        queue = check_queue(self.record)
        if not queue:
            self.statusBar().showMessage(
                "No values left to check in this letter — Ctrl+R marks it reviewed and opens the next.",
                5000,
            )
            return None
        current = self.panel.current_path()
        if current in queue:
            target = queue[(queue.index(current) + direction) % len(queue)]
        elif self.record.get("findings"):
            target = queue[0] if direction > 0 else queue[-1]
        else:  # no findings: the next one down the panel from where the reviewer is
            order = field_order(self.record)
            rank = {p: i for i, p in enumerate(order)}
            here = rank.get(current, -1 if direction > 0 else len(order))
            if direction > 0:
                target = next((p for p in queue if rank.get(p, len(order)) > here), queue[0])
            else:
                target = next((p for p in reversed(queue) if rank.get(p, len(order)) < here), queue[-1])
        self.panel.focus_field(target)
        n = len(queue)
        doubts = findings_at(self.record, target)
        what = f"{field_label(target)}: {doubts[0]['message']}" if doubts else field_label(target)
        hint = "Ctrl+Enter dismisses the finding" if doubts else "Ctrl+Enter accepts it"
        self.statusBar().showMessage(
            f"{what} — {n} value{'s' if n != 1 else ''} to check. {hint} and moves on.", 6000
        )
        return target

    def accept_and_next(self, path: str | None = None) -> None:
        """Accept the current value (or save the correction typed into it) and go to the next check:
        accepting a value a rule doubts dismisses the rule's finding (the reviewer has looked at the letter
        and the value stands). Once nothing is left to check, the next Ctrl+Enter marks the letter
        reviewed and opens the next."""
        if self.record is None or self.doc_id is None:
            return
        had_checks = bool(check_queue(self.record))
        field = self.panel.focused_field()
        if field is not None and path in (None, field.path):
            if not field.commit():
                return  # invalid text: the message is shown, the focus stays
            path = field.path
        path = path or self.panel.current_path()
        if path:
            self.accept_value(path)
        if check_queue(self.record):
            self.next_check(1)
        elif had_checks:
            self.statusBar().showMessage(
                "Every value to check is checked. Ctrl+Enter again marks the letter reviewed "
                "and opens the next one.",
                8000,
            )
        else:
            self.mark_reviewed_and_next()

    def accept_value(self, path: str) -> bool:
        """Dismiss the findings about a value and accept it when it is still below the threshold (one
        undoable step); False when there was nothing to accept."""
        doc_id = self.doc_id
        if self.record is None or doc_id is None:
            return False
        keys = tuple(f["key"] for f in findings_at(self.record, path))
        if not keys and not needs_check(self.record, path):
            return False
        if keys and not self._dismiss(doc_id, keys):
            return False
        self._reload(doc_id)
        accepted = None
        if path != "items" and needs_check(self.record, path):
            # Accepting is a correction to the same value: audited, and the value counts as checked.
            value, was_corrected = get_value(self.record, path), is_corrected(self.record, path)
            if self.write_value(doc_id, path, value):
                accepted = (value, was_corrected)
        if not keys and accepted is None:
            return False
        what = "Dismissed the finding on" if keys and accepted is None else "Accepted"
        label = _subject(path)
        self._stack(doc_id).push(
            ReviewCommand(self, doc_id, path, f"{what} {label}", dismissed=keys, accepted=accepted)
        )
        self.statusBar().showMessage(f"{what} {label}. Ctrl+Z takes it back.", 3000)
        return True

    def dismiss_finding(self, key: str) -> None:
        """The Dismiss button of a finding: the letter really says so (audited, undoable)."""
        if self.record is None or self.doc_id is None:
            return
        found = [f for f in self.record.get("findings") or [] if f["key"] == key]
        if not found:
            return
        self.panel.commit_pending()
        path, doc_id = found[0]["path"], self.doc_id
        if not self._dismiss(doc_id, (key,)):
            return
        label = _subject(path)
        self._stack(doc_id).push(
            ReviewCommand(self, doc_id, path, f"Dismiss finding on {label}", dismissed=(key,))
        )
        self._reload(doc_id)
        self.statusBar().showMessage(f"Finding on {label} dismissed. Ctrl+Z takes it back.", 4000)

    def restore_finding(self, key: str) -> None:
        """The Restore button of a dismissed finding: open it again (audited, undoable)."""
        if self.doc_id is None:
            return
        found = [d for d in self.panel.dismissed if d["key"] == key]
        if not found:  # the button belongs to a dismissal the panel shows
            return
        path, doc_id = found[0]["path"], self.doc_id
        self.store.restore_finding(doc_id, key)
        label = _subject(path)
        self._stack(doc_id).push(
            ReviewCommand(self, doc_id, path, f"Restore finding on {label}", restored=(key,))
        )
        self._reload(doc_id)
        self.statusBar().showMessage(f"Finding on {label} open again.", 4000)

    def _dismiss(self, doc_id: int, keys: tuple[str, ...]) -> bool:
        """Dismiss findings of a letter (audited; the first one moves a new letter to "in review")."""
        try:
            for key in keys:
                self.store.dismiss_finding(doc_id, key)
            self._start_review(doc_id)
        except (ValueError, KeyError) as exc:
            self.statusBar().showMessage(str(exc).strip("'\""), 6000)
            return False
        return True

    def set_status(self, status: str) -> None:
        if self.doc_id is None:
            return
        self.panel.commit_pending()
        try:
            self.store.set_status(self.doc_id, status)
        except (ValueError, KeyError) as exc:
            self.statusBar().showMessage(str(exc), 6000)
            return
        self._reload(self.doc_id)

    def mark_reviewed_and_next(self) -> None:
        """Mark the letter reviewed and open the next letter of the list still to review (wrapping)."""
        if self.doc_id is None or (self.record or {}).get("error"):
            return
        self.panel.commit_pending()
        reviewed = self.doc_id
        rows = self.documents.model.rows
        ids = [r.get("id") for r in rows]
        start = ids.index(reviewed) + 1 if reviewed in ids else 0
        waiting = [
            r.get("id") for r in rows[start:] + rows[:start] if r.get("status") in ("new", "in_review")
        ]
        self.set_status("reviewed")
        name = (self.record or {}).get("case_number") or "The letter"
        target = next((d for d in waiting if d != reviewed), None)
        if target is not None:
            self.documents.select_doc(target)
            self.statusBar().showMessage(f"{name} marked reviewed.", 4000)
        else:
            self.statusBar().showMessage(
                f"{name} marked reviewed — that was the last letter to review in this list.", 6000
            )
        self.documents.refresh()  # a "To review" list lets the reviewed letter go

    def toggle_flag(self) -> None:
        if self.record is None:
            return
        flagged = self.record.get("review_status") == "flagged"
        self.set_status("in_review" if flagged else "flagged")

    # ------------------------------------------------------------------ import

    def import_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Import letters", self.last_folder(), LETTER_FILTER)
        if paths:
            self._remember_folder(paths[0])
            self.start_import(paths)

    def import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import every letter in a folder", self.last_folder())
        if folder:
            self.settings.setValue("folders/last", folder)
            self.start_import([folder])

    def import_samples(self) -> None:
        self.start_import(sample_letters())

    def start_import(self, paths) -> bool:
        from imrdesk.store.importer import collect_paths

        if self.importer.is_running():
            self.statusBar().showMessage("An import is already running; wait for it or cancel it.", 5000)
            return False
        try:
            files = list(collect_paths([Path(p) for p in paths]))
        except (OSError, ValueError) as exc:
            QMessageBox.warning(self, "Nothing imported", str(exc))
            return False
        if not files:
            QMessageBox.information(self, "Nothing to import", "No PDF or text letters were found there.")
            return False
        self._duplicates = []
        self.import_progress.begin(len(files))
        self.importer.start(files)
        return True

    def cancel_import(self) -> None:
        if self.importer.is_running():
            self.importer.cancel()
            self.import_progress.cancelling()

    def _on_import_progress(self, event: dict) -> None:
        self.import_progress.update_event(event)
        if event.get("status") == "duplicate":
            self._duplicates.append((str(event.get("file") or ""), str(event.get("message") or "")))
        if event.get("status") in ("imported", "failed") and not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _on_import_finished(self, result: dict) -> None:
        self._refresh_timer.stop()
        self.import_progress.end()
        self.refresh_documents()
        self.last_import = result
        text = import_summary(result)
        self.statusBar().showMessage(text, 10000)
        if result.get("failed") or self._duplicates or result.get("error"):
            if self.report_dialog is not None:
                self.report_dialog.close()
            self.report_dialog = ImportReportDialog(result, self._duplicates, self)
            self.report_dialog.show()

    # ------------------------------------------------------------------ export

    def export_dialog(self, fmt: str) -> None:
        label = {"csv": "CSV", "json": "JSON", "xlsx": "Excel"}[fmt]
        pattern = next(p for f, _, p in EXPORTS if f == fmt)
        default = str(Path(self.last_folder()) / f"imr-dataset.{fmt}")
        path, _ = QFileDialog.getSaveFileName(self, f"Export the dataset as {label}", default, pattern)
        if not path:
            return
        if not path.lower().endswith("." + fmt):
            path += "." + fmt
        self._remember_folder(path)
        self.export_to(path, fmt)

    def export_to(self, path: str | Path, fmt: str) -> int | None:
        self.panel.commit_pending()
        try:
            count = self.store.export(path, fmt)
        except Exception as exc:  # disk full, permission denied, file open in Excel…
            QMessageBox.warning(self, "Export failed", f"The dataset could not be written to {path}:\n{exc}")
            return None
        unit = "letter" if fmt == "json" else "row"
        self.statusBar().showMessage(f"Exported {count} {unit}{'s' if count != 1 else ''} to {path}.", 8000)
        return count

    # ------------------------------------------------------------------ help

    def show_insights(self) -> None:
        """The insights window (one, kept; counted again each time it is shown)."""
        from .insights_view import InsightsWindow  # matplotlib loads here, not at start-up

        self.panel.commit_pending()
        if getattr(self, "insights_window", None) is None:
            self.insights_window = InsightsWindow(self.db_path, self)
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
        self.save_settings()
        self.viewer.clear()
        self.store.close()
        super().closeEvent(event)
