"""Batch import with isolated extraction (no Qt; the command line and the window both use it).

Letters are found and read by the calling process (regular files only, see :mod:`letter_files`), which is
the only one writing to the database (letters stored in batches of up to :data:`BATCH_LETTERS`, or what came
within :data:`BATCH_SECONDS`, one transaction each and a savepoint per letter: each letter stays
all-or-nothing). Extraction runs in bounded worker
processes (:mod:`reader_pool`): a letter that hangs, crashes its reader or needs too much memory becomes a
recorded failure (``timeout``, ``crashed``) and the batch goes on. Such a letter is not read again by
later imports unless asked (``retry_failed``): a letter that hung for a minute would otherwise cost that
minute on every import of its folder.

Paths that are not read at all (not a regular file, a folder that cannot be listed, a link to nothing, a
file that cannot be opened) are reported as ``failed`` events with code ``corrupt`` and the reason; they are
not stored.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from ..record.types import ImportEvent, ImportSummary, StoredResult
from ..store import NewLetter, Store
from .letter_files import SUFFIXES, LoadError, Skipped, collect_paths, read_letter, scan_paths
from .reader_pool import MAX_TASKS, Job, ReaderPool

RETRY_CODES = ("timeout", "crashed")  # letters stored with these errors are read again with retry_failed

Progress = Callable[[ImportEvent], None]
# One commit for several letters: a commit costs about as much as storing a letter (12 -> 7 ms a letter
# measured over the corpus); the reviewer sees letters arrive within BATCH_SECONDS all the same.
BATCH_LETTERS = 16
BATCH_SECONDS = 0.3

__all__ = [
    "SUFFIXES",
    "RETRY_CODES",
    "collect_paths",
    "import_paths",
    "reextract_documents",
    "reextract_in_process",
]


class _Batch:
    """What became of each letter: stored (or not), counted in the summary, told to ``progress``."""

    def __init__(self, store: Store, total: int, progress: Progress | None) -> None:
        self.store = store
        self.total = total
        self.progress = progress
        self.done = 0
        self.pool: ReaderPool | None = None
        self.pending: list[tuple[Job, dict]] = []  # read, waiting to be stored with the next batch
        self.pending_since = 0.0
        self.summary = {
            "imported": 0,
            "duplicates": 0,
            "failed": [],
            "flagged": 0,
            "cancelled": False,
            "skipped": 0,
            "total": total,
        }

    @property
    def inflight(self) -> dict[str, str]:
        """Letters being read or waiting to be stored, by hash (the same bytes again are duplicates)."""
        reading = self.pool.inflight if self.pool is not None else {}
        return {**reading, **{job.sha: job.label for job, _ in self.pending}} if self.pending else reading

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

    # ReaderPool's outcomes
    def record(self, job: Job, record: dict) -> None:
        if not self.pending:
            self.pending_since = time.monotonic()
        self.pending.append((job, record))

    def tick(self) -> None:
        """Called by the pool between its waits, once the workers have their next letters: a batch is
        stored at BATCH_LETTERS letters, or after BATCH_SECONDS."""
        if len(self.pending) >= BATCH_LETTERS or (
            self.pending and time.monotonic() - self.pending_since >= BATCH_SECONDS
        ):
            self.flush()

    def flush(self) -> None:
        """Store the letters read so far, in one transaction, and tell ``progress`` about each."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        results = self.store.add_records(
            [
                NewLetter(rec, job.data, source_path=job.source_path, replace=job.replace)
                for job, rec in pending
            ]
        )
        refused = None
        for (job, rec), res in zip(pending, results, strict=True):
            if isinstance(res, Exception):
                refused = refused or res
                continue
            code = (rec.get("error") or {}).get("code")
            self.emit(
                job.label,
                job.name,
                res["status"],
                res["message"],
                doc_id=res["doc_id"],
                case_duplicate=res["case_duplicate"],
                code=code,
            )
        if refused is not None:  # as when stored one by one: the others of the batch are kept
            raise refused

    def reading(self, job: Job, done: int, total: int) -> None:
        """A page of a scanned letter was read by OCR: told to ``progress`` as a ``reading`` event."""
        if self.progress is not None:
            self.progress(
                {
                    "done": self.done,
                    "total": self.total,
                    "file": job.name,
                    "path": job.label,
                    "status": "reading",
                    "message": f"page {done} of {total} read by OCR",
                    "page": done,
                    "pages": total,
                }
            )

    def failed(self, job: Job, code: str, message: str) -> None:
        from ..extract import error_record

        if job.replace:  # a re-reading that could not run: keep what is stored
            self.emit(job.label, job.name, "failed", message + " The stored values were kept.", code=code)
            return
        self.record(job, error_record(job.name, job.sha, code, message))

    def skipped(self, item: Skipped) -> None:
        self.emit(str(item.path), item.path.name, "failed", item.reason, code="corrupt")


