"""Train the demo face/phone detector and eye-landmark model on generated clips, export to ONNX (PyTorch).

- `dms-face` (task detection): a 64x64 gray frame, NHWC with a dynamic input [N, H, W, 1] (the card fixes
  it to 1x64x64x1); five conv-BN-ReLU layers down to an 8x8 grid (stride 8), a 1x1 head per cell with a
  score and a box per class (face, phone). The box decode is in the graph (YOLOv5 style: centre = (cell +
  2 sigmoid(t) - 0.5) / grid, size = (2 sigmoid(t))^2 x the class's anchor), so the outputs are what the
  card's decoder reads: `boxes` [N, 2 x grid^2, 4] normalised xyxy (face boxes of every cell, then phone
  boxes) and `scores` [N, 2 x grid^2, 2] (per class; a face box scores 0 as phone and the other way round).
  Trained like CenterNet: the cell holding a box centre is that class's positive, every other cell a
  negative (binary cross-entropy), and the box of each positive is fitted by L1 + (1 - GIoU).
- `dms-eyes` (task landmarks): the whole frame as 96x96 gray, NCHW; five stride-2 conv-BN-ReLU layers
  (8-16-32-48-64, down to 3x3), a linear layer of 96, a linear layer to 24 numbers through a sigmoid: 12 points normalised to the frame, `left_eye_p1`..`p6`
  and `right_eye_p1`..`p6` in EAR order. Trained by L1 over the points labelled in each frame.

Both see frames after the same encode/decode and `hil.artifacts.frames.preprocess` as at run time, with a
mirror augmentation (boxes mirrored; for the eyes left and right swapped and each eye's points reordered)
and gain/offset jitter. Seeds, 2 threads and deterministic algorithms are fixed.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from torch import nn

from hil.artifacts import clipgen, frames
from hil.artifacts.card import (
    DetectionSpec,
    EyeClosedSpec,
    InputSpec,
    LandmarksSpec,
    ModelCardSpec,
    write_card,
)
from hil.artifacts.clipobjects import EAR_ORDER, EYE_POINTS
from hil.artifacts.labels import read_objects

FACE_CLASSES = ["face", "phone"]
FACE_INPUT = InputSpec(
    name="image", shape=[1, 64, 64, 1], layout="NHWC", colour="gray", mean=[0.5], std=[0.25]
)
EYES_INPUT = InputSpec(
    name="input", shape=[1, 1, 96, 96], layout="NCHW", colour="gray", mean=[0.5], std=[0.25]
)
ANCHORS = ((0.45, 0.55), (0.12, 0.16))  # face, phone: width, height as fractions of the frame
# Mirroring swaps the eyes and, per eye, p1<->p4, p2<->p3, p5<->p6 (p1 is always the image-left corner).
_MIRROR_P = {"p1": "p4", "p2": "p3", "p3": "p2", "p4": "p1", "p5": "p6", "p6": "p5"}
MIRROR = [
    EYE_POINTS.index(f"{'right' if eye == 'left' else 'left'}_eye_{_MIRROR_P[p]}")
    for eye in ("left", "right")
    for p in EAR_ORDER
]


def _block(cin: int, cout: int, stride: int, dilation: int = 1) -> nn.Sequential:
    conv = nn.Conv2d(cin, cout, 3, stride, dilation, dilation=dilation, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(cout), nn.ReLU())


class FaceNet(nn.Module):
    """NHWC gray frame -> (boxes [N, 2G^2, 4] normalised xyxy, scores [N, 2G^2, 2])."""

    def __init__(self, widths: tuple[int, int, int, int] = (8, 16, 24, 32)) -> None:
        super().__init__()
        a, b, c, d = widths
        self.features = nn.Sequential(
            _block(1, a, 2), _block(a, b, 2), _block(b, c, 2), _block(c, d, 1, 2), _block(d, d, 1)
        )
        self.head = nn.Conv2d(d, 2 + 8, 1)
        self.register_buffer("anchors", torch.tensor(ANCHORS, dtype=torch.float32).view(1, 2, 2, 1))

    def raw(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x.permute(0, 3, 1, 2)))  # [N, 10, G, G]

    def decode(self, f: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n, _, gh, gw = f.shape
        # The cell grid from the feature map itself (cumulative sums of ones): no Range op, which SNPE's
        # converter rejects, and the graph stays valid for any input size.
        ones = torch.ones_like(f[:, :1])  # [N, 1, G, G]
        gx, gy = ones.cumsum(3) - 1, ones.cumsum(2) - 1
        cols, rows = ones.sum(3, keepdim=True), ones.sum(2, keepdim=True)
        t = f[:, 2:].reshape(n, 2, 4, gh, gw)
        cx = (gx + 2 * torch.sigmoid(t[:, :, 0]) - 0.5) / cols
        cy = (gy + 2 * torch.sigmoid(t[:, :, 1]) - 0.5) / rows
        w = (2 * torch.sigmoid(t[:, :, 2])) ** 2 * self.anchors[:, :, 0:1]
        h = (2 * torch.sigmoid(t[:, :, 3])) ** 2 * self.anchors[:, :, 1:2]
        boxes = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1)  # [N, 2, G, G, 4]
        probs = torch.sigmoid(f[:, :2]).reshape(n, 2, gh * gw)  # [N, 2, G*G]
        zeros = torch.zeros_like(probs[:, 0])
        scores = torch.cat(
            [torch.stack([probs[:, 0], zeros], -1), torch.stack([zeros, probs[:, 1]], -1)], dim=1
        )  # [N, 2G^2, 2]: face rows, then phone rows
        return boxes.reshape(n, -1, 4), scores

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.decode(self.raw(x))


class EyeNet(nn.Module):
    """NCHW gray 96x96 frame -> points [N, 12, 2] normalised to the frame."""

    def __init__(self, widths: tuple[int, ...] = (8, 16, 32, 48, 64)) -> None:
        super().__init__()
        layers, cin = [], 1
        for width in widths:
            layers.append(_block(cin, width, 2))
            cin = width
        self.features = nn.Sequential(*layers)  # 96 -> 3
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(cin * 3 * 3, 96), nn.ReLU(), nn.Linear(96, 24))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc(self.features(x))).reshape(x.shape[0], 12, 2)


def clip_dataset(
    seeds: list[int], seconds: float, workdir: Path, spec: InputSpec, stride: int = 1
) -> tuple[np.ndarray, list]:
    """Preprocessed frames (every `stride`-th, after encode/decode) and their FrameTruth."""
    xs, truths = [], []
    workdir.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        clip = workdir / f"train-{seed}.mp4"
        clipgen.generate_clip(clip, seed, seconds)
        tensors = frames.preprocess_clip(clip, spec)
        truth = read_objects(clip, frames=len(tensors)) or []
        xs.append(tensors[::stride])
        truths.extend(truth[::stride])
    return np.concatenate(xs), truths


def face_targets(truths: list, size: float = clipgen.SIZE) -> np.ndarray:
    """Per frame and class: present flag and the normalised xyxy box -> [n, 2, 5]."""
    out = np.zeros((len(truths), 2, 5), dtype=np.float32)
    for i, t in enumerate(truths):
        for box in t.boxes:
            k = FACE_CLASSES.index(box.label)
            out[i, k] = [1.0, box.x1 / size, box.y1 / size, box.x2 / size, box.y2 / size]
    return out


def eye_targets(truths: list, size: float = clipgen.SIZE) -> np.ndarray:
    """[n, 12, 3]: normalised x, y and a labelled flag per point."""
    out = np.zeros((len(truths), 12, 3), dtype=np.float32)
    for i, t in enumerate(truths):
        for k, name in enumerate(EYE_POINTS):
            if name in t.points:
                x, y = t.points[name]
                out[i, k] = [x / size, y / size, 1.0]
    return out


def _jitter(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    n = x.shape[0]
    gain = 1 + 0.25 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)
    offset = 0.4 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)
    return x * gain + offset


def _giou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    iw = (torch.minimum(a[..., 2], b[..., 2]) - torch.maximum(a[..., 0], b[..., 0])).clamp(min=0)
    ih = (torch.minimum(a[..., 3], b[..., 3]) - torch.maximum(a[..., 1], b[..., 1])).clamp(min=0)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]).clamp(min=0) * (a[..., 3] - a[..., 1]).clamp(min=0)
    area_b = (b[..., 2] - b[..., 0]).clamp(min=0) * (b[..., 3] - b[..., 1]).clamp(min=0)
    union = area_a + area_b - inter + 1e-9
    cw = torch.maximum(a[..., 2], b[..., 2]) - torch.minimum(a[..., 0], b[..., 0])
    ch = torch.maximum(a[..., 3], b[..., 3]) - torch.minimum(a[..., 1], b[..., 1])
    hull = cw * ch + 1e-9
    return inter / union - (hull - union) / hull


def face_loss(model: FaceNet, xb: torch.Tensor, tb: torch.Tensor) -> torch.Tensor:
    f = model.raw(xb)
    n, _, g, _ = f.shape
    boxes, _ = model.decode(f)
    boxes = boxes.reshape(n, 2, g * g, 4)
    present = tb[:, :, 0] > 0  # [n, 2]
    centre = (tb[:, :, 1:3] + tb[:, :, 3:5]) / 2
    cell = (centre.clamp(0, 0.999) * g).long()
    index = cell[..., 1] * g + cell[..., 0]  # [n, 2]
    heat = torch.zeros(n, 2, g * g)
    heat.scatter_(2, index[..., None], present[..., None].float())
    logits = f[:, :2].reshape(n, 2, g * g)
    cls_loss = F.binary_cross_entropy_with_logits(
        logits, heat, pos_weight=torch.tensor(8.0), reduction="mean"
    )
    picked = boxes.gather(2, index[..., None, None].expand(n, 2, 1, 4))[:, :, 0]  # [n, 2, 4]
    target = tb[:, :, 1:5]
    mask = present.float()
    l1 = ((picked - target).abs().sum(-1) * mask).sum() / mask.sum().clamp(min=1)
    giou = ((1 - _giou(picked, target)) * mask).sum() / mask.sum().clamp(min=1)
    return 4 * cls_loss + 2 * l1 + giou


def eye_loss(model: EyeNet, xb: torch.Tensor, tb: torch.Tensor) -> torch.Tensor:
    pred = model(xb)
    mask = tb[..., 2:3]
    return ((pred - tb[..., :2]).abs() * mask).sum() / mask.sum().clamp(min=1) * 10


def _mirror_face(x: torch.Tensor, t: torch.Tensor, flip: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.where(flip[:, None, None, None], x.flip(2), x)  # NHWC: W is axis 2
    mirrored = t.clone()
    mirrored[..., 1], mirrored[..., 3] = 1 - t[..., 3], 1 - t[..., 1]
    return x, torch.where(flip[:, None, None], mirrored, t)


def _mirror_eyes(x: torch.Tensor, t: torch.Tensor, flip: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.where(flip[:, None, None, None], x.flip(3), x)  # NCHW: W is axis 3
    mirrored = t[:, MIRROR].clone()
    mirrored[..., 0] = 1 - mirrored[..., 0]
    return x, torch.where(flip[:, None, None], mirrored, t)


def fit(model: nn.Module, x: np.ndarray, targets: np.ndarray, epochs: int, seed: int, kind: str) -> nn.Module:
    """AdamW with one-cycle learning rate, batch 64; mirror and gain/offset augmentation."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    xt, tt = torch.from_numpy(x), torch.from_numpy(targets)
    batch = 64
    steps = epochs * ((len(xt) + batch - 1) // batch)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=4e-3, total_steps=steps, pct_start=0.2)
    loss_fn, mirror = (face_loss, _mirror_face) if kind == "face" else (eye_loss, _mirror_eyes)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(xt), generator=gen)
        total, seen, start = 0.0, 0, time.time()
        for i in range(0, len(order), batch):
            idx = order[i : i + batch]
            flip = torch.rand(len(idx), generator=gen) < 0.5
            xb, tb = mirror(xt[idx], tt[idx], flip)
            loss = loss_fn(model, _jitter(xb, gen), tb)  # type: ignore[arg-type]
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
            seen += len(idx)
        print(
            f"  epoch {epoch + 1}/{epochs}: loss {total / seen:.4f} ({time.time() - start:.0f} s)", flush=True
        )
    return model.eval()


