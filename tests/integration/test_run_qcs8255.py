"""`hil run` end to end on a simulated QCS8255: real sshd, emulated SNPE tools and meter, ONNX Runtime."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from tests.conftest import Hil, free_endpoint, needs_sshd
from tests.fixtures.tiny import make_clip, make_model

pytestmark = [needs_sshd]


def write_inventory(path: Path, name: str) -> Path:
    """One simulated qcs8255 board whose power comes from a meter command, as on a real rack, and its x86_64
    build host (SNPE's converters and snpe-diagview are host tools: the board has none of them)."""
    (host, port), (bhost, bport) = free_endpoint(), free_endpoint()
    path.write_text(
        # Generous latency/power budgets: tests check behaviour, bench/ checks speed (see conftest).
        "all:\n  vars:\n    budgets: {latency_ms: 5000, power_w: 50}\n"
        "  children:\n    rack:\n      vars:\n        sim: true\n      hosts:\n"
        f"        {name}:\n          platform: qcs8255\n          ansible_host: {host}\n"
        f"          ansible_port: {port}\n          build_host: {name}-build\n"
        "          power: {source: command, command: qcs-meter, interval_ms: 50}\n"
        f"        {name}-build:\n          platform: qcs8255\n          ansible_host: {bhost}\n"
        f"          ansible_port: {bport}\n"
    )
    return path


def host_qdq(model: Path, clip: Path) -> Path:
    """`<stem>.int8.onnx` beside the model: QDQ INT8 calibrated on the clip frames, like hil quantize."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    cap = cv2.VideoCapture(str(clip))
    frames = []
    while (frame := cap.read())[0]:
        gray = cv2.cvtColor(frame[1], cv2.COLOR_BGR2GRAY)
        frames.append(
            cv2.resize(gray, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)[None, None] / 255
        )

    class Reader:
        def __init__(self) -> None:
            self.batches = iter([{"input": f} for f in frames[::4]])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.batches, None)

    out = model.with_name(model.name.removesuffix(".onnx") + ".int8.onnx")
    quantize_static(
        str(model), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
        extra_options={"ActivationSymmetric": True, "WeightSymmetric": True},
    )  # fmt: skip
    return out


def test_fp32_fp16_int8_run_on_snpe_cpu_gpu_dsp(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    host_qdq(model, clip)
    inventory = write_inventory(tmp_path / "rack.yaml", "qcs-t1")
    proc = hil(
        "run", "-i", str(inventory), "--model", str(model), "--clip", str(clip),
        "--precision", "fp32,fp16,int8", "--warmup", "5", "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    results = {r["precision"]: r for r in payload["results"]}
    assert set(results) == {"fp32", "fp16", "int8"}
    for r in results.values():
        assert r["status"] == "pass", r
        assert r["board"] == "qcs-t1" and r["platform"] == "qcs8255"
        assert r["accuracy"] is not None and r["accuracy"] >= 0.95
        assert r["latency_ms"]["n"] == 35  # 40 frames minus 5 warm-up
        assert r["power_source"] == "sim-model" and 1.8 <= r["power_w"] <= 5.4  # the documented model
        assert r["memory_peak_mb"] > 0 and r["engine_bytes"] > 0 and r["conversion_s"] > 0
    assert len({r["engine_key"] for r in results.values()}) == 3

    convert = hil("show", payload["run_id"], "--log", "convert")
    assert convert.returncode == 0, convert.stderr
    for expected in (
        "snpe-onnx-to-dlc --input_network", "--float_bitwidth 16", "INFO_CONVERSION_SUCCESS",
        "snpe-dlc-quantize --input_dlc", "--override_params", "[INFO] bw: 8",
        "snpe-dlc-graph-prepare --input_dlc", "--htp_socs sa8255",
    ):  # fmt: skip
        assert expected in convert.stdout, expected
    replay = hil("show", payload["run_id"], "--log", "replay")
    for expected in (
        "snpe-net-run --container", "--use_gpu --gpu_mode float16", "--use_dsp",
        "--perf_profile high_performance", "snpe-diagview --input_log", "Average SNPE Statistics:",
    ):  # fmt: skip
        assert expected in replay.stdout, expected
    power = hil("show", payload["run_id"], "--log", "power")
    assert "$ qcs-meter" in power.stdout and "timestamp_s,voltage_v,current_a,power_w" in power.stdout


def test_converter_rejects_operator_fails_that_job_only(hil: Hil, tmp_path: Path) -> None:
    bad = make_model(tmp_path / "custom-op.onnx", extra_op="FancyOp")
    good = make_model(tmp_path / "good.onnx")
    clip = make_clip(tmp_path / "c.mp4", frames=12)
    inventory = write_inventory(tmp_path / "rack.yaml", "qcs-t2")
    proc = hil(
        "run", "-i", str(inventory), "--model", str(bad), "--model", str(good), "--clip", str(clip),
        "--precision", "fp32", "--warmup", "2", "--json",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    by_model = {r["model"]: r for r in json.loads(proc.stdout)["results"]}
    failed = by_model["custom-op"]
    assert failed["status"] == "fail" and failed["stage"] == "convert"
    assert failed["error"].startswith(  # the converter ran on the board's build host, which the error names
        "qcs-t2-build: snpe-onnx-to-dlc failed to build the fp32 DLC (SNPE CPU runtime)"
    )
    assert "Node FancyOp_3: 'No translation registered for op type onnx_fancyop." in failed["error"]
    assert by_model["good"]["status"] == "pass"
