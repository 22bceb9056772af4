"""The fast PDF reader: a letter's text layer read by pdfium, made into the words pdfplumber would make.

pdfplumber (:func:`document.load_pdf`, the reference reader) interprets every content stream in Python;
pdfium does it in C (the shared letters' text layers are read about eight times faster). This module asks
pdfium for each character (its text, origin, matrix, font) and rebuilds what pdfplumber's
``page.extract_words(extra_attrs=["fontname"])`` gives with its defaults, so that the parsers see the same
words in the same boxes:

- a character's box is pdfminer's: from its origin, its advance width across, and from the font's descent
  below the baseline up one font size (pdfium's own boxes are the glyph's outline, or that and more);
- the font's descent, and its name, are pdfminer's: the standard fonts (and the Arial, Times New Roman and
  Courier New aliases of the PDF reference) take the metrics built into every reader, other fonts their
  descriptor's descent;
- pdfium drops the spaces a letter draws at a text object's edge and puts a space of its own there: those
  break words as pdfplumber's drawn spaces do; the line breaks it makes up are left out; its mark for a
  hyphen ending a line (U+0002) is the hyphen the letter drew;
- words are grouped as pdfplumber's ``WordExtractor`` does: runs of characters of one font and orientation,
  lines clustered within 3 pt, a word broken by a space, by a gap over 3 pt or by a step back.

On the shared letters the words, their text and fonts are identical to pdfplumber's; the boxes agree to
0.001 pt except where the two place a line's characters differently (word spacing: a shift under 0.25 pt).
What pdfium does not read the way pdfplumber would (a turned page, a page box not at the origin, a password,
a page without words that shows something: a scan, or text pdfium cannot read) raises
:class:`FastReadError`; :func:`imrdesk.extract.extract` then reads the letter with pdfplumber.
"""

from __future__ import annotations

import ctypes
from itertools import groupby
from operator import itemgetter

from .document import MAX_PAGES, Document, Word, assemble_pdf, check_page_count, make_word

# pdfium has no decompression budget (pdfplumber's stops at MAX_DECODED_BYTES, ~2.5 million characters of
# text): over this many characters in all, the reference reader reads the letter under its budget. A page
# of a letter has 2,000-6,000.
MAX_CHARS = 2_500_000
X_TOLERANCE = 3.0  # pdfplumber's extract_words defaults
Y_TOLERANCE = 3.0

# The descent (per 1000 of the font size) of the standard fonts and their aliases, as pdfminer's built-in
# metrics give it, and the name pdfminer then gives the font (its metrics' FontName).
_FAMILIES = {"Courier": -194.0, "Helvetica": -207.0, "Times": -217.0, "Symbol": 0.0, "ZapfDingbats": 0.0}
_STANDARD = {
    name: name
    for name in (
        "Courier Courier-Bold Courier-BoldOblique Courier-Oblique Helvetica Helvetica-Bold "
        "Helvetica-BoldOblique Helvetica-Oblique Symbol Times-Bold Times-BoldItalic Times-Italic "
        "Times-Roman ZapfDingbats"
    ).split()
}
_STANDARD |= {
    "Arial": "Helvetica",
    "Arial,Italic": "Helvetica-Oblique",
    "Arial,Bold": "Helvetica-Bold",
    "Arial,BoldItalic": "Helvetica-BoldOblique",
    "CourierNew": "Courier",
    "CourierNew,Italic": "Courier-Oblique",
    "CourierNew,Bold": "Courier-Bold",
    "CourierNew,BoldItalic": "Courier-BoldOblique",
    "TimesNewRoman": "Times-Roman",
    "TimesNewRoman,Italic": "Times-Italic",
    "TimesNewRoman,Bold": "Times-Bold",
    "TimesNewRoman,BoldItalic": "Times-BoldItalic",
}
_HYPHEN_MARK = 0x02  # pdfium's code for a hyphen that ends a line


class FastReadError(Exception):
    """pdfium cannot read this letter the way pdfplumber would: read it with pdfplumber instead."""


# A character: (text, x0, top, x1, bottom, upright, fontname)
Char = tuple[str, float, float, float, float, bool, str]


