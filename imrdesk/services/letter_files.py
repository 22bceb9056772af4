"""Finding the letters to read on disk, and reading them safely (the import and the ``extract`` command).

Only regular files are read. A named pipe would block the reader forever, ``/dev/zero`` never ends and a
device may do anything when opened: each is refused from its ``stat``, never opened. Inside a folder,
whatever could not be looked at — a sub-folder that cannot be listed, a link to nothing, a letter that is
not a file — is reported with its reason, not skipped in silence; files that are not letters (other
suffixes, hidden files) are left alone as before.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..extract.document import LoadError, not_a_file, read_letter_file

SUFFIXES = (".pdf", ".txt")


@dataclass
class Skipped:
    """A path that will not be read, and why (a sentence for a person)."""

    path: Path
    reason: str


@dataclass
class Scan:
    files: list[Path] = field(default_factory=list)  # to read, sorted, without repeats
    skipped: list[Skipped] = field(default_factory=list)  # reported, never opened


def scan_paths(paths: Iterable[str | Path]) -> Scan:
    """Files and folders -> the letters to read. Folders are walked recursively for .pdf and .txt files
    (hidden files and folders left out, links to folders not followed); files named explicitly are kept
    whatever their suffix (reading them says what is wrong). Unreadable folders, dangling links and
    letters that are not regular files met in a folder are ``skipped`` with their reason."""
    found: dict[str, Path] = {}
    skipped: list[Skipped] = []
    for raw in paths:
        p = Path(raw).expanduser()
        if p.is_dir():
            _walk(p, found, skipped)
        else:
            found.setdefault(_key(p), p)
    return Scan(sorted(found.values(), key=str), skipped)


def collect_paths(paths: Iterable[str | Path]) -> list[Path]:
    """The files :func:`scan_paths` would read (what was skipped is left out)."""
    return scan_paths(paths).files


def _walk(folder: Path, found: dict[str, Path], skipped: list[Skipped]) -> None:
    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else folder
        skipped.append(
            Skipped(
                where, f"This folder cannot be read ({exc.strerror or exc}); its letters were not looked at."
            )
        )

    for root, dirs, files in os.walk(folder, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or not name.lower().endswith(SUFFIXES):
                continue
            f = Path(root) / name
            reason = refusal(f)
            if reason:
                skipped.append(Skipped(f, reason))
            else:
                found.setdefault(_key(f), f)


def refusal(path: Path) -> str | None:
    """Why a letter met in a folder will not be read (None: it is a regular file to read)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            return f"This is a link to {os.readlink(path)}, which does not exist."
        return "This file disappeared while the folder was being read."
    except OSError as exc:
        return f"This file cannot be looked at ({exc.strerror or exc})."
    what = not_a_file(mode)
    if what:
        return f"This is {what}, not a file; only regular files are read."
    if not os.access(path, os.R_OK) and stat.S_ISREG(mode):
        return "This file cannot be read (permission denied)."
    return None


def _key(p: Path) -> str:
    try:
        return str(p.resolve())
    except OSError:
        return str(p.absolute())


def read_letter(path: Path, max_bytes: int) -> bytes:
    """A letter's bytes (see :func:`imrdesk.extract.document.read_letter_file`); LoadError when it is not
    read (not a regular file, missing, unreadable, over ``max_bytes``)."""
    return read_letter_file(path, max_bytes=max_bytes)


__all__ = [
    "SUFFIXES",
    "Scan",
    "Skipped",
    "LoadError",
    "collect_paths",
    "read_letter",
    "refusal",
    "scan_paths",
]
