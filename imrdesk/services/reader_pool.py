"""Reading letters in bounded worker processes: the loop the import, the re-extraction and the ``extract``
command share (no Qt, no database here).

Extraction runs in a small pool of worker processes started with 'spawn' (safe from a GUI thread, the same
on every platform). Each letter has a wall-clock limit; a worker that hangs is killed (``timeout``), one
that dies (a segfault, ``os._exit``, out of memory) is replaced (``crashed``), and the pool goes on with the
next letter. A worker that dies reading a letter with the fast reader (pdfium, C: a fault there kills the
process) is replaced and the letter read once more with the reference reader before it counts as crashed.
Workers have a memory limit (an address-space limit on POSIX, a Job object on Windows) and are recycled
every ``max_tasks`` letters (:data:`MAX_TASKS`), so a long batch keeps a flat memory profile.

Nothing crosses the process boundary as a pickle: the parent sends a JSON header and the letter's bytes,
the worker answers JSON (see :mod:`extract_worker`), and the parent checks what it gets is a record before
using it. A worker taken over by a hostile file can therefore send wrong values, never code to run.
"""

from __future__ import annotations

import json
import multiprocessing
import signal
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from multiprocessing.connection import wait
from typing import Protocol

from ..extract import ERROR_CODES
from . import extract_worker

STARTUP_TIMEOUT = 120.0  # a worker that cannot load the extractor in this time is given up
MAX_STARTUP_FAILURES = 3
CANCEL_GRACE = 3.0  # seconds letters already being read get to finish after a cancel
MAX_REPLY_BYTES = 64 * 1024 * 1024  # a record is a few hundred kB; anything longer is not one
MAX_MESSAGE_CHARS = 2000
# Letters a worker reads before a fresh one takes over. A start costs about 0.3 s of CPU (the interpreter,
# the extractor, pdfium's first letter): every 200 letters that was 5% of an import. A worker reading text
# letters holds a flat 33 MB over a thousand of them (measured on the shared corpus); a failed letter still
# ends its worker at once, and the memory limit bounds any one letter.
MAX_TASKS = 1000


@dataclass
class Job:
    """One letter to read: its bytes and how to name it."""

    name: str
    label: str  # how the letter is named in reports (the path as given, or the stored file name)
    data: bytes
    sha: str
    source_path: str | None = None
    replace: bool = False  # a stored letter read again
    ocr: bool = True  # pages without a text layer are read by OCR
    reader: str = "fast"  # how the worker reads a PDF (imrdesk.extract.READERS); the pool may fall back


class Outcomes(Protocol):
    """Where the pool delivers what became of each letter (called in the pool's thread)."""

    def record(self, job: Job, record: dict) -> None: ...

    def failed(self, job: Job, code: str, message: str) -> None: ...

    # optional: ``reading(job, done, total)`` after each page of a letter read by OCR (see ReaderPool);
    # ``tick()`` between waits, after the waiting workers have their next letters (e.g. store a batch)


# ------------------------------------------------------------------------------ the wire


def job_message(seq: int, job: Job) -> bytes:
    """Parent -> worker: a length-prefixed JSON header, then the letter's bytes."""
    header = {"op": "read", "seq": seq, "name": job.name, "ocr": job.ocr, "reader": job.reader}
    header = json.dumps(header).encode()
    return struct.pack(">I", len(header)) + header + job.data


STOP_MESSAGE = struct.pack(">I", 13) + b'{"op":"stop"}'


def parse_reply(raw: bytes) -> dict:
    """A worker's answer, checked: ``{"kind": "ready"}``, ``{"kind": "result", "seq", "record"}`` or
    ``{"kind": "failed", "seq", "code", "message"}``, or ``{"kind": "progress", "seq", "done", "total"}`` (pages
    read by OCR). Raises ValueError on anything else."""
    msg = json.loads(raw.decode("utf-8"))
    if not isinstance(msg, dict):
        raise ValueError("not an object")
    kind = msg.get("kind")
    if kind == "ready":
        return msg
    if not isinstance(msg.get("seq"), int):
        raise ValueError("no sequence number")
    if kind == "result":
        check_record(msg.get("record"))
        return msg
    if kind == "progress":
        done, total = msg.get("done"), msg.get("total")
        if not (isinstance(done, int) and isinstance(total, int) and 0 <= done <= total <= 100_000):
            raise ValueError("progress without page counts")
        return msg
    if kind == "failed":
        if msg.get("code") not in ERROR_CODES or not isinstance(msg.get("message"), str):
            raise ValueError("a failure without a known code")
        msg["message"] = msg["message"][:MAX_MESSAGE_CHARS]
        return msg
    raise ValueError(f"unknown kind {kind!r}")


