"""The extraction worker: a separate process the reader pool starts ('spawn'), one letter at a time.

Protocol on its pipe, whole messages of bytes (``send_bytes``), never pickles: it sends
``{"kind": "ready", "pid"}`` once the extractor is loaded; each request is a 4-byte big-endian length, a
JSON header ``{"op": "read", "seq", "name", "ocr", "reader"}`` (``ocr`` false: scanned pages are not read;
``reader``: ``fast``, the default, or ``reference``: see :mod:`imrdesk.extract`) and the letter's bytes,
answered by
``{"kind": "progress", "seq", "done", "total"}`` after each page read by OCR (the parent restarts the letter's
clock: a long scan is not a hang) and then
``{"kind": "result", "seq", "record"}`` or, when extraction itself blew up (e.g. out of memory),
``{"kind": "failed", "seq", "code", "message"}``, after which it exits so that the next letter gets a fresh
process. ``{"op": "stop"}`` asks it to exit. It also exits by itself when the parent process disappears.
Its memory is limited (an address-space limit on POSIX, a Job object on Windows: :mod:`worker_limits`).

Test hook (documented, used by the test suite to prove the isolation is real): the environment variable
``IMRDESK_TEST_FAULT`` holds ``;``-separated ``kind:filename`` entries. When this worker is given a letter
with that file name it misbehaves for real before extracting it: ``hang`` (sleeps forever), ``crash``
(segmentation fault), ``exit`` (``os._exit(3)``), ``oom`` (allocates past the worker's memory limit, so a
real MemoryError is raised), ``pickle`` (answers with a pickle instead of JSON, as a worker taken over by a
hostile file might: the parent must not load it), ``malformed`` (answers JSON that is not a record: a list
where a text goes), ``crash_fast`` (a segmentation fault only when asked to read with the fast reader, as a
fault inside pdfium would: the parent reads the letter again with the reference reader), ``slow_pages``
(reports four pages read by OCR, 0.8 s apart, before reading the letter: a long scan that is no hang).
Nothing reads the variable outside this worker.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import sys
import time

from .worker_limits import limit_memory, memory_headroom, watch_parent

FAULT_ENV = "IMRDESK_TEST_FAULT"
# What pdfium may take for one letter beyond what the worker holds (a real letter takes a few MB; a deflate
# bomb would take gigabytes: past this its allocation fails and pdfplumber's decode budget decides).
FAST_READER_HEADROOM_MB = 512


def parse_faults(spec: str) -> dict[str, str]:
    faults = {}
    for entry in (spec or "").split(";"):
        kind, sep, name = entry.strip().partition(":")
        if (
            sep
            and kind in ("hang", "crash", "crash_fast", "exit", "oom", "pickle", "malformed", "slow_pages")
            and name
        ):
            faults[name] = kind
    return faults


def _misbehave(kind: str, memory_limit_mb: int | None) -> None:
    if kind == "hang":
        while True:
            time.sleep(3600)
    elif kind in ("crash", "crash_fast"):
        import ctypes

        ctypes.string_at(0)  # reads address 0: SIGSEGV
    elif kind == "exit":
        os._exit(3)
    elif kind == "oom":
        size = ((memory_limit_mb or 4096) + 256) * 1024 * 1024
        blob = bytearray(size)
        blob[-1] = 1


def _send(conn, message: dict) -> None:
    conn.send_bytes(json.dumps(message, ensure_ascii=False).encode("utf-8"))


def read_request(raw: bytes) -> tuple[dict, bytes]:
    """A request from the parent: (its JSON header, the letter's bytes)."""
    (size,) = struct.unpack(">I", raw[:4])
    header = json.loads(raw[4 : 4 + size].decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError("the request header is not an object")
    return header, raw[4 + size :]


def main(conn, memory_limit_mb: int | None = None) -> None:
    """The worker's life: load the extractor, answer requests until told to stop or the pipe closes."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the importing process's to handle
    except (ValueError, OSError):
        pass
    watch_parent()
    import logging
    import warnings

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    logging.getLogger("pdfplumber").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    from imrdesk.extract import OUT_OF_MEMORY, READERS, extract
    from imrdesk.extract.document import MAX_BYTES

    limit_memory(memory_limit_mb)
    faults = parse_faults(os.environ.get(FAULT_ENV, ""))
    _send(conn, {"kind": "ready", "pid": os.getpid()})
    while True:
        try:
            header, data = read_request(conn.recv_bytes(MAX_BYTES + 64 * 1024))
        except (EOFError, OSError, ValueError, struct.error):
            return
        if header.get("op") != "read":
            return
        seq, name = header.get("seq"), str(header.get("name") or "letter")
        reply = None
        try:
            if faults.get(name) == "pickle":
                import pickle

                conn.send_bytes(pickle.dumps(("result", seq, {"file": name, "error": None})))
                continue
            if faults.get(name) == "malformed":
                bad = {"file": name, "error": None, "case_number": ["CM16-0000000"], "items": []}
                _send(conn, {"kind": "result", "seq": seq, "record": bad})
                continue
            reader = header.get("reader") if header.get("reader") in READERS else "fast"
            if faults.get(name) == "slow_pages":
                for page in range(1, 5):
                    time.sleep(0.8)
                    _send(conn, {"kind": "progress", "seq": seq, "done": page, "total": 4})
            elif name in faults and (faults[name] != "crash_fast" or reader == "fast"):
                _misbehave(faults[name], memory_limit_mb)

            def page_read(done: int, total: int, seq=seq) -> None:
                _send(conn, {"kind": "progress", "seq": seq, "done": int(done), "total": int(total)})

            record = extract(
                data,
                name=name,
                ocr=header.get("ocr") is not False,
                reader=reader,
                progress=page_read,
                fast_guard=lambda: memory_headroom(FAST_READER_HEADROOM_MB),
            )
            reply = {"kind": "result", "seq": seq, "record": record}
            if (record.get("error") or {}).get("message") == OUT_OF_MEMORY:
                reply = {
                    "kind": "failed",
                    "seq": seq,
                    "code": "crashed",
                    "message": "Reading this letter ran out of memory.",
                }
        except MemoryError:
            reply = {
                "kind": "failed",
                "seq": seq,
                "code": "crashed",
                "message": "Reading this letter ran out of memory.",
            }
        except BaseException as exc:  # an extractor bug must cost one letter, not the batch
            reply = {
                "kind": "failed",
                "seq": seq,
                "code": "crashed",
                "message": f"Reading this letter failed ({type(exc).__name__}: {exc}).",
            }
        data = record = None
        try:
            _send(conn, reply)
        except (OSError, ValueError, MemoryError, TypeError):
            return
        if reply["kind"] == "failed":  # memory may be fragmented or a library's state broken: start afresh
            sys.stdout.flush()
            return
