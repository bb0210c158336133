"""Per-frame samples packed one row per result: each column of the frames is one compressed BLOB.

A nightly rack of 50 boards writes ~100 k results a year with hundreds of frames each; one SQLite row per
frame (the v1/v2 `samples` table) grows to hundreds of millions of rows. A `sample_packs` row holds one
result's frames as arrays instead: times in ms and s, frame numbers, warm-up flags, classes with a sentinel
for "none". Since the compression migration each column is stored by hil.store.codec: fixed point at the
harness's own resolution (0.1 µs for stage times, 1 µs for clock times) where that is exact, else the raw
array, zlib-compressed either way; every value reads back exactly. Schema v3 stores (before it) held the
raw little-endian arrays: `migrate_rows` still writes those, `recompress` turns them into the new form.
Only the standard library is used, so reading a pack costs no numpy import.
"""

from __future__ import annotations

import math
import sqlite3
import sys
from array import array
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hil.store.codec import decode, encode

if TYPE_CHECKING:  # built only by unpack: the baseline queries read packs without pydantic
    from hil.records import FrameSample

STAGES = ("decode", "preprocess", "infer", "postprocess", "total")
# Optional per-frame times (seconds on the harness's clock), packed where a FrameSample or an old
# `samples` table has them: float64 with NaN for "none", the column NULL when no frame has one.
OPTIONAL = ("start_s", "end_s", "due_s")
_NONE = -(2**63)  # "no class" in the predicted/label arrays

PACKS_DDL = """
CREATE TABLE sample_packs (
    result_id INTEGER PRIMARY KEY REFERENCES results(id) ON DELETE CASCADE,
    n INTEGER NOT NULL CHECK (n >= 0),
    total BLOB NOT NULL,
    warmup BLOB NOT NULL,
    frame BLOB NOT NULL,
    decode BLOB NOT NULL,
    preprocess BLOB NOT NULL,
    infer BLOB NOT NULL,
    postprocess BLOB NOT NULL,
    predicted BLOB NOT NULL,
    label BLOB NOT NULL,
    start_s BLOB,
    end_s BLOB,
    due_s BLOB
)
"""
COLUMNS = (
    "n", "total", "warmup", "frame", "decode", "preprocess", "infer", "postprocess", "predicted", "label",
    *OPTIONAL,
)  # fmt: skip


def _bytes(values: array[Any]) -> bytes:
    if sys.byteorder != "little":
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def _array(typecode: str, blob: bytes) -> array[Any]:
    values = array(typecode)
    values.frombytes(blob)
    if sys.byteorder != "little":
        values.byteswap()
    return values


def pack(result_id: int, samples: Sequence[FrameSample]) -> dict[str, Any]:
    """The `sample_packs` row of one result's frames, in the order given."""
    columns: dict[str, list[Any]] = {
        "frame": [s.index for s in samples],
        "warmup": [s.warmup for s in samples],
        **{stage: [getattr(s, f"{stage}_ms") for s in samples] for stage in STAGES},
        "predicted": [s.predicted for s in samples],
        "label": [s.label for s in samples],
        **{name: [getattr(s, name, None) for s in samples] for name in OPTIONAL},
    }
    return pack_columns(result_id, columns)


def _check(result_id: int, columns: dict[str, list[Any]]) -> None:
    """Raises sqlite3.IntegrityError, as the per-frame table's constraints did, for a frame number given
    twice or negative, or a negative time: the store's writer turns it into a StoreError and rolls back."""
    seen: set[int] = set()
    for index, total in zip(columns["frame"], columns["total"], strict=True):
        if index < 0 or index in seen:
            raise sqlite3.IntegrityError(f"frame {index} is negative or given twice (result {result_id})")
        if total < 0:
            raise sqlite3.IntegrityError(f"frame {index} has a negative total time {total}")
        seen.add(index)


STAGE_DECIMALS = (3, 4)  # ms: the harness rounds stage times to 4 decimals (0.1 µs)
CLOCK_DECIMALS = (6,)  # s: the harness rounds its clock times to 6 decimals (1 µs)


def pack_columns(result_id: int, columns: dict[str, list[Any]]) -> dict[str, Any]:
    """The `sample_packs` row of one result from per-frame columns (names as in COLUMNS), compressed."""
    _check(result_id, columns)
    frames = columns["frame"]
    row: dict[str, Any] = {"result_id": result_id, "n": len(frames)}
    for stage in STAGES:
        row[stage] = encode("d", columns[stage], STAGE_DECIMALS)
    row["warmup"] = encode("B", (int(bool(w)) for w in columns["warmup"]), (0,))
    row["frame"] = encode("i", frames, (0,), delta=True)
    for name in ("predicted", "label"):
        row[name] = encode("q", (_NONE if v is None else v for v in columns[name]), (0,))
    for name in OPTIONAL:
        values = columns.get(name) or [None] * len(frames)
        known = any(v is not None for v in values)
        encoded = encode("d", (math.nan if v is None else v for v in values), CLOCK_DECIMALS, delta=True)
        row[name] = encoded if known else None
    return row


def raw_pack_columns(result_id: int, columns: dict[str, list[Any]]) -> dict[str, Any]:
    """The schema-v3 form of a `sample_packs` row (raw little-endian arrays): only the v3 migration writes
    it, so that the compression migration after it finds every store in one form."""
    _check(result_id, columns)
    frames = columns["frame"]
    row: dict[str, Any] = {"result_id": result_id, "n": len(frames)}
    for stage in STAGES:
        row[stage] = _bytes(array("d", columns[stage]))
    row["warmup"] = bytes(int(bool(w)) for w in columns["warmup"])
    row["frame"] = _bytes(array("i", frames))
    for name in ("predicted", "label"):
        row[name] = _bytes(array("q", (_NONE if v is None else v for v in columns[name])))
    for name in OPTIONAL:
        values = columns.get(name) or [None] * len(frames)
        known = any(v is not None for v in values)
        row[name] = _bytes(array("d", (math.nan if v is None else v for v in values))) if known else None
    return row


