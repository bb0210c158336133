"""The board-side NMS (vectorised, with an early stop) keeps exactly what the greedy rule keeps."""

from __future__ import annotations

import numpy as np

from hil.measure.detection import iou_matrix, nms


def _greedy(boxes: np.ndarray, scores: np.ndarray, threshold: float) -> list[int]:
    """The rule as the module doc states it, brute force: best score first (ties: earlier box), a box is
    kept unless it overlaps a kept one with IoU > threshold."""
    overlaps = iou_matrix(boxes, boxes)
    kept: list[int] = []
    for i in sorted(range(len(scores)), key=lambda i: (-float(scores[i]), i)):
        if all(overlaps[i, k] <= threshold for k in kept):
            kept.append(i)
    return kept


def test_vectorised_nms_equals_the_greedy_rule_and_its_limit_is_a_prefix() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        k = int(rng.integers(0, 40))
        boxes = rng.uniform(0, 1, (k, 4))
        boxes[:, 2:] = boxes[:, :2] + rng.uniform(-0.1, 0.5, (k, 2))  # some inverted: zero area
        scores = rng.integers(0, 5, k).astype(float)  # many ties
        expected = _greedy(boxes, scores, 0.45)
        assert nms(boxes, scores, 0.45) == expected
        assert nms(boxes, scores, 0.45, limit=5) == expected[:5]
