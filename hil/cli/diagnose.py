"""`hil diagnose`: which layers of a quantized model lose accuracy, and whether quantization or a board's
converter is to blame (docs/diagnose.md)."""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from hil.cli.common import DEFAULT_DB, DbOption, InventoryOption, JsonOption, out

HELP = (
    "Find the layers where a quantized model departs from its FP32 reference, and who is to blame.\n\n"
    "Runs the FP32 model and its host QDQ INT8 model with every intermediate tensor exposed (ONNX Runtime's "
    "qdq_loss_debug) on a few frames from the clips (by default those, of 16 times as many sampled over "
    "clips, states and lighting, where the QDQ model departs most from FP32), and compares each layer "
    "with FP32: cosine, SNR "
    "(dB), max abs error, in graph order, by ONNX node name. Names the first layer where the error jumps "
    "(under 20 dB in a step of 6 dB or more) and ranks layers by the share of the output error that keeping "
    "each one in float removes. With --snpe-dump it also compares a board's `snpe-net-run --debug` output "
    "folder (every layer's output) and says whether the loss comes from quantization itself (the host QDQ "
    "model loses too) or from the board's converter (the board falls 6 dB or more below the host QDQ "
    "model).\n\n"
    "With --board NAME (a QCS8255 of the inventory, such as the simulated rack's qcs-sim-01) hil does "
    "that itself: converts the QDQ model with the board's SNPE tools, pushes the frames, runs "
    "`snpe-net-run --use_dsp --debug` and fetches every layer's output.\n\n"
    "With --board NAME on an Orin (orin-sim-01, TensorRT 10): trtexec builds the QDQ model with every layer "
    "output marked (--markDebug) and saves each frame's values (--saveDebugTensors).\n\n"
    "With --board NAME on a TDA4VM (tda-sim-01): TIDL compiles the FP32 model at 8 bit with its own "
    "calibration (the card's calibration_frames; --keep layers in its 16-bit names list), each frame runs "
    "with debug_level 4 and TIDL's float layer traces come back, mapped by the artifacts' layer_info.txt. "
    "--fix then keeps the diverging layers at 16 bit one more per step, each step a real `hil run --keep`, "
    "printing AP50 and p50 latency, until the loss gate passes (the set goes to the card's `keep`) or the "
    "latency budget breaks.\n\n"
    "By hand (SNPE): write the frames with --write-inputs DIR, run on the board\n\n"
    "  snpe-net-run --container m.dlc --input_list DIR/input_list.txt --use_dsp --debug --output_dir out\n\n"
    "then compare with --snpe-dump out.\n\n"
    "Examples:\n\n"
    "  hil diagnose artifacts/models/dms-face.onnx\n\n"
    "  hil diagnose m.onnx --qdq m.int8.onnx --frames 8 --only jumps\n\n"
    "  hil diagnose artifacts/models/dms-face.onnx --board qcs-sim-01\n\n"
    "  hil diagnose m.onnx --snpe-dump out --json | jq .verdict\n\n"
    "  hil diagnose few/dms-face.onnx --board tda-sim-01 --fix"
)


