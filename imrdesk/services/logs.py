"""The log file a reviewer can send: what the window did and every error it met, with its traceback.

``start_logging()`` writes the ``imrdesk`` loggers to a rotating file in the user's log folder
(``~/.local/state/imrdesk/log`` on Linux, ``%LOCALAPPDATA%\\imrdesk\\Logs`` on Windows,
``~/Library/Logs/imrdesk`` on macOS; ``IMRDESK_LOG_DIR`` chooses another): at most four files of 1 MB. A
native crash (a segfault in a library) cannot run Python's handlers, so ``faulthandler`` writes its
traceback to ``native-crash.log`` beside it; the next start moves that report into the log, so it is
sent with the rest. The windowed program has no console: nothing here writes to stderr.
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import os
import platform
from pathlib import Path

from .. import __version__

LOGGER = "imrdesk"
LOG_NAME = "imrdesk.log"
NATIVE_NAME = "native-crash.log"
MAX_BYTES = 1024 * 1024
BACKUPS = 3

_native_file = None  # kept open: faulthandler writes to its descriptor when the process dies


def log_dir() -> Path:
    env = os.environ.get("IMRDESK_LOG_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_log_dir("imrdesk", appauthor=False))


def start_logging(kind: str = "window") -> Path | None:
    """Log to the rotating file and arm faulthandler; returns the log file's path (None when the folder
    cannot be written: the program runs on without a log rather than not at all)."""
    global _native_file
    folder = log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / LOG_NAME
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"))
    logger = logging.getLogger(LOGGER)
    for old in [h for h in logger.handlers if getattr(h, "imrdesk_log", False)]:
        logger.removeHandler(old)
        old.close()
    handler.imrdesk_log = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.info(
        "imrdesk %s (%s) started: Python %s on %s",
        __version__,
        kind,
        platform.python_version(),
        platform.platform(),
    )
    _collect_native_crash(folder / NATIVE_NAME, logger)
    try:
        if _native_file is not None:
            _native_file.close()
        _native_file = open(folder / NATIVE_NAME, "a", encoding="utf-8")  # noqa: SIM115 (open for the process's life)
        faulthandler.enable(file=_native_file, all_threads=True)
    except (OSError, RuntimeError, ValueError):
        pass
    return path


def _collect_native_crash(path: Path, logger: logging.Logger) -> None:
    """A native crash of the last session (faulthandler's report) goes into the log, then is cleared."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return
    if text:
        logger.error("The previous session ended in a native crash:\n%s", text[-20000:])
        try:
            path.write_text("", encoding="utf-8")
        except OSError:
            pass


def log_exception(exc_type, exc, tb, *, where: str = "") -> None:
    """Write an unhandled exception with its traceback to the log."""
    logging.getLogger(LOGGER).error(
        "Unhandled exception%s", f" in {where}" if where else "", exc_info=(exc_type, exc, tb)
    )
