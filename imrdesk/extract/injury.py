"""How the injury happened and what treatment the worker has had, from the clinical case summary.

Each finder returns a :class:`~.evidence.Reading` with offsets into the text it was given (the summary on
one line) or None. The letter's own labelled sentences read at full strength; looser cues (a causal clause in
the opening, "secondary to a fall") read as fallbacks, below the review threshold. The ``*_CUE`` patterns say
that a letter talks about a value; a letter with the cue and no value read gets a finding (``rules.py``).
"""

from __future__ import annotations

import re

from .dates import DATE_RE
from .evidence import FALLBACK, STRICT, Reading, sentence_end, sentence_start, shape_doubts

# ---------------------------------------------------------------------------------------------- mechanism

_SUBJECT = (
    r"(?:(?:the|this|an?|our)\s+)?(?:(?:injured|industrially\s+injured)\s+(?:worker|employee)|patient|"
    r"employee|worker|claimant|applicant|IW|IE)|he|she|they"
)
# Words of the events that injure workers: a mechanism names at least one of them.
_EVENT = re.compile(
    r"\b(?:fall|falls|fell|falling|slip\w*|trip\w*|lift\w*|carr(?:y|ied|ying)|push\w*|pull\w*|twist\w*|bent|"
    r"bend\w*|reach\w*|str(?:uck|ike|iking)|hit|hitting|punch\w*|kick\w*|assault\w*|altercation|attack\w*|"
    r"fight\w*|bit(?:ten|e)|crush\w*|pinned|caught|jamm\w*|motor\s+vehicle|vehicle|MVA|MVC|car|truck|"
    r"accident|collision|rear-?ended|cumulative|repetitive|repeated|continuous|overuse|trauma|stepp\w*|"
    r"jump\w*|climb\w*|ladder|stairs?|roll\w*|land\w*|dropp?\w*|threw|throw\w*|swing\w*|swung|shovel\w*|"
    r"mov(?:e|ed|ing)|unload\w*|load\w*|stock\w*|work\w*|exercis\w*|gym|harass\w*|stress\w*|expos\w*|"
    r"inhal\w*|burn\w*|cut|lacerat\w*|stabb\w*|shot|dog|fainted|syncop\w*|collaps\w*|chair|box(?:es)?|"
    r"object|heavy|typing|keyboard|computer|walk\w*|running|kneel\w*|squat\w*|sitting|standing|restrain\w*|"
    r"transfer\w*|contact|impact|blow|hold\w*|grab\w*|tackl\w*|wrestl\w*|explosion|fire|electric\w*|"
    r"needle\w*|fell|tripped|sprain\w*|strain\w*|injur\w*)\b",
    re.I,
)
_STRICT_MECHANISM = [
    rf"mechanism\s+of\s+(?:the\s+)?(?:injury|injuries|trauma)\s+(?:is|was|has\s+been|were)\s+"
    rf"(?:detailed|described|documented|reported|noted|listed|stated|given|cited|identified|recorded|"
    rf"explained|characterized|indicated)\s+(?:as|to\s+be|to\s+have\s+been)\s*:?\s+"
    rf"(?:(?:occurring|having\s+occurred|resulting|sustained)\s+)?(?:(?:when|while|as|from|after|by)\s+)?"
    rf"(?:(?:{_SUBJECT})\s+)?",
    rf"mechanism\s+of\s+(?:the\s+)?injury\s+(?:occurred|happened|took\s+place|arose|resulted)\s+"
    rf"(?:when|while|as|after|from|during)\s+(?:(?:{_SUBJECT})\s+)?",
    rf"mechanism\s+of\s+(?:the\s+)?injury\s+(?:involved|includes?|included|consisted\s+of|is|was)\s*:?\s*"
    rf"(?:(?:when|while)\s+)?(?:(?:{_SUBJECT})\s+)?",
    r"mechanism\s+of\s+(?:the\s+)?injury\s*(?::|-|–)\s*",
    rf"\b(?:the|this|her|his|their)\s+(?:industrial\s+|work(?:-related)?\s+|original\s+)?injury\s+"
    rf"(?:occurred|happened|took\s+place)\s+(?:on\s+[^.,;]{{4,25}}?\s+)?(?:as\s+a\s+result\s+of|because\s+of|"
    rf"due\s+to|when|while|as|after|from)\s+"
    rf"(?:(?:{_SUBJECT})\s+)?",
]
_FALLBACK_MECHANISM = [
    # "… sustained an industrial injury on 11/09/2016 when he fainted and fell"
    rf"\b(?:sustained|suffered|incurred|reported|had|sustaining|reporting)\s+(?:an?\s+)?(?:[\w-]+\s+){{0,4}}?"
    rf"(?:injur(?:y|ies)|contusions?|fractures?|strains?|sprains?|lacerations?|trauma|tears?|burns?)\b[^.;]{{0,70}}?"
    rf"\b(?:when|while|after|as\s+a\s+result\s+of|from)\s+(?:(?:{_SUBJECT})\s+)?",
    rf"\b(?:was|were|got|became)\s+(?:\w+\s+)?(?:injured|hurt)\b[^.;]{{0,50}}?\b(?:when|while|after|by)\s+"
    rf"(?:(?:{_SUBJECT})\s+)?",
    # "She injured her back while lifting a patient"
    rf"\b(?:injured|hurt|strained|sprained|twisted)\s+(?:his|her|their)\s+[^.;]{{0,40}}?\b(?:when|while|after|by)\s+"
    rf"(?:(?:{_SUBJECT})\s+)?",
    # "… reported that he was lifting a heavy box when he felt pain", "pain that started while pushing boxes"
    rf"\b(?:reported|stated|noted|indicated|reports|states)\s+(?:that\s+)?(?:{_SUBJECT})\s+(?:was\s+|were\s+)?"
    rf"(?=(?:lifting|carrying|pushing|pulling|moving|loading|unloading|climbing|reaching|bending|twisting|walking|"
    rf"running|stepping|working|restraining|transferring|slipped|tripped|fell|lifted|carried|pushed|pulled)\b)",
    rf"\b(?:started|began|begun|occurred|developed|arose)\s+(?:while|when|after)\s+(?:(?:{_SUBJECT})\s+)?",
    # "He felt a sharp pain in his back while lifting a box"
    rf"\b(?:felt|heard|noticed)\s+[^.;]{{0,60}}?\b(?:while|when)\s+(?:(?:{_SUBJECT})\s+(?:was|were)\s+)?(?=\w+ing\b)",
    # "The patient was pulling a pallet jack when he felt a pop in his back"
    rf"(?:^|(?<=[.;]\s))(?:{_SUBJECT})\s+(?:was|were)\s+(?=\w+ing\b[^.;]{{0,120}}?\bwhen\s+(?:{_SUBJECT})\s+"
    rf"(?:felt|noticed|heard|developed|experienced|sustained|injured|hurt)\b)",
    r"\b(?:was|were)\s+involved\s+in\s+(?=an?\s+(?:[\w-]+\s+){0,2}?(?:motor\s+vehicle|car|MVA|MVC|altercation|"
    r"accident|collision|fight|assault)\b)",
    # "spinal contusion secondary to a fall", "reportedly attributed to an industrial motor vehicle accident"
    r"\b(?:secondary|due|attributed|attributable|related)\s+to\s+(?=(?:an?\s+|the\s+)?(?:[\w-]+\s+){0,3}?"
    r"(?:fall|slip|trip|lift\w*|motor\s+vehicle|MVA|MVC|accident|assault|altercation|cumulative|repetitive|"
    r"continuous\s+trauma|crush\w*|collision|overuse)\b)",
    # "… seen in the emergency room after he slipped and fell on the cab of a truck"
    rf"\b(?:after|while|when)\s+(?:(?:{_SUBJECT})\s+)(?=(?:was\s+|were\s+)?(?:\w+ly\s+)?(?:slipped|tripped|fell|"
    rf"lifted|lifting|carrying|carried|pushing|pushed|pulling|pulled|twisted|stepped|struck|hit|punched|"
    rf"kicked|rolled|jumped|climbing|bending|bent|reaching|crushed|pinned|assaulted|attacked|injured)\b)",
    # "was punched in the face", "rolled her right ankle", "crushed his hand"
    rf"(?:^|[.;]\s+)(?:(?:{_SUBJECT})\s+)(?:reportedly\s+)?(?=(?:was\s+|were\s+)?(?:punched|struck|kicked|"
    rf"assaulted|attacked|bitten|crushed|pinned|rear-ended|rolled|twisted|slipped|tripped|fell)\b)",
    # the phrase alone: "cumulative trauma", "a crush injury"
    r"\b(?P<v>(?:cumulative|continuous|repetitive)\s+(?:trauma|motion|strain|stress|use|work|lifting|"
    r"movements?|activities|duties))\b",
    r"\b(?:sustained|suffered|had)\s+(?P<v>an?\s+(?:crush(?:ing)?|slip\s+and\s+fall|trip\s+and\s+fall|fall|"
    r"motor\s+vehicle)\s+(?:injury|accident))\b",
]
# A fallback cue in a sentence about the review or the request is about the treatment, not the injury.
_NOT_INJURY = re.compile(
    r"utilization\s+review|\bUR\b|non-?certif|\bdenied\b|\brequest|guideline|recommend|\bmodified\b", re.I
)
_MECHANISM_PATTERNS = [(re.compile(p, re.I), STRICT) for p in _STRICT_MECHANISM] + [
    (re.compile(p, re.I), FALLBACK) for p in _FALLBACK_MECHANISM
]
# Where the mechanism ends and the story goes on: "… lifted a box and felt pain", "… fell, injuring".
_MECH_TAIL = re.compile(
    r"(?:\s*,\s*(?:and\s+|which\s+|then\s+)?|\s+(?:and|which|then|with)\s+)(?:felt|developed|sustain\w*|"
    r"experienc\w*|noted|report\w*|injur\w*|hurt\w*|resulting|result\w*|caus\w*|subsequent\w*|complain\w*|"
    r"began|started|had\s+(?:onset|pain)|has\s+|was\s+(?:seen|treated|evaluated|taken|transported)|"
    r"presented|went)\b|\s+when\s+(?:he|she|they|the\s+\w+(?:\s+worker)?)\s+(?:felt|noted|noticed|heard|developed|experienced|"
    r"sustained|injured|hurt)\b"
    r"|\s+(?:on|dated)\s+\d{1,2}[/-]\d{1,2}[/-]\d{2,4}\b.*$|\s*\((?:date\s+of\s+injury|DOI)\b.*$",
    re.I,
)
_MECH_UNSTATED = re.compile(
    r"^(?:is\s+|was\s+)?(?:unclear|unknown|undetermined|not\s+(?:detailed|documented|specified|stated|provided|"
    r"described|known|clear|available|given|noted|reported|listed|included|indicated)\b|none\b)",
    re.I,
)
_LEADING = re.compile(rf"(?:(?:was|were|had\s+been|got|has\s+been)\s+|(?:{_SUBJECT})\s+(?=\w))+", re.I)
# A letter that tells how the injury happened: the mechanism sentence, or a story of the moment ("felt a pop
# while lifting", "injured … while moving …").
MECHANISM_CUE = re.compile(
    r"\bmechanism\s+of\s+(?:the\s+)?injury\b|\b(?:felt|heard|noticed)\s+(?:a\s+)?(?:sudden\s+|sharp\s+)?"
    r"(?:pop|snap|pull|pain|strain)\b[^.]{0,60}?\b(?:while|when|after)\b|\binjur(?:ed|y)\b[^.]{0,80}?\b(?:while|when)\s+"
    r"(?:(?:he|she|they|the\s+\w+(?:\s+worker)?)\s+(?:was|were)\s+)?\w+ing\b",
    re.I,
)
MECHANISM_USUAL = (3, 160)


