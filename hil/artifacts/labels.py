"""Per-frame ground truth of a clip, and the episodes and events it contains.

The simple sidecar is `<clip stem>.labels.csv` beside the video: a header `frame,state` and one row per frame,
`state` being a class name of the model card. ASAM OpenLABEL JSON (`<clip stem>.openlabel.json`, the DMD
layout, see openlabel.py) is read when there is no CSV.

Labels say what each frame shows. A blink is `eyes_closed` for the frames the lids are shut; whether a
closure is drowsiness is decided at event level: an `eyes_closed` episode of 1 s or more is a drowsiness
event, a `looking_away` episode of 2 s or more a distraction event (DEFAULT_RULES). Shorter episodes
(blinks, mirror glances) are correct frames but no events. Episodes and events live in hil.measure.events
(one implementation for host evaluation and board runs); they are re-exported here.
"""

from __future__ import annotations

import csv
from pathlib import Path

from hil.artifacts.openlabel import openlabel_path, read_openlabel
from hil.errors import ArtifactError
from hil.measure.events import DEFAULT_RULES, Episode, Event, EventRule, episodes, events


def labels_path(clip: Path) -> Path:
    return clip.with_name(clip.stem + ".labels.csv")


def read_labels(clip: Path, frames: int | None = None) -> list[str] | None:
    """Class name per frame, or None when the clip has no labels.

    The CSV sidecar wins over OpenLABEL. With `frames` (the clip's decoded frame count), a label file
    of another length is an ArtifactError rather than a silently shifted score.
    """
    csv_file = labels_path(clip)
    json_file = openlabel_path(clip)
    if csv_file.exists():
        states, source = _read_csv(csv_file), csv_file
    elif json_file.exists():
        states, source = read_openlabel(json_file), json_file
    else:
        return None
    if frames is not None:
        check_labels(clip, states, frames, source)
    return states


def check_labels(clip: Path, states: list[str], frames: int, source: Path | None = None) -> None:
    """Raise ArtifactError unless there is exactly one label per decoded frame."""
    if len(states) != frames:
        where = source or labels_path(clip)
        raise ArtifactError(
            f"{where} labels {len(states)} frames but {clip} has {frames}",
            hint="the labels belong to another clip or the video was re-encoded; regenerate them",
        )


def check_classes(states: list[str], classes: list[str], source: str) -> None:
    """Raise ArtifactError when a label names a class the model does not know."""
    unknown = sorted(set(states) - set(classes))
    if unknown:
        raise ArtifactError(
            f"{source}: label(s) {', '.join(unknown)} are not classes of the model ({', '.join(classes)})"
        )


def _read_csv(path: Path) -> list[str]:
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"frame", "state"} <= set(reader.fieldnames):
            raise ArtifactError(f"{path}: expected a header 'frame,state'")
        rows = list(reader)
    states: list[str] = []
    for line, row in enumerate(rows, start=2):
        try:
            index = int(row["frame"])
        except (TypeError, ValueError) as exc:
            raise ArtifactError(f"{path}:{line}: frame {row['frame']!r} is not a number") from exc
        if index != len(states):
            raise ArtifactError(f"{path}:{line}: frame {row['frame']} out of order, expected {len(states)}")
        if not row["state"]:
            raise ArtifactError(f"{path}:{line}: empty state")
        states.append(row["state"])
    return states


def write_labels(clip: Path, states: list[str]) -> Path:
    path = labels_path(clip)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["frame", "state"])
        writer.writerows([i, s] for i, s in enumerate(states))
    return path


__all__ = ["DEFAULT_RULES", "Episode", "Event", "EventRule", "episodes", "events"]
