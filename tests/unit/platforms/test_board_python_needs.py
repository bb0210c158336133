"""Pre-flight's comparison of the board's Python modules with what the harness needs (from the probe's
JSON, as the board prints it), and the probe itself under this interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

from hil.platforms import board_python as bp


def facts(found: dict[str, object], **extra: str) -> dict[str, str]:
    return {bp.FACT: json.dumps({"errors": {}, **found}), **extra}


ALL = {"python": "3.8.10", "numpy": "1.17.4", "opencv": "4.5.4", "onnxruntime": "1.16.0",
       "tensorrt": "8.5.2.2", "cuda-python": "11.8.0"}  # fmt: skip


def test_a_jetpack5_orin_with_everything_passes() -> None:
    assert bp.problems("orin", facts(ALL, l4t="35.4.1")) == []


def test_cuda_python_must_match_the_boards_cuda() -> None:
    [problem] = bp.problems("orin", facts({**ALL, "cuda-python": "13.0.1"}, l4t="35.4.1"))
    assert "does not match the board's CUDA 11.x" in problem and "'cuda-python>=11.4,<12'" in problem
    [problem] = bp.problems("orin", facts(ALL, l4t="36.3.0"))
    assert "'cuda-python>=12,<13'" in problem


def test_too_old_and_missing_and_broken_are_each_named_with_the_install_line() -> None:
    found = {**ALL, "python": "3.6.9", "numpy": "1.13.3", "tensorrt": None}
    text = json.dumps({**found, "errors": {"tensorrt": "ImportError: libnvinfer.so.8: cannot open"}})
    out = bp.problems("orin", {bp.FACT: text, "l4t": "35.4.1"})
    assert any("Python 3.6.9 is older than the 3.8" in p for p in out)
    assert any("numpy 1.13.3 is older than the 1.17" in p and "pip install 'numpy>=1.17'" in p for p in out)
    assert any(
        "cannot be imported (ImportError: libnvinfer.so.8" in p and "python3-libnvinfer" in p for p in out
    )


def test_platform_runtimes() -> None:
    bare = {"python": "3.8.10", "numpy": "1.24.4", "opencv": "4.2.0"}
    assert bp.problems("qcs8255", facts(bare)) == []  # snpe-net-run is the runtime
    [ti] = bp.problems("tda4vm", facts(bare))
    assert "onnxruntime_tidl" in ti
    [sim] = bp.problems("orin", facts(bare, sim_board="orin-1"))  # simulated engines run in ONNX Runtime
    assert "ONNX Runtime is missing" in sim


def test_no_python_or_garbage_is_one_clear_problem() -> None:
    [problem] = bp.problems("qcs8255", {bp.FACT: ""})
    assert "did not run hil's version probe" in problem and "Python >= 3.8" in problem


def test_the_probe_runs_here_and_reports_this_interpreter() -> None:
    res = subprocess.run([sys.executable, "-c", bp.PROBE], capture_output=True, text=True, check=True)
    found = json.loads(res.stdout)
    assert found["python"] == ".".join(map(str, sys.version_info[:3]))
    import numpy

    assert found["numpy"] == numpy.__version__