def load_pdf_fast(data: bytes, *, max_pages: int = MAX_PAGES) -> Document:
    """Read a PDF's text layer with pdfium into the Document pdfplumber's reading would give.

    Raises :class:`LoadError` ``too_large`` over ``max_pages`` pages (pdfplumber would say the same), and
    :class:`FastReadError` for anything else it cannot vouch for."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data, password="")
    except Exception as exc:  # a password, a damaged file: pdfplumber says which, in its words
        raise FastReadError(f"pdfium cannot open it ({exc})") from None
    try:
        n_pages = len(pdf)
        if n_pages == 0:
            raise FastReadError("pdfium finds no page")
        check_page_count(n_pages, max_pages)
        sizes: list[tuple[float, float]] = []
        page_words: list[list[Word]] = []
        budget = MAX_CHARS
        for number in range(1, n_pages + 1):
            page = pdf[number - 1]
            try:
                size, chars, nothing_drawn = _page_chars(page, budget)
            finally:
                page.close()
            budget -= len(chars)
            sizes.append(size)
            words = _words(chars, number)
            if not words and not nothing_drawn:  # a scan for OCR, or text pdfium does not read
                raise FastReadError(f"page {number} has no words to read")
            page_words.append(words)
    finally:
        pdf.close()
    return assemble_pdf(sizes, page_words)


def _page_chars(page, budget: int) -> tuple[tuple[float, float], list[Char], bool]:
    """A page's size (its MediaBox, as pdfplumber takes it), its characters in content-stream order (no
    more than ``budget``), and whether it is a page with nothing to read for either reader (see
    :func:`_nothing_drawn`)."""
    import pypdfium2.raw as c

    if page.get_rotation() % 360:
        raise FastReadError("a turned page")  # pdfplumber turns its coordinates; not reproduced here
    left, bottom, right, top = page.get_mediabox()
    if left or bottom:
        raise FastReadError("a page box not at the origin")
    height = top
    text_page = c.FPDFText_LoadPage(page.raw)
    if not text_page:
        raise FastReadError("pdfium cannot read a page's text")
    try:
        if c.FPDFText_CountChars(text_page) > budget:
            raise FastReadError("more text than a letter's")
        chars = _chars(c, text_page, height)
        blank = all(ch[0].isspace() for ch in chars) and _nothing_drawn(c, page.raw, text_page)
    finally:
        c.FPDFText_ClosePage(text_page)
    return (float(right), float(top)), chars, blank


def _nothing_drawn(c, page, text_page) -> bool:
    """Whether a page shows nothing either reader could make a word of, or OCR could read: no image, no
    form (it may hold either), and no text object with more than blanks in it. Such a page (a blank last
    page, one drawing only lines) reads the same with pdfplumber, so the fast reading stands; any other
    page without words goes to the reference reader."""
    buffer = (ctypes.c_ushort * 256)()
    for index in range(c.FPDFPage_CountObjects(page)):
        obj = c.FPDFPage_GetObject(page, index)
        kind = c.FPDFPageObj_GetType(obj)
        if kind in (c.FPDF_PAGEOBJ_IMAGE, c.FPDF_PAGEOBJ_FORM, c.FPDF_PAGEOBJ_UNKNOWN):
            return False
        if kind == c.FPDF_PAGEOBJ_TEXT:
            size = c.FPDFTextObj_GetText(obj, text_page, buffer, ctypes.sizeof(buffer))
            if not 0 < size <= ctypes.sizeof(buffer):
                return False  # more text than a blank run, or none pdfium can say
            if bytes(buffer)[: size - 2].decode("utf-16-le", "replace").strip():
                return False
    return True


def _calls(c) -> tuple:
    """The three functions called for every character, without argument types: ctypes then converts
    nothing and checks nothing on the way in (the arguments are a prepared pointer, an int and two
    prepared references), and each call costs about 60% of a typed one. Same functions, same calling
    convention: a copy of pypdfium2's function pointer, given only its return type."""
    out = []
    for fn, restype in (
        (c.FPDFText_GetTextObject, ctypes.c_void_p),
        (c.FPDFText_GetUnicode, ctypes.c_uint),
        (c.FPDFText_GetCharOrigin, ctypes.c_int),
    ):
        copy = type(fn)(ctypes.cast(fn, ctypes.c_void_p).value)
        copy.restype, copy.argtypes = restype, None
        out.append(copy)
    return tuple(out)


