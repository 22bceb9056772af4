"""The render process: pdfium draws a letter's pages here, never in the window's process.

A page can be a bomb (a content stream inflating to gigabytes took pdfium 15 s and 3 GB on the GUI thread)
or can crash pdfium outright, which would take the window and its undo history with it. In this process
it costs the page only: the process has a memory limit, the parent a time limit per page, and a page that
breaks either is replaced by a message while the process is started again.

Protocol (whole messages of bytes; no pickles either way): a request is a 4-byte big-endian length, a JSON
header and a payload; so is an answer.

- ``{"op": "open", "doc"}`` + the PDF's bytes -> ``{"kind": "opened", "doc", "sizes": [[w, h], ...]}``
- ``{"op": "render", "doc", "page", "scale", "seq"}`` -> ``{"kind": "page", "seq", "width", "height",
  "stride", "scale"}`` + RGBX pixels (``scale`` lowered so the bitmap has at most ``MAX_PIXELS``)
- ``{"op": "words", "doc", "page", "seq"}`` -> ``{"kind": "words", "seq", "words": [[text, x0, top, x1,
  bottom], ...]}``: the page's text layer as words with boxes in PDF points, origin at the page's top-left
  (pdfplumber's space, the space of the provenance boxes); a scanned page has none
- any failure -> ``{"kind": "error", "seq"|"doc", "message"}``; ``{"op": "stop"}`` ends the process.

Test hook (documented, used by the test suite to prove the isolation): ``IMRDESK_TEST_RENDER_FAULT`` holds
``kind:page`` entries (``crash``, ``hang``; pages 1-based): rendering that page misbehaves for real.
"""

from __future__ import annotations

import json
import math
import os
import signal
import struct
import time

from .worker_limits import limit_memory, watch_parent

MAX_PIXELS = 24_000_000  # one rendered page: 96 MB of RGBX (a letter page at the viewer's 6x is 17.5 M)
MAX_DOC_BYTES = 64 * 1024 * 1024
MAX_PAGE_CHARS = 200_000  # characters of one page's text read for selection (a letter page has ~3,000)
FAULT_ENV = "IMRDESK_TEST_RENDER_FAULT"


def frame(header: dict, payload: bytes = b"") -> bytes:
    raw = json.dumps(header).encode("utf-8")
    return struct.pack(">I", len(raw)) + raw + payload


