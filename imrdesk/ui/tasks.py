"""The window's one way to run work that grows with the dataset (import, insights, export): off the GUI
thread, each job with its own connection to the database, results and progress back on the GUI thread.

A job is ``fn(store, task)``: it runs in a worker thread with a :class:`~imrdesk.store.Store` opened on the
window's database for that job alone (SQLite in WAL mode: its reads never wait for the window's connection,
and its writes are transactions like any other). ``task.progress(payload)`` reports to the window;
``task.stop`` is set when the job should end early (a newer job under the same key, Cancel, closing the
window). Results of a superseded job are dropped, so a slow old count never overwrites a new one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from imrdesk.store import Store


class Task:
    """One submitted job: its key, a stop flag the job checks, and a progress callback."""

    def __init__(self, runner: TaskRunner, key: str) -> None:
        self.key = key
        self.stop = threading.Event()
        self._runner = runner
        self.thread: threading.Thread | None = None
        self.done: Callable[[object], None] | None = None
        self.failed: Callable[[BaseException], None] | None = None
        self.on_progress: Callable[[object], None] | None = None

    def progress(self, payload: object) -> None:
        """Called in the worker thread; delivered to ``on_progress`` in the GUI thread."""
        self._runner.emit(self._runner._relay.progressed, self, payload)

    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


class _Relay(QObject):
    """Lives in the GUI thread: signals emitted by worker threads are queued to it."""

    finished = Signal(object, object)  # task, result
    errored = Signal(object, object)  # task, exception
    progressed = Signal(object, object)  # task, payload


class TaskRunner(QObject):
    """Runs ``fn(store, task)`` jobs in worker threads, one job per key at a time: a newer job under a key
    stops the running one and waits for it to end; requests that arrive meanwhile replace each other, so
    quick changes (a filter typed letter by letter) never pile up threads."""

    def __init__(self, db_path: str | Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self._relay = _Relay(self)
        self._relay.finished.connect(self._on_finished)
        self._relay.errored.connect(self._on_errored)
        self._relay.progressed.connect(self._on_progress)
        self._wanted: dict[str, Task] = {}  # the job whose result the window waits for, by key
        self._running: dict[str, Task] = {}  # the job whose thread runs, by key (may be a stopped one)
        self._queued: dict[str, tuple[Task, Callable, bool]] = {}  # waiting for the running job to end
        self.threads: list[threading.Thread] = []  # started and not yet seen to end
        self._closed = False

    def submit(
        self,
        key: str,
        fn: Callable[[Store, Task], object],
        *,
        done: Callable[[object], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
        progress: Callable[[object], None] | None = None,
        store: bool = True,
    ) -> Task:
        """Start a job (or queue it behind the one running under ``key``, which is told to stop and whose
        result is dropped). ``store=False``: the job opens what it needs itself (``fn`` then gets None)."""
        task = Task(self, key)
        task.done, task.failed, task.on_progress = done, failed, progress
        self._wanted[key] = task
        running = self._running.get(key)
        if running is not None:
            running.stop.set()
            self._queued[key] = (task, fn, store)
        else:
            self._start(task, fn, store)
        return task

    def _start(self, task: Task, fn: Callable, with_store: bool) -> None:
        self._running[task.key] = task
        task.thread = threading.Thread(
            target=self._run, args=(task, fn, with_store), name=f"imrdesk-{task.key}", daemon=True
        )
        self.threads = [t for t in self.threads if t.is_alive()] + [task.thread]
        task.thread.start()

    def current(self, key: str) -> Task | None:
        """The job under ``key`` until its result (or error) has been handed to the window."""
        return self._wanted.get(key)

    def is_running(self, key: str) -> bool:
        return key in self._wanted

    def cancel(self, key: str) -> None:
        """Drop the job under ``key``: it is told to stop and its result will not be delivered."""
        self._wanted.pop(key, None)
        self._queued.pop(key, None)
        running = self._running.get(key)
        if running is not None:
            running.stop.set()

    def stop(self, key: str) -> None:
        """Ask the job under ``key`` to end early but keep its result (Cancel on an import)."""
        task = self._wanted.get(key)
        if task is not None:
            task.stop.set()

    def wait(self, key: str, msecs: int = 30000) -> bool:
        """Block until the job running under ``key`` ends (closing the window in the middle of an import)."""
        task = self._running.get(key)
        if task is None or task.thread is None:
            return True
        task.thread.join(msecs / 1000)
        return not task.thread.is_alive()

    def close(self, msecs: int = 30000) -> None:
        """Stop every job and wait for them (the window is closing); no result is delivered after this."""
        self._closed = True
        self._queued.clear()
        self._wanted.clear()
        running = list(self._running.values())
        for task in running:
            task.stop.set()
        for task in running:
            if task.thread is not None:
                task.thread.join(msecs / 1000)

    # -------------------------------------------------------------- in the worker thread
    def _run(self, task: Task, fn: Callable, with_store: bool) -> None:
        try:
            if with_store:
                with Store(self.db_path) as store:
                    result = fn(store, task)
            else:
                result = fn(None, task)
        except BaseException as exc:  # noqa: BLE001 - reported to the window, never lost in the thread
            self.emit(self._relay.errored, task, exc)
        else:
            self.emit(self._relay.finished, task, result)

    def emit(self, signal, task: Task, payload: object) -> None:
        try:
            signal.emit(task, payload)
        except RuntimeError:
            pass  # the window is gone

    # -------------------------------------------------------------- in the GUI thread
    def _ended(self, task: Task) -> bool:
        """Bookkeeping when a job's thread is done; True when its outcome is still wanted."""
        if self._running.get(task.key) is task:
            del self._running[task.key]
            queued = self._queued.pop(task.key, None)
            if queued is not None and not self._closed:
                self._start(*queued)
        if self._closed or self._wanted.get(task.key) is not task:
            return False
        del self._wanted[task.key]
        return True

    def _on_progress(self, task: Task, payload: object) -> None:
        if not self._closed and self._wanted.get(task.key) is task and task.on_progress is not None:
            task.on_progress(payload)

    def _on_finished(self, task: Task, result: object) -> None:
        if self._ended(task) and task.done is not None:
            task.done(result)

    def _on_errored(self, task: Task, exc: BaseException) -> None:
        if not self._ended(task):
            return
        if task.failed is not None:
            task.failed(exc)
        else:
            raise exc  # a bug: the application's exception hook shows it