def diagnose(
    model: Annotated[
        Path,
        typer.Argument(
            help="The FP32 ONNX model (its card gives the input preprocessing), or a stored int8 result as "
            "RUN#N (RUN a run id or `last`, N the # column of `hil show RUN`): its model, board and clip, "
            "and the diagnosis is stored beside it (`hil show RUN --result N --log diagnose`)."
        ),
    ],
    qdq: Annotated[
        Path | None, typer.Option("--qdq", help="Its host INT8 QDQ model; default M.int8.onnx beside it.")
    ] = None,
    clips: Annotated[
        list[Path] | None,
        typer.Option("--clips", "-c", help="A clip or a folder of clips; default the bundled demo clips."),
    ] = None,
    frames: Annotated[int, typer.Option("--frames", "-f", min=1, help="Frames to compare.")] = 4,
    snpe_dump: Annotated[
        Path | None, typer.Option("--snpe-dump", help="A board's `snpe-net-run --debug` output folder.")
    ] = None,
    board: Annotated[
        str | None,
        typer.Option(
            "--board",
            "-b",
            help="Run on this board of the inventory (qcs8255: snpe-net-run --debug) and compare its layers.",
        ),
    ] = None,
    inventory: InventoryOption = None,
    keep: Annotated[
        str | None,
        typer.Option(
            "--keep",
            help="TDA4VM: layers (LAYER[,LAYER]) the board's TIDL compile keeps at 16 bit, as `hil run "
            "--keep` does; default the card's `keep`.",
        ),
    ] = None,
    write_inputs: Annotated[
        Path | None,
        typer.Option(
            "--write-inputs", help="Also write the frames as SNPE raw inputs + input_list.txt here."
        ),
    ] = None,
    worst: Annotated[
        bool,
        typer.Option(help="Diagnose the frames where the QDQ model departs most from FP32 (of 16x as many)."),
    ] = True,
    rank: Annotated[bool, typer.Option(help="Rank layers (one model run per quantized node).")] = True,
    only: Annotated[str, typer.Option(help="all: every layer; jumps: the layers that lose.")] = "all",
    save: Annotated[
        Path | None, typer.Option("--save", help="Also write the JSON result to this file.")
    ] = None,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix",
            help="With --board (TDA4VM): keep the ranked layers at 16 bit, one more per step, each step a "
            "real `hil run` (conversion and replay of --clips), until the loss is inside its allowance or "
            "the latency budget breaks; print each step; write the chosen set to the model card's `keep`.",
        ),
    ] = False,
    fix_layers: Annotated[int, typer.Option(min=1, help="--fix tries at most this many layers.")] = 6,
    db: DbOption = DEFAULT_DB,
    json_out: JsonOption = False,
) -> None:
    from rich.text import Text

    from hil.artifacts.calibration import expand_clips
    from hil.artifacts.quantize import default_output
    from hil.cli.context import bundled
    from hil.diagnose.diagnosis import diagnose as run_diagnosis
    from hil.diagnose.diagnosis import frames_for, write_snpe_inputs
    from hil.errors import ArtifactError, ConfigError
    from hil.report.diagnose import depth_plot, summary_lines, table_lines

    if only not in ("all", "jumps"):
        raise typer.BadParameter(f"{only!r} is not all or jumps", param_hint="--only")
    stored = None
    if not model.is_file() and re.fullmatch(r".+#\d+", str(model)):
        stored = stored_result(str(model), db)
        model, board = stored.model, board or stored.board
        clips = clips or stored.clips
        inventory = inventory or stored.inventory
    if not model.is_file():
        raise ArtifactError(f"model {model} does not exist")
    qdq = qdq or default_output(model, "int8")
    if not qdq.is_file():
        raise ConfigError(
            f"no INT8 QDQ model at {qdq}",
            hint=f"make it with `hil quantize {model} --int8 --calibration DIR`, or pass --qdq",
        )
    if snpe_dump is not None and not snpe_dump.is_dir():
        raise ConfigError(f"--snpe-dump {snpe_dump} is not a folder", hint="pass snpe-net-run's --output_dir")
    if board is not None and snpe_dump is not None:
        raise ConfigError("--board and --snpe-dump both give the board's layers; pass one")
    if fix and board is None:
        raise ConfigError("--fix runs the model on a board: name it with --board")
    if fix and board is not None:
        from hil.cli import context

        platform = context.board_named(context.load(inventory), board).platform
        if platform != "tda4vm":  # before any board is started
            raise ConfigError(
                f"--fix keeps layers with TIDL's 16-bit names lists: {board} is a {platform} board",
                hint="--keep on TensorRT and SNPE is not implemented yet (docs/diagnose.md)",
            )
    paths = expand_clips(clips or [bundled("artifacts/clips")])
    feeds = frames_for(model, paths, frames, qdq if worst else None)
    if write_inputs is not None:
        listing = write_snpe_inputs(feeds, write_inputs)
        if not json_out:
            out.print(f"wrote {len(feeds)} frame(s) and {listing}", markup=False, highlight=False)
    with tempfile.TemporaryDirectory(prefix="hil-diagnose-") as tmp:
        source = None
        traces = None
        trt = None
        kept = None if keep is None else [k.strip() for k in keep.split(",") if k.strip()]
        if board is not None:
            dump, source, label, kind, marks = _board_dump(
                board, inventory, model, qdq, feeds, Path(tmp), paths, kept
            )
            if kind == "tidl":
                traces = dump
            elif kind == "trt":
                trt = (dump, marks)
            else:
                snpe_dump = dump
        diagnosis = run_diagnosis(
            model, qdq, feeds, snpe_dump=snpe_dump, rank=rank, tidl_traces=traces, trt_debug=trt
        )
        if source is not None:
            diagnosis.board_source = f"{board}: {label}"
            diagnosis.board_command = source
    result = diagnosis.to_dict()
    if fix and board is not None:
        result["fix"] = _fix(result, model, board, inventory, paths, fix_layers, db, json_out)
    if stored is not None:
        from hil.store import Store
        from hil.store.rows import JobLog

        result["stored"] = {"run": stored.run_id, "result": stored.number, "kind": "diagnose"}
        with Store.open(db, create=False) as store:
            command = f"hil diagnose {stored.run_id}#{stored.number} --board {board} --frames {frames}"
            store.add_log(stored.result_id, JobLog(kind="diagnose", command=command, text=json.dumps(result)))
    text = json.dumps(result, indent=2)
    if save is not None:
        save.write_text(text + "\n")
    if json_out:
        out.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True)
        return
    for line in table_lines(result, only):
        out.print(line, markup=False, highlight=False)
    out.print(Text.from_ansi(depth_plot(result, width=min(out.width, 100), colour=out.is_terminal)))
    for line in summary_lines(result):
        out.print(line, markup=False, highlight=False)
    if "fix" in result:
        fixed = result["fix"]
        out.print(f"fix: {fixed['reason']}", markup=False, highlight=False)
        if fixed.get("card"):
            out.print(
                f"kept set written to {fixed['card']} (keep: {', '.join(fixed['chosen'])})", markup=False
            )


