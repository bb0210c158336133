"""Where the clip generator draws the face, the eyes and the phone: one geometry for pixels and labels.

`hil.artifacts.clipgen` renders with these functions, and `object_labels` turns the same quantities into
per-frame object labels, so boxes and points are exact by construction (from the script, not the pixels):

- `face` (object 0): the box around the facial skin region (the face ellipse, clipped by the head
  outline), every frame the face is in view;
- `phone` (object 1): the box around the phone while one is in the driver's hand (call or texting);
- 12 eye points on the face object, `left_eye_p1`..`left_eye_p6` and `right_eye_p1`..`right_eye_p6`
  (the driver's own left and right: the left eye is on the image's right). Per eye in the order of the eye
  aspect ratio: p1, p4 the corners (p1 on the image's left), p2, p3 on the upper lid, p6, p5 below them on
  the lower lid. The lids follow the script's openness, so they meet as the eye closes and the EAR of the
  truth points falls with it. An eye turned away from the camera (not drawn) has no points.

Coordinates are pixels of the output frame (size x size) with (0, 0) its top-left corner and (size, size)
its bottom-right one: a canvas point c (256 x 256, pixel centres at integers) is at (c + 0.5) * size / 256.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import cv2
import numpy as np

from hil.artifacts.openlabel import LabelledObject

if TYPE_CHECKING:
    from hil.artifacts.clipgen import Driver, Script

CANVAS = 256
EAR_ORDER = ("p1", "p2", "p3", "p4", "p5", "p6")
EYE_POINTS = tuple(f"{eye}_eye_{p}" for eye in ("left", "right") for p in EAR_ORDER)
FACE_ID, PHONE_ID = "0", "1"

Proj = Callable[[float, float, float], tuple[float, float, float]]
RotatedRect = tuple[tuple[float, float], tuple[float, float], float]


def head_projector(d: Driver, s: Script, i: int) -> tuple[float, Proj]:
    """(head half width in canvas pixels, projection of head coordinates to the canvas) for frame i."""
    a = d.a * s.scale[i]
    hx, hy = d.cx + s.dx[i], d.cy + s.dy[i]
    yw, pt, rl = np.radians([s.yaw[i], s.pitch[i], s.roll[i]])

    def proj(x: float, y: float, z: float) -> tuple[float, float, float]:
        x1, z1 = x * np.cos(yw) + z * np.sin(yw), -x * np.sin(yw) + z * np.cos(yw)
        y2, z2 = y * np.cos(pt) + z1 * np.sin(pt), -y * np.sin(pt) + z1 * np.cos(pt)
        u, v = x1 * np.cos(rl) - y2 * np.sin(rl), x1 * np.sin(rl) + y2 * np.cos(rl)
        return hx + a * u, hy + a * v, z2

    return a, proj


def eye_facing(s: Script, i: int, side: int) -> float:
    """How much the eye on image side `side` (-1 left, +1 right) faces the camera; drawn when >= 0.2."""
    yw, pt = np.radians([s.yaw[i], s.pitch[i]])
    return float(np.cos(yw + side * 0.35) * np.cos(pt))


def hand_positions(d: Driver, s: Script, i: int, a: float, proj: Proj) -> dict[int, tuple[float, float]]:
    """Hands that left the wheel (image side -> canvas position) in frame i."""
    wheel = wheel_grips(d)
    mode, h = int(s.phone[i]), float(s.hand[i])
    moving: dict[int, tuple[float, float]] = {}
    if mode in (1, 2):
        side = -1 if mode == 1 else 1
        ex, ey, _ = proj(side * 0.95, 0.25, 0.1)
        moving[side] = (wheel[side][0] + (ex + side * 0.15 * a - wheel[side][0]) * h,
                        wheel[side][1] + (ey + 0.3 * a - wheel[side][1]) * h)  # fmt: skip
    elif mode == 3:
        for side in (-1, 1):
            moving[side] = (wheel[side][0] + (d.cx + side * 22 - wheel[side][0]) * h, 236 - 30 * h)
    elif s.hand_face[i]:
        side = d.touch_side
        tx, ty, _ = proj(side * 0.25, 0.8, 0.8)
        wx, wy = wheel[side]
        moving[side] = (wx + (tx - wx) * h, wy + (ty - wy) * h)
    return moving


def wheel_grips(d: Driver) -> dict[int, tuple[float, float]]:
    off = d.cx - 128
    return {-1: (62 + off, 236.0), 1: (194 + off, 236.0)}


def phone_rect(
    d: Driver, s: Script, i: int, a: float, moving: dict[int, tuple[float, float]]
) -> RotatedRect | None:
    """The phone's rotated rectangle on the canvas (OpenCV RotatedRect), or None without a phone."""
    mode, h = int(s.phone[i]), float(s.hand[i])
    if mode in (1, 2):
        side = -1 if mode == 1 else 1
        x, y = moving[side]
        return (x - side * 0.18 * a, y - 0.3 * a), (a * 0.24, a * 0.7), float(-side * 15)
    if mode == 3:
        return (d.cx, 236 - 36 * h), (a * 0.62, a * 0.36), 0.0
    return None


