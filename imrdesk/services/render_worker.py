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
                if doc is None or header.get("doc") != doc_key:
                    conn.send_bytes(
                        frame({"kind": "error", "seq": seq, "message": "The letter is not open."})
                    )
                    continue
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
            else:
                return
        except MemoryError:
            _reply_error(conn, header, "Drawing this page needed more memory than a page may use.")
            return  # start afresh: memory may be fragmented
        except (OSError, EOFError):
            return
        except Exception as exc:  # a damaged file: say so for this page or letter
            _reply_error(conn, header, f"pdfium could not read it ({type(exc).__name__}).")


def _reply_error(conn, header: dict, message: str) -> None:
    try:
        conn.send_bytes(
            frame({"kind": "error", "seq": header.get("seq"), "doc": header.get("doc"), "message": message})
        )
    except (OSError, ValueError):
        pass
