"""The window's side of the render process (no Qt here): open a letter, ask for pages, get pixels back
(or a page's words with their boxes, for selecting and copying the letter's text).

One render process (:mod:`render_worker`) with a memory limit serves the window. Opening a letter waits
for its page sizes (a short round trip: pdfium reads only the page tree) at most ``open_timeout`` seconds.
Pages are rendered one at a time by a thread of this class, so the window's thread never waits on pdfium:
a page taking more than ``page_timeout`` seconds, or killing the process, comes back as a failure with a
message, and the process is started again (with the letter opened again) for the next page.
"""

from __future__ import annotations

import math
import multiprocessing
import queue
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count

from . import render_worker
from .render_worker import MAX_PIXELS, frame, unframe

START_TIMEOUT = 60.0
# seconds a letter's opening waits for the page being drawn before stopping the process: a page takes 10-130 ms
# (more zoomed in), a bomb its whole time limit; a stop costs a new process, started on the window's thread
OPEN_WAIT = 0.25


class RenderError(Exception):
    """A letter or a page that could not be drawn; the message is for a person."""


class RendererLost(RenderError):
    """The render process was lost on a request: it ran out of time (``timed_out``) or died. It may be the
    machine (busy, asleep, short of memory) as much as the letter, so one more try in a new process is fair."""

    def __init__(self, message: str, *, timed_out: bool) -> None:
        super().__init__(message)
        self.timed_out = timed_out


PageWord = tuple[str, float, float, float, float]  # text, x0, top, x1, bottom in PDF points (top-left origin)


@dataclass
class Ticket:
    """One page asked for: its pixels (``kind`` "page") or its words (``kind`` "words"). ``done`` is set
    when ``pixels`` or ``words`` (or ``error``) is there."""

    doc: int
    page: int
    scale: float
    kind: str = "page"
    words: list[PageWord] | None = None
    seq: int = 0
    width: int = 0
    height: int = 0
    stride: int = 0
    pixels: bytes = b""
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)
    consumed: bool = False  # set by whoever showed the result (the window's thread)
    lost: bool = False  # the process was lost on it (time-out or death): maybe the machine, not the page


