"""Load a letter (PDF bytes or text) into positioned words and lines.

Everything downstream reads a :class:`Document`: a list of :class:`Line` objects in reading order, each made
of :class:`Word` objects carrying their page and box in PDF points (origin top-left, like pdfplumber).
Plain-text letters are laid out on *virtual* pages of a monospace grid (see :data:`TEXT_GRID`), so that
provenance, paragraph detection and highlighting work the same way for both kinds of input.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from statistics import median

from .inflate import DecodeLimit, decode_budget

# Limits that keep one hostile file from exhausting the machine (overridable by callers). A real letter is
# 2-10 pages, 30-150 kB as a PDF whose streams decompress to well under 1 MB, and 10-40 kB as text.
MAX_BYTES = 50 * 1024 * 1024  # a file
MAX_PAGES = 200
# Everything a PDF's streams decompress to, together (the largest of the 65 real letters: 270 kB). Text
# drawn from 16 MB of content streams is already ~2.5 million characters, over a gigabyte of layout objects.
MAX_DECODED_BYTES = 16 * 1024 * 1024
# A text letter, in characters: 200 pages of 60 lines of 100 characters is 1.2 million. (Normalising can
# multiply some characters by up to 18, so this also bounds what normalising makes of the text.)
MAX_TEXT_CHARS = 2_000_000
MAX_LINE_CHARS = 20_000  # one line of a text letter (a long paragraph is ~3,000)


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


def load_pdf(data: bytes, *, max_pages: int = MAX_PAGES, max_decoded: int = MAX_DECODED_BYTES) -> Document:
    """Read a PDF's text layer into lines of words. Raises :class:`LoadError` with a contract code.

    Its streams may decompress to ``max_decoded`` bytes in all (``too_large`` beyond)."""
    with decode_budget(max_decoded) as budget:
        try:
            return _load_pdf(data, max_pages)
        except DecodeLimit:
            pass
        except LoadError:
            if not budget.exceeded:
                raise
    # over the budget, whether pdfminer let the DecodeLimit through or swallowed it and went on
    raise LoadError(
        "too_large",
        f"The PDF's contents decompress to more than {max_decoded // (1 << 20)} MB (a letter's to under 1 MB); "
        "it was not read further.",
    )


def check_page_count(n_pages: int, max_pages: int) -> None:
    """LoadError ``too_large`` for a PDF over the page limit (either reader)."""
    if n_pages > max_pages:
        raise LoadError(
            "too_large",
            f"The PDF has {n_pages} pages; letters over {max_pages} pages are not imported.",
            pages=n_pages,
        )


def _inner(exc: BaseException) -> BaseException:
    """pdfplumber wraps pdfminer's exceptions: the one that happened."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc


def _load_pdf(data: bytes, max_pages: int) -> Document:
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(io.BytesIO(data), password="")
    except Exception as exc:  # pdfminer raises many types for broken files; pdfplumber wraps them
        inner = _inner(exc)
        if isinstance(inner, (MemoryError, DecodeLimit)):
            raise inner from None  # out of memory: the caller says so; over the budget: too_large
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
        except (MemoryError, DecodeLimit):
            raise
        except Exception as exc:
            if isinstance(_inner(exc), (MemoryError, DecodeLimit)):
                raise _inner(exc) from None
            raise LoadError("corrupt", f"The PDF's page tree is damaged ({type(exc).__name__}).") from None
        if n_pages == 0:
            raise LoadError("empty", "The PDF has no pages.")
        check_page_count(n_pages, max_pages)
        sizes: list[tuple[float, float]] = []
        page_words: list[list[Word]] = []
        for number, page in enumerate(pdf.pages, start=1):
            try:
                sizes.append((float(page.width), float(page.height)))
                raw = page.extract_words(extra_attrs=["fontname"], keep_blank_chars=False)
            except (MemoryError, DecodeLimit):
                raise
            except Exception as exc:
                if isinstance(_inner(exc), (MemoryError, DecodeLimit)):
                    raise _inner(exc) from None
                raise LoadError(
                    "corrupt",
                    f"Page {number} of the PDF cannot be read ({type(exc).__name__}).",
                    pages=n_pages,
                ) from None
            words = []
            for w in raw:
                word = make_word(
                    w["text"], number, w["x0"], w["top"], w["x1"], w["bottom"], w.get("fontname")
                )
                if word is not None:
                    words.append(word)
            page_words.append(words)
    finally:
        # Closing walks the pages again to free them; on a damaged file that can raise too, and must not
        # replace the error that brought us here (nor turn a read file into a failure).
        try:
            pdf.close()
        except Exception:
            pass
    return assemble_pdf(sizes, page_words)


_BOLD = re.compile(r"bold|black|heavy", re.I)


def make_word(
    text: str, page: int, x0: float, top: float, x1: float, bottom: float, fontname: object
) -> Word | None:
    """A word of a PDF's text layer as both readers make it: normalised text (None when nothing is left),
    bold from its font's name."""
    text = (text if text.isascii() else normalize(text)).strip()  # ASCII: normalize changes nothing
    if not text:
        return None
    return Word(text, page, x0, top, x1, bottom, bold=_bold(str(fontname or "")))


