"""Full-text search: the text of a letter the index holds, and a reviewer's query made safe for FTS5."""

from __future__ import annotations

import re

from .errors import SearchError


def search_text(rec: dict) -> tuple:
    items = rec.get("items") or []
    treatments = []
    for it in items:
        treatments.extend(
            str(it.get(k))
            for k in ("treatment", "original_request", "authorized", "disputed_portion")
            if it.get(k)
        )
    guidelines = [
        str(it.get(k))
        for it in items
        for k in ("claims_administrator_guideline", "maximus_guideline")
        if it.get(k)
    ]
    return (
        rec.get("case_number"),
        rec.get("file"),
        rec.get("summary"),
        "\n".join(treatments),
        "\n\n".join(str(it["rationale"]) for it in items if it.get("rationale")),
        "\n\n".join(guidelines),
    )


_FTS_COLUMNS = ("case_number", "file_name", "summary", "treatments", "rationales", "guidelines")
_FTS_OPERATORS = {"AND", "OR", "NOT"}
_BAREWORD = re.compile(r"^[\w\u0080-\U0010ffff]+\*?$")


def fts_query(query: str) -> str:
    """A person's search text -> an FTS5 query. Words and operators (AND OR NOT NEAR, "phrases",
    prefix*, column:word, parentheses) pass through; a bare word with punctuation inside, such as a case
    number (CM16-0213037) or a level (L4-5), becomes a phrase instead of a syntax error."""
    if query is None or not query.strip():
        raise SearchError("Type a word or a phrase to search for.")
    out = []
    for token in re.findall(r'"[^"]*"?|[^\s"]+', query.strip()):
        if token.startswith('"') or token in _FTS_OPERATORS or _BAREWORD.match(token):
            out.append(token)
            continue
        lead = re.match(r"^[(]*", token).group()
        trail = re.search(r"[)]*$", token).group()
        core = token[len(lead) : len(token) - len(trail)] if trail else token[len(lead) :]
        if not core or core.startswith("NEAR(") or _BAREWORD.match(core) or core in _FTS_OPERATORS:
            out.append(token)
            continue
        col, sep, rest = core.partition(":")
        if sep and col in _FTS_COLUMNS and rest:
            core = col + ":" + (rest if _BAREWORD.match(rest) or rest.startswith('"') else _quote(rest))
        elif core.startswith("^") and _BAREWORD.match(core[1:]):
            pass
        else:
            core = _quote(core)
        out.append(lead + core + trail)
    return " ".join(out)


def _quote(word: str) -> str:
    star = word.endswith("*") and len(word) > 1
    body = word[:-1] if star else word
    return '"' + body.replace('"', '""') + '"' + ("*" if star else "")


def search_message(query: str, detail: str) -> str:
    hint = (
        'Put a phrase in double quotes ("lumbar fusion"); join words with AND, OR, NOT; use * after a prefix.'
    )
    if "unterminated string" in detail:
        why = "a double quote is not closed"
    elif "no such column" in detail:
        col = detail.rsplit(":", 1)[-1].strip()
        why = f"'{col}:' is not a searchable field (fields: {', '.join(_FTS_COLUMNS)})"
    elif 'near ""' in detail:
        why = "it stops in the middle (AND, OR, NOT, NEAR or an opening parenthesis needs words after it)"
    else:
        why = detail.replace("fts5: ", "")
    return f"Cannot search for {query!r}: {why}. {hint}"
