"""The SQLite results store: schema and migrations, transactional writes, history queries."""

from hil.store.db import ArtifactKind, Store, StoreError
from hil.store.rows import HistoryRow, JobLog
from hil.store.schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "ArtifactKind", "HistoryRow", "JobLog", "Store", "StoreError"]