@dataclass(frozen=True)
class StoredResult:
    run_id: str
    number: int
    result_id: int
    model: Path
    board: str
    clips: list[Path]
    inventory: Path | None


def stored_result(spec: str, db: Path) -> StoredResult:
    """RUN#N: row N of `hil show RUN`, an int8 result, with the model and clip its run's plan names."""
    from hil.errors import ConfigError
    from hil.report.table import order_results
    from hil.store import Store

    run, _, number = spec.rpartition("#")
    if not db.exists():
        raise ConfigError(f"no results store at {db}", hint="pass --db")
    with Store.open(db, create=False) as store:
        rid = store.latest_run_id() if run == "last" else run
        stored = dict(zip(store.result_ids(rid or ""), store.run_results(rid or ""), strict=True))
        plan = store.plan_of(rid or "")
    ids = {id(r): key for key, r in stored.items()}
    numbered = order_results(list(stored.values()))
    if not numbered or not 1 <= int(number) <= len(numbered):
        raise ConfigError(f"run {run} in {db} has no result {number}", hint="hil show RUN lists them (#)")
    row = numbered[int(number) - 1]
    if row.precision != "int8":
        raise ConfigError(f"result {spec} is {row.precision}: hil diagnose explains int8 results")
    if plan is None or not plan.get("models"):
        raise ConfigError(
            f"run {rid} stored no plan naming its models", hint="diagnose the model by its path"
        )
    from hil.artifacts.card import load_card

    def name_of(path: Path) -> str:
        card = load_card(path) if path.is_file() else None
        return card.name if card is not None else path.name.removesuffix(".onnx")

    models = [Path(m) for m in plan["models"] if name_of(Path(m)) == row.model]
    if not models:
        raise ConfigError(f"run {rid}'s plan names no model {row.model} that exists here")
    clip_name = row.clip.split("#")[0]
    clips = [Path(c) for c in plan.get("clips") or [] if Path(c).stem == clip_name]
    inventory = Path(plan["inventory"]) if plan.get("inventory") else None
    return StoredResult(rid or "", int(number), ids[id(row)], models[0], row.board, clips, inventory)


