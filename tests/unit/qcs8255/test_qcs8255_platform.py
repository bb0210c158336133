"""The qcs8255 platform's pure parts: facts, command lines per precision, replay argv, power plan, errors."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

import pytest

from hil.platforms import get
from hil.platforms.base import BoardContext, ReplayRequest
from hil.platforms.qcs8255 import (
    PLATFORM,
    _failure,
    runtime_of_engine,
    snpe_version,
    steps,
)


@dataclass
class Ctx:
    """What power_plan and replay_argv read of a BoardContext (no connection needed)."""

    name: str = "qcs-x"
    workdir: str = "/home/u/hil work"
    sim: bool = True
    timeout_s: float = 600.0
    power_command: str | None = None
    harness_dir: str = "/home/u/hil work/harness"

    def path(self, *parts: str) -> str:
        return "/".join([self.workdir, *parts])


def ctx(**kw: object) -> BoardContext:
    return Ctx(**kw)  # type: ignore[arg-type,return-value]


def test_registered_with_three_precisions() -> None:
    assert get("qcs8255") is PLATFORM and PLATFORM.precisions == ("fp32", "fp16", "int8")


def test_facts_are_normalised() -> None:
    facts = PLATFORM.normalise_facts(
        {"snpe_banner": "SNPE v2.22.0.240425", "snpe_root": "/opt/x", "soc_machine": "QCS8255\n"}
    )
    assert (facts["snpe"], facts["soc"], facts["qnn"]) == ("2.22.0.240425", "QCS8255", "")
    from_root = PLATFORM.normalise_facts({"snpe_root": "/opt/qcom/aistack/qairt/2.26.0.240828"})
    assert from_root["snpe"] == "2.26.0.240828"
    assert PLATFORM.converter_version(from_root) is None  # an SDK folder without working tools cannot convert
    assert snpe_version("no version here") is None
    assert PLATFORM.fingerprint_keys() == ("soc", "snpe", "cpu_max_mhz", "gpu_max_mhz")  # clock caps in force


def test_command_lines_per_precision() -> None:
    fp32, fp16, int8 = (steps("/b/m.onnx", "/e/K", "/h", p, "sa8255") for p in ("fp32", "fp16", "int8"))
    assert fp32 == [
        ["snpe-onnx-to-dlc", "--input_network", "/b/m.onnx", "--output_path", "/e/K.cpu.dlc.part"]
    ]
    assert fp16[0][-2:] == ["--float_bitwidth", "16"] and fp16[0][-3] == "/e/K.gpu.dlc.part"
    assert [s[0] for s in int8] == [
        "snpe-onnx-to-dlc",
        "python3",
        "snpe-dlc-quantize",
        "snpe-dlc-graph-prepare",
    ]
    assert int8[1][1] == "/h/snpe_calib.py"
    assert (
        "--override_params" in int8[2]
        and int8[2][int8[2].index("--input_list") + 1] == "/e/K.calib/input_list.txt"
    )
    assert int8[3][-3:] == ["/e/K.dsp.dlc.part", "--htp_socs", "sa8255"]


def test_replay_runs_snpe_net_run_with_the_dlcs_runtime() -> None:
    for runtime, flags in (
        ("cpu", []),
        ("gpu", ["--use_gpu", "--gpu_mode", "float16"]),
        ("dsp", ["--use_dsp"]),
    ):
        req = ReplayRequest(
            harness_dir="/w/harness/abc", engine=f"/w/engines/k.{runtime}.dlc", clip="/w/blobs/my clip.mp4",
            rundir="/w/runs/t 1", out="/w/runs/t 1/frames.jsonl", warmup=5, max_frames=0, fps=30.0,
            input_spec={"name": "input", "shape": [1, 1, 32, 32]},
        )  # fmt: skip
        argv = PLATFORM.replay_argv(ctx(), req)
        assert argv[:2] == ["sh", "-c"] and len(argv) == 3
        parts = argv[2].split("; fi; ", 1)[1].split(" && ")
        diag = parts.pop(2)  # the diag log SNPE wrote, whatever its release named it (SNPEDiag_0.log in 2.x)
        assert "ls -1 '/w/runs/t 1/output'/SNPEDiag*.log" in diag
        assert 'snpe-diagview --input_log "$log"' in diag
        commands = [shlex.split(part) for part in parts]
        commands.insert(2, ["snpe-diagview"])
        assert [c[0] for c in commands] == ["python3", "python3", "snpe-diagview", "python3"]
        net_run = commands[1][commands[1].index("--") + 1 :]
        assert net_run[:3] == ["snpe-net-run", "--container", req.engine]
        assert net_run[-2:] == ["--perf_profile", "high_performance"] and net_run[7:-2] == flags
        assert "/w/blobs/my clip.mp4" in commands[0] and commands[3][-1] == {
            "cpu": "CPU",
            "gpu": "GPU_FP16",
        }.get(runtime, "DSP")
    assert runtime_of_engine("/x/unknown.dlc") == "cpu"


def test_power_plan_uses_the_inventory_command() -> None:
    assert PLATFORM.power_plan(ctx(), "tegrastats", 100, "t") is None
    assert PLATFORM.power_plan(ctx(sim=False), "auto", 100, "t") is None  # a real board needs a meter named
    assert PLATFORM.power_plan(ctx(), "command", 100, "t") is None  # simulated boards too: sim.yaml names it
    sim = PLATFORM.power_plan(ctx(power_command="qcs-meter"), "command", 50, "t")
    assert sim is not None and sim.source == "sim-model" and sim.command == "qcs-meter"
    # The meter runs under the harness's power_log.py, which stamps each line with the board's clock.
    assert "setsid timeout 660 python3" in sim.start and "power_log.py" in sim.start
    assert shlex.quote("HIL_POWER_INTERVAL_MS=50 exec qcs-meter") in sim.start and sim.interval_s == 0.05
    assert sim.log_path == "/home/u/hil work/power/t.meter.csv"
    real = PLATFORM.power_plan(ctx(sim=False, power_command="otii-cli --csv 'ch 1'"), "command", 100, "t")
    assert real is not None and real.source == "command"
    assert "otii-cli --csv" in real.start and "kill -TERM --" in real.stop


def test_meter_lines_keep_the_stamp_power_log_gave_them() -> None:
    text = (
        "10.000000 # qcs-meter: modelled\n10.000100 timestamp_s,voltage_v,current_a,power_w\n"
        "10.100000 1.0,12.000,0.2000,2.400\n10.2\n10.300000 3.0,12.000,0.2500,3.000\n"
    )
    reading = PLATFORM.read_power(
        PLATFORM.power_plan(ctx(power_command="qcs-meter"), "command", 100, "t"), text
    )
    assert reading.samples == [(10.1, 2400.0), (10.3, 3000.0)]


CONVERTER_ERROR = "2024-01-01 00:00:00,000 - 209 - ERROR - Node X_1: 'No translation'"


@pytest.mark.parametrize(
    ("log", "tool", "error"),
    [
        (
            f"+ snpe-onnx-to-dlc -i m.onnx\n{CONVERTER_ERROR}\n",
            "snpe-onnx-to-dlc",
            "Node X_1: 'No translation'",
        ),
        (
            "+ snpe-onnx-to-dlc a\nok\n+ snpe-dlc-quantize b\n[ERROR] Could not open input list: l\n",
            "snpe-dlc-quantize",
            "Could not open input list: l",
        ),
        (
            "+ python3 /h/snpe_calib.py --onnx m\nTraceback\nValueError: boom\n",
            "snpe_calib.py",
            "ValueError: boom",
        ),
        ("", "the SNPE converter", "exit code 139"),
    ],
)
def test_failure_names_the_tool_and_its_own_error(log: str, tool: str, error: str) -> None:
    assert _failure(log, 139) == (tool, error)
