"""The first-start panel: what imrdesk does and one click to the bundled sample letters or your own."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .icons import app_icon, icon


class EmptyState(QWidget):
    import_samples = Signal()
    choose_files = Signal()
    choose_folder = Signal()

    def __init__(self, sample_count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        card = QFrame(self)
        card.setObjectName("emptyCard")
        card.setMaximumWidth(620)

        logo = QLabel(card)
        logo.setPixmap(app_icon().pixmap(QSize(88, 88)))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Welcome to imrdesk", card)
        title.setObjectName("emptyTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(
            "Import IMR Final Determination letters — PDFs or plain text — and review every extracted "
            "value side by side with the words it came from. Corrections are saved as you type, with "
            "their history.",
            card,
        )
        text.setObjectName("emptyText")
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.samples_button = QPushButton(icon("samples", "#ffffff"), "", card)
        self.samples_button.setObjectName("primaryButton")
        self.samples_button.setIconSize(QSize(18, 18))
        self.set_sample_count(sample_count)
        self.samples_button.clicked.connect(self.import_samples)
        self.files_button = QPushButton(icon("import"), "Choose files…", card)
        self.files_button.setObjectName("secondaryButton")
        self.files_button.clicked.connect(self.choose_files)
        self.folder_button = QPushButton(icon("folder"), "Import a folder…", card)
        self.folder_button.setObjectName("secondaryButton")
        self.folder_button.clicked.connect(self.choose_folder)
        for button in (self.samples_button, self.files_button, self.folder_button):
            button.setMinimumHeight(38)
            button.setCursor(Qt.CursorShape.PointingHandCursor)

        others = QHBoxLayout()
        others.setSpacing(10)
        others.addWidget(self.files_button)
        others.addWidget(self.folder_button)

        hint = QLabel("or drop letters and folders anywhere in this window", card)
        hint.setObjectName("emptyHint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)

        column = QVBoxLayout(card)
        column.setContentsMargins(44, 36, 44, 32)
        column.setSpacing(14)
        column.addWidget(logo)
        column.addWidget(title)
        column.addWidget(text)
        column.addSpacing(8)
        column.addWidget(self.samples_button)
        column.addLayout(others)
        column.addWidget(hint)

        outer = QVBoxLayout(self)
        outer.addStretch(2)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 4)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(3)

    def set_sample_count(self, count: int) -> None:
        self.samples_button.setText(
            f"Import the {count} sample letters" if count else "No sample letters bundled"
        )
        self.samples_button.setEnabled(count > 0)
