"""Guideline paragraphs -> structured citations and the guideline families they cite.

A paragraph is made of sentences such as
``Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Topical analgesics.`` and
``Decision based on Non-MTUS Citation Official Disability Guidelines (ODG), Knee & Leg, DME.``.
Families follow the contract: MTUS, ACOEM, ODG, anything else named -> OTHER, "did not cite" -> none.

One citation per named guideline part, in printed order: each MTUS guideline with its year; each ODG chapter
(two chapters in one sentence are two citations, found by the names of ODG's chapters, whatever separates
them); each other reference (another guideline, a book, a web page). A chapter named without a family takes
the family its sentence names ("Neck and Upper Back, Physical Therapy, ODG Preface" -> two ODG citations), or
OTHER where the sentence names none. Splitting never happens inside brackets, a date ("updated 11/16/16") or a
web address.

``title`` is the guideline's part: the MTUS guideline ("Low Back Complaints"), the ODG chapter ("Knee & Leg"),
the ACOEM chapter, or the reference's name; ``section`` what follows it (the topic); ``chapter`` a chapter
number where one is printed ("ACOEM Chapter 12"); ``pages`` only a printed page ("pg. 607", "Page(s): 301");
``year`` the guideline's year, never a date's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .evidence import STRICT, confidence

FAMILIES = ("MTUS", "ACOEM", "ODG", "OTHER")

_NO_EVIDENCE = re.compile(r"did not cite any (medical )?evidence|no (medical )?evidence (was )?cited", re.I)
# "Decision based on MTUS …", "Decision based on Non-MTUS Citation …", "Decision based on Non-MTUS …"
_BASED_ON = re.compile(
    r"Decision\s+based\s+on\s*:?\s*(?P<kind>Non[-\s]?MTUS(?:\s+Citations?)?|MTUS(?:\s+Citations?)?)?\s*:?\s*",
    re.I,
)
# Older letters: "The Expert Reviewer based his/her decision on the MTUS Chronic Pain … Guidelines".
_BASED_ITS = re.compile(
    r"(?<!not )\bbased\s+(?:its|his/her|his|her|their)\s+(?:decision|determination)\s+on\s+(?:the\s+)?"
    r"(?!recommendation|guidelines?\s+outside|information|medical\s+records)",
    re.I,
)
_MTUS = re.compile(r"\bMTUS\b|Medical Treatment Utilization Schedule", re.I)
_ACOEM = re.compile(r"\bACOEM\b|American College of Occupational", re.I)
_ODG = re.compile(r"\bODG\b|Official\s+Disability\s+Guidelines?", re.I)
_OTHER_PREFIX = re.compile(r"^(?:and\s+)?(?:the\s+)?Other\s+Medical\s+Treatment\s+Guidelines?\s*:?\s*", re.I)
# Phrases that mention MTUS without citing it.
_NOT_CITING = re.compile(
    r"(outside (of )?the MTUS( Guidelines)?|did not base (their|its|his|her) decision on the MTUS"
    r"|not (address|addressed) (in|by) the MTUS)",
    re.I,
)
_YEAR = re.compile(r"(?<![/\-\d.])(?:19[89]\d|20[0-4]\d)(?![/\-\d])")
_PAGES = re.compile(
    r"(?:\bPages?\s*(?:\(s\))?|\bpgs?\.?|\bpp\.?|\bp\.?(?=\s*\d))\s*:?\s*(?P<pages>\d+(?:\s*[-–,]\s*\d+)*)",
    re.I,
)
_CHAPTER_NUMBER = re.compile(r"\bChapter\s+(?P<num>\d+)\b", re.I)

_MTUS_TITLES = re.compile(
    r"Chronic Pain Medical Treatment|Low Back|Neck and Upper Back|Shoulder|Knee|Elbow|Forearm, Wrist,? and Hand|"
    r"General Approach|Acupuncture|Opioid|Postsurgical|Stress[- ]Related|Ankle and Foot|Eye|Pain, Suffering|"
    r"Independent Medical|Cumulative Trauma|Prevention|Work Relatedness|Medical Treatment",
    re.I,
)
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


@dataclass
class GuidelineReading:
    citations: list[dict]
    families: list[str]
    strength: float = STRICT
    doubts: list[str] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        return confidence(self.strength, self.doubts)


def _families_named(text: str) -> list[str]:
    found = []
    for name, pattern in (("MTUS", _MTUS), ("ACOEM", _ACOEM), ("ODG", _ODG)):
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


def _citation(source: str, families: list[str], text: str, **parts) -> dict:
    year = _YEAR.search(text)
    pages = _PAGES.search(text)
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


# ------------------------------------------------------------------------------------------------ MTUS


def _split_guidelines(body: str) -> list[str]:
    """Split at ", and " only between whole guidelines, each naming its year.

    "Low Back Complaints 2004, Section(s): X, and Knee Complaints 2004" is two guidelines; the MTUS title
    "Forearm, Wrist, and Hand Complaints 2004" holds its own ", and".
    """
    body = re.sub(r"(Forearm), (Wrist),? and (Hand)", "\\1\x00 \\2\x00 and \\3", body)
    parts: list[list[str]] = []  # chunks of each guideline
    dated = False  # the last guideline names its year
    for chunk in re.split(r",\s+and\s+", body):
        has_year = bool(_YEAR.search(chunk))
        if parts and not (dated and has_year and chunk[:1].isupper()):
            parts[-1].append(chunk)
            dated = dated or has_year
        else:
            parts.append([chunk])
            dated = has_year
    return [", and ".join(chunks).replace("\x00", ",") for chunks in parts]


def _mtus_citations(body: str, doubts: list[str]) -> list[dict]:
    """``Chronic Pain Medical Treatment 2016, Section(s): X, and Low Back Complaints 2004`` -> citations."""
    out = []
    # The citation ends with its sentence; what follows ("These chapters address …") is the reviewer's prose.
    # ("Section(s): 3. Opioids …" is a numbered section, not a sentence end.)
    for end in re.finditer(r"\.\s+(?=[A-Z])", body):
        if re.search(r"(?:[a-z)\]]|\b(?:19|20)\d\d)$", body[max(0, end.start() - 6) : end.start()]):
            body = body[: end.start()]
            break
    for part in _split_guidelines(body):
        part = part.strip(" .;")
        if not part:
            continue
        families = ["MTUS", "ACOEM"] if _ACOEM.search(part) else ["MTUS"]
        m = re.match(
            r"(?P<title>.+?)\s+\(?(?:MTUS\s+)?(?P<year>(?:19|20)\d{2})\)?(?![/\d]),?\s*"
            r"(?:Section\(?s?\)?\s*:\s*(?P<section>.+?))?\s*(?:,?\s*(?:Pages?\s*\(s\)|pgs?\.?|pp\.?)\s*:?\s*[\d\s,\-–]+)?$",
            part,
            re.I,
        )
        if m:
            title = re.sub(r"^MTUS\s+", "", m.group("title")).strip(" ,")
            out.append(_citation("MTUS", families, part, title=title, section=m.group("section")))
        else:
            # Older layout: "ACOEM Chapter 12 Low Back Complaints Page(s): 301"
            title = _PAGES.split(part)[0] if _PAGES.search(part) else part
            title = re.sub(r"^(?:MTUS\s+)?(?:ACOEM\s+)?(?:Chapter\s+\d+\s+)?", "", title)
            out.append(_citation("MTUS", families, part, title=title))
        if not _MTUS_TITLES.search(out[-1]["title"] or ""):
            doubts.append("an unknown guideline chapter")
    return out


# --------------------------------------------------------------------------------------- other guidelines


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
            if _REFERENCE_WORDS.search(piece) or _YEAR.search(piece):
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
    named = _families_named(piece)
    prefix = _FAMILY_PREFIX.match(piece)
    rest = piece[prefix.end() :] if prefix else piece
    if "ODG" in named or (odg_sentence and not named and _ODG_CHAPTER.match(rest)):
        families = named if named else ["ODG"]
        chapters = _odg_chapters(rest)
        if not chapters:
            if rest and not _ODG_CHAPTER.search(rest):
                doubts.append("an unknown guideline chapter")
            return [_citation("ODG", families, piece, title=rest or None)]
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
                _citation("ODG", families, text, title=_strip_chapter_word(rest[a:b]), section=section)
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
        return [_citation(source, named, piece, title=title or None, section=section)]
    # Any other reference: a book, a web page, another body's guideline. Its first sentence names it, unless
    # that sentence is its authors ("Harris J. Occupational medicine practice guidelines …"): then all of it.
    first, _, more = piece.partition(". ") if not re.match(r"https?://|www\.", piece) else (piece, "", "")
    if _AUTHORS.match(piece):
        first, more = piece, ""
    return [_citation("OTHER", ["OTHER"], piece, title=first, section=more or None)]


def _other_citations(body: str, doubts: list[str]) -> list[dict]:
    """A Non-MTUS citation may hold several references (ODG chapters, other guidelines, web pages)."""
    odg_sentence = bool(_ODG.search(body))
    out: list[dict] = []
    for piece in _references(body, odg_sentence, doubts):
        out.extend(_reference_citations(piece, odg_sentence, doubts))
    return out


# ------------------------------------------------------------------------------------------- paragraphs


def _reassembled(body: str, citations: list[dict]) -> bool:
    """Do the citations' texts give back the body (every word of it, in some citation)?"""
    have = set(re.findall(r"\w+", " ".join(c["text"] for c in citations).lower()))
    want = set(re.findall(r"\w+", body.lower())) - {
        "and",
        "the",
        "of",
        "other",
        "medical",
        "treatment",
        "guidelines",
        "guideline",
        "official",
        "disability",
        "odg",
        "acoem",
        "mtus",
        "citation",
        "non",
    }
    return want <= have


