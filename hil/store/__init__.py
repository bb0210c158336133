"""The SQLite results store: schema and migrations, transactional writes, history queries.

The names below load on first use, so that `import hil.store.reader` (the read-only path of the history
commands) does not import sqlite-utils and pydantic through this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hil.lazy import lazy_attributes

if TYPE_CHECKING:
    from hil.store.db import ArtifactKind, Store, StoreError
    from hil.store.history_row import HistoryRow
    from hil.store.rows import JobLog
    from hil.store.schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "ArtifactKind", "HistoryRow", "JobLog", "Store", "StoreError"]
_HOME = {
    "SCHEMA_VERSION": "hil.store.schema",
    "ArtifactKind": "hil.store.db",
    "HistoryRow": "hil.store.history_row",
    "JobLog": "hil.store.rows",
    "Store": "hil.store.db",
    "StoreError": "hil.store.errors",
}

__getattr__ = lazy_attributes(__name__, _HOME)
