"""ASAM OpenLABEL JSON labels, in the shape the public DMD (Driver Monitoring Dataset) uses.

A DMD annotation is one object `{"openlabel": {...}}` whose `actions` each have a `type` "level/label"
(`eyes_state/close`, `gaze_on_road/not_looking_road`, `driver_actions/phonecall_right`, `blinks/blinking`)
and `frame_intervals` `[{"frame_start", "frame_end"}]`, both ends inclusive. `frames` lists, per frame, the
actions present; top-level `frame_intervals` spans the clip; `streams` names the camera.

hil turns such a file into one class per frame with a fixed priority, the same rule the clip generator
labels by: a phone action (`driver_actions/phonecall_*`, `driver_actions/texting_*`) gives `phone`, else
`gaze_on_road/not_looking_road` gives `looking_away`, else `eyes_state/close` gives `eyes_closed`, else
`attentive`. Levels a file does not annotate count as attentive.

Objects (faces, hands, phones, eyes) are read by `read_openlabel_objects`: `openlabel.objects` declares each
object (`{"name", "type"}`, the type being its class), and each frame's `objects` carry its `object_data`:
`bbox` `[{"name", "val": [x, y, w, h]}]` with (x, y) the box centre as OpenLABEL defines it, `point2d`
`[{"name", "val": [x, y]}]` and `num` `[{"name", "val": v}]` (e.g. gaze yaw/pitch), all in frame pixels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hil.errors import ArtifactError
from hil.measure.detection import Box
from hil.measure.truth import FrameTruth

SCHEMA_VERSION = "1.0.0"
ONTOLOGY = "http://dmd.vicomtech.org/ontology"
STREAM = "face_camera"
PHONE_KIND = {1: "phonecall_right", 2: "phonecall_left", 3: "texting_right"}


@dataclass
class LabelledObject:
    """One object in one frame, as written to OpenLABEL and `<clip>.objects.csv`: its id, class, box
    (x1, y1, x2, y2 in frame pixels, or None) and named points."""

    uid: str
    cls: str
    box: tuple[float, float, float, float] | None = None
    points: dict[str, tuple[float, float]] = field(default_factory=dict)


def openlabel_path(clip: Path) -> Path:
    return clip.with_name(clip.stem + ".openlabel.json")


def _intervals(frames: list[int]) -> list[dict[str, int]]:
    """Sorted frame numbers -> OpenLABEL frame_intervals (inclusive ends)."""
    out: list[dict[str, int]] = []
    for f in frames:
        if out and out[-1]["frame_end"] == f - 1:
            out[-1]["frame_end"] = f
        else:
            out.append({"frame_start": f, "frame_end": f})
    return out


def to_openlabel(
    states: list[str],
    *,
    fps: float = 30.0,
    uri: str = "",
    blinks: list[tuple[int, int]] | None = None,
    phone_kind: list[int] | None = None,
    comment: str = "",
    objects: list[list[LabelledObject]] | None = None,
) -> dict[str, Any]:
    """Per-frame classes (plus, optionally, blink intervals, the kind of phone use and per-frame objects:
    boxes and points) as OpenLABEL."""
    n = len(states)
    by_type: dict[str, list[int]] = {}

    def add(kind: str, frame: int) -> None:
        by_type.setdefault(kind, []).append(frame)

    for i, state in enumerate(states):
        add("eyes_state/close" if state == "eyes_closed" else "eyes_state/open", i)
        add("gaze_on_road/not_looking_road" if state == "looking_away" else "gaze_on_road/looking_road", i)
        if state == "phone":
            kind = PHONE_KIND.get(phone_kind[i] if phone_kind else 1, "phonecall_right")
            add(f"driver_actions/{kind}", i)
        else:
            add("driver_actions/safe_drive", i)
    for start, end in blinks or []:
        for f in range(start, end + 1):
            add("blinks/blinking", f)

    actions: dict[str, Any] = {}
    frames: dict[str, Any] = {str(i): {"actions": {}} for i in range(n)}
    for uid, (kind, members) in enumerate(sorted(by_type.items())):
        actions[str(uid)] = {
            "name": kind.split("/")[1],
            "type": kind,
            "ontology_uid": "0",
            "frame_intervals": _intervals(sorted(members)),
        }
        for f in members:
            frames[str(f)]["actions"][str(uid)] = {}
    body: dict[str, Any] = {
        "openlabel": {
            "metadata": {
                "schema_version": SCHEMA_VERSION,
                "annotator": "hil",
                "tagged_file": uri,
                "comment": comment,
                "frame_rate": fps,
            },
            "ontologies": {"0": ONTOLOGY},
            "streams": {STREAM: {"type": "camera", "uri": uri, "description": "NIR driver-facing camera"}},
            "frame_intervals": [{"frame_start": 0, "frame_end": n - 1}] if n else [],
            "actions": actions,
            "frames": frames,
        }
    }
    if objects:
        _add_objects(body["openlabel"], frames, objects)
    return body


def _r(v: float) -> float:
    return round(float(v), 1)


def _add_objects(body: dict[str, Any], frames: dict[str, Any], objects: list[list[LabelledObject]]) -> None:
    """Declare each object once (its class and frame intervals) and put its bbox / point2d in each frame."""
    seen: dict[str, tuple[str, list[int]]] = {}
    for i, frame_objects in enumerate(objects):
        for obj in frame_objects:
            seen.setdefault(obj.uid, (obj.cls, []))[1].append(i)
            data: dict[str, Any] = {}
            if obj.box is not None:
                x1, y1, x2, y2 = obj.box
                data["bbox"] = [{"name": obj.cls, "val": [_r((x1 + x2) / 2), _r((y1 + y2) / 2), _r(x2 - x1),
                                                          _r(y2 - y1)]}]  # fmt: skip
            if obj.points:
                data["point2d"] = [{"name": n, "val": [_r(x), _r(y)]} for n, (x, y) in obj.points.items()]
            frames[str(i)].setdefault("objects", {})[obj.uid] = {"object_data": data}
    body["objects"] = {
        uid: {"name": cls, "type": cls, "frame_intervals": _intervals(members)}
        for uid, (cls, members) in sorted(seen.items())
    }


def write_openlabel(
    clip: Path,
    states: list[str],
    *,
    fps: float = 30.0,
    blinks: list[tuple[int, int]] | None = None,
    phone_kind: list[int] | None = None,
    comment: str = "",
    objects: list[list[LabelledObject]] | None = None,
) -> Path:
    path = openlabel_path(clip)
    doc = to_openlabel(
        states, fps=fps, uri=clip.name, blinks=blinks, phone_kind=phone_kind, comment=comment, objects=objects
    )
    path.write_text(json.dumps(doc, separators=(",", ":")))
    return path


def load_openlabel(path: Path) -> dict[str, Any]:
    """The `openlabel` object of a file, with a clear error for anything that is not one."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path}: not a readable OpenLABEL JSON file: {exc}") from exc
    body = doc.get("openlabel") if isinstance(doc, dict) else None
    if not isinstance(body, dict):
        raise ArtifactError(f"{path}: no top-level 'openlabel' object", hint="see docs/models.md")
    return body


