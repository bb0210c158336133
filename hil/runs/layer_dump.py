"""Every layer's output of a model on a board, through the vendor's own debug mechanism, fetched to the host.

    snpe_layer_dump(target, qdq, inputs, frames, dest, shapes) -> (dest, command)
    tidl_layer_dump(target, model, frames, dest, clips, spec, calibration_frames, keep) -> (dest, command)

QCS8255 (SNPE): the QDQ model goes through the platform's ordinary conversion (the same DLC `hil run`
builds, from its cache when it exists; on the board's build host when the inventory names one), the frames
are pushed as raw inputs, and `snpe-net-run --use_dsp --debug` writes every layer's output under
`Result_<i>/` ("output from all layers of the network will be saved", SNPE's help). The folder comes back as
a tar archive and is read by hil.diagnose.dumps.

TDA4VM (TIDL): the FP32 model (static shapes) goes through the platform's TIDL compilation at tensor_bits 8
with TIDL's own calibration on the clips (the card's calibration_frames) and the kept layers in its 16-bit
names list (the path `hil run --keep` takes), then hil's tidl_trace.py runs each frame with the inference
option `debug_level` 4 and collects TIDL's float layer traces and the artifacts' layer_info.txt (TI's
docs/tidl_osr_debug.md).

Orin (TensorRT 10): the QDQ model is built by the board's trtexec as `hil run` builds it (`--int8 --fp16`)
with every layer output marked as a debug tensor (`--markDebug`, TensorRT 10's IDebugListener; the
"mark all" of Polygraphy's `--trt-outputs mark all`), then each frame runs once from the saved engine with
`--loadInputs` (raw float32) and `--saveDebugTensors` writing every marked tensor's raw values. Marking
tensors can keep TensorRT from fusing the layers that produce them, so the engine traced is the diagnosis's
own build, not the cached engine of `hil run`.
"""

from __future__ import annotations

import io
import secrets
import shlex
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hil.errors import ConfigError, InfraError
from hil.platforms.qcs8255 import SNPE_ENV
from hil.runs.build import BuildHost
from hil.runs.context import board_context, harness_items
from hil.runs.target import BoardTarget
from hil.transport.push import item, push, sha256_file
from hil.transport.ssh import BoardConnection

SUPPORTED = ("qcs8255", "tda4vm", "orin")


def check_supported(board: str, platform: str) -> None:
    if platform not in SUPPORTED:
        raise ConfigError(
            f"{board} is a {platform} board: hil diagnose drives layer dumps on "
            f"{', '.join(SUPPORTED)} only so far",
            hint="compare a dump made by hand with --snpe-dump, or diagnose on the host alone",
        )


def _pack(rundir: str) -> str:
    """The shell step that packs the dump folder (`rundir/out`) into one archive, read back in one go."""
    return f"tar -C {shlex.quote(rundir + '/out')} -cf {shlex.quote(rundir + '/out.tar')} ."


def _fetch(conn: BoardConnection, rundir: str, dest: Path) -> None:
    """The packed dump unpacked into `dest` on the host; the board's run folder removed."""
    data = conn.read(f"{rundir}/out.tar")
    conn.run_script(f"rm -rf {shlex.quote(rundir)}", 60)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")


def snpe_layer_dump(
    target: BoardTarget,
    qdq: Path,
    inputs: Path,
    frames: int,
    dest: Path,
    shapes: Mapping[str, list[int]],
) -> tuple[Path, str]:
    """`inputs` is hil.diagnose.diagnosis.write_snpe_inputs' folder; the dump lands in `dest`."""
    check_supported(target.name, target.platform.key)
    raws = sorted(inputs.glob("frame_*.raw"))
    if len(raws) != frames:
        raise ConfigError(f"{inputs} has {len(raws)} raw frames, not {frames}")
    with BoardConnection(target.endpoint, tag="diagnose") as conn:
        ctx = board_context(target, conn)
        model_item = item(qdq, ctx.path("blobs"))
        rundir = ctx.path("diagnose", secrets.token_hex(4))
        frame_items = [item(raw, f"{rundir}/in") for raw in raws]
        push(conn, [model_item, *frame_items, *harness_items(ctx)])
        if target.build_host is None:  # the vendor's converter on the board itself
            conversion = target.platform.convert(
                ctx, model_item.remote, sha256_file(qdq), "int8", input_shapes=dict(shapes)
            )
        else:  # on the inventory's build host, the DLC shipped to the board (as `hil run` does)
            builder = BuildHost(target.build_host, "diagnose")
            try:
                conversion, _ = builder.convert(ctx, qdq, sha256_file(qdq), "int8", [], None, dict(shapes))
            finally:
                builder.close()
        listing = "\n".join(i.remote for i in frame_items) + "\n"
        net_run = ["snpe-net-run", "--container", conversion.engine]
        net_run += ["--input_list", f"{rundir}/input_list.txt", "--output_dir", f"{rundir}/out"]
        net_run += ["--use_dsp", "--debug"]
        script = (
            f"{SNPE_ENV}; printf %s {shlex.quote(listing)} > {shlex.quote(rundir + '/input_list.txt')} && "
            f"{shlex.join(net_run)} > {shlex.quote(rundir + '/net-run.log')} 2>&1 && "
            f"{_pack(rundir)}"
        )
        res = conn.run_script(script, target.command_timeout_s)
        if not res.ok:
            log = conn.run_script(f"tail -20 {shlex.quote(rundir + '/net-run.log')}", 30).stdout
            raise InfraError(
                f"{target.name}: snpe-net-run --debug failed ({res.exit_code}): {log.strip()[-600:]}"
            )
        _fetch(conn, rundir, dest)
    return dest, f"{conversion.command} && {shlex.join(net_run)}"


