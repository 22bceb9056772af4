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
from .references import ACOEM_NAME, PAGES, YEAR, families_named, make_citation, other_citations

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
# Phrases that mention MTUS without citing it.
_NOT_CITING = re.compile(
    r"(outside (of )?the MTUS( Guidelines)?|did not base (their|its|his|her) decision on the MTUS"
    r"|not (address|addressed) (in|by) the MTUS)",
    re.I,
)
_MTUS_TITLES = re.compile(
    r"Chronic Pain Medical Treatment|Low Back|Neck and Upper Back|Shoulder|Knee|Elbow|Forearm, Wrist,? and Hand|"
    r"General Approach|Acupuncture|Opioid|Postsurgical|Stress[- ]Related|Ankle and Foot|Eye|Pain, Suffering|"
    r"Independent Medical|Cumulative Trauma|Prevention|Work Relatedness|Medical Treatment",
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
        has_year = bool(YEAR.search(chunk))
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
        families = ["MTUS", "ACOEM"] if ACOEM_NAME.search(part) else ["MTUS"]
        m = re.match(
            r"(?P<title>.+?)\s+\(?(?:MTUS\s+)?(?P<year>(?:19|20)\d{2})\)?(?![/\d]),?\s*"
            r"(?:Section\(?s?\)?\s*:\s*(?P<section>.+?))?\s*(?:,?\s*(?:Pages?\s*\(s\)|pgs?\.?|pp\.?)\s*:?\s*[\d\s,\-–]+)?$",
            part,
            re.I,
        )
        if m:
            title = re.sub(r"^MTUS\s+", "", m.group("title")).strip(" ,")
            out.append(make_citation("MTUS", families, part, title=title, section=m.group("section")))
        else:
            # Older layout: "ACOEM Chapter 12 Low Back Complaints Page(s): 301"
            title = PAGES.split(part)[0] if PAGES.search(part) else part
            title = re.sub(r"^(?:MTUS\s+)?(?:ACOEM\s+)?(?:Chapter\s+\d+\s+)?", "", title)
            out.append(make_citation("MTUS", families, part, title=title))
        if not _MTUS_TITLES.search(out[-1]["title"] or ""):
            doubts.append("an unknown guideline chapter")
    return out


# --------------------------------------------------------------------------------------- other guidelines


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
            found = other_citations(body, doubts)
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
    named = families_named(_NOT_CITING.sub(" ", text))
    return GuidelineReading([], named, 0.55 if named else 0.45)


def parse_guideline(paragraph: str | None) -> tuple[list[dict], list[str], float]:
    """Citations, families (unique, first-mention order) and a confidence for one guideline paragraph."""
    reading = read_guideline(paragraph)
    return reading.citations, reading.families, reading.confidence
