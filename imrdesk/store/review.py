"""The reviewer's writes, as SQL over a connection inside the store's transaction: corrections (kept apart
from the extracted values), review status, dismissals of validation findings, each audited. No policy here:
which writes make one review operation, and how it is undone, is :mod:`imrdesk.services.review`'s."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..extract import rules
from ..record import get_path, validate_value
from ..record.paths import META_KEYS
from ..record.types import AuditRow, Dismissal, Record
from .audit import DISMISSED, FINDING_PREFIX, OPEN, audit
from .records import dumps, load, loads, read_place


class _Clear:
    """Stands for "drop the correction" in :func:`write_values` (the extracted value is in force again)."""

    def __repr__(self) -> str:
        return "CLEAR"


CLEAR = _Clear()
NOT_CORRECTABLE = ("id", "review_status", "items", "provenance", "findings")


@dataclass(frozen=True)
class Picked:
    """A reviewer's value read off the letter's page: the value, and the words it was read from (a page,
    1-based, and their boxes in PDF points, origin top-left), which stand as its provenance once saved."""

    value: object
    page: int
    boxes: tuple[tuple[float, float, float, float], ...]

    def source(self) -> str:
        """As the corrections table keeps it (checked: a page number and boxes of four numbers)."""
        if not isinstance(self.page, int) or isinstance(self.page, bool) or self.page < 1 or not self.boxes:
            raise ValueError("A value read off the page needs the page it is on and the boxes of its words.")
        boxes = []
        for box in self.boxes:
            if len(box) != 4 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in box):
                raise ValueError("A word's box is four numbers: x0, top, x1, bottom.")
            boxes.append([round(float(v), 2) for v in box])
        return dumps({"page": self.page, "boxes": boxes})


@dataclass(frozen=True)
class Prior:
    """A value before a write: what was in force, and the correction that made it so (CLEAR: none; a
    :class:`Picked` when it was read off the page)."""

    value: object
    correction: object


def _correction(value: str, source: str | None) -> object:
    """A stored correction as :func:`write_values` takes it back (its page and boxes, when it has them)."""
    where = read_place(source)
    if where is None:
        return loads(value)
    return Picked(loads(value), where["page"], tuple(tuple(box) for box in where["boxes"]))


def require(conn: sqlite3.Connection, doc_id: int, name: str) -> None:
    if not conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone():
        raise KeyError(f"No letter #{doc_id} in {name}.")


def write_values(
    conn: sqlite3.Connection, doc_id: int, values: Mapping[str, object], user: str, at: str
) -> dict[str, Prior]:
    """Set (or, with CLEAR, drop) reviewer's values of one letter, one audit row each; returns each path's
    prior state. ValueError for a path that is not a correctable field or a value of the wrong shape
    (nothing written then). A value equal to the one in force is still written: it is the reviewer's."""
    current = load(conn, [doc_id], provenance=False, check=False)[doc_id]
    extracted = None
    corrections = {
        path: (value, source)
        for path, value, source in conn.execute(
            "SELECT path, value, source FROM corrections WHERE doc_id = ?", (doc_id,)
        )
    }
    planned = []
    for path, value in values.items():
        source = None
        if isinstance(value, Picked):  # read off the page: where it was read is kept with it
            source, value = value.source(), value.value
        if path.split(".", 1)[0] in META_KEYS or path in NOT_CORRECTABLE:
            raise ValueError(f"{path!r} is not a correctable field.")
        try:
            old = get_path(current, path)
        except KeyError:
            raise ValueError(f"Letter #{doc_id} has no field {path!r}.") from None
        if isinstance(old, dict):
            raise ValueError(f"{path!r} is a group of fields; correct its parts (e.g. '{path}.<name>').")
        prior = Prior(old, _correction(*corrections[path]) if path in corrections else CLEAR)
        if value is CLEAR:
            if extracted is None:
                extracted = load(conn, [doc_id], corrections=False, provenance=False, check=False)[doc_id]
            try:
                new = get_path(extracted, path)
            except KeyError:
                new = None
        else:
            new = validate_value(path, value, old)
        planned.append((path, value is CLEAR, new, source, prior))
    out = {}
    for path, clear, new, source, prior in planned:
        if clear:
            if prior.correction is CLEAR:
                continue  # nothing to drop
            conn.execute("DELETE FROM corrections WHERE doc_id = ? AND path = ?", (doc_id, path))
        else:
            conn.execute(
                "INSERT INTO corrections (doc_id, path, value, at, user, source) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(doc_id, path) DO UPDATE SET value = excluded.value, at = excluded.at, "
                "user = excluded.user, source = excluded.source",
                (doc_id, path, dumps(new), at, user, source),
            )
        audit(conn, doc_id, path, prior.value, new, user, at)
        out[path] = prior
    return out


def status(conn: sqlite3.Connection, doc_id: int, name: str) -> str:
    row = conn.execute("SELECT status FROM documents WHERE id = ?", (doc_id,)).fetchone()
    if row is None:
        raise KeyError(f"No letter #{doc_id} in {name}.")
    return row[0]


def set_status(
    conn: sqlite3.Connection, doc_id: int, new: str, old: str, user: str, at: str, *, audited: bool
) -> None:
    conn.execute("UPDATE documents SET status = ? WHERE id = ?", (new, doc_id))
    if audited:
        audit(conn, doc_id, "review_status", old, new, user, at)