def find_mechanism(text: str) -> Reading | None:
    """How the injury happened: the letter's mechanism sentence, else the earliest causal cue (a fallback);
    None when the letter says it is unknown."""
    for pattern, strength in _MECHANISM_PATTERNS:
        if strength != STRICT:
            break
        for m in pattern.finditer(text):
            end = sentence_end(text, m.end())
            if _MECH_UNSTATED.match(text[m.end() : end].strip()):
                return None  # "The mechanism of injury was not detailed": the letter states none
            reading = _mechanism_at(text, m.end(), end, strength)
            if reading:
                return reading
    readings = []
    for pattern, strength in _MECHANISM_PATTERNS:
        if strength == STRICT:
            continue
        for m in pattern.finditer(text):
            first = sentence_start(text, m.start())
            if _NOT_INJURY.search(text, first, m.start() + 1):
                continue
            if "v" in pattern.groupindex and m.group("v"):
                reading = _mechanism_at(text, m.start("v"), m.end("v"), strength)
            else:
                reading = _mechanism_at(text, m.end(), sentence_end(text, m.end()), strength)
            if reading:
                readings.append(reading)
                break
    return min(readings, key=lambda r: r.start) if readings else None


def _mechanism_at(text: str, start: int, end: int, strength: float) -> Reading | None:
    if _MECH_UNSTATED.match(text[start:end].strip()):
        return None
    lead = _LEADING.match(text, start, end)
    start = lead.end() if lead else start
    tail = _MECH_TAIL.search(text, start, end)
    if tail and tail.start() > start + 2:
        end = tail.start()
    while end > start and text[end - 1] in " ,;:":
        end -= 1
    value = re.sub(r"\s+", " ", text[start:end]).strip()
    if len(value) < 3 or DATE_RE.fullmatch(value):
        return None
    doubts = shape_doubts(text, start, end, MECHANISM_USUAL)
    if not _EVENT.search(value):
        doubts.append("words outside the field's vocabulary")
    return Reading(value, start, end, strength, tuple(doubts))