def _run(store_path, items_of: Callable, resolver: Callable, *, progress: Progress | None, **options) -> dict:
    """One isolated batch over a store (a path, opened and closed here, or an open Store): ``items_of(store)``
    lists the work, ``resolver(store, batch)`` gives the function that turns one item into a job."""
    owned = not isinstance(store_path, Store)
    store = Store(store_path) if owned else store_path
    try:
        t0 = time.monotonic()
        items = items_of(store)
        batch = _Batch(store, len(items), progress)
        batch.pool = ReaderPool(batch, **options)
        batch.pool.run(items, resolver(store, batch))
        batch.flush()
        batch.summary["cancelled"] = batch.pool.cancelled
        batch.summary["skipped"] = batch.pool.skipped
        batch.summary["seconds"] = round(time.monotonic() - t0, 3)
        return batch.summary
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
    retry_failed: bool = False,
    memory_limit_mb: int | None = 3072,
    max_tasks: int = MAX_TASKS,
) -> ImportSummary:
    """Import letters (files or folders) into the database at ``store_path`` (a path or a Store).

    ``progress(event)`` is called in this thread after each letter with ``{"done", "total", "file",
    "path", "status": "imported"|"duplicate"|"failed", "message", "doc_id", "code", "case_duplicate"}``.
    Setting ``cancel`` stops scheduling new letters; letters already stored stay stored. Letters already in
    the database are duplicates (not read again) unless ``reextract`` is true; a letter stored as a
    ``timeout``/``crashed`` failure is reported as failed again without being read, unless ``retry_failed``.
    Paths that cannot be read are failures that are not stored. Returns ``{"imported", "duplicates",
    "failed": [(path, code, message)], "flagged", "cancelled", "skipped", "total", "seconds"}``.
    """
    from ..extract.document import MAX_BYTES

    scan = scan_paths([paths] if isinstance(paths, (str, Path)) else paths)
    entries: list[Path | Skipped] = [*scan.skipped, *scan.files]

    def resolver(store: Store, batch: _Batch) -> Callable[[Path | Skipped], Job | None]:
        def resolve(path: Path | Skipped) -> Job | None:
            from ..extract import error_record

            if isinstance(path, Skipped):
                batch.skipped(path)
                return None
            label, name = str(path), path.name
            try:
                data = read_letter(path, MAX_BYTES)
            except LoadError as exc:
                if exc.code != "too_large":
                    batch.emit(label, name, "failed", exc.message, code=exc.code)
                    return None
                # a regular file over the limit: stored as a failure without its bytes (listed, not read)
                sha = _oversize_identity(path)
                known = store.lookup_sha(sha)
                if known is not None:
                    batch.emit(label, name, "duplicate", "Already in the database.", doc_id=known[0])
                    return None
                res = store.add_record(
                    error_record(name, sha, "too_large", exc.message), b"", source_path=label
                )
                batch.emit(label, name, res["status"], res["message"], doc_id=res["doc_id"], code="too_large")
                return None
            sha = hashlib.sha256(data).hexdigest()
            if sha in batch.inflight:
                batch.emit(label, name, "duplicate", f"Same file as {batch.inflight[sha]} in this batch.")
                return None
            known = store.lookup_sha(sha)
            replace = False
            if known is not None:
                doc_id, code = known
                if code in RETRY_CODES and not (retry_failed or reextract):
                    msg = (
                        f"Not read again: {store.label(doc_id)} could not be read at an earlier import ({code}). "
                        "Import with --retry-failed to try it again."
                    )
                    batch.emit(label, name, "failed", msg, doc_id=doc_id, code=code)
                    return None
                if not reextract and code not in RETRY_CODES:
                    msg = f"Already in the database as {store.label(doc_id)}."
                    batch.emit(label, name, "duplicate", msg, doc_id=doc_id)
                    return None
                replace = True
            return Job(name=name, label=label, data=data, sha=sha, source_path=label, replace=replace)

        return resolve

    return _run(
        store_path,
        lambda _store: entries,
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
    max_tasks: int = MAX_TASKS,
) -> ImportSummary:
    """Extract stored letters again (all when ``doc_ids`` is None) with the current parser, isolated like
    an import. Corrections stay in force; a letter whose re-extraction hangs or crashes keeps its values."""

    def resolver(store: Store, batch: _Batch) -> Callable[[int], Job | None]:
        def resolve(doc_id: int) -> Job | None:
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
            return Job(
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


def _oversize_identity(path: Path) -> str:
    """What stands for the sha256 of a file over the size limit: a hash of its name and size (from its stat),
    so importing it again is a duplicate. The file itself is never read: hashing it would read gigabytes in
    the parent process (minutes for a disk image dropped among the letters), only to store a failure."""
    try:
        size = os.stat(path).st_size
    except OSError:
        size = -1
    return hashlib.sha256(f"imrdesk: a file over the size limit\0{path.name}\0{size}".encode()).hexdigest()


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
