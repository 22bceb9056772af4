"""Dates as letters print them ("12/09/2016", "10-27-16", "November 09, 2016") to ISO strings."""

from __future__ import annotations

import datetime as dt
import re

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))

# One pattern for every printed form; named groups tell which matched.
DATE_RE = re.compile(
    rf"(?<![\d/-])(?P<m>\d{{1,2}})\s?[/-]\s?(?P<d>\d{{1,2}})\s?[/-]\s?(?P<y>\d{{4}}|\d{{2}})(?![\d/-])"
    rf"|\b(?P<mon>{_MONTH_RE})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}})\b",
    re.I,
)


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 50 else 1900
    return year


def match_to_iso(m: re.Match) -> str | None:
    try:
        if m.group("m"):
            return dt.date(_year(m.group("y")), int(m.group("m")), int(m.group("d"))).isoformat()
        month = _MONTHS[m.group("mon").lower()]
        return dt.date(int(m.group("y2")), month, int(m.group("d2"))).isoformat()
    except (ValueError, KeyError, TypeError):
        return None


def parse_date(text: str | None) -> str | None:
    """The first valid date in ``text`` as ``YYYY-MM-DD``, or None."""
    if not text:
        return None
    for m in DATE_RE.finditer(text):
        iso = match_to_iso(m)
        if iso:
            return iso
    return None
