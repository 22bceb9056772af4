"""The references of a "Decision based on Non-MTUS Citation …" sentence: ODG chapters, ACOEM chapters, other
guidelines, books and web pages, each a structured citation (``citations.py`` reads the paragraphs).

Each ODG chapter is one citation, found by the names of ODG's chapters whatever separates them ("ODG, Neck and
Upper Back, Low Back"); a chapter named without a family takes the family its sentence names ("Neck and Upper
Back, Physical Therapy, ODG Preface" -> two ODG citations), or OTHER where the sentence names none. A new
reference begins at a family name, "Other Medical Treatment Guidelines", a web address or an author ("Harris
J."). Nothing is split inside brackets, a date ("updated 11/16/16") or a web address.
"""

from __future__ import annotations

import re

MTUS_NAME = re.compile(r"\bMTUS\b|Medical Treatment Utilization Schedule", re.I)
ACOEM_NAME = re.compile(r"\bACOEM\b|American College of Occupational", re.I)
ODG_NAME = re.compile(r"\bODG\b|Official\s+Disability\s+Guidelines?", re.I)
_OTHER_PREFIX = re.compile(r"^(?:and\s+)?(?:the\s+)?Other\s+Medical\s+Treatment\s+Guidelines?\s*:?\s*", re.I)
YEAR = re.compile(r"(?<![/\-\d.])(?:19[89]\d|20[0-4]\d)(?![/\-\d])")
PAGES = re.compile(
    r"(?:\bPages?\s*(?:\(s\))?|\bpgs?\.?|\bpp\.?|\bp\.?(?=\s*\d))\s*:?\s*(?P<pages>\d+(?:\s*[-–,]\s*\d+)*)",
    re.I,
)
_CHAPTER_NUMBER = re.compile(r"\bChapter\s+(?P<num>\d+)\b", re.I)

_AND = r"\s*(?:&|and)\s*"
# The chapters of the Official Disability Guidelines, longest first so that "Forearm, Wrist & Hand" is one.
_ODG_CHAPTERS = [
    rf"Low\s+Back\s*[-–,]?\s*Lumbar{_AND}Thoracic",
    rf"Forearm,?\s+Wrist,?{_AND}Hand",
    rf"Neck{_AND}Upper\s+Back",
    rf"Knee{_AND}Leg",
    rf"Hips?{_AND}Pelvis",
    rf"Ankle{_AND}Foot",
    rf"Foot{_AND}Ankle",
    rf"Mental\s+Illness{_AND}Stress",
    rf"Lumbar{_AND}Thoracic",
    rf"Elbow{_AND}Upper\s+Arm",
    r"Carpal\s+Tunnel\s+Syndrome",
    r"Traumatic\s+Brain\s+Injury",
    r"Fitness\s+for\s+Duty",
    r"Chronic\s+Pain",
    r"Low\s+Back",
    r"Upper\s+Back",
    r"Physical\s+(?:Therapy|Medicine)\s+Guidelines?",
    r"Chiropractic\s+Guidelines?",
    r"Occupational\s+Therapy\s+Guidelines?",
    r"Integrated\s+Treatment(?:/Disability\s+Duration)?(?:\s+Guidelines?)?",
    r"Workers'?\s+Comp(?:ensation)?\s+Drug\s+Formulary",
    r"Preface",
    r"Shoulder",
    r"Elbow",
    r"Knee",
    r"Neck",
    r"Hand",
    r"Wrist",
    r"Ankle",
    r"Foot",
    r"Hip",
    r"Head",
    r"Hernia",
    r"Burns",
    r"Eye",
    r"Pulmonary",
    r"Diabetes",
    r"Pain",
]
_ODG_CHAPTER = re.compile(r"(?:" + "|".join(_ODG_CHAPTERS) + r")\b", re.I)
# What may follow a chapter's name and still be part of it: "(Acute & Chronic)", "Chapter", "(updated …)".
_CHAPTER_TAIL = re.compile(
    r"(?:\s*\((?=[^()]*(?:Acute|Chronic|updated|online|version|Thoracic|Lumbar|\d))[^()]*\)|\s+(?:chapters?|sections?)\b|"
    r"\s*-\s*Lumbar\s*(?:&|and)\s*Thoracic\b)*",
    re.I,
)
# Where one reference ends and another begins inside a "Decision based on Non-MTUS Citation" sentence.
_STANDALONE = re.compile(
    r"^(?:(?:and\s+)?(?:the\s+)?(?:Official\s+Disability|ODG\b|ACOEM\b|American\s+College|MTUS\b|"
    r"Other\s+Medical\s+Treatment)|https?://|www\.|[A-Z][a-z]+\s+[A-Z]{1,3}[.,]\s|[A-Z][a-z]+\s+et\s+al\b)",
    re.I,
)
# What continues a reference after ";": its date, pages or publisher ("; 2007 Jan. 10", "Ann Arbor (MI): …").
_CONTINUES = re.compile(
    r"\d|(?:pp?\.|pgs?\.|pages?)\s*\d|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s*\([A-Z]{2}\)\s*:", re.I
)
_AUTHORS = re.compile(
    r"^[A-Z][A-Za-z'-]+(?:,?\s+[A-Z]{1,3}\.?)+(?:\s*,?\s*(?:and|&)?\s*[A-Z][A-Za-z'-]+\s+[A-Z]{1,3}\.?)*\s|^[A-Z][A-Za-z'-]+\s+et\s+al\b"
)
_REFERENCE_WORDS = re.compile(
    r"https?://|www\.|\.(?:com|org|gov|edu)\b|\bGuidelines?\b|Association|College|Society|Institute|Journal|"
    r"\bet al\b|\bPress\b|\bedition\b",
    re.I,
)


