"""What a store problem means for the user: StoreError, and the translation of SQLite's refusals into a
message that says what happened (read-only, not writable, disk full, locked) and what to do about it."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from hil.errors import HilError

__all__ = ["StoreError", "read_only_fs", "store_error", "writable"]


class StoreError(HilError):
    """The store could not take a write: unknown run, a record that breaks a constraint, a locked file.

    It is the host's trouble, not the model's, hence the infrastructure exit code.
    """

    exit_code = 3


def read_only_fs(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def writable(path: Path) -> bool:
    """Whether hil can write the store: the file, and its folder (for the WAL's -wal and -shm files)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def store_error(what: str, path: Path, exc: sqlite3.Error) -> StoreError:
    """A StoreError that says what was being done, why SQLite refused, and what to do about it."""
    text = str(exc)
    lowered = text.lower()
    if "full" in lowered or getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return StoreError(
            f"{what} in {path}: the disk is full ({text})",
            hint=f"free space on the disk that holds {path.parent}, or pass --db with a store on another "
            "disk; results recorded before this one are kept",
        )
    if "readonly" in lowered or "read-only" in lowered or read_only_fs(path.parent):
        where = "it is on a read-only file system" if read_only_fs(path.parent) else "it is read-only"
        return StoreError(
            f"{what} in {path}: {where} ({text})",
            hint="pass --db (or set HIL_DB) with a writable store; `hil history --db` and `hil show --db` "
            "can still read this one",
        )
    if "unable to open" in lowered or "permission" in lowered or not writable(path):
        return StoreError(
            f"{what} in {path}: hil may not write the store or its folder ({text})",
            hint=f"make {path} and {path.parent} writable for this user (WAL mode creates {path.name}-wal "
            f"and {path.name}-shm beside it), or pass --db with another path",
        )
    if "locked" in lowered or "busy" in lowered:
        return StoreError(
            f"{what} in {path}: another process holds the store ({text})",
            hint="wait for the other hil to finish, or pass --db with another store",
        )
    if "disk i/o" in lowered:
        return StoreError(
            f"{what} in {path}: the disk reported an I/O error ({text})",
            hint="check the disk (dmesg, free space), or pass --db with a store on another disk",
        )
    return StoreError(
        f"{what} in {path}: {text}",
        hint="check the file with `sqlite3 PATH 'PRAGMA integrity_check'`; if it is sound, this is a bug in "
        "hil: report it with the message above",
    )
