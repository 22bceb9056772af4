"""Letter text and file names shown as written, never read as markup.

Qt guesses whether a string is rich text (``Qt.mightBeRichText``) for every QLabel left at its default
format, every tooltip and every QMessageBox text. A letter whose case number or file name starts like a
tag (``<img src="\\\\host\\share\\x.png">``) would otherwise be rendered as HTML: Qt loads the image, and
on Windows a UNC path there sends the user's credentials to that host. So:

- a label that shows letter text or a file name is made plain (``plain_label`` / ``make_plain``);
- a string for a sink whose format cannot be set (tooltips, QMessageBox's static functions) goes through
  ``shown_as_written``: left alone when Qt would show it as plain text anyway, else escaped and wrapped so
  Qt shows exactly its characters;
- a label that is rich text on purpose escapes what it quotes (``html.escape``).

``tests/test_hardening_plain.py`` walks every label, tooltip, title and item of the window over a hostile
letter, so a new sink that forgets this is caught.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QLabel, QWidget


def would_be_rich(text: str) -> bool:
    """Would an automatic-format sink (tooltip, default QLabel, message box) render ``text`` as HTML?"""
    return bool(text) and GuiQt.mightBeRichText(text)


def shown_as_written(text: str) -> str:
    """``text`` for a tooltip or a message box: the same string when Qt shows it as plain text anyway,
    otherwise every character escaped inside a paragraph that keeps its line breaks and spaces."""
    text = "" if text is None else str(text)
    if not would_be_rich(text):
        return text
    return "<p style='white-space:pre-wrap'>" + html.escape(text, quote=False) + "</p>"


def make_plain(label: QLabel) -> QLabel:
    """Show the label's text as written, whatever it contains."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A QLabel that never reads its text as markup."""
    return make_plain(QLabel(text, parent))