def _chars(c, text_page, height: float) -> list[Char]:
    get_object, get_unicode, get_origin = _calls(c)
    page = ctypes.c_void_p(ctypes.cast(text_page, ctypes.c_void_p).value)
    chars: list[Char] = []
    append = chars.append
    objects: dict[int, tuple] = {}  # a text object's font, size, matrix: the same for its characters
    fonts: dict[int, dict[int, float]] = {}  # font -> character -> advance per point of size
    faces: dict[int, tuple[str, float]] = {}  # font -> its name and descent
    x, y = ctypes.c_double(), ctypes.c_double()
    px, py = ctypes.byref(x), ctypes.byref(y)
    high = None
    last = info = widths = None  # the text object of the character before, and what it gives
    fontname, top_off, bottom_off, xscale = "", None, 0.0, 0.0
    for index in range(c.FPDFText_CountChars(text_page)):
        obj = get_object(page, index)
        code = get_unicode(page, index)
        if not obj:
            # A character pdfium made up. A line break: nothing. A space: pdfium puts one where it has
            # dropped the spaces the letter drew (it keeps no drawn space at a text object's edge) —
            # a word break pdfplumber sees, placed just after the character before it.
            if code == 0x20 and chars:
                prev = chars[-1]
                append((" ", prev[3], prev[2], prev[3], prev[4], prev[5], prev[6]))
            continue
        if 0xD800 <= code < 0xE000:  # a surrogate pair's halves (pdfium on Windows)
            if code < 0xDC00:
                high = code
                continue
            if high is not None:
                code = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)
        high = None
        if code == _HYPHEN_MARK:
            code = 0x2D
        if obj != last:  # characters come in runs of one text object: look it up once a run
            info = objects.get(obj)
            if info is None:
                info = objects[obj] = _object_info(c, text_page, index, obj, faces)
            fontname, top_off, bottom_off, xscale = info[2], info[4], info[5], info[6]
            widths = fonts.setdefault(info[1], {})
            last = obj
        get_origin(page, index, px, py)
        advance = widths.get(code)
        if advance is None:
            advance = widths[code] = _advance(c, text_page, index, info, code)
        text = chr(code) if code else "\ufffd"
        if top_off is not None:  # upright and unturned, as nearly every letter's text is
            ox, base = x.value, height - y.value
            append((text, ox, base - top_off, ox + xscale * advance, base - bottom_off, True, fontname))
        else:
            append((text, *_turned_box(info, advance, x.value, y.value, height), info[3], fontname))
    return chars


def _advance(c, text_page, index: int, info: tuple, code: int) -> float:
    """A character's advance width per point of font size: its font's width for it, or (a character the
    font has no code for) the width of pdfium's loose box."""
    width = ctypes.c_float()
    if c.FPDFFont_GetGlyphWidth(info[0], code, 1.0, width):
        return width.value
    rect = c.FS_RECTF()
    c.FPDFText_GetLooseCharBox(text_page, index, rect)
    a, size = info[8][0], info[7]
    return (rect.right - rect.left) / (a * size) if a and size else 0.0


def _turned_box(info: tuple, advance: float, ox: float, oy: float, height: float) -> tuple:
    """(x0, top, x1, bottom) of a character whose matrix turns or mirrors it: pdfminer's box in text space,
    (0, descent) to (advance, descent + 1) in units of the font size, through the matrix, at its origin."""
    size, (a, b, cc, d), descent = info[7], info[8], info[9]
    adv, low, top = advance * size, descent * size, (descent + 1.0) * size
    xs = (cc * low, a * adv + cc * low, cc * top, a * adv + cc * top)
    ys = (d * low, b * adv + d * low, d * top, b * adv + d * top)
    return ox + min(xs), height - oy - max(ys), ox + max(xs), height - oy - min(ys)


def _object_info(c, text_page, index: int, obj, faces: dict[int, tuple[str, float]]) -> tuple:
    """What the characters of the text object of character ``index`` share: (font, its address, pdfminer's
    name for it, upright, the top's and the bottom's offsets above the baseline when the text is upright
    and unturned (else None), the advance's scale, the font size as set, the matrix from text space to the
    page, the descent per unit of size). ``faces`` keeps each font's name and descent for the page (a page
    has a few fonts and a hundred text objects)."""
    font = c.FPDFTextObj_GetFont(ctypes.cast(obj, c.FPDF_PAGEOBJECT))
    font_key = ctypes.cast(font, ctypes.c_void_p).value
    face = faces.get(font_key)
    if face is None:
        face = faces[font_key] = _face(c, font)
    name, descent = face
    size = c.FPDFText_GetFontSize(text_page, index) or 1.0
    m = c.FS_MATRIX()
    if not c.FPDFText_GetMatrix(text_page, index, m):
        m.a, m.b, m.c, m.d = 1.0, 0.0, 0.0, 1.0
    upright = m.a * m.d > 0 and m.b * m.c <= 0  # pdfminer's test
    simple = m.b == 0 and m.c == 0 and m.a > 0 and m.d > 0
    top_off = m.d * (descent + 1.0) * size if simple else None
    bottom_off = m.d * descent * size
    matrix = (m.a, m.b, m.c, m.d)
    return font, font_key, name, upright, top_off, bottom_off, m.a * size, size, matrix, descent