# ------------------------------------------------------------------------------------ treatment to date

_TREATMENT_SUBJECT = (
    r"(?:(?:the|his|her|their|all)\s+|(?:the\s+)?(?:patient|injured\s+worker|applicant|claimant|employee|IW)['’]s\s+)?"
    r"(?:(?:prior|past|previous|relevant|conservative|recent|other|earlier|initial)\s+(?:relevant\s+|medical\s+|"
    r"conservative\s+)?)?(?:medical\s+)?(?:(?:treatments?|therap(?:y|ies)|care|management)(?:\s+modalities)?|modalities)"
    r"(?:\s+(?:and|&|/)\s+(?:evaluations?|diagnostics?(?:\s+(?:testing|tests|studies|work-?ups?))?|"
    r"diagnostic\s+(?:testing|tests|studies|work-?ups?)|testing|imaging|modalities|therap(?:y|ies)))?"
    r"(?:\s+(?:to\s+date|thus\s+far|so\s+far|rendered|received|provided|given|administered|history)){0,2}"
)
_TREATMENT_VERB = (
    r"(?:(?:has|have|had)\s+)?(?:also\s+)?(?:been\s+)?(?:(?:was|were|is|are)\s+)?"
    r"(?:(?:noted|documented|reported|listed|stated|said|indicated)\s+(?:to\s+)?(?:have\s+)?)?"
    r"(?:include[ds]?|included|including|consist(?:s|ed)?\s+of|comprised?(?:\s+of)?|involved?)"
)
_SENTENCE_OPEN = (
    r"(?:^|(?<=[.;:!?])\s*|(?<=\.\s)|\b(?:To\s+date|Previously|Thus\s+far|So\s+far|Prior\s+to\s+this),?\s+)"
)
_TREATMENT_PATTERNS = [
    (
        re.compile(rf"{_SENTENCE_OPEN}{_TREATMENT_SUBJECT}\s+{_TREATMENT_VERB}\s*:?\s*", re.I),
        STRICT,
    ),
    (
        re.compile(
            r"\b(?:previously|has|have|had)\s+(?:\w+\s+)?(?:received|undergone|tried|completed|had)\s+"
            r"(?:the\s+following\s+)?(?:treatments?|therap(?:y|ies)|care)\s*(?:of|including|such\s+as)?\s*:?\s*",
            re.I,
        ),
        STRICT,
    ),
    (
        re.compile(
            rf"(?:^|(?<=[.;]\s))(?:{_SUBJECT})\s+(?:has|had)\s+(?:previously\s+)?been\s+treated\s+with\s+",
            re.I,
        ),
        STRICT,
    ),
    # a label: "Treatment to date: X", "Prior treatments: X"
    (
        re.compile(
            rf"{_SENTENCE_OPEN}(?:(?:prior|past|previous)\s+treatments?|treatments?\s+(?:to\s+date|history))\s*:\s*",
            re.I,
        ),
        STRICT,
    ),
]
# "Past treatments were not noted for review": the letter states none.
_TREATMENT_UNSTATED = re.compile(
    r"^(?:none\b|not\s+|no\s+(?:prior\s+|previous\s+)?(?:treatment|therapy|care)|unknown|unclear|"
    r"unspecified\.?$)",
    re.I,
)
_TREATMENT_NONE = re.compile(
    rf"{_TREATMENT_SUBJECT}\s+(?:(?:has|have|had)\s+)?(?:was|were|is|are|been)\s+not\s+"
    r"(?:noted|documented|provided|specified|detailed|available|reported|listed|described|indicated)",
    re.I,
)
# A request or a plan is not treatment already had.
_NOT_HAD = re.compile(
    r"\b(?:request\w*|plan(?:ned)?|recommend\w*|authoriz\w*|certif\w*|denied|pending)\b", re.I
)
TREATMENT_CUE = re.compile(
    r"\b(?:prior|past|previous|relevant|conservative)\s+(?:\w+\s+)?(?:treatments?|care|therap(?:y|ies))\b"
    r"|\b(?:treatments?|therap(?:y|ies)|care)\s+(?:\w+\s+){0,3}?(?:to\s+date|thus\s+far|so\s+far|rendered)\b"
    r"|\btreatments?\s+(?:has|have|had)\s+(?:included|consisted)|\bbeen\s+treated\s+with\b",
    re.I,
)
TREATMENT_USUAL = (3, 450)