def read_guideline(paragraph: str | None) -> GuidelineReading:
    """Citations, families (unique, first-mention order), and the evidence for them, of one paragraph."""
    text = re.sub(r"\s+", " ", paragraph or "").strip()
    if not text:
        return GuidelineReading([], [], 0.5)
    if _NO_EVIDENCE.search(text) and not _BASED_ON.search(text):
        return GuidelineReading([], [], 0.97)
    matches = list(_BASED_ON.finditer(text)) or list(_BASED_ITS.finditer(text))
    citations: list[dict] = []
    doubts: list[str] = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = text[m.end() : end].strip(" .")
        if not body:
            continue
        kind = (m.groupdict().get("kind") or "").lower()
        if kind.startswith("mtus"):
            found = _mtus_citations(body, doubts)
        else:  # "Non-MTUS Citation …", or an older letter's "based his/her decision on …"
            found = _other_citations(body, doubts)
        if not found or not _reassembled(body, found):
            doubts.append("text of the paragraph left out of the citations")
        citations.extend(found)
    if citations:
        families: list[str] = []
        for c in citations:
            for f in c["families"]:
                if f not in families:
                    families.append(f)
        strength = STRICT if matches and _BASED_ON.match(matches[0].group()) else 0.75
        return GuidelineReading(citations, families, strength, list(dict.fromkeys(doubts)))
    # No "Decision based on" sentence: fall back to the names the paragraph mentions, minus disclaimers.
    named = _families_named(_NOT_CITING.sub(" ", text))
    return GuidelineReading([], named, 0.55 if named else 0.45)


def parse_guideline(paragraph: str | None) -> tuple[list[dict], list[str], float]:
    """Citations, families (unique, first-mention order) and a confidence for one guideline paragraph."""
    reading = read_guideline(paragraph)
    return reading.citations, reading.families, reading.confidence
