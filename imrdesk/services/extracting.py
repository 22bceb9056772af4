"""Letters on disk -> contract records, each read in a bounded worker process; no database (the
``extract`` command).

The files are read by this process (regular files only), extracted by :class:`reader_pool.ReaderPool`
workers with a wall-clock and a memory limit, and the records come back in the order the files were
given, each as soon as it and those before it are done. A file that hangs or crashes its reader becomes an
error record (``timeout``, ``crashed``) and the next file is read: one bomb never stops the batch.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..extract import error_record
from ..extract.document import MAX_BYTES
from .letter_files import LoadError, read_letter
from .reader_pool import Job, ReaderPool


class _Collect:
    """ReaderPool outcomes -> (index, record) on a queue."""

    def __init__(self, out: queue.Queue) -> None:
        self.out = out

    def record(self, job: Job, record: dict) -> None:
        self.out.put((int(job.label), record))

    def failed(self, job: Job, code: str, message: str) -> None:
        self.out.put((int(job.label), error_record(job.name, job.sha, code, message)))


def extract_files(
    paths: Iterable[str | Path],
    *,
    workers: int = 1,
    timeout: float | None = 60.0,
    memory_limit_mb: int | None = 3072,
    ocr: bool = True,
) -> Iterator[dict]:
    """One record per path, in order; ``ocr`` false leaves scanned pages unread. Closing the iterator early
    (a reader that stops, a broken pipe) stops the workers."""
    paths = [Path(p) for p in paths]
    out: queue.Queue = queue.Queue()
    cancel = threading.Event()
    collect = _Collect(out)

    def resolve(index: int) -> Job | None:
        path = paths[index]
        try:
            data = read_letter(path, MAX_BYTES)
        except LoadError as exc:
            out.put((index, error_record(path.name, None, exc.code, exc.message)))
            return None
        # the label carries the index: the records go back in the order of the files
        return Job(name=path.name, label=str(index), data=data, sha=hashlib.sha256(data).hexdigest(), ocr=ocr)

    def run() -> None:
        pool = ReaderPool(
            collect,
            workers=workers,
            timeout=timeout,
            cancel=cancel,
            memory_limit_mb=memory_limit_mb,
            grace=0.0,
        )
        try:
            pool.run(range(len(paths)), resolve)
        except BaseException as exc:  # the pool itself failed: every file not yet answered says so
            out.put((-1, exc))
        finally:
            out.put(None)

    thread = threading.Thread(target=run, name="imrdesk-extract-pool", daemon=True)
    thread.start()
    ready: dict[int, dict] = {}
    following = 0
    try:
        while following < len(paths):
            got = out.get()
            if got is None:
                break
            index, record = got
            if index < 0:
                raise RuntimeError(f"The extraction processes failed: {record}") from record
            ready[index] = record
            while following in ready:
                yield ready.pop(following)
                following += 1
        for index in range(following, len(paths)):  # the pool ended without them: say so, in order
            if index in ready:
                yield ready.pop(index)
            else:
                yield error_record(
                    paths[index].name, None, "crashed", "The file was not read (the reading stopped)."
                )
    finally:
        cancel.set()
        thread.join(10)
