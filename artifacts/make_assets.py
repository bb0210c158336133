"""Regenerate every demo asset in artifacts/ (run by `make assets`; needs the `train` extra, PyTorch).

1. demo clips      clips/cabin-0{1,2,3}.mp4 + .labels.csv + .objects.csv + .openlabel.json   (seeds 9001-9003)
2. training data   48 clips of 20 s (seeds 1000-1047), validation 4 clips (1500-1503), in build/assets/
3. dms-teacher     trained on the training data                      -> models/dms-teacher.onnx + card
4. dms-small       distilled from the teacher                        -> models/dms-small.onnx + card
5. calibration     stratified sample of 4 clips (seeds 2000-2003)    -> calibration/
6. fp16 and int8   of dms-small, with cards                          -> models/dms-small.{fp16,int8}.onnx
7. evaluation      FP32/FP16/INT8 on the demo clips                  -> models/evaluation.json
8. dms-face        face/phone detector, its fp16/int8 and scores     -> models/dms-face{,.fp16,.int8}.onnx
                                                                        + cards, dms-face.evaluation.json
9. dms-eyes        eye-landmark model, likewise                      -> models/dms-eyes..., likewise

`--only labels,face,eyes` (any of them) does just those steps and reuses what is committed: `labels`
rewrites the label files of the demo clips (after checking that the clips still render to the committed
videos, byte for byte), `face` and `eyes` train and evaluate those models with the committed clips and
calibration set. Without `--only` everything is regenerated.

Seed ranges never overlap, so the demo clips are unseen by training and calibration. Rerunning on the
same machine gives the same files (fixed seeds, 2 threads, deterministic algorithms).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train
import train_tasks

from hil.artifacts import calibration, clipgen, evaluate, quantize

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
DEMO_SEEDS = (9001, 9002, 9003)
TRAIN_SEEDS = list(range(1000, 1048))
VAL_SEEDS = list(range(1500, 1504))
CALIBRATION_SEEDS = list(range(2000, 2004))
PARTS = ("labels", "face", "eyes")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _parts(text: str | None) -> set[str]:
    if text is None:
        return {"all"}
    parts = {p.strip() for p in text.split(",") if p.strip()}
    unknown = parts - set(PARTS)
    if unknown or not parts:
        raise SystemExit(f"--only {text}: choose from {', '.join(PARTS)} (comma separated)")
    return parts


def _rel(path: Path) -> Path:
    """A path relative to the repository when it lies inside it, so reports do not name this machine."""
    return path.resolve().relative_to(REPO) if path.resolve().is_relative_to(REPO) else path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, help="where clips/, models/, calibration/ go (default: artifacts/)"
    )
    parser.add_argument("--work", type=Path, default=ROOT.parent / "build" / "assets", help="scratch folder")
    parser.add_argument("--quick", action="store_true", help="tiny data and one epoch: a smoke test only")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(PARTS)}; reuses the rest")
    args = parser.parse_args()
    parts = _parts(args.only)
    quick = args.quick
    out = args.out or (args.work / "quick" if quick else ROOT)  # a smoke run never overwrites the assets
    clips_dir, models_dir, work = out / "clips", out / "models", args.work
    train.setup_determinism()
    demo = [clips_dir / f"cabin-0{k}.mp4" for k in range(1, len(DEMO_SEEDS) + 1)]
    seconds = 4.0 if quick else 24.0
    if "all" in parts:
        full(out, demo, work, quick)
    elif "labels" in parts:
        log("labels of the demo clips")
        for clip, seed in zip(demo, DEMO_SEEDS, strict=True):
            relabel(clip, seed, seconds, work)
    cset = calibration.load_calibration(out / "calibration")
    for kind in ("face", "eyes"):
        if "all" in parts or kind in parts:
            task_model(kind, models_dir, demo, cset, work, quick)


def relabel(clip: Path, seed: int, seconds: float, work: Path) -> None:
    """Rewrite a demo clip's label files; refuse when the clip no longer renders to the committed video."""
    fresh = work / f"relabel-{clip.name}"
    truth = clipgen.generate_clip(fresh, seed, seconds)
    if not clip.exists() or fresh.read_bytes() != clip.read_bytes():
        raise SystemExit(
            f"{clip} differs from what seed {seed} renders now: the generator's pixels changed. "
            "Regenerate everything (no --only), since the committed models were trained on the old pixels."
        )
    clipgen.write_clip_labels(clip, truth)


