"""Frame-level accuracy and per-class precision/recall of predicted class indices against labels."""

from __future__ import annotations

from collections.abc import Sequence


def frame_accuracy(predicted: Sequence[int | None], truth: Sequence[int | None]) -> float | None:
    pairs = [(p, t) for p, t in zip(predicted, truth, strict=False) if t is not None]
    if not pairs:
        return None
    return sum(1 for p, t in pairs if p == t) / len(pairs)


def per_class(
    predicted: Sequence[int | None], truth: Sequence[int | None], classes: Sequence[str]
) -> dict[str, dict[str, float | None]]:
    """precision, recall and support of each class; None where a ratio has no denominator."""
    out: dict[str, dict[str, float | None]] = {}
    pairs = [(p, t) for p, t in zip(predicted, truth, strict=False) if t is not None]
    for k, name in enumerate(classes):
        tp = sum(1 for p, t in pairs if p == k and t == k)
        fp = sum(1 for p, t in pairs if p == k and t != k)
        fn = sum(1 for p, t in pairs if p != k and t == k)
        out[name] = {
            "precision": tp / (tp + fp) if tp + fp else None,
            "recall": tp / (tp + fn) if tp + fn else None,
            "support": float(tp + fn),
        }
    return out
