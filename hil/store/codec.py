"""Compressed columns of the store: per-frame sample arrays and job logs, zlib from the standard library.

A sample column is one BLOB that starts with a format byte:

- `F` (fixed point): the values are integers at a decimal resolution that represents every one of them
  exactly (hil's harness reports stage times to 0.1 µs and clock times to 1 µs, so a real result always
  packs this way), optionally as differences from the previous value (frame numbers and clock times grow),
  as little-endian int64 with the bytes of each significance stored together (byte shuffle: the high bytes
  are nearly all zero), then zlib. Byte 2 is the number of decimals, byte 3 is 1 for differences.
- `Z`: the raw little-endian array (float64 `d`, int32 `i`, int64 `q` or bytes `B`: byte 2), zlib-compressed,
  for values no decimal resolution represents exactly (NaN for "none", or arbitrary floats).

Decoding never needs numpy (the read-only history commands stay light); both forms round-trip exactly.
A log's text is UTF-8 then zlib at level 9.
"""

from __future__ import annotations

import math
import sys
import zlib
from array import array
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import Any

LEVEL = 9
_FIXED, _RAW = ord("F"), ord("Z")
_MAX = 2**62  # fixed-point integers stay well inside int64 (differences included)


def _le(values: array[Any]) -> bytes:
    if sys.byteorder != "little" and values.itemsize > 1:
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def _from_le(typecode: str, blob: bytes) -> array[Any]:
    values = array(typecode)
    values.frombytes(blob)
    if sys.byteorder != "little" and values.itemsize > 1:
        values.byteswap()
    return values


def _shuffle(data: bytes, width: int) -> bytes:
    return b"".join(data[i::width] for i in range(width))


def _unshuffle(data: bytes, width: int) -> bytes:
    n = len(data) // width
    out = bytearray(len(data))
    for i in range(width):
        out[i::width] = data[i * n : (i + 1) * n]
    return bytes(out)


def _fixed(values: Sequence[float], decimals: int, delta: bool) -> bytes | None:
    """The `F` form at `decimals`, or None where it would not give back every value exactly."""
    scale = 10**decimals
    ints: list[int] = []
    for v in values:
        if not math.isfinite(v):
            return None
        i = round(v * scale)
        if abs(i) >= _MAX or (i / scale if decimals else float(i)) != v:
            return None
        ints.append(i)
    if delta:
        ints = [b - a for a, b in zip([0, *ints], ints, strict=False)]
    body = zlib.compress(_shuffle(_le(array("q", ints)), 8), LEVEL)
    return bytes((_FIXED, decimals, int(delta))) + body


def encode(typecode: str, values: Iterable[Any], decimals: Sequence[int] = (), delta: bool = False) -> bytes:
    """One column as a BLOB: fixed point at the first of `decimals` that is exact, else the raw array."""
    data = array(typecode, values)
    for d in decimals:
        packed = _fixed(data, d, delta)
        if packed is not None:
            return packed
    return bytes((_RAW, ord(typecode))) + zlib.compress(_le(data), LEVEL)


def decode(typecode: str, blob: bytes) -> array[Any]:
    """The values of one column BLOB as an array of `typecode` (d, i, q or B)."""
    blob = bytes(blob)
    if not blob:
        raise ValueError("empty sample column")
    if blob[0] == _RAW:
        values = _from_le(chr(blob[1]), zlib.decompress(blob[2:]))
        return values if values.typecode == typecode else array(typecode, values)
    if blob[0] != _FIXED:
        raise ValueError(f"unknown sample column format {blob[0]!r} (a store written by a newer hil?)")
    decimals, delta = blob[1], blob[2]
    ints = _from_le("q", _unshuffle(zlib.decompress(blob[3:]), 8))
    seq: Iterable[int] = accumulate(ints) if delta else ints
    if typecode in "dfe":
        scale = 10**decimals
        return array(typecode, (i / scale for i in seq) if decimals else (float(i) for i in seq))
    return array(typecode, seq)


def encode_text(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), LEVEL)


def decode_text(blob: bytes) -> str:
    return zlib.decompress(blob).decode("utf-8")
