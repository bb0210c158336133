"""Train the demo DMS classifiers on generated cabin clips and export them to ONNX (needs PyTorch).

Two models, the usual pair for an edge deployment:

- `dms-teacher`: a wider net, two conv-BN-ReLU layers per stage;
- `dms-small`: one conv-BN-ReLU per stage, trained by knowledge distillation from the teacher
  (Hinton et al. 2015: KL divergence to the teacher's softened outputs plus cross-entropy to the labels).

Both read a 1x1x64x64 gray frame (NCHW) and output 4 logits [attentive, eyes_closed, looking_away, phone].
Run through artifacts/make_assets.py; seeds, thread count and algorithms are fixed so a rerun on the same
machine gives the same weights.
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
from hil.artifacts.card import InputSpec, ModelCardSpec, write_card
from hil.artifacts.labels import read_labels

CLASSES = list(clipgen.CLASSES)
INPUT = InputSpec(name="input", shape=[1, 1, 64, 64], layout="NCHW", colour="gray", mean=[0.5], std=[0.25])


def _block(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class DmsNet(nn.Module):
    """Conv-BN-ReLU stages (each halves the resolution), global average pooling, one linear layer."""

    def __init__(self, widths: tuple[int, ...], depth: int, classes: int = 4) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 1
        for width in widths:
            layers.append(_block(cin, width, 2))
            layers.extend(_block(width, width, 1) for _ in range(depth - 1))
            cin = width
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(cin, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))


def teacher() -> DmsNet:
    return DmsNet((24, 48, 96, 160), depth=2)


def student() -> DmsNet:
    return DmsNet((16, 32, 64, 96), depth=1)


def clip_dataset(
    seeds: list[int], seconds: float, workdir: Path, stride: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Generate, encode and decode clips (so training sees codec artefacts like the boards do) and
    preprocess every `stride`-th frame exactly as hil does at run time."""
    xs, ys = [], []
    workdir.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        clip = workdir / f"train-{seed}.mp4"
        clipgen.generate_clip(clip, seed, seconds)  # always fresh: a stale clip would hide a clipgen change
        tensors = frames.preprocess_clip(clip, INPUT)
        states = read_labels(clip, frames=len(tensors)) or []
        xs.append(tensors[::stride])
        ys.append(np.array([CLASSES.index(s) for s in states], dtype=np.int64)[::stride])
    return np.concatenate(xs), np.concatenate(ys)


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Mirror (no label changes sides), gain/offset jitter and a small shift."""
    n = x.shape[0]
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    gain = 1 + 0.25 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)
    offset = 0.4 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)
    x = x * gain + offset
    dx, dy = (int(v) for v in torch.randint(-3, 4, (2,), generator=gen))
    return torch.roll(x, shifts=(dy, dx), dims=(2, 3))


def fit(
    model: DmsNet,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    seed: int,
    teacher_model: DmsNet | None = None,
    temperature: float = 4.0,
    alpha: float = 0.7,
    log: bool = True,
) -> DmsNet:
    """SGD with one-cycle learning rate; with a teacher, the loss is distillation plus cross-entropy."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    batch = 128
    steps = epochs * ((len(xt) + batch - 1) // batch)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=steps, pct_start=0.25)
    if teacher_model is not None:
        teacher_model.eval()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(xt), generator=gen)
        total, correct, seen, start = 0.0, 0, 0, time.time()
        for i in range(0, len(order), batch):
            idx = order[i : i + batch]
            xb, yb = _augment(xt[idx], gen), yt[idx]
            logits = model(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=0.05)
            if teacher_model is not None:
                with torch.no_grad():
                    soft = F.softmax(teacher_model(xb) / temperature, dim=1)
                kd = F.kl_div(F.log_softmax(logits / temperature, dim=1), soft, reduction="batchmean")
                loss = alpha * kd * temperature**2 + (1 - alpha) * loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
            seen += len(idx)
        if log:
            print(f"  epoch {epoch + 1}/{epochs}: loss {total / seen:.4f} train acc {correct / seen:.4f} "
                  f"({time.time() - start:.0f} s)", flush=True)  # fmt: skip
    return model.eval()


def accuracy(model: DmsNet, x: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(torch.from_numpy(x[i : i + 512])).argmax(1) for i in range(0, len(x), 512)])
    return float((pred.numpy() == y).mean())


def export(model: DmsNet, path: Path, name: str, description: str) -> Path:
    """ONNX opset 17, static shape 1x1x64x64, input `input`, output `logits`; plus the model card."""
    path.parent.mkdir(parents=True, exist_ok=True)
    model.eval()
    torch.onnx.export(
        model, (torch.zeros(INPUT.shape),), str(path), input_names=["input"], output_names=["logits"],
        opset_version=17, do_constant_folding=True, dynamo=False,
    )  # fmt: skip
    proto = onnx.load(str(path))
    proto.producer_name, proto.doc_string = "hil artifacts/train.py", description
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    card = ModelCardSpec(
        name=name, version="1", description=description, input=INPUT, output="logits",
        classes=CLASSES, precision="fp32",
    )  # fmt: skip
    write_card(path, card)
    return path


def setup_determinism(threads: int = 2) -> None:
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(0)
    np.random.seed(0)