def frame_count(body: dict[str, Any]) -> int:
    """Frames the file covers: its top-level frame_intervals, else its frames, else its last action."""
    ends = [int(iv["frame_end"]) for iv in body.get("frame_intervals") or []]
    if ends:
        return max(ends) + 1
    if body.get("frames"):
        return max(int(k) for k in body["frames"]) + 1
    ends = [int(iv["frame_end"]) for act in action_intervals(body).values() for iv in act]
    return max(ends) + 1 if ends else 0


def action_intervals(body: dict[str, Any]) -> dict[str, list[dict[str, int]]]:
    """Action type -> its frame intervals (several actions of one type are merged)."""
    out: dict[str, list[dict[str, int]]] = {}
    for uid, act in (body.get("actions") or {}).items():
        if not isinstance(act, dict) or "type" not in act:
            raise ArtifactError(f"OpenLABEL action {uid} has no 'type'")
        out.setdefault(str(act["type"]), []).extend(act.get("frame_intervals") or [])
    return out


def _class_of(kind: str) -> tuple[int, str] | None:
    """(priority, class) an action type implies, or None for types that do not change the class."""
    level, _, label = kind.partition("/")
    if level == "driver_actions" and label.startswith(("phonecall", "texting")):
        return 3, "phone"
    if level == "gaze_on_road" and label == "not_looking_road":
        return 2, "looking_away"
    if level == "eyes_state" and label in ("close", "closed"):
        return 1, "eyes_closed"
    return None


def read_openlabel(path: Path) -> list[str]:
    """One class per frame from an OpenLABEL file (see the module docstring for the mapping)."""
    body = load_openlabel(path)
    n = frame_count(body)
    rank = [0] * n
    states = ["attentive"] * n
    for kind, intervals in action_intervals(body).items():
        implied = _class_of(kind)
        for iv in intervals:
            try:
                start, end = int(iv["frame_start"]), int(iv["frame_end"])
            except (KeyError, TypeError, ValueError) as exc:
                raise ArtifactError(f"{path}: action '{kind}' has a malformed frame interval {iv!r}") from exc
            if start < 0 or end < start or end >= n:
                raise ArtifactError(
                    f"{path}: action '{kind}' interval {start}..{end} lies outside frames 0..{n - 1}"
                )
            if implied is None:
                continue
            priority, name = implied
            for f in range(start, end + 1):
                if priority > rank[f]:
                    rank[f], states[f] = priority, name
    return states


