"""The words of a page as a reviewer selects them (no Qt here): their reading order, the text of a
selection, which value a point of the page came from, and what an editor of each kind is given.

Words are ``(text, x0, top, x1, bottom)`` in PDF points, origin at the page's top-left: the space of the
provenance boxes (``docs/field-contract.md``), so a word and a value's box compare as they are.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from imrdesk.record import citation_anchor, panel_order

PageWord = tuple[str, float, float, float, float]
BOX_PAD = 1.2  # points around a value's box that still count as on it (the highlight's own margin)


def reading_lines(words: Sequence[PageWord]) -> list[list[int]]:
    """The indices of ``words`` as lines, top to bottom, each left to right. A word joins a line when it
    overlaps the line's first word by half the smaller height (a superscript stays on its line; the next
    line, 12 points down, does not)."""
    lines: list[list[int]] = []
    spans: list[tuple[float, float]] = []
    for index in sorted(range(len(words)), key=lambda i: (words[i][2], words[i][1])):
        _text, _x0, top, _x1, bottom = words[index]
        for n, (line_top, line_bottom) in enumerate(spans):
            overlap = min(bottom, line_bottom) - max(top, line_top)
            if overlap > 0.5 * max(0.1, min(bottom - top, line_bottom - line_top)):
                lines[n].append(index)
                break
        else:
            lines.append([index])
            spans.append((top, bottom))
    for line in lines:
        line.sort(key=lambda i: words[i][1])
    lines.sort(key=lambda line: min(words[i][2] for i in line))
    return lines


def reading_rank(words: Sequence[PageWord]) -> list[int]:
    """Each word's place in reading order (``rank[i]`` of word ``i``)."""
    rank = [0] * len(words)
    for place, index in enumerate(i for line in reading_lines(words) for i in line):
        rank[index] = place
    return rank


def words_text(words: Sequence[PageWord], chosen: Iterable[int] | None = None) -> str:
    """The text of some words (default: all) in reading order: words joined by a space, lines by a newline.
    Plain text, as the letter has it."""
    keep = None if chosen is None else set(chosen)
    out = []
    for line in reading_lines(words):
        texts = [words[i][0] for i in line if keep is None or i in keep]
        if texts:
            out.append(" ".join(texts))
    return "\n".join(out)


def word_at(words: Sequence[PageWord], x: float, y: float, pad: float = 1.0) -> int | None:
    """The word under a point of the page (the smallest, should boxes overlap), or None."""
    hits = [
        i
        for i, (_t, x0, top, x1, bottom) in enumerate(words)
        if x0 - pad <= x <= x1 + pad and top - pad <= y <= bottom + pad
    ]
    return min(hits, key=lambda i: _area(words[i][1:]), default=None)


def words_in(words: Sequence[PageWord], rect: tuple[float, float, float, float]) -> list[int]:
    """The words a rectangle dragged over the page takes: those it crosses in the middle half of their
    height, so a rectangle drawn over one line does not take the line above or below it."""
    left, top, right, bottom = rect
    out = []
    for i, (_t, x0, w_top, x1, w_bottom) in enumerate(words):
        quarter = (w_bottom - w_top) / 4
        if x1 >= left and x0 <= right and w_bottom - quarter >= top and w_top + quarter <= bottom:
            out.append(i)
    return out


def value_at(record: dict | None, page: int, x: float, y: float) -> str | None:
    """The path of the value whose provenance box holds a point of ``page`` (1-based): the smallest box
    wins (a date inside a sentence that is another value). Only values the field panel edits count;
    citations stand for their guideline paragraph."""
    if not record:
        return None
    editable = set(panel_order(record))
    best: tuple[float, str] | None = None
    for path, prov in (record.get("provenance") or {}).items():
        target = citation_anchor(path)
        if target not in editable or not isinstance(prov, dict):
            continue
        for box in _boxes_on(prov, page):
            x0, top, x1, bottom = box
            if x0 - BOX_PAD <= x <= x1 + BOX_PAD and top - BOX_PAD <= y <= bottom + BOX_PAD:
                area = _area(box)
                if best is None or area < best[0]:
                    best = (area, target)
    return best[1] if best else None


def _boxes_on(prov: dict, page: int) -> Iterable[tuple[float, float, float, float]]:
    spans = prov.get("spans") or [{"page": prov.get("page"), "boxes": prov.get("boxes") or []}]
    for span in spans:
        if not isinstance(span, dict) or span.get("page") != page:
            continue
        for box in span.get("boxes") or []:
            if isinstance(box, (list, tuple)) and len(box) == 4:
                try:
                    yield tuple(float(v) for v in box)  # type: ignore[misc]
                except (TypeError, ValueError):
                    continue


def _area(box: Sequence[float]) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


# ------------------------------------------------------------------ what an editor is given

_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})")
_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%d %B %Y", "%Y-%m-%d")


def text_for(kind: str, text: str) -> str:
    """The selected text as an editor of ``kind`` takes it: a letter's date (12/06/2016, December 6, 2016)
    as ISO, the one number of an age ("43-year-old"), a list's lines joined by "; ", a paragraph's lines
    by a space. What it cannot make sense of is given as selected: the editor says what is wrong."""
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    flat = " ".join(lines)
    if kind == "date":
        return _iso_date(flat) or flat
    if kind == "int":
        numbers = re.findall(r"\d+", flat)
        return numbers[0] if len(numbers) == 1 else flat
    if kind == "list":
        return "; ".join(lines)
    if kind == "lines":
        return "\n".join(lines)
    return flat


def choice_for(options: Sequence[object], text: str) -> object | None:
    """The choice (a decision, a sex, a priority) the selected text names, whatever its case and the
    punctuation around it; None when it names none."""
    said = " ".join(text.split()).strip(" .,:;()\"'").casefold()
    return next((o for o in options if str(o).casefold() == said), None)


def _iso_date(text: str) -> str | None:
    cleaned = text.strip(" .,;:()")
    match = _US_DATE.fullmatch(cleaned)
    if match:
        month, day, year = (int(v) for v in match.groups())
        if year < 100:
            year += 2000 if year < 70 else 1900
        try:
            return dt.date(year, month, day).isoformat()
        except ValueError:
            return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    return None
