"""A supplied engine (`hil run --engine`): what it is, which toolchain built it, and whether it fits a board.

Teams build engines in their own pipelines; hil pushes such an engine as it is, after checking that the
board's toolchain can load it. What each format reveals, read on the host before anything is pushed:

- TensorRT plan: real TensorRT refuses a plan of another version when it deserializes it ("The engine plan
  file is not compatible with this version of TensorRT, expecting library version X got Y, please
  rebuild.") and one built for another GPU ("... generated on an incompatible device, expecting compute X
  got compute Y"). The runtime API has no call that reads a plan's version without deserializing it
  (NVIDIA/TensorRT#3073); NVIDIA's own trtexec does (`--getPlanVersionOnly`, "supported only for engines
  created with 8.6 and forward"): NVIDIA/TensorRT samples/common/sampleEngines.cpp, printPlanVersion,
  checks the uint32 tag 0x74727466 ("ftrt") at byte 0 and serialization version 0 at byte 4, then reads
  the version from bytes 24..27 (major, minor, patch, build), noting that the index "may depend on the
  serialization version". hil reads a real plan exactly so (read_plan_version) and nothing else: the GPU
  compute capability of a real plan is not in that documented part. A plan of an older TensorRT may be
  version-compatible (8.6+ `--versionCompatible`), which no documented byte says, so only a plan newer
  than the board is refused on the host; the board's loader decides the rest. The simulated trtexec
  writes its own format (hil.sim.engine: version and compute capability in a JSON header line), read
  here too. Every plan is also loaded once on the board by the board's own `trtexec --loadEngine` before
  replay (Orin.check_supplied), whose refusal names both versions.
- SNPE DLC: Qualcomm's documented reader of a DLC is `snpe-dlc-info -i INPUT_DLC` (which SDK folders ship it
  was not read here); hil reads
  the simulated DLC format (hil.sim.dlc: SNPE version, quantized, HTP cache SoCs) and says so for a
  real DLC instead of guessing.
- TIDL artifacts folder (edgeai-tidl-tools: allowedNode.txt, onnxrtMetaData.txt, subgraph_<k>_tidl_net.bin,
  subgraph_<k>_tidl_io_1.bin, param.yaml naming the model): TI documents no file in it that states the
  tools version; the simulated compiler writes it into onnxrtMetaData.txt (hil.sim.tidl.artifacts). TI:
  "The version of tidl-tools used for compiling [...] model artifacts has to match with the version on the
  EVM/device" (TexasInstruments/edgeai-tidlrunner, docs/setup.md), so the release must be the board's.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from hil.errors import ConfigError
from hil.platforms.qcs8255 import HTP_SOCS as QCS_SOCS

# The simulated formats' markers (hil.sim.engine, hil.sim.dlc, hil.sim.tidl.artifacts), here as constants:
# the platform registry imports this module, and those modules import ONNX Runtime (tests check they agree).
ENGINE_MAGIC = b"HILSIM-TRT-ENGINE\n"
DLC_MAGIC = b"HILSIM-SNPE-DLC\n"
TIDL_SIM_FORMAT = "hil-sim-tidl/1"
TIDL_META = "onnxrtMetaData.txt"
# Qualcomm SoC -> Hexagon DSP arch, as the SNPE docs list them (the emulated graph-prepare's table).
DSP_ARCH = {
    "sa8255": "v73", "sa8295": "v68", "sa8775": "v73", "sm8450": "v69", "sm8550": "v73", "sm8650": "v75",
    "sm8750": "v79", "qcs6490": "v68", "qcs8550": "v73",
}  # fmt: skip

# Every Jetson Orin module (AGX Orin, Orin NX, Orin Nano) is CUDA compute capability 8.7
# (NVIDIA, "CUDA GPUs - Compute Capability", developer.nvidia.com/cuda-gpus).
ORIN_COMPUTE = "8.7"
PLAN_SUFFIXES = (".engine", ".plan", ".trt")
REAL_PLAN = (
    "the plan's TensorRT version is not where trtexec --getPlanVersionOnly reads it (NVIDIA/TensorRT "
    "sampleEngines.cpp: tag 'ftrt', serialization version 0, version at bytes 24..27; plans of 8.6 and "
    "later); no API reads it without deserializing (NVIDIA/TensorRT#3073): the board's trtexec "
    "--loadEngine checks it after the push"
)
PLAN_TAG = 0x74727466  # "ftrt" read as a little-endian uint32, as printPlanVersion compares it
REAL_DLC = (
    "a real DLC's SNPE version is shown by Qualcomm's snpe-dlc-info (usage: snpe-dlc-info -i INPUT_DLC, SNPE "
    "tools reference), which hil does not run yet: check it by hand against the board's SNPE"
)
REAL_TIDL = (
    "TI documents no file of an artifacts folder that states the tidl_tools version: check that it was "
    "compiled with the board's TIDL_TOOLS_PATH release"
)
_FACT = {
    "orin": ("tensorrt", "TensorRT"),
    "qcs8255": ("snpe", "SNPE"),
    "tda4vm": ("tidl_tools", "TIDL tools"),
}


@dataclass(frozen=True)
class SuppliedEngine:
    """An engine given with --engine, as far as its format reveals it on the host."""

    path: Path
    platform: str  # the platform whose toolchain loads it: orin, qcs8255, tda4vm
    kind: str  # "TensorRT plan", "SNPE DLC", "TIDL artifacts folder"
    sha256: str  # of the file, or of a folder's sorted (relative path, file sha256) list
    size: int  # bytes (a folder: all its files)
    version: str | None  # the toolchain version that built it; None where the format does not say
    precision: str | None  # fp32 / fp16 / int16 / int8 where the format says
    # The compute capability of a plan; the SoCs of a DLC's HTP cache (judged by their Hexagon arch).
    target: dict[str, str] = field(default_factory=dict)
    unread: str = ""  # why `version` is None
    real: bool = False  # a vendor's format (not the simulated rack's)

    @property
    def fact(self) -> str:
        """The board fact holding the toolchain version this engine must match."""
        return _FACT[self.platform][0]

    @property
    def toolchain(self) -> str:
        return _FACT[self.platform][1]

    @property
    def key(self) -> str:
        """The engine key of its results (the conversion cache key of a built engine)."""
        return f"supplied-{self.sha256[:16]}"

    @property
    def name(self) -> str:
        return f"{self.kind} {self.path.name}"

    def describe(self) -> str:
        built = f"{self.toolchain} {self.version}" if self.version else f"{self.toolchain} (version unread)"
        return f"{self.kind} {self.path.name} ({built}, sha256 {self.sha256[:12]})"


def read_supplied(path: Path) -> SuppliedEngine:
    """What `path` is and what its format says; ConfigError naming what to fix when it is no engine."""
    if not path.exists():
        raise ConfigError(
            f"--engine {path} does not exist", hint="pass a TensorRT plan, a DLC or a TIDL artifacts folder"
        )
    if path.is_dir():
        return _tidl(path)
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if data.startswith(ENGINE_MAGIC):
        return _sim_plan(path, data, sha)
    if data.startswith(DLC_MAGIC):
        return _sim_dlc(path, data, sha)
    if path.suffix == ".dlc":
        size = len(data)
        return SuppliedEngine(path, "qcs8255", "SNPE DLC", sha, size, None, None, unread=REAL_DLC, real=True)
    if path.suffix in PLAN_SUFFIXES or data[:4] == PLAN_TAG.to_bytes(4, "little"):
        version = read_plan_version(data)
        kind = "TensorRT plan"
        unread = "" if version else REAL_PLAN
        return SuppliedEngine(path, "orin", kind, sha, len(data), version, None, {}, unread, real=True)
    raise ConfigError(
        f"--engine {path} is not an engine hil knows",
        hint="a TensorRT plan (.engine, .plan, .trt), an SNPE DLC (.dlc) or a TIDL artifacts folder",
    )


def read_plan_version(data: bytes) -> str | None:
    """A real plan's TensorRT version as NVIDIA's trtexec `--getPlanVersionOnly` reads it (printPlanVersion
    in NVIDIA/TensorRT samples/common/sampleEngines.cpp): tag, serialization version 0, bytes 24..27.
    None where the plan does not follow that layout, or names a version before 8.6 (which it does not
    cover): the board's loader is the check then."""
    if len(data) < 28 or int.from_bytes(data[:4], "little") != PLAN_TAG:
        return None
    if int.from_bytes(data[4:8], "little") != 0:
        return None  # "Serialization version is not supported."
    major, minor, patch, build = data[24:28]
    if (major, minor) < (8, 6):
        return None
    return f"{major}.{minor}.{patch}.{build}"


