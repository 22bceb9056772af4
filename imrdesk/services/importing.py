"""Batch import with isolated extraction (no Qt; the command line and the window both use it).

Letters are read and hashed by the calling process, which is the only one writing to the database (one
transaction per letter). Extraction runs in a small pool of worker processes started with 'spawn' (safe
from a GUI thread, same on every platform). Each letter has a time limit; a worker that hangs is killed
(error ``timeout``), one that dies (segfault, ``os._exit``, out of memory) is replaced (error ``crashed``),
and the batch goes on. Workers have an address-space limit on POSIX and are recycled every
``max_tasks`` letters, so a long import keeps a flat memory profile.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

from ..record.types import ImportEvent, ImportSummary, StoredResult
from ..store import Store
from . import extract_worker

SUFFIXES = (".pdf", ".txt")
STARTUP_TIMEOUT = 120.0  # a worker that cannot load the extractor in this time is given up
MAX_STARTUP_FAILURES = 3
CANCEL_GRACE = 3.0  # seconds letters already being read get to finish after a cancel
RETRY_CODES = ("timeout", "crashed")  # a letter stored with these errors is read again on re-import

Progress = Callable[[ImportEvent], None]


def collect_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files and folders -> the letters to import: folders are walked recursively for .pdf and .txt files
    (hidden files skipped); files named explicitly are kept whatever their suffix (and reported if they are
    missing or unreadable). Sorted, without repeats."""
    found: dict[str, Path] = {}
    for raw in paths:
        p = Path(raw).expanduser()
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for name in files:
                    if name.startswith(".") or not name.lower().endswith(SUFFIXES):
                        continue
                    f = Path(root) / name
                    if f.is_file():
                        found.setdefault(_key(f), f)
        else:
            found.setdefault(_key(p), p)
    return sorted(found.values(), key=lambda f: str(f))


def _key(p: Path) -> str:
    try:
        return str(p.resolve())
    except OSError:
        return str(p.absolute())


@dataclass
class _Job:
    name: str
    label: str  # how the letter is named in reports (the path as given, or the stored file name)
    data: bytes
    sha: str
    source_path: str | None
    replace: bool = False


@dataclass
class _Worker:
    proc: multiprocessing.process.BaseProcess
    conn: object
    started: float = field(default_factory=time.monotonic)
    ready: bool = False
    job: _Job | None = None
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
            self.conn.send(None)
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


