"""Guideline paragraphs -> structured citations and the guideline families they cite.

A paragraph is made of sentences such as
``Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Topical analgesics.`` and
``Decision based on Non-MTUS Citation Official Disability Guidelines (ODG), Knee & Leg, DME.``.
Families follow the contract: MTUS, ACOEM, ODG, anything else named -> OTHER, "did not cite" -> none.
"""

from __future__ import annotations

import re

FAMILIES = ("MTUS", "ACOEM", "ODG", "OTHER")

_NO_EVIDENCE = re.compile(r"did not cite any (medical )?evidence|no (medical )?evidence (was )?cited", re.I)
_BASED_ON = re.compile(r"Decision based on\s+(?P<kind>Non-MTUS Citation|MTUS(?: Citation)?)\s*:?\s*", re.I)
_MTUS = re.compile(r"\bMTUS\b|Medical Treatment Utilization Schedule", re.I)
_ACOEM = re.compile(r"\bACOEM\b|American College of Occupational", re.I)
_ODG = re.compile(r"\bODG\b|Official Disability Guidelines?", re.I)
# Phrases that mention MTUS without citing it.
_NOT_CITING = re.compile(
    r"(outside (of )?the MTUS( Guidelines)?|did not base (their|its|his|her) decision on the MTUS"
    r"|not (address|addressed) (in|by) the MTUS)",
    re.I,
)
_YEAR = re.compile(r"\b(19[89]\d|20[0-4]\d)\b")
_PAGES = re.compile(r"\bPages?\s*\(?s?\)?\s*:?\s*(?P<pages>\d[\d\s,\-–]*\d|\d+)", re.I)
# A reference that stands on its own rather than naming one more section of the guideline before it.
_STANDALONE = re.compile(
    r"https?://|www\.|\.(com|org|gov|edu)\b|Guidelines?\b|Association|College|Society|Institute|University|"
    r"Journal|\bet al\b|\b(19|20)\d{2}\b",
    re.I,
)
_CHAPTER = re.compile(r"\bChapter\s+(?P<num>\d+)\b", re.I)


def _families_named(text: str) -> list[str]:
    found = []
    for name, pattern in (("MTUS", _MTUS), ("ACOEM", _ACOEM), ("ODG", _ODG)):
        m = pattern.search(text)
        if m:
            found.append((m.start(), name))
    return [name for _, name in sorted(found)]


def _split_guidelines(body: str) -> list[str]:
    """Split at ", and " only between whole guidelines, each naming its year.

    "Low Back Complaints 2004, Section(s): X, and Knee Complaints 2004" is two guidelines; the MTUS title
    "Forearm, Wrist, and Hand Complaints 2004" holds its own ", and".
    """
    body = re.sub(r"(Forearm), (Wrist),? and (Hand)", "\\1\x00 \\2\x00 and \\3", body)
    parts: list[str] = []
    for chunk in re.split(r",\s+and\s+", body):
        if parts and not (_YEAR.search(parts[-1]) and _YEAR.search(chunk) and chunk[:1].isupper()):
            parts[-1] = f"{parts[-1]}, and {chunk}"
        else:
            parts.append(chunk)
    return [part.replace("\x00", ",") for part in parts]


def _mtus_citations(body: str) -> list[dict]:
    """``Chronic Pain Medical Treatment 2016, Section(s): X, and Low Back Complaints 2004`` -> citations."""
    parts = _split_guidelines(body)
    out = []
    for part in parts:
        part = part.strip(" .;")
        if not part:
            continue
        m = re.match(
            r"(?P<title>.+?)\s+(?P<year>(?:19|20)\d{2})\b,?\s*(?:Section\(s\):\s*(?P<section>.+))?$", part
        )
        citation = {
            "source": "MTUS",
            "title": None,
            "chapter": None,
            "section": None,
            "pages": None,
            "year": None,
            "text": part,
        }
        if m:
            citation.update(
                title=m.group("title").strip(" ,"),
                year=int(m.group("year")),
                section=(m.group("section") or "").strip(" .") or None,
            )
        else:
            # Older layout: "ACOEM Chapter 12 Low Back Complaints Page(s): 301"
            title = _PAGES.split(part)[0] if _PAGES.search(part) else part
            citation["title"] = re.sub(r"^(ACOEM\s+)?(Chapter\s+\d+\s+)?", "", title).strip(" ,.") or None
        ch, pg = _CHAPTER.search(part), _PAGES.search(part)
        if ch:
            citation["chapter"] = ch.group("num")
        if pg:
            citation["pages"] = re.sub(r"\s+", "", pg.group("pages"))
        citation["families"] = ["MTUS", "ACOEM"] if _ACOEM.search(part) else ["MTUS"]
        out.append(citation)
    return out