def blink_intervals(path: Path) -> list[tuple[int, int]]:
    """The `blinks/blinking` intervals of a file, (start, end) inclusive."""
    intervals = action_intervals(load_openlabel(path)).get("blinks/blinking", [])
    return [(int(iv["frame_start"]), int(iv["frame_end"])) for iv in intervals]


def _vals(path: Path, where: str, items: Any, size: int | None) -> list[tuple[str, list[float]]]:
    """(name, numbers) of an object_data list; ArtifactError naming the frame and object for bad entries."""
    if not isinstance(items, list):
        raise ArtifactError(f"{path}: {where}: expected a list of {{name, val}} entries")
    out: list[tuple[str, list[float]]] = []
    for entry in items:
        val: Any = entry.get("val") if isinstance(entry, dict) else None
        numbers: list[Any] = val if isinstance(val, list) else [val]
        try:
            floats = [float(v) for v in numbers]
        except (TypeError, ValueError) as exc:
            raise ArtifactError(f"{path}: {where}: val {val!r} is not numeric") from exc
        if size is not None and len(floats) != size:
            raise ArtifactError(f"{path}: {where}: val {val!r} must have {size} numbers")
        out.append((str(entry.get("name", "")), floats))
    return out


def read_openlabel_objects(path: Path, frames: int | None = None) -> list[FrameTruth] | None:
    """Boxes, points and values per frame, or None when the file has no objects. With `frames` (the clip's
    decoded count), a file covering another number of frames, or object data on a frame past the clip, is
    an ArtifactError; so is object data for an object id `openlabel.objects` does not declare."""
    body = load_openlabel(path)
    declared = body.get("objects") or {}
    if not declared:
        return None
    if not isinstance(declared, dict):
        raise ArtifactError(f"{path}: 'objects' must map object ids to {{name, type}}")
    classes: dict[str, str] = {}
    spans: dict[str, list[tuple[int, int]]] = {}  # object id -> its declared frame intervals, if any
    for uid, obj in declared.items():
        if not isinstance(obj, dict) or not obj.get("type"):
            raise ArtifactError(f"{path}: object {uid} has no 'type' (its class, e.g. face)")
        classes[str(uid)] = str(obj["type"])
        try:
            spans[str(uid)] = [
                (int(iv["frame_start"]), int(iv["frame_end"])) for iv in obj.get("frame_intervals") or []
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(f"{path}: object {uid} has a malformed frame interval") from exc
    covered = frame_count(body)
    n = frames if frames is not None else covered
    if frames is not None and body.get("frame_intervals") and covered != frames:
        raise ArtifactError(
            f"{path} labels {covered} frames but the clip has {frames}",
            hint="the labels belong to another clip or the video was re-encoded; regenerate them",
        )
    truth = [FrameTruth() for _ in range(n)]
    for key, frame in (body.get("frames") or {}).items():
        try:
            index = int(key)
        except ValueError as exc:
            raise ArtifactError(f"{path}: frame key {key!r} is not a frame number") from exc
        objects = (frame or {}).get("objects") or {}
        if objects and not 0 <= index < n:
            raise ArtifactError(f"{path}: frame {index} has objects but the clip has frames 0..{n - 1}")
        for uid, content in objects.items():
            if str(uid) not in classes:
                raise ArtifactError(
                    f"{path}: frame {index}: object {uid} is not declared in openlabel.objects",
                    hint="declare every object once under openlabel.objects with its type",
                )
            span = spans[str(uid)]
            if span and not any(start <= index <= end for start, end in span):
                raise ArtifactError(
                    f"{path}: frame {index}: object {uid} has data outside its own frame_intervals {span}"
                )
            _add_object(path, truth[index], index, str(uid), classes[str(uid)], content or {})
    return truth


def _add_object(
    path: Path, frame: FrameTruth, index: int, uid: str, cls: str, content: dict[str, Any]
) -> None:
    where = f"frame {index}, object {uid}"
    data = content.get("object_data") or {}
    frame.objects[uid] = cls
    for _name, (x, y, w, h) in _vals(path, f"{where} bbox", data.get("bbox", []), 4):
        if w < 0 or h < 0:
            raise ArtifactError(f"{path}: {where}: bbox width and height must not be negative")
        frame.boxes.append(Box(x - w / 2, y - h / 2, x + w / 2, y + h / 2, cls))
    for name, (px, py) in _vals(path, f"{where} point2d", data.get("point2d", []), 2):
        if name in frame.points:
            raise ArtifactError(f"{path}: {where}: point {name!r} is given twice in this frame")
        frame.points[name] = (px, py)
    for name, (value,) in _vals(path, f"{where} num", data.get("num", []), 1):
        if name in frame.values:
            raise ArtifactError(f"{path}: {where}: value {name!r} is given twice in this frame")
        frame.values[name] = value
