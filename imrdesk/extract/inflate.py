"""A cap on the bytes a PDF's streams may decompress to, so a small file cannot inflate into gigabytes.

pdfminer decodes a stream in one call (``zlib.decompress``, LZW, RunLength) with no limit: a 2 MB stream
of zeros inflates to 2 GiB (and RunLength builds a Python list of ints, eight bytes per byte). While a
:func:`decode_budget` is active in the current thread, the decoders pdfminer calls count what they produce
against it and stop with :class:`DecodeLimit` the moment it would be exceeded; outside one they behave
exactly like pdfminer's own. The budget remembers that it was exceeded, so a caller still learns it when
pdfminer or pdfplumber swallowed the exception and went on.
"""

from __future__ import annotations

import contextvars
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


class DecodeLimit(Exception):
    """A stream decompressed past the document's budget."""


@dataclass
class Budget:
    limit: int
    used: int = 0
    exceeded: bool = False

    def room(self) -> int:
        return max(0, self.limit - self.used)

    def take(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            self.exceeded = True
            raise DecodeLimit(f"the PDF's streams decompress to more than {self.limit // (1 << 20)} MB")


_current: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "imrdesk_decode_budget", default=None
)


@contextmanager
def decode_budget(limit: int) -> Iterator[Budget]:
    """Count every stream decoded in this thread (until the block ends) against ``limit`` bytes."""
    _install()
    budget = Budget(int(limit))
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


def _spend_before(budget: Budget) -> None:
    if budget.exceeded:  # once over, every later stream stops at once
        raise DecodeLimit(f"the PDF's streams decompress to more than {budget.limit // (1 << 20)} MB")


# ------------------------------------------------------------------------------ capped decoders

CHUNK = 1 << 16


def _inflate(data: bytes, budget: Budget, *, tolerant: bool) -> bytes:
    """zlib-decompress ``data`` within the budget. ``tolerant``: keep what came out before a damaged end
    (pdfminer's ``decompress_corrupted``, without its byte-at-a-time quadratic copying)."""
    _spend_before(budget)
    d = zlib.decompressobj()
    out = bytearray()
    view = memoryview(data)
    start_used = budget.used
    try:
        for start in range(0, len(view), CHUNK):
            piece = d.decompress(view[start : start + CHUNK], budget.room() + 1)
            budget.take(len(piece))
            out += piece
            while d.unconsumed_tail:
                piece = d.decompress(d.unconsumed_tail, budget.room() + 1)
                budget.take(len(piece))
                out += piece
            if d.eof:
                break
        if not d.eof and not tolerant:
            raise zlib.error("incomplete or truncated stream")
    except zlib.error:
        if not tolerant:
            # pdfminer retries a damaged stream with decompress_corrupted: count its bytes once, there
            budget.used = start_used
            raise
    return bytes(out)


class _CappedZlib:
    """What pdfminer's ``pdftypes`` module sees as ``zlib``: the real module, with ``decompress`` capped."""

    error = zlib.error

    def __getattr__(self, name: str):
        return getattr(zlib, name)

    @staticmethod
    def decompress(data: bytes, *args, **kwargs) -> bytes:
        budget = _current.get()
        if budget is None:
            return zlib.decompress(data, *args, **kwargs)
        return _inflate(data, budget, tolerant=False)


def _rl_size(data: bytes) -> int:
    """The length RunLengthDecode will produce, counted without producing it."""
    size, i, n = 0, 0, len(data)
    while i < n:
        length = data[i]
        if length == 128:
            break
        if length < 128:
            size += length + 1
            i += length + 2
        else:
            size += 257 - length
            i += 2
    return size


def _wrap(original_zlib, original_corrupted, original_lzw, original_rl):
    def decompress_corrupted(data: bytes) -> bytes:
        budget = _current.get()
        if budget is None:
            return original_corrupted(data)
        return _inflate(data, budget, tolerant=True)

    def lzwdecode(data: bytes) -> bytes:
        budget = _current.get()
        if budget is None:
            return original_lzw(data)
        _spend_before(budget)
        from pdfminer.lzw import LZWDecoder

        out = bytearray()
        for piece in LZWDecoder(io.BytesIO(data)).run():
            budget.take(len(piece))
            out += piece
        return bytes(out)

    def rldecode(data: bytes) -> bytes:
        budget = _current.get()
        if budget is None:
            return original_rl(data)
        _spend_before(budget)
        budget.take(_rl_size(data))
        return original_rl(data)

    return decompress_corrupted, lzwdecode, rldecode


_installed = False


def _install() -> None:
    """Point pdfminer's stream decoding at the capped decoders (once per process)."""
    global _installed
    if _installed:
        return
    from pdfminer import pdftypes

    corrupted, lzw, rl = _wrap(
        pdftypes.zlib, pdftypes.decompress_corrupted, pdftypes.lzwdecode, pdftypes.rldecode
    )
    pdftypes.zlib = _CappedZlib()
    pdftypes.decompress_corrupted = corrupted
    pdftypes.lzwdecode = lzw
    pdftypes.rldecode = rl
    _installed = True