def tidl_layer_dump(
    target: BoardTarget,
    model: Path,
    frames: list[Path],
    dest: Path,
    clips: list[Path],
    input_spec: dict[str, Any] | None,
    calibration_frames: int | None,
    keep: Sequence[str],
) -> tuple[Path, str]:
    """`model`: the FP32 model with static input shapes; `frames`: one float32 .npy input per frame."""
    check_supported(target.name, target.platform.key)
    sha = sha256_file(model)
    with BoardConnection(target.endpoint, tag="diagnose") as conn:
        ctx = board_context(target, conn)
        rundir = ctx.path("diagnose", secrets.token_hex(4))
        frame_items = [item(f, f"{rundir}/in") for f in frames]
        if target.build_host is None:  # the vendor's converter on the board itself
            model_item = item(model, ctx.path("blobs"))
            clip_items = [item(c, ctx.path("blobs")) for c in clips]
            push(conn, [model_item, *clip_items, *frame_items, *harness_items(ctx)])
            conversion = target.platform.convert(
                ctx,
                model_item.remote,
                sha,
                "int8",
                clips=[c.remote for c in clip_items],
                input_spec=input_spec,
                calibration_frames=calibration_frames,
                keep=list(keep),
            )
        else:  # on the inventory's build host, the artifacts shipped to the board (as `hil run` does)
            push(conn, [*frame_items, *harness_items(ctx)])
            builder = BuildHost(target.build_host, "diagnose")
            try:
                conversion, _ = builder.convert(
                    ctx, model, sha, "int8", clips, input_spec, None, calibration_frames, list(keep)
                )
            finally:
                builder.close()
        trace = ["python3", f"{ctx.harness_dir}/tidl_trace.py", f"--artifacts={conversion.engine}"]
        trace += [f"--out={rundir}/out", *(i.remote for i in frame_items)]
        script = f"{shlex.join(trace)} > {shlex.quote(rundir + '/trace.log')} 2>&1 && {_pack(rundir)}"
        res = conn.run_script(script, target.command_timeout_s)
        if not res.ok:
            log = conn.run_script(f"tail -20 {shlex.quote(rundir + '/trace.log')}", 30).stdout
            raise InfraError(
                f"{target.name}: TIDL layer traces failed ({res.exit_code}): {log.strip()[-600:]}"
            )
        _fetch(conn, rundir, dest)
    return dest, f"{conversion.command} && {shlex.join(trace[:3])} (debug_level 4)"


def trt_layer_dump(
    target: BoardTarget,
    qdq: Path,
    frames: list[Path],
    dest: Path,
    marks: Sequence[str],
    shapes: Mapping[str, list[int]],
) -> tuple[Path, str]:
    """`frames`: one raw float32 file per frame (the model's one input); `marks`: the tensors to dump. Each
    frame's tensors land in `dest/frame_<i>/<k>.raw`, k the tensor's index in `marks`."""
    from hil.platforms.orin import PRECISION_FLAGS, TRTEXEC, shape_flags

    check_supported(target.name, target.platform.key)
    with BoardConnection(target.endpoint, tag="diagnose") as conn:
        ctx = board_context(target, conn)
        version = target.platform.converter_version(ctx.facts) or ""
        major = int(version.split(".")[0]) if version.split(".")[0].isdigit() else 0
        if major < 10:
            raise ConfigError(
                f"{target.name}: TensorRT {version or '(none found)'} has no debug tensors "
                "(trtexec --markDebug / --saveDebugTensors came with TensorRT 10)",
                hint="diagnose on a JetPack 6 board, or on the host alone",
            )
        rundir = ctx.path("diagnose", secrets.token_hex(4))
        model_item = item(qdq, ctx.path("blobs"))
        frame_items = [item(f, f"{rundir}/in") for f in frames]
        push(conn, [model_item, *frame_items])
        quoted = [f"'{m}'" for m in marks]
        engine = f"{rundir}/traced.engine"
        build = [f"--onnx={model_item.remote}", *PRECISION_FLAGS["int8"], *shape_flags(shapes)]
        build += [f"--markDebug={','.join(quoted)}", f"--saveEngine={engine}", "--skipInference"]
        (name,) = list(shapes) or ["input"]
        lines = [f"{TRTEXEC} {shlex.join(build)} > {shlex.quote(rundir + '/build.log')} 2>&1"]
        for i, frame in enumerate(frame_items):
            out = f"{rundir}/out/frame_{i}"
            save = ",".join(f"{q}:{out}/{k}.raw" for k, q in enumerate(quoted))
            run = [f"--loadEngine={engine}", f"--loadInputs='{name}':{frame.remote}"]
            run += [f"--saveDebugTensors={save}", "--iterations=1", "--warmUp=0", "--duration=0"]
            lines.append(
                f"mkdir -p {shlex.quote(out)} && {TRTEXEC} {shlex.join(run)} >> {rundir}/run.log 2>&1"
            )
        lines.append(_pack(rundir))
        res = conn.run_script(" && ".join(lines), target.command_timeout_s)
        if not res.ok:
            logs = f"{rundir}/build.log {rundir}/run.log"
            log = res.stderr + conn.run_script(f"grep -h -e ERROR -e FAILED {logs} | tail -5", 30).stdout
            raise InfraError(
                f"{target.name}: trtexec debug tensors failed ({res.exit_code}): {log.strip()[-600:]}"
            )
        _fetch(conn, rundir, dest)
    shown = shlex.join(["trtexec", *build[:3], "--markDebug=<every layer output>", "--saveDebugTensors=..."])
    return dest, shown
