"""Turn what the harness and the power source wrote into a scored JobResult (host side, no SSH)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hil.errors import ModelError
from hil.measure.accuracy import frame_accuracy, per_class
from hil.measure.budgets import Budgets, verdicts
from hil.measure.energy import energy
from hil.measure.latency import latency_stats
from hil.platforms.base import PowerReading
from hil.records import FrameSample, JobResult
from hil.runs.suite import Clip, ModelUnderTest


@dataclass(frozen=True)
class Replay:
    samples: list[FrameSample]
    summary: dict[str, Any]


def parse_frames(text: str, clip: Clip, model: ModelUnderTest) -> Replay:
    """The harness's JSON lines -> frame samples with labels attached (class indices of the card)."""
    samples: list[FrameSample] = []
    summary: dict[str, Any] | None = None
    for line in text.splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        if "summary" in record:
            summary = record["summary"]
            continue
        index = record["index"]
        label = None
        if clip.labels is not None and index < len(clip.labels):
            label = model.class_index(clip.labels[index])
        samples.append(
            FrameSample(
                index=index,
                warmup=record["warmup"],
                decode_ms=record["decode_ms"],
                preprocess_ms=record["preprocess_ms"],
                infer_ms=record["infer_ms"],
                postprocess_ms=record["postprocess_ms"],
                total_ms=record["total_ms"],
                predicted=record["predicted"],
                label=label,
            )
        )
    if summary is None:
        raise ModelError(f"the harness stopped before the end of {clip.name}: no summary line")
    return Replay(samples, summary)


def score(
    base: JobResult, replay: Replay, power: PowerReading | None, budgets: Budgets, model: ModelUnderTest
) -> JobResult:
    timed = [s for s in replay.samples if not s.warmup]
    stats = latency_stats([s.total_ms for s in timed])
    busy_s = sum(s.total_ms for s in timed) / 1000.0
    fps = len(timed) / busy_s if busy_s > 0 else None
    labelled = model.card is not None and any(s.label is not None for s in replay.samples)
    accuracy = None
    classes: dict[str, dict[str, float | None]] = {}
    if labelled and model.card is not None:
        predicted = [s.predicted for s in replay.samples]
        truth = [s.label for s in replay.samples]
        accuracy = frame_accuracy(predicted, truth)
        classes = per_class(predicted, truth, model.card.classes)
    power_w = energy_mj = None
    if power is not None:
        measured = energy(power.total_mw, power.interval_s, len(replay.samples))
        if measured is not None:
            power_w, energy_mj = measured.mean_w, measured.energy_mj_per_frame
    memory = replay.summary.get("peak_rss_mb")
    verdict = verdicts(budgets, stats, power_w, memory, accuracy)
    return base.model_copy(
        update={
            "status": "fail" if verdict.failed() else "pass",
            "accuracy": accuracy,
            "latency_ms": stats,
            "fps": fps,
            "power_w": power_w,
            "power_source": power.source if power is not None and power_w is not None else None,
            "energy_mj_per_frame": energy_mj,
            "memory_peak_mb": memory,
            "budgets": verdict,
            "frames": len(replay.samples),
            "warmup_frames": len(replay.samples) - len(timed),
            "per_class": classes,
            "error": ("over budget: " + ", ".join(verdict.failed())) if verdict.failed() else None,
            "stage": "score" if verdict.failed() else None,
        }
    )