def unframe(message: bytes) -> tuple[dict, memoryview]:
    (size,) = struct.unpack(">I", message[:4])
    header = json.loads(bytes(message[4 : 4 + size]).decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError("the header is not an object")
    return header, memoryview(message)[4 + size :]


def capped_scale(width: float, height: float, scale: float, max_pixels: int = MAX_PIXELS) -> float:
    """``scale`` lowered so a ``width`` × ``height`` page (points) renders to at most ``max_pixels``."""
    area = max(1.0, float(width) * float(height))
    return max(0.01, min(float(scale), math.sqrt(max_pixels / area)))


def _faults() -> dict[int, str]:
    faults = {}
    for entry in os.environ.get(FAULT_ENV, "").split(";"):
        kind, sep, page = entry.strip().partition(":")
        if sep and kind in ("crash", "hang") and page.isdigit():
            faults[int(page)] = kind
    return faults


def main(conn, memory_limit_mb: int | None = None) -> None:
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):
        pass
    watch_parent()
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    limit_memory(memory_limit_mb)
    faults = _faults()
    doc = None
    doc_key = None
    conn.send_bytes(frame({"kind": "ready", "pid": os.getpid()}))
    while True:
        try:
            header, payload = unframe(conn.recv_bytes(MAX_DOC_BYTES + 65536))
        except (EOFError, OSError, ValueError, struct.error):
            return
        op = header.get("op")
        if op == "stop":
            return
        try:
            if op in ("render", "words") and (doc is None or header.get("doc") != doc_key):
                # a page of a letter this process no longer holds (another letter was opened since)
                conn.send_bytes(
                    frame({"kind": "error", "seq": header.get("seq"), "message": "The letter is not open."})
                )
                continue
            if op == "open":
                if doc is not None:
                    doc.close()
                doc, doc_key = None, None
                doc = pdfium.PdfDocument(bytes(payload))
                doc_key = header.get("doc")
                sizes = [[float(v) for v in doc.get_page_size(i)] for i in range(len(doc))]
                conn.send_bytes(frame({"kind": "opened", "doc": doc_key, "sizes": sizes}))
            elif op == "render":
                seq = header.get("seq")
                index = int(header["page"])
                kind = faults.get(index + 1)
                if kind == "crash":
                    import ctypes

                    ctypes.string_at(0)
                elif kind == "hang":
                    while True:
                        time.sleep(3600)
                page = doc[index]
                try:
                    width, height = page.get_size()
                    scale = capped_scale(width, height, float(header["scale"]))
                    bitmap = page.render(
                        scale=scale,
                        may_draw_forms=True,
                        force_bitmap_format=raw.FPDFBitmap_BGRx,
                        rev_byteorder=True,
                    )
                    try:
                        info = {
                            "kind": "page",
                            "seq": seq,
                            "width": bitmap.width,
                            "height": bitmap.height,
                            "stride": bitmap.stride,
                            "scale": scale,
                        }
                        pixels = bytes(bitmap.buffer)
                    finally:
                        bitmap.close()
                finally:
                    page.close()
                conn.send_bytes(frame(info, pixels))
                pixels = b""
            elif op == "words":
                seq = header.get("seq")
                page = doc[int(header["page"])]
                try:
                    words = page_words(page, raw)
                finally:
                    page.close()
                conn.send_bytes(frame({"kind": "words", "seq": seq, "words": words}))
            else:
                return
        except MemoryError:
            _reply_error(conn, header, "Drawing this page needed more memory than a page may use.")
            return  # start afresh: memory may be fragmented
        except (OSError, EOFError):
            return
        except Exception as exc:  # a damaged file: say so for this page or letter
            _reply_error(conn, header, f"pdfium could not read it ({type(exc).__name__}).")


def page_words(page, raw) -> list[list]:
    """A page's text layer as ``[[text, x0, top, x1, bottom], ...]`` in content order: pdfium's characters
    with their loose boxes (the font's ascent to descent, as pdfplumber measures a word), a word ending at
    white space, at a jump to another line, or at a gap wider than 3 points (pdfplumber's x tolerance)."""
    left, _bottom, _right, top = page.get_cropbox()
    textpage = page.get_textpage()
    words: list[list] = []
    current: list | None = None
    try:
        count = min(textpage.count_chars(), MAX_PAGE_CHARS)
        for index in range(count):
            code = raw.FPDFText_GetUnicode(textpage, index)
            char = "-" if code == 2 else chr(code) if 0 < code < 0x110000 else " "  # 2: a hyphen at a break
            if char.isspace() or not char.isprintable():
                current = None
                continue
            x0, y0, x1, y1 = textpage.get_charbox(index, loose=True)
            box = [x0 - left, top - y1, x1 - left, top - y0]
            if current is not None:
                height = max(1.0, current[4] - current[2])
                if (
                    abs(box[1] - current[2]) > height / 2
                    or box[0] > current[3] + 3
                    or box[0] < current[1] - 1
                ):
                    current = None
            if current is None:
                current = [char, *box]
                words.append(current)
            else:
                current[0] += char
                current[3] = max(current[3], box[2])
                current[2], current[4] = min(current[2], box[1]), max(current[4], box[3])
    finally:
        textpage.close()
    return [[text, *(round(v, 2) for v in box)] for text, *box in words]


def _reply_error(conn, header: dict, message: str) -> None:
    try:
        conn.send_bytes(
            frame({"kind": "error", "seq": header.get("seq"), "doc": header.get("doc"), "message": message})
        )
    except (OSError, ValueError):
        pass
