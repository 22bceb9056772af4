"""Helpers for tests that make an older imrdesk file out of a new one."""

from __future__ import annotations

import sqlite3

from imrdesk.store import summary


def drop_summary(conn: sqlite3.Connection) -> None:
    """Take schema 6's parts out of a file (what a schema-5 or older file lacks)."""
    for name in summary.TRIGGERS:
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DROP VIEW item_groups")
    conn.execute("DROP TABLE letter_tally")
    conn.execute("DROP TABLE item_tally")
    conn.execute("DROP INDEX documents_decision_date")
