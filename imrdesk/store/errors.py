"""The store's exceptions (their messages are for a person)."""


class StoreError(Exception):
    """The database cannot be used (not an imrdesk database, a newer schema, unreadable file...)."""


class SearchError(StoreError):
    """A full-text query the search engine cannot parse; ``str(exc)`` is a message for a person."""