@lru_cache(maxsize=1024)
def _bold(fontname: str) -> bool:
    """Whether a font's name says bold (a letter uses a handful of fonts for thousands of words)."""
    return bool(_BOLD.search(fontname))


def assemble_pdf(sizes: list[tuple[float, float]], page_words: list[list[Word]]) -> Document:
    """A PDF's Document from each page's words: lines, running headers and footers set apart, paragraphs.
    Both PDF readers (pdfplumber here, pdfium in :mod:`pdfium_text`) end here, so they differ only in how
    they find the words."""
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


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def text_encoding(data: bytes) -> tuple[str, int]:
    """(encoding, bytes of byte-order mark to skip) of a text letter: a byte-order mark says it; UTF-16
    without one shows as NUL bytes in every other position of English text; else UTF-8 when it decodes,
    else Windows-1252 (what older Windows editors wrote), else Latin-1 (every byte is a character)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            if encoding.startswith("utf-32") and len(data) % 4:
                continue  # "FF FE 00 00" that is not UTF-32: UTF-16 LE whose first character is NUL
            return encoding, len(bom)
    sample = data[:4096]
    if len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]
        # English in UTF-16: nearly every high byte is zero, nearly no low byte is
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le", 0
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be", 0
    try:
        data.decode("utf-8")
        return "utf-8", 0
    except UnicodeDecodeError:
        pass
    try:
        data.decode("cp1252")
        return "cp1252", 0
    except UnicodeDecodeError:
        return "latin-1", 0


def decode_text(data: bytes) -> str:
    """A text letter's characters, whatever it was saved as (see :func:`text_encoding`). Never raises:
    a character that is not valid in the detected encoding becomes U+FFFD."""
    encoding, skip = text_encoding(data)
    return data[skip:].decode(encoding, errors="replace")


def _longest_line(text: str) -> tuple[int, int]:
    """(length, 1-based number) of the longest line, without splitting a huge text into copies."""
    longest, number, start, line = 0, 0, 0, 0
    for match in re.finditer(r"\r\n|[\n\r\f]", text):
        line += 1
        if match.start() - start > longest:
            longest, number = match.start() - start, line
        start = match.end()
    if len(text) - start > longest:
        longest, number = len(text) - start, line + 1
    return longest, number


def load_text(
    text: str, *, max_pages: int = MAX_PAGES, max_chars: int = MAX_TEXT_CHARS, max_line: int = MAX_LINE_CHARS
) -> Document:
    """Lay a plain-text letter out on virtual monospace pages (one source line per grid row). A text over
    ``max_chars`` characters, or with a line over ``max_line``, is ``too_large`` (read in bounded time)."""
    grid = TEXT_GRID
    if len(text) > max_chars:
        raise LoadError(
            "too_large",
            f"The text has {len(text):,} characters; text letters over {max_chars:,} are not imported.",
        )
    longest, number = _longest_line(text)
    if longest > max_line:
        raise LoadError(
            "too_large",
            f"Line {number} of the text has {longest:,} characters; a letter's lines are under "
            f"{max_line:,}, so this is not read as one.",
        )
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


# -------------------------------------------------------------------------------------------- files

_NOT_FILES = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def not_a_file(mode: int) -> str | None:
    """What a path is when it is not a regular file ("a named pipe (FIFO)", …), else None."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _NOT_FILES if test(mode)), "not a regular file")


def read_letter_file(path: str | Path, *, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a letter on disk, read only when it is a regular file of at most ``max_bytes``.

    A FIFO would block the reader forever and ``/dev/zero`` never ends: what is not a regular file is
    refused from its ``stat`` without being opened. The file is then opened without blocking and checked
    again (it may have been swapped meanwhile), and never more than ``max_bytes`` + 1 bytes are read.
    Raises :class:`LoadError` (``corrupt`` when it cannot be read, ``too_large``)."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise LoadError(
                "corrupt",
                f"The file cannot be read: it is a link to {os.readlink(path)}, which does not exist.",
            ) from None
        raise LoadError("corrupt", "The file cannot be read: it does not exist.") from None
    except OSError as exc:
        raise LoadError("corrupt", f"The file cannot be read: {exc.strerror or exc}.") from None
    what = not_a_file(info.st_mode)
    if what:
        raise LoadError("corrupt", f"This is {what}, not a file; only regular files are read.")
    if info.st_size > max_bytes:
        raise LoadError("too_large", too_large_message(info.st_size, max_bytes))
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOCTTY", 0)
    )
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise LoadError("corrupt", f"The file cannot be read: {exc.strerror or exc}.") from None
    try:
        what = not_a_file(os.fstat(fd).st_mode)
        if what:
            raise LoadError("corrupt", f"This is {what}, not a file; only regular files are read.")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise LoadError("corrupt", f"The file cannot be read: {exc.strerror or exc}.") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # it grew since its stat
        raise LoadError("too_large", too_large_message(len(data), max_bytes))
    return data


def too_large_message(size: int, limit: int) -> str:
    return f"The file is {size / 1e6:.1f} MB; files over {limit / 1e6:.0f} MB are not imported."
