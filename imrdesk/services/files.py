"""Files the services write: whole or not at all, with the permissions a new file normally gets.

A file is written under a hidden temporary name beside its target (``.NAME.PID.RANDOM.part``) and moved
into place only when complete, so a failed or killed export never leaves a half-written dataset under the
real name. The temporary file is created with mode 0666 filtered by the user's umask, as ``open()`` would
create it (``tempfile.mkstemp`` makes 0600 files, which other users of a shared folder cannot read);
replacing an existing file keeps that file's mode. Temporary files a killed writer left behind (its process
is gone, or the file is a day old) are removed by the next write into the same folder.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
import time
from contextlib import contextmanager
from pathlib import Path

STALE_AFTER = 24 * 3600.0  # seconds after which a leftover temporary file is removed whatever its writer


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        return True  # no cheap check here: the age rule removes it later
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, another user's
        return True
    return True


def remove_stale_parts(folder: Path) -> list[Path]:
    """Remove the temporary files of writes that never finished in ``folder`` (their writer is gone, or
    they are over a day old); returns what was removed."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        name = entry.name
        if not (name.startswith(".") and name.endswith(".part")):
            continue
        bits = name[1 : -len(".part")].rsplit(".", 2)
        if len(bits) != 3 or not bits[1].isdigit():
            continue  # not one of ours
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode):
                continue
            if _alive(int(bits[1])) and now - info.st_mtime < STALE_AFTER:
                continue
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _create_temp(path: Path) -> Path:
    """A new empty file beside ``path``, mode 0666 less the umask (the kernel applies it)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    while True:
        tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part"
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp


@contextmanager
def atomic_file(path: Path, mode: str | None, **kwargs):
    """Write to a temporary file beside ``path`` and move it into place only when complete. ``mode`` is
    ``open``'s mode (the file object is yielded), or None (the temporary path is yielded, for libraries that
    write a file themselves)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(path.parent)
    tmp = _create_temp(path)
    try:
        if mode is None:
            yield tmp
        else:
            with open(tmp, mode, **kwargs) as fh:
                yield fh
        try:
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))  # replacing a file keeps its mode
        except FileNotFoundError:
            pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
