"""What hil reads from a supplied engine on the host, and when it refuses one for a board."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from hil.errors import ConfigError
from hil.inventory.spec import BoardSpec
from hil.platforms.orin import plan_refusal
from hil.platforms.supplied import REAL_PLAN, misfit, read_plan_version, read_supplied, same_release
from hil.runs.supplied import engine_boards, engine_precision
from hil.sim import dlc, engine
from hil.sim.tidl import artifacts
from hil.sim.tidl.partition import Segment

ONNX = b"not parsed by the reader"


def sim_plan(path: Path, version: str = "10.3.0", precision: str = "fp16", **extra: str) -> Path:
    header = engine.make_header(precision, "0" * 64, ["--fp16"], {"x": [1, 3, 8, 8]}, {"y": [1, 4]})
    engine.write_engine(path, ONNX, {**header, "tensorrt_version": version, **extra})
    return path


def sim_dlc(path: Path, version: str, quantized: bool = False, socs: list[str] | None = None) -> Path:
    cache = {"socs": socs or ["sa8255"]}
    header = {"format": 1, "snpe_version": version, "source_sha256": "0" * 64, "commands": [],
              "float_bitwidth": 32, "quantized": quantized, "htp_cache": cache}  # fmt: skip
    dlc.Dlc(header, ONNX).write(path)
    return path


def sim_tidl(folder: Path, version: str = "08_06_00_02", bits: int = 16) -> Path:
    folder.mkdir()
    seg = Segment(True, [0], "subgraph_0", ["x"], ["y"])
    artifacts.write_meta(folder, artifacts.Meta(version, bits, False, "0" * 64, 1, [seg]), ["n0"])
    artifacts.write_net(folder, seg, {"tidl_tools_version": version, "tensor_bits": bits}, ONNX)
    (folder / "param.yaml").write_text("session:\n  model_path: model.onnx\n")
    return folder


def test_simulated_plan_reveals_version_precision_and_gpu(tmp_path: Path) -> None:
    info = read_supplied(sim_plan(tmp_path / "m.engine"))
    assert (info.platform, info.kind, info.version, info.precision) == (
        "orin",
        "TensorRT plan",
        "10.3.0",
        "fp16",
    )
    assert info.target == {"compute": "8.7"}
    assert info.sha256 == hashlib.sha256((tmp_path / "m.engine").read_bytes()).hexdigest()
    assert info.key == f"supplied-{info.sha256[:16]}"
    assert misfit(info, "orin-1", {"tensorrt": "10.3.0"}) is None
    why = misfit(info, "orin-1", {"tensorrt": "8.5.2"})
    assert (
        why == "orin-1: TensorRT plan m.engine was built with TensorRT 10.3.0; the board runs TensorRT 8.5.2"
    )
    assert "no TensorRT found" in (misfit(info, "orin-1", {}) or "")


def test_plan_for_another_gpu_misfits_orin(tmp_path: Path) -> None:
    info = read_supplied(sim_plan(tmp_path / "m.engine", compute_capability="8.6"))
    assert "compute capability 8.6; Jetson Orin is 8.7" in (misfit(info, "o", {"tensorrt": "10.3.0"}) or "")


def real_plan(path: Path, version: bytes, serialization: int = 0) -> Path:
    """The part of a plan NVIDIA's trtexec --getPlanVersionOnly reads (sampleEngines.cpp, printPlanVersion):
    uint32 tag "ftrt", uint32 serialization version, the version at bytes 24..27; then opaque bytes."""
    head = b"ftrt" + serialization.to_bytes(4, "little") + bytes(16) + version
    path.write_bytes(head + bytes(range(256)) * 4)
    return path


def test_real_plan_version_read_as_trtexec_reads_it(tmp_path: Path) -> None:
    info = read_supplied(real_plan(tmp_path / "vendor.engine", bytes([10, 3, 0, 30])))
    assert (info.platform, info.version, info.precision, info.real) == ("orin", "10.3.0.30", None, True)
    assert info.target == {} and info.unread == ""  # its GPU is not in the documented bytes
    assert misfit(info, "orin-1", {"tensorrt": "10.3.0"}) is None
    why = misfit(info, "orin-1", {"tensorrt": "8.6.2"})
    assert why == (
        "orin-1: TensorRT plan vendor.engine was built with TensorRT 10.3.0.30; the board runs "
        "TensorRT 8.6.2, which cannot load a plan of a newer TensorRT"
    )
    # An older plan may be version-compatible (8.6+ --versionCompatible): the board's trtexec decides.
    older = read_supplied(real_plan(tmp_path / "old.plan", bytes([8, 6, 1, 6])))
    assert older.version == "8.6.1.6" and misfit(older, "orin-1", {"tensorrt": "10.3.0"}) is None


def test_real_plan_version_is_not_guessed_outside_the_documented_layout(tmp_path: Path) -> None:
    for name, data in {
        "other-serialization.plan": real_plan(tmp_path / "a.plan", bytes([10, 3, 0, 30]), serialization=3),
        "before-8.6.plan": real_plan(tmp_path / "b.plan", bytes([8, 5, 2, 2])),
    }.items():
        info = read_supplied(data)
        assert info.platform == "orin" and info.version is None and info.precision is None, name
        assert info.unread == REAL_PLAN and "NVIDIA/TensorRT#3073" in info.unread
        assert misfit(info, "orin-1", {"tensorrt": "8.5.2"}) is None  # the board's loader decides
    assert read_plan_version(b"ftrt") is None and read_plan_version(bytes(64)) is None


def test_simulated_dlc_and_tidl_folder(tmp_path: Path) -> None:
    info = read_supplied(sim_dlc(tmp_path / "m.dlc", "2.22.0.240425", quantized=True))
    assert (info.platform, info.version, info.precision) == ("qcs8255", "2.22.0.240425", "int8")
    assert info.target == {"htp_socs": "sa8255"}
    assert "the board runs SNPE 2.20.0.240223" in (misfit(info, "q", {"snpe": "2.20.0.240223"}) or "")
    assert misfit(info, "q", {"snpe": "2.22.0.240425"}) is None
    assert misfit(info, "q", {"snpe": "2.26.0.240828", "soc": "QCS8255"}) is None  # an older 2.x DLC runs
    assert "never of SNPE 1" in (misfit(info, "q", {"snpe": "1.68.0"}) or "")
    newer_arch = read_supplied(sim_dlc(tmp_path / "v75.dlc", "2.22.0.240425", socs=["sm8650"]))
    why = misfit(newer_arch, "q", {"snpe": "2.22.0.240425", "soc": "QCS8255"})
    assert why is not None and "HTP cache for sm8650 (Hexagon v75); the board's sa8255 is Hexagon v73" in why
    older_arch = read_supplied(sim_dlc(tmp_path / "v69.dlc", "2.22.0.240425", socs=["sm8450"]))
    assert misfit(older_arch, "q", {"snpe": "2.22.0.240425", "soc": "QCS8255"}) is None

    folder = sim_tidl(tmp_path / "art")
    tidl = read_supplied(folder)
    assert (tidl.platform, tidl.version, tidl.precision) == ("tda4vm", "08_06_00_02", "int16")
    assert misfit(tidl, "t", {"tidl_tools": "08_06_00_02"}) is None
    assert "the board runs TIDL tools 09_02_09_00" in (misfit(tidl, "t", {"tidl_tools": "09_02_09_00"}) or "")
    before = tidl.sha256
    (folder / "allowedNode.txt").write_text("0\n")
    assert read_supplied(folder).sha256 != before  # every file of the folder is in its hash


def test_real_dlc_and_unknown_files(tmp_path: Path) -> None:
    real = tmp_path / "vendor.dlc"
    real.write_bytes(b"PK\x03\x04" + bytes(32))
    info = read_supplied(real)
    assert info.version is None and "snpe-dlc-info" in info.unread
    other = tmp_path / "model.bin"
    other.write_bytes(b"x")
    with pytest.raises(ConfigError, match="not an engine hil knows"):
        read_supplied(other)
    with pytest.raises(ConfigError, match="does not exist"):
        read_supplied(tmp_path / "missing.engine")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no TIDL artifacts folder"):
        read_supplied(tmp_path / "empty")


def test_versions_agree_on_the_components_both_state() -> None:
    assert same_release("10.3.0", "10.3.0.30") and same_release("08_06_00_02", "08_06_00_02")
    assert (
        not same_release("8.5.2", "8.5.3")
        and not same_release("8.6.1", "10.3.0")
        and not same_release("", "1")
    )


def test_precision_from_the_engine_or_named_once(tmp_path: Path) -> None:
    fp16 = read_supplied(sim_plan(tmp_path / "m.engine"))
    assert engine_precision(fp16, None) == "fp16" and engine_precision(fp16, ["fp16"]) == "fp16"
    with pytest.raises(ConfigError, match="is a fp16 engine"):
        engine_precision(fp16, ["int8"])
    with pytest.raises(ConfigError, match="one engine at one precision"):
        engine_precision(fp16, ["fp16", "int8"])
    real = tmp_path / "vendor.engine"
    real.write_bytes(b"\x00" * 16)
    with pytest.raises(ConfigError, match="--precision"):
        engine_precision(read_supplied(real), None)
    assert engine_precision(read_supplied(real), ["int8"]) == "int8"


@pytest.mark.parametrize(
    ("log", "found"),
    [
        (  # TensorRT 8.5 (RootKit-Org/AI-Aimbot#109)
            "[06/26/2023-14:33:12] [TRT] [E] 6: The engine plan file is not compatible with this version of "
            "TensorRT, expecting library version 8.5.1.7 got 8.5.3.1, please rebuild.",
            "expecting library version 8.5.1.7 got 8.5.3.1",
        ),
        (  # TensorRT 10 (westNeighbor/ComfyUI-ultimate-openpose-estimator#9: an empty "got")
            "[E] IRuntime::deserializeCudaEngine: Error Code 6: API Usage Error (The engine plan file is not "
            "compatible with this version of TensorRT, expecting library version 10.12.0.36 got .)",
            "expecting library version 10.12.0.36 got .",
        ),
        (  # TensorRT 10.8 on another GPU (deepinsight/insightface#2882)
            "[TensorRT] IRuntime::deserializeCudaEngine: Error Code 6: API Usage Error (The engine plan file "
            "is generated on an incompatible device, expecting compute 8.9 got compute 8.6, please rebuild.)",
            "expecting compute 8.9 got compute 8.6",
        ),
    ],
)
def test_plan_refusal_of_real_tensorrt_logs(log: str, found: str) -> None:
    assert found in (plan_refusal(log) or "")
    assert plan_refusal("[E] Error[1]: [runtime.cpp::parsePlan::314] Error Code 1: Serialization") is None


def test_only_boards_of_the_engines_platform_are_tested(tmp_path: Path) -> None:
    def board(name: str, platform: str) -> BoardSpec:
        return BoardSpec(name=name, platform=platform, ansible_host="127.0.0.1", ansible_user="hil")

    plan = read_supplied(sim_plan(tmp_path / "m.engine"))
    kept, notes = engine_boards([board("o", "orin"), board("q", "qcs8255"), board("t", "tda4vm")], plan)
    assert [b.name for b in kept] == ["o"]
    assert notes == [
        "qcs8255 boards are not tested: a TensorRT plan runs on orin only",
        "tda4vm boards are not tested: a TensorRT plan runs on orin only",
    ]
    with pytest.raises(ConfigError, match=r"no selected board runs a TensorRT plan \(orin\)"):
        engine_boards([board("q", "qcs8255")], plan)


def test_format_markers_agree_with_the_simulated_formats() -> None:
    from hil.platforms import supplied

    assert supplied.ENGINE_MAGIC == engine.ENGINE_MAGIC and supplied.DLC_MAGIC == dlc.DLC_MAGIC
    assert supplied.TIDL_SIM_FORMAT == artifacts.FORMAT and supplied.TIDL_META == artifacts.META
    assert supplied.DSP_ARCH == dlc.HTP_SOCS
