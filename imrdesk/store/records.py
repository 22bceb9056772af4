"""Letters as rows and back: an extracted record written into the value tables, stored rows rebuilt into
contract records (corrections applied, validation rules run on the effective record), and the derived columns,
findings and searchable text of a letter refreshed from it. Functions over a connection, called inside the
store's transactions.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from ..extract import rules
from ..record import META_KEYS, get_path, letter_values, low_confidence_paths, set_path
from ..record.registry import CITATION_COLUMNS, CITATION_KEYS, ITEM_LISTS, ITEM_TEXT, PARTIES
from ..record.review import CONFIRMED, CORRECTED, confirmed_paths, corrected_paths, decision_counts
from ..record.types import Record
from .facts import categories_json, corrected, specialty, write_item_facts
from .search import search_text

PROVENANCE_KEYS = ("page", "boxes", "confidence", "spans")
CHUNK = 400


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def loads(text):
    return None if text is None else json.loads(text)


def layout(record: dict) -> dict:
    """The key order of a record and of its items, kept so a record reads back as it was written."""
    items = record.get("items") or []
    out = {"keys": list(record.keys())}
    if items:
        out["item_keys"] = list(items[0].keys())
    return out


def delete_extracted(conn: sqlite3.Connection, doc_id: int) -> None:
    for table in ("citations", "items", "fields", "provenance"):
        conn.execute(f"DELETE FROM {table} WHERE doc_id = ?", (doc_id,))


def insert_extracted(conn: sqlite3.Connection, doc_id: int, record: dict) -> None:
    """Write an extracted record's values, items, citations and provenance (the extracted tables)."""
    c = conn
    c.executemany(
        "INSERT INTO fields (doc_id, path, ord, value) VALUES (?, ?, ?, ?)",
        [(doc_id, p, i, dumps(v)) for i, (p, v) in enumerate(letter_values(record))],
    )
    for idx, item in enumerate(record.get("items") or []):
        known = {k: item.get(k) for k in ITEM_TEXT}
        extra = {
            k: v
            for k, v in item.items()
            if k not in ITEM_TEXT and k not in ITEM_LISTS and k not in CITATION_KEYS
        }
        cur = c.execute(
            f"INSERT INTO items (doc_id, idx, {', '.join(ITEM_TEXT)}, {', '.join(ITEM_LISTS)}, extra) "
            f"VALUES (?, ?, {', '.join('?' * (len(ITEM_TEXT) + len(ITEM_LISTS)))}, ?)",
            (
                doc_id,
                idx,
                *known.values(),
                *(dumps(item[k]) if k in item else None for k in ITEM_LISTS),
                dumps(extra) if extra else None,
            ),
        )
        item_id = cur.lastrowid
        rows = []
        for party in PARTIES:
            for ord_, cit in enumerate(item.get(f"{party}_citations") or []):
                cextra = {k: v for k, v in cit.items() if k not in CITATION_COLUMNS}
                rows.append(
                    (
                        item_id,
                        doc_id,
                        party,
                        ord_,
                        *(cit.get(k) for k in CITATION_COLUMNS[:-1]),
                        dumps(cit["families"]) if "families" in cit else None,
                        dumps(cextra) if cextra else None,
                    )
                )
        c.executemany(
            "INSERT INTO citations (item_id, doc_id, party, ord, source, title, chapter, section, pages, "
            "year, text, families, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    prov_rows = []
    for path, p in (record.get("provenance") or {}).items():
        p = p or {}
        extra = {k: v for k, v in p.items() if k not in PROVENANCE_KEYS}
        prov_rows.append(
            (
                doc_id,
                path,
                p.get("page"),
                p.get("confidence"),
                dumps(p.get("boxes", [])),
                dumps(p["spans"]) if "spans" in p else None,
                dumps(extra) if extra else None,
            )
        )
    c.executemany(
        "INSERT INTO provenance (doc_id, path, page, confidence, boxes, spans, extra) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        prov_rows,
    )


def refresh(conn: sqlite3.Connection, doc_id: int) -> Record:
    """Recompute a letter's derived columns, item facts and searchable text from its effective record."""
    rec = load(conn, [doc_id])[doc_id]
    items = rec.get("items") or []
    upheld, overturned = decision_counts(rec)
    cats = write_item_facts(conn, doc_id, rec)
    conn.execute(
        "UPDATE documents SET case_number = ?, decision_date = ?, n_items = ?, n_upheld = ?, "
        "n_overturned = ?, n_low = ?, n_fields = (SELECT count(*) FROM fields WHERE doc_id = ?), "
        "n_corrected = ?, n_confirmed = ?, categories = ?, specialty = ?, corrected = ? WHERE id = ?",
        (
            rec.get("case_number"),
            rec.get("decision_date"),
            len(items),
            upheld,
            overturned,
            len(low_confidence_paths(rec)),
            doc_id,
            len(corrected_paths(rec)),
            len(confirmed_paths(rec)),
            categories_json(cats),
            specialty(rec),
            corrected(rec),
            doc_id,
        ),
    )
    write_findings(conn, doc_id, rec)
    text = search_text(rec)
    conn.execute(
        "INSERT INTO doc_text (doc_id, case_number, file_name, summary, treatments, rationales, guidelines) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(doc_id) DO UPDATE SET case_number = excluded.case_number, "
        "file_name = excluded.file_name, summary = excluded.summary, treatments = excluded.treatments, "
        "rationales = excluded.rationales, guidelines = excluded.guidelines",
        (doc_id, *text),
    )
    return rec


def read_place(source: str | None) -> dict | None:
    """Where a reviewer's value was read off the page (``{"page", "boxes"}``), or None: none kept, or a
    damaged one (the value then shows at the extractor's place rather than the letter failing to load)."""
    if not source:
        return None
    try:
        where = json.loads(source)
        page, boxes = where["page"], where["boxes"]
    except (ValueError, TypeError, KeyError):
        return None
    ok = (
        isinstance(page, int)
        and isinstance(boxes, list)
        and all(isinstance(b, list) and len(b) == 4 for b in boxes)
    )
    return {"page": page, "boxes": boxes} if ok else None


def load(
    conn: sqlite3.Connection,
    ids: Sequence[int],
    *,
    corrections: bool = True,
    provenance: bool = True,
    check: bool = True,
) -> dict[int, Record]:
    """Rebuild contract records (plus ``id``, ``review_status`` and ``findings``) for some documents, in
    bulk. ``corrections=False``: as extracted; ``provenance=False``: without the (large) provenance;
    ``check=False``: without running the validation rules."""
    out: dict[int, dict] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        out.update(_load_chunk(conn, chunk, corrections, provenance))
    if check:  # the findings of the effective record (not needed to validate a correction)
        check_records(conn, out, dismissals=corrections)
    return out


def _load_chunk(conn: sqlite3.Connection, ids: list[int], corrections: bool, provenance: bool) -> dict:
    c = conn
    marks = ",".join("?" * len(ids))
    docs = {
        r[0]: r
        for r in c.execute(
            f"SELECT id, file_name, sha256, pages, format, error_code, error_message, layout, status, ocr "
            f"FROM documents WHERE id IN ({marks})",
            ids,
        )
    }
    fields: dict[int, list] = {}
    for doc_id, path, value in c.execute(
        f"SELECT doc_id, path, value FROM fields WHERE doc_id IN ({marks}) ORDER BY doc_id, ord", ids
    ):
        fields.setdefault(doc_id, []).append((path, loads(value)))
    items: dict[int, list] = {}
    item_ids: dict[int, dict] = {}
    cols = ", ".join((*ITEM_TEXT, *ITEM_LISTS))
    for row in c.execute(
        f"SELECT doc_id, id, extra, {cols} FROM items WHERE doc_id IN ({marks}) ORDER BY doc_id, idx", ids
    ):
        doc_id, item_id, extra = row[:3]
        values = dict(zip(ITEM_TEXT, row[3 : 3 + len(ITEM_TEXT)], strict=True))
        lists = dict(zip(ITEM_LISTS, row[3 + len(ITEM_TEXT) :], strict=True))
        item = {**values, **{k: loads(v) for k, v in lists.items() if v is not None}}
        for party in PARTIES:
            item[f"{party}_citations"] = []
        extra = json.loads(extra) if extra else {}
        item.update(extra)
        items.setdefault(doc_id, []).append((item, extra))
        item_ids[item_id] = item
    for row in c.execute(
        "SELECT item_id, party, source, title, chapter, section, pages, year, text, families, extra "
        f"FROM citations WHERE doc_id IN ({marks}) ORDER BY item_id, party, ord",
        ids,
    ):
        item_id, party = row[:2]
        cit = dict(zip(CITATION_COLUMNS[:-1], row[2:9], strict=True))
        if row[9] is not None:
            cit["families"] = json.loads(row[9])
        if row[10]:
            cit.update(json.loads(row[10]))
        item_ids[item_id][f"{party}_citations"].append(cit)
    prov: dict[int, dict] = {}
    if provenance:
        for doc_id, path, page, conf, boxes, spans, extra in c.execute(
            "SELECT doc_id, path, page, confidence, boxes, spans, extra FROM provenance "
            f"WHERE doc_id IN ({marks}) ORDER BY doc_id, rowid",
            ids,
        ):
            p = {"page": page, "boxes": json.loads(boxes) if boxes else [], "confidence": conf}
            if spans is not None:
                p["spans"] = json.loads(spans)
            if extra:
                p.update(json.loads(extra))
            prov.setdefault(doc_id, {})[path] = p
    corr: dict[int, list] = {}
    if corrections:
        for doc_id, path, value, source in c.execute(
            f"SELECT doc_id, path, value, source FROM corrections WHERE doc_id IN ({marks}) "
            "ORDER BY doc_id, rowid",
            ids,
        ):
            corr.setdefault(doc_id, []).append((path, loads(value), source))

    out = {}
    for doc_id in ids:
        if doc_id not in docs:
            continue
        _id, file_name, sha, pages, fmt, ecode, emsg, layout, status, ocr = docs[doc_id]
        layout = json.loads(layout) if layout else {}
        nested: dict = {}
        for path, value in fields.get(doc_id, []):
            if "." in path:
                top, sub = path.split(".", 1)
                nested.setdefault(top, {})[sub] = value
            else:
                nested[path] = value
        meta = {
            "file": file_name,
            "sha256": sha,
            "pages": pages,
            "format": fmt,
            "error": {"code": ecode, "message": emsg} if ecode else None,
        }
        if ocr:  # only a letter read by OCR has the key
            meta["ocr"] = loads(ocr)
        item_keys = layout.get("item_keys")
        doc_items = []
        for it, extra in items.get(doc_id, []):
            if item_keys:  # the extractor's key order (and key set) for items
                it = {k: it.get(k) for k in item_keys} | {
                    k: v for k, v in extra.items() if k not in item_keys
                }
            doc_items.append(it)
        rec: dict = {}
        for key in layout.get("keys") or [*META_KEYS, *nested, "items", "provenance"]:
            if key in meta:
                rec[key] = meta[key]
            elif key == "items":
                rec["items"] = doc_items
            elif key == "provenance":
                rec["provenance"] = prov.get(doc_id, {}) if provenance else {}
            elif key in nested:
                rec[key] = nested.pop(key)
        rec.update({k: v for k, v in nested.items() if k not in rec})
        for key in ("items", "provenance"):
            rec.setdefault(key, doc_items if key == "items" else prov.get(doc_id, {}))
        for key, value in meta.items():
            rec.setdefault(key, value)
        for path, value, source in corr.get(doc_id, []):
            try:
                extracted = get_path(rec, path)
            except (KeyError, ValueError):
                continue  # a correction of a value this extraction no longer has: kept, not shown
            set_path(rec, path, value)
            if provenance:
                p = dict(rec["provenance"].get(path) or {"page": None, "boxes": []})
                where = read_place(source)
                if where:  # read off the page by the reviewer: those words are where it came from
                    p = {k: v for k, v in p.items() if k != "spans"} | where
                p["confidence"] = 1.0
                p["corrected"] = True  # a reviewer's value is in force (corrected or confirmed)
                p["checked"] = CONFIRMED if value == extracted else CORRECTED
                rec["provenance"][path] = p
        rec["id"] = doc_id
        rec["review_status"] = status
        out[doc_id] = rec
    return out


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
        rules.apply(rec, frozenset(dismissed.get(doc_id, ())))


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


def backfill(conn: sqlite3.Connection, version: int) -> None:
    """What a schema upgrade derives for the letters already stored (see ``schema.migrate``)."""
    if version == 2:
        backfill_findings(conn)
    elif version == 3:  # confirmed apart from corrected: only letters with reviewer's values change
        for (doc_id,) in conn.execute("SELECT DISTINCT doc_id FROM corrections").fetchall():
            refresh(conn, doc_id)
    elif version == 5:
        backfill_facts(conn)


def backfill_facts(conn: sqlite3.Connection) -> None:
    """Schema 5's derived facts of the letters already stored: every letter's item facts, treatment
    categories and reviewer specialty (items only: no provenance, no rules), and the changed values of the letters with a reviewer's
    value (those need the provenance)."""
    ids = [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY id")]
    for start in range(0, len(ids), CHUNK):
        for doc_id, rec in load(conn, ids[start : start + CHUNK], provenance=False, check=False).items():
            cats = write_item_facts(conn, doc_id, rec)
            conn.execute(
                "UPDATE documents SET specialty = ?, categories = ? WHERE id = ?",
                (specialty(rec), categories_json(cats), doc_id),
            )
    ids = [r[0] for r in conn.execute("SELECT DISTINCT doc_id FROM corrections ORDER BY doc_id")]
    for start in range(0, len(ids), CHUNK):
        chunk = load(conn, ids[start : start + CHUNK], check=False)
        conn.executemany(
            "UPDATE documents SET corrected = ? WHERE id = ?",
            [(corrected(rec), doc_id) for doc_id, rec in chunk.items()],
        )


def backfill_findings(conn: sqlite3.Connection) -> None:
    """Fill the derived ``findings`` rows (and the low-confidence counts they change) of every letter, in
    bulk: the upgrade of a schema-1 database, inside its migration transaction."""
    ids = [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY id")]
    for start in range(0, len(ids), CHUNK):
        for doc_id, rec in load(conn, ids[start : start + CHUNK]).items():
            write_findings(conn, doc_id, rec)
            conn.execute(
                "UPDATE documents SET n_low = ? WHERE id = ?", (len(low_confidence_paths(rec)), doc_id)
            )
