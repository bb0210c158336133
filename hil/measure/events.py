"""Episodes and events in per-frame states, and event-level scores (see docs/results.md, "Events").

One implementation for the host evaluation (hil.artifacts.evaluate) and board runs alike.

An episode is a maximal run of one state (a flicker of at most `max_gap` frames inside it is bridged). An
event is an episode of the rule's state lasting at least the rule's `min_seconds` (eyes closed >= 1 s is
drowsiness, looking away >= 2 s distraction). A true event counts as found when a predicted event of the same
kind overlaps it; a predicted event is correct when it overlaps a true one. An event is *declared* at the
frame where its episode reaches the minimum length; a found event's delay is (declared frame of the first
predicted event overlapping it - declared frame of the true event) / fps, negative when the model was early.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Episode:
    """A maximal run of one state; `start` and `end` are frame numbers, both inclusive (as in OpenLABEL)."""

    state: str
    start: int
    end: int

    @property
    def frames(self) -> int:
        return self.end - self.start + 1

    def seconds(self, fps: float) -> float:
        return self.frames / fps


@dataclass(frozen=True)
class EventRule:
    """An event is an episode of `state` lasting at least `min_seconds`."""

    kind: str
    state: str
    min_seconds: float

    def min_frames(self, fps: float) -> int:
        return max(1, math.ceil(self.min_seconds * fps - 1e-9))


@dataclass(frozen=True)
class Event:
    kind: str
    start: int
    end: int  # inclusive

    def overlaps(self, other: Event) -> bool:
        return self.kind == other.kind and self.start <= other.end and other.start <= self.end


DEFAULT_RULES = (
    EventRule("drowsiness", "eyes_closed", 1.0),
    EventRule("distraction", "looking_away", 2.0),
    EventRule("phone_use", "phone", 1.0),
)


def rules_for(classes: Sequence[str], rules: Sequence[EventRule] = DEFAULT_RULES) -> tuple[EventRule, ...]:
    """The rules whose state is one of a model card's classes."""
    return tuple(rule for rule in rules if rule.state in classes)


def episodes(states: list[str], max_gap: int = 0) -> list[Episode]:
    """Runs of equal states, in order. With max_gap > 0, a run of one state is bridged over an interruption
    of at most max_gap frames when the same state resumes after it (a classifier's one-frame flicker must
    not split one drowsy episode into two). Bridged frames then belong to the surrounding episode.
    """
    runs: list[Episode] = []
    start = 0
    for i in range(1, len(states) + 1):
        if i == len(states) or states[i] != states[start]:
            runs.append(Episode(states[start], start, i - 1))
            start = i
    if max_gap <= 0:
        return runs
    merged: list[Episode] = []
    for run in runs:
        # A short run between two runs of one state is absorbed; the next run then merges too.
        if len(merged) >= 2 and merged[-2].state == run.state and merged[-1].frames <= max_gap:
            merged.pop()
            prev = merged.pop()
            merged.append(Episode(run.state, prev.start, run.end))
        else:
            merged.append(run)
    return merged


def events(
    states: list[str],
    fps: float = 30.0,
    rules: tuple[EventRule, ...] = DEFAULT_RULES,
    max_gap: int = 3,
) -> list[Event]:
    """The events in a sequence of per-frame states (ground truth or predictions alike)."""
    found: list[Event] = []
    by_state = {rule.state: rule for rule in rules}
    for ep in episodes(states, max_gap=max_gap):
        rule = by_state.get(ep.state)
        if rule is not None and ep.seconds(fps) >= rule.min_seconds - 1e-9:
            found.append(Event(rule.kind, ep.start, ep.end))
    return found


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 6) if den else None


def match_events(truth: list[Event], predicted: list[Event], fps: float = 30.0) -> dict[str, Any]:
    """{truth, predicted, found, correct, recall, precision, mean_delay_s} for events of one kind."""
    found = [t for t in truth if any(t.overlaps(p) for p in predicted)]
    correct = sum(any(p.overlaps(t) for t in truth) for p in predicted)
    # Both events are declared min_frames - 1 frames after they start, so the delay is the starts' offset.
    delays = []
    for t in found:
        first = min((p for p in predicted if t.overlaps(p)), key=lambda p: p.start)
        delays.append((first.start - t.start) / fps)
    return {
        "truth": len(truth),
        "predicted": len(predicted),
        "found": len(found),
        "correct": correct,
        "recall": _ratio(len(found), len(truth)),
        "precision": _ratio(correct, len(predicted)),
        "mean_delay_s": round(sum(delays) / len(delays), 6) if delays else None,
    }


def event_scores(
    truth: list[str], predicted: list[str], fps: float, rules: Sequence[EventRule] = DEFAULT_RULES
) -> dict[str, dict[str, Any]]:
    """Scores per event kind of one clip: truth and predictions are per-frame state names."""
    chosen = tuple(rules)
    true_events, pred_events = events(truth, fps, chosen), events(predicted, fps, chosen)
    return {
        rule.kind: match_events(
            [e for e in true_events if e.kind == rule.kind],
            [e for e in pred_events if e.kind == rule.kind],
            fps,
        )
        for rule in chosen
    }


def merge_scores(per_clip: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Event scores over several clips: pool the counts (and delays, weighted by events found)."""
    if not per_clip:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for kind in per_clip[0]:
        rows = [c[kind] for c in per_clip if kind in c]
        truth, predicted = sum(r["truth"] for r in rows), sum(r["predicted"] for r in rows)
        found, correct = sum(r["found"] for r in rows), sum(r["correct"] for r in rows)
        delayed = [(r["mean_delay_s"], r["found"]) for r in rows if r["mean_delay_s"] is not None]
        weight = sum(n for _, n in delayed)
        out[kind] = {
            "truth": truth,
            "predicted": predicted,
            "found": found,
            "correct": correct,
            "recall": _ratio(found, truth),
            "precision": _ratio(correct, predicted),
            "mean_delay_s": round(sum(d * n for d, n in delayed) / weight, 6) if weight else None,
        }
    return out
