"""Detection metrics against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from hil.measure.detection import (
    Box,
    average_precision,
    box_parity,
    decode,
    detection_metrics,
    iou,
    iou_matrix,
    match,
    nms,
    to_xyxy,
)


def face(x1: float, y1: float, x2: float, y2: float, score: float = 1.0, label: str = "face") -> Box:
    return Box(x1, y1, x2, y2, label, score)


# -- IoU edge cases -------------------------------------------------------------------------------------


def test_iou_of_identical_disjoint_touching_and_contained_boxes() -> None:
    a = face(0, 0, 10, 10)
    assert iou(a, face(0, 0, 10, 10)) == 1.0
    assert iou(a, face(20, 20, 30, 30)) == 0.0
    assert iou(a, face(10, 0, 20, 10)) == 0.0  # sharing an edge is no overlap
    assert iou(a, face(10, 10, 20, 20)) == 0.0  # nor is sharing a corner
    assert iou(a, face(0, 0, 5, 10)) == pytest.approx(0.5)  # contained: 50 / 100
    assert iou(a, face(5, 0, 15, 10)) == pytest.approx(50 / 150)  # half shifted: 50 / (100 + 100 - 50)


def test_iou_of_zero_area_and_inverted_boxes_is_zero_not_nan() -> None:
    assert iou(face(5, 5, 5, 5), face(5, 5, 5, 5)) == 0.0
    assert iou(face(0, 0, 10, 0), face(0, 0, 10, 10)) == 0.0
    assert iou(face(10, 10, 0, 0), face(0, 0, 10, 10)) == 0.0
    assert iou_matrix(np.zeros((0, 4)), np.ones((3, 4))).shape == (0, 3)


def test_box_formats_convert_to_corners() -> None:
    assert to_xyxy(np.array([[10, 20, 30, 40]]), "xywh").tolist() == [[10, 20, 40, 60]]
    assert to_xyxy(np.array([[10, 20, 4, 6]]), "cxcywh").tolist() == [[8, 17, 12, 23]]
    with pytest.raises(ValueError, match="unknown box format"):
        to_xyxy(np.zeros((1, 4)), "yolo")


# -- NMS and decoding ------------------------------------------------------------------------------------


def test_nms_keeps_the_best_of_overlapping_boxes_and_distinct_ones() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30], [0, 0, 10, 10]], dtype=float)
    scores = np.array([0.8, 0.9, 0.5, 0.8])
    # box 1 (0.9) suppresses 0 and 3 (IoU 90/110 = 0.82 > 0.45); box 2 is far away
    assert nms(boxes, scores, 0.45) == [1, 2]
    assert nms(boxes, scores, 0.95) == [1, 0, 2]  # 0 and 3 are identical: IoU 1 > 0.95, 3 goes
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5) == []


def test_decode_scales_normalised_boxes_to_the_frame_and_applies_per_class_nms() -> None:
    outputs = {
        "boxes": np.array([[[0.1, 0.1, 0.5, 0.5], [0.12, 0.1, 0.52, 0.5], [0.6, 0.6, 0.9, 0.9]]]),
        "scores": np.array([[[0.9, 0.1], [0.1, 0.8], [0.3, 0.05]]]),  # [1, K, C]
    }
    found = decode(outputs, boxes="boxes", scores="scores", classes=["face", "phone"], frame_size=(200, 100))
    assert [(b.label, round(b.score, 2)) for b in found] == [("face", 0.9), ("phone", 0.8), ("face", 0.3)]
    assert (found[0].x1, found[0].y1, found[0].x2, found[0].y2) == pytest.approx((20, 10, 100, 50))
    # the phone box overlaps the face box heavily but is another class: NMS is per class
    high = decode(outputs, boxes="boxes", scores="scores", classes=["face", "phone"], min_score=0.5)
    assert len(high) == 2


def test_decode_pixel_boxes_with_a_label_output_and_xywh() -> None:
    outputs = {"b": np.array([[16, 8, 32, 16]]), "s": np.array([0.7]), "c": np.array([1])}
    found = decode(
        outputs, boxes="b", scores="s", labels="c", classes=["face", "hand"], box_format="xywh",
        normalized=False, input_size=(64, 32), frame_size=(128, 96),
    )  # fmt: skip
    assert found == [Box(32, 24, 96, 72, "hand", 0.7)]
    with pytest.raises(ValueError, match="outside the card's 2 classes"):
        decode({**outputs, "c": np.array([5])}, boxes="b", scores="s", labels="c", classes=["face", "hand"])


# -- matching, AP, P/R/F1 ----------------------------------------------------------------------------------


def test_matching_is_greedy_by_score_and_one_truth_per_detection() -> None:
    truth = [face(0, 0, 10, 10)]
    dets = [face(0, 0, 10, 10, 0.6), face(1, 0, 11, 10, 0.9)]
    # the 0.9 box comes first (IoU 0.82) and takes the truth; the exact 0.6 box is then a duplicate
    assert match(dets, truth, 0.5) == [False, True]
    assert match([face(0, 0, 10, 10, label="phone")], truth, 0.5) == [False]  # wrong class


def test_ap_all_point_interpolation_by_hand() -> None:
    # 3 truths; ranked: TP, FP, TP, FP -> precision 1, .5, .667, .5 at recall 1/3, 1/3, 2/3, 2/3
    # envelope: recall 0..1/3 at 1.0, 1/3..2/3 at 0.667 -> AP = 1/3 * 1 + 1/3 * 2/3 = 0.5556
    scored = [(0.9, True), (0.8, False), (0.7, True), (0.6, False)]
    assert average_precision(scored, 3) == pytest.approx(1 / 3 + (1 / 3) * (2 / 3))
    assert average_precision([(0.5, True)], 1) == 1.0
    assert average_precision([], 2) == 0.0  # truth, no predictions
    assert average_precision([(0.5, False)], 0) is None  # no truth: undefined


def test_metrics_with_no_predictions_no_truth_and_a_crowded_frame() -> None:
    truth = [
        [face(0, 0, 10, 10), face(20, 0, 30, 10), face(40, 0, 50, 10)],  # crowded: three faces
        [],  # nothing there
        [face(0, 0, 10, 10)],  # a face the model misses
    ]
    predicted = [
        [
            face(0, 0, 10, 10, 0.9),
            face(21, 0, 31, 10, 0.8),
            face(60, 0, 70, 10, 0.7),
            face(40, 0, 50, 10, 0.3),
        ],
        [face(0, 0, 10, 10, 0.95)],  # a false alarm on an empty frame
        [],
    ]
    m = detection_metrics(predicted, truth, ["face", "phone"], score_threshold=0.5, match_iou=0.5)
    per = m["per_class"]
    assert isinstance(per, dict)
    f = per["face"]
    # at 0.5: TP = 2 (0.9, 0.8), FP = 2 (0.7 astray, 0.95 on the empty frame), FN = 2 (0.3 face, frame 2)
    assert (f["tp"], f["fp"], f["fn"], f["truth"]) == (2, 2, 2, 4)
    assert f["precision"] == 0.5 and f["recall"] == 0.5 and f["f1"] == pytest.approx(0.5)
    # AP over every score: ranked .95 F, .9 T, .8 T, .7 F, .3 T with 4 truths
    # precision at each TP: 1/2, 2/3, 3/5; recall step 1/4; envelope .667 .667 .6
    assert f["ap50"] == pytest.approx(0.25 * (2 / 3 + 2 / 3 + 0.6))
    assert per["phone"] == {
        "precision": None, "recall": None, "f1": None, "ap50": None, "tp": 0, "fp": 0, "fn": 0, "truth": 0
    }  # fmt: skip
    assert m["map50"] == f["ap50"]  # phone has no truth: left out of the mean


def test_predictions_without_truth_score_zero_f1_and_no_ap() -> None:
    m = detection_metrics([[face(0, 0, 1, 1, 0.9)]], [[]], ["face"], 0.5)
    per = m["per_class"]
    assert isinstance(per, dict)
    assert per["face"]["precision"] == 0.0 and per["face"]["recall"] is None and per["face"]["f1"] == 0.0
    assert per["face"]["ap50"] is None and m["map50"] is None
    with pytest.raises(ValueError, match="frames"):
        detection_metrics([[]], [[], []], ["face"], 0.5)


def test_box_parity_pairs_boxes_by_iou_between_precisions() -> None:
    fp32 = [[face(0, 0, 10, 10, 0.9), face(20, 20, 30, 30, 0.8)], [face(0, 0, 10, 10, 0.7)]]
    int8 = [[face(0, 0, 10, 10, 0.85), face(22, 20, 32, 30, 0.8)], [face(50, 50, 60, 60, 0.6)]]
    p = box_parity(fp32, int8)
    assert p["pairs"] == 2
    assert p["mean_iou"] == pytest.approx((1.0 + 80 / 120) / 2)
    assert p["mean_score_diff"] == pytest.approx(0.025)
    assert (p["unpaired_reference"], p["unpaired_other"]) == (1, 1)
