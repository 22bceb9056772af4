"""Extraction engine: an IMR letter (PDF or text) -> a contract record with provenance. No Qt here.

``extract(source)`` never raises for bad input: a file that cannot be read comes back as a record whose
``error`` is ``{"code", "message"}`` with every field empty.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..record.registry import REVIEW_THRESHOLD  # the review threshold lives in the field registry
from . import rules
from .document import MAX_BYTES, MAX_PAGES, TEXT_GRID, Document, LoadError, decode_text, load_pdf, load_text
from .letter import empty_record, parse_document

__all__ = [
    "extract",
    "extract_document",
    "load",
    "REVIEW_THRESHOLD",
    "Document",
    "LoadError",
    "TEXT_GRID",
    "ERROR_CODES",
    "is_text_name",
]


ERROR_CODES = ("encrypted", "corrupt", "empty", "no_text_layer", "not_imr", "too_large", "timeout", "crashed")
TEXT_SUFFIXES = (".txt", ".text")


def is_text_name(name: str) -> bool:
    return name.lower().endswith(TEXT_SUFFIXES)


def load(data: bytes, name: str, *, max_pages: int = MAX_PAGES) -> Document:
    """Bytes of a letter -> Document. Raises LoadError (with a contract code) when unreadable."""
    if not data or not data.strip():
        raise LoadError("empty", "The file is empty.")
    if data.lstrip()[:5] == b"%PDF-" or (not is_text_name(name) and b"%PDF-" in data[:1024]):
        return load_pdf(data, max_pages=max_pages)
    if is_text_name(name):
        return load_text(decode_text(data), max_pages=max_pages)
    if b"\x00" in data[:4096]:
        raise LoadError("corrupt", "This file is neither a PDF nor a text letter.")
    return load_text(decode_text(data), max_pages=max_pages)


def _record(name: str, sha256: str | None, pages: int, fields: dict, error: dict | None) -> dict:
    """Contract key order: identity, layout and error first, then the fields, provenance last."""
    layout = fields.pop("format", None)
    return {"file": name, "sha256": sha256, "pages": pages, "format": layout, "error": error, **fields}


def error_record(name: str, sha256: str | None, code: str, message: str, pages: int = 0) -> dict:
    return _record(name, sha256, pages, empty_record(), {"code": code, "message": message}) | {"findings": []}


def extract(
    source: str | Path | bytes,
    name: str | None = None,
    *,
    max_bytes: int = MAX_BYTES,
    max_pages: int = MAX_PAGES,
) -> dict:
    """Extract one letter. ``source`` is a path or the file's bytes (then give ``name``)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        try:
            size = path.stat().st_size
            if size > max_bytes:
                return error_record(name, None, "too_large", _too_large(size, max_bytes))
            data = path.read_bytes()
        except OSError as exc:
            return error_record(name, None, "corrupt", f"The file cannot be read: {exc.strerror or exc}.")
    else:
        data = bytes(source)
        name = name or "letter"
    sha = hashlib.sha256(data).hexdigest()
    if len(data) > max_bytes:
        return error_record(name, sha, "too_large", _too_large(len(data), max_bytes))
    try:
        doc = load(data, name, max_pages=max_pages)
    except LoadError as exc:
        return error_record(name, sha, exc.code, exc.message, exc.pages)
    return extract_document(doc, name, sha)


def extract_document(doc: Document, name: str, sha: str) -> dict:
    if doc.word_count == 0:
        if doc.kind == "pdf":
            return error_record(
                name,
                sha,
                "no_text_layer",
                "This PDF has no text layer (it looks like a scanned image); run OCR on it first.",
                doc.pages,
            )
        return error_record(name, sha, "empty", "The file holds no text.", doc.pages)
    try:
        fields = parse_document(doc)
    except Exception as exc:  # a parser bug must not lose the batch; report it as a record
        return error_record(
            name,
            sha,
            "crashed",
            f"The parser failed on this letter ({type(exc).__name__}: {exc}).",
            doc.pages,
        )
    error = None
    if fields["format"] is None:
        error = {
            "code": "not_imr",
            "message": "This does not look like an IMR Final Determination letter (no IMR headings or decisions found).",
        }
    rec = _record(name, sha, doc.pages, fields, error)
    return rules.apply(rec)


def _too_large(size: int, limit: int) -> str:
    return f"The file is {size / 1e6:.1f} MB; files over {limit / 1e6:.0f} MB are not imported."