def families_named(text: str) -> list[str]:
    found = []
    for name, pattern in (("MTUS", MTUS_NAME), ("ACOEM", ACOEM_NAME), ("ODG", ODG_NAME)):
        m = pattern.search(text)
        if m:
            found.append((m.start(), name))
    return [name for _, name in sorted(found)]


def _protected(text: str) -> list[tuple[int, int]]:
    """Spans no split may fall in: brackets, dates, web addresses, decimal numbers."""
    spans = []
    depth, open_at = 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            if depth == 0:
                open_at = i
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
            if depth == 0:
                spans.append((open_at, i + 1))
    if depth:
        spans.append((open_at, len(text)))
    for m in re.finditer(
        r"\d{1,2}/\d{1,2}(?:/\d{2,4})?|https?://\S+|www\.\S+|\S+\.(?:com|org|gov|edu)\S*|\d\.\d", text
    ):
        spans.append(m.span())
    return spans


def _inside(text: str) -> list[bool]:
    """For each offset: does it lie strictly inside a protected span (a split there would cut it)?"""
    inside = [False] * (len(text) + 1)
    for a, b in _protected(text):
        inside[a + 1 : b] = [True] * max(0, b - a - 1)
    return inside


def _split(text: str, pattern: re.Pattern) -> list[tuple[int, int, int]]:
    """(separator start, piece start, piece end) of the pieces between ``pattern`` matches outside protected spans."""
    inside = _inside(text)
    cuts = [
        m for m in pattern.finditer(text) if not inside[m.start()] and not inside[max(m.start(), m.end() - 1)]
    ]
    out, start, sep = [], 0, 0
    for m in cuts:
        out.append((sep, start, m.start()))
        sep, start = m.start(), m.end()
    out.append((sep, start, len(text)))
    return [(s, a, b) for s, a, b in out if text[a:b].strip(" .,;:")]


