"""Per-frame ground truth of a clip.

The simple sidecar is `<clip stem>.labels.csv` beside the video: a header `frame,state` and one row per frame,
`state` being a class name of the model card. (ASAM OpenLABEL JSON is read too; see read_labels.)
"""

from __future__ import annotations

import csv
from pathlib import Path

from hil.errors import ArtifactError


def labels_path(clip: Path) -> Path:
    return clip.with_name(clip.stem + ".labels.csv")


def read_labels(clip: Path) -> list[str] | None:
    """Class name per frame, or None when the clip has no labels."""
    path = labels_path(clip)
    if not path.exists():
        return None
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"frame", "state"} <= set(reader.fieldnames):
            raise ArtifactError(f"{path}: expected a header 'frame,state'")
        rows = list(reader)
    states: list[str] = []
    for line, row in enumerate(rows, start=2):
        if int(row["frame"]) != len(states):
            raise ArtifactError(f"{path}:{line}: frame {row['frame']} out of order, expected {len(states)}")
        states.append(row["state"])
    return states


def write_labels(clip: Path, states: list[str]) -> Path:
    path = labels_path(clip)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["frame", "state"])
        writer.writerows([i, s] for i, s in enumerate(states))
    return path
