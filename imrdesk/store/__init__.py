"""The reviewed dataset (one SQLite file), the isolated batch importer and the store's commands. No Qt."""

from .importer import collect_paths, import_paths, reextract_documents
from .store import DOCUMENT_STATUSES, REVIEW_STATUSES, SCHEMA_VERSION, SearchError, Store, StoreError

__all__ = [
    "Store",
    "SearchError",
    "StoreError",
    "SCHEMA_VERSION",
    "REVIEW_STATUSES",
    "DOCUMENT_STATUSES",
    "collect_paths",
    "import_paths",
    "reextract_documents",
]