def make_citation(source: str, families: list[str], text: str, **parts) -> dict:
    year = YEAR.search(text)
    pages = PAGES.search(text)
    number = _CHAPTER_NUMBER.search(text)
    citation = {
        "source": source,
        "title": None,
        "chapter": number.group("num") if number else None,
        "section": None,
        "pages": re.sub(r"\s+", "", pages.group("pages")) if pages else None,
        "year": int(year.group()) if year else None,
        "text": text,
        "families": families,
    }
    citation.update({k: (v.strip(" ,.;:-") or None) if isinstance(v, str) else v for k, v in parts.items()})
    return citation


def _references(body: str, odg_sentence: bool, doubts: list[str]) -> list[str]:
    """The references of a Non-MTUS body: split at ";" and sentence ends where a new one clearly begins, and
    before every family name or "Other Medical Treatment Guidelines" that does not open the body."""
    pieces: list[list[str]] = []  # each reference's pieces, with the glue before each one but the first
    separator = re.compile(
        r";\s*|(?<=(?-i:[a-z)\]]))\.\s+(?=(?-i:[A-Z(]))|\s+and\s+(?=(?:the\s+)?(?:Other\s+Medical|ODG\b|Official\s+Disability|"
        r"ACOEM\b|American\s+College))|,\s*(?=(?:the\s+)?(?:ODG\b|Official\s+Disability|ACOEM\b))|"
        r"(?<=\w)(?<!\bthe)(?<!\band)\s+(?=(?:ODG\b|Official\s+Disability\s+Guidelines?\s*\(ODG\))(?!\s*\)))",
        re.I,
    )
    for sep, a, b in _split(body, separator):
        piece = body[a:b].strip(" .,;")
        between = body[sep:a]
        new = not pieces or _STANDALONE.match(piece) or (odg_sentence and _ODG_CHAPTER.match(piece))
        if not new and ";" not in between and "." not in between:
            new = True  # split by a family name: the pattern only cuts before one
        elif not new and ";" in between and not odg_sentence and not _CONTINUES.match(piece):
            # "CMS Physician Fee Schedule Search; Medicare Physicians Fee Schedule": two names, most likely
            new = True
            doubts.append("a reference that may be two")
        if new:
            pieces.append([piece])
        else:
            if _REFERENCE_WORDS.search(piece) or YEAR.search(piece):
                doubts.append("a reference that may be two")
            pieces[-1].extend(["; " if ";" in between else ". ", piece])
    return ["".join(reference) for reference in pieces]


_FAMILY_PREFIX = re.compile(
    r"^(?:the\s+)?(?:(?:MTUS\s+)?ACOEM(?:\s+Guidelines?)?|American\s+College\s+of\s+Occupational\s+and\s+"
    r"Environmental\s+Medicine(?:\s*\(ACOEM\))?|Official\s+Disability\s+Guidelines?(?:\s*\(ODG\))?|ODG"
    r"(?:\s+Guidelines?)?|MTUS(?=\s+\w))\s*(?:,\s*(?:(?:19|20)\d{2}\s*,)?|:|-|–|(?:19|20)\d{2}\s*,?)?\s*",
    re.I,
)


def _odg_chapters(rest: str) -> list[tuple[int, int]]:
    """Spans of the ODG chapter names that open a segment of ``rest`` (each one a citation)."""
    inside = _inside(rest)
    found, pos = [], 0
    while pos < len(rest):
        m = _ODG_CHAPTER.search(rest, pos)
        if not m:
            break
        before = rest[max(0, m.start() - 60) : m.start()].rstrip()
        opens = (
            not rest[: m.start()].strip()
            if not before
            else before[-1] in ",;:/-" or re.search(r"\b(?:and|&)$", before)
        )
        if re.search(r"\b(?:chapters?|sections?)\s*:$", before, re.I):
            opens = False  # "… and Hand chapters: Chiropractic Guidelines": the topic, not one more chapter
        if opens and not inside[m.start()]:
            tail = _CHAPTER_TAIL.match(rest, m.end())
            found.append((m.start(), tail.end() if tail else m.end()))
            pos = found[-1][1]
        else:
            pos = m.end()
    return found


