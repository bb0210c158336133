"""The tda4vm platform module: facts read by its real shell lines, commands it builds, errors it reports."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import onnxruntime

from hil.platforms import get
from hil.platforms.base import COMMON_FACTS, BoardContext, ReplayRequest, facts_script, parse_facts
from hil.platforms.cache import cache_key
from hil.platforms.tda4vm import PLATFORM, _failure, _first_error, soc_name, tidl_tools_version
from hil.sim.boards.tda4vm import environment

from .conftest import board_python


def test_registered_with_tidl_precisions_only() -> None:
    assert get("tda4vm") is PLATFORM
    assert PLATFORM.precisions == ("int16", "int8")


def test_facts_from_a_simulated_boards_shell(board: Path, tmp_path: Path) -> None:
    script = facts_script({**COMMON_FACTS, **PLATFORM.fact_commands()})
    (tmp_path / "bin").mkdir()
    wrapper = tmp_path / "bin" / "python3"  # the board's python3, as the rack's wrapper
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    env = {**os.environ, **environment(board), "HIL_BOARD_ROOT": str(board)}
    env["PATH"] = f"{tmp_path / 'bin'}:{env['PATH']}"
    out = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60).stdout
    facts = PLATFORM.normalise_facts(parse_facts(out))
    assert facts["tidl_tools"] == "08_06_00_02" and PLATFORM.converter_version(facts) == "08_06_00_02"
    assert facts["edgeai_sdk"] == "08_06_00" and facts["soc"] == "TDA4VM"
    assert facts["onnxruntime"] == onnxruntime.__version__
    assert facts["tidl_providers"] == "TIDLExecutionProvider,TIDLCompilationProvider"
    # The CPU clock cap comes from the host's cpufreq through the emulated sysfs: "" where the host has none.
    assert all(facts[k] for k in PLATFORM.fingerprint_keys() if k != "cpu_max_mhz")
    assert "cpu_max_mhz" in facts and facts["throttled"] in ("no", "")


def test_facts_without_tidl_tools_mean_no_converter() -> None:
    facts = PLATFORM.normalise_facts({"tidl_tools_version": "", "soc_env": "", "dt_model": "Raspberry Pi 4"})
    assert PLATFORM.converter_version(facts) is None and facts["soc"] == "Raspberry Pi 4"
    assert tidl_tools_version("VERSION=10.01.04.00\n") == "10_01_04_00"
    assert soc_name("", "Texas Instruments J721E SK A72") == "TDA4VM" and soc_name("AM68PA", "") == "TDA4VM"


def test_the_shim_gives_the_real_onnxruntime_with_tidl_providers(board: Path) -> None:
    code = (
        "import onnxruntime as rt, onnxruntime.quantization\n"
        "print(rt.__file__)\nprint(rt.get_available_providers()[:2])\n"
        "s = rt.InferenceSession('m.onnx', providers=['CPUExecutionProvider'])\n"
        "print(type(s).__module__)"
    )
    from tests.fixtures.tiny import make_model

    make_model(board / "m.onnx", with_card=False)
    run = board_python(board, "-c", code)
    assert run.rc == 0, run.both
    path, providers, session_module = run.out.splitlines()
    assert Path(path) == Path(onnxruntime.__file__)
    assert providers == "['TIDLExecutionProvider', 'TIDLCompilationProvider']"
    assert session_module == "onnxruntime.capi.onnxruntime_inference_collection"  # others stay untouched


def test_replay_is_the_harness_with_the_tidl_backend_then_the_merge() -> None:
    ctx = BoardContext("tda", conn=None, workdir="/w", sim=True)  # type: ignore[arg-type]
    req = ReplayRequest(
        "/w/h", "/w/engines/k.tidl", "/w/c.mp4", "/w/runs/t", "/w/runs/t/frames.jsonl", 5, 0, 0.0, None
    )
    sh, dash_c, script = PLATFORM.replay_argv(ctx, req)
    assert (sh, dash_c) == ("sh", "-c")
    harness, merge = script.split(" && ")
    argv = shlex.split(harness)
    assert (
        argv[:2] == ["python3", "/w/h/board_harness.py"]
        and argv[argv.index("--engine") + 1] == "/w/engines/k.tidl"
    )
    assert argv[argv.index("--backend") + 1] == "tidl_backend"
    assert argv[-1] == '{"stats": "/w/runs/t/tidl_stats.jsonl"}'
    assert shlex.split(merge) == [
        "python3", "/w/h/tidl_backend.py", "--merge-stats", "/w/runs/t/tidl_stats.jsonl",
        "--frames", "/w/runs/t/frames.jsonl",
    ]  # fmt: skip


def test_power_plan_brackets_the_replay_with_a_sampler_it_can_stop() -> None:
    ctx = BoardContext("tda", conn=None, workdir="/w", sim=False)  # type: ignore[arg-type]
    assert PLATFORM.power_plan(ctx, "tegrastats", 100, "t") is None
    plan = PLATFORM.power_plan(ctx, "hwmon", 250, "t")
    assert plan is not None and plan.source == "hwmon" and plan.interval_s == 0.25
    assert plan.log_path == "/w/power/t.hwmon" and "sleep 0.25" in plan.command
    assert (
        "echo $! > /w/power/t.hwmon.pid" in plan.start
        and "power_log.py" in plan.start
        and "kill" in plan.stop
    )
    sim = BoardContext("tda", conn=None, workdir="/w", sim=True)  # type: ignore[arg-type]
    auto = PLATFORM.power_plan(sim, "auto", 100, "t")
    assert auto is not None and auto.source == "sim-model"


def test_conversion_errors_quote_the_tool() -> None:
    traceback = (
        "Running_Model :  m\nTraceback (most recent call last):\n  File ...\n"
        "onnxruntime.capi.onnxruntime_pybind11_state.Fail: [ONNXRuntimeError] : 1 : FAIL : Load model from "
        "m.onnx failed:Fatal error: com.example:FancyOp(-1) is not a registered function/op\n"
    )
    assert _first_error(traceback).endswith("com.example:FancyOp(-1) is not a registered function/op")
    unsupported = "Unsupported (imports) TIDL layer type for ONNX op type --- Gemm"
    ours = "tidl_compile: ERROR: TIDL offloaded no node of m to the accelerator"
    assert _first_error(f"{unsupported} \n{ours}\n") == f"{ours}; {unsupported}"
    note = "tidl_compile: no calibration clip given: 12 synthetic frames stand in"
    disk = "OSError: [Errno 28] No space left on device: 'a/subgraph_0_tidl_net.bin'"
    assert _first_error(f"{note}\nTraceback (most recent call last):\n  ...\n{disk}\n") == disk
    counts = "Final number of subgraphs created are : 1, - Offloaded Nodes - 3, Total Nodes - 3\n"
    assert _failure(counts) == "TIDL did not complete (no Completed_Model line)"
    assert _failure("hello") == "no TIDL output in the compile log"


def test_cache_key_follows_precision_calibration_and_tools() -> None:
    base = cache_key("tidl", "sha", "fp16", "08_06_00_02", ["--tensor-bits=16"], ["TDA4VM"])
    assert base != cache_key("tidl", "sha", "int8", "08_06_00_02", ["--tensor-bits=16"], ["TDA4VM"])
    assert base != cache_key("tidl", "sha", "fp16", "09_01_06_00", ["--tensor-bits=16"], ["TDA4VM"])
    assert base != cache_key(
        "tidl", "sha", "fp16", "08_06_00_02", ["--tensor-bits=16", "--calib-clip=c"], ["TDA4VM"]
    )
    assert base == cache_key("tidl", "sha", "fp16", "08_06_00_02", ["--tensor-bits=16"], ["TDA4VM"])
