"""The 2016-17 header table, read by geometry: each label's value is the text to its right in its cell."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .document import Document, Word

# field -> label words as printed (colon optional when matching)
LABELS: dict[str, tuple[str, ...]] = {
    "case_number": ("case", "number"),
    "date_assigned": ("date", "assigned"),
    "date_of_injury": ("date", "of", "injury"),
    "decision_date": ("decision", "date"),
    "ur_denial_date": ("ur", "denial", "date"),
    "priority": ("priority",),
    "application_received": ("application", "received"),
}

_HEADER_END = re.compile(
    r"HOW THE IMR|FINAL DETERMINATION WAS MADE|CLINICAL CASE SUMMARY|Expert Reviewer", re.I
)


@dataclass
class HeaderCell:
    label: list[Word]
    value: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.value)


def _key(word: Word) -> str:
    return word.text.lower().rstrip(":")


def header_words(doc: Document) -> list[Word]:
    """Words of page 1 above the first body heading (the header table, if any)."""
    first_page = [line for line in doc.lines if line.page == 1]
    words: list[Word] = []
    for line in first_page:
        if _HEADER_END.search(line.text):
            break
        words.extend(line.words)
    else:
        return []  # no body heading on page 1: not the header-table layout
    return words


def _next_on_row(prev: Word, w: Word) -> bool:
    """``w`` follows ``prev`` on its row, as the next word of a label would."""
    return abs(w.top - prev.top) < 2 and 0 <= w.x0 - prev.x1 < 15


def _find_label(words: list[Word], tokens: tuple[str, ...], used: set[int]) -> list[Word] | None:
    for first in words:
        if id(first) in used or _key(first) != tokens[0]:
            continue
        found = [first]
        for token in tokens[1:]:
            prev = found[-1]
            if prev.text.endswith(":"):  # the label ended: "Injury Date:" is no start of "Date Assigned"
                break
            # a label wraps only where its line ends ("Date of Decision:" does not go on with the "Injury"
            # below its "Date")
            ends_line = not any(w is not prev and _next_on_row(prev, w) for w in words)
            nxt = None
            for w in words:
                if id(w) in used or _key(w) != token or w is prev:
                    continue
                wrapped = ends_line and 0 < w.top - prev.top < 22 and abs(w.x0 - first.x0) < 10
                if _next_on_row(prev, w) or wrapped:
                    nxt = w
                    break
            if nxt is None:
                break
            found.append(nxt)
        if len(found) == len(tokens):
            # "Date" alone must not end a label whose last printed word carries the colon elsewhere
            return found
    return None


def read_header(doc: Document) -> dict[str, HeaderCell]:
    """Locate every known label and collect the words to its right, within its row and before the next label."""
    words = header_words(doc)
    if not words:
        return {}
    used: set[int] = set()
    labels: dict[str, list[Word]] = {}
    # Longest labels first so that "Date of Injury" is not taken for "Date ...".
    for name, tokens in sorted(LABELS.items(), key=lambda kv: -len(kv[1])):
        found = _find_label(words, tokens, used)
        if found:
            labels[name] = found
            used.update(id(w) for w in found)
    cells: dict[str, HeaderCell] = {}
    label_starts = [(lw[0].x0, lw[0].top, lw[0].bottom) for lw in labels.values()]
    for name, label in labels.items():
        top, bottom = label[0].top - 2, label[0].bottom + 2
        right = max(w.x1 for w in label if abs(w.top - label[0].top) < 2)
        limit = min(
            [x for x, t, b in label_starts if x > right and min(b, bottom) - max(t, top) > 0] or [1e9]
        )
        value = [
            w
            for w in words
            if id(w) not in used
            and w.x0 >= right - 1
            and w.x1 <= limit + 1
            and min(w.bottom, bottom) - max(w.top, top) > 0.5 * (w.bottom - w.top)
        ]
        cells[name] = HeaderCell(label, sorted(value, key=lambda w: (round(w.top), w.x0)))
    return cells