def _header(path: Path, data: bytes, magic: bytes) -> dict[str, object]:
    line = data[len(magic) :].partition(b"\n")[0]
    try:
        header = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        header = None
    if not isinstance(header, dict):
        raise ConfigError(f"--engine {path}: its header is damaged", hint="rebuild or copy the engine again")
    return header


def _sim_plan(path: Path, data: bytes, sha: str) -> SuppliedEngine:
    header = _header(path, data, ENGINE_MAGIC)
    target = {"compute": str(header["compute_capability"])} if "compute_capability" in header else {}
    version, precision = header.get("tensorrt_version"), header.get("precision")
    return SuppliedEngine(
        path, "orin", "TensorRT plan", sha, len(data), str(version) if version else None,
        str(precision) if precision else None, target, "" if version else "the plan's header has no version",
    )  # fmt: skip


def _sim_dlc(path: Path, data: bytes, sha: str) -> SuppliedEngine:
    header = _header(path, data, DLC_MAGIC)
    version = header.get("snpe_version")
    bits = header.get("float_bitwidth")
    precision = "int8" if header.get("quantized") else "fp16" if bits == 16 else "fp32"
    cache = header.get("htp_cache")
    socs = cache.get("socs") if isinstance(cache, dict) else None
    target = {"htp_socs": ",".join(map(str, socs))} if isinstance(socs, list) else {}
    return SuppliedEngine(
        path, "qcs8255", "SNPE DLC", sha, len(data), str(version) if version else None, precision, target,
        "" if version else "the DLC's header has no SNPE version",
    )  # fmt: skip


