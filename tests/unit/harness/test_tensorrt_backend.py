"""The harness's TensorRT backend against a stand-in that follows TensorRT's and cuda-python's documented
Python API (tests/fixtures/trt_standin): a dynamic-batch engine whose engine-level shape is -1, two outputs,
both cuda-python layouts (`cuda.bindings.runtime` of cuda-bindings 12.6+/13, `cuda.cudart` of 11.x), and a
CUDA failure raised with its name. Each case runs in a fresh interpreter, so the stand-in's `tensorrt` and
`cuda` are what `import` finds, as on a board. The real `tensorrt` wheel on an NVIDIA GPU has not run this
backend (no such machine was available; docs/real-boards.md says so)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
STANDIN = ROOT / "tests" / "fixtures" / "trt_standin"

# A dynamic-batch model with two outputs, the same in both scripts (`data`: its ONNX bytes).
MODEL = """
rng = np.random.default_rng(3)
w = rng.normal(0, 0.3, (4, 3, 3, 3)).astype(np.float32)
nodes = [helper.make_node("Conv", ["x", "W"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
         helper.make_node("GlobalAveragePool", ["c"], ["g"]), helper.make_node("Flatten", ["g"], ["scores"]),
         helper.make_node("Relu", ["c"], ["heat"])]
graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])],
    [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", 4]),
     helper.make_tensor_value_info("heat", TensorProto.FLOAT, ["N", 4, 8, 8])],
    initializer=[helper.make_tensor("W", TensorProto.FLOAT, [4, 3, 3, 3], w.flatten().tolist())])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]); model.ir_version = 8
data = model.SerializeToString()
"""

SCRIPT = """
import sys, numpy as np, onnx, onnxruntime as ort
from onnx import TensorProto, helper
from hil.harness.runtimes import TensorRTBackend
from hil.sim.engine import engine_bytes, make_header, sha256_hex
import cudart_impl
cudart_impl.ALLOC_LIMIT = int(sys.argv[1])
{model}
outputs = {"scores": [1, 4], "heat": [1, 4, 8, 8]}
header = make_header("fp32", sha256_hex(data), [], {"x": [1, 3, 8, 8]}, outputs)
backend = TensorRTBackend(engine_bytes(data, header))
x = rng.normal(0, 1, (1, 3, 8, 8)).astype(np.float32)
got = backend.infer(x)
want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": x})
assert backend.input_shape == [1, 3, 8, 8], backend.input_shape
assert backend.output_names == ["scores", "heat"], backend.output_names
assert [g.shape for g in got] == [(1, 4), (1, 4, 8, 8)]
assert all(np.allclose(g, w_, atol=1e-5) for g, w_ in zip(got, want))
print("OK", type(backend.cudart).__name__, backend.cudart.__name__)
""".replace("{model}", MODEL)


def run(layout: str, alloc_limit: int = 1 << 30) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(STANDIN / layout), str(STANDIN), str(ROOT)])
    return subprocess.run([sys.executable, "-c", SCRIPT, str(alloc_limit)], capture_output=True, text=True,
                          env=env, check=False)  # fmt: skip


@pytest.mark.parametrize(("layout", "module"), [("new", "cuda.bindings.runtime"), ("old", "cuda.cudart")])
def test_dynamic_engine_every_output_copied_back_with_either_cuda_layout(layout: str, module: str) -> None:
    res = run(layout)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"OK module {module}"


def test_a_cuda_error_is_raised_with_its_name() -> None:
    res = run("new", alloc_limit=64)  # the 1x4x8x8 output does not fit: cudaMalloc fails
    assert res.returncode != 0
    assert "harness: CUDA cudaMalloc(" in res.stderr and "failed: cudaErrorMemoryAllocation" in res.stderr


REAL_SCRIPT = """
import numpy as np, onnx, onnxruntime as ort, tensorrt as trt
from onnx import TensorProto, helper
from hil.harness.runtimes import TensorRTBackend
{model}
# A real plan with a dynamic batch (min = opt = max = 1, as hil builds), by TensorRT's own builder.
logger = trt.Logger(trt.Logger.WARNING)
builder = trt.Builder(logger)
major = int(trt.__version__.split(".")[0])  # explicit batch is the only mode from TensorRT 10 on
flags = 0 if major >= 10 else 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
network = builder.create_network(flags)
parser = trt.OnnxParser(network, logger)
assert parser.parse(data), [str(parser.get_error(i)) for i in range(parser.num_errors)]
config = builder.create_builder_config()
profile = builder.create_optimization_profile()
profile.set_shape("x", (1, 3, 8, 8), (1, 3, 8, 8), (1, 3, 8, 8))
config.add_optimization_profile(profile)
plan = builder.build_serialized_network(network, config)
assert plan is not None
backend = TensorRTBackend(bytes(plan))
x = rng.normal(0, 1, (1, 3, 8, 8)).astype(np.float32)
got = backend.infer(x)
want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": x})
assert backend.input_shape == [1, 3, 8, 8], backend.input_shape
assert sorted(backend.output_names) == ["heat", "scores"], backend.output_names
by_name = dict(zip(backend.output_names, got))
assert np.allclose(by_name["scores"], want[0], atol=1e-3) and np.allclose(by_name["heat"], want[1], atol=1e-3)
print("OK", trt.__version__)
""".replace("{model}", MODEL)


def _real_tensorrt_missing() -> str | None:
    """Why the real TensorRT run cannot happen here (None: it can): the wheel, cuda-python, a GPU."""
    import importlib.util
    import shutil

    for module in ("tensorrt", "cuda"):
        if importlib.util.find_spec(module) is None:
            return f"no `{module}` Python package on this machine"
    smi = shutil.which("nvidia-smi")
    if smi is None or subprocess.run([smi, "-L"], capture_output=True, check=False).returncode != 0:
        return "no NVIDIA GPU on this machine"
    return None


def test_the_real_tensorrt_wheel_runs_the_backend_on_a_gpu() -> None:
    """Where the real `tensorrt` wheel, cuda-python and an NVIDIA GPU exist (never on the project's own
    CI machine so far), the backend runs a plan built by TensorRT's own builder; elsewhere it skips."""
    missing = _real_tensorrt_missing()
    if missing:
        pytest.skip(f"real TensorRT not testable: {missing}")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", REAL_SCRIPT], capture_output=True, text=True, env=env,
                         check=False, timeout=600)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("OK ")
