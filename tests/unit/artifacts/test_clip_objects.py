"""Object labels from the clip generator: face and phone boxes, 12 eye points, as CSV and OpenLABEL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hil.artifacts import clipgen
from hil.artifacts.clipobjects import EYE_POINTS
from hil.artifacts.labels import objects_path, read_labels, read_objects
from hil.artifacts.openlabel import openlabel_path, read_openlabel_objects
from hil.measure.landmarks import eye_aspect_ratio

REPO = Path(__file__).resolve().parents[3]
LEFT = [n for n in EYE_POINTS if n.startswith("left")]
RIGHT = [n for n in EYE_POINTS if n.startswith("right")]


@pytest.fixture(scope="module")
def rendered() -> clipgen.ClipTruth:
    """20 s: every clip of that length has a drowsy closure, a distraction and a phone episode."""
    return clipgen.render_clip(4242, 20.0)[1]


def _ear(points: dict[str, tuple[float, float]]) -> float | None:
    ears = [e for e in (eye_aspect_ratio(points, LEFT), eye_aspect_ratio(points, RIGHT)) if e is not None]
    return float(np.mean(ears)) if ears else None


def test_face_box_every_frame_and_it_contains_the_eye_points(rendered: clipgen.ClipTruth) -> None:
    assert len(rendered.objects) == len(rendered.states) == 600
    for frame in rendered.objects:
        faces = [o for o in frame if o.cls == "face"]
        assert len(faces) == 1 and faces[0].box is not None
        x1, y1, x2, y2 = faces[0].box
        assert 0 <= x1 < x2 <= clipgen.SIZE and 0 <= y1 < y2 <= clipgen.SIZE
        assert set(faces[0].points) <= set(EYE_POINTS)
        for x, y in faces[0].points.values():
            assert x1 <= x <= x2 and y1 <= y <= y2
    # A frontal face shows both eyes; a head turned far enough hides one (no points for it, never zeros).
    counts = {len(o.points) for frame in rendered.objects for o in frame if o.cls == "face"}
    assert 12 in counts and counts <= {0, 6, 12}


def test_a_phone_box_exactly_while_the_state_is_phone(rendered: clipgen.ClipTruth) -> None:
    has_phone = [any(o.cls == "phone" for o in frame) for frame in rendered.objects]
    assert has_phone == [s == "phone" for s in rendered.states]
    assert any(has_phone)
    for frame in rendered.objects:
        for o in frame:
            if o.cls == "phone":
                assert o.box is not None and not o.points


def test_truth_ear_falls_when_the_eyes_close(rendered: clipgen.ClipTruth) -> None:
    ears: dict[str, list[float]] = {"attentive": [], "eyes_closed": []}
    for frame, state in zip(rendered.objects, rendered.states, strict=True):
        face = next(o for o in frame if o.cls == "face")
        ear = _ear(face.points)
        if state in ears and ear is not None:
            ears[state].append(ear)
    assert ears["attentive"] and ears["eyes_closed"]
    assert max(ears["eyes_closed"]) < min(ears["attentive"])
    assert max(ears["eyes_closed"]) < 0.17 < float(np.median(ears["attentive"]))  # the card's ear_below


def test_left_eye_is_the_drivers_left_on_the_image_right_with_p1_left_of_p4(
    rendered: clipgen.ClipTruth,
) -> None:
    face = next(o for o in rendered.objects[0] if o.cls == "face")
    pts = face.points
    assert pts["left_eye_p1"][0] > pts["right_eye_p4"][0]  # the left eye lies right of the right eye
    for eye in ("left", "right"):
        assert (
            pts[f"{eye}_eye_p1"][0]
            < pts[f"{eye}_eye_p2"][0]
            < pts[f"{eye}_eye_p3"][0]
            < pts[f"{eye}_eye_p4"][0]
        )
        assert pts[f"{eye}_eye_p2"][1] < pts[f"{eye}_eye_p6"][1]  # upper lid above the lower lid
        assert pts[f"{eye}_eye_p3"][1] < pts[f"{eye}_eye_p5"][1]


def test_written_csv_and_openlabel_objects_agree(clips: list[Path]) -> None:
    clip = clips[0]
    assert objects_path(clip).exists()
    from_csv = read_objects(clip, frames=60)
    from_json = read_openlabel_objects(openlabel_path(clip), frames=60)
    assert from_csv is not None and from_json is not None and len(from_csv) == len(from_json) == 60
    for a, b in zip(from_csv, from_json, strict=True):
        assert a.objects == b.objects and a.objects.get("0") == "face"
        assert [x.label for x in a.boxes] == [x.label for x in b.boxes]
        for x, y in zip(a.boxes, b.boxes, strict=True):
            assert np.allclose(x.array(), y.array(), atol=0.11)
        assert a.points.keys() == b.points.keys()
        for name in a.points:
            assert np.allclose(a.points[name], b.points[name], atol=0.051)


@pytest.mark.parametrize(("clip", "seed"), [("cabin-01", 9001), ("cabin-02", 9002), ("cabin-03", 9003)])
def test_committed_demo_labels_are_what_the_generator_emits(clip: str, seed: int) -> None:
    path = REPO / "artifacts" / "clips" / f"{clip}.mp4"
    truth = read_objects(path, frames=720)
    states = read_labels(path, frames=720)
    assert truth is not None and states is not None
    generated = clipgen.render_clip(seed, 24.0)[1]
    assert states == generated.states
    ids = {uid: cls for frame in truth for uid, cls in frame.objects.items()}
    assert ids == {"0": "face", "1": "phone"}
    for frame, objects in zip(truth, generated.objects, strict=True):
        assert sorted(b.label for b in frame.boxes) == sorted(o.cls for o in objects)
        face = next(o for o in objects if o.cls == "face")
        assert face.box is not None
        box = next(b for b in frame.boxes if b.label == "face")
        assert np.allclose(box.array(), face.box, atol=0.11)  # CSV: corner and size, 0.1 px each
        assert frame.points.keys() == face.points.keys()
    json_truth = read_openlabel_objects(openlabel_path(path), frames=720)
    assert json_truth is not None and [f.objects for f in json_truth] == [f.objects for f in truth]
