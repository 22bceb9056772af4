"""Extraction engine: an IMR letter (PDF or text) -> a contract record with provenance. No Qt here.

``extract(source)`` never raises for bad input: a file that cannot be read comes back as a record whose
``error`` is ``{"code", "message"}`` with every field empty.

Two readers for a PDF's text layer: ``reference`` (pdfplumber, :func:`document.load_pdf`) and ``fast``
(pdfium, :mod:`pdfium_text`, about ten times faster, giving the same words). A letter whose fast reading
looks wrong (:func:`doubtful`) is read again by the reference reader. pdfium decompresses without the
budget pdfplumber reads under, so the fast reader is for bounded processes: the extraction workers ask for
it; ``extract()`` in any other process reads with the reference reader unless asked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from ..record.registry import REVIEW_THRESHOLD  # the review threshold lives in the field registry
from . import rules, scanned
from .document import (
    MAX_BYTES,
    MAX_PAGES,
    TEXT_GRID,
    Document,
    LoadError,
    decode_text,
    load_pdf,
    load_text,
    read_letter_file,
    text_encoding,
    too_large_message,
)
from .letter import empty_record, parse_document
from .ocr import OcrError
from .ocr import available as ocr_available
from .pdfium_text import load_pdf_fast

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
    "READERS",
    "extract_with_reader",
    "doubtful",
]


READERS = ("fast", "reference")  # how a PDF's text layer is read: pdfium, or pdfplumber (see above)
ERROR_CODES = ("encrypted", "corrupt", "empty", "no_text_layer", "not_imr", "too_large", "timeout", "crashed")
TEXT_SUFFIXES = (".txt", ".text")


def is_text_name(name: str) -> bool:
    return name.lower().endswith(TEXT_SUFFIXES)


def is_pdf(data: bytes, name: str) -> bool:
    return data.lstrip()[:5] == b"%PDF-" or (not is_text_name(name) and b"%PDF-" in data[:1024])


def load(data: bytes, name: str, *, max_pages: int = MAX_PAGES) -> Document:
    """Bytes of a letter -> Document (a PDF read by the reference reader). Raises LoadError (with a
    contract code) when unreadable."""
    if not data or not data.strip():
        raise LoadError("empty", "The file is empty.")
    if is_pdf(data, name):
        return load_pdf(data, max_pages=max_pages)
    encoding, _bom = text_encoding(data)
    wide = encoding.startswith(("utf-16", "utf-32"))  # its NUL bytes are characters' high bytes
    if not is_text_name(name) and not wide and b"\x00" in data[:4096]:
        raise LoadError("corrupt", "This file is neither a PDF nor a text letter.")
    text = decode_text(data)
    if not text.strip():
        raise LoadError("empty", "The file holds no text.")
    return load_text(text, max_pages=max_pages)


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
    ocr: bool = True,
    progress: Callable[[int, int], None] | None = None,
    reader: str = "reference",
    fast_guard: Callable[[], AbstractContextManager] | None = None,
) -> dict:
    """Extract one letter. ``source`` is a path or the file's bytes (then give ``name``).

    Pages of a PDF without a text layer are read by OCR (docs/ocr.md) unless ``ocr`` is false;
    ``progress(pages read, pages to read)`` follows that reading. ``reader`` is one of :data:`READERS`
    (``fast`` only in a bounded process: see the module's docstring); ``fast_guard()`` is a context the fast
    reader's pdfium work runs in (the worker bounds its memory with it).

    Never raises, whatever the input: a file that cannot be read, is not a regular file, is damaged in any
    way, is over a limit (bytes, pages, decompressed bytes, text line length) or trips up a parser comes
    back as an error record. Only a MemoryError of the process itself is reported as such (``too_large``),
    since a bounded worker's memory limit is what raises it."""
    return extract_with_reader(
        source,
        name,
        max_bytes=max_bytes,
        max_pages=max_pages,
        ocr=ocr,
        progress=progress,
        reader=reader,
        fast_guard=fast_guard,
    )[0]


def extract_with_reader(
    source: str | Path | bytes,
    name: str | None = None,
    *,
    max_bytes: int = MAX_BYTES,
    max_pages: int = MAX_PAGES,
    ocr: bool = True,
    progress: Callable[[int, int], None] | None = None,
    reader: str = "reference",
    fast_guard: Callable[[], AbstractContextManager] | None = None,
) -> tuple[dict, str]:
    """:func:`extract`, and which reader's reading the record is: ``fast`` or ``reference`` (a file that is
    not a PDF, or not read at all, counts as ``reference``)."""
    if reader not in READERS:
        raise ValueError(f"reader must be one of {READERS}, not {reader!r}")
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        try:
            data = read_letter_file(path, max_bytes=max_bytes)
        except LoadError as exc:
            return error_record(name, None, exc.code, exc.message), "reference"
    else:
        data = bytes(source)
        name = name or "letter"
    sha = hashlib.sha256(data).hexdigest()
    if len(data) > max_bytes:
        return error_record(name, sha, "too_large", too_large_message(len(data), max_bytes)), "reference"
    if reader == "fast" and data.strip() and is_pdf(data, name):
        record = _extract_fast(data, name, sha, max_pages, fast_guard)
        if record is not None:
            return record, "fast"
    return _extract_reference(data, name, sha, max_pages, ocr, progress), "reference"


def _extract_fast(
    data: bytes,
    name: str,
    sha: str,
    max_pages: int,
    guard: Callable[[], AbstractContextManager] | None = None,
) -> dict | None:
    """The record of pdfium's reading, or None when the reference reader is to read the letter instead:
    pdfium cannot read it (or raises), a page without words shows something (a scan for OCR, or text
    pdfium misses: the reference reader decides; a page showing nothing is read alike by both, see
    :func:`pdfium_text.load_pdf_fast`), or the record is :func:`doubtful`."""
    try:
        with guard() if guard is not None else nullcontext():
            doc = load_pdf_fast(data, max_pages=max_pages)
    except LoadError as exc:  # over the page limit: the reference reader would refuse it the same way
        return error_record(name, sha, exc.code, exc.message, exc.pages)
    except Exception:  # FastReadError, or pdfium tripping over a damaged file
        return None
    try:
        record = extract_document(doc, name, sha)
    except MemoryError:
        return None
    return None if doubtful(record) else record


def doubtful(record: dict) -> bool:
    """Whether a fast reading's record should be checked by the reference reader: an error (not an IMR
    letter by this reading, a parser failure), no disputed item, no case number, or a layout imrdesk does
    not know. A real letter read right has none of these; the reference reader reads the rest again."""
    return bool(
        record.get("error")
        or not record.get("items")
        or not record.get("case_number")
        or any(f.get("rule") == "layout_unknown" for f in record.get("findings") or [])
    )


def _extract_reference(
    data: bytes, name: str, sha: str, max_pages: int, ocr: bool, progress: Callable[[int, int], None] | None
) -> dict:
    try:
        doc = load(data, name, max_pages=max_pages)
    except LoadError as exc:
        return error_record(name, sha, exc.code, exc.message, exc.pages)
    except MemoryError:
        return error_record(name, sha, "too_large", OUT_OF_MEMORY)
    except RecursionError:
        return error_record(name, sha, "corrupt", "The file's structure is nested too deeply to be read.")
    except Exception as exc:  # any other way a damaged file can break a reader is still a damaged file
        return error_record(name, sha, "corrupt", f"This file cannot be read ({type(exc).__name__}).")
    run = None
    if ocr and doc.kind == "pdf" and scanned.blank_pages(doc) and ocr_available():
        try:
            doc, run = scanned.with_ocr(doc, data, progress=progress)
        except OcrError as exc:
            return error_record(name, sha, exc.code, exc.message, doc.pages)
        except MemoryError:
            return error_record(name, sha, "too_large", OUT_OF_MEMORY)
        except Exception as exc:  # a damaged page image, or the engine tripping over one
            message = f"A scanned page of this PDF cannot be read by OCR ({type(exc).__name__})."
            return error_record(name, sha, "corrupt", message, doc.pages)
    try:
        return scanned.finish(extract_document(doc, name, sha), run)
    except MemoryError:
        return error_record(name, sha, "too_large", OUT_OF_MEMORY)


OUT_OF_MEMORY = "Reading this letter needed more memory than a letter may use; it was not read."


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
    try:
        return rules.apply(rec)
    except Exception as exc:  # a rule bug must not lose the letter: its values without findings
        rec["findings"] = []
        rec["error"] = error or {
            "code": "crashed",
            "message": f"The validation rules failed on this letter ({type(exc).__name__}: {exc}).",
        }
        return rec
