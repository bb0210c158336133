"""Task results (detection, landmarks) round-trip through the store: task, task_metrics, box parity, and the
history rows that show them; the history verdict of such results judges what exists."""

from __future__ import annotations

from hil.records import OutputParity, ParityResult
from hil.store import Store
from tests.unit.store.conftest import MakeFrames, MakeResult

METRICS = {
    "map50": 0.9125,
    "f1": 0.875,
    "per_class": {"face": {"precision": 1.0, "recall": 0.75, "f1": 0.857, "ap50": 0.9125, "tp": 3, "fp": 0,
                           "fn": 1, "truth": 4}},
    "frames": 24,
}  # fmt: skip


def test_task_metrics_and_box_parity_round_trip(
    store: Store, make_result: MakeResult, frames: MakeFrames
) -> None:
    store.begin_run("r1", inventory="sim", argv=[])
    parity = ParityResult(
        frames=8,
        outputs={"boxes": OutputParity(max_abs=0.01, mean_abs=0.002, cosine=0.9999, top1_agreement=None)},
        boxes={"pairs": 8, "mean_iou": 0.99, "mean_score_diff": 0.001, "unpaired_reference": 0,
               "unpaired_other": 0},
    )  # fmt: skip
    det = make_result(model="dms-face", accuracy=None, per_class={}, task="detection", task_metrics=METRICS,
                      parity=parity)  # fmt: skip
    marks = make_result(model="dms-eyes", accuracy=None, per_class={}, task="landmarks", task_metrics=None)
    store.record_job("r1", det, frames(5), [])
    store.record_job("r1", marks, frames(5), [])
    assert store.run_results("r1") == [det, marks]
    rows = {r.model: r for r in store.history()}
    assert rows["dms-face"].task == "detection" and rows["dms-face"].task_metrics == METRICS
    assert rows["dms-eyes"].task == "landmarks" and rows["dms-eyes"].task_metrics is None
    assert rows["dms-face"].accuracy is None
