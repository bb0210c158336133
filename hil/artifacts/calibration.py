"""Calibration sets for INT8 post-training quantization, sampled from recorded clips.

Static INT8 fixes each activation's range from the frames it was calibrated on; a set drawn from one
bright, attentive minute clips the dark tunnel frames and the phone-in-hand frames at run time. So the
sampler spreads its budget evenly over clips first, then over (state, lighting) cells within a clip, and
takes frames evenly spaced in time within a cell (neighbouring frames at 30 fps are near duplicates).
Lighting is the frame's mean brightness, binned into terciles over all candidate frames.

On disk a set is a folder: `calibration.npz` (one array of raw decoded frames per clip, gray where the
clip is gray, so the same set serves any model: each frame goes through the model card's preprocessing
when it is used) and `manifest.json` (which frame of which clip, its state and lighting, clip hashes).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hil.artifacts.frames import read_frames
from hil.artifacts.labels import read_labels
from hil.errors import ArtifactError, ConfigError

FORMAT = "hil-calibration/1"
DATA = "calibration.npz"
MANIFEST = "manifest.json"
LIGHTING = ("dark", "mid", "bright")


@dataclass
class CalibrationSet:
    frames: list[np.ndarray]  # raw decoded frames, in manifest entry order
    manifest: dict[str, Any]

    @property
    def digest(self) -> str:
        """A short content hash, recorded in the cards of models quantized with this set."""
        h = hashlib.sha256()
        for f in self.frames:
            h.update(np.ascontiguousarray(f).tobytes())
        return h.hexdigest()[:16]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def expand_clips(paths: list[Path]) -> list[Path]:
    """Files as given; folders become the videos (.mp4, .avi, .mkv) inside them, sorted."""
    clips: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.suffix.lower() in (".mp4", ".avi", ".mkv"))
            if not found:
                raise ConfigError(f"{p} holds no video clips (.mp4, .avi, .mkv)")
            clips.extend(found)
        elif p.exists():
            clips.append(p)
        else:
            raise ConfigError(f"clip {p} does not exist")
    if not clips:
        raise ConfigError("no clips given", hint="pass --clips FILE or --clips FOLDER")
    return clips


def allocate(total: int, sizes: list[int]) -> list[int]:
    """Split `total` as evenly as possible over bins holding `sizes` items (water filling)."""
    alloc = [0] * len(sizes)
    remaining = min(total, sum(sizes))
    while remaining > 0:
        open_bins = [i for i, s in enumerate(sizes) if alloc[i] < s]
        share = max(1, remaining // len(open_bins))
        for i in open_bins:
            take = min(share, sizes[i] - alloc[i], remaining)
            alloc[i] += take
            remaining -= take
            if remaining == 0:
                break
    return alloc


def _spread(members: list[int], k: int) -> list[int]:
    """k members evenly spaced in time."""
    if k >= len(members):
        return list(members)
    picks = np.linspace(0, len(members) - 1, k).round().astype(int)
    return [members[i] for i in picks]


def sample_calibration(clips: list[Path], frames: int) -> CalibrationSet:
    """A set of about `frames` frames, stratified over clips, states and lighting (see module docstring)."""
    if frames < 1:
        raise ConfigError(f"--frames must be at least 1, not {frames}")
    decoded = [read_frames(c) for c in clips]
    states = []
    for clip, fr in zip(clips, decoded, strict=True):
        labels = read_labels(clip, frames=len(fr))
        states.append(labels if labels is not None else ["unlabelled"] * len(fr))
    brightness = [np.array([float(f.mean()) for f in fr]) for fr in decoded]
    edges = np.quantile(np.concatenate(brightness), [1 / 3, 2 / 3])
    light = [[LIGHTING[int(np.searchsorted(edges, b, side="right"))] for b in bs] for bs in brightness]

    entries: list[dict[str, Any]] = []
    chosen_frames: list[list[int]] = []
    for ci, share in enumerate(allocate(frames, [len(fr) for fr in decoded])):
        cells: dict[tuple[str, str], list[int]] = {}
        for i in range(len(decoded[ci])):
            cells.setdefault((states[ci][i], light[ci][i]), []).append(i)
        keys = sorted(cells)
        picked: list[int] = []
        for key, k in zip(keys, allocate(share, [len(cells[key]) for key in keys]), strict=True):
            picked.extend(_spread(cells[key], k))
        picked.sort()
        chosen_frames.append(picked)
        entries.extend(
            {"clip": ci, "frame": i, "state": states[ci][i], "lighting": light[ci][i]} for i in picked
        )

    manifest: dict[str, Any] = {
        "format": FORMAT,
        "requested": frames,
        "frames": len(entries),
        "clips": [
            {"name": c.name, "sha256": sha256_file(c), "frames": len(fr), "sampled": len(p)}
            for c, fr, p in zip(clips, decoded, chosen_frames, strict=True)
        ],
        "lighting_edges": [round(float(e), 2) for e in edges],
        "strata": {
            "state": dict(sorted(Counter(e["state"] for e in entries).items())),
            "lighting": dict(sorted(Counter(e["lighting"] for e in entries).items())),
        },
        "entries": entries,
    }
    sampled = [decoded[e["clip"]][e["frame"]] for e in entries]
    return CalibrationSet(sampled, manifest)


def write_calibration(cal: CalibrationSet, out: Path) -> Path:
    """Write the set into folder `out`; returns the folder."""
    out.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for ci in range(len(cal.manifest["clips"])):
        rows = [f for f, e in zip(cal.frames, cal.manifest["entries"], strict=True) if e["clip"] == ci]
        if rows:
            arrays[f"clip{ci}"] = np.stack(rows)
    np.savez_compressed(out / DATA, **arrays)  # type: ignore[arg-type]
    manifest = dict(cal.manifest, digest=cal.digest)
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return out


def load_calibration(path: Path) -> CalibrationSet:
    """Read a set from its folder (or its calibration.npz), with clear errors for anything else."""
    folder = path.parent if path.suffix == ".npz" else path
    data_file, manifest_file = folder / DATA, folder / MANIFEST
    if not data_file.exists() or not manifest_file.exists():
        raise ConfigError(
            f"{path} is not a calibration set: it needs {DATA} and {MANIFEST}",
            hint="make one with: hil calibrate --clips CLIPS --frames N --out DIR",
        )
    try:
        manifest = json.loads(manifest_file.read_text())
        with np.load(data_file) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"calibration set {folder} is unreadable: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise ArtifactError(f"{manifest_file}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    cursor: Counter[int] = Counter()
    frames: list[np.ndarray] = []
    for e in manifest["entries"]:
        ci = int(e["clip"])
        block = arrays.get(f"clip{ci}")
        if block is None or cursor[ci] >= len(block):
            raise ArtifactError(f"calibration set {folder}: {DATA} does not match {MANIFEST}")
        frames.append(block[cursor[ci]])
        cursor[ci] += 1
    return CalibrationSet(frames, manifest)
