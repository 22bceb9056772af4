"""The reviewed dataset read for figures and exports straight from the tables, without rebuilding records:
the insights' counts (:mod:`tallies`) and the letters' effective values a chunk at a time (the export's
stream). One object per store: ``store.dataset``.

A letter's effective value is its correction when the letter still has the value corrected (as
:func:`records.load` applies them), else the extracted one. The open findings and the changed values come
from the derived ``findings`` rows and ``documents.corrected``, which every write refreshes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..record.paths import parse_item_path
from ..record.registry import ITEM_LISTS, ITEM_TEXT, LETTER_FIELDS
from . import tallies

if TYPE_CHECKING:  # pragma: no cover
    from .store import Store

CHUNK = 1000
LETTER_PATHS = tuple(s.key for s in LETTER_FIELDS if s.kind != "citations")


@dataclass(slots=True)
class DatasetLetter:
    """One letter as the dataset shows it: identity, ``values`` (each letter field path's effective value,
    absent when the letter has no such value), ``items`` (each item's effective values by key), the paths a
    reviewer changed, and the open findings as ``(path, message)``."""

    id: int
    file: str
    status: str
    format: str | None
    pages: int | None
    sha256: str
    error_code: str | None
    error_message: str | None
    values: dict[str, object] = field(default_factory=dict)
    items: list[dict[str, object]] = field(default_factory=list)
    corrected: list[str] = field(default_factory=list)
    findings: list[tuple[str | None, str]] = field(default_factory=list)


def _letters_sql() -> str:
    # a letter's item key order (``layout``) comes as its own small JSON; the values come by VALUES_SQL
    return (
        "SELECT id, file_name, status, format, pages, sha256, error_code, error_message, corrected, "
        "json_extract(nullif(layout, ''), '$.item_keys') FROM documents WHERE id IN (SELECT value FROM json_each(?))"
    )


def _values_sql() -> str:
    # each letter's values as one JSON object (one parse a letter, not one a value), put together as text
    # from the stored JSON (not parsed again); a path the letter has no value for is not a key, so a
    # correction of it is not applied. The rows are looked up in the table's order: a letter's rows need not
    # lie side by side, and the letters of a chunk share pages
    paths = ", ".join(f"'{path}'" for path in LETTER_PATHS)
    return (
        "SELECT doc_id, '{\"' || group_concat(path || '\":' || coalesce(value, 'null'), ',\"') || '}' "
        "FROM fields WHERE rowid IN (SELECT rowid FROM fields "
        f"WHERE doc_id IN (SELECT value FROM json_each(?)) AND path IN ({paths})) GROUP BY doc_id"
    )


LETTERS_SQL = _letters_sql()
VALUES_SQL = _values_sql()
ITEMS_SQL = (
    f"SELECT doc_id, idx, {', '.join((*ITEM_TEXT, *ITEM_LISTS))} FROM items "
    "WHERE doc_id IN (SELECT value FROM json_each(?)) ORDER BY doc_id, idx"
)
_N_TEXT = len(ITEM_TEXT)
_ALL_KEYS = (*ITEM_TEXT, *ITEM_LISTS)
_EVERY_KEY = frozenset(_ALL_KEYS)  # a letter's item keys when they hold every stored key (the usual)


def _loads(text):
    return None if text is None else json.loads(text)


def _lists(rows: list[tuple]) -> list:
    """The items' list columns (JSON text or NULL) of ``rows``, decoded by one parse: one list a row."""
    width = len(ITEM_LISTS)
    cells = [v if v is not None else "null" for row in rows for v in row[2 + _N_TEXT :]]
    flat = json.loads("[" + ",".join(cells) + "]")
    return [flat[i : i + width] for i in range(0, len(flat), width)]


def _item(row: tuple, lists: list, item_keys: frozenset[str] | None) -> dict[str, object]:
    """An item's extracted values as :func:`records.load` gives them: with the letter's item keys
    (``layout``), only those keys; else every text value, and the lists the extraction gave."""
    if item_keys is _EVERY_KEY:  # every key, the lists even when empty
        return dict(zip(_ALL_KEYS, (*row[2 : 2 + _N_TEXT], *lists), strict=True))
    item: dict[str, object] = dict(zip(ITEM_TEXT, row[2 : 2 + _N_TEXT], strict=True))
    for key, value in zip(ITEM_LISTS, lists, strict=True):
        if value is not None or item_keys:
            item[key] = value
    if item_keys:
        item = {k: v for k, v in item.items() if k in item_keys}
    return item


def read_chunk(conn, ids: Sequence[int]) -> list[DatasetLetter]:
    """The dataset letters among ``ids``, in that order (unknown ids left out)."""
    arg = json.dumps(list(ids))
    letters: dict[int, DatasetLetter] = {}
    item_keys: dict[int, frozenset[str] | None] = {}
    keys_of: dict[str | None, frozenset[str] | None] = {None: None}  # one parse a distinct key list
    values = {doc_id: json.loads(obj) for doc_id, obj in conn.execute(VALUES_SQL, (arg,))}
    for row in conn.execute(LETTERS_SQL, (arg,)):
        doc_id, file, status, fmt, pages, sha, code, message, corrected, keys = row
        changed = json.loads(corrected) if corrected and corrected != "[]" else []
        letters[doc_id] = DatasetLetter(
            doc_id, file, status, fmt, pages, sha, code, message, values.get(doc_id) or {}, [], changed, []
        )
        if keys not in keys_of:
            given = frozenset(json.loads(keys) or ())
            keys_of[keys] = _EVERY_KEY if given >= _EVERY_KEY else given
        item_keys[doc_id] = keys_of[keys]
    rows = conn.execute(ITEMS_SQL, (arg,)).fetchall()
    for row, lists in zip(rows, _lists(rows), strict=True):
        letters[row[0]].items.append(_item(row, lists, item_keys[row[0]]))
    for doc_id, path, value in conn.execute(
        "SELECT doc_id, path, value FROM corrections WHERE doc_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY doc_id, rowid",
        (arg,),
    ):
        _correct(letters[doc_id], path, json.loads(value))
    for doc_id, path, message in conn.execute(
        "SELECT doc_id, path, message FROM findings WHERE doc_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY doc_id, ord",
        (arg,),
    ):
        letters[doc_id].findings.append((path, message))
    return [letters[i] for i in ids if i in letters]


def _correct(letter: DatasetLetter, path: str, value) -> None:
    """Apply one correction as :func:`records.load` does: only to a value the letter has."""
    parsed = parse_item_path(path)
    if parsed is None:
        if path in letter.values:
            letter.values[path] = value
        return
    index, key = parsed
    if index < len(letter.items) and key in letter.items[index]:
        letter.items[index][key] = value


class Dataset:
    def __init__(self, store: Store) -> None:
        self.store = store

    def tallies(
        self, *, date_from: str | None = None, date_to: str | None = None, statuses: Iterable[str] = ()
    ) -> Iterator[tuple[str, list]]:
        """The insights' counts, one query at a time (see :func:`tallies.tallies`)."""
        store = self.store
        yield from tallies.tallies(
            store.conn, store._lock, date_from=date_from, date_to=date_to, statuses=tuple(statuses)
        )

    def sheet_rows(self, ids: Iterable[int]) -> int:
        """The rows the letters ``ids`` take in the dataset's item table: one an item, one for a readable
        letter without items (failed letters go elsewhere)."""
        with self.store._lock:
            row = self.store.conn.execute(
                "SELECT total(max(coalesce(n_items, 0), 1)) FROM documents "
                "WHERE error_code IS NULL AND id IN (SELECT value FROM json_each(?))",
                (json.dumps(list(ids)),),
            ).fetchone()
        return int(row[0])

    def letters(self, ids: Iterable[int]) -> Iterator[DatasetLetter]:
        """The letters ``ids`` (in that order) as the dataset shows them, read :data:`CHUNK` at a time."""
        ids = list(ids)
        for start in range(0, len(ids), CHUNK):
            with self.store._lock:
                chunk = read_chunk(self.store.conn, ids[start : start + CHUNK])
            yield from chunk
