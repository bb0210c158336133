"""Event-level scores: episodes at the clip's edges, split episodes, detection delay."""

from __future__ import annotations

from hil.measure.events import DEFAULT_RULES, event_scores, events, merge_scores, rules_for

CLASSES = ["attentive", "eyes_closed", "looking_away", "phone"]
A, C, L = "attentive", "eyes_closed", "looking_away"


def test_episode_at_clip_start_and_end_are_events() -> None:
    truth = [C] * 30 + [A] * 20 + [L] * 60  # drowsy from frame 0, distracted to the last frame
    found = events(truth, 30.0)
    assert [(e.kind, e.start, e.end) for e in found] == [("drowsiness", 0, 29), ("distraction", 50, 109)]
    scores = event_scores(truth, truth, 30.0, rules_for(CLASSES))
    assert scores["drowsiness"]["recall"] == 1.0 and scores["distraction"]["precision"] == 1.0
    assert scores["drowsiness"]["mean_delay_s"] == 0.0


def test_a_too_short_episode_is_no_event_and_a_late_one_has_a_delay() -> None:
    truth = [A] * 10 + [C] * 29 + [A] * 10  # 29 frames < 1 s at 30 fps: a long blink, no event
    assert events(truth, 30.0) == []
    truth = [A] * 10 + [C] * 45 + [A] * 10
    late = [A] * 16 + [C] * 39 + [A] * 10  # the model closes the eyes 6 frames late
    scores = event_scores(truth, late, 30.0, rules_for(CLASSES))["drowsiness"]
    assert scores["found"] == 1 and scores["mean_delay_s"] == 6 / 30


def test_a_split_prediction_finds_the_episode_once_and_both_parts_are_correct() -> None:
    truth = [A] * 5 + [C] * 90 + [A] * 5
    # The prediction breaks for 10 frames mid-episode (longer than the 3-frame flicker bridge): two events.
    split = [A] * 5 + [C] * 40 + [A] * 10 + [C] * 40 + [A] * 5
    scores = event_scores(truth, split, 30.0, rules_for(CLASSES))["drowsiness"]
    assert (scores["truth"], scores["predicted"], scores["found"], scores["correct"]) == (1, 2, 1, 2)
    assert scores["recall"] == 1.0 and scores["precision"] == 1.0
    # A flicker of <= 3 frames is bridged: one predicted event.
    flicker = [A] * 5 + [C] * 44 + [A] * 2 + [C] * 44 + [A] * 5
    assert event_scores(truth, flicker, 30.0, rules_for(CLASSES))["drowsiness"]["predicted"] == 1


def test_missed_and_false_events_and_pooling_over_clips() -> None:
    truth = [A] * 100
    false_alarm = [A] * 20 + [L] * 61 + [A] * 19
    one = event_scores(truth, false_alarm, 30.0, DEFAULT_RULES)
    assert one["distraction"]["recall"] is None and one["distraction"]["precision"] == 0.0
    missed = event_scores([A] * 10 + [C] * 40, [A] * 50, 30.0, DEFAULT_RULES)
    assert missed["drowsiness"]["recall"] == 0.0 and missed["drowsiness"]["mean_delay_s"] is None
    pooled = merge_scores([one, missed])
    assert pooled["drowsiness"]["truth"] == 1 and pooled["distraction"]["predicted"] == 1
    assert rules_for(["attentive", "phone"]) == (DEFAULT_RULES[2],)


def test_the_model_card_sets_the_episode_rules() -> None:
    import pytest
    from pydantic import ValidationError

    from hil.artifacts.card import InputSpec, ModelCardSpec

    spec = InputSpec(name="input", shape=[1, 1, 32, 32])
    card = ModelCardSpec.model_validate(
        {"name": "m", "input": spec.model_dump(), "classes": CLASSES,
         "events": [{"kind": "microsleep", "state": "eyes_closed", "min_seconds": 0.5}]}
    )  # fmt: skip
    truth = [A] * 10 + [C] * 18 + [A] * 10  # 0.6 s: a microsleep by this card, no drowsiness by default
    scores = event_scores(truth, truth, 30.0, card.event_rules())
    assert list(scores) == ["microsleep"] and scores["microsleep"]["truth"] == 1
    default = ModelCardSpec(name="m", input=spec, classes=CLASSES)
    assert [r.kind for r in default.event_rules()] == ["drowsiness", "distraction", "phone_use"]
    assert ModelCardSpec(name="m", input=spec, classes=["face", "no_face"]).event_rules() == ()
    with pytest.raises(ValidationError, match="not one of the classes"):
        ModelCardSpec.model_validate(
            {"name": "m", "input": spec.model_dump(), "classes": CLASSES,
             "events": [{"kind": "yawn", "state": "yawning", "min_seconds": 1}]}
        )  # fmt: skip
