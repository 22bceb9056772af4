"""The reviewer's window (Qt). Reaches data only through :mod:`imrdesk.store`'s Python API."""
