"""The insights window: charts of the corrected dataset, filtered by decision date and review status.

The figures are computed from the store in a background thread (its own connection: a Store belongs to the
thread that opened it) so a large database never freezes the window; a result that arrives after the
filters changed again is dropped. One count runs at a time: a newer request stops the running one at its next
letter and starts when it has, so quick changes cost one count, not one each (and closing stops it too).
Each chart is a matplotlib Figure from :mod:`imrdesk.services.charts` (the same one the HTML report prints) on a
Qt canvas, with the table it draws below it, and exports as PNG and CSV.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from imrdesk.services.insights import compute
from imrdesk.store import StoreError

from .icons import app_icon, icon
from .plain import plain_label, shown_as_written
from .tasks import TaskRunner
from .theme import is_dark, tone

# (label, statuses) of the review-status filter
STATUS_CHOICES = (
    ("All letters", ()),
    ("Reviewed", ("reviewed",)),
    ("Still to review", ("new", "in_review")),
    ("Flagged", ("flagged",)),
)


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value * 100:.0f} %" if 0 <= value <= 1 else f"{value:g}"
    return str(value)


class ChartPane(QWidget):
    """One chart at its designed proportions (scrolling when taller than the room), and its table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = None
        self.figure = None
        self.scroll = QScrollArea(self)
        self.scroll.setObjectName("chartScroll")
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidgetResizable(False)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        # the chart is fitted to the room it has: again whenever that room changes (the first chart is drawn
        # before the pane is laid out, when the room is still tiny)
        self.scroll.viewport().installEventFilter(self)
        self.table = QTableWidget(0, 0, self)
        self.table.setObjectName("chartTable")
        self.table.setAccessibleName("The chart's figures")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.setChildrenCollapsible(False)
        split.addWidget(self.scroll)
        split.addWidget(self.table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([560, 200])
        self.splitter = split
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    def show_chart(self, figure, table) -> None:
        """Show ``figure`` (recoloured for the dark theme when it is in force: the theme may have changed
        since the last chart; files and the report keep the chart on paper) and its table."""
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        from imrdesk.services.charts import on_dark

        ground = tone("#ffffff")  # the chart's paper, as the theme in force shows it
        self.scroll.setStyleSheet(f"background: {ground};")
        if is_dark():
            on_dark(figure, ground)
        if self.canvas is not None:
            self.canvas.setParent(None)
            self.canvas.deleteLater()
        self.figure = figure
        self.canvas = FigureCanvasQTAgg(figure)
        self.canvas.setObjectName("chartCanvas")
        self.canvas.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.scroll.setWidget(self.canvas)
        self._fit()
        self._fill_table(table)

    def _fit(self) -> None:
        """Draw the whole chart as large as the pane allows (up to 1.5× its design size) at the design's
        proportions, so its text keeps the size it was designed with relative to the bars."""
        if self.canvas is None:
            return
        w_in, h_in = self.figure.get_size_inches()
        viewport = self.scroll.viewport()
        width = min(viewport.width() - 2, (viewport.height() - 2) * w_in / h_in, w_in * self.figure.dpi * 1.5)
        width = int(max(320, width))
        self.canvas.setFixedSize(width, int(width * h_in / w_in))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._fit()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        if obj is self.scroll.viewport() and event.type() == QEvent.Type.Resize:
            self._fit()
        return super().eventFilter(obj, event)

    def _fill_table(self, table) -> None:
        headers = [table.label or table.columns[0], *table.columns[1:]]
        headers = [h.replace("_", " ") for h in headers]
        headers = [h[:1].upper() + h[1:] for h in headers]  # "MAXIMUS" stays as it is
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setRowCount(len(table.rows))
        self.table.setHorizontalHeaderLabels(headers)
        for r, row in enumerate(table.rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem(_cell(value))
                if c and (value is None or isinstance(value, (int, float))):  # figures right, text left
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)


class InsightsWindow(QMainWindow):
    """Charts over the database at ``db_path``. ``ready`` fires after each refresh has been drawn (or has
    failed: ``error`` then holds the message)."""

    ready = Signal()

    def __init__(
        self, db_path: str | Path, parent: QWidget | None = None, *, tasks: TaskRunner | None = None
    ) -> None:
        super().__init__(parent)
        from imrdesk.services.charts import CHARTS

        self.setWindowFlag(Qt.WindowType.Window, True)
        self.setObjectName("insightsWindow")
        self.setWindowTitle("Insights — imrdesk")
        self.setWindowIcon(app_icon())
        self.db_path = Path(db_path)
        self.insights = None
        self.error = ""
        self.chart_names = list(CHARTS)
        # counted off the GUI thread; a newer request supersedes a running count, which stops at its next letter
        self.tasks = tasks if tasks is not None else TaskRunner(self.db_path, self)
        close = QAction("Close", self)
        close.setShortcuts([QKeySequence(Qt.Key.Key_Escape), QKeySequence("Ctrl+W")])
        close.triggered.connect(self.close)
        self.addAction(close)  # Esc and Ctrl+W close the insights, wherever the focus is
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(350)
        self._debounce.timeout.connect(self.refresh)
        self._build(CHARTS)
        self.resize(1400, 900)

    # ------------------------------------------------------------------ construction

    def _build(self, charts: dict) -> None:
        bar = QFrame(self)
        bar.setObjectName("insightsBar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(12, 10, 12, 10)
        row.setSpacing(8)
        self.date_from = QLineEdit(bar)
        self.date_to = QLineEdit(bar)
        for edit, tip in ((self.date_from, "first"), (self.date_to, "last")):
            edit.setPlaceholderText("any date")
            edit.setClearButtonEnabled(True)
            edit.setFixedWidth(130)
            edit.setToolTip(f"The {tip} decision date counted: YYYY, YYYY-MM or YYYY-MM-DD (empty: no limit)")
            edit.setAccessibleName(f"{'Decided from' if tip == 'first' else 'Decided to'}")
            edit.textChanged.connect(lambda _t: self._debounce.start())
            edit.returnPressed.connect(self.refresh)
        self.status = QComboBox(bar)
        self.status.setObjectName("insightsStatus")
        self.status.setAccessibleName("Letters counted")
        for label, statuses in STATUS_CHOICES:
            self.status.addItem(label, statuses)
        self.status.currentIndexChanged.connect(lambda _i: self.refresh())
        self.summary = plain_label("", bar)
        self.summary.setObjectName("insightsSummary")
        row.addWidget(QLabel("Decided from", bar))
        row.addWidget(self.date_from)
        row.addWidget(QLabel("to", bar))
        row.addWidget(self.date_to)
        row.addSpacing(12)
        row.addWidget(QLabel("Letters", bar))
        row.addWidget(self.status)
        row.addSpacing(16)
        row.addWidget(self.summary, 1)
        self.refresh_button = QPushButton(icon("refresh"), "Refresh", bar)
        self.refresh_button.setToolTip("Count again (after corrections made in the main window)")
        self.refresh_button.clicked.connect(self.refresh)
        row.addWidget(self.refresh_button)

        self.chart_list = QListWidget(self)
        self.chart_list.setObjectName("chartList")
        self.chart_list.setAccessibleName("Charts")
        for name, (title, _table) in charts.items():
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.chart_list.addItem(item)
        self.chart_list.setWordWrap(True)
        self.chart_list.setMinimumWidth(230)
        self.chart_list.setMaximumWidth(320)
        self.chart_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chart_list.currentRowChanged.connect(lambda _r: self._draw())

        self.pane = ChartPane(self)
        self.message = plain_label("", self)
        self.message.setObjectName("insightsMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.pane)

        actions = QHBoxLayout()
        actions.setContentsMargins(0, 6, 0, 0)
        self.export_png_button = QPushButton(icon("export"), "Export PNG…", self)
        self.export_csv_button = QPushButton(icon("export"), "Export CSV…", self)
        self.export_all_button = QPushButton(icon("folder"), "Export all charts…", self)
        self.export_png_button.clicked.connect(lambda: self.export_dialog("png"))
        self.export_csv_button.clicked.connect(lambda: self.export_dialog("csv"))
        self.export_all_button.clicked.connect(self.export_all_dialog)
        actions.addStretch(1)
        for button in (self.export_png_button, self.export_csv_button, self.export_all_button):
            actions.addWidget(button)
        right = QWidget(self)
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 8, 8)
        right_column.addWidget(self.stack, 1)
        right_column.addLayout(actions)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.setChildrenCollapsible(False)
        split.addWidget(self.chart_list)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([270, 1100])
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(bar)
        column.addWidget(split, 1)
        self.setCentralWidget(central)
        self.chart_list.setCurrentRow(0)
        self.chart_list.setFocus(Qt.FocusReason.OtherFocusReason)  # arrow keys walk the charts
        self._set_busy("Counting…")

    # ------------------------------------------------------------------ filters & computing

    def filters(self) -> dict:
        return {
            "date_from": self.date_from.text().strip() or None,
            "date_to": self.date_to.text().strip() or None,
            "status": self.status.currentData() or (),
        }

    def set_filters(self, date_from: str | None = None, date_to: str | None = None, status=None) -> None:
        """Set every filter (status: a status, a list of them, or None for all letters) and refresh."""
        self._debounce.stop()
        for edit, value in ((self.date_from, date_from), (self.date_to, date_to)):
            edit.blockSignals(True)
            edit.setText(value or "")
            edit.blockSignals(False)
        wanted = tuple([status] if isinstance(status, str) else status or ())
        index = next((i for i, (_l, s) in enumerate(STATUS_CHOICES) if tuple(s) == wanted), -1)
        if index < 0:
            self.status.addItem(", ".join(wanted).replace("_", " ").capitalize(), wanted)
            index = self.status.count() - 1
        self.status.blockSignals(True)
        self.status.setCurrentIndex(index)
        self.status.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        """Count again in the background with the current filters; ``ready`` fires when drawn."""
        self._debounce.stop()
        filters = self.filters()
        self._set_busy("Counting…")
        self.tasks.submit(
            "insights",
            lambda store, task: compute(store, **filters, stop=task.stop),
            done=lambda result: self._on_result(result, ""),
            failed=lambda exc: self._on_result(None, self._message(exc)),
        )

    @staticmethod
    def _message(exc: BaseException) -> str:
        if isinstance(exc, ValueError):  # a filter a person typed
            return str(exc).replace("--from: ", "From: ").replace("--to: ", "To: ")
        if isinstance(exc, (StoreError, OSError)):
            return f"The database cannot be read: {exc}"
        return f"The figures could not be computed: {exc!r}"  # a bug shows as a message

    def _on_result(self, insights, message: str) -> None:
        self.insights, self.error = insights, message
        if insights is None:
            self.summary.setText("")
            self._show_message(message)
        else:
            o = insights.overall
            rate = o.get("overturned_rate")
            self.summary.setText(
                f"{o['letters']} letter{'s' if o['letters'] != 1 else ''} · {o['items']} disputed items · "
                + ("no decisions" if rate is None else f"{rate * 100:.0f} % overturned")
            )
            if not o["letters"]:
                self._show_message(
                    "No letter matches these filters.\n\nWiden the dates or choose all letters."
                )
            else:
                self._draw()
        self.ready.emit()

    def _set_busy(self, text: str) -> None:
        self.summary.setText(text)
        for button in (self.export_png_button, self.export_csv_button, self.export_all_button):
            button.setEnabled(False)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)
        for button in (self.export_png_button, self.export_csv_button, self.export_all_button):
            button.setEnabled(False)

    # ------------------------------------------------------------------ drawing

    def current_chart(self) -> str:
        item = self.chart_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else self.chart_names[0]

    def show_chart(self, name: str) -> None:
        self.chart_list.setCurrentRow(self.chart_names.index(name))

    def _draw(self) -> None:
        ins = self.insights
        if ins is None or not ins.overall["letters"]:
            return
        from imrdesk.services.charts import chart_table, figure

        name = self.current_chart()
        self.pane.show_chart(figure(ins, name), chart_table(ins, name))
        self.stack.setCurrentWidget(self.pane)
        for button in (self.export_png_button, self.export_csv_button, self.export_all_button):
            button.setEnabled(True)

    # ------------------------------------------------------------------ export

    def export_chart(self, path: str | Path, fmt: str) -> Path:
        """Write the current chart as PNG or its table as CSV; OSError when the file cannot be written."""
        from imrdesk.services.charts import chart_table, figure, save_png

        name, path = self.current_chart(), Path(path)
        if fmt == "png":
            return save_png(figure(self.insights, name), path)
        return chart_table(self.insights, name).to_csv(path)

    def export_all(self, folder: str | Path) -> list[Path]:
        """Every chart as ``<name>.png`` and ``<name>.csv`` in ``folder``."""
        from imrdesk.services.charts import export_chart

        written: list[Path] = []
        for name in self.chart_names:
            written.extend(export_chart(self.insights, name, folder))
        return written

    def export_dialog(self, fmt: str) -> None:
        if self.insights is None:
            return
        kind = "PNG images (*.png)" if fmt == "png" else "CSV files (*.csv)"
        start = str(Path.home() / f"{self.current_chart()}.{fmt}")
        path, _ = QFileDialog.getSaveFileName(self, f"Export chart as {fmt.upper()}", start, kind)
        if path:
            self._exporting(lambda: [self.export_chart(path, fmt)])

    def export_all_dialog(self) -> None:
        if self.insights is None:
            return
        folder = QFileDialog.getExistingDirectory(self, "Export every chart (PNG and CSV) to a folder")
        if folder:
            self._exporting(lambda: self.export_all(folder))

    def _exporting(self, write) -> None:
        try:
            written = write()
        except OSError as exc:
            QMessageBox.warning(
                self,
                "Export failed",
                shown_as_written(f"The file could not be written: {exc.strerror or exc}."),
            )
            return
        self.statusBar().showMessage(
            f"Wrote {len(written)} file{'s' if len(written) != 1 else ''} to {written[0].parent}.", 6000
        )

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """The theme changed (View › Theme, or the system's): the chart on screen is drawn again in it."""
        super().changeEvent(event)
        # only a window on screen: a closed one may be half taken down already (its next chart is drawn in
        # the theme then in force anyway)
        if (
            event.type() == QEvent.Type.PaletteChange
            and self.isVisible()
            and self.stack.currentWidget() is self.pane
        ):
            self._draw()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.tasks.cancel("insights")  # its result is dropped; the count stops at its next letter
        super().closeEvent(event)