def fix_candidates(result: dict[str, Any]) -> list[str]:
    """Layers to keep, most useful first: the board's layers under 20 dB from the lowest SNR up (what the
    board's own conversion loses), then the host ranking (the share of the output error each explains)."""
    board = [e for e in result.get("board") or [] if e.get("snr_db") is not None and e["snr_db"] < 20]
    ranked = [e["name"] for e in sorted(board, key=lambda e: e["snr_db"])]
    ranked += [c["name"] for c in result.get("ranking") or [] if (c.get("share") or 0) > 0.01]
    return list(dict.fromkeys(ranked))


def _fix(
    result: dict[str, Any],
    model: Path,
    board: str,
    inventory: Path | None,
    clips: list[Path],
    max_layers: int,
    db: Path,
    quiet: bool,
) -> dict[str, Any]:
    """The greedy search (hil.runs.fix), each step an ordinary `hil run --keep` on the board."""
    from hil.cli.common import err
    from hil.cli.run import _execute, _prepare
    from hil.runs.fix import StepResult, greedy_keep
    from hil.store import Store

    candidates = fix_candidates(result)
    if not quiet:
        out.print(
            f"fix: trying up to {max_layers} of {len(candidates)} ranked layer(s) on {board}", markup=False
        )

    def step(kept: tuple[str, ...]) -> StepResult:
        plan = {
            "inventory": str(inventory) if inventory else None, "where": [f"name={board}"], "suite": None,
            "models": [str(model.absolute())], "clips": [str(c.absolute()) for c in clips],
            "precision": "int8", "input_shapes": [], "keep": list(kept), "warmup": 10, "max_frames": 0,
            "fps": 0.0, "deadline": None, "job_timeout": None, "retries": 1, "quarantine_after": 3,
        }  # fmt: skip
        prepared = _prepare(plan, resumed=False)
        with Store.open(db) as store:
            the_run = prepared.run(store, None)
            _execute(the_run, json=True)
            rows = store.run_results(the_run.run_id)
        if not rows:
            return StepResult(kept, "infra_error", None, None, error="the run stored no result")
        latency_ok = (
            None if any(r.budgets.latency is None for r in rows) else all(r.budgets.latency for r in rows)
        )
        loss_ok = None if any(r.budgets.loss is None for r in rows) else all(r.budgets.loss for r in rows)
        figures: dict[str, float | None] = {}
        for check in (rows[0].loss or {}).get("checks") or []:
            if check.get("figure") == "AP50" or (not figures and check.get("unit") == "pt"):
                figures = {check["figure"]: check.get("board"), "fp32": check.get("reference")}
        p50s = [r.latency_ms.p50 for r in rows if r.latency_ms is not None and r.latency_ms.p50 is not None]
        status = "pass" if all(r.status == "pass" for r in rows) else rows[0].status
        error = next((r.error for r in rows if r.status == "infra_error"), None)
        done = StepResult(
            kept, status, loss_ok, latency_ok, figures, max(p50s) if p50s else None, the_run.run_id, error
        )
        if not quiet:
            shown = ", ".join(f"{k} {v:.3f}" for k, v in figures.items() if v is not None)
            p50 = f"{done.p50_ms:.2f} ms" if done.p50_ms is not None else "-"
            err.print(
                f"fix step {len(kept)}: keep [{', '.join(kept) or 'none'}]: {status}, "
                f"{shown or 'no figure'}, p50 {p50}, run {the_run.run_id}",
                markup=False,
                highlight=False,
            )
        return done

    outcome = greedy_keep(candidates, step, max_layers).to_dict()
    if outcome["chosen"]:
        outcome["card"] = str(write_card_keep(model, outcome["chosen"]))
    return outcome


