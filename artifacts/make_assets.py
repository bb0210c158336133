"""Regenerate every demo asset in artifacts/ (run by `make assets`; needs the `train` extra, PyTorch).

1. demo clips      clips/cabin-0{1,2,3}.mp4 + .labels.csv + .openlabel.json   (seeds 9001-9003)
2. training data   48 clips of 20 s (seeds 1000-1047), validation 4 clips (1500-1503), in build/assets/
3. dms-teacher     trained on the training data                      -> models/dms-teacher.onnx + card
4. dms-small       distilled from the teacher                        -> models/dms-small.onnx + card
5. calibration     stratified sample of 4 clips (seeds 2000-2003)    -> calibration/
6. fp16 and int8   of dms-small, with cards                          -> models/dms-small.{fp16,int8}.onnx
7. evaluation      FP32/FP16/INT8 on the demo clips                  -> models/evaluation.json

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

from hil.artifacts import calibration, clipgen, evaluate, quantize

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
DEMO_SEEDS = (9001, 9002, 9003)
TRAIN_SEEDS = list(range(1000, 1048))
VAL_SEEDS = list(range(1500, 1504))
CALIBRATION_SEEDS = list(range(2000, 2004))


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, help="where clips/, models/, calibration/ go (default: artifacts/)"
    )
    parser.add_argument("--work", type=Path, default=ROOT.parent / "build" / "assets", help="scratch folder")
    parser.add_argument("--quick", action="store_true", help="tiny data and one epoch: a smoke test only")
    args = parser.parse_args()
    quick = args.quick
    out = args.out or (args.work / "quick" if quick else ROOT)  # a smoke run never overwrites the assets
    clips_dir, models_dir, work = out / "clips", out / "models", args.work
    train.setup_determinism()

    log("demo clips")
    demo = []
    for k, seed in enumerate(DEMO_SEEDS, start=1):
        clip = clips_dir / f"cabin-0{k}.mp4"
        clipgen.generate_clip(clip, seed, 4.0 if quick else 24.0)
        demo.append(clip)

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
    rel = {
        k: v.resolve().relative_to(REPO) if v.resolve().is_relative_to(REPO) else v
        for k, v in variants.items()
    }
    clips = [c.resolve().relative_to(REPO) if c.resolve().is_relative_to(REPO) else c for c in demo]
    os.chdir(REPO)
    report = evaluate.compare(rel, clips)
    (models_dir / "evaluation.json").write_text(json.dumps(report, indent=1) + "\n")
    for key, r in report["results"].items():
        log(
            f"{key}: accuracy {100 * r['accuracy']:.2f} %, {r['bytes']} bytes, agreement {r['agreement']:.4f}"
        )


if __name__ == "__main__":
    main()