def _ellipse_bounds(
    cx: float, cy: float, ax: float, ay: float, deg: float
) -> tuple[float, float, float, float]:
    t = np.radians(deg)
    hw = float(np.hypot(ax * np.cos(t), ay * np.sin(t)))
    hh = float(np.hypot(ax * np.sin(t), ay * np.cos(t)))
    return cx - hw, cy - hh, cx + hw, cy + hh


def _to_frame(box: tuple[float, float, float, float], size: int) -> tuple[float, float, float, float] | None:
    """A canvas box as an output-frame box clipped to the frame; None when under one pixel remains."""
    k = size / CANVAS
    x1, y1, x2, y2 = (float(min(max((v + 0.5) * k, 0.0), size)) for v in box)
    return (x1, y1, x2, y2) if x2 - x1 >= 1.0 and y2 - y1 >= 1.0 else None


def face_box(d: Driver, s: Script, i: int, size: int) -> tuple[float, float, float, float] | None:
    a, proj = head_projector(d, s, i)
    yw, pt = np.radians([s.yaw[i], s.pitch[i]])
    deg = float(s.roll[i])
    fx, fy, _ = proj(0, 0.18, 0.55)
    axes = (a * 0.88 * (0.5 + 0.5 * np.cos(yw)), a * 1.12 * (0.8 + 0.2 * np.cos(pt)))
    skin = _ellipse_bounds(fx, fy, axes[0], axes[1], deg)
    head = _ellipse_bounds(d.cx + s.dx[i], d.cy + s.dy[i], a * 1.04, a * 1.3, deg)
    both = (max(skin[0], head[0]), max(skin[1], head[1]), min(skin[2], head[2]), min(skin[3], head[3]))
    return _to_frame(both, size)


def eye_points(d: Driver, s: Script, i: int, size: int) -> dict[str, tuple[float, float]]:
    """The 12 named eye points of frame i (see the module doc), in output-frame pixels."""
    a, proj = head_projector(d, s, i)
    pt = np.radians(s.pitch[i])
    t = np.radians(float(s.roll[i]))
    cos_t, sin_t = float(np.cos(t)), float(np.sin(t))
    k = size / CANVAS
    out: dict[str, tuple[float, float]] = {}
    for side, eye in ((1, "left"), (-1, "right")):
        facing = eye_facing(s, i, side)
        if facing < 0.2:
            continue
        ex, ey, _ = proj(side * 0.36, -0.02, 0.9)
        ew = a * 0.2 * facing
        eh = a * 0.12 * float(s.openness[i]) * (0.6 + 0.4 * float(np.cos(pt)))
        lid = eh * np.sqrt(0.75)  # the lid height above/below the points at a quarter of the eye width
        local = [
            (-ew, 0.0),
            (-0.5 * ew, -lid),
            (0.5 * ew, -lid),
            (ew, 0.0),
            (0.5 * ew, lid),
            (-0.5 * ew, lid),
        ]
        for name, (u, v) in zip(EAR_ORDER, local, strict=True):
            x, y = ex + u * cos_t - v * sin_t, ey + u * sin_t + v * cos_t
            out[f"{eye}_eye_{name}"] = (float((x + 0.5) * k), float((y + 0.5) * k))
    return out


def object_labels(d: Driver, s: Script, size: int) -> list[list[LabelledObject]]:
    """Per frame: the face (box and eye points) and the phone, as far as they are in view."""
    frames: list[list[LabelledObject]] = []
    for i in range(s.n):
        objects: list[LabelledObject] = []
        face = face_box(d, s, i, size)
        if face is not None:
            points = {n: p for n, p in eye_points(d, s, i, size).items() if _inside(p, size)}
            objects.append(LabelledObject(FACE_ID, "face", face, points))
        a, proj = head_projector(d, s, i)
        rect = phone_rect(d, s, i, a, hand_positions(d, s, i, a, proj))
        if rect is not None:
            corners = cv2.boxPoints(rect)
            box = _to_frame((float(corners[:, 0].min()), float(corners[:, 1].min()),
                             float(corners[:, 0].max()), float(corners[:, 1].max())), size)  # fmt: skip
            if box is not None:
                objects.append(LabelledObject(PHONE_ID, "phone", box, {}))
        frames.append(objects)
    return frames


def _inside(p: tuple[float, float], size: int) -> bool:
    return 0.0 <= p[0] <= size and 0.0 <= p[1] <= size
