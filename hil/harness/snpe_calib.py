#!/usr/bin/env python3
"""Calibration input lists for snpe-dlc-quantize, made ON the converting machine (standard library + numpy).

snpe-dlc-quantize insists on an input list of raw float32 tensors in the DLC's layout (NHWC for images).

    python3 snpe_calib.py --clip C --input-json SPEC --out-dir D [--count 16]
        real calibration data: COUNT frames evenly spaced over the clip, preprocessed exactly as the replay
        preprocesses them (board_harness.preprocess), for quantizing a float model on the board.
    python3 snpe_calib.py --onnx M.int8.onnx --out-dir D [--count 4]
        for a QDQ model whose encodings were calibrated on the host (hil quantize) and are kept with
        `snpe-dlc-quantize --override_params`: the list only has to be valid, so it holds COUNT constant
        tensors (levels 0..1) of the model's input sizes, read from the ONNX file itself. They are not
        calibration data and change no encoding the QDQ model carries.

Writes D/calib_<i>.raw and D/input_list.txt (absolute paths; `name:=path` per input when there are several).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # board_harness sits beside this file
import board_harness


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) of one protobuf message: ints for varints, bytes for length-delimited."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            size, pos = _varint(data, pos)
            out.append((number, data[pos : pos + size]))
            pos += size
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
    return out


def _sub(message: bytes, number: int) -> list[bytes]:
    return [v for n, v in _fields(message) if n == number and isinstance(v, bytes)]


def onnx_inputs(path: str) -> dict[str, list[int]]:
    """Graph inputs (not initializers) of an ONNX file -> dims, an unknown dim as 1 (ModelProto.graph = 7,
    GraphProto.input = 11 / initializer = 5, ValueInfoProto.name = 1 / type = 2, TypeProto.tensor_type = 1,
    shape = 2, TensorShapeProto.dim = 1, dim_value = 1, TensorProto.name = 8)."""
    with open(path, "rb") as fh:
        graph = _sub(fh.read(), 7)[0]
    initializers = {init.decode() for t in _sub(graph, 5) for init in _sub(t, 8)}
    found: dict[str, list[int]] = {}
    for value in _sub(graph, 11):
        name = _sub(value, 1)[0].decode()
        if name in initializers:
            continue
        dims: list[int] = []
        for tensor in (t for ty in _sub(value, 2) for t in _sub(ty, 1)):
            for shape in _sub(tensor, 2):
                for dim in _sub(shape, 1):
                    sizes = [v for n, v in _fields(dim) if n == 1 and isinstance(v, int)]
                    dims.append(sizes[0] if sizes and sizes[0] > 0 else 1)
        found[name] = dims
    return found


def to_snpe_dims(dims: list[int]) -> list[int]:
    return [dims[0], dims[2], dims[3], dims[1]] if len(dims) == 4 else dims


def placeholders(
    onnx_path: str, count: int, fixed: dict[str, list[int]] | None = None
) -> list[dict[str, np.ndarray]]:
    inputs = {**onnx_inputs(onnx_path), **(fixed or {})}  # --input_dim fixes dynamic inputs, as for the DLC
    levels = np.linspace(0.0, 1.0, max(count, 1), dtype=np.float32)
    return [{n: np.full(to_snpe_dims(d), level, np.float32) for n, d in inputs.items()} for level in levels]


def from_clip(clip: str, spec: dict[str, object], count: int) -> list[dict[str, np.ndarray]]:
    frames = [frame for frame, _ in board_harness.frames_from_clip(clip)]
    if not frames:
        raise SystemExit(f"snpe_calib: {clip} has no frames")
    picks = np.linspace(0, len(frames) - 1, min(count, len(frames))).round().astype(int)
    name = str(spec.get("name") or "")
    tensors = []
    for i in picks:
        tensor = board_harness.preprocess(frames[i], spec)
        if tensor.ndim == 4 and spec.get("layout", "NCHW") == "NCHW":
            tensor = tensor.transpose(0, 2, 3, 1)
        tensors.append({name: np.ascontiguousarray(tensor, dtype=np.float32)})
    return tensors


def write_list(batches: list[dict[str, np.ndarray]], out_dir: str) -> str:
    os.makedirs(out_dir, exist_ok=True)
    lines = []
    for i, batch in enumerate(batches):
        parts = []
        for j, (name, tensor) in enumerate(batch.items()):
            path = os.path.abspath(os.path.join(out_dir, f"calib_{i:04d}_{j}.raw"))
            tensor.tofile(path)
            parts.append(f"{name}:={path}" if len(batch) > 1 else path)
        lines.append(" ".join(parts))
    listing = os.path.join(out_dir, "input_list.txt")
    with open(listing, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return listing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--clip", help="video whose frames calibrate a float model")
    source.add_argument("--onnx", help="QDQ model: placeholder tensors of its input sizes")
    parser.add_argument("--input-json", default="", help="input spec from the model card (with --clip)")
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--count", type=int, default=0, help="tensors to write (16 from a clip, else 4)")
    parser.add_argument(
        "--input_dim", nargs=2, action="append", default=[], metavar=("NAME", "DIMS"),
        help="with --onnx: a dynamic input's dims (ONNX order, comma-separated), as snpe-onnx-to-dlc takes",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.clip:
        if not args.input_json:
            parser.error("--clip needs --input-json (the model card's input spec)")
        batches = from_clip(args.clip, json.loads(args.input_json), args.count or 16)
    else:
        fixed = {name: [int(d) for d in dims.split(",")] for name, dims in args.input_dim}
        batches = placeholders(args.onnx, args.count or 4, fixed)
    print(write_list(batches, args.out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
