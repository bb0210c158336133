"""Per-frame ground truth of a clip, and the episodes and events it contains.

The simple sidecar is `<clip stem>.labels.csv` beside the video: a header `frame,state` and one row per frame,
`state` being a class name of the model card. ASAM OpenLABEL JSON (`<clip stem>.openlabel.json`, the DMD
layout, see openlabel.py) is read when there is no CSV.

Labels say what each frame shows. A blink is `eyes_closed` for the frames the lids are shut; whether a
closure is drowsiness is decided at event level: an `eyes_closed` episode of 1 s or more is a drowsiness
event, a `looking_away` episode of 2 s or more a distraction event (DEFAULT_RULES). Shorter episodes
(blinks, mirror glances) are correct frames but no events. Episodes and events live in hil.measure.events
(one implementation for host evaluation and board runs); they are re-exported here.

Objects for detection, landmark and regression models (`read_objects`) come from `<clip stem>.objects.csv`
(OBJECT_COLUMNS, one row per box, point or value) or, without it, from the OpenLABEL file's objects.
"""

from __future__ import annotations

import csv
from pathlib import Path

from hil.artifacts.openlabel import LabelledObject, openlabel_path, read_openlabel, read_openlabel_objects
from hil.errors import ArtifactError
from hil.measure.detection import Box
from hil.measure.events import DEFAULT_RULES, Episode, Event, EventRule, episodes, events
from hil.measure.truth import FrameTruth

OBJECT_COLUMNS = ("frame", "object", "class", "kind", "name", "x", "y", "w", "h")


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


def objects_path(clip: Path) -> Path:
    return clip.with_name(clip.stem + ".objects.csv")


def read_objects(clip: Path, frames: int | None = None) -> list[FrameTruth] | None:
    """Boxes, points and values per frame (FrameTruth), or None when the clip has no object labels.

    The CSV sidecar wins over OpenLABEL. With `frames` (the clip's decoded frame count) the labels cover
    exactly that many frames; a row for a frame past the clip is an ArtifactError naming the line.
    """
    csv_file = objects_path(clip)
    if csv_file.exists():
        return _read_objects_csv(csv_file, frames)
    json_file = openlabel_path(clip)
    if json_file.exists():
        return read_openlabel_objects(json_file, frames)
    return None


def write_objects(clip: Path, objects: list[list[LabelledObject]]) -> Path:
    """`<clip stem>.objects.csv` (OBJECT_COLUMNS) from per-frame objects: a bbox row (top-left corner and
    size) and one row per point, one decimal."""
    path = objects_path(clip)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(OBJECT_COLUMNS)
        for i, frame in enumerate(objects):
            for obj in frame:
                if obj.box is not None:
                    x1, y1, x2, y2 = obj.box
                    box = [f"{x1:.1f}", f"{y1:.1f}", f"{x2 - x1:.1f}", f"{y2 - y1:.1f}"]
                    writer.writerow([i, obj.uid, obj.cls, "bbox", "", *box])
                for name, (x, y) in obj.points.items():
                    writer.writerow([i, obj.uid, obj.cls, "point", name, f"{x:.1f}", f"{y:.1f}", "", ""])
    return path


def _number(path: Path, line: int, row: dict[str, str], column: str) -> float:
    try:
        return float(row[column])
    except (TypeError, ValueError) as exc:
        raise ArtifactError(f"{path}:{line}: {column} {row.get(column)!r} is not a number") from exc


def _read_objects_csv(path: Path, frames: int | None) -> list[FrameTruth]:
    """Rows `frame,object,class,kind,name,x,y,w,h`: kind `bbox` (x, y = top-left corner, w, h = size),
    `point` (name, x, y; empty x and y = not visible) or `value` (name, x = the value). Frame pixels."""
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in OBJECT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ArtifactError(
                f"{path}: the header lacks {', '.join(missing)}; expected {','.join(OBJECT_COLUMNS)}"
            )
        rows = list(reader)
    indices: list[int] = []
    for line, row in enumerate(rows, start=2):
        try:
            indices.append(int(row["frame"]))
        except (TypeError, ValueError) as exc:
            raise ArtifactError(f"{path}:{line}: frame {row['frame']!r} is not a number") from exc
    n = frames if frames is not None else (max(indices) + 1 if indices else 0)
    truth = [FrameTruth() for _ in range(n)]
    classes: dict[str, str] = {}
    for line, (index, row) in enumerate(zip(indices, rows, strict=True), start=2):
        if not 0 <= index < n:
            raise ArtifactError(f"{path}:{line}: frame {index} is past the clip's {n} frames (0..{n - 1})")
        uid, cls, kind, name = row["object"], row["class"], row["kind"], row["name"]
        if not uid or not cls:
            raise ArtifactError(f"{path}:{line}: every row needs an object id and its class")
        if classes.setdefault(uid, cls) != cls:
            raise ArtifactError(f"{path}:{line}: object {uid} is class {classes[uid]!r} above, {cls!r} here")
        frame = truth[index]
        frame.objects[uid] = cls
        if kind == "bbox":
            x, y, w, h = (_number(path, line, row, c) for c in ("x", "y", "w", "h"))
            if w < 0 or h < 0:
                raise ArtifactError(f"{path}:{line}: bbox width and height must not be negative")
            frame.boxes.append(Box(x, y, x + w, y + h, cls))
        elif kind == "point":
            if not name or name in frame.points:
                raise ArtifactError(f"{path}:{line}: point needs a name given once per frame ({name!r})")
            if row["x"] or row["y"]:
                frame.points[name] = (_number(path, line, row, "x"), _number(path, line, row, "y"))
        elif kind == "value":
            if not name or name in frame.values:
                raise ArtifactError(f"{path}:{line}: value needs a name given once per frame ({name!r})")
            frame.values[name] = _number(path, line, row, "x")
        else:
            raise ArtifactError(f"{path}:{line}: kind {kind!r} is not bbox, point or value")
    return truth


__all__ = ["DEFAULT_RULES", "Episode", "Event", "EventRule", "episodes", "events", "read_objects"]