def _other_citations(body: str) -> list[dict]:
    """A Non-MTUS citation may hold several references (ODG chapters, other guidelines, web pages)."""
    pieces = re.split(r";\s*|\s+and (?=Other Medical Treatment Guidelines?)|(?<=[a-z)])\.\s+(?=[A-Z])", body)
    out = []
    for piece in pieces:
        piece = piece.strip(" .,;")
        if not piece:
            continue
        named = _families_named(piece)
        if re.match(r"Other Medical Treatment Guidelines?", piece, re.I):
            named = []
        elif not named and out and not _STANDALONE.search(piece):
            # "ODG, Low Back - TPII; Hyperstimulation analgesia": another section of the same guideline.
            prev = out[-1]
            prev["section"] = f"{prev['section']}; {piece}" if prev["section"] else piece
            prev["text"] = f"{prev['text']}; {piece}"
            continue
        families = named or ["OTHER"]
        source = next((f for f in ("ODG", "ACOEM", "MTUS") if f in families), "OTHER")
        title = chapter = section = None
        rest = piece
        m = re.match(
            r"(?P<title>Official Disability Guidelines?(?:\s*\(ODG\))?|ODG|American College of Occupational and "
            r"Environmental Medicine(?:\s*\(ACOEM\))?|(?:MTUS\s+)?ACOEM(?: Guidelines?)?|Other Medical Treatment "
            r"Guidelines?)\s*[,:\-–]?\s*",
            piece,
            re.I,
        )
        if m:
            title, rest = m.group("title").strip(), piece[m.end() :]
        if rest:
            bits = re.split(r"\s*(?:,|:|/| - )\s*", rest, maxsplit=1)
            chapter = bits[0].strip(" .") or None
            section = bits[1].strip(" .") if len(bits) > 1 else None
            if title is None:
                title, chapter = chapter, None
        year = _YEAR.search(piece)
        pages = _PAGES.search(piece)
        out.append(
            {
                "source": source,
                "title": title,
                "chapter": chapter,
                "section": section,
                "pages": re.sub(r"\s+", "", pages.group("pages")) if pages else None,
                "year": int(year.group()) if year else None,
                "text": piece,
                "families": families,
            }
        )
    return out


def parse_guideline(paragraph: str | None) -> tuple[list[dict], list[str], float]:
    """Citations, families (unique, first-mention order) and a confidence for one guideline paragraph."""
    text = re.sub(r"\s+", " ", paragraph or "").strip()
    if not text:
        return [], [], 0.5
    if _NO_EVIDENCE.search(text) and not _BASED_ON.search(text):
        return [], [], 0.97
    matches = list(_BASED_ON.finditer(text))
    citations: list[dict] = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = text[m.end() : end].strip(" .")
        if m.group("kind").lower().startswith("non"):
            citations.extend(_other_citations(body))
        else:
            citations.extend(_mtus_citations(body))
    if citations:
        families: list[str] = []
        for c in citations:
            for f in c["families"]:
                if f not in families:
                    families.append(f)
        return citations, families, 0.95
    # No "Decision based on" sentence: fall back to the names the paragraph mentions, minus disclaimers.
    named = _families_named(_NOT_CITING.sub(" ", text))
    return [], named, 0.55 if named else 0.45
