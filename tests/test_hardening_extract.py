"""``extract()`` never raises, whatever it is given; bombs stop at a cap with a clear code; text letters are
read in whatever encoding they were saved; only regular files are read.

Real letters (tests/fixtures) mutated, generated bombs (tests/hostile.py), real FIFOs and devices.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from hostile import MiB, bomb_pdf, deflate_bomb, mutants, one_line_text, pdf_with_streams, text_page
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdfgen import FIXTURES

from imrdesk.extract import ERROR_CODES, extract
from imrdesk.extract.document import (
    MAX_LINE_CHARS,
    decode_text,
    load_pdf,
    read_letter_file,
    text_encoding,
)
from imrdesk.extract.inflate import DecodeLimit, decode_budget

LETTERS = sorted((FIXTURES / "pdf").glob("*.pdf"))
SEED = FIXTURES / "seeds" / "003_9351796eb9e60cf4.txt"


def assert_record(rec: dict) -> None:
    """A contract record: JSON, an error with a known code and a sentence, or values."""
    json.dumps(rec)
    if rec["error"] is not None:
        assert rec["error"]["code"] in ERROR_CODES
        assert rec["error"]["message"] and rec["error"]["message"][0].isupper()


# ------------------------------------------------------------------------ never raises


def test_mutated_letters_never_raise():
    """The reproduction of the issue: letters with flipped bytes made ``pdf.close()`` raise in load_pdf's
    ``finally``, hiding the real error and stopping the batch. 120 seeded mutants: every one a record."""
    codes: dict[str, int] = {}
    for name, data in mutants(LETTERS, 120, seed=13):
        rec = extract(data, name=name)
        assert_record(rec)
        key = rec["error"]["code"] if rec["error"] else "read"
        codes[key] = codes.get(key, 0) + 1
    assert codes.get("read", 0) > 10 and codes.get("corrupt", 0) > 0, codes  # the mutants are varied


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(st.data())
def test_fuzzed_real_letters_never_raise(data):
    letter = LETTERS[data.draw(st.integers(0, len(LETTERS) - 1))].read_bytes()
    raw = bytearray(letter)
    for _ in range(data.draw(st.integers(1, 12))):
        at = data.draw(st.integers(0, len(raw) - 1))
        op = data.draw(st.sampled_from(["flip", "cut", "dup"]))
        if op == "flip":
            raw[at] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del raw[at : at + data.draw(st.integers(1, 400))]
        else:
            raw[at:at] = raw[at : at + data.draw(st.integers(1, 200))]
        if not raw:
            break
    assert_record(extract(bytes(raw), name="fuzzed.pdf"))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from(["x.pdf", "x.txt", "x"]))
def test_random_bytes_never_raise(data, name):
    assert_record(extract(b"%PDF-1.4\n" + data if name == "x.pdf" else data, name=name))


# ------------------------------------------------------------------------ bombs


def test_a_deflate_bomb_stops_at_the_cap():
    """2 MB of deflate inflating to 2 GiB: too_large, having decompressed no more than the cap allows."""
    bomb = bomb_pdf(2048 * MiB)
    assert len(bomb) < 3 * MiB
    rec = extract(bomb, name="bomb.pdf")
    assert rec["error"]["code"] == "too_large"
    assert "decompress" in rec["error"]["message"]


def test_the_cap_counts_every_stream_of_a_document():
    """Many streams each under the cap, over it together, are caught too."""
    pages = [deflate_bomb(8 * MiB) for _ in range(6)]
    data = pdf_with_streams([text_page(["IMR ISSUES, DECISIONS AND RATIONALES"]), *pages])
    with pytest.raises(Exception) as caught:
        load_pdf(data, max_decoded=32 * MiB)
    assert getattr(caught.value, "code", None) == "too_large"
    # under a larger budget the same file reads (its pages are blank)
    doc = load_pdf(data, max_decoded=128 * MiB)
    assert doc.pages == 7


def test_the_budget_applies_to_the_decoders_pdfminer_calls():
    from pdfminer import pdftypes

    with decode_budget(1 * MiB) as budget:
        with pytest.raises(DecodeLimit):
            pdftypes.zlib.decompress(deflate_bomb(4 * MiB))
        assert budget.exceeded
        with pytest.raises(DecodeLimit):  # once over, later streams stop at once
            pdftypes.decompress_corrupted(deflate_bomb(1 * MiB))
    # outside a budget pdfminer's decoders behave as before
    assert pdftypes.zlib.decompress(deflate_bomb(2 * MiB)) == b" " * (2 * MiB)
    # RunLength: 2 bytes that would expand to 128 bytes each, counted before they are expanded
    with decode_budget(1000) as budget, pytest.raises(DecodeLimit):
        pdftypes.rldecode(b"\x81 " * 100 + b"\x80")
    assert pdftypes.rldecode(b"\x81 \x80") == b" " * 128


def test_a_one_line_text_is_refused_with_its_reason(tmp_path):
    rec = extract(one_line_text(45 * MiB), name="line.txt")
    assert rec["error"]["code"] == "too_large" and "characters" in rec["error"]["message"]
    line = b"word " * (MAX_LINE_CHARS // 5 + 100)
    rec = extract(SEED.read_bytes() + b"\n" + line + b"\n", name="long-line.txt")
    assert rec["error"]["code"] == "too_large"
    assert "Line " in rec["error"]["message"] and "characters" in rec["error"]["message"]


# ------------------------------------------------------------------------ encodings


def _fields(rec: dict) -> dict:
    return {k: v for k, v in rec.items() if k not in ("file", "sha256", "provenance")}


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-16-le", b""),
        ("utf-16-be", b""),
        ("cp1252", b""),
    ],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_text_letters_in_any_encoding_read_the_same(encoding, bom, newline):
    text = SEED.read_text(encoding="utf-8").replace("\r\n", "\n")
    # characters each encoding spells differently: curly quotes, an accent, a dash
    text = text.replace("The patient is", "The patient \u201cJos\u00e9\u201d \u2013 is", 1)
    reference = extract(text.encode("utf-8"), name="ref.txt")
    assert reference["error"] is None
    data = bom + text.replace("\n", newline).encode(encoding)
    assert text_encoding(data)[0] == encoding
    rec = extract(data, name=f"letter-{encoding}.txt")
    assert rec["error"] is None, rec["error"]
    assert _fields(rec) == _fields(reference)
    assert "\u201cJos\u00e9\u201d" in decode_text(data)


def test_a_utf16_letter_without_a_text_suffix_is_read():
    data = b"\xff\xfe" + SEED.read_text(encoding="utf-8").encode("utf-16-le")
    assert extract(data, name="letter-without-suffix")["error"] is None


def test_undecodable_bytes_do_not_raise():
    assert "\ufffd" in decode_text(b"\xff\xfeA\x00\x00\xd8")  # a lone surrogate in UTF-16
    assert decode_text(b"caf\xe9 \x81") == "caf\u00e9 \x81"  # not cp1252 (0x81): Latin-1


# ------------------------------------------------------------------------ only regular files


def _returns_within(fn, seconds: float = 20.0):
    """Run ``fn`` in a thread; fail (instead of hanging the suite) when it does not return."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(fn()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, f"{fn} did not return within {seconds} s (it blocked)"
    return result[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_or_a_device_is_refused_without_being_opened(tmp_path):
    fifo = tmp_path / "letter.pdf"
    os.mkfifo(fifo)
    rec = _returns_within(lambda: extract(fifo))
    assert rec["error"]["code"] == "corrupt" and "named pipe" in rec["error"]["message"]
    # nobody opened it for reading: a writer that does not wait finds no reader
    with pytest.raises(OSError):
        os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    rec = _returns_within(lambda: extract(Path("/dev/zero")))
    assert rec["error"]["code"] == "corrupt" and "character device" in rec["error"]["message"]


def test_links_and_missing_files_say_what_they_are(tmp_path):
    link = tmp_path / "gone.pdf"
    link.symlink_to(tmp_path / "nowhere.pdf")
    rec = extract(link)
    assert rec["error"]["code"] == "corrupt" and "link to" in rec["error"]["message"]
    with pytest.raises(Exception) as caught:
        read_letter_file(tmp_path, max_bytes=100)
    assert "folder" in str(caught.value)
    small = tmp_path / "big.pdf"
    small.write_bytes(b"%PDF-1.4\n" + b"0" * 5000)
    with pytest.raises(Exception) as caught:
        read_letter_file(small, max_bytes=1000)
    assert getattr(caught.value, "code", None) == "too_large"
