"""Procedural near-infrared cabin clips with per-frame ground truth: hil's demo and training data.

A clip is fully determined by its seed: the driver's looks (face, hair, glasses, cap, beard, clothes), a
script of states and nuisances, and the rendering. Ground truth comes from the quantities the frame is
drawn from, never from looking at pixels, so labels are exact by construction:

- `phone` while a phone is in the driver's hand (call at either ear, or texting);
- else `looking_away` while the head points off the road (|yaw| > 20 deg, pitch > 18 deg down or > 15 up),
  both long distractions (2-4 s) and short mirror glances (< 1.5 s);
- else `eyes_closed` while the lids are closed (openness < 0.3), both drowsy closures (1-3 s) and normal
  blinks (3-8 frames, < 0.3 s). A blink is labelled per frame as what it shows, `eyes_closed`; whether a
  closure is drowsiness is an event-level question (>= 1 s, see labels.events), and the OpenLABEL file
  marks every blink as a `blinks/blinking` interval;
- else `attentive`.

Nuisances: lighting (illuminator gain drift, tunnels, sun through the side window, moving shadows), head
and seat motion, sensor noise, hand-to-face occlusion, glasses glare, caps.

Object labels (a face box with 12 eye points, a phone box) come from the same geometry the frames are
drawn with, hil.artifacts.clipobjects, and are written to `.objects.csv` and the OpenLABEL file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from hil.artifacts import openlabel
from hil.artifacts.clipobjects import (
    Proj,
    hand_positions,
    head_projector,
    object_labels,
    phone_rect,
    wheel_grips,
)
from hil.artifacts.frames import write_video
from hil.artifacts.labels import episodes, write_labels, write_objects
from hil.artifacts.openlabel import LabelledObject

FPS = 30
SIZE = 128  # frames are SIZE x SIZE, gray
CLASSES = ("attentive", "eyes_closed", "looking_away", "phone")
CLOSED_BELOW = 0.3  # lid openness under which a frame is eyes_closed
CORE_EVENTS = ("drowsy", "away", "phone")  # come first in every round, so a 20 s clip has all three
EXTRA_EVENTS = ("drowsy", "glance", "hand_face")


@dataclass
class Script:
    """Per-frame physical quantities of one clip, from which frames and labels are both derived."""

    n: int
    openness: np.ndarray
    yaw: np.ndarray
    pitch: np.ndarray
    roll: np.ndarray
    gaze: np.ndarray  # (n, 2) iris offset in eye units
    phone: np.ndarray  # 0 none, 1 call (image-left hand), 2 call (image-right hand), 3 texting
    hand: np.ndarray  # 0 on the wheel .. 1 at the face
    hand_face: np.ndarray  # bool: a hand at the chin/mouth without a phone (occlusion, still attentive)
    blink: np.ndarray  # bool: a closed frame that belongs to a normal blink
    gain: np.ndarray
    side: np.ndarray
    shadow: np.ndarray  # shadow band position 0..1, or -1 for none
    dx: np.ndarray
    dy: np.ndarray
    scale: np.ndarray


@dataclass
class ClipTruth:
    """What a generated clip shows, per frame, and where blinks are."""

    seed: int
    fps: int
    states: list[str]
    blinks: list[tuple[int, int]] = field(default_factory=list)
    phone_kind: list[int] = field(default_factory=list)
    lighting: list[float] = field(default_factory=list)
    objects: list[list[LabelledObject]] = field(default_factory=list)  # per frame: face (eye points), phone


def _ou(rng: np.random.Generator, n: int, sigma: float, tau: float) -> np.ndarray:
    """An Ornstein-Uhlenbeck walk: smooth, bounded-looking random motion with time constant tau frames."""
    x = np.zeros(n, dtype=np.float64)
    a = np.exp(-1.0 / tau)
    noise = rng.normal(0.0, sigma * np.sqrt(1 - a * a), n)
    for i in range(1, n):
        x[i] = a * x[i - 1] + noise[i]
    return x


def _ramp(target: np.ndarray, start: int, end: int, value: float, frames: int) -> None:
    """Move target[start:end] to `value`, with smoothstep ramps of `frames` at both ends."""
    n = len(target)
    for i in range(max(start, 0), min(end, n)):
        k = min(i - start + 1, end - i, frames)
        t = k / frames
        w = t * t * (3 - 2 * t)
        target[i] = (1 - w) * target[i] + w * value


def make_script(rng: np.random.Generator, n: int) -> Script:
    """n frames of driver behaviour and nuisances: attentive stretches of 1.5-3.5 s between events."""
    yaw = np.clip(_ou(rng, n, 4.0, 40), -9, 9)
    pitch = np.clip(_ou(rng, n, 2.5, 40), -5, 5)
    roll = np.clip(_ou(rng, n, 2.5, 60), -6, 6)
    openness = np.clip(0.9 + _ou(rng, n, 0.05, 30), 0.72, 1.0)
    gaze = np.stack([np.clip(_ou(rng, n, 0.15, 15), -0.3, 0.3), np.clip(_ou(rng, n, 0.1, 15), -0.2, 0.2)], 1)
    phone = np.zeros(n, dtype=np.int64)
    hand = np.zeros(n)
    hand_face = np.zeros(n, dtype=bool)
    drowsy = np.zeros(n, dtype=bool)

    i = int(rng.integers(30, 75))
    # Events come from shuffled rounds (popped from the end), so every clip shows each kind of state.
    bag: list[str] = []
    while i < n - 20:
        if not bag:
            bag = [str(k) for k in [*rng.permutation(EXTRA_EVENTS), *rng.permutation(CORE_EVENTS)]]
        kind = bag.pop()
        if kind == "drowsy":
            length = int(rng.integers(30, 91))
            drowsy[i : i + length + 4] = True
            closed = rng.uniform(0.0, 0.1, length)
            seq = np.concatenate([[0.62, 0.48], closed, [0.5, 0.78]])
            openness[i : i + len(seq)] = seq[: max(0, min(len(seq), n - i))]
            _ramp(pitch, i, i + len(seq), float(rng.uniform(5, 12)), 8)
            span = len(seq)
        elif kind in ("away", "glance"):
            length = int(rng.integers(60, 131) if kind == "away" else rng.integers(12, 46))
            if kind == "away":
                target = (float(rng.choice([-1, 1]) * rng.uniform(35, 65)), float(rng.uniform(-4, 6)))
                if rng.random() < 0.3:  # looking down at the console or the lap
                    target = (float(rng.uniform(-15, 15)), float(rng.uniform(26, 36)))
            else:  # mirrors: left, rear-view, right
                target = [(-40.0, 2.0), (32.0, -20.0), (55.0, 2.0)][int(rng.integers(3))]
            ramp = int(rng.integers(3, 6))
            _ramp(yaw, i, i + length, target[0], ramp)
            _ramp(pitch, i, i + length, target[1], ramp)
            gaze[i : i + length, 0] = np.sign(target[0]) * 0.35
            span = length
        elif kind == "phone":
            length = int(rng.integers(75, 181))
            mode = int(rng.integers(1, 4))
            phone[i : i + length] = mode
            _ramp(hand, i, i + length, 1.0, 6)
            if mode == 3:  # texting: head and eyes down at the phone
                _ramp(pitch, i, i + length, float(rng.uniform(9, 14)), 6)
                gaze[i : i + length, 1] = 0.35
                openness[i : i + length] = np.minimum(openness[i : i + length], rng.uniform(0.55, 0.7))
            span = length
        else:  # a hand at the chin: occludes the face, still attentive
            length = int(rng.integers(30, 76))
            hand_face[i : i + length] = True
            _ramp(hand, i, i + length, 1.0, 6)
            span = length
        i += span + int(rng.integers(45, 106))

    blink = np.zeros(n, dtype=bool)
    j = int(rng.integers(20, 120))
    while j < n - 12:
        if not drowsy[max(0, j - 3) : j + 12].any():
            k = int(rng.integers(3, 9))
            seq = np.concatenate([[0.5], rng.uniform(0.0, 0.12, k), [0.45, 0.75]])
            openness[j : j + len(seq)] = np.minimum(openness[j : j + len(seq)], seq)
            blink[j + 1 : j + 1 + k] = True
        j += int(rng.integers(60, 180))

    log_gain = np.clip(_ou(rng, n, 0.18, 90), -0.45, 0.3)
    for _ in range(int(rng.integers(0, 3))):  # tunnels / underpasses
        start = int(rng.integers(0, n))
        log_gain[start : start + int(rng.integers(60, 150))] -= float(rng.uniform(0.3, 0.6))
    gain = np.exp(cv2.GaussianBlur(log_gain.reshape(1, -1), (1, 15), 0).ravel())
    side = np.clip(0.15 + _ou(rng, n, 0.25, 60), 0.0, 0.6)
    shadow = -np.ones(n)
    for _ in range(n // 150):
        start, dur = int(rng.integers(0, n)), int(rng.integers(10, 25))
        shadow[start : start + dur] = np.linspace(0, 1, dur)[: max(0, min(dur, n - start))]
    dx = np.clip(_ou(rng, n, 5.0, 50), -11, 11) + rng.normal(0, 0.4, n)
    dy = np.clip(_ou(rng, n, 3.5, 50), -8, 8) + rng.normal(0, 0.4, n)
    scale = np.clip(1 + _ou(rng, n, 0.03, 80), 0.94, 1.06)
    return Script(n, openness, yaw, pitch, roll, gaze, phone, hand, hand_face, blink, gain, side, shadow,
                  dx, dy, scale)  # fmt: skip


def frame_states(s: Script) -> list[str]:
    """The label of every frame, by the priority rules in the module docstring."""
    away = (np.abs(s.yaw) > 20) | (s.pitch > 18) | (s.pitch < -15)
    conditions = [s.phone > 0, away, s.openness < CLOSED_BELOW]
    picked = np.select(conditions, ["phone", "looking_away", "eyes_closed"], default="attentive")
    return [str(x) for x in picked]


@dataclass(frozen=True)
class Driver:
    """How one driver and cabin look; fixed for a clip. Lengths are pixels of the 256 x 256 canvas."""

    skin: float
    hair: float
    a: float  # half width of the head
    cx: float
    cy: float
    glasses: bool
    cap: bool
    beard: bool
    long_hair: bool
    shirt: float
    bg: float
    window: int  # side of the side window: -1 image left, +1 image right
    noise: float
    touch_side: int  # which hand touches the face

    @classmethod
    def random(cls, rng: np.random.Generator) -> Driver:
        grey_hair = rng.random() < 0.2
        return cls(
            skin=rng.uniform(135, 200), hair=rng.uniform(110, 160) if grey_hair else rng.uniform(15, 60),
            a=rng.uniform(56, 70), cx=128 + rng.uniform(-12, 12), cy=110 + rng.uniform(-8, 8),
            glasses=bool(rng.random() < 0.35), cap=bool(rng.random() < 0.15), beard=bool(rng.random() < 0.2),
            long_hair=bool(rng.random() < 0.3), shirt=rng.uniform(30, 170), bg=rng.uniform(25, 70),
            window=int(rng.choice([-1, 1])), noise=rng.uniform(2.0, 5.0), touch_side=int(rng.choice([-1, 1])),
        )  # fmt: skip


_YY, _XX = np.mgrid[0:256, 0:256].astype(np.float32) / 255.0
_VIGNETTE = 1.0 - 0.35 * ((_XX - 0.5) ** 2 + (_YY - 0.45) ** 2) * 2.5


def _background(d: Driver) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Static cabin (roof, headrest, pillar), the side-window mask and the sun gradient toward it."""
    c = (d.bg * (0.65 + 0.4 * _YY)).astype(np.float32)
    win = np.zeros((256, 256), np.uint8)
    x0 = 200 if d.window > 0 else 0
    cv2.fillConvexPoly(win, np.array([[x0, 25], [x0 + 56, 15], [x0 + 56, 150], [x0, 160]], np.int32), 1)
    pillar = 196 if d.window > 0 else 56
    cv2.line(c, (pillar, 0), (pillar, 256), d.bg * 0.5, 10)
    cv2.ellipse(c, (int(d.cx), int(d.cy) - 6), (int(d.a * 1.3), int(d.a * 1.25)), 0, 0, 360, d.bg + 25, -1)
    grad = _XX if d.window > 0 else 1.0 - _XX
    return c, win.astype(bool), grad


