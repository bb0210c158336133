"""Detection: decoding boxes, NMS, and per-class precision / recall / F1 / AP, plus box parity between runs.

Pure numpy, one implementation for host evaluation and board runs. Boxes are `[x1, y1, x2, y2]` in pixels of
the clip's frame (x to the right, y down); a box of zero width or height has zero area and overlaps nothing.

Rules (as detection benchmarks count them):
- A detection is a true positive when it overlaps a not yet matched truth box of its class with
  IoU >= `match_iou`; detections are matched greedily, highest score first, each truth box at most once.
  Every other detection is a false positive; every truth box left unmatched is a false negative.
- Precision, recall and F1 count the detections with score >= the card's score threshold.
  F1 = 2TP / (2TP + FP + FN): 0 when there is truth or a detection but no match, None when there is neither.
- AP at IoU 0.5 is the area under the precision-recall curve with all-point interpolation (PASCAL VOC 2010
  on): detections of every score, sorted by score, precision made monotone from the right, summed over
  each recall step. None for a class without truth boxes (undefined), 0.0 when truth has no detection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

BoxFormat = str  # "xyxy" | "xywh" | "cxcywh"


@dataclass(frozen=True)
class Box:
    """A ground-truth box (`label` is the class name) or a detection (with its `score`)."""

    x1: float
    y1: float
    x2: float
    y2: float
    label: str
    score: float = 1.0

    def array(self) -> np.ndarray:
        return np.array([self.x1, self.y1, self.x2, self.y2], dtype=np.float64)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in `a` ([N, 4] xyxy) with every box in `b` ([M, 4]) -> [N, M]. Boxes that only touch,
    and boxes of zero area, have IoU 0; inverted corners count as zero area."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    if a.size == 0 or b.size == 0:
        return np.zeros((a.shape[0], b.shape[0]))
    w = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    h = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = w * h

    def area(x: np.ndarray) -> np.ndarray:
        return np.clip(x[:, 2] - x[:, 0], 0, None) * np.clip(x[:, 3] - x[:, 1], 0, None)

    union = area(a)[:, None] + area(b)[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return out


def iou(a: Box, b: Box) -> float:
    return float(iou_matrix(a.array()[None], b.array()[None])[0, 0])


def to_xyxy(boxes: np.ndarray, box_format: BoxFormat) -> np.ndarray:
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if box_format == "xyxy":
        return boxes.copy()
    if box_format == "xywh":
        return np.stack([boxes[:, 0], boxes[:, 1], boxes[:, 0] + boxes[:, 2], boxes[:, 1] + boxes[:, 3]], 1)
    if box_format == "cxcywh":
        half_w, half_h = boxes[:, 2] / 2, boxes[:, 3] / 2
        return np.stack(
            [boxes[:, 0] - half_w, boxes[:, 1] - half_h, boxes[:, 0] + half_w, boxes[:, 1] + half_h], 1
        )
    raise ValueError(f"unknown box format {box_format!r} (xyxy, xywh, cxcywh)")


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, limit: int | None = None) -> list[int]:
    """Greedy non-maximum suppression: indices kept, best score first; a box overlapping a kept one with
    IoU > iou_threshold is dropped. Ties in score keep the earlier box. With `limit`, stop after that many
    (the boxes kept are then the first `limit` of the full result: it runs on boards, per frame, on
    detectors with thousands of candidate boxes, so each kept box costs one vectorised IoU row)."""
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    ordered = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = (ordered[order, k] for k in range(4))
    area = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    alive = np.ones(len(order), dtype=bool)
    kept: list[int] = []
    for pos in range(len(order)):
        if not alive[pos]:
            continue
        kept.append(int(order[pos]))
        if limit is not None and len(kept) >= limit:
            break
        rest = slice(pos + 1, None)  # IoU of this box with every later one (as iou_matrix computes it)
        w = np.clip(np.minimum(x2[pos], x2[rest]) - np.maximum(x1[pos], x1[rest]), 0, None)
        h = np.clip(np.minimum(y2[pos], y2[rest]) - np.maximum(y1[pos], y1[rest]), 0, None)
        inter = w * h
        union = area[pos] + area[rest] - inter
        overlap = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        alive[rest] &= overlap <= iou_threshold
    return kept


def decode(
    outputs: Mapping[str, np.ndarray],
    *,
    boxes: str,
    scores: str,
    classes: Sequence[str],
    labels: str | None = None,
    box_format: BoxFormat = "xyxy",
    normalized: bool = True,
    input_size: tuple[int, int] = (1, 1),
    frame_size: tuple[int, int] = (1, 1),
    min_score: float = 0.0,
    nms_iou: float = 0.45,
    max_detections: int = 100,
) -> list[Box]:
    """One frame's detections from the model's raw outputs, in frame pixels, after per-class NMS.

    `boxes` names a [1, K, 4] or [K, 4] output; `scores` a [1, K] / [K] output (with `labels` naming the
    class-id output, or one class) or a [1, K, C] / [K, C] output (a score per class: each box takes its
    best class). Coordinates are fractions of the input (`normalized`) or input pixels; the frame was
    resized to the input whole, so x scales by frame width / input width and y by the heights.
    `input_size` and `frame_size` are (width, height).
    """
    raw = to_xyxy(np.asarray(outputs[boxes]).reshape(-1, 4), box_format)
    s = np.asarray(outputs[scores], dtype=np.float64)
    s = s.reshape(raw.shape[0], -1) if s.size else np.zeros((raw.shape[0], 1))
    if s.shape[1] > 1:
        ids, best = s.argmax(axis=1), s.max(axis=1)
    elif labels is not None:
        ids, best = np.asarray(outputs[labels]).reshape(-1).astype(int), s[:, 0]
    else:
        ids, best = np.zeros(raw.shape[0], dtype=int), s[:, 0]
    if len(ids) != raw.shape[0]:
        raise ValueError(f"{raw.shape[0]} boxes but {len(ids)} class ids")
    fw, fh = frame_size
    iw, ih = input_size
    sx, sy = (fw, fh) if normalized else (fw / iw, fh / ih)
    scaled = raw * np.array([sx, sy, sx, sy])
    found: list[Box] = []
    for cls in sorted(set(ids.tolist())):
        if not 0 <= cls < len(classes):
            raise ValueError(f"class id {cls} is outside the card's {len(classes)} classes")
        idx = np.nonzero((ids == cls) & (best >= min_score))[0]
        # A class keeps at most max_detections: the frame's best max_detections are among them.
        keep = nms(scaled[idx], best[idx], nms_iou, max_detections)
        for k in keep:
            x1, y1, x2, y2 = (float(v) for v in scaled[idx[k]])
            found.append(Box(x1, y1, x2, y2, classes[cls], float(best[idx[k]])))
    found.sort(key=lambda b: -b.score)
    return found[:max_detections]


def match(detections: Sequence[Box], truth: Sequence[Box], match_iou: float) -> list[bool]:
    """Per detection (in the given order), whether it is a true positive (see the module doc)."""
    order = sorted(range(len(detections)), key=lambda i: -detections[i].score)
    used: set[int] = set()
    tp = [False] * len(detections)
    for i in order:
        det = detections[i]
        best, best_iou = -1, match_iou
        for j, gt in enumerate(truth):
            if j in used or gt.label != det.label:
                continue
            overlap = iou(det, gt)
            if overlap >= best_iou and (best < 0 or overlap > best_iou):
                best, best_iou = j, overlap
        if best >= 0:
            used.add(best)
            tp[i] = True
    return tp


def average_precision(scored: Sequence[tuple[float, bool]], n_truth: int) -> float | None:
    """All-point interpolated AP from (score, is true positive) of every detection of one class."""
    if n_truth == 0:
        return None
    if not scored:
        return 0.0
    ranked = sorted(scored, key=lambda x: -x[0])
    hits = np.array([1.0 if tp else 0.0 for _, tp in ranked])
    tp_cum = np.cumsum(hits)
    precision = tp_cum / np.arange(1, len(ranked) + 1)
    recall = tp_cum / n_truth
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    steps = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def detection_metrics(
    predicted: Sequence[Sequence[Box]],
    truth: Sequence[Sequence[Box]],
    classes: Sequence[str],
    score_threshold: float,
    match_iou: float = 0.5,
) -> dict[str, object]:
    """Per class precision/recall/F1 (at the score threshold) and AP (every score), over aligned frames;
    `map` is the mean AP over the classes that have truth boxes (None when none has)."""
    if len(predicted) != len(truth):
        raise ValueError(f"{len(predicted)} frames of detections but {len(truth)} frames of truth")
    per_class: dict[str, dict[str, float | int | None]] = {}
    for cls in classes:
        scored: list[tuple[float, bool]] = []
        tp = fp = n_truth = 0
        for dets, gts in zip(predicted, truth):
            mine = [d for d in dets if d.label == cls]
            theirs = [g for g in gts if g.label == cls]
            n_truth += len(theirs)
            scored += [(d.score, hit) for d, hit in zip(mine, match(mine, theirs, match_iou))]
            kept = [d for d in mine if d.score >= score_threshold]
            hits = match(kept, theirs, match_iou)
            tp += sum(hits)
            fp += len(hits) - sum(hits)
        fn = n_truth - tp
        per_class[cls] = {
            "precision": _ratio(tp, tp + fp),
            "recall": _ratio(tp, n_truth),
            "f1": _ratio(2 * tp, 2 * tp + fp + fn),
            "ap50": average_precision(scored, n_truth),
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "truth": n_truth,
        }
    aps = [float(m["ap50"]) for m in per_class.values() if m["ap50"] is not None]
    f1s = [float(m["f1"]) for m in per_class.values() if m["f1"] is not None]
    return {
        "map50": sum(aps) / len(aps) if aps else None,
        "f1": sum(f1s) / len(f1s) if f1s else None,
        "per_class": per_class,
    }


def box_parity(
    reference: Sequence[Sequence[Box]], other: Sequence[Sequence[Box]], match_iou: float = 0.5
) -> dict[str, float | int | None]:
    """How closely one run's boxes follow a reference run's (e.g. INT8 vs FP32) on the same frames: boxes
    are paired per frame and class greedily by IoU (reference treated as truth, `other` by score);
    mean IoU and mean |score difference| of the pairs, and the boxes left unpaired on either side."""
    if len(reference) != len(other):
        raise ValueError(f"{len(reference)} reference frames but {len(other)} frames to compare")
    ious: list[float] = []
    score_diffs: list[float] = []
    unpaired_ref = unpaired_other = 0
    for ref, oth in zip(reference, other):
        used: set[int] = set()
        for det in sorted(oth, key=lambda b: -b.score):
            best, best_iou = -1, match_iou
            for j, r in enumerate(ref):
                if j in used or r.label != det.label:
                    continue
                overlap = iou(det, r)
                if overlap >= best_iou and (best < 0 or overlap > best_iou):
                    best, best_iou = j, overlap
            if best < 0:
                unpaired_other += 1
                continue
            used.add(best)
            ious.append(best_iou)
            score_diffs.append(abs(det.score - ref[best].score))
        unpaired_ref += len(ref) - len(used)
    return {
        "pairs": len(ious),
        "mean_iou": sum(ious) / len(ious) if ious else None,
        "mean_score_diff": sum(score_diffs) / len(score_diffs) if score_diffs else None,
        "unpaired_reference": unpaired_ref,
        "unpaired_other": unpaired_other,
    }
