"""Per-frame samples packed one row per result: each column of the frames is one little-endian BLOB.

A nightly rack of 50 boards writes ~100 k results a year with hundreds of frames each; one SQLite row per
frame (the v1/v2 `samples` table) grows to hundreds of millions of rows. A `sample_packs` row holds one
result's frames as arrays instead: float64 times (exactly the REALs the old rows held, so the migration
loses nothing), int32 frame numbers, one byte per warm-up flag, int64 classes with a sentinel for "none".
Only the standard library's `array` is used, so reading a pack costs no numpy import.
"""

from __future__ import annotations

import sqlite3
import sys
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

from hil.records import FrameSample

STAGES = ("decode", "preprocess", "infer", "postprocess", "total")
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
    label BLOB NOT NULL
)
"""
COLUMNS = (
    "n", "total", "warmup", "frame", "decode", "preprocess", "infer", "postprocess", "predicted", "label",
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
    """The `sample_packs` row of one result's frames, in the order given.

    Raises sqlite3.IntegrityError, as the per-frame table's constraints did, for a frame number given twice
    or negative, or a negative time: the store's writer turns it into a StoreError and rolls back.
    """
    seen: set[int] = set()
    for s in samples:
        if s.index < 0 or s.index in seen:
            raise sqlite3.IntegrityError(f"frame {s.index} is negative or given twice (result {result_id})")
        if s.total_ms < 0:
            raise sqlite3.IntegrityError(f"frame {s.index} has a negative total time {s.total_ms}")
        seen.add(s.index)
    row: dict[str, Any] = {"result_id": result_id, "n": len(samples)}
    for stage in STAGES:
        row[stage] = _bytes(array("d", (getattr(s, f"{stage}_ms") for s in samples)))
    row["warmup"] = bytes(int(s.warmup) for s in samples)
    row["frame"] = _bytes(array("i", (s.index for s in samples)))
    for name in ("predicted", "label"):
        values = (getattr(s, name) for s in samples)
        row[name] = _bytes(array("q", (_NONE if v is None else v for v in values)))
    return row


def unpack(row: dict[str, Any] | sqlite3.Row) -> list[FrameSample]:
    """The frames of one `sample_packs` row."""
    times = {stage: _array("d", row[stage]) for stage in STAGES}
    frames = _array("i", row["frame"])
    predicted = _array("q", row["predicted"])
    label = _array("q", row["label"])
    warmup = bytes(row["warmup"])
    return [
        FrameSample(
            index=frames[i],
            warmup=bool(warmup[i]),
            decode_ms=times["decode"][i],
            preprocess_ms=times["preprocess"][i],
            infer_ms=times["infer"][i],
            postprocess_ms=times["postprocess"][i],
            total_ms=times["total"][i],
            predicted=None if predicted[i] == _NONE else predicted[i],
            label=None if label[i] == _NONE else label[i],
        )
        for i in range(row["n"])
    ]


def measured_totals(total: bytes, warmup: bytes) -> list[float]:
    """The times (one stage's BLOB, e.g. the end-to-end `total`) of the frames after warm-up."""
    times = _array("d", total)
    flags = bytes(warmup)
    return [t for t, w in zip(times, flags, strict=True) if not w]


def hits(predicted: bytes, label: bytes, warmup: bytes) -> tuple[int, int]:
    """(correct, labelled) over the frames after warm-up that have a label and a prediction."""
    pred, lab, flags = _array("q", predicted), _array("q", label), bytes(warmup)
    correct = total = 0
    for p, t, w in zip(pred, lab, flags, strict=True):
        if w or t == _NONE or p == _NONE:
            continue
        total += 1
        correct += p == t
    return correct, total


def migrate_rows(conn: sqlite3.Connection | Any) -> int:
    """Move every row of the old `samples` table into `sample_packs`; return how many results moved."""
    moved = 0
    current: int | None = None
    frames: list[FrameSample] = []

    def flush() -> Iterable[dict[str, Any]]:
        if current is not None:
            yield pack(current, frames)

    cursor = conn.execute(
        "SELECT result_id, frame, warmup, decode_ms, preprocess_ms, infer_ms, postprocess_ms, total_ms, "
        "predicted, label FROM samples ORDER BY result_id, frame"
    )
    insert = (
        f"INSERT INTO sample_packs ({', '.join(('result_id', *COLUMNS))}) "
        f"VALUES ({', '.join('?' * (len(COLUMNS) + 1))})"
    )
    for rid, frame, warm, dec, pre, inf, post, total, pred, lab in cursor.fetchall():
        if rid != current:
            for row in flush():
                conn.execute(insert, [row["result_id"], *(row[c] for c in COLUMNS)])
                moved += 1
            current, frames = rid, []
        frames.append(
            FrameSample(
                index=frame, warmup=bool(warm), decode_ms=dec, preprocess_ms=pre, infer_ms=inf,
                postprocess_ms=post, total_ms=total, predicted=pred, label=lab,
            )
        )  # fmt: skip
    for row in flush():
        conn.execute(insert, [row["result_id"], *(row[c] for c in COLUMNS)])
        moved += 1
    return moved