def raw_unpack_columns(row: dict[str, Any] | sqlite3.Row) -> dict[str, list[Any]]:
    """Per-frame columns of a schema-v3 (raw) `sample_packs` row."""
    n = row["n"]
    columns: dict[str, list[Any]] = {stage: list(_array("d", row[stage])) for stage in STAGES}
    columns["frame"] = list(_array("i", row["frame"]))
    columns["warmup"] = [bool(w) for w in bytes(row["warmup"])]
    for name in ("predicted", "label"):
        columns[name] = [None if v == _NONE else v for v in _array("q", row[name])]
    for name in OPTIONAL:
        blob = row[name] if name in row.keys() else None  # noqa: SIM118 (`in` on a Row tests values)
        values = _array("d", blob) if blob is not None else [math.nan] * n
        columns[name] = [None if math.isnan(v) else v for v in values]
    return columns


def unpack_columns(row: dict[str, Any] | sqlite3.Row) -> dict[str, list[Any]]:
    """Per-frame columns of one `sample_packs` row (None for a missing class or optional time)."""
    n = row["n"]
    columns: dict[str, list[Any]] = {stage: list(decode("d", row[stage])) for stage in STAGES}
    columns["frame"] = list(decode("i", row["frame"]))
    columns["warmup"] = [bool(w) for w in decode("B", row["warmup"])]
    for name in ("predicted", "label"):
        columns[name] = [None if v == _NONE else v for v in decode("q", row[name])]
    for name in OPTIONAL:
        blob = row[name] if name in row.keys() else None  # noqa: SIM118 (`in` on a Row tests values)
        values = decode("d", blob) if blob is not None else [math.nan] * n
        columns[name] = [None if math.isnan(v) else v for v in values]
    return columns


def unpack(row: dict[str, Any] | sqlite3.Row) -> list[FrameSample]:
    """The frames of one `sample_packs` row (optional times only where FrameSample has such fields)."""
    from hil.records import FrameSample

    c = unpack_columns(row)
    optional = [name for name in OPTIONAL if name in FrameSample.model_fields]
    return [
        FrameSample(
            index=c["frame"][i],
            warmup=c["warmup"][i],
            **{f"{stage}_ms": c[stage][i] for stage in STAGES},
            predicted=c["predicted"][i],
            label=c["label"][i],
            **{name: c[name][i] for name in optional},
        )
        for i in range(row["n"])
    ]


def measured_totals(total: bytes, warmup: bytes) -> list[float]:
    """The times (one stage's BLOB, e.g. the end-to-end `total`) of the frames after warm-up."""
    times = decode("d", total)
    flags = decode("B", warmup)
    return [t for t, w in zip(times, flags, strict=True) if not w]


def hits(predicted: bytes, label: bytes, warmup: bytes) -> tuple[int, int]:
    """(correct, labelled) over the frames after warm-up that have a label and a prediction."""
    pred, lab, flags = decode("q", predicted), decode("q", label), decode("B", warmup)
    correct = total = 0
    for p, t, w in zip(pred, lab, flags, strict=True):
        if w or t == _NONE or p == _NONE:
            continue
        total += 1
        correct += p == t
    return correct, total


def migrate_rows(conn: sqlite3.Connection | Any) -> int:
    """Move every row of the old `samples` table into `sample_packs`, every column it has (the optional
    times included where a later migration added them); return how many results moved."""
    present = {row[1] for row in conn.execute("PRAGMA table_info(samples)")}
    optional = [name for name in OPTIONAL if name in present]
    names = ["frame", "warmup", *(f"{stage}_ms" for stage in STAGES), "predicted", "label", *optional]
    keys = ["frame", "warmup", *STAGES, "predicted", "label", *optional]
    insert = (
        f"INSERT INTO sample_packs ({', '.join(('result_id', *COLUMNS))}) "
        f"VALUES ({', '.join('?' * (len(COLUMNS) + 1))})"
    )
    moved = 0
    current: int | None = None
    columns: dict[str, list[Any]] = {}

    def flush() -> None:
        nonlocal moved
        if current is not None:
            row = raw_pack_columns(current, columns)
            conn.execute(insert, [row["result_id"], *(row[c] for c in COLUMNS)])
            moved += 1

    cursor = conn.execute(f"SELECT result_id, {', '.join(names)} FROM samples ORDER BY result_id, frame")
    for rid, *values in cursor.fetchall():
        if rid != current:
            flush()
            current, columns = rid, {key: [] for key in keys}
        for key, value in zip(keys, values, strict=True):
            columns[key].append(value)
    flush()
    return moved


def recompress(conn: sqlite3.Connection | Any) -> int:
    """Rewrite every schema-v3 (raw) `sample_packs` row in the compressed form; return how many."""
    names = ("result_id", *COLUMNS)
    update = f"UPDATE sample_packs SET {', '.join(f'{c} = ?' for c in COLUMNS)} WHERE result_id = ?"
    ids = [r[0] for r in conn.execute("SELECT result_id FROM sample_packs ORDER BY result_id").fetchall()]
    for rid in ids:
        values = conn.execute(f"SELECT {', '.join(names)} FROM sample_packs WHERE result_id = ?", [rid])
        old = dict(zip(names, values.fetchone(), strict=True))
        new = pack_columns(rid, raw_unpack_columns(old))
        conn.execute(update, [*(new[c] for c in COLUMNS), rid])
    return len(ids)
