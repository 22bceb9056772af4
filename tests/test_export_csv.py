"""The CSV export writes its lines without the csv module (which looks at every character of every cell
twice): each line must be what ``csv.writer`` writes of the same cells, formulas neutralised, whatever the
text holds."""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import random

import pytest

from imrdesk.services import export
from imrdesk.services.export import cell, csv_fields

# what the excel dialect quotes (comma, quote, line breaks), what it must not (tabs, other breaks, NUL aside:
# Python 3.10's writer refuses it), and what a formula starts with
ALPHABET = (
    "a",
    " ",
    "\t",
    '"',
    ",",
    "\r",
    "\n",
    "\u2028",
    "\x0b",
    "\x0c",
    "\x85",
    "é",
    "\ufeff",
    ";",
    "'",
    "=",
)
ALPHABET += ("+", "-", "@", "1", "\\")


def _writer_line(values: list) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow(["" if v is None else cell(v) for v in values])
    return buf.getvalue()


def _value(rng: random.Random):
    kind = rng.randrange(8)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice((0, -3, 48, 2.5, True, False))
    if kind == 2:
        return ["".join(rng.choices(ALPHABET, k=rng.randrange(4))) for _ in range(rng.randrange(3))] + [7]
    if kind == 3:
        return {"k": "".join(rng.choices(ALPHABET, k=3)), "n": None}
    return "".join(rng.choices(ALPHABET, k=rng.randrange(7)))


def test_a_line_is_what_the_csv_module_writes():
    rng = random.Random(17)
    for _ in range(20000):
        values = [_value(rng) for _ in range(rng.randrange(2, 6))]
        assert csv_fields(values) + "\r\n" == _writer_line(values), values


def test_formulas_are_neutralised_and_quoted_text_kept_whole():
    line = csv_fields(["=SUM(A1:A2)", "-2", '@x, "y"', "\tz", "a\r\nb", "", None, ["+1", "b"], [], 0])
    assert line == '\'=SUM(A1:A2),\'-2,"\'@x, ""y""",\'\tz,"a\r\nb",,,\'+1; b,,0'
    assert next(csv.reader(io.StringIO(line)))[4] == "a\r\nb"


def test_a_write_that_fails_is_raised_and_the_old_file_kept(corpus_store, tmp_path, monkeypatch):
    """The CSV is written on a thread of its own: a full disk there still fails the export, and the file
    it was to replace stays as it was, with no temporary file beside it."""
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "dataset.csv"
    target.write_text("kept")
    real = export.atomic_file

    class Full:
        def __init__(self, fh) -> None:
            self.fh = fh

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    @contextlib.contextmanager
    def full_disk(path, mode, **kw):
        with real(path, mode, **kw) as fh:
            yield Full(fh)

    monkeypatch.setattr(export, "atomic_file", full_disk)
    with pytest.raises(OSError, match="No space left"):
        export.export(corpus_store, target, "csv")
    assert target.read_text() == "kept" and [p.name for p in target.parent.iterdir()] == ["dataset.csv"]
    monkeypatch.setattr(export, "atomic_file", real)
    assert export.export(corpus_store, target, "csv") > 0 and target.read_bytes().startswith(
        b"\xef\xbb\xbfdoc_id,"
    )