def folder_sha256(folder: Path) -> tuple[str, int]:
    """(sha256 over each file's relative path and sha256, in path order; total bytes) of a folder."""
    digest, size = hashlib.sha256(), 0
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = file.read_bytes()
        size += len(data)
        digest.update(f"{file.relative_to(folder).as_posix()}\0{hashlib.sha256(data).hexdigest()}\n".encode())
    return digest.hexdigest(), size


def _tidl(folder: Path) -> SuppliedEngine:
    nets = sorted(folder.glob("*_tidl_net.bin"))
    if not nets and not (folder / "allowedNode.txt").exists():
        raise ConfigError(
            f"--engine {folder} is a folder but no TIDL artifacts folder "
            "(no *_tidl_net.bin, no allowedNode.txt)",
            hint="pass the artifacts folder edgeai-tidl-tools compiled (with its param.yaml)",
        )
    if not (folder / "param.yaml").exists():
        raise ConfigError(
            f"--engine {folder} has no param.yaml naming the model (session: model_path)",
            hint="add the param.yaml that TI's gen_param_yaml writes beside the artifacts",
        )
    sha, size = folder_sha256(folder)
    try:
        meta = json.loads((folder / TIDL_META).read_text())
    except (OSError, ValueError):
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != TIDL_SIM_FORMAT:
        kind = "TIDL artifacts folder"
        return SuppliedEngine(folder, "tda4vm", kind, sha, size, None, None, unread=REAL_TIDL, real=True)
    bits = {8: "int8", 16: "int16"}.get(int(meta.get("tensor_bits", 0)))
    version = meta.get("tidl_tools_version")
    return SuppliedEngine(
        folder, "tda4vm", "TIDL artifacts folder", sha, size, str(version) if version else None, bits,
        unread="" if version else "onnxrtMetaData.txt has no tidl_tools_version",
    )  # fmt: skip


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version))


