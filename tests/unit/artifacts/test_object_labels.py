"""Object labels (boxes, points, values) from OpenLABEL and from the plain CSV, validated against the clip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hil.artifacts.labels import objects_path, read_objects
from hil.artifacts.openlabel import openlabel_path
from hil.errors import ArtifactError
from hil.measure.detection import Box


def openlabel(frames: int, objects: dict[str, Any], per_frame: dict[int, dict[str, Any]]) -> dict[str, Any]:
    return {
        "openlabel": {
            "metadata": {"schema_version": "1.0.0"},
            "frame_intervals": [{"frame_start": 0, "frame_end": frames - 1}],
            "objects": objects,
            "frames": {str(i): {"objects": objs} for i, objs in per_frame.items()},
        }
    }


FACE = {"0": {"name": "driver-face", "type": "face"}, "1": {"name": "phone", "type": "phone"}}


def write(clip: Path, doc: dict[str, Any]) -> None:
    openlabel_path(clip).write_text(json.dumps(doc))


def test_openlabel_boxes_points_and_values_per_frame(tmp_path: Path) -> None:
    clip = tmp_path / "cabin.mp4"
    face = {
        "object_data": {
            "bbox": [{"name": "face", "val": [50, 40, 20, 30]}],  # centre (50, 40), 20 x 30
            "point2d": [{"name": "l_in", "val": [45, 35]}, {"name": "r_in", "val": [55, 35]}],
            "num": [{"name": "yaw", "val": 12.5}],
        }
    }
    phone = {"object_data": {"bbox": [{"name": "phone", "val": [10, 10, 4, 4]}]}}
    write(clip, openlabel(3, FACE, {0: {"0": face, "1": phone}, 2: {"0": face}}))
    truth = read_objects(clip, frames=3)
    assert truth is not None and len(truth) == 3
    assert truth[0].boxes == [Box(40, 25, 60, 55, "face"), Box(8, 8, 12, 12, "phone")]
    assert truth[0].points == {"l_in": (45.0, 35.0), "r_in": (55.0, 35.0)} and truth[0].values == {
        "yaw": 12.5
    }
    assert truth[0].objects == {"0": "face", "1": "phone"}
    assert truth[1].empty()  # no object annotated: no face there, nothing missing
    assert truth[2].boxes == [Box(40, 25, 60, 55, "face")]


def test_openlabel_object_errors_name_frame_and_object(tmp_path: Path) -> None:
    clip = tmp_path / "cabin.mp4"
    box = {"object_data": {"bbox": [{"name": "b", "val": [1, 1, 2, 2]}]}}
    write(clip, openlabel(3, FACE, {1: {"7": box}}))
    with pytest.raises(ArtifactError, match=r"frame 1: object 7 is not declared in openlabel\.objects"):
        read_objects(clip, frames=3)
    write(clip, openlabel(3, FACE, {0: {"0": box}}))
    with pytest.raises(ArtifactError, match="labels 3 frames but the clip has 5"):
        read_objects(clip, frames=5)
    write(clip, openlabel(3, FACE, {0: {"0": {"object_data": {"bbox": [{"name": "b", "val": [1, 2]}]}}}}))
    with pytest.raises(ArtifactError, match=r"frame 0, object 0 bbox: val \[1, 2\] must have 4 numbers"):
        read_objects(clip, frames=3)
    spanned = {"0": {"name": "f", "type": "face", "frame_intervals": [{"frame_start": 0, "frame_end": 0}]}}
    write(clip, openlabel(3, spanned, {2: {"0": box}}))
    with pytest.raises(ArtifactError, match=r"frame 2: object 0 has data outside its own frame_intervals"):
        read_objects(clip, frames=3)
    write(clip, openlabel(3, {"0": {"name": "x"}}, {}))
    with pytest.raises(ArtifactError, match="object 0 has no 'type'"):
        read_objects(clip, frames=3)
    doc = openlabel(3, FACE, {5: {"0": box}})
    doc["openlabel"].pop("frame_intervals")
    write(clip, doc)
    with pytest.raises(ArtifactError, match=r"frame 5 has objects but the clip has frames 0\.\.2"):
        read_objects(clip, frames=3)


def test_csv_objects_with_a_missing_point_and_validation(tmp_path: Path) -> None:
    clip = tmp_path / "cabin.mp4"
    objects_path(clip).write_text(
        "frame,object,class,kind,name,x,y,w,h\n"
        "0,1,face,bbox,,10,20,30,40\n"
        "0,1,face,point,l_in,15,25,,\n"
        "0,1,face,point,r_in,,,,\n"  # labelled as not visible
        "1,1,face,value,yaw,-3.5,,,\n"
    )
    truth = read_objects(clip, frames=2)
    assert truth is not None
    assert truth[0].boxes == [Box(10, 20, 40, 60, "face")]
    assert truth[0].points == {"l_in": (15.0, 25.0)}
    assert truth[1].values == {"yaw": -3.5}
    with pytest.raises(ArtifactError, match=r"objects.csv:5: frame 1 is past the clip's 1 frames"):
        read_objects(clip, frames=1)


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        ("0,1,face,bbox,,a,2,3,4\n", r":2: x 'a' is not a number"),
        (
            "0,1,face,bbox,,1,2,3,4\n0,1,hand,bbox,,1,2,3,4\n",
            r":3: object 1 is class 'face' above, 'hand' here",
        ),
        ("0,1,face,mesh,,1,2,3,4\n", r":2: kind 'mesh' is not bbox, point or value"),
        ("0,1,face,point,p,1,2,,\n0,1,face,point,p,1,2,,\n", r":3: point needs a name given once per frame"),
        ("0,1,face,bbox,,1,2,-3,4\n", r":2: bbox width and height must not be negative"),
        ("x,1,face,bbox,,1,2,3,4\n", r":2: frame 'x' is not a number"),
    ],
)
def test_csv_errors_name_the_line(tmp_path: Path, rows: str, error: str) -> None:
    clip = tmp_path / "cabin.mp4"
    objects_path(clip).write_text("frame,object,class,kind,name,x,y,w,h\n" + rows)
    with pytest.raises(ArtifactError, match=error):
        read_objects(clip, frames=2)


def test_csv_wins_and_no_labels_is_none(tmp_path: Path) -> None:
    clip = tmp_path / "cabin.mp4"
    assert read_objects(clip, frames=2) is None
    objects_path(clip).write_text("frame,object,class\n")
    with pytest.raises(ArtifactError, match="the header lacks kind, name, x, y, w, h"):
        read_objects(clip, frames=2)
