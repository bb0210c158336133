"""Events for every model kind: a detector's `phone` boxes are the `phone` state (so `phone_use` is scored),
a model whose outputs map to no event says so."""

from __future__ import annotations

from pathlib import Path

from hil.artifacts.card import load_card
from hil.records import FrameSample
from hil.runs.score import Replay, board_events, frame_states
from hil.runs.suite import Clip, ModelUnderTest

MODELS = Path(__file__).resolve().parents[3] / "artifacts" / "models"


def _sample(index: int) -> FrameSample:
    return FrameSample(
        index=index, warmup=False, decode_ms=1, preprocess_ms=1, infer_ms=1, postprocess_ms=1, total_ms=4
    )


def _detector() -> ModelUnderTest:
    card = load_card(MODELS / "dms-face.onnx")
    return ModelUnderTest("dms-face", MODELS / "dms-face.onnx", card, {}, {})


def test_a_detectors_phone_boxes_at_the_threshold_make_the_phone_use_event() -> None:
    face = [0.1, 0.1, 0.5, 0.5, "face", 0.99]
    decoded = {}
    for i in range(60):
        boxes = [face]
        if 10 <= i < 50:  # 40 frames of phone at 30 fps: 1.3 s
            boxes.append([0.5, 0.5, 0.7, 0.7, "phone", 0.9 if i != 30 else 0.4])  # one weak frame
        decoded[i] = {"boxes": boxes}
    replay = Replay([_sample(i) for i in range(60)], {}, decoded)
    states, why = frame_states(replay, _detector())
    assert why is None and states is not None
    assert states[9] == "" and states[10] == "phone" and states[30] == "" and states[49] == "phone"
    labels = ["attentive"] * 10 + ["phone"] * 40 + ["attentive"] * 10
    clip = Clip("c", Path("c.mp4"), labels, 30.0)
    events, note = board_events(replay, _detector(), clip)
    assert note is None and events is not None
    assert events["phone_use"]["truth"] == 1 and events["phone_use"]["found"] == 1  # the flicker is bridged
    silent = Replay([_sample(i) for i in range(60)], {}, {i: {"boxes": [face]} for i in range(60)})
    missed, _ = board_events(silent, _detector(), clip)
    assert missed is not None and missed["phone_use"]["found"] == 0


def test_a_model_whose_outputs_map_to_no_event_says_so() -> None:
    card = load_card(MODELS / "dms-face.onnx")
    assert card is not None
    plain = card.model_copy(update={"classes": ["face", "hand"]})
    model = ModelUnderTest("x", MODELS / "dms-face.onnx", plain, {}, {})
    states, why = frame_states(Replay([_sample(0)], {}, {0: {"boxes": []}}), model)
    assert states is None and why is not None and why.startswith("events not scored: no class of")
