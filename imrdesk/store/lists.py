"""The store's list of letters for a window: ordered ids, rows a page at a time, counts, the next letter to
review, and taking letters out of the dataset (recoverably). One object per store: ``store.lists``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..record.types import ListRow
from . import listing
from .audit import SYSTEM_USER, audit, now, os_user
from .listing import ListQuery

if TYPE_CHECKING:  # pragma: no cover
    from .store import Store

REMOVED_PATH = "removed"  # audit path of taking a letter out of the dataset and putting it back


class Lists:
    def __init__(self, store: Store) -> None:
        self.store = store

    def ids(self, query: ListQuery, limit: int | None = None) -> list[int]:
        """The ids of the letters a query selects, in its order (SearchError for an unparsable search);
        ``limit``: the first ones only."""
        with self.store._lock:
            return listing.list_ids(self.store.conn, query, limit)

    def size(self) -> int:
        """How many letters the dataset holds (not removed), from the pre-counted figures: instant at any
        size, so a window can tell whether the list's queries should leave its thread."""
        with self.store._lock:
            row = self.store.conn.execute("SELECT coalesce(sum(letters), 0) FROM letter_tally").fetchone()
        return int(row[0])

    def rows(self, ids: list[int]) -> dict[int, ListRow]:
        """The list rows of some letters, by id (a page of the list)."""
        with self.store._lock:
            return listing.list_rows(self.store.conn, list(ids))

    def counts(self, query: ListQuery) -> dict:
        """How many letters each status filter shows under the query's other filters, and the values to
        check and open findings of the letters the query shows."""
        with self.store._lock:
            return listing.list_counts(self.store.conn, query)

    def snippets(self, query: str, ids: list[int], markers: tuple[str, str] = ("[", "]")) -> dict[int, str]:
        """Search snippets of the letters on screen, by id."""
        with self.store._lock:
            return listing.snippets(self.store.conn, query, list(ids), markers)

    def next_waiting(
        self, ids: list[int], start: int, skip: int | None = None, *, with_checks: bool = False
    ) -> int | None:
        """The next letter still to review in a list's order, from a position, wrapping round
        (``with_checks``: one with something to check)."""
        with self.store._lock:
            return listing.next_waiting(self.store.conn, ids, start, skip, with_checks=with_checks)

    def remove(self, ids: Iterable[int], *, user: str | None = None, restore: bool = False) -> list[int]:
        """Take letters out of the dataset (lists, exports, figures and views leave them out; nothing is
        deleted), or with ``restore`` put them back; audited. Returns the letters that changed."""
        store, done = self.store, []
        with store.transaction():
            at, who = now(), user or os_user()
            for doc_id in dict.fromkeys(ids):
                row = store.conn.execute(
                    "SELECT removed_at FROM documents WHERE id = ?", (doc_id,)
                ).fetchone()
                if row is None or (row[0] is None) == restore:
                    continue
                store.conn.execute(
                    "UPDATE documents SET removed_at = ? WHERE id = ?", (None if restore else at, doc_id)
                )
                audit(
                    store.conn, doc_id, REMOVED_PATH, row[0], None if restore else at, who or SYSTEM_USER, at
                )
                done.append(doc_id)
        return done
