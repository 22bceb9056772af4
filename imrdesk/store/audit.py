"""Who did what when: the append-only ``audit`` table, the letters' ``notes``, and the name recorded."""

from __future__ import annotations

import datetime as _dt
import getpass
import sqlite3

from .records import dumps

SYSTEM_USER = "imrdesk"  # what the program does by itself (import, re-extraction, case-number flags)
FINDING_PREFIX = "finding:"  # audit path of a finding's dismissal or restoration: finding:<rule>:<path>
OPEN, DISMISSED = "open", "dismissed"


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def os_user() -> str:
    try:
        return getpass.getuser() or "unknown"
    except Exception:  # no login name (some containers, services)
        return "unknown"


def audit(conn: sqlite3.Connection, doc_id: int, path: str, old, new, user: str, at: str) -> None:
    conn.execute(
        "INSERT INTO audit (doc_id, path, old, new, at, user) VALUES (?, ?, ?, ?, ?, ?)",
        (doc_id, path, dumps(old), dumps(new), at, user),
    )


def note(conn: sqlite3.Connection, doc_id: int, text: str, user: str, at: str) -> None:
    conn.execute("INSERT INTO notes (doc_id, at, user, text) VALUES (?, ?, ?, ?)", (doc_id, at, user, text))
