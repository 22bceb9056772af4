"""Guard against a reference-count bug of PySide6/shiboken6 6.12 on CPython before 3.12.

On Python 3.11, PySide6 6.12 hands Python ``None``, ``True`` and ``False`` without taking a reference for
them in several places: every void method call (``label.setText(...)``) returns ``None``, every
``signal.emit(...)`` returns ``True``, an invalid ``QVariant`` (``widget.property("unset")``,
``combo.currentData()`` of an item without data) becomes ``None``, and ``item.setData(role, None)`` drops
one. Each call takes one reference away; after a few thousand calls CPython aborts with "Fatal Python
error: none_dealloc" (or bool_dealloc). Python 3.12 made these objects immortal, which hides the bug.

pyproject.toml keeps PySide6 below 6.12; the guard stays for an environment that has 6.12 anyway. It gives
the three singletons a reference count no session can exhaust, the way 3.12 treats them.
It touches nothing else, and does nothing on 3.12+ or on other interpreters.
"""

from __future__ import annotations

import ctypes
import platform
import sys

RESERVE = 1 << 40
_applied = False


def protect_singletons() -> bool:
    """Raise the reference counts of None, True and False once per process; True when it did."""
    global _applied
    if _applied or platform.python_implementation() != "CPython" or sys.version_info >= (3, 12):
        return False
    import PySide6

    if tuple(PySide6.__version_info__[:2]) != (6, 12):
        return False  # only the 6.12 release is known to have the bug (pyproject keeps us below it)
    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += RESERVE  # ob_refcnt is the object's first field
    _applied = True
    return True
