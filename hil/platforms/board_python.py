"""What hil's harness needs of a board's Python, and the check pre-flight runs against the board's facts.

The harness bundle (hil.harness) runs under the board's `python3`: Python >= 3.8 (JetPack 5 is Ubuntu
20.04 with 3.8; .ci/board_python.py keeps the bundle 3.8-clean), numpy >= 1.17 (`np.random.default_rng`),
OpenCV's Python module (every platform decodes its clip on the board with cv2.VideoCapture), and the
platform's runtime module:

- Orin: TensorRT's Python bindings and NVIDIA's CUDA Python bindings (`cuda.bindings`, or the old `cuda`
  import of cuda-python < 12.6); a simulated Orin's engines are ONNX models run by ONNX Runtime instead.
- TDA4VM: TI's ONNX Runtime build (edgeai-tidl-tools installs it on the board with the SDK).
- QCS8255: none in Python (snpe-net-run is the runtime; the harness does decode, pre- and postprocess).

The probe below runs on the board in pre-flight and `hil boards check` (not with the facts, whose time limit
is the board's command timeout: importing ONNX Runtime or TensorRT takes seconds): it must itself run on any
Python 3, so it
uses no f-strings or newer syntax. It prints one JSON object: each module's version, or null when the
import fails, with the import error unless the module itself is absent, so a broken install (a missing
shared library, a dependency of its own) is told apart from a missing one.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

from hil.transport.ssh import BoardConnection

PROBE = """
import importlib, json, sys
out = {"python": "%d.%d.%d" % tuple(sys.version_info[:3]), "errors": {}}
def version(name, module):
    try:
        mod = importlib.import_module(module)
    except Exception as exc:
        missing = getattr(exc, "name", None) in (module, module.split(".")[0])
        if not (isinstance(exc, ImportError) and missing):
            out["errors"][name] = "%s: %s" % (type(exc).__name__, str(exc)[:200])
        return None
    return str(getattr(mod, "__version__", "") or "unknown")
for name, module in (("numpy", "numpy"), ("opencv", "cv2"), ("onnxruntime", "onnxruntime"),
                     ("tensorrt", "tensorrt")):
    out[name] = version(name, module)
out["cuda-python"] = version("cuda-python", "cuda.bindings") or version("cuda-python", "cuda.cudart")
if out["cuda-python"] == "unknown":
    out["cuda-python"] = version("cuda-python", "cuda") or "unknown"
