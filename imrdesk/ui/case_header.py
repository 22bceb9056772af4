"""The panel's header: the letter's case number, its file and decisions, its review status with the
Reviewed and Flag buttons."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from imrdesk.record import STATUS_LABELS, decision_counts, decision_summary, letter_findings

from .field_editors import DONE_MARK, LOW_MARK, ElidedLabel, set_prop
from .icons import icon
from .plain import make_plain, plain_label, shown_as_written


class CaseHeader(QFrame):
    status_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panelHeader")
        grid = QVBoxLayout(self)
        grid.setContentsMargins(14, 10, 14, 10)
        grid.setSpacing(2)
        top = QHBoxLayout()
        top.setSpacing(6)
        self.title = make_plain(ElidedLabel("No letter", self))
        self.title.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.title.setObjectName("caseTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_chip = plain_label("", self)
        self.status_chip.setObjectName("statusChip")
        self.reviewed_button = QPushButton(icon("check", "#15803d"), "Reviewed", self)
        self.reviewed_button.setObjectName("reviewedButton")
        self.reviewed_button.setCheckable(True)
        self.reviewed_button.setToolTip("Mark this letter reviewed (Ctrl+R marks it and opens the next)")
        self.reviewed_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.reviewed_button.setAccessibleName("Reviewed")
        self.reviewed_button.clicked.connect(
            lambda checked: self.status_requested.emit("reviewed" if checked else "in_review")
        )
        self.flag_button = QPushButton(icon("flag", "#b91c1c"), "Flag", self)
        self.flag_button.setObjectName("flagButton")
        self.flag_button.setCheckable(True)
        self.flag_button.setToolTip("Flag this letter for a second look (Ctrl+Shift+F)")
        self.flag_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.flag_button.setAccessibleName("Flag")
        self.flag_button.clicked.connect(
            lambda checked: self.status_requested.emit("flagged" if checked else "in_review")
        )
        top.addWidget(self.title)
        top.addWidget(self.status_chip, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addStretch(1)
        top.addWidget(self.reviewed_button)
        top.addWidget(self.flag_button)
        self.subtitle = plain_label("", self)  # the file name: shown as written
        self.subtitle.setObjectName("caseSubtitle")
        grid.addLayout(top)
        grid.addWidget(self.subtitle)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        # a narrow panel (a 1024-pixel screen) keeps the case number whole: the buttons shrink to their icons
        narrow = event.size().width() < 460
        self.reviewed_button.setText("" if narrow else "Reviewed")
        self.flag_button.setText("" if narrow else "Flag")
        super().resizeEvent(event)

    def clear(self) -> None:
        self.title.setText("No letter")
        self.subtitle.setText("")
        self.status_chip.setText("")
        for button in (self.reviewed_button, self.flag_button):
            button.setEnabled(False)

    def show_record(self, record: dict) -> None:
        self.title.setText(record.get("case_number") or record.get("file") or "Letter")
        self.title.setToolTip(shown_as_written(self.title.text()))
        status = "failed" if record.get("error") else record.get("review_status") or "new"
        self.status_chip.setText(STATUS_LABELS.get(status, status))
        set_prop(self.status_chip, "status", status)
        self.reviewed_button.setChecked(status == "reviewed")
        self.flag_button.setChecked(status == "flagged")
        # a letter that could not be read has no values to review: neither button may mark it (the review
        # service refuses it too)
        readable = status != "failed"
        for button in (self.reviewed_button, self.flag_button):
            button.setEnabled(readable)
        bits = [record.get("file") or ""]
        if record.get("format"):
            bits.append(record["format"])
        pages = record.get("pages") or 0
        bits.append(f"{pages} page{'s' if pages != 1 else ''}")
        bits.append(decision_summary(*decision_counts(record)))
        ocr = ocr_summary(record)
        if ocr:
            bits.append(ocr)
        self.subtitle.setText("  ·  ".join(b for b in bits if b))
        self.subtitle.setToolTip(
            "Read from a scan by OCR: each value's confidence is capped by its weakest word's, so a doubtful "
            "word sends its value to review. Check the values against the page."
            if ocr
            else ""
        )


def ocr_summary(record: dict) -> str:
    """ "read by OCR (pages 1–2)" for a letter read from a scan; "" for a text letter."""
    ocr = record.get("ocr")
    if not isinstance(ocr, dict):
        return ""
    pages = [p for p in ocr.get("pages") or [] if isinstance(p, int)]
    if not pages or pages == list(range(1, (record.get("pages") or 0) + 1)):
        return "read by OCR"
    shown = ", ".join(str(p) for p in pages)
    return f"page{'s' if len(pages) != 1 else ''} {shown} read by OCR"


def review_banner(record: dict, pending: list[str]) -> tuple[str, str]:
    """The banner under the header: (kind, rich text) — the import error, the findings about the whole
    letter (each with a Dismiss link) and how many values are left to check, or that none are. Letter text
    in it is escaped: a letter's words are never read as markup."""
    error = record.get("error")
    if error:
        return "error", "Import failed — " + html.escape(str(error.get("message") or error.get("code")))
    whole = letter_findings(record)
    if not pending and not whole:
        return "done", f"{DONE_MARK}  No low-confidence values left in this letter"
    lines = [
        f"{LOW_MARK}  {html.escape(f.get('message') or '')} &nbsp;<a href='dismiss:{html.escape(f['key'])}'>"
        "Dismiss</a>"
        for f in whole
    ]
    if pending:
        n = len(pending)
        doubted = {f.get("path") for f in record.get("findings") or []} - {"items"}
        text = f"{LOW_MARK}  {n} value{'s' if n != 1 else ''} to check"
        if doubted:
            text += f" ({len(doubted)} doubted by a validation rule)"
        lines.append(text + " — F8 goes to the next one")
    return "low", "<br>".join(lines)
