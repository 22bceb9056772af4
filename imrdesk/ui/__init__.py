"""The reviewer's window (Qt). Reaches data only through :mod:`imrdesk.store`'s Python API."""

from ._refcounts import protect_singletons

protect_singletons()  # before any Qt call: see _refcounts (PySide6 6.12 on Python 3.11)