print(json.dumps(out, sort_keys=True))
"""

FACT = "python_packages"
FACT_COMMAND = f"python3 -c {shlex.quote(PROBE.strip())} 2>/dev/null"
PROBE_TIMEOUT_S = 60.0


def probe(conn: BoardConnection, facts: dict[str, str]) -> dict[str, str]:
    """The board's facts with the probe's output added under FACT (run now, on the board)."""
    res = conn.run_script(FACT_COMMAND, PROBE_TIMEOUT_S)
    return {**facts, FACT: res.stdout}


MIN_PYTHON = (3, 8)


@dataclass(frozen=True)
class Need:
    """One module the harness needs: its probe key, oldest version, and the line that installs it."""

    key: str
    title: str
    minimum: tuple[int, ...]
    install: str
    why: str


PYTHON = Need(
    "python", "Python", MIN_PYTHON,
    "a Python >= 3.8 as python3 (Ubuntu 20.04 / JetPack 5: sudo apt-get install python3)",
    "the harness is kept Python 3.8 compatible, nothing older",
)  # fmt: skip
NUMPY = Need("numpy", "numpy", (1, 17), "python3 -m pip install 'numpy>=1.17'", "pre/postprocessing")
OPENCV = Need(
    "opencv", "OpenCV (cv2)", (3, 2),
    "python3 -m pip install opencv-python-headless (on a Jetson: sudo apt-get install python3-opencv)",
    "decodes the clip on the board",
)  # fmt: skip
ORT = Need("onnxruntime", "ONNX Runtime", (1, 10), "python3 -m pip install onnxruntime", "runs the engine")
TI_ORT = Need(
    "onnxruntime", "TI's ONNX Runtime (TIDL)", (1, 7),
    "TI's onnxruntime_tidl wheel from edgeai-tidl-tools (setup_target_device.sh installs it on the board)",
    "runs the TIDL artifacts through TIDLExecutionProvider",
)  # fmt: skip
TENSORRT = Need(
    "tensorrt", "TensorRT Python bindings", (8, 5),
    "sudo apt-get install python3-libnvinfer (part of JetPack: sudo apt-get install nvidia-jetpack)",
    "loads and runs the engine",
)  # fmt: skip
CUDA_JP5 = "python3 -m pip install 'cuda-python>=11.4,<12' (JetPack 5: CUDA 11.4)"
CUDA_JP6 = "python3 -m pip install 'cuda-python>=12,<13' (JetPack 6: CUDA 12.x)"


def cuda_need(l4t: str) -> Need:
    """cuda-python's major version must match the board's CUDA: 11.x on JetPack 5 (L4T R35), 12.x on 6."""
    jp5 = l4t.startswith("35") or l4t.startswith("R35")
    return Need(
        "cuda-python", "CUDA Python bindings", (11, 4) if jp5 else (12, 0), CUDA_JP5 if jp5 else CUDA_JP6,
        "copies frames to and from the GPU",
    )  # fmt: skip


def needs(platform: str, facts: dict[str, str]) -> list[Need]:
    """What the harness needs on this board, from its platform and facts (a simulated board's engines
    run in ONNX Runtime, whatever the platform)."""
    base = [PYTHON, NUMPY, OPENCV]
    if facts.get("sim_board"):
        return [*base, ORT] if platform in ("orin", "tda4vm") else base
    if platform == "orin":
        return [*base, TENSORRT, cuda_need(facts.get("l4t", "") or facts.get("l4t_release", ""))]
    if platform == "tda4vm":
        return [*base, TI_ORT]
    return base


def _version(text: str) -> tuple[int, ...] | None:
    parts: list[int] = []
    for piece in text.replace("-", ".").replace("+", ".").split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts) or None


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def problems(platform: str, facts: dict[str, str]) -> list[str]:
    """Each missing or too-old module with the exact line that installs it; [] when the board fits."""
    raw = facts.get(FACT, "").strip()
    try:
        found = json.loads(raw.splitlines()[-1]) if raw else None
    except ValueError:
        found = None
    if not isinstance(found, dict):
        return [
            "the board's python3 did not run hil's version probe"
            + (f" (it printed: {raw[:120]!r})" if raw else " (no python3 on PATH?)")
            + f"; install Python >= {_dotted(MIN_PYTHON)}: {PYTHON.install}"
        ]
    errors = found.get("errors") or {}
    out: list[str] = []
    for need in needs(platform, facts):
        have = found.get(need.key)
        if have is None:
            broken = errors.get(need.key)
            state = f"cannot be imported ({broken})" if broken else "is missing"
            out.append(f"{need.title} {state} ({need.why}); install: {need.install}")
            continue
        version = _version(str(have))
        if version is not None and version < need.minimum:
            out.append(
                f"{need.title} {have} is older than the {_dotted(need.minimum)} hil needs ({need.why}); "
                f"install: {need.install}"
            )
        elif need.key == "cuda-python" and version is not None and version[0] != need.minimum[0]:
            out.append(f"{need.title} {have} does not match the board's CUDA {need.minimum[0]}.x; "
                       f"install: {need.install}")  # fmt: skip
    return out


def summary(facts: dict[str, str]) -> dict[str, str | None]:
    """The versions the probe found (for `boards check` and the step log)."""
    raw = facts.get(FACT, "").strip()
    try:
        found = json.loads(raw.splitlines()[-1]) if raw else {}
    except ValueError:
        found = {}
    if not isinstance(found, dict):
        return {}
    return {k: (None if v is None else str(v)) for k, v in found.items() if k != "errors"}
