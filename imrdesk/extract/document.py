"""Load a letter (PDF bytes or text) into positioned words and lines.

Everything downstream reads a :class:`Document`: a list of :class:`Line` objects in reading order, each made
of :class:`Word` objects carrying their page and box in PDF points (origin top-left, like pdfplumber).
Plain-text letters are laid out on *virtual* pages of a monospace grid (see :data:`TEXT_GRID`), so that
provenance, paragraph detection and highlighting work the same way for both kinds of input.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from statistics import median

# Limits that keep one hostile file from exhausting the machine (overridable by callers).
MAX_BYTES = 50 * 1024 * 1024
MAX_PAGES = 200


@dataclass(frozen=True)
class TextGrid:
    """Geometry of the virtual pages a plain-text letter is laid out on (US Letter, monospace)."""

    width: float = 612.0
    height: float = 792.0
    margin: float = 36.0
    char_width: float = 6.0
    line_height: float = 12.0
    rows_per_page: int = 60


TEXT_GRID = TextGrid()


class LoadError(Exception):
    """A letter that cannot be read at all; ``code`` is one of the contract's error codes."""

    def __init__(self, code: str, message: str, pages: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.pages = pages


@dataclass
class Word:
    text: str
    page: int  # 1-based
    x0: float
    top: float
    x1: float
    bottom: float
    bold: bool | None = None  # None: the source has no font information

    @property
    def box(self) -> list[float]:
        return [round(self.x0, 2), round(self.top, 2), round(self.x1, 2), round(self.bottom, 2)]


@dataclass
class Line:
    words: list[Word]
    para_break: bool = False  # True when a paragraph gap (or the document start) precedes this line

    @property
    def page(self) -> int:
        return self.words[0].page

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def starts_bold(self) -> bool | None:
        """Whether the line opens in bold type (headings and labels do); None without font information."""
        return self.words[0].bold


@dataclass
class Document:
    kind: str  # "pdf" | "txt"
    page_sizes: list[tuple[float, float]]
    lines: list[Line] = field(default_factory=list)
    raw_text: str | None = None  # the original text of a .txt letter
    running: list[Line] = field(
        default_factory=list
    )  # running headers/footers taken out of the reading order

    @property
    def pages(self) -> int:
        return len(self.page_sizes)

    @property
    def word_count(self) -> int:
        return sum(len(line.words) for line in self.lines)


def normalize(text: str) -> str:
    """NFKC (ligatures, full-width forms) plus the typographic quotes and dashes letters use."""
    text = unicodedata.normalize("NFKC", text)
    return text.translate(
        {0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-", 0x2014: "-", 0xA0: " ", 0xAD: ""}
    )


# --------------------------------------------------------------------------------------------- PDF


def load_pdf(data: bytes, *, max_pages: int = MAX_PAGES) -> Document:
    """Read a PDF's text layer into lines of words. Raises :class:`LoadError` with a contract code."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(io.BytesIO(data), password="")
    except Exception as exc:  # pdfminer raises many types for broken files; pdfplumber wraps them
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
        if isinstance(inner, MemoryError):
            raise inner from None  # the machine ran out, not the file: the importer reports "crashed"
        if isinstance(inner, PDFPasswordIncorrect):
            raise LoadError(
                "encrypted", "This PDF is protected by a password; imrdesk cannot open it."
            ) from None
        if "password" in str(inner).lower() or "encrypt" in type(inner).__name__.lower():
            raise LoadError("encrypted", "This PDF is encrypted in a way imrdesk cannot open.") from None
        raise LoadError("corrupt", f"This file is not a readable PDF ({type(inner).__name__}).") from None
    try:
        try:
            n_pages = len(pdf.pages)
        except PDFPasswordIncorrect:
            raise LoadError(
                "encrypted", "This PDF is protected by a password; imrdesk cannot open it."
            ) from None
        except MemoryError:
            raise
        except Exception as exc:
            raise LoadError("corrupt", f"The PDF's page tree is damaged ({type(exc).__name__}).") from None
        if n_pages == 0:
            raise LoadError("empty", "The PDF has no pages.")
        if n_pages > max_pages:
            raise LoadError(
                "too_large",
                f"The PDF has {n_pages} pages; letters over {max_pages} pages are not imported.",
                pages=n_pages,
            )
        sizes: list[tuple[float, float]] = []
        page_words: list[list[Word]] = []
        for number, page in enumerate(pdf.pages, start=1):
            try:
                sizes.append((float(page.width), float(page.height)))
                raw = page.extract_words(extra_attrs=["fontname"], keep_blank_chars=False)
            except MemoryError:
                raise
            except Exception as exc:
                raise LoadError(
                    "corrupt",
                    f"Page {number} of the PDF cannot be read ({type(exc).__name__}).",
                    pages=n_pages,
                ) from None
            words = []
            for w in raw:
                text = normalize(w["text"]).strip()
                if not text:
                    continue
                font = str(w.get("fontname") or "")
                words.append(
                    Word(
                        text,
                        number,
                        w["x0"],
                        w["top"],
                        w["x1"],
                        w["bottom"],
                        bold=bool(re.search(r"bold|black|heavy", font, re.I)),
                    )
                )
            page_words.append(words)
    finally:
        pdf.close()
    lines = []
    for words in page_words:
        lines.extend(_group_lines(words))
    kept = _drop_running_lines(lines, sizes)
    _mark_paragraphs(kept)
    kept_ids = {id(line) for line in kept}
    return Document("pdf", sizes, kept, running=[line for line in lines if id(line) not in kept_ids])


def _group_lines(words: list[Word]) -> list[Line]:
    """Cluster one page's words into lines by vertical overlap, each sorted left to right."""
    rows: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (round(w.top, 1), w.x0)):
        for row in reversed(rows[-3:]):
            ref = row[0]
            overlap = min(ref.bottom, w.bottom) - max(ref.top, w.top)
            if overlap > 0.5 * min(ref.bottom - ref.top, w.bottom - w.top):
                row.append(w)
                break
        else:
            rows.append([w])
    rows.sort(key=lambda r: min(w.top for w in r))
    return [Line(sorted(r, key=lambda w: w.x0)) for r in rows]


_PAGE_NUMBER = re.compile(r"^(page\s*)?\d{1,3}(\s*(of|/)\s*\d{1,3})?$|^-\s*\d{1,3}\s*-$", re.I)


def _drop_running_lines(lines: list[Line], sizes: list[tuple[float, float]]) -> list[Line]:
    """Remove running headers/footers: page numbers, and margin lines repeated on several pages."""
    if len(sizes) < 2:
        return lines

    def in_margin(line: Line) -> bool:
        height = sizes[line.page - 1][1]
        return line.bottom < 0.09 * height or line.top > 0.91 * height

    def shape(line: Line) -> str:
        return re.sub(r"\d+", "#", line.text.lower())

    shapes: dict[str, set[int]] = {}
    for line in lines:
        if in_margin(line):
            shapes.setdefault(shape(line), set()).add(line.page)
    kept = []
    for line in lines:
        if in_margin(line) and (
            _PAGE_NUMBER.match(line.text.strip()) or len(shapes.get(shape(line), ())) >= 2
        ):
            continue
        kept.append(line)
    return kept


def _mark_paragraphs(lines: list[Line]) -> None:
    """Flag lines that open a paragraph: a vertical gap clearly wider than the usual line pitch."""
    pitches = [
        b.top - a.top
        for a, b in zip(lines, lines[1:], strict=False)
        if a.page == b.page and 0 < b.top - a.top < 60
    ]
    pitch = median(pitches) if pitches else 14.0
    for i, line in enumerate(lines):
        if i == 0:
            line.para_break = True
            continue
        prev = lines[i - 1]
        if prev.page != line.page:
            # A page break alone says nothing; a change between bold and regular lines does.
            line.para_break = prev.starts_bold is not None and prev.starts_bold != line.starts_bold
        else:
            line.para_break = line.top - prev.top > 1.45 * pitch


# -------------------------------------------------------------------------------------------- text


def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def load_text(text: str, *, max_pages: int = MAX_PAGES) -> Document:
    """Lay a plain-text letter out on virtual monospace pages (one source line per grid row)."""
    grid = TEXT_GRID
    text = normalize(text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n"))
    rows = text.split("\n")
    n_pages = max(1, -(-len(rows) // grid.rows_per_page))
    if n_pages > max_pages:
        raise LoadError(
            "too_large",
            f"The text has {len(rows)} lines; letters over {max_pages} pages are not imported.",
            n_pages,
        )
    lines: list[Line] = []
    for index, row in enumerate(rows):
        page, slot = divmod(index, grid.rows_per_page)
        top = grid.margin + slot * grid.line_height
        words = [
            Word(
                m.group(),
                page + 1,
                grid.margin + m.start() * grid.char_width,
                top,
                grid.margin + m.end() * grid.char_width,
                top + grid.line_height - 2,
            )
            for m in re.finditer(r"\S+", row.expandtabs(4))
        ]
        if words:
            lines.append(Line(words))
    _mark_paragraphs(lines)
    # Long lines widen the virtual page rather than wrap: one source line stays one row.
    widest = max((len(row.expandtabs(4)) for row in rows), default=0)
    width = max(grid.width, 2 * grid.margin + widest * grid.char_width)
    return Document("txt", [(width, grid.height)] * n_pages, lines, raw_text=text)
