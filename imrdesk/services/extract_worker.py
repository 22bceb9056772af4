"""The extraction worker: a separate process the importer starts ('spawn'), one letter at a time.

Protocol on its pipe: it sends ``("ready", pid)`` once the extractor is loaded; then for each
``(seq, name, data)`` it receives it answers ``("result", seq, record)`` or, when extraction itself blew up
(e.g. out of memory), ``("failed", seq, code, message)`` and exits so that the next letter gets a fresh
process. ``None`` asks it to exit. It also exits by itself when the importing process disappears.

Test hook (documented, used by the test suite to prove the isolation is real): the environment variable
``IMRDESK_TEST_FAULT`` holds ``;``-separated ``kind:filename`` entries. When this worker is given a letter
with that file name it misbehaves for real before extracting it: ``hang`` (sleeps forever), ``crash``
(segmentation fault), ``exit`` (``os._exit(3)``), ``oom`` (allocates past the worker's memory limit, so a
real MemoryError is raised). Nothing reads the variable outside this worker.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

FAULT_ENV = "IMRDESK_TEST_FAULT"


def parse_faults(spec: str) -> dict[str, str]:
    faults = {}
    for entry in (spec or "").split(";"):
        kind, sep, name = entry.strip().partition(":")
        if sep and kind in ("hang", "crash", "exit", "oom") and name:
            faults[name] = kind
    return faults


def _misbehave(kind: str, memory_limit_mb: int | None) -> None:
    if kind == "hang":
        while True:
            time.sleep(3600)
    elif kind == "crash":
        import ctypes

        ctypes.string_at(0)  # reads address 0: SIGSEGV
    elif kind == "exit":
        os._exit(3)
    elif kind == "oom":
        size = ((memory_limit_mb or 4096) + 256) * 1024 * 1024
        blob = bytearray(size)
        blob[-1] = 1


def _watch_parent() -> None:
    """Exit when the importing process is gone (e.g. killed), so no worker is left behind."""
    import multiprocessing
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    ppid = os.getppid()

    def run() -> None:
        while True:
            if parent is not None and parent.sentinel is not None:
                try:
                    if wait([parent.sentinel], timeout=1.0):
                        os._exit(0)
                except (OSError, ValueError):
                    time.sleep(1.0)
            else:
                time.sleep(1.0)
            if os.name == "posix" and os.getppid() != ppid:
                os._exit(0)

    threading.Thread(target=run, name="imrdesk-parent-watch", daemon=True).start()


def _limit_memory(memory_limit_mb: int | None) -> None:
    if not memory_limit_mb:
        return
    try:
        import resource
    except ImportError:  # Windows: no address-space limit
        return
    limit = int(memory_limit_mb) * 1024 * 1024
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass


def main(conn, memory_limit_mb: int | None = None) -> None:
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the importing process's to handle
    except (ValueError, OSError):
        pass
    _watch_parent()
    import logging
    import warnings

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    logging.getLogger("pdfplumber").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    from imrdesk.extract import extract

    _limit_memory(memory_limit_mb)
    faults = parse_faults(os.environ.get(FAULT_ENV, ""))
    conn.send(("ready", os.getpid()))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        seq, name, data = msg
        reply = None
        try:
            if name in faults:
                _misbehave(faults[name], memory_limit_mb)
            reply = ("result", seq, extract(data, name=name))
        except MemoryError:
            reply = ("failed", seq, "crashed", "Reading this letter ran out of memory.")
        except BaseException as exc:  # an extractor bug must cost one letter, not the batch
            reply = ("failed", seq, "crashed", f"Reading this letter failed ({type(exc).__name__}: {exc}).")
        data = None
        try:
            conn.send(reply)
        except (OSError, ValueError, MemoryError):
            return
        if reply[0] == "failed":
            sys.stdout.flush()
            return
