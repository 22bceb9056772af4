"""Hostile files for the hardening tests and benchmarks, generated (nothing hostile is stored in the repo).

- :func:`bomb_pdf`: a valid PDF whose one page's content stream is ~2 MB of deflate that inflates to 2 GiB
  of spaces (made in about a second: one full-flush deflate block of 1 MiB repeated, then the checksum).
- :func:`one_line_text`: a text "letter" of one line of many megabytes.
- :func:`mutants`: real letters with bytes flipped, cut or repeated (seeded, so failures reproduce).
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator
from pathlib import Path

MiB = 1 << 20


def deflate_bomb(inflated: int = 2048 * MiB, fill: bytes = b" ") -> bytes:
    """A zlib stream of ``inflated`` bytes of ``fill`` (a multiple of 1 MiB), about 1,000 times smaller."""
    chunk = fill * MiB
    n = max(1, inflated // MiB)
    c = zlib.compressobj(9)
    first = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)  # with the two-byte zlib header
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)  # after a full flush, every block is the same
    adler = 1
    for _ in range(n):
        adler = zlib.adler32(chunk, adler)
    # an empty final block, then the checksum of everything
    return first + block * (n - 1) + b"\x03\x00" + adler.to_bytes(4, "big")


def pdf_with_streams(streams: list[bytes], *, flate: bool = True) -> bytes:
    """A minimal valid PDF: one page per content stream (given already compressed when ``flate``)."""
    objects: list[bytes] = []
    n = len(streams)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    font_id = 3 + 2 * n
    for i, stream in enumerate(streams):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        head = f"<< /Length {len(stream)}{' /Filter /FlateDecode' if flate else ''} >>\nstream\n".encode()
        objects.append(head + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def text_page(lines: list[str]) -> bytes:
    """A deflated content stream that writes ``lines`` in Helvetica."""
    ops = ["BT /F1 11 Tf 72 720 Td 14 TL"]
    for line in lines:
        safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({safe}) Tj T*")
    ops.append("ET")
    return zlib.compress("\n".join(ops).encode("latin-1"))


def bomb_pdf(inflated: int = 2048 * MiB) -> bytes:
    """A letter-like first page, then a page whose content inflates to ``inflated`` bytes of spaces."""
    return pdf_with_streams([text_page(["IMR ISSUES, DECISIONS AND RATIONALES"]), deflate_bomb(inflated)])


def one_line_text(size: int = 45 * MiB) -> bytes:
    """A .txt "letter" that is one line of ``size`` bytes (words, no line break)."""
    words = b"medically necessary treatment upheld overturned "
    return (words * (size // len(words) + 1))[:size]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One mutant of a file: bytes flipped, a range cut out or repeated, or the file truncated."""
    out = bytearray(data)
    kind = rng.random()
    if kind < 0.6:
        for _ in range(rng.randint(1, 20)):
            out[rng.randrange(len(out))] = rng.randrange(256)
    elif kind < 0.75:
        a = rng.randrange(len(out))
        del out[a : a + rng.randint(1, 2000)]
    elif kind < 0.9:
        a = rng.randrange(len(out))
        piece = out[a : a + rng.randint(1, 500)]
        out[a:a] = piece * rng.randint(2, 50)
    else:
        del out[rng.randrange(1, len(out)) :]
    return bytes(out)


def mutants(letters: list[Path], count: int, seed: int = 13) -> Iterator[tuple[str, bytes]]:
    """``count`` mutants of ``letters`` as (name, bytes), the same ones for the same seed."""
    rng = random.Random(seed)
    for i in range(count):
        source = letters[i % len(letters)]
        yield f"mutant-{i:03d}-{source.name}", mutate(source.read_bytes(), rng)