def _save(path: Path, description: str) -> None:
    proto = onnx.load(str(path))
    for out in proto.graph.output:  # the exporter leaves the box coordinates axis unnamed-dynamic
        if out.name == "boxes":
            out.type.tensor_type.shape.dim[2].dim_value = 4
    proto.producer_name, proto.doc_string = "hil artifacts/train_tasks.py", description
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))


def export_face(model: FaceNet, path: Path, description: str) -> Path:
    """ONNX opset 17 with a dynamic NHWC input `image` [N, H, W, 1]; outputs `boxes`, `scores`; the card."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model.eval(), (torch.zeros(FACE_INPUT.shape),), str(path), input_names=["image"],
        output_names=["boxes", "scores"], opset_version=17, do_constant_folding=True, dynamo=False,
        dynamic_axes={"image": {0: "N", 1: "H", 2: "W"}, "boxes": {0: "N", 1: "K"},
                      "scores": {0: "N", 1: "K"}},
    )  # fmt: skip
    _save(path, description)
    detection = DetectionSpec(
        boxes="boxes", scores="scores", box_format="xyxy", normalized=True, score_threshold=0.5,
        nms_iou=0.45, match_iou=0.5, max_detections=10,
    )  # fmt: skip
    card = ModelCardSpec(
        name="dms-face", version="1", task="detection", description=description, input=FACE_INPUT,
        classes=FACE_CLASSES, detection=detection, precision="fp32",
        # TIDL calibrates on the run's clips: 12 frames (its default) can miss every phone, whose score
        # tensor then gets a range that clips phones away (docs/platform-tda4vm.md, "Calibration").
        calibration_frames=60,
    )  # fmt: skip
    write_card(path, card)
    return path


def export_eyes(model: EyeNet, path: Path, description: str) -> Path:
    """ONNX opset 17, static 1x1x96x96 input `input`, output `points` [1, 12, 2]; the card."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model.eval(), (torch.zeros(EYES_INPUT.shape),), str(path), input_names=["input"],
        output_names=["points"], opset_version=17, do_constant_folding=True, dynamo=False,
    )  # fmt: skip
    _save(path, description)
    left = [f"left_eye_{p}" for p in EAR_ORDER]
    right = [f"right_eye_{p}" for p in EAR_ORDER]
    # ear_below from the generator's geometry: EAR = 0.52 x openness (0.6 + 0.4 cos pitch) / facing, so a
    # frontal eye (facing 0.94) at the label threshold openness 0.3 has EAR 0.17.
    landmarks = LandmarksSpec(
        output="points", points=list(EYE_POINTS), normalized=True, left_eye=left, right_eye=right,
        failure_threshold=0.1, eye_closed=EyeClosedSpec(left=left, right=right, ear_below=0.17),
    )  # fmt: skip
    card = ModelCardSpec(
        name="dms-eyes", version="1", task="landmarks", description=description, input=EYES_INPUT,
        landmarks=landmarks, precision="fp32",
    )  # fmt: skip
    write_card(path, card)
    return path