def _scalar(value) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _scalars(value) -> bool:
    """A scalar, or a list of scalars (a list field: diagnoses, sources, families, …)."""
    return _scalar(value) or (isinstance(value, list) and all(_scalar(v) for v in value))


def _flat_dict(value) -> bool:
    return isinstance(value, dict) and all(_scalars(v) for v in value.values())


def _item_ok(item) -> bool:
    """An item: values and lists of values; its citations lists of groups of values."""
    return isinstance(item, dict) and all(
        (isinstance(v, list) and all(_flat_dict(c) for c in v)) if k.endswith("_citations") else _scalars(v)
        for k, v in item.items()
    )


def check_record(record) -> None:
    """Raise ValueError unless ``record`` has the contract record's shape, down to what the store binds
    as a value: a worker taken over by a hostile file must not be able to stop the batch (or write
    something the store cannot read back) by sending a list where a text goes."""
    if not isinstance(record, dict):
        raise ValueError("the record is not an object")
    error = record.get("error")
    if error is not None and (
        not isinstance(error, dict)
        or error.get("code") not in ERROR_CODES
        or not isinstance(error.get("message"), str)
    ):
        raise ValueError("the record's error is malformed")
    pages = record.get("pages", 0)
    if not isinstance(pages, int) or isinstance(pages, bool) or pages < 0:
        raise ValueError("the record's page count is malformed")
    for key, value in record.items():
        if key == "error":
            continue
        if key == "items":
            ok = isinstance(value, list) and all(_item_ok(item) for item in value)
        elif key == "findings":
            ok = isinstance(value, list) and all(_flat_dict(f) for f in value)
        elif key == "provenance":
            ok = isinstance(value, dict) and all(
                isinstance(p, dict)
                and _scalar(p.get("page"))
                and _scalar(p.get("confidence"))
                and isinstance(p.get("boxes", []), list)
                and isinstance(p.get("spans", []), list)
                for p in value.values()
            )
        else:  # a letter field: a value, or a group of values and lists (reviewer, patient, injury)
            ok = _scalar(value) or _flat_dict(value)
        if not ok:
            raise ValueError(f"the record's {key} is malformed")


# ------------------------------------------------------------------------------ one worker


