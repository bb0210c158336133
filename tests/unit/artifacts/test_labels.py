from __future__ import annotations

import json
from pathlib import Path

import pytest

from hil.artifacts.labels import Event, episodes, events, labels_path, read_labels, write_labels
from hil.artifacts.openlabel import openlabel_path, to_openlabel, write_openlabel
from hil.errors import ArtifactError

FPS = 30


def test_csv_round_trip_and_no_labels(tmp_path: Path) -> None:
    clip = tmp_path / "c.mp4"
    assert read_labels(clip) is None
    write_labels(clip, ["attentive", "phone"])
    assert labels_path(clip).read_text().splitlines()[0] == "frame,state"
    assert read_labels(clip) == ["attentive", "phone"]


def test_csv_is_preferred_and_openlabel_is_the_fallback(tmp_path: Path) -> None:
    clip = tmp_path / "c.mp4"
    write_openlabel(clip, ["eyes_closed", "attentive"])
    assert read_labels(clip) == ["eyes_closed", "attentive"]
    write_labels(clip, ["phone", "phone"])
    assert read_labels(clip) == ["phone", "phone"]


@pytest.mark.parametrize("fmt", ["csv", "openlabel"])
def test_a_frame_count_mismatch_is_an_artifact_error(tmp_path: Path, fmt: str) -> None:
    clip = tmp_path / "c.mp4"
    if fmt == "csv":
        write_labels(clip, ["attentive"] * 5)
    else:
        write_openlabel(clip, ["attentive"] * 5)
    assert read_labels(clip, frames=5) is not None
    with pytest.raises(ArtifactError, match=r"labels 5 frames but .* has 6"):
        read_labels(clip, frames=6)


def test_malformed_csv_says_where(tmp_path: Path) -> None:
    clip = tmp_path / "c.mp4"
    labels_path(clip).write_text("frame,state\n0,attentive\n2,phone\n")
    with pytest.raises(ArtifactError, match=r"c.labels.csv:3: frame 2 out of order"):
        read_labels(clip)
    labels_path(clip).write_text("idx,label\n0,attentive\n")
    with pytest.raises(ArtifactError, match="header"):
        read_labels(clip)


def test_malformed_openlabel_is_an_artifact_error(tmp_path: Path) -> None:
    clip = tmp_path / "c.mp4"
    openlabel_path(clip).write_text("{not json")
    with pytest.raises(ArtifactError, match="OpenLABEL"):
        read_labels(clip)
    openlabel_path(clip).write_text(json.dumps({"vcd": {}}))
    with pytest.raises(ArtifactError, match="openlabel"):
        read_labels(clip)
    doc = to_openlabel(["attentive"] * 3)
    doc["openlabel"]["actions"]["0"]["frame_intervals"] = [{"frame_start": 2, "frame_end": 9}]
    openlabel_path(clip).write_text(json.dumps(doc))
    with pytest.raises(ArtifactError, match=r"outside frames 0\.\.2"):
        read_labels(clip)


def test_episodes_are_inclusive_runs_and_bridge_short_gaps() -> None:
    states = ["a", "a", "b", "a", "a", "c", "c"]
    assert episodes(states)[:2] == [episodes(states)[0], episodes(states)[1]]
    assert [(e.state, e.start, e.end) for e in episodes(states)] == [
        ("a", 0, 1), ("b", 2, 2), ("a", 3, 4), ("c", 5, 6),
    ]  # fmt: skip
    assert [(e.state, e.start, e.end) for e in episodes(states, max_gap=1)] == [("a", 0, 4), ("c", 5, 6)]
    assert episodes([]) == []


def test_blinks_are_not_drowsiness_events_but_long_closures_are() -> None:
    blink = ["attentive"] * 20 + ["eyes_closed"] * 6 + ["attentive"] * 20
    assert events(blink, FPS) == []
    drowsy = ["attentive"] * 10 + ["eyes_closed"] * 30 + ["attentive"] * 10
    assert events(drowsy, FPS) == [Event("drowsiness", 10, 39)]
    short_glance = ["looking_away"] * 59
    assert events(short_glance, FPS) == []
    assert events(["looking_away"] * 60, FPS) == [Event("distraction", 0, 59)]


def test_a_one_frame_flicker_does_not_split_an_event() -> None:
    pred = ["eyes_closed"] * 20 + ["attentive"] + ["eyes_closed"] * 20
    assert events(pred, FPS) == [Event("drowsiness", 0, 40)]
    assert events(pred, FPS, max_gap=0) == []