def dismiss(conn: sqlite3.Connection, doc_id: int, keys: Iterable[str], user: str, at: str) -> list[str]:
    """Dismiss open findings of a letter (one audit row each); returns the keys dismissed now (already
    dismissed ones are left alone). ValueError when the letter has no such open finding."""
    keys = [k for k in dict.fromkeys(keys) if not _is_dismissed(conn, doc_id, k)]
    if not keys:
        return []
    rec = load(conn, [doc_id], provenance=False)[doc_id]
    open_findings = {f["key"]: f for f in rec.get("findings") or []}
    missing = [k for k in keys if k not in open_findings]
    if missing:
        raise ValueError(f"Letter #{doc_id} has no open finding {missing[0]!r}.")
    for key in keys:
        f = open_findings[key]
        conn.execute(
            "INSERT INTO dismissals (doc_id, key, rule, path, message, at, user) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (doc_id, key, f["rule"], f["path"], f["message"], at, user),
        )
        audit(conn, doc_id, FINDING_PREFIX + key, OPEN, DISMISSED, user, at)
    return keys


def restore(conn: sqlite3.Connection, doc_id: int, keys: Iterable[str], user: str, at: str) -> list[str]:
    """Undo dismissals (one audit row each); returns the keys restored (those not dismissed are skipped)."""
    done = []
    for key in dict.fromkeys(keys):
        cur = conn.execute("DELETE FROM dismissals WHERE doc_id = ? AND key = ?", (doc_id, key))
        if cur.rowcount:
            audit(conn, doc_id, FINDING_PREFIX + key, DISMISSED, OPEN, user, at)
            done.append(key)
    return done


def _is_dismissed(conn: sqlite3.Connection, doc_id: int, key: str) -> bool:
    return bool(
        conn.execute("SELECT 1 FROM dismissals WHERE doc_id = ? AND key = ?", (doc_id, key)).fetchone()
    )


def dismissed_findings(conn: sqlite3.Connection, doc_id: int, record: Record | None) -> list[Dismissal]:
    """A letter's dismissals, oldest first; ``active`` is False when the rule no longer fires on the
    letter (the value was corrected since, or re-extraction reads it differently)."""
    rows = conn.execute(
        "SELECT key, rule, path, message, at, user FROM dismissals WHERE doc_id = ? ORDER BY at, rowid",
        (doc_id,),
    ).fetchall()
    if not rows:
        return []
    rec = record if record is not None else load(conn, [doc_id], provenance=False, check=False)[doc_id]
    firing = {f.key for f in rules.check(rec)}
    return [
        {"key": k, "rule": r, "path": p, "message": m, "at": at, "user": u, "active": k in firing}
        for k, r, p, m, at, u in rows
    ]


def history(conn: sqlite3.Connection, doc_id: int, path: str | None = None) -> list[AuditRow]:
    """Audit rows, oldest first (status changes have path 'review_status')."""
    sql = "SELECT path, old, new, at, user FROM audit WHERE doc_id = ?"
    params: tuple = (doc_id,)
    if path is not None:
        sql += " AND path = ?"
        params += (path,)
    return [
        {"path": p, "old": loads(o), "new": loads(n), "at": at, "user": u}
        for p, o, n, at, u in conn.execute(sql + " ORDER BY id", params)
    ]


def value_history(conn: sqlite3.Connection, doc_id: int, path: str) -> list[AuditRow]:
    """The audit rows of one value, oldest first: its corrections and the dismissals and restorations of
    the findings about it (audit path ``finding:<rule>:<path>``)."""
    suffix = ":" + path
    return [
        r
        for r in history(conn, doc_id)
        if r["path"] == path or (r["path"].startswith(FINDING_PREFIX) and r["path"].endswith(suffix))
    ]


def finding_counts(
    conn: sqlite3.Connection, ids: Sequence[int] | None = None, letters: tuple[str, list] | None = None
) -> dict:
    """Open findings by rule (every rule listed, zeros included), their total, the letters with at least
    one, and the dismissals, over the whole database, some letters (``ids``) or the letters an SQL condition
    on ``documents d`` selects (``letters``: the condition and its parameters)."""
    where, params = "", []
    if ids is not None:
        where = " WHERE doc_id IN (SELECT value FROM json_each(?))"
        params = [json.dumps(list(ids))]
    elif letters is not None:
        # each finding's letter looked up by its key: the cost follows the findings, not the letters
        where = f" WHERE EXISTS (SELECT 1 FROM documents d WHERE d.id = doc_id AND {letters[0]})"
        params = list(letters[1])
    by_rule = {r: 0 for r in rules.RULES}
    for rule, n in conn.execute(f"SELECT rule, count(*) FROM findings{where} GROUP BY rule", params):
        by_rule[rule] = n
    letters = conn.execute(f"SELECT count(DISTINCT doc_id) FROM findings{where}", params).fetchone()[0]
    dismissed = conn.execute(f"SELECT count(*) FROM dismissals{where}", params).fetchone()[0]
    return {"open": sum(by_rule.values()), "letters": letters, "by_rule": by_rule, "dismissed": dismissed}