def task_model(
    kind: str, models_dir: Path, demo: list[Path], cset: calibration.CalibrationSet, work: Path, quick: bool
) -> None:
    """Train dms-face or dms-eyes, export it with its card, quantize it and score all three precisions."""
    name = f"dms-{kind}"
    spec = train_tasks.FACE_INPUT if kind == "face" else train_tasks.EYES_INPUT
    seeds, seconds = (TRAIN_SEEDS[:3], 4.0) if quick else (TRAIN_SEEDS, 20.0)
    log(f"{name}: training data")
    x, truths = train_tasks.clip_dataset(seeds, seconds, work, spec, stride=2)
    path = models_dir / f"{name}.onnx"
    if kind == "face":
        targets = train_tasks.face_targets(truths)
        log(f"{name}: {len(x)} frames, {int(targets[:, 1, 0].sum())} with a phone")
        epochs = 1 if quick else FACE_EPOCHS
        model = train_tasks.fit(train_tasks.FaceNet(), x, targets, epochs, seed=3, kind=kind)
        train_tasks.export_face(model, path, FACE_ABOUT)  # type: ignore[arg-type]
    else:
        targets = train_tasks.eye_targets(truths)
        log(f"{name}: {len(x)} frames")
        epochs = 1 if quick else EYES_EPOCHS
        model = train_tasks.fit(train_tasks.EyeNet(), x, targets, epochs, seed=4, kind=kind)
        train_tasks.export_eyes(model, path, EYES_ABOUT)  # type: ignore[arg-type]
    variants = {"fp32": path}
    for precision in ("fp16", "int8"):
        variants[precision] = quantize.quantize(path, precision, cset).path
    log(f"{name}: evaluation on the demo clips")
    cwd = Path.cwd()
    os.chdir(REPO)
    try:
        report = evaluate.compare({k: _rel(v) for k, v in variants.items()}, [_rel(c) for c in demo])
    finally:
        os.chdir(cwd)
    (models_dir / f"{name}.evaluation.json").write_text(json.dumps(report, indent=1) + "\n")
    for key, r in report["results"].items():
        if kind == "face":
            log(f"{key}: mAP50 {r['map50']:.4f}, F1 {r['f1']:.4f}, {r['bytes']} bytes")
        else:
            log(f"{key}: NME {r['nme']:.4f}, failure rate {r['failure_rate']:.4f}, {r['bytes']} bytes")


FACE_EPOCHS, EYES_EPOCHS = 30, 20
FACE_ABOUT = (
    "Face and phone detector: 5 conv-BN-ReLU (8-16-24-32-32) to an 8x8 grid, a box and score per class "
    "and cell, box decode in the graph; dynamic NHWC input."
)
EYES_ABOUT = (
    "Eye landmarks: 5 conv-BN-ReLU (8-16-32-48-64) to 3x3, linear 96, linear 24: 12 eye points (EAR order)."
)


def full(out: Path, demo: list[Path], work: Path, quick: bool) -> None:
    """Steps 1-7: clips, classifiers, calibration set, their fp16/int8 and the classifier evaluation."""
    models_dir = out / "models"
    log("demo clips")
    for clip, seed in zip(demo, DEMO_SEEDS, strict=True):
        clipgen.generate_clip(clip, seed, 4.0 if quick else 24.0)

    log("training data")
    seeds, seconds = (TRAIN_SEEDS[:3], 4.0) if quick else (TRAIN_SEEDS, 20.0)
    x, y = train.clip_dataset(seeds, seconds, work, stride=2)
    xv, yv = train.clip_dataset(VAL_SEEDS[:1] if quick else VAL_SEEDS, seconds, work)
    log(f"{len(x)} training frames {np.bincount(y, minlength=4).tolist()}, {len(xv)} validation frames")

    epochs_teacher, epochs_student = (1, 1) if quick else (10, 12)
    log("dms-teacher")
    teacher = train.fit(train.teacher(), x, y, epochs_teacher, seed=1)
    log(f"dms-teacher validation accuracy {train.accuracy(teacher, xv, yv):.4f}")
    about = "Teacher DMS classifier: 4 stages of 2 conv-BN-ReLU (24-48-96-160), GAP, linear."
    train.export(teacher, models_dir / "dms-teacher.onnx", "dms-teacher", about)
    log("dms-small (distilled from dms-teacher)")
    small = train.fit(train.student(), x, y, epochs_student, seed=2, teacher_model=teacher)
    log(f"dms-small validation accuracy {train.accuracy(small, xv, yv):.4f}")
    fp32 = train.export(small, models_dir / "dms-small.onnx", "dms-small",
                        "Small DMS classifier: 4 conv-BN-ReLU (16-32-64-96), GAP, linear; "
                        "distilled from dms-teacher.")  # fmt: skip

    log("calibration set")
    cal_clips = []
    for seed in CALIBRATION_SEEDS:
        clip = work / f"calibration-{seed}.mp4"
        clipgen.generate_clip(clip, seed, 4.0 if quick else 20.0)
        cal_clips.append(clip)
    cset = calibration.sample_calibration(cal_clips, 40 if quick else 120)
    cset.manifest["name"] = "calibration"
    calibration.write_calibration(cset, out / "calibration")

    log("fp16 and int8")
    variants = {"fp32": fp32}
    for precision in ("fp16", "int8"):
        variants[precision] = quantize.quantize(fp32, precision, cset).path

    log("evaluation on the demo clips")
    # Paths relative to the repository, so the committed report does not name this machine's folders.
    cwd = Path.cwd()
    os.chdir(REPO)
    try:
        report = evaluate.compare({k: _rel(v) for k, v in variants.items()}, [_rel(c) for c in demo])
    finally:
        os.chdir(cwd)
    (models_dir / "evaluation.json").write_text(json.dumps(report, indent=1) + "\n")
    for key, r in report["results"].items():
        log(
            f"{key}: accuracy {100 * r['accuracy']:.2f} %, {r['bytes']} bytes, agreement {r['agreement']:.4f}"
        )


if __name__ == "__main__":
    main()