def write_card_keep(model: Path, keep: list[str]) -> Path:
    """The model card's `keep` set to these layers, where the next `hil run` of the model picks it up."""
    from hil.artifacts.card import load_card, write_card
    from hil.errors import ConfigError

    card = load_card(model)
    if card is None:
        raise ConfigError(f"{model} has no model card to write the kept layers to", hint="docs/models.md")
    return write_card(model, card.model_copy(update={"keep": list(keep)}))


def _board_dump(
    board: str,
    inventory: Path | None,
    model: Path,
    qdq: Path,
    feeds: Any,
    tmp: Path,
    clips: list[Path],
    keep: list[str] | None,
) -> tuple[Path, str, str, str, dict[str, str]]:
    """(dump folder, vendor commands, what it is, its kind, the TensorRT marks) for these frames: the
    board's `snpe-net-run --debug` folder, TIDL layer traces or trtexec debug tensors (the simulated board
    started if needed)."""
    import numpy as np

    from hil.artifacts.card import load_card
    from hil.cli import context
    from hil.diagnose.diagnosis import write_snpe_inputs
    from hil.runs.layer_dump import check_supported, snpe_layer_dump, tidl_layer_dump, trt_layer_dump
    from hil.runs.simulated import simulated_boards
    from hil.runs.suite import load_model
    from hil.runs.target import target_for

    inv = context.load(inventory)
    spec = context.board_named(inv, board)
    check_supported(spec.name, spec.platform)  # before any simulated board is started
    rack = context.rack()
    builder = context.build_host_of(inv, spec)
    target = target_for(spec, context.known_hosts(), rack.client_key, builder)
    if spec.platform == "tda4vm":
        card = load_card(model)
        wanted = keep if keep is not None else list(card.keep or []) if card is not None else []
        mut, _ = load_model(model, ["int8"], keep=wanted)  # int8 is then the FP32 model, static
        kept = mut.keep or ()
        static, _sha = mut.pushed("int8", True)
        frames = []
        for i, feed in enumerate(feeds):
            frames.append(tmp / f"frame_{i}.npy")
            np.save(frames[-1], np.asarray(next(iter(feed.values())), dtype=np.float32))
        frames_card = mut.card.calibration_frames if mut.card is not None else None
        with simulated_boards(rack, [spec, *([builder] if builder is not None else [])]):
            dump, command = tidl_layer_dump(
                target, static, frames, tmp / "dump", clips, mut.input_spec(), frames_card, kept
            )
        label = "TIDL layer traces (debug_level 4) of its 8-bit compile" + (
            f" with {', '.join(kept)} at 16 bit" if kept else ""
        )
        return dump, command, label, "tidl", {}
    if spec.platform == "orin":
        import onnx

        from hil.diagnose.diagnosis import trt_marks

        raws = []
        for i, feed in enumerate(feeds):
            raws.append(tmp / f"frame_{i}.raw")
            np.ascontiguousarray(next(iter(feed.values())), dtype=np.float32).tofile(raws[-1])
        marks = trt_marks(onnx.load(str(model)), onnx.load(str(qdq)))
        shapes = {name: list(value.shape) for name, value in feeds[0].items()}
        with simulated_boards(rack, [spec]):
            dump, command = trt_layer_dump(target, qdq, raws, tmp / "dump", list(marks), shapes)
        label = "trtexec --markDebug / --saveDebugTensors on its int8 engine (TensorRT 10)"
        return dump, command, label, "trt", marks
    inputs = tmp / "inputs"
    write_snpe_inputs(feeds, inputs)
    shapes = {name: list(value.shape) for name, value in feeds[0].items()}
    with simulated_boards(rack, [spec, *([builder] if builder is not None else [])]):
        dump, command = snpe_layer_dump(target, qdq, inputs, len(feeds), tmp / "dump", shapes)
    return dump, command, "snpe-net-run --use_dsp --debug on its int8 DLC", "snpe", {}


def register(app: typer.Typer) -> None:
    app.command("diagnose", help=HELP)(diagnose)