class _Batch:
    def __init__(
        self,
        store: Store,
        total: int,
        *,
        workers: int,
        timeout: float | None,
        progress: Progress | None,
        cancel: threading.Event | None,
        memory_limit_mb: int | None,
        max_tasks: int,
    ) -> None:
        self.store = store
        self.total = total
        self.n_workers = max(1, int(workers))
        self.timeout = float(timeout) if timeout else float("inf")
        self.progress = progress
        self.cancel = cancel
        self.memory_limit_mb = memory_limit_mb
        self.max_tasks = max(1, int(max_tasks))
        self.ctx = multiprocessing.get_context("spawn")
        self.workers: list[_Worker] = []
        self.inflight: dict[str, str] = {}  # sha -> label of the letter being read
        self.done = 0
        self.seq = 0
        self.startup_failures = 0
        self._resolver: Callable[[object], _Job | None] = lambda entry: None
        self.summary = {
            "imported": 0,
            "duplicates": 0,
            "failed": [],
            "flagged": 0,
            "cancelled": False,
            "skipped": 0,
            "total": total,
        }

    # -------------------------------------------------------------- outcomes
    def emit(self, job_label: str, name: str, status: str, message: str, **extra) -> None:
        self.done += 1
        if status == "imported":
            self.summary["imported"] += 1
            if extra.get("case_duplicate"):
                self.summary["flagged"] += 1
        elif status == "duplicate":
            self.summary["duplicates"] += 1
        else:
            self.summary["failed"].append((job_label, extra.get("code") or "crashed", message))
        if self.progress is not None:
            self.progress(
                {
                    "done": self.done,
                    "total": self.total,
                    "file": name,
                    "path": job_label,
                    "status": status,
                    "message": message,
                    **extra,
                }
            )

    def store_record(self, job: _Job, record: dict) -> None:
        res = self.store.add_record(record, job.data, source_path=job.source_path, replace=job.replace)
        code = (record.get("error") or {}).get("code")
        self.emit(
            job.label,
            job.name,
            res["status"],
            res["message"],
            doc_id=res["doc_id"],
            case_duplicate=res["case_duplicate"],
            code=code,
        )

    def job_failed(self, job: _Job, code: str, message: str) -> None:
        from ..extract import error_record

        if job.replace:  # a re-extraction that could not run: keep what is stored
            self.emit(job.label, job.name, "failed", message + " The stored values were kept.", code=code)
            return
        self.store_record(job, error_record(job.name, job.sha, code, message))

    # -------------------------------------------------------------- the loop
    def run(self, entries: Iterable, resolve: Callable[[object], _Job | None]) -> dict:
        t0 = time.monotonic()
        self._resolver = resolve
        pending = deque(entries)
        staged: _Job | None = None
        try:
            while True:
                if self.cancel is not None and self.cancel.is_set() and not self.summary["cancelled"]:
                    self.summary["cancelled"] = True
                    self.summary["skipped"] += len(pending) + (staged is not None)
                    pending.clear()
                    if staged is not None:
                        self.inflight.pop(staged.sha, None)
                    staged = None
                    grace = time.monotonic() + CANCEL_GRACE
                    for w in self.workers:
                        if w.job is not None:
                            w.deadline = min(w.deadline, grace)
                            w.cancelled = True
                while staged is None and pending and not self._cancel_requested():
                    staged = resolve(pending.popleft())
                    if staged is not None:
                        self.inflight[staged.sha] = staged.label
                busy = [w for w in self.workers if w.job is not None]
                if staged is None and not busy and not pending:
                    break
                if staged is not None:
                    while len(self.workers) < min(self.n_workers, len(busy) + 1 + len(pending)):
                        self.workers.append(_Worker.start(self.ctx, self.memory_limit_mb))
                    if self.startup_failures >= MAX_STARTUP_FAILURES and not any(
                        w.ready for w in self.workers
                    ):
                        staged = self._give_up(staged, pending)
                        continue
                    for w in self.workers:
                        if w.ready and w.job is None and not w.retire:
                            if self._dispatch(w, staged):
                                staged = None
                            break
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
        self.summary["seconds"] = round(time.monotonic() - t0, 3)
        return self.summary

    def _cancel_requested(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def _give_up(self, staged: _Job, pending: deque) -> None:
        msg = "The extraction process could not be started, so this letter was not read."
        jobs = [staged]
        self.inflight.pop(staged.sha, None)
        # resolve the rest so duplicates are still reported as such; whatever needs reading fails
        while pending:
            job = self._resolve_after_failure(pending.popleft())
            if job is not None:
                jobs.append(job)
        for job in jobs:
            self.emit(job.label, job.name, "failed", msg, code="crashed")
        return None

    def _resolve_after_failure(self, entry):
        job = self._resolver(entry)
        if job is not None:
            self.inflight.pop(job.sha, None)
        return job

    def _dispatch(self, w: _Worker, job: _Job) -> bool:
        self.seq += 1
        try:
            w.conn.send((self.seq, job.name, job.data))
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

    def _finish(self, w: _Worker) -> _Job:
        job = w.job
        w.job = None
        w.deadline = float("inf")
        self.inflight.pop(job.sha, None)
        return job

    def _service(self, w: _Worker) -> None:
        dead = False
        try:
            while w.conn.poll():
                msg = w.conn.recv()
                if msg[0] == "ready":
                    w.ready = True
                    self.startup_failures = 0
                elif msg[0] in ("result", "failed") and w.job is not None and msg[1] == w.seq:
                    job = self._finish(w)
                    w.done += 1
                    if msg[0] == "result":
                        self.store_record(job, msg[2])
                    else:
                        w.retire = True
                        self.job_failed(job, msg[2], msg[3])
        except (EOFError, OSError):
            dead = True
        now = time.monotonic()
        if dead or not w.proc.is_alive():
            if w.job is not None:
                job = self._finish(w)
                try:
                    w.proc.join(5)  # its pipe closed: wait for the exit status
                except (OSError, ValueError, AssertionError):
                    pass
                self.job_failed(job, "crashed", _death_message(w.proc.exitcode))
            elif not w.ready:
                self.startup_failures += 1
            self._drop(w, kill=True)
        elif w.job is not None and now >= w.deadline:
            job = self._finish(w)
            self._drop(w, kill=True)
            if w.cancelled:
                self.summary["skipped"] += 1
            else:
                self.job_failed(
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


def _death_message(exitcode: int | None) -> str:
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


def _run(store_path, items_of: Callable, resolver: Callable, **options) -> dict:
    """One isolated batch over a store (a path, opened and closed here, or an open Store): ``items_of(store)``
    lists the work, ``resolver(store, batch)`` gives the function that turns one item into a job."""
    owned = not isinstance(store_path, Store)
    store = Store(store_path) if owned else store_path
    try:
        items = items_of(store)
        batch = _Batch(store, len(items), **options)
        return batch.run(items, resolver(store, batch))
    finally:
        if owned:
            store.close()


def import_paths(
    store_path,
    paths,
    *,
    workers: int = 2,
    timeout: float | None = 60.0,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    reextract: bool = False,
    memory_limit_mb: int | None = 3072,
    max_tasks: int = 200,
) -> ImportSummary:
    """Import letters (files or folders) into the database at ``store_path`` (a path or a Store).

    ``progress(event)`` is called in this thread after each letter with ``{"done", "total", "file",
    "path", "status": "imported"|"duplicate"|"failed", "message", "doc_id", "code", "case_duplicate"}``.
    Setting ``cancel`` stops scheduling new letters; letters already stored stay stored. Letters already in
    the database are duplicates (not read again) unless ``reextract`` is true, or they were stored with a
    ``timeout``/``crashed`` error. Returns ``{"imported", "duplicates", "failed": [(path, code, message)],
    "flagged", "cancelled", "skipped", "total", "seconds"}``.
    """
    from ..extract.document import MAX_BYTES

    files = collect_paths([paths] if isinstance(paths, (str, Path)) else paths)

    def resolver(store: Store, batch: _Batch) -> Callable[[Path], _Job | None]:
        def resolve(path: Path) -> _Job | None:
            from ..extract import error_record

            label, name = str(path), path.name
            try:
                size = path.stat().st_size
                if size > MAX_BYTES:
                    sha = _hash_file(path)
                    if store.lookup_sha(sha) is not None:
                        batch.emit(label, name, "duplicate", "Already in the database.")
                        return None
                    rec = error_record(
                        name,
                        sha,
                        "too_large",
                        f"The file is {size / 1e6:.1f} MB; files over {MAX_BYTES / 1e6:.0f} MB are not imported.",
                    )
                    res = store.add_record(rec, b"", source_path=label)
                    batch.emit(
                        label, name, res["status"], res["message"], doc_id=res["doc_id"], code="too_large"
                    )
                    return None
                data = path.read_bytes()
            except OSError as exc:
                reason = (
                    "it does not exist" if isinstance(exc, FileNotFoundError) else (exc.strerror or str(exc))
                )
                batch.emit(label, name, "failed", f"The file cannot be read: {reason}.", code="corrupt")
                return None
            sha = hashlib.sha256(data).hexdigest()
            if sha in batch.inflight:
                batch.emit(label, name, "duplicate", f"Same file as {batch.inflight[sha]} in this batch.")
                return None
            known = store.lookup_sha(sha)
            replace = False
            if known is not None:
                doc_id, code = known
                if not reextract and code not in RETRY_CODES:
                    msg = f"Already in the database as {store.label(doc_id)}."
                    batch.emit(label, name, "duplicate", msg, doc_id=doc_id)
                    return None
                replace = True
            return _Job(name=name, label=label, data=data, sha=sha, source_path=label, replace=replace)

        return resolve

    return _run(
        store_path,
        lambda _store: files,
        resolver,
        workers=workers,
        timeout=timeout,
        progress=progress,
        cancel=cancel,
        memory_limit_mb=memory_limit_mb,
        max_tasks=max_tasks,
    )


def reextract_documents(
    store_path,
    doc_ids: Iterable[int] | None = None,
    *,
    workers: int = 2,
    timeout: float | None = 60.0,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    memory_limit_mb: int | None = 3072,
    max_tasks: int = 200,
) -> ImportSummary:
    """Extract stored letters again (all when ``doc_ids`` is None) with the current parser, isolated like
    an import. Corrections stay in force; a letter whose re-extraction hangs or crashes keeps its values."""

    def resolver(store: Store, batch: _Batch) -> Callable[[int], _Job | None]:
        def resolve(doc_id: int) -> _Job | None:
            try:
                info = store.document_info(doc_id)
                data = store.document_bytes(doc_id)
            except KeyError as exc:
                batch.emit(f"#{doc_id}", f"#{doc_id}", "failed", str(exc.args[0]), code="corrupt")
                return None
            if not data:
                batch.emit(
                    info["file_name"],
                    info["file_name"],
                    "failed",
                    "The original file is not stored.",
                    code="corrupt",
                )
                return None
            return _Job(
                name=info["file_name"],
                label=info["file_name"],
                data=data,
                sha=info["sha256"],
                source_path=info.get("source_path"),
                replace=True,
            )

        return resolve

    return _run(
        store_path,
        lambda store: list(doc_ids) if doc_ids is not None else store.document_ids(),
        resolver,
        workers=workers,
        timeout=timeout,
        progress=progress,
        cancel=cancel,
        memory_limit_mb=memory_limit_mb,
        max_tasks=max_tasks,
    )


def _hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def reextract_in_process(store: Store, doc_id: int) -> StoredResult:
    """Extract one stored letter again in this process (after a parser upgrade); corrections stay in
    force. For many letters, or letters that might hang, use :func:`reextract_documents`."""
    from ..extract import extract

    info = store.document_info(doc_id)
    data = store.document_bytes(doc_id)
    if not data:
        raise ValueError(f"Letter #{doc_id}: the original file is not stored, so it cannot be read again.")
    rec = extract(data, name=info["file_name"])
    return store.add_record(rec, data, source_path=info.get("source_path"), replace=True)