def _pt(x: float, y: float) -> tuple[int, int]:
    return round(x), round(y)


def render_frame(d: Driver, scene: tuple[np.ndarray, np.ndarray, np.ndarray], s: Script, i: int,
                 size: int, rng: np.random.Generator) -> np.ndarray:  # fmt: skip
    """Draw frame i of the script on a 256 x 256 canvas, light it, shrink it to `size`, add sensor noise."""
    base, win, grad = scene
    c = base.copy()
    c[win] += 60 + 150 * s.side[i]
    a, proj = head_projector(d, s, i)
    hx, hy = d.cx + s.dx[i], d.cy + s.dy[i]
    yw, pt = np.radians([s.yaw[i], s.pitch[i]])

    deg = float(s.roll[i])
    cv2.ellipse(c, _pt(d.cx + 0.5 * s.dx[i], 300), (int(a * 2.3), 120), 0, 0, 360, d.shirt, -1)
    cv2.line(c, _pt(hx, hy + a), _pt(hx, 240), d.skin * 0.8, int(a * 0.8))
    belt_x = d.cx + d.window * 1.7 * a
    cv2.line(c, _pt(belt_x, 175), _pt(d.cx - d.window * 1.2 * a, 256), d.shirt * 0.55 + 10, 14)
    if d.long_hair:
        cv2.ellipse(c, _pt(hx, hy + 0.35 * a), (int(a * 1.2), int(a * 1.5)), deg, 0, 360, d.hair, -1)
    head = np.zeros((256, 256), np.uint8)
    cv2.ellipse(head, _pt(hx, hy), (int(a * 1.04), int(a * 1.3)), deg, 0, 360, 1, -1)
    skin = np.zeros_like(head)
    fx, fy, _ = proj(0, 0.18, 0.55)
    axes = (int(a * 0.88 * (0.5 + 0.5 * np.cos(yw))), int(a * 1.12 * (0.8 + 0.2 * np.cos(pt))))
    cv2.ellipse(skin, _pt(fx, fy), axes, deg, 0, 360, 1, -1)
    for side in (-1, 1):  # ears behind the head outline unless turned toward the camera
        ex, ey, ez = proj(side * 1.0, 0.12, -0.05)
        if ez < 0.3:
            cv2.ellipse(c, _pt(ex, ey), (int(a * 0.15), int(a * 0.27)), deg, 0, 360, d.skin * 0.85, -1)
    c[head > 0] = d.hair
    c[(head > 0) & (skin > 0)] = d.skin
    if d.beard:
        bx, by, _ = proj(0, 0.78, 0.75)
        cv2.ellipse(c, _pt(bx, by), (int(a * 0.55 * (0.4 + 0.6 * np.cos(yw))), int(a * 0.4)), deg, 0, 180,
                    0.55 * d.skin + 0.45 * d.hair, -1)  # fmt: skip
    _face_features(c, d, s, i, a, proj)
    if d.cap:
        crown = (int(a * 1.1), int(a * 0.72))
        cv2.ellipse(c, _pt(hx, hy - 0.62 * a), crown, deg, 180, 360, 0.6 * d.shirt, -1)
        px, py, _ = proj(0, -0.8, 0.95)
        cv2.ellipse(c, _pt(px, py), (int(a * 0.95), int(a * 0.2)), deg, 0, 360, 0.4 * d.shirt, -1)
    _hands(c, d, s, i, a, proj)
    cv2.ellipse(c, _pt(128 + 0.3 * (d.cx - 128), 430), (200, 205), 0, 180, 360, 35, 24)  # wheel rim

    light = s.gain[i] * _VIGNETTE * (1 + 0.8 * s.side[i] * grad)
    if s.shadow[i] >= 0:
        band = np.abs((_XX + 0.5 * _YY) / 1.5 - s.shadow[i]) < 0.12
        light = np.where(band, light * 0.65, light)
    img = cv2.GaussianBlur(c * light, (3, 3), 0.8)
    img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
    img += rng.normal(0.0, d.noise / np.sqrt(s.gain[i]), img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _face_features(c: np.ndarray, d: Driver, s: Script, i: int, a: float, proj: Proj) -> None:
    yw, pt = np.radians([s.yaw[i], s.pitch[i]])
    deg = float(s.roll[i])
    dark = d.skin * 0.25
    for side in (-1, 1):
        ex, ey, _ = proj(side * 0.36, -0.02, 0.9)
        facing = float(np.cos(yw + side * 0.35) * np.cos(pt))
        if facing < 0.2:
            continue  # this eye is turned away from the camera
        ew, eh = a * 0.2 * facing, a * 0.12 * s.openness[i] * (0.6 + 0.4 * np.cos(pt))
        bx, by, _ = proj(side * 0.38, -0.3, 0.92)
        cv2.ellipse(c, _pt(bx, by), (int(ew * 1.1), int(a * 0.05)), deg, 180, 360, d.hair * 0.7, 4)
        cv2.ellipse(c, _pt(ex, ey), (int(ew * 1.25), int(a * 0.14)), deg, 0, 360, d.skin * 0.82, -1)
        if s.openness[i] > 0.16:
            eye = np.zeros(c.shape, np.uint8)
            cv2.ellipse(eye, _pt(ex, ey), (int(ew), max(1, int(eh))), deg, 0, 360, 1, -1)
            iris = np.zeros_like(eye)
            ix, iy = ex + s.gaze[i, 0] * ew * 0.6, ey + s.gaze[i, 1] * a * 0.1
            cv2.circle(iris, _pt(ix, iy), int(a * 0.085), 1, -1)
            c[eye > 0] = 0.8 * d.skin + 25
            c[(eye > 0) & (iris > 0)] = 45
            cv2.circle(c, _pt(ix + 1, iy - 1), 1, 250, -1)  # corneal glint of the illuminator
            cv2.ellipse(c, _pt(ex, ey), (int(ew), max(1, int(eh))), deg, 180, 360, dark, 2)
        else:
            cv2.ellipse(c, _pt(ex, ey), (int(ew), max(2, int(a * 0.04))), deg, 0, 180, dark, 2)
        if d.glasses:
            cv2.ellipse(c, _pt(ex, ey), (int(ew * 1.6), int(a * 0.2)), deg, 0, 360, 30, 2)
            if s.side[i] > 0.35 and side == d.window:  # glare on the lens nearest the sun
                glare = _pt(ex + side * ew * 0.7, ey - a * 0.1)
                cv2.ellipse(c, glare, (int(ew * 0.5), int(a * 0.07)), deg, 0, 360, 245, -1)
    nx, ny, _ = proj(0, 0.0, 1.0)
    tx, ty, _ = proj(0, 0.32, 1.15)
    cv2.line(c, _pt(nx, ny), _pt(tx, ty), d.skin * 0.72, 3)
    for side in (-1, 1):
        ox, oy, oz = proj(side * 0.09, 0.38, 1.0)
        if oz > 0.2:
            cv2.circle(c, _pt(ox, oy), 2, d.skin * 0.4, -1)
    mx, my, mz = proj(0, 0.6, 0.9)
    if mz > 0.1:
        cv2.ellipse(c, _pt(mx, my), (int(a * 0.28 * max(np.cos(yw), 0.2)), int(a * 0.06)), deg, 0, 180,
                    d.skin * 0.45, 3)  # fmt: skip


def _hands(c: np.ndarray, d: Driver, s: Script, i: int, a: float, proj: Proj) -> None:
    wheel = wheel_grips(d)
    mode = int(s.phone[i])
    moving = hand_positions(d, s, i, a, proj)
    for side, (x, y) in moving.items():
        cv2.line(c, _pt(wheel[side][0] + side * 25, 262), _pt(x, y + 0.3 * a), d.shirt * 0.9, int(a * 0.4))
    for side in (-1, 1):
        x, y = moving.get(side, wheel[side])
        cv2.ellipse(c, _pt(x, y), (int(a * 0.26), int(a * 0.33)), 20 * side, 0, 360, d.skin * 0.95, -1)
    box = phone_rect(d, s, i, a, moving)
    if box is not None:
        cv2.fillConvexPoly(c, cv2.boxPoints(box).astype(np.int32), 28 if mode in (1, 2) else 25)
    if box is not None and mode == 3:
        inner = (box[0], (a * 0.5, a * 0.26), 0.0)
        cv2.fillConvexPoly(c, cv2.boxPoints(inner).astype(np.int32), 70)


def render_clip(seed: int, seconds: float, size: int = SIZE) -> tuple[list[np.ndarray], ClipTruth]:
    """Frames (gray uint8, size x size) and ground truth for the clip of `seed`."""
    rng = np.random.default_rng(seed)
    n = max(1, round(seconds * FPS))
    driver = Driver.random(rng)
    script = make_script(rng, n)
    scene = _background(driver)
    noise_rng = np.random.default_rng([seed, 1])
    frames = [render_frame(driver, scene, script, i, size, noise_rng) for i in range(n)]
    truth = ClipTruth(
        seed=seed,
        fps=FPS,
        states=frame_states(script),
        blinks=[(e.start, e.end) for e in episodes(["b" if v else "" for v in script.blink]) if e.state],
        phone_kind=[int(p) for p in script.phone],
        lighting=[float(g) for g in script.gain],
        objects=object_labels(driver, script, size),
    )
    return frames, truth


def generate_clip(path: Path, seed: int, seconds: float = 24.0, size: int = SIZE) -> ClipTruth:
    """Render the clip of `seed` to `path` (.mp4) with its labels: `.labels.csv`, `.objects.csv` and
    `.openlabel.json`."""
    frames, truth = render_clip(seed, seconds, size)
    write_video(path, frames, FPS)
    write_clip_labels(path, truth)
    return truth


def write_clip_labels(path: Path, truth: ClipTruth) -> None:
    """The label files of a generated clip: `.labels.csv`, `.objects.csv` and `.openlabel.json`."""
    write_labels(path, truth.states)
    write_objects(path, truth.objects)
    openlabel.write_openlabel(
        path, truth.states, fps=truth.fps, blinks=truth.blinks, phone_kind=truth.phone_kind,
        comment=f"generated by hil clipgen, seed {truth.seed}", objects=truth.objects,
    )  # fmt: skip
