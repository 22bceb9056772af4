"""Validation findings in the store: the rules run on the effective record, reviewers dismiss findings.

The validation rules (:mod:`imrdesk.extract.rules`) run again every time the store reads a letter, on its
*effective* record (extracted values with the reviewer's corrections applied), with that letter's dismissals.
So a corrected value clears its finding as soon as it satisfies the rule, a value a rule doubts stays below the
review threshold until a reviewer corrects it or dismisses the finding, and a dismissed finding gives the value
its own confidence back. Two tables (schema 2):

- ``dismissals``  a reviewer's decision that a finding is not a problem, by ``(doc_id, key)``, with the
  finding's rule, path and message as they were, and who dismissed it when. The key (``rule:path``) does not
  depend on the extraction, so a dismissal survives re-extraction and re-import. Every dismissal and every
  restoration is also written to ``audit`` (path ``finding:<key>``, old/new ``open``/``dismissed``).
- ``findings``    derived: the open findings of each letter's effective record, rewritten on every write with
  the other derived columns; the documents list counts them and SQL can group them.

The review queue (:func:`review_queue`) is the order in which keyboard review visits a letter's values: its
open findings first, then the other values below the review threshold that no reviewer has corrected, each
group in document order (the record's field order, which follows the letter: header, reviewer, case summary,
then each item in turn). Document order rather than lowest-confidence-first: below the threshold, confidences
are coarse classes (fallback, conflict, doubted) rather than a fine ranking, and going down the letter keeps
the page view moving one way instead of jumping back and forth.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence

AUDIT_PREFIX = "finding:"
OPEN, DISMISSED = "open", "dismissed"


def _rules():
    from ..extract import rules  # imported on first use: opening a store does not load the extractor

    return rules


def create_tables(db) -> None:
    """The schema-2 tables (``db`` is the store's sqlite_utils Database)."""
    fk = [("doc_id", "documents", "id")]
    db["dismissals"].create(
        {"doc_id": int, "key": str, "rule": str, "path": str, "message": str, "at": str, "user": str},
        pk=("doc_id", "key"),
        foreign_keys=fk,
        not_null={"at"},
        if_not_exists=True,
    )
    db["findings"].create(
        {"doc_id": int, "key": str, "ord": int, "rule": str, "path": str, "message": str},
        pk=("doc_id", "key"),
        foreign_keys=fk,
        not_null={"ord"},
        if_not_exists=True,
    )
    db["findings"].create_index(["rule"], if_not_exists=True)


def dismissed_keys(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    if not ids:
        return out
    marks = ",".join("?" * len(ids))
    for doc_id, key in conn.execute(
        f"SELECT doc_id, key FROM dismissals WHERE doc_id IN ({marks})", list(ids)
    ):
        out.setdefault(doc_id, set()).add(key)
    return out


def check_records(conn: sqlite3.Connection, recs: dict[int, dict], *, dismissals: bool = True) -> None:
    """Run the rules on loaded records in place: ``findings`` and lowered confidences (see rules.apply)."""
    dismissed = dismissed_keys(conn, list(recs)) if dismissals else {}
    for doc_id, rec in recs.items():
        _rules().apply(rec, frozenset(dismissed.get(doc_id, ())))


def write_findings(conn: sqlite3.Connection, doc_id: int, rec: dict) -> None:
    """Rewrite the derived ``findings`` rows of one letter from its checked effective record."""
    conn.execute("DELETE FROM findings WHERE doc_id = ?", (doc_id,))
    conn.executemany(
        "INSERT OR IGNORE INTO findings (doc_id, key, ord, rule, path, message) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (doc_id, f["key"], n, f["rule"], f["path"], f["message"])
            for n, f in enumerate(rec.get("findings") or [])
        ],
    )


def backfill(store, chunk: int = 400) -> None:
    """Fill the derived ``findings`` rows (and the low-confidence counts they change) of every letter, in
    bulk: the upgrade of a schema-1 database, inside its migration transaction."""
    ids = [r[0] for r in store.conn.execute("SELECT id FROM documents ORDER BY id")]
    for start in range(0, len(ids), chunk):
        for doc_id, rec in store._load(ids[start : start + chunk]).items():
            write_findings(store.conn, doc_id, rec)
            store.conn.execute(
                "UPDATE documents SET n_low = ? WHERE id = ?", (len(low_confidence_paths(rec)), doc_id)
            )


def document_order(record: dict) -> list[str]:
    """Every field path of a record in document order: the letter's fields in the record's key order
    (header, reviewer, patient, injury, summary), ``items``, then each item's fields in item order; paths
    only the provenance knows come last, in provenance order."""
    order: list[str] = []
    for key, value in record.items():
        if key in ("file", "sha256", "pages", "format", "error", "items", "provenance", "findings"):
            continue
        if key in ("id", "review_status"):
            continue
        if isinstance(value, dict) and value:
            order.extend(f"{key}.{sub}" for sub in value)
        else:
            order.append(key)
    order.append("items")
    for n, item in enumerate(record.get("items") or []):
        if isinstance(item, dict):
            order.extend(f"items[{n}].{key}" for key in item)
    seen = set(order)
    order.extend(p for p in (record.get("provenance") or {}) if p not in seen)
    return order


def low_confidence_paths(record: dict) -> list[str]:
    """Paths whose value is below the review threshold and has no reviewer's correction (provenance order)."""
    from ..extract import REVIEW_THRESHOLD

    out = []
    for path, p in (record.get("provenance") or {}).items():
        if not isinstance(p, dict) or p.get("corrected"):
            continue
        conf = p.get("confidence")
        if conf is not None and conf < REVIEW_THRESHOLD:
            out.append(path)
    return out


def review_queue(record: dict, order: Iterable[str] | None = None) -> list[str]:
    """The paths keyboard review visits, in turn: open findings first, then the other uncorrected values
    below the review threshold, each group in ``order`` (default: :func:`document_order`; a window may pass
    its own field order). Paths not in ``order`` follow their group, in document order. No path twice.
    A finding about the whole letter has the path ``items`` (no item found)."""
    doc = document_order(record)
    ranked = list(dict.fromkeys([*(order or ()), *doc]))
    rank = {p: i for i, p in enumerate(ranked)}

    def sort(paths: Iterable[str]) -> list[str]:
        return sorted(dict.fromkeys(paths), key=lambda p: rank.get(p, len(rank)))

    first = sort(f["path"] for f in record.get("findings") or [])
    taken = set(first)
    return first + sort(p for p in low_confidence_paths(record) if p not in taken)


class FindingsMixin:
    """The Store's findings API (mixed into :class:`imrdesk.store.Store`)."""

    def findings(self, doc_id: int) -> list[dict]:
        """Open findings of a letter's effective record, in rule order: ``{"rule", "path", "message",
        "key"}`` (dismissed ones left out; see :meth:`dismissed_findings`). KeyError for an unknown letter."""
        return list(self.record(doc_id).get("findings") or [])

    def dismissed_findings(self, doc_id: int, record: dict | None = None) -> list[dict]:
        """A letter's dismissals, oldest first: ``{"key", "rule", "path", "message", "at", "user",
        "active"}``; ``active`` is False when the rule no longer fires on the letter (the value was corrected
        since, or re-extraction reads it differently), so the dismissal has nothing to hide. ``record``: the
        letter's effective record when the caller has just read it (:meth:`record`), not read again."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT key, rule, path, message, at, user FROM dismissals WHERE doc_id = ? ORDER BY at, rowid",
                (doc_id,),
            ).fetchall()
            if not rows:
                return []
            rec = record if record is not None else self._load([doc_id], provenance=False)[doc_id]
        firing = {f.key for f in _rules().check(rec)}
        return [
            {"key": k, "rule": r, "path": p, "message": m, "at": at, "user": u, "active": k in firing}
            for k, r, p, m, at, u in rows
        ]

    def dismiss_finding(self, doc_id: int, key: str, *, user: str | None = None) -> None:
        """Dismiss an open finding of a letter (audited): it stops counting and stops lowering its value's
        confidence, also after re-extraction. Dismissing an already dismissed finding does nothing.
        ValueError when the letter has no such finding; KeyError for an unknown letter."""
        from .store import _now, _os_user

        user = user or _os_user()
        with self._tx():
            self._require(doc_id)
            if self.conn.execute(
                "SELECT 1 FROM dismissals WHERE doc_id = ? AND key = ?", (doc_id, key)
            ).fetchone():
                return
            rec = self._load([doc_id], provenance=False)[doc_id]
            match = [f for f in rec.get("findings") or [] if f["key"] == key]
            if not match:
                raise ValueError(f"Letter #{doc_id} has no open finding {key!r}.")
            f = match[0]
            now = _now()
            self.conn.execute(
                "INSERT INTO dismissals (doc_id, key, rule, path, message, at, user) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (doc_id, key, f["rule"], f["path"], f["message"], now, user),
            )
            self._audit(doc_id, AUDIT_PREFIX + key, OPEN, DISMISSED, user, now)
            self._refresh(doc_id)

    def restore_finding(self, doc_id: int, key: str, *, user: str | None = None) -> None:
        """Undo a dismissal (audited): the finding is open again if its rule still fires. Restoring a
        finding that is not dismissed does nothing."""
        from .store import _now, _os_user

        user = user or _os_user()
        with self._tx():
            cur = self.conn.execute("DELETE FROM dismissals WHERE doc_id = ? AND key = ?", (doc_id, key))
            if not cur.rowcount:
                return
            self._audit(doc_id, AUDIT_PREFIX + key, DISMISSED, OPEN, user, _now())
            self._refresh(doc_id)

    def value_history(self, doc_id: int, path: str) -> list[dict]:
        """The audit rows of one value, oldest first: its corrections and the dismissals and restorations of
        the findings about it (audit path ``finding:<rule>:<path>``)."""
        suffix = ":" + path
        return [
            r
            for r in self.history(doc_id)
            if r["path"] == path or (r["path"].startswith(AUDIT_PREFIX) and r["path"].endswith(suffix))
        ]

    def review_queue(self, doc_id: int, order: Iterable[str] | None = None) -> list[str]:
        """Field paths in the order keyboard review should visit them (see :func:`review_queue`)."""
        return review_queue(self.record(doc_id), order)

    def finding_counts(self, ids: Iterable[int] | None = None) -> dict:
        """Open findings by rule (every rule listed, zeros included), their total, the letters with at
        least one, and the dismissals, over the whole database or some letters."""
        with self._lock:
            where, params = "", []
            if ids is not None:
                ids = list(ids)
                where = " WHERE doc_id IN (SELECT value FROM json_each(?))"
                params = [json.dumps(ids)]
            by_rule = {r: 0 for r in _rules().RULES}
            for rule, n in self.conn.execute(
                f"SELECT rule, count(*) FROM findings{where} GROUP BY rule", params
            ):
                by_rule[rule] = n
            letters = self.conn.execute(
                f"SELECT count(DISTINCT doc_id) FROM findings{where}", params
            ).fetchone()[0]
            dismissed = self.conn.execute(f"SELECT count(*) FROM dismissals{where}", params).fetchone()[0]
        return {"open": sum(by_rule.values()), "letters": letters, "by_rule": by_rule, "dismissed": dismissed}
