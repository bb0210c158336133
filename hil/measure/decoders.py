"""Decode one frame's raw outputs into what scoring needs, from a task spec that is plain data.

The one decoder of detection boxes, landmark points and regression values, used by host evaluation
(hil.measure.tasks) and by board runs: this module, hil/measure/detection.py and hil/measure/landmarks.py
travel in the harness bundle (hil.harness.bundle) as `hil/measure/*.py` beside the harness, which decodes
each frame on the board and writes only the result into its JSON lines. So it must stay standard library
and numpy only, and import nothing from hil but those two modules.

A task spec is the card's task section as JSON (hil.measure.tasks.task_spec): {"task", "classes",
"input_size": [W, H], and "detection" | "landmarks" | "regression": the card section's fields}. Decoded
frames (JSON-ready, coordinates in pixels of the clip's frame):

- detection: {"boxes": [[x1, y1, x2, y2, class name, score], ...]} after per-class NMS, best first, every
  score kept (AP needs them all; the card's score threshold is applied when scoring);
- landmarks: {"points": [[x, y], ...]} in the card's point order;
- regression: {"values": [v, ...]} in the card's target order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from hil.measure.detection import decode
from hil.measure.landmarks import decode_points

TASKS = ("detection", "landmarks", "regression")


def decode_frame(
    spec: Mapping[str, Any], outputs: Mapping[str, np.ndarray], frame_size: tuple[int, int]
) -> dict[str, Any]:
    """One frame's decoded result (see the module doc); `frame_size` is the clip frame's (width, height)."""
    task = spec["task"]
    input_size = (int(spec["input_size"][0]), int(spec["input_size"][1]))
    if task == "detection":
        d = spec["detection"]
        boxes = decode(
            outputs,
            boxes=d["boxes"],
            scores=d["scores"],
            classes=list(spec["classes"]),
            labels=d.get("labels"),
            box_format=d.get("box_format", "xyxy"),
            normalized=bool(d.get("normalized", True)),
            input_size=input_size,
            frame_size=frame_size,
            min_score=0.0,
            nms_iou=float(d.get("nms_iou", 0.45)),
            max_detections=int(d.get("max_detections", 100)),
        )
        return {"boxes": [[b.x1, b.y1, b.x2, b.y2, b.label, b.score] for b in boxes]}
    if task == "landmarks":
        lm = spec["landmarks"]
        points = decode_points(
            outputs[lm["output"]],
            len(lm["points"]),
            normalized=bool(lm.get("normalized", True)),
            input_size=input_size,
            frame_size=frame_size,
        )
        return {"points": [[float(x), float(y)] for x, y in points]}
    if task == "regression":
        rg = spec["regression"]
        flat = np.asarray(outputs[rg["output"]], dtype=np.float64).reshape(-1)
        if flat.size != len(rg["targets"]):
            raise ValueError(
                f"the output {rg['output']} has {flat.size} values; the card names {len(rg['targets'])}"
            )
        return {"values": [float(v) for v in flat]}
    raise ValueError(f"no decoder for task {task!r} (decoded tasks: {', '.join(TASKS)})")


def rounded(decoded: Mapping[str, Any], digits: int = 4) -> dict[str, Any]:
    """The decoded frame with its numbers rounded for transport: coordinates to 1e-4 pixel (far below any
    labelling error), scores and values to 6 digits."""
    out: dict[str, Any] = {}
    for key, value in decoded.items():
        if key == "boxes":
            out[key] = [
                [*(round(float(c), digits) for c in b[:4]), b[4], round(float(b[5]), 6)] for b in value
            ]
        elif key == "points":
            out[key] = [[round(float(x), digits), round(float(y), digits)] for x, y in value]
        else:
            out[key] = [round(float(v), 6) for v in value]
    return out