def same_release(engine: str, board: str) -> bool:
    """True when the versions agree in every component both state (`10.3.0` and `10.3.0.30` agree)."""
    a, b = _numbers(engine), _numbers(board)
    n = min(len(a), len(b))
    return n > 0 and a[:n] == b[:n]


def misfit(engine: SuppliedEngine, board: str, facts: dict[str, str]) -> str | None:
    """Why `engine` cannot run on the board with these facts (both versions named); None when it fits or
    the format does not say (then the board's own loader decides)."""
    have = facts.get(engine.fact, "")
    if engine.version and not have:
        return f"{board}: no {engine.toolchain} found on the board, and {engine.name} needs it"
    if engine.platform == "qcs8255":
        return _snpe_misfit(engine, board, have, facts)
    if engine.real and engine.platform == "orin" and engine.version and have:
        if _numbers(engine.version)[:3] > _numbers(have)[:3]:
            return (
                f"{board}: {engine.name} was built with TensorRT {engine.version}; the board runs TensorRT "
                f"{have}, which cannot load a plan of a newer TensorRT"
            )
        return None  # the same, or older and perhaps version-compatible: the board's loader decides
    if engine.version and not same_release(engine.version, have):
        return (
            f"{board}: {engine.name} was built with {engine.toolchain} {engine.version}; "
            f"the board runs {engine.toolchain} {have}"
        )
    compute = engine.target.get("compute")
    if engine.platform == "orin" and compute and compute != ORIN_COMPUTE:
        return (
            f"{board}: {engine.name} was built for GPU compute capability {compute}; "
            f"Jetson Orin is {ORIN_COMPUTE}"
        )
    return None


def _snpe_misfit(engine: SuppliedEngine, board: str, have: str, facts: dict[str, str]) -> str | None:
    """Qualcomm's SNPE1 to SNPE2 migration guide (docs.qualcomm.com 80-63442-10, "snpe2 migration
    guidelines"): DLCs are not compatible between SNPE1 and SNPE2; an HTP offline cache of an older SNPE2
    works in a later SNPE2; a cache for a newer DSP arch cannot run on a SoC of a lower arch (one for an
    older arch can). Nothing promises a newer DLC on an older runtime, so that is refused too."""
    if engine.version:
        mine, theirs = _numbers(engine.version), _numbers(have)
        if mine[:1] != theirs[:1] or mine[:3] > theirs[:3]:
            return (
                f"{board}: {engine.name} was built with SNPE {engine.version}; the board runs SNPE {have} "
                "(SNPE 2 runs DLCs of its own or an older 2.x release, never of SNPE 1 or a newer one)"
            )
    socs = [s for s in engine.target.get("htp_socs", "").split(",") if s]
    soc = QCS_SOCS.get(facts.get("soc", "").upper())
    board_arch = DSP_ARCH.get(soc or "")
    archs = [DSP_ARCH.get(s) for s in socs]
    if socs and board_arch and all(a is not None and _numbers(a) > _numbers(board_arch) for a in archs):
        return (
            f"{board}: {engine.name} holds an HTP cache for {', '.join(socs)} (Hexagon "
            f"{', '.join(a or '?' for a in archs)}); the board's {soc} is Hexagon {board_arch}, and a cache "
            "for a newer DSP arch cannot run on an older one"
        )
    return None