class PageRenderer:
    """Pages drawn in a separate, bounded process. ``on_done(ticket)`` is called from the renderer's thread
    when a ticket is done (the window forwards it to its own thread)."""

    def __init__(
        self,
        on_done: Callable[[Ticket], None] | None = None,
        *,
        memory_limit_mb: int | None = 1536,
        page_timeout: float = 15.0,
        open_timeout: float = 5.0,
    ) -> None:
        self.on_done = on_done
        self.memory_limit_mb = memory_limit_mb
        self.page_timeout = page_timeout
        self.open_timeout = open_timeout
        self.ctx = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()  # the pipe: one request and its answer at a time
        self._proc = None
        self._conn = None
        self._doc: tuple[int, bytes] | None = None  # the open letter, to open again after a restart
        self._opened_in: object = None  # the process the letter is open in
        self._keys = count(1)
        self._seq = count(1)
        self._queue: queue.Queue[Ticket | None] = queue.Queue()
        self._closed = False
        self.restarts = 0
        self._thread = threading.Thread(target=self._serve, name="imrdesk-render", daemon=True)
        self._thread.start()
        self._queue.put(None)  # start the process in the background (the first letter opens sooner)

    # ------------------------------------------------------------------ the process
    @property
    def pid(self) -> int | None:
        """The render process's id (None while none runs)."""
        proc = self._proc
        return proc.pid if proc is not None else None

    def _start(self) -> None:
        parent, child = self.ctx.Pipe(duplex=True)
        proc = self.ctx.Process(
            target=render_worker.main, args=(child, self.memory_limit_mb), name="imrdesk-render", daemon=True
        )
        proc.start()
        child.close()
        if not parent.poll(START_TIMEOUT):
            proc.kill()
            raise RenderError("The page renderer did not start.")
        header, _ = unframe(parent.recv_bytes(65536))
        if header.get("kind") != "ready":
            proc.kill()
            raise RenderError("The page renderer did not start.")
        self._proc, self._conn = proc, parent

    def _kill(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        self._opened_in = None
        if proc is not None:
            try:
                proc.kill()
                proc.join(5)
            except (OSError, ValueError, AssertionError):
                pass
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass

    def _ask(self, header: dict, payload: bytes, timeout: float) -> tuple[dict, memoryview]:
        """Send a request and wait for its answer (the lock held). RenderError on a time-out, a death of
        the process or an answer that is not one (the process is then killed: the next request starts a
        new one)."""
        if self._proc is None:
            self._start()
        if self._doc is not None and self._opened_in is not self._proc and header.get("op") != "open":
            self._open_here(*self._doc)
        try:
            self._conn.send_bytes(frame(header, payload))
            if not self._conn.poll(timeout):
                self._kill()
                self.restarts += 1
                raise RendererLost(f"it took more than {timeout:g} s", timed_out=True)
            return unframe(self._conn.recv_bytes(MAX_PIXELS * 4 + 65536))
        except (EOFError, OSError, ValueError) as exc:
            code = None
            if self._proc is not None:
                try:
                    self._proc.join(1)  # it closed its end: its exit status says how it ended
                    code = self._proc.exitcode
                except (OSError, ValueError, AssertionError):
                    pass
            self._kill()
            self.restarts += 1
            raise RendererLost(f"the page renderer stopped{_how(code)}", timed_out=False) from exc

    def _open_here(self, key: int, data: bytes) -> list[tuple[float, float]]:
        header, _ = self._ask({"op": "open", "doc": key}, data, self.open_timeout)
        if header.get("kind") != "opened" or header.get("doc") != key:
            raise RenderError(str(header.get("message") or "the letter could not be opened"))
        self._opened_in = self._proc
        return [(float(w), float(h)) for w, h in header.get("sizes") or []]

    # ------------------------------------------------------------------ the window's calls
    def open(self, data: bytes) -> tuple[int, list[tuple[float, float]]]:
        """Open a letter: (its key, its page sizes in points). RenderError when it cannot be read."""
        key = next(self._keys)
        self._doc = None  # the previous letter's pages are not wanted any more
        if not self._lock.acquire(timeout=OPEN_WAIT):
            # a page of the previous letter is being drawn (a bomb may take its whole time limit): stop it
            proc = self._proc
            if proc is not None:
                try:
                    proc.kill()
                except (OSError, ValueError, AttributeError):
                    pass
            self._lock.acquire()
        try:
            try:
                sizes = self._open_here(key, data)
            except RendererLost as exc:
                if exc.timed_out:  # the window waits on an open: not twice
                    raise
                sizes = self._open_here(key, data)  # it had died (idle, or on this letter): once more
            self._doc = (key, data)
        except RenderError:
            raise
        except Exception as exc:
            raise RenderError(f"the page renderer failed ({type(exc).__name__})") from exc
        finally:
            self._lock.release()
        return key, sizes

    def close_doc(self, key: int) -> None:
        with self._lock:
            if self._doc is not None and self._doc[0] == key:
                self._doc = None

    def request(self, doc: int, page: int, scale: float) -> Ticket:
        """Ask for a page (0-based) at ``scale`` pixels per point; rendered in order of asking."""
        ticket = Ticket(doc, page, scale, seq=next(self._seq))
        self._queue.put(ticket)
        return ticket

    def request_words(self, doc: int, page: int) -> Ticket:
        """Ask for a page's words (0-based), in turn with the pages asked for, under the same time limit."""
        ticket = Ticket(doc, page, 0.0, kind="words", seq=next(self._seq))
        self._queue.put(ticket)
        return ticket

    def close(self) -> None:
        self._closed = True
        self._queue.put(None)
        with self._lock:
            conn = self._conn
            if conn is not None:
                try:
                    conn.send_bytes(frame({"op": "stop"}))
                except (OSError, ValueError):
                    pass
            proc = self._proc
            if proc is not None:
                try:
                    proc.join(2)
                except (OSError, ValueError, AssertionError):
                    pass
            self._kill()

    # ------------------------------------------------------------------ the thread
    def _serve(self) -> None:
        while True:
            ticket = self._queue.get()
            if self._closed:
                if ticket is not None:
                    self._finish(ticket, error="The viewer was closed.")
                return
            if ticket is None:
                with self._lock:
                    if self._proc is None and not self._closed:
                        try:
                            self._start()
                        except Exception:  # the first request says so
                            pass
                continue
            self._render(ticket)

    def _render(self, ticket: Ticket) -> None:
        with self._lock:
            if self._doc is None or self._doc[0] != ticket.doc:
                self._finish(ticket, error="stale")  # another letter is open now
                return
            op = {"op": "render", "scale": ticket.scale} if ticket.kind == "page" else {"op": "words"}
            try:
                header, pixels = self._ask(
                    {**op, "doc": ticket.doc, "page": ticket.page, "seq": ticket.seq}, b"", self.page_timeout
                )
            except RenderError as exc:
                ticket.lost = isinstance(exc, RendererLost)
                self._finish(ticket, error=f"This page could not be drawn: {exc}.")
                return
            except Exception as exc:
                self._finish(ticket, error=f"This page could not be drawn ({type(exc).__name__}).")
                return
        if ticket.kind == "words":
            self._words(ticket, header)
            return
        if header.get("kind") != "page" or header.get("seq") != ticket.seq:
            self._finish(ticket, error=f"This page could not be drawn: {header.get('message') or 'no image'}")
            return
        width, height, stride = int(header["width"]), int(header["height"]), int(header["stride"])
        if width <= 0 or height <= 0 or stride < width * 4 or len(pixels) < stride * height:
            self._finish(ticket, error="This page could not be drawn: the image came back malformed.")
            return
        ticket.width, ticket.height, ticket.stride = width, height, stride
        ticket.pixels = bytes(pixels)
        self._finish(ticket)

    def _words(self, ticket: Ticket, header: dict) -> None:
        """Keep the words of an answer that are what they claim (a text and four finite numbers)."""
        if header.get("kind") != "words" or header.get("seq") != ticket.seq:
            self._finish(
                ticket, error=f"This page's text could not be read: {header.get('message') or 'no text'}"
            )
            return
        ticket.words = [word for word in map(_word, header.get("words") or []) if word is not None]
        self._finish(ticket)

    def _finish(self, ticket: Ticket, *, error: str | None = None) -> None:
        ticket.error = error
        ticket.done.set()
        if self.on_done is not None and error != "stale":
            try:
                self.on_done(ticket)
            except Exception:
                pass


def _word(entry: object) -> PageWord | None:
    if not isinstance(entry, list) or len(entry) != 5 or not isinstance(entry[0], str):
        return None
    if not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in entry[1:]
    ):
        return None
    text, x0, top, x1, bottom = entry
    return (text[:1000], float(x0), float(top), float(x1), float(bottom))


def _how(exitcode: int | None) -> str:
    if exitcode is None:
        return ""
    if exitcode < 0:
        try:
            return f" ({signal.Signals(-exitcode).name})"
        except ValueError:
            return f" (signal {-exitcode})"
    return f" (exit code {exitcode})"
