"""The window's actions, their shortcuts and its menus (F1 lists them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

from .dialogs import show_about
from .icons import icon
from .theme_menu import theme_actions

if TYPE_CHECKING:  # pragma: no cover
    from .main_window import MainWindow

EXPORTS = (
    ("csv", "CSV…", "CSV files (*.csv)"),
    ("json", "JSON…", "JSON files (*.json)"),
    ("xlsx", "Excel…", "Excel workbooks (*.xlsx)"),
)


def _action(
    window: MainWindow, text: str, slot, keys=(), icon_name: str | None = None, tip: str = ""
) -> QAction:
    action = QAction(text, window)
    if icon_name:
        action.setIcon(icon(icon_name))
    if keys:
        action.setShortcuts([QKeySequence(k) for k in keys])
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
    window.addAction(action)  # shortcuts work wherever the focus is in the window
    return action


def build_actions(window: MainWindow) -> None:
    """The window's actions (``window.act_*``), each with its shortcuts, working wherever the focus is."""
    w = window

    def a(*args, **kwargs) -> QAction:
        return _action(window, *args, **kwargs)

    w.act_import_files = a(
        "&Import files…", w.files.import_files, ["Ctrl+O"], "import", "Import PDF or text letters"
    )
    w.act_import_folder = a(
        "Import &folder…",
        w.files.import_folder,
        ["Ctrl+Shift+O"],
        "folder",
        "Import every letter in a folder",
    )
    w.act_import_samples = a("Import &sample letters", w.files.import_samples, [], "samples")
    w.act_exports = {
        fmt: a(label, lambda f=fmt: w.export_dialog(f), [], "export") for fmt, label, _ in EXPORTS
    }
    w.act_quit = a("&Quit", w.close, ["Ctrl+Q"])
    w.act_backup = a(
        "&Back up database…",
        lambda: w.database.backup(),
        ["Ctrl+Shift+S"],
        "export",
        "A consistent copy of the database, safe while it is open",
    )
    w.act_open_db = a("Open &database…", lambda: w.database.open_database(), [], "folder")
    w.act_data_folder = a("Show the database's &folder", w.database.show_folder, [], "folder")
    w.act_undo = a("&Undo", w.undo, ["Ctrl+Z"], "undo")
    w.act_redo = a("&Redo", w.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "redo")
    w.act_find = a("&Find letters", w.focus_search, ["Ctrl+F"], "search")
    w.act_reviewer = a("Reviewer &name…", lambda: w.review.ask_reviewer_name(), [], "history")
    w.act_history = a("Field &history…", w.show_history, ["Ctrl+H"], "history")
    w.act_zoom_in = a("Zoom &in", w.viewer.view.zoom_in, ["Ctrl++", "Ctrl+="], "zoom-in")
    w.act_zoom_out = a("Zoom &out", w.viewer.view.zoom_out, ["Ctrl+-"], "zoom-out")
    w.act_fit = a("&Fit width", w.viewer.view.zoom_fit_width, ["Ctrl+0"], "fit-width")
    w.act_next_page = a("&Next page", w.viewer.view.next_page, ["Alt+PgDown"], "go-down")
    w.act_prev_page = a("&Previous page", w.viewer.view.previous_page, ["Alt+PgUp"], "go-up")
    w.act_letter_tab = a("&Letter fields", lambda: w.show_tab(0), ["Ctrl+1"])
    w.act_items_tab = a("D&isputed items", lambda: w.show_tab(1), ["Ctrl+2"])
    w.act_next_doc = a("&Next letter", lambda: w.step_document(1), ["Alt+Down"], "next")
    w.act_prev_doc = a("&Previous letter", lambda: w.step_document(-1), ["Alt+Up"], "previous")
    w.act_next_check = a("Next value to &check", lambda: w.review.next_check(1), ["F8"], "warning")
    w.act_prev_check = a("Previous value to check", lambda: w.review.next_check(-1), ["Shift+F8"])
    w.act_accept = a(
        "&Accept value and go to the next", w.review.accept_and_next, ["Ctrl+Return", "Ctrl+Enter"], "check"
    )
    w.act_reviewed = a(
        "Mark letter &reviewed and open the next", w.review.mark_reviewed_and_next, ["Ctrl+R"], "check-circle"
    )
    w.act_flag = a("&Flag letter", w.review.toggle_flag, ["Ctrl+Shift+F"], "flag")
    w.act_selection = a(
        "&Selected letters…",
        w.show_selection_menu,
        ["Ctrl+Shift+M"],
        "check-circle",
        "Mark reviewed, flag, read again, export or remove the letters selected in the list",
    )
    w.act_toggle_list = a(
        "Show or hide the &list", w.toggle_list, ["Ctrl+L"], tip="Fold the list away for room"
    )
    w.act_filters = a("Filter the &list", w.documents.filters.focus, ["Ctrl+Shift+L"])
    w.act_insights = a(
        "&Insights…",
        w.show_insights,
        ["Ctrl+I"],
        "chart",
        "Charts of the dataset: decisions by month, category…",
    )
    w.act_shortcuts = a("&Keyboard shortcuts", w.show_shortcuts, ["F1"], "help")
    w.act_about = a("&About imrdesk", lambda: show_about(w), [])


def build_menus(window: MainWindow) -> None:
    """The menu bar; ``window.menus`` lists each menu's actions for the shortcuts dialog."""
    w = window
    bar = w.menuBar()
    w.menus: list[tuple[str, list[QAction]]] = []

    def menu(title: str, entries: list) -> None:
        m = bar.addMenu(title)
        listed = []
        for entry in entries:
            if entry is None:
                m.addSeparator()
            elif isinstance(entry, tuple):
                sub = m.addMenu(icon(entry[2]), entry[0]) if len(entry) > 2 else m.addMenu(entry[0])
                for action in entry[1]:
                    sub.addAction(action)
            else:
                m.addAction(entry)
                listed.append(entry)
        w.menus.append((title.replace("&", ""), listed))

    menu(
        "&File",
        [
            w.act_import_files,
            w.act_import_folder,
            w.act_import_samples,
            None,
            ("&Export", list(w.act_exports.values()), "export"),
            None,
            w.act_backup,
            w.act_open_db,
            w.act_data_folder,
            None,
            w.act_quit,
        ],
    )
    menu(
        "&Edit",
        [
            w.act_undo,
            w.act_redo,
            None,
            w.page_text.copy_action,
            w.page_text.fill_action,
            None,
            w.act_find,
            w.act_history,
            None,
            w.act_reviewer,
        ],
    )
    menu(
        "&View",
        [
            w.act_zoom_in,
            w.act_zoom_out,
            w.act_fit,
            None,
            w.act_next_page,
            w.act_prev_page,
            None,
            w.act_letter_tab,
            w.act_items_tab,
            None,
            w.act_toggle_list,
            w.act_filters,
            None,
            w.act_insights,
            None,
            ("&Theme", theme_actions(w)),
        ],
    )
    menu(
        "&Review",
        [
            w.act_next_doc,
            w.act_prev_doc,
            None,
            w.act_next_check,
            w.act_prev_check,
            w.act_accept,
            None,
            w.act_reviewed,
            w.act_flag,
            None,
            w.act_selection,
        ],
    )
    menu("&Help", [w.act_shortcuts, None, w.act_about])
