"""`hil run` end to end on a simulated TDA4VM: real sshd, the TIDL flow through the emulated providers,
INA226 power from the sidecar, real ONNX Runtime underneath."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import Hil, needs_sshd, write_sim_inventory
from tests.fixtures.tiny import make_clip, make_model
from tests.unit.tda4vm.material import qdq_sibling

pytestmark = [needs_sshd]


def tda_inventory(path: Path, name: str) -> Path:
    """A one-board rack (INA226 hwmon power, as a TDA4VM has)."""
    return write_sim_inventory(path, {name: "tda4vm"}).inventory


def run(hil: Hil, inventory: Path, *args: str) -> tuple[int, dict, str]:
    proc = hil("run", "-i", str(inventory), "--warmup", "4", "--json", *args)
    payload = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}
    return proc.returncode, payload, proc.stderr


def test_int16_and_int8_pass_through_tidl_with_modelled_ina226_power(hil: Hil, tmp_path: Path) -> None:
    model = make_model(tmp_path / "bright.onnx")
    clip = make_clip(tmp_path / "cabin.mp4", frames=30)
    qdq_sibling(model, clip)
    inventory = tda_inventory(tmp_path / "rack.yaml", "tda-t1")
    code, payload, stderr = run(
        hil, inventory, "--model", str(model), "--clip", str(clip), "--precision", "fp32,fp16,int16,int8"
    )
    assert code == 0, stderr
    results = {r["precision"]: r for r in payload["results"]}
    # TIDL has no float mode: the fp32 the user named is a skipped result that says why.
    skipped = results.pop("fp32")
    assert skipped["status"] == "skipped" and "does not offer fp32" in skipped["error"]
    # Nor float16: its 16-bit mode is fixed point, named int16, and the skipped fp16 result says so.
    fp16 = results.pop("fp16")
    assert fp16["status"] == "skipped" and "use --precision int16" in fp16["error"], fp16
    assert set(results) == {"int16", "int8"}
    for r in results.values():
        assert r["status"] == "pass", r
        assert r["platform"] == "tda4vm" and r["board"] == "tda-t1"
        assert r["accuracy"] >= 0.95
        assert r["latency_ms"]["n"] == 26
        assert r["power_source"] == "sim-model" and 2.0 < r["power_w"] < 5.0
        assert r["engine_bytes"] > 0 and r["conversion_s"] > 0
    assert results["int16"]["engine_key"] != results["int8"]["engine_key"]

    code, again, stderr = run(
        hil, inventory, "--model", str(model), "--clip", str(clip), "--precision", "int16,int8"
    )
    assert code == 0, stderr
    for r in again["results"]:  # the artifacts are reused: same key, the first build's time, nothing pushed
        first = results[r["precision"]]
        assert r["engine_key"] == first["engine_key"] and r["bytes_pushed"] == 0
        assert r["conversion_s"] == pytest.approx(first["conversion_s"], abs=1e-3)

    show = hil("show", payload["run_id"], "--log", "convert")
    assert show.returncode == 0, show.stderr
    assert (
        "tidl_compile.py" in show.stdout
        and "--tensor-bits=16" in show.stdout
        and "--tensor-bits=8" in show.stdout
    )
    assert "Final number of subgraphs created are : 1, - Offloaded Nodes - 3, Total Nodes - 3" in show.stdout
    assert "Completed_Model" in show.stdout
    replay = hil("show", payload["run_id"], "--log", "replay")
    assert "--backend tidl_backend" in replay.stdout and "libtidl_onnxrt_EP loaded" in replay.stdout
    power = hil("show", payload["run_id"], "--log", "power")
    assert "/sys/class/hwmon/hwmon0/power1_input:" in power.stdout


def test_operator_tidl_rejects_fails_that_conversion_only(hil: Hil, tmp_path: Path) -> None:
    bad = make_model(tmp_path / "custom-op.onnx", extra_op="FancyOp")
    good = make_model(tmp_path / "good.onnx")
    clip = make_clip(tmp_path / "c.mp4", frames=16)
    inventory = tda_inventory(tmp_path / "rack.yaml", "tda-t2")
    code, payload, _ = run(
        hil, inventory, "--model", str(bad), "--model", str(good), "--clip", str(clip), "--precision", "int16"
    )
    by_model = {r["model"]: r for r in payload["results"]}
    assert by_model["custom-op"]["status"] == "fail" and by_model["custom-op"]["stage"] == "convert"
    assert "com.example:FancyOp(-1) is not a registered function/op" in by_model["custom-op"]["error"]
    assert by_model["good"]["status"] == "pass"
    assert code == 1


def test_convert_calibrates_on_the_clips_it_is_given(tmp_path: Path) -> None:
    """The platform's convert with clips and the card's input spec (what the runs layer will pass), over
    real SSH to a simulated TDA4VM: calibration uses the clips' frames, and they are part of the cache key."""
    from hil.platforms.base import BoardContext
    from hil.platforms.tda4vm import PLATFORM
    from hil.runs.context import facts_of, harness_items
    from hil.sim.rack import SimBoard, SimRack
    from hil.transport.endpoint import Endpoint
    from hil.transport.push import item, push
    from hil.transport.ssh import BoardConnection
    from tests.conftest import free_endpoint

    model = make_model(tmp_path / "bright.onnx")
    clip = make_clip(tmp_path / "cabin.mp4", frames=20)
    host, port = free_endpoint()
    rack = SimRack(tmp_path / "sim", tmp_path / "known_hosts")
    board = SimBoard("tda-t3", "tda4vm", host, port)
    rack.start(board)
    try:
        endpoint = Endpoint(
            "tda-t3", host, port, key_file=rack.client_key, known_hosts=rack.known_hosts, use_ssh_config=False
        )
        with BoardConnection(endpoint) as conn:
            facts = facts_of(PLATFORM, conn)
            home = facts["home"]
            ctx = BoardContext(
                "tda-t3", conn, f"{home}/hil-work", sim=True, facts=facts, harness_dir=f"{home}/hil-work/h"
            )
            items = [item(model, ctx.path("blobs")), item(clip, ctx.path("blobs"))]
            push(conn, [*items, *harness_items(ctx)])
            spec = {"shape": [1, 1, 32, 32], "layout": "NCHW", "colour": "gray", "scale": 1 / 255}
            sha = items[0].sha256
            plain = PLATFORM.convert(ctx, items[0].remote, sha, "int16")
            calibrated = PLATFORM.convert(
                ctx, items[0].remote, sha, "int16", clips=[items[1].remote], input_spec=spec
            )
            twenty, again = (
                PLATFORM.convert(  # a card's calibration_frames
                    ctx,
                    items[0].remote,
                    sha,
                    "int16",
                    clips=[items[1].remote],
                    input_spec=spec,
                    calibration_frames=20,
                )
                for _ in range(2)
            )
    finally:
        rack.stop("tda-t3")
    assert "synthetic frames" in plain.log and "synthetic" not in calibrated.log
    assert f"--calib-clip={items[1].remote}" in calibrated.command and "--input-json=" in calibrated.command
    assert calibrated.key != plain.key and not calibrated.cached
    assert "--calibration-frames=12" in calibrated.command  # TIDL's default, as edgeai-benchmark's
    assert "--calibration-frames=20" in twenty.command and twenty.key not in (plain.key, calibrated.key)

    # TIDL's calibration trace lists every frame of every iteration: `#   19 . .. T   0.01 ...`
    def frames(log: str) -> int:
        return 1 + max(int(n) for n in re.findall(r"#\s+(\d+) \. \.\. T", log))

    assert frames(calibrated.log) == 12 and frames(twenty.log) == 20, twenty.log
    assert again.cached and again.key == twenty.key


def test_the_cards_calibration_frames_reach_the_tidl_compile(hil: Hil, tmp_path: Path) -> None:
    model = make_model(tmp_path / "bright.onnx")
    card = model.with_suffix(".card.yaml")
    card.write_text(card.read_text() + "calibration_frames: 7\n")
    clip = make_clip(tmp_path / "cabin.mp4", frames=20)
    inventory = tda_inventory(tmp_path / "rack.yaml", "tda-t4")
    code, payload, stderr = run(hil, inventory, "--model", str(model), "--clip", str(clip), "-p", "int16")
    assert code == 0 and payload["results"][0]["status"] == "pass", stderr
    show = hil("show", payload["run_id"], "--log", "convert")
    assert show.returncode == 0, show.stderr
    assert "--calibration-frames=7" in show.stdout and "--calibration-frames=12" not in show.stdout

    card.write_text(card.read_text().replace("calibration_frames: 7", "calibration_frames: 0"))
    code, _, stderr = run(hil, inventory, "--model", str(model), "--clip", str(clip), "-p", "int16")
    assert code == 2 and "calibration_frames" in stderr, stderr