@dataclass
class _Worker:
    proc: multiprocessing.process.BaseProcess
    conn: object
    started: float = field(default_factory=time.monotonic)
    ready: bool = False
    job: Job | None = None
    seq: int = 0
    deadline: float = float("inf")
    done: int = 0
    retire: bool = False
    cancelled: bool = False

    @classmethod
    def start(cls, ctx, memory_limit_mb: int | None) -> _Worker:
        parent_conn, child_conn = ctx.Pipe(duplex=True)
        proc = ctx.Process(
            target=extract_worker.main,
            args=(child_conn, memory_limit_mb),
            name="imrdesk-extract",
            daemon=True,
        )
        proc.start()
        child_conn.close()
        return cls(proc=proc, conn=parent_conn)

    def kill(self) -> None:
        try:
            if self.proc.is_alive():
                self.proc.kill()
            self.proc.join(5)
        except (OSError, ValueError, AssertionError):
            pass
        self._close()

    def stop(self) -> None:
        try:
            self.conn.send_bytes(STOP_MESSAGE)
        except (OSError, ValueError):
            pass
        try:
            self.proc.join(2)
        except (OSError, ValueError, AssertionError):
            pass
        self.kill()

    def _close(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass
        try:
            self.proc.close()
        except (ValueError, AttributeError):
            pass


# ------------------------------------------------------------------------------ the pool


class ReaderPool:
    """Reads letters in worker processes and tells ``outcomes`` what became of each one.

    ``run(entries, resolve)``: ``resolve(entry)`` turns each entry into a :class:`Job` (or None when it
    needs no reading: a duplicate, a file refused before reading — it reports those itself). Setting
    ``cancel`` stops scheduling: letters being read get ``grace`` seconds to finish, the rest are counted
    in ``skipped``."""

    def __init__(
        self,
        outcomes: Outcomes,
        *,
        workers: int = 2,
        timeout: float | None = 60.0,
        cancel: threading.Event | None = None,
        memory_limit_mb: int | None = 3072,
        max_tasks: int = MAX_TASKS,
        grace: float = CANCEL_GRACE,
    ) -> None:
        self.outcomes = outcomes
        self.grace = grace
        self.n_workers = max(1, int(workers))
        self.timeout = float(timeout) if timeout else float("inf")
        self.cancel = cancel
        self.memory_limit_mb = memory_limit_mb
        self.max_tasks = max(1, int(max_tasks))
        self.ctx = multiprocessing.get_context("spawn")
        self.workers: list[_Worker] = []
        self.inflight: dict[str, str] = {}  # sha -> label of the letter being read
        self.seq = 0
        self.startup_failures = 0
        self.cancelled = False
        self.skipped = 0
        self.retries: deque[Job] = deque()  # letters whose worker died in the fast reader, to read again
        self.reread = 0  # how many such letters were sent to the reference reader
        self.answered: Counter[int] = Counter()  # letters each worker (by process id) answered
        self._resolver: Callable[[object], Job | None] = lambda entry: None

    def run(self, entries: Iterable, resolve: Callable[[object], Job | None]) -> None:
        self._resolver = resolve
        pending = deque(entries)
        staged: Job | None = None
        try:
            while True:
                if self._cancel_requested() and not self.cancelled:
                    self.cancelled = True
                    self.skipped += len(pending) + (staged is not None) + len(self.retries)
                    pending.clear()
                    for job in [*self.retries, *([staged] if staged is not None else [])]:
                        self.inflight.pop(job.sha, None)
                    self.retries.clear()
                    staged = None
                    grace = time.monotonic() + self.grace
                    for w in self.workers:
                        if w.job is not None:
                            w.deadline = min(w.deadline, grace)
                            w.cancelled = True
                while True:  # a letter for every worker waiting for one (not one a wake-up: see below)
                    if staged is None and self.retries:
                        staged = self.retries.popleft()
                    while staged is None and pending and not self._cancel_requested():
                        staged = resolve(pending.popleft())
                        if staged is not None:
                            self.inflight[staged.sha] = staged.label
                    if staged is None:
                        break
                    busy = sum(w.job is not None for w in self.workers)
                    while len(self.workers) < min(self.n_workers, busy + 1 + len(pending)):
                        self.workers.append(_Worker.start(self.ctx, self.memory_limit_mb))
                    if self.startup_failures >= MAX_STARTUP_FAILURES and not any(
                        w.ready for w in self.workers
                    ):
                        staged = self._give_up(staged, pending)
                        continue
                    # Handing out one letter a wake-up starved a worker: two answers at once, one letter
                    # given, and the same worker, first in the list, was the next to answer every time
                    # (the other sat idle until the first was recycled: half the cores unused).
                    idle = next((w for w in self.workers if w.ready and w.job is None and not w.retire), None)
                    if idle is None or not self._dispatch(idle, staged):
                        break
                    staged = None
                if (
                    staged is None
                    and not pending
                    and not self.retries
                    and all(w.job is None for w in self.workers)
                ):
                    break
                # The outcomes' own work (storing a batch: tens of milliseconds) once every waiting worker
                # has its next letter, so no worker waits on it.
                tick = getattr(self.outcomes, "tick", None)
                if tick is not None:
                    tick()
                self._wait()
                for w in list(self.workers):
                    self._service(w)
        finally:
            for w in self.workers:
                if w.job is not None:
                    w.kill()
                else:
                    w.stop()
            self.workers.clear()

    def _cancel_requested(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def _give_up(self, staged: Job, pending: deque) -> None:
        msg = "The extraction process could not be started, so this letter was not read."
        jobs = [staged]
        self.inflight.pop(staged.sha, None)
        # resolve the rest so duplicates are still reported as such; whatever needs reading fails
        while pending:
            job = self._resolver(pending.popleft())
            if job is not None:
                self.inflight.pop(job.sha, None)
                jobs.append(job)
        for job in jobs:
            self.outcomes.failed(job, "crashed", msg)
        return None

    def _dispatch(self, w: _Worker, job: Job) -> bool:
        self.seq += 1
        try:
            w.conn.send_bytes(job_message(self.seq, job))
        except (OSError, ValueError):
            w.retire = True  # died while idle; _service replaces it and the letter goes to another
            return False
        w.job, w.seq = job, self.seq
        w.deadline = time.monotonic() + self.timeout
        return True

    def _wait(self) -> None:
        now = time.monotonic()
        deadlines = [w.deadline for w in self.workers if w.job is not None]
        deadlines += [w.started + STARTUP_TIMEOUT for w in self.workers if not w.ready]
        timeout = min([0.25, *[max(0.0, d - now) for d in deadlines]])
        handles = []
        for w in self.workers:
            handles += [w.conn, w.proc.sentinel]
        if handles:
            try:
                wait(handles, timeout)
            except (OSError, ValueError):
                time.sleep(0.05)
        else:
            time.sleep(0.05)

    def _finish(self, w: _Worker) -> Job:
        job = w.job
        w.job = None
        w.deadline = float("inf")
        self.inflight.pop(job.sha, None)
        return job

    def _receive(self, w: _Worker) -> bool:
        """Handle what the worker sent; False when its pipe is closed or it sent something that is not an
        answer (it is then treated as dead)."""
        try:
            while w.conn.poll():
                msg = parse_reply(w.conn.recv_bytes(MAX_REPLY_BYTES))
                if msg["kind"] == "ready":
                    w.ready = True
                    self.startup_failures = 0
                elif msg["kind"] == "progress":
                    if w.job is not None and msg["seq"] == w.seq:
                        self._page_read(w, msg["done"], msg["total"])
                elif w.job is not None and msg["seq"] == w.seq:
                    job = self._finish(w)
                    w.done += 1
                    self.answered[w.proc.pid] += 1
                    if msg["kind"] == "result":
                        record = msg["record"]
                        record["file"], record["sha256"] = job.name, job.sha  # ours, not the worker's word
                        self.outcomes.record(job, record)
                    else:
                        w.retire = True
                        self.outcomes.failed(job, msg["code"], msg["message"])
        except (EOFError, OSError):
            return False
        except (ValueError, UnicodeDecodeError, RecursionError):
            if w.job is not None:
                job = self._finish(w)
                self.outcomes.failed(
                    job,
                    "crashed",
                    "The reader process sent back something that is not a record; it was stopped.",
                )
            return False
        return True

    def _page_read(self, w: _Worker, done: int, total: int) -> None:
        """A page of a scan was read: the letter's clock starts again, so the limit bounds a page (a hang),
        not a long scan on a busy machine; a cancelled letter keeps its grace period."""
        if not w.cancelled:
            w.deadline = max(w.deadline, time.monotonic() + self.timeout)
        reading = getattr(self.outcomes, "reading", None)
        if reading is not None:
            reading(w.job, done, total)

    def _service(self, w: _Worker) -> None:
        alive = self._receive(w)
        now = time.monotonic()
        if not alive or not w.proc.is_alive():
            if w.job is not None:
                job = self._finish(w)
                try:
                    w.proc.join(5)  # its pipe closed: wait for the exit status
                except (OSError, ValueError, AssertionError):
                    pass
                if job.reader == "fast" and not w.cancelled:
                    # pdfium may be what died: once more with pdfplumber, in a fresh worker
                    self.retries.append(replace(job, reader="reference"))
                    self.reread += 1
                    self.inflight[job.sha] = job.label
                else:
                    self.outcomes.failed(job, "crashed", death_message(w.proc.exitcode))
            elif not w.ready:
                self.startup_failures += 1
            self._drop(w, kill=True)
        elif w.job is not None and now >= w.deadline:
            job = self._finish(w)
            self._drop(w, kill=True)
            if w.cancelled:
                self.skipped += 1
            else:
                self.outcomes.failed(
                    job,
                    "timeout",
                    f"Reading this letter took more than {self.timeout:g} s; it was stopped so the batch "
                    "could go on.",
                )
        elif not w.ready and now >= w.started + STARTUP_TIMEOUT:
            self.startup_failures += 1
            self._drop(w, kill=True)
        elif w.job is None and (w.retire or w.done >= self.max_tasks):
            self._drop(w, kill=False)

    def _drop(self, w: _Worker, *, kill: bool) -> None:
        if w in self.workers:
            self.workers.remove(w)
        if kill:
            w.kill()
        else:
            w.stop()


def death_message(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            how = f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"signal {-exitcode}"
    elif exitcode is None:
        return "The reader process stopped answering on this letter; it was set aside and the batch went on."
    else:
        how = f"exit code {exitcode}"
    return f"The reader process died on this letter ({how}); it was set aside and the batch went on."
