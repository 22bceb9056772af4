"""Modules the window needs only later, imported on a background thread once it is idle: the charts'
matplotlib takes most of a second to import (several on a busy machine), which opening Insights spent on the
GUI thread, frozen. Imported here, it is already loaded when Insights opens; the import shares the
interpreter's lock with the GUI thread a few milliseconds at a time, so the window stays responsive."""

from __future__ import annotations

import gc
import importlib
import threading

# the charts (matplotlib and its Agg renderer), then matplotlib's Qt canvas: PySide6 reads the source of each
# module that imports it, which made importing the canvas alone a tenth of a second and more
LATER = ("imrdesk.services.charts", "matplotlib.backends.backend_qtagg")


def warm_up(modules: tuple[str, ...] = LATER) -> threading.Thread:
    """Import ``modules`` on a daemon thread (an error is left for the import where the module is used,
    which reports it)."""

    def run() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001, S112 - reported where the module is used
                continue
        if gc.get_freeze_count():  # the program keeps its start-up out of full collections: these too
            gc.freeze()

    thread = threading.Thread(target=run, name="imrdesk-warm-up", daemon=True)
    thread.start()
    return thread


def freeze_start_up() -> None:
    """Keep every object alive now (modules, Qt's wrappers, the window) out of the garbage collector's full
    passes. A full pass walks every object the interpreter tracks, and it runs on whichever thread happens to
    allocate: while an import stored letters, one stopped the window for about a tenth of a second. Called
    once the window is shown (and again after the warm-up's modules); objects made later are collected as
    ever. (No collection first: it would hold the first paint for as long as the pass this avoids.)"""
    gc.freeze()