def treatment_not_stated(text: str) -> bool:
    """The summary says there was no (documented) prior treatment."""
    return bool(_TREATMENT_NONE.search(text))


def find_treatment(text: str) -> Reading | None:
    """The treatment the worker has had to date, from the first sentence that lists it."""
    found: list[tuple[int, int, float]] = []
    for pattern, strength in _TREATMENT_PATTERNS:
        m = pattern.search(text)
        if m:
            found.append((m.start(), m.end(), strength))
    for _, start, strength in sorted(found):
        end = sentence_end(text, start)
        while end > start and text[end - 1] in " ,;:":
            end -= 1
        value = re.sub(r"\s+", " ", text[start:end]).strip()
        if not value or _TREATMENT_UNSTATED.match(value):
            return None
        doubts = shape_doubts(text, start, end, TREATMENT_USUAL)
        if _NOT_HAD.search(value):
            doubts.append("words outside the field's vocabulary")
        return Reading(value, start, end, strength, tuple(doubts))
    return None


def cue_sentence(text: str, cue: re.Pattern) -> tuple[int, int] | None:
    """The sentence in which ``cue`` first occurs (for a finding about a value that was not read)."""
    m = cue.search(text)
    if not m:
        return None
    return sentence_start(text, m.start()), sentence_end(text, m.end())
