"""`hil calibrate`, `hil quantize`, `hil clipgen`: host-side preparation of models and clips."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from hil.artifacts import calibration as cal
from hil.artifacts import clipgen
from hil.artifacts import evaluate as ev
from hil.artifacts import quantize as qz
from hil.cli.common import JsonOption, err, out, print_json
from hil.errors import ConfigError

PRECISIONS = ("fp16", "int8")

ClipsOption = Annotated[
    list[Path],
    typer.Option("--clips", "-c", help="A clip, or a folder of clips; repeat for more."),
]


def calibrate(
    clips: ClipsOption,
    more: Annotated[list[Path] | None, typer.Argument(help="More clips (so `--clips a b c` works).")] = None,
    frames: Annotated[int, typer.Option("--frames", "-n", help="How many frames to sample.")] = 300,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the set into.")] = Path(
        "calibration"
    ),
    json_out: JsonOption = False,
) -> None:
    """Sample an INT8 calibration set from clips, stratified over clips, states and lighting."""
    paths = cal.expand_clips([*clips, *(more or [])])
    with err.status(f"decoding {len(paths)} clip(s)"):
        cset = cal.sample_calibration(paths, frames)
        cset.manifest["name"] = out_dir.name
        folder = cal.write_calibration(cset, out_dir)
    m = cset.manifest
    summary = {
        "out": str(folder),
        "frames": m["frames"],
        "requested": m["requested"],
        "digest": cset.digest,
        "clips": [{"name": c["name"], "sampled": c["sampled"], "frames": c["frames"]} for c in m["clips"]],
        "strata": m["strata"],
    }
    if json_out:
        print_json(json.dumps(summary, indent=2))
        return
    out.print(f"calibration set [bold]{folder}[/]: {m['frames']} frames from {len(paths)} clip(s)")
    for name, counts in m["strata"].items():
        out.print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if m["frames"] < frames:
        err.print(f"only {m['frames']} frames available, fewer than the {frames} asked for", style="yellow")


def _outputs(model: Path, precisions: list[str], out_path: Path | None) -> dict[str, Path]:
    if out_path is None:
        return {p: qz.default_output(model, p) for p in precisions}
    if out_path.suffix == ".onnx":
        if len(precisions) > 1:
            raise ConfigError("--out FILE.onnx needs exactly one --precision; give a folder for several")
        out_path.parent.mkdir(parents=True, exist_ok=True)
        return {precisions[0]: out_path}
    out_path.mkdir(parents=True, exist_ok=True)
    return {p: out_path / qz.default_output(model, p).name for p in precisions}


def quantize(
    model: Annotated[Path, typer.Argument(help="The FP32 ONNX model (its card beside it).")],
    more: Annotated[list[Path] | None, typer.Argument(help="More clips for --evaluate.")] = None,
    precision: Annotated[
        list[str] | None,
        typer.Option(
            "--precision",
            "-p",
            help="fp16 or int8; repeat for both. Default: fp16, and int8 when --calibration is given.",
        ),
    ] = None,
    calibration: Annotated[
        Path | None, typer.Option("--calibration", help="Calibration set folder (from hil calibrate).")
    ] = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output .onnx (one precision) or folder.")
    ] = None,
    method: Annotated[str, typer.Option(help="INT8 calibration: minmax, entropy or percentile.")] = "minmax",
    reduce_range: Annotated[
        bool,
        typer.Option(
            "--reduce-range/--full-range",
            help="INT8 weights in 7 bits (default; exact on x86 CPUs without VNNI) or all 8.",
        ),
    ] = True,
    evaluate: Annotated[
        list[Path] | None,
        typer.Option("--evaluate", "-e", help="Labelled clip (or folder) to score FP32 and each variant on."),
    ] = None,
    keep: Annotated[
        str | None,
        typer.Option(
            "--keep",
            help="INT8: leave these nodes (LAYER[,LAYER], as `hil diagnose` names them) in float "
            "(ONNX Runtime's nodes_to_exclude).",
        ),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Write FP16 and/or INT8 (QDQ) variants of an ONNX model with their cards; optionally score them."""
    precisions = list(dict.fromkeys(precision or (["fp16", "int8"] if calibration else ["fp16"])))
    for p in precisions:
        if p not in PRECISIONS:
            raise ConfigError(f"--precision {p}: choose fp16 or int8")
    qz.load_onnx(model)
    cset = cal.load_calibration(calibration) if calibration else None
    report: dict[str, Any] = {"model": str(model), "outputs": {}}
    variants: dict[str, Path] = {"fp32": model}
    for p, target in _outputs(model, precisions, out_path).items():
        with err.status(f"quantizing {model.name} to {p}"):
            kept = [k.strip() for k in (keep or "").split(",") if k.strip()]
            res = qz.quantize(model, p, cset, target, method, reduce_range, kept)  # type: ignore[arg-type]
        err.print(f"wrote {res.path} ({res.bytes} bytes)" + (f" and {res.card}" if res.card else ""))
        report["outputs"][p] = {"path": str(res.path), "card": str(res.card) if res.card else None,
                                "bytes": res.bytes}  # fmt: skip
        variants[p] = res.path
    report["sizes"] = {k: v.stat().st_size for k, v in variants.items()}
    clips = [*(evaluate or []), *(more or [])]
    if more and not evaluate:
        raise ConfigError(
            f"unexpected argument(s) {', '.join(map(str, more))}", hint="clips go after --evaluate"
        )
    if clips:
        paths = cal.expand_clips(clips)
        with err.status("evaluating") as status:
            scored = ev.compare(variants, paths, progress=lambda msg: status.update(msg))
        report.update({k: v for k, v in scored.items() if k != "sizes"})
    if json_out:
        print_json(json.dumps(report, indent=2))
    elif "results" in report:
        out.print(_table(report))
    else:
        for k, size in report["sizes"].items():
            out.print(f"{k}: {variants[k]} ({size} bytes)")


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.2f}"