def _strip_chapter_word(text: str) -> str:
    return re.sub(r"\s+(?:chapters?|sections?)\s*$", "", text.strip(" ,;:-"), flags=re.I)


def _reference_citations(piece: str, odg_sentence: bool, doubts: list[str]) -> list[dict]:
    piece = _OTHER_PREFIX.sub("", piece).strip(" .,;")
    if not piece:
        return []
    named = families_named(piece)
    prefix = _FAMILY_PREFIX.match(piece)
    rest = piece[prefix.end() :] if prefix else piece
    if "ODG" in named or (odg_sentence and not named and _ODG_CHAPTER.match(rest)):
        families = named if named else ["ODG"]
        chapters = _odg_chapters(rest)
        if not chapters:
            if rest and not _ODG_CHAPTER.search(rest):
                doubts.append("an unknown guideline chapter")
            return [make_citation("ODG", families, piece, title=rest or None)]
        out = []
        lead = rest[: chapters[0][0]].strip(
            " ,;:-"
        )  # a topic printed before the chapter ("physical therapy, elbow")
        for k, (a, b) in enumerate(chapters):
            stop = chapters[k + 1][0] if k + 1 < len(chapters) else len(rest)
            section = re.sub(r"^[\s,;:/\-–]*(?:and\s+)?", "", rest[b:stop]).strip(" ,;:-") or None
            if k + 1 < len(chapters) and section and re.fullmatch(r"(?:and|&)", section, re.I):
                section = None
            if lead and k == 0:
                section = f"{lead}; {section}" if section else lead
            text = piece if len(chapters) == 1 else rest[a:stop].strip(" ,;")
            out.append(
                make_citation("ODG", families, text, title=_strip_chapter_word(rest[a:b]), section=section)
            )
        return out
    if named:
        source = "ACOEM" if "ACOEM" in named else named[0]
        bits = re.split(r"\s*(?:,|:|/(?!/)| - )\s*", rest, maxsplit=1) if rest else [""]
        title = bits[0]
        section = bits[1] if len(bits) > 1 else None
        m = re.match(r"(?P<t>.+?)\s+Chapter\b\s*[,/:\-]?\s*(?P<s>.*)$", rest, re.I)
        if m and not _CHAPTER_NUMBER.match(rest):
            title, section = m.group("t"), m.group("s") or None
        elif re.match(r"Occupational\s+Medicine\s+Practice\s+Guidelines", rest, re.I):
            # "ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Low Back Disorders, pg. 607"
            parts = [
                p
                for p in re.split(r"\s*,\s*", rest)
                if p and not re.match(r"\d+(?:st|nd|rd|th)\s+ed|pgs?\.?|pp?\.|pages?", p, re.I)
            ]
            title = parts[1] if len(parts) > 1 else parts[0]
            section = None
        return [make_citation(source, named, piece, title=title or None, section=section)]
    # Any other reference: a book, a web page, another body's guideline. Its first sentence names it, unless
    # that sentence is its authors ("Harris J. Occupational medicine practice guidelines …"): then all of it.
    first, _, more = piece.partition(". ") if not re.match(r"https?://|www\.", piece) else (piece, "", "")
    if _AUTHORS.match(piece):
        first, more = piece, ""
    return [make_citation("OTHER", ["OTHER"], piece, title=first, section=more or None)]


def other_citations(body: str, doubts: list[str]) -> list[dict]:
    """A Non-MTUS citation may hold several references (ODG chapters, other guidelines, web pages)."""
    odg_sentence = bool(ODG_NAME.search(body))
    out: list[dict] = []
    for piece in _references(body, odg_sentence, doubts):
        out.extend(_reference_citations(piece, odg_sentence, doubts))
    return out