def _face(c, font) -> tuple[str, float]:
    """A font's name as pdfminer gives it, and its descent per unit of size (see the module's doc)."""
    name = ""
    buffer = ctypes.create_string_buffer(256)
    if font:
        length = c.FPDFFont_GetBaseFontName(font, buffer, len(buffer))
        if 0 < length <= len(buffer):
            name = buffer.raw[: length - 1].decode("utf-8", "replace")
    standard = _STANDARD.get(name)
    if standard is not None:
        return standard, _FAMILIES[standard.split("-")[0]] / 1000
    value = ctypes.c_float()
    return name, -abs(value.value) if font and c.FPDFFont_GetDescent(font, 1.0, value) else 0.0


# --------------------------------------------------------------------------- words, as pdfplumber makes them


def _words(chars: list[Char], page: int) -> list[Word]:
    """pdfplumber's ``extract_words`` (default tolerances, split on spaces, grouped by font) on ``chars``."""
    words: list[Word] = []
    for (upright, fontname), run in groupby(chars, key=itemgetter(5, 6)):
        for line in _lines(list(run), upright):
            if upright:
                _upright_words(line, page, fontname, words)
                continue
            for group in _split_turned(line):
                texts, x0s, tops, x1s, bottoms = list(zip(*group, strict=True))[:5]
                word = make_word("".join(texts), page, min(x0s), min(tops), max(x1s), max(bottoms), fontname)
                if word is not None:
                    words.append(word)
    return words


def _lines(run: list[Char], upright: bool) -> list[list[Char]]:
    """Cluster a run into lines: by top (upright text) or x0 (turned text), each value joining the cluster
    of the value just below it when within the tolerance; characters sorted along the line."""
    key = 2 if upright else 1
    tolerance = Y_TOLERANCE if upright else X_TOLERANCE
    values = sorted({ch[key] for ch in run})
    along = itemgetter(1) if upright else itemgetter(2, 4)
    if all(b <= a + tolerance for a, b in zip(values, values[1:], strict=False)):  # most runs: one line
        return [sorted(run, key=along)]
    cluster: dict[float, int] = {}
    number, last = 0, values[0]
    for value in values:
        if value > last + tolerance:
            number += 1
        cluster[value] = number
        last = value
    # one stable sort by (line, place along it): what sorting into lines, then each line along, gives
    keyed = sorted(((cluster[ch[key]], along(ch), i) for i, ch in enumerate(run)))
    lines: list[list[Char]] = []
    current = None
    for number, _along, i in keyed:
        if number != current:
            lines.append([])
            current = number
        lines[-1].append(run[i])
    return lines


def _upright_words(line: list[Char], page: int, fontname: str, words: list[Word]) -> None:
    """A line of upright text broken into words (at a space, a step back, a gap over the tolerance, or
    another line) and their boxes made, in one pass: along a line sorted by x0 a word's first character
    has its least x0."""
    text: list[str] = []
    x0 = top = x1 = bottom = px0 = px1 = ptop = 0.0
    for ch in line:
        t, cx0, ctop, cx1, cbottom = ch[0], ch[1], ch[2], ch[3], ch[4]
        space = t.isspace()
        if text and (space or cx0 < px0 or cx0 > px1 + X_TOLERANCE or abs(ctop - ptop) > Y_TOLERANCE):
            word = make_word("".join(text), page, x0, top, x1, bottom, fontname)
            if word is not None:
                words.append(word)
            text = []
        if space:
            continue
        if text:
            text.append(t)
            top = ctop if ctop < top else top
            x1 = cx1 if cx1 > x1 else x1
            bottom = cbottom if cbottom > bottom else bottom
        else:
            text = [t]
            x0, top, x1, bottom = cx0, ctop, cx1, cbottom
        px0, px1, ptop = cx0, cx1, ctop
    if text:
        word = make_word("".join(text), page, x0, top, x1, bottom, fontname)
        if word is not None:
            words.append(word)


def _split_turned(line: list[Char]) -> list[list[Char]]:
    """Break a line of turned text (read top to bottom) into words: at a space, a step back, a gap over the
    tolerance, or another line — :func:`_upright_words`'s tests with the tolerances swapped."""
    words: list[list[Char]] = []
    current: list[Char] = []
    for ch in line:
        if ch[0].isspace():
            if current:
                words.append(current)
            current = []
            continue
        if current:
            prev = current[-1]
            if ch[2] < prev[2] or ch[2] > prev[4] + Y_TOLERANCE or abs(ch[1] - prev[1]) > X_TOLERANCE:
                words.append(current)
                current = []
        current.append(ch)
    if current:
        words.append(current)
    return words