def _task_table(report: dict[str, Any]) -> Table:
    """Detection: mAP50, F1 and box parity vs fp32; landmarks: NME, failure rate and point distance."""
    table = Table(title=f"{report['model']}: {report['frames']} frames from {len(report['clips'])} clip(s)")
    detection = report["task"] == "detection"
    cols = ["mAP50", "Δ vs fp32", "F1", "box IoU vs fp32"] if detection else [
        "NME", "Δ vs fp32", "failure %", "eyes-closed F1", "px vs fp32"]  # fmt: skip
    for col in ("precision", "bytes", *cols):
        table.add_column(col, justify="left" if col == "precision" else "right")
    key = "map50" if detection else "nme"
    base = report["results"]["fp32"][key]

    def num(v: float | None, digits: int = 4) -> str:
        return "-" if v is None else f"{v:.{digits}f}"

    for name, r in report["results"].items():
        delta = "-" if r[key] is None or base is None else f"{r[key] - base:+.4f}"
        if detection:
            row = [num(r["map50"]), delta, num(r["f1"]), num(r["parity"]["mean_iou"])]
        else:
            closed = (r.get("eye_closed") or {}).get("f1")
            row = [num(r["nme"]), delta, _pct(r["failure_rate"]), num(closed),
                   num(r["parity"]["mean_point_distance_px"], 2)]  # fmt: skip
        table.add_row(name, str(r["bytes"]), *row)
    return table


def _table(report: dict[str, Any]) -> Table:
    if report.get("task") in ("detection", "landmarks"):
        return _task_table(report)
    table = Table(title=f"{report['model']}: {report['frames']} frames from {len(report['clips'])} clip(s)")
    for col in ("precision", "bytes", "accuracy %", "Δ vs fp32", "agree %", "drowsy rec", "distr rec"):
        table.add_column(col, justify="left" if col == "precision" else "right")
    base = report["results"]["fp32"]["accuracy"]
    for key, r in report["results"].items():
        ev_ = r["events"]
        table.add_row(
            key, str(r["bytes"]), _pct(r["accuracy"]), f"{100 * (r['accuracy'] - base):+.2f}",
            _pct(r["agreement"]), _pct(ev_["drowsiness"]["recall"]), _pct(ev_["distraction"]["recall"]),
        )  # fmt: skip
    return table


def make_clip(
    path: Annotated[Path, typer.Argument(help="Output .mp4; labels are written beside it.")],
    seed: Annotated[int, typer.Option(help="Everything in the clip follows from the seed.")] = 1,
    seconds: Annotated[float, typer.Option(help="Length in seconds (30 fps).")] = 24.0,
    json_out: JsonOption = False,
) -> None:
    """Render a synthetic NIR driver clip with per-frame labels (CSV and OpenLABEL)."""
    if path.suffix.lower() != ".mp4":
        raise ConfigError(f"{path}: the clip must be an .mp4 file")
    with err.status(f"rendering {seconds:g} s, seed {seed}"):
        truth = clipgen.generate_clip(path, seed, seconds)
    summary = {"clip": str(path), "seed": seed, "frames": len(truth.states), "fps": truth.fps,
               "states": dict(Counter(truth.states)), "blinks": len(truth.blinks)}  # fmt: skip
    if json_out:
        print_json(json.dumps(summary, indent=2))
    else:
        out.print(f"{path}: {summary['frames']} frames, {summary['states']}, {summary['blinks']} blinks")


def register(app: typer.Typer) -> None:
    app.command("calibrate")(calibrate)
    app.command("quantize")(quantize)
    app.command("clipgen")(make_clip)
