"""A flat text of the letter whose every character maps back to a positioned word.

Parsers match regular expressions on :attr:`TextMap.text` (lines joined by ``\\n``, words by a space) and
turn any match span into provenance: the page and the word boxes it covers.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from .document import Line, Word


@dataclass(frozen=True)
class Span:
    start: int
    end: int

    def __bool__(self) -> bool:
        return self.end > self.start


class TextMap:
    def __init__(self, lines: list[Line]) -> None:
        self.lines = lines
        parts: list[str] = []
        self.word_starts: list[int] = []
        self.words: list[Word] = []
        self.line_starts: list[int] = []
        pos = 0
        for i, line in enumerate(lines):
            if i:
                parts.append("\n")
                pos += 1
            self.line_starts.append(pos)
            for j, word in enumerate(line.words):
                if j:
                    parts.append(" ")
                    pos += 1
                self.word_starts.append(pos)
                self.words.append(word)
                parts.append(word.text)
                pos += len(word.text)
        self.text = "".join(parts)

    def line_index(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self.line_starts, offset) - 1)

    def line_at(self, offset: int) -> Line:
        return self.lines[self.line_index(offset)]

    def words_in(self, start: int, end: int) -> list[Word]:
        """Words that overlap the character span [start, end)."""
        if end <= start:
            return []
        first = max(0, bisect.bisect_right(self.word_starts, start) - 1)
        out = []
        for k in range(first, len(self.words)):
            ws = self.word_starts[k]
            if ws >= end:
                break
            if ws + len(self.words[k].text) > start:
                out.append(self.words[k])
        return out

    def provenance(self, start: int, end: int, confidence: float) -> dict | None:
        """Provenance of the words under a character span."""
        # Trim whitespace so that a span never highlights a neighbouring word through a separator.
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return words_provenance(self.words_in(start, end), confidence)


def words_provenance(words: list[Word], confidence: float) -> dict | None:
    """Contract provenance for words: first page, one box per line on it, plus every page's boxes."""
    if not words:
        return None
    spans: list[dict] = []
    for w in words:
        if not spans or spans[-1]["page"] != w.page:
            spans.append({"page": w.page, "boxes": []})
        boxes = spans[-1]["boxes"]
        # Merge words of one line into one box: a reader's highlight, and a small record.
        if boxes and abs(boxes[-1][1] - w.top) < 2 and w.x0 >= boxes[-1][0]:
            last = boxes[-1]
            last[2] = max(last[2], round(w.x1, 2))
            last[3] = max(last[3], round(w.bottom, 2))
        else:
            boxes.append(w.box)
    prov = {"page": spans[0]["page"], "boxes": spans[0]["boxes"], "confidence": round(confidence, 3)}
    if len(spans) > 1:
        prov["spans"] = spans
    return prov


def clean(text: str) -> str:
    """Collapse whitespace; join a word broken by a hyphen at a line end ("L5-\\nS1" -> "L5-S1")."""
    text = re.sub(r"(\w)-[ \t]*\n[ \t]*(?=\w)", r"\1-", text)
    return re.sub(r"\s+", " ", text).strip()
