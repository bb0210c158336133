from __future__ import annotations

import json
from pathlib import Path

from hil.artifacts.openlabel import (
    blink_intervals,
    frame_count,
    load_openlabel,
    read_openlabel,
    to_openlabel,
    write_openlabel,
)

STATES = ["attentive", "eyes_closed", "eyes_closed", "looking_away", "phone", "phone", "attentive"]


def test_written_files_have_the_dmd_openlabel_shape(tmp_path: Path) -> None:
    path = write_openlabel(tmp_path / "c.mp4", STATES, blinks=[(1, 2)], phone_kind=[0, 0, 0, 0, 2, 2, 0])
    body = load_openlabel(path)
    assert body["metadata"]["schema_version"] == "1.0.0"
    assert body["frame_intervals"] == [{"frame_start": 0, "frame_end": 6}]
    assert body["streams"]["face_camera"]["type"] == "camera"
    types = {a["type"]: a["frame_intervals"] for a in body["actions"].values()}
    assert types["eyes_state/close"] == [{"frame_start": 1, "frame_end": 2}]
    assert types["gaze_on_road/not_looking_road"] == [{"frame_start": 3, "frame_end": 3}]
    assert types["driver_actions/phonecall_left"] == [{"frame_start": 4, "frame_end": 5}]
    assert types["blinks/blinking"] == [{"frame_start": 1, "frame_end": 2}]
    uid = next(k for k, a in body["actions"].items() if a["type"] == "eyes_state/close")
    assert uid in body["frames"]["1"]["actions"] and uid not in body["frames"]["0"]["actions"]
    assert read_openlabel(path) == STATES
    assert blink_intervals(path) == [(1, 2)]


def test_a_dmd_style_file_maps_by_priority(tmp_path: Path) -> None:
    """Overlapping levels as DMD annotates them: phone beats gaze beats eyes; other levels are ignored."""
    doc = {
        "openlabel": {
            "metadata": {"schema_version": "1.0.0"},
            "frame_intervals": [{"frame_start": 0, "frame_end": 9}],
            "actions": {
                "0": {"type": "eyes_state/close", "frame_intervals": [{"frame_start": 0, "frame_end": 5}]},
                "1": {
                    "type": "gaze_on_road/not_looking_road",
                    "frame_intervals": [{"frame_start": 2, "frame_end": 7}],
                },
                "2": {
                    "type": "driver_actions/texting_left",
                    "frame_intervals": [{"frame_start": 4, "frame_end": 4}],
                },
                "3": {"type": "talking/talking", "frame_intervals": [{"frame_start": 0, "frame_end": 9}]},
                "4": {
                    "type": "hands_using_wheel/only_left",
                    "frame_intervals": [{"frame_start": 8, "frame_end": 9}],
                },
            },
        }
    }
    path = tmp_path / "dmd.json"
    path.write_text(json.dumps(doc))
    assert read_openlabel(path) == [
        "eyes_closed", "eyes_closed", "looking_away", "looking_away", "phone",
        "looking_away", "looking_away", "looking_away", "attentive", "attentive",
    ]  # fmt: skip


def test_frame_count_without_top_level_intervals() -> None:
    body = to_openlabel(["attentive"] * 4)["openlabel"]
    del body["frame_intervals"]
    assert frame_count(body) == 4
    del body["frames"]
    assert frame_count(body) == 4
