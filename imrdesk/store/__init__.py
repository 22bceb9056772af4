"""Persistence only: the reviewed dataset in one SQLite file — letters, extracted values, corrections,
audit, finding dismissals, search. No Qt, no command line, no export formats, no worker processes."""

from ..record import DOCUMENT_STATUSES, REVIEW_STATUSES
from .errors import SearchError, StoreError
from .letters import NewLetter
from .listing import SORT_KEYS, STATUS_FILTERS, ListQuery
from .review import CLEAR, Picked, Prior
from .schema import SCHEMA_VERSION
from .store import Store, Transaction

__all__ = [
    "Store",
    "Transaction",
    "NewLetter",
    "CLEAR",
    "Picked",
    "Prior",
    "SearchError",
    "StoreError",
    "SCHEMA_VERSION",
    "REVIEW_STATUSES",
    "DOCUMENT_STATUSES",
    "ListQuery",
    "SORT_KEYS",
    "STATUS_FILTERS",
]
