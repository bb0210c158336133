"""The emulated SNPE converters: the DLC format, real precision changes, and SNPE's own failure output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from hil.sim import dlc
from hil.sim.engine import is_qdq, sha256_hex

from .conftest import SPEC, qdq, run_harness, run_tool, set_fault, write_inputs

LOG_LINE = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - \d+ - (INFO|WARNING|ERROR) - "


def convert(model: Path, out: Path, *extra: str) -> dlc.Dlc:
    result = run_tool("snpe_onnx_to_dlc", "--input_network", model, "--output_path", out, *extra)
    assert result.rc == 0, result.both
    assert "INFO_CONVERSION_SUCCESS: Conversion completed successfully" in result.out
    return dlc.read_dlc(out)


def test_fp32_dlc_holds_the_model_with_channel_last_dims(board: Path, model: Path, tmp_path: Path) -> None:
    made = convert(model, tmp_path / "m.dlc")
    assert made.header["snpe_version"] == "2.22.0.240425"
    assert made.header["source_sha256"] == sha256_hex(model.read_bytes())
    assert made.header["float_bitwidth"] == 32 and made.header["quantized"] is False
    assert made.header["inputs"] == {"input": {"dims": [1, 32, 32, 1], "onnx_dims": [1, 1, 32, 32]}}
    assert made.header["outputs"] == {"scores": {"dims": [1, 4], "onnx_dims": [1, 4]}}
    assert made.model().SerializeToString() == onnx.load(str(model)).SerializeToString()
    assert made.header["commands"][0].startswith("snpe-onnx-to-dlc --input_network ")


def test_float_bitwidth_16_really_converts_to_float16(board: Path, model: Path, tmp_path: Path) -> None:
    made = convert(model, tmp_path / "m16.dlc", "--float_bitwidth", "16")
    network = made.model()
    assert made.header["float_bitwidth"] == 16
    assert {i.data_type for i in network.graph.initializer} == {onnx.TensorProto.FLOAT16}
    assert network.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT  # I/O stays float32


def test_unsupported_operator_fails_with_the_converters_traceback(board: Path, tmp_path: Path) -> None:
    from tests.fixtures.tiny import make_model

    bad = make_model(tmp_path / "custom.onnx", extra_op="FancyOp")
    out = tmp_path / "custom.dlc"
    result = run_tool("snpe_onnx_to_dlc", "--input_network", bad, "--output_path", out)
    assert result.rc == 1 and not out.exists()
    assert "KeyError: 'No translation registered for op type onnx_fancyop." in result.err
    error = [line for line in result.out.splitlines() if " - ERROR - " in line]
    assert len(error) == 1
    assert error[0].endswith(
        "- 209 - ERROR - Node FancyOp_3: 'No translation registered for op type onnx_fancyop. "
        "Op is most likely not supported by the converter.'"
    )
    assert __import__("re").match(LOG_LINE, error[0])


def test_bad_arguments_are_argparse_errors(board: Path, model: Path) -> None:
    result = run_tool("snpe_onnx_to_dlc", "--output_path", "x.dlc")
    assert result.rc == 2 and "the following arguments are required: --input_network/-i" in result.err
    result = run_tool("snpe_onnx_to_dlc", "-i", model, "--float_bitwidth", "8")
    assert result.rc == 2 and "invalid choice: 8" in result.err


@pytest.mark.parametrize("fault", ["unsupported_op", "disk_full", "crash"])
def test_converter_faults(board: Path, model: Path, tmp_path: Path, fault: str) -> None:
    set_fault(board, "snpe-onnx-to-dlc", fault)
    result = run_tool("snpe_onnx_to_dlc", "-i", model, "-o", tmp_path / "m.dlc")
    expected = {"unsupported_op": 1, "disk_full": 1, "crash": 139}[fault]
    assert result.rc == expected, result.both
    if fault == "unsupported_op":
        assert "No translation registered for op type onnx_globalaveragepool" in result.out
    if fault == "disk_full":
        assert "No space left on device" in result.out


def test_corrupt_fault_writes_a_dlc_the_runtime_rejects(board: Path, model: Path, tmp_path: Path) -> None:
    set_fault(board, "snpe-onnx-to-dlc", "corrupt")
    assert run_tool("snpe_onnx_to_dlc", "-i", model, "-o", tmp_path / "m.dlc").rc == 0
    (board / "sim-faults.json").unlink()
    listing = write_inputs(tmp_path / "in", [0.5])
    result = run_tool("snpe_net_run", "--container", tmp_path / "m.dlc", "--input_list", listing)
    assert result.rc == 1 and "error_code=311; error_message=Dlc container is bad." in result.err


def test_dlc_format_rejects_damage(tmp_path: Path, model: Path) -> None:
    made = dlc.Dlc({k: 1 for k in dlc.HEADER_KEYS}, model.read_bytes(), b"cache")
    data = made.to_bytes()
    assert dlc.parse_dlc(data).htp_cache == b"cache"
    with pytest.raises(dlc.DlcFormatError, match="bad magic"):
        dlc.parse_dlc(b"PK" + data)
    with pytest.raises(dlc.DlcFormatError, match="truncated in its htp_cache record"):
        dlc.parse_dlc(data[:-2])


def test_quantize_really_calibrates_a_float_dlc_on_clip_frames(
    board: Path, model: Path, clip: Path, tmp_path: Path
) -> None:
    convert(model, tmp_path / "m.dlc")
    calib = run_harness("snpe_calib.py", "--clip", clip, "--input-json", __import__("json").dumps(SPEC),
                        "--out-dir", tmp_path / "calib", "--count", "6")  # fmt: skip
    assert calib.rc == 0, calib.both
    listing = Path(calib.out.strip())
    assert len(listing.read_text().splitlines()) == 6
    result = run_tool(
        "snpe_dlc_quantize", "--input_dlc", tmp_path / "m.dlc", "--input_list", listing,
        "--use_per_channel_quantization", "--output_dlc", tmp_path / "q.dlc",
    )  # fmt: skip
    assert result.rc == 0, result.both
    quantized = dlc.read_dlc(tmp_path / "q.dlc")
    assert quantized.header["quantized"] is True and quantized.header["encodings"] == "calibrated"
    assert is_qdq(quantized.model())
    # The input's encoding is SNPE's asymmetric 8-bit over the calibration frames' real range.
    first = result.out.split("[INFO] bw: ")[1].split("\n")[0]
    values = dict(part.split(": ") for part in first.split(", ")[1:])
    frames = [np.fromfile(p, np.float32) for p in listing.read_text().split()]
    assert float(values["min"]) <= min(f.min() for f in frames) + 0.01
    assert float(values["max"]) >= max(f.max() for f in frames) - 0.01
    assert float(values["offset"]) <= 0 and float(values["delta"]) > 0
    assert result.out.splitlines()[-1] == "[INFO] DebugLog shutting down."


def test_quantize_override_params_keeps_the_host_encodings(board: Path, model: Path, tmp_path: Path) -> None:
    source = qdq(model, tmp_path / "bright.int8.onnx")
    convert(source, tmp_path / "f.dlc")
    calib = run_harness("snpe_calib.py", "--onnx", source, "--out-dir", tmp_path / "calib")
    assert calib.rc == 0, calib.both
    listing = Path(calib.out.strip())
    raws = listing.read_text().split()
    assert len(raws) == 4 and all(Path(r).stat().st_size == 32 * 32 * 4 for r in raws)
    result = run_tool("snpe_dlc_quantize", "--input_dlc", tmp_path / "f.dlc", "--input_list", listing,
                      "--override_params", "--output_dlc", tmp_path / "q.dlc")  # fmt: skip
    assert result.rc == 0, result.both
    quantized = dlc.read_dlc(tmp_path / "q.dlc")
    assert quantized.network == onnx.load(str(source)).SerializeToString()
    assert quantized.header["quantized"] is True and quantized.header["encodings"] == "source-qdq"


def test_quantize_rejects_inputs_of_the_wrong_size(board: Path, model: Path, tmp_path: Path) -> None:
    convert(model, tmp_path / "m.dlc")
    raw = tmp_path / "small.raw"
    np.zeros(10, np.float32).tofile(raw)
    (tmp_path / "list.txt").write_text(f"{raw}\n")
    result = run_tool(
        "snpe_dlc_quantize", "--input_dlc", tmp_path / "m.dlc", "--input_list", tmp_path / "list.txt"
    )
    assert result.rc == 1 and "holds 10 floats; input input needs 1024 (dims 1,32,32,1)" in result.err


def test_graph_prepare_stores_an_htp_cache_for_known_socs(board: Path, model: Path, tmp_path: Path) -> None:
    convert(model, tmp_path / "m.dlc")
    result = run_tool("snpe_dlc_graph_prepare", "--input_dlc", tmp_path / "m.dlc", "--htp_socs", "sa8255")
    assert result.rc == 0, result.both
    prepared = dlc.read_dlc(tmp_path / "m_cached.dlc")
    assert prepared.header["htp_cache"] == {"socs": ["sa8255"], "dsp_arch": "v73"}
    assert prepared.htp_cache and onnx.load_from_string(prepared.htp_cache).graph.node
    unknown = run_tool(
        "snpe_dlc_graph_prepare", "--input_dlc=" + str(tmp_path / "m.dlc"), "--htp_socs=xyz123"
    )
    assert unknown.rc == 1 and "Invalid SoC specified for --htp_socs: xyz123" in unknown.err


def test_rejected_node_names_and_encodings() -> None:
    node = onnx.helper.make_node("Einsum", ["a", "b"], ["c"], equation="ij,jk->ik")
    graph = onnx.helper.make_graph([node], "g", [], [])
    rejected = dlc.first_rejected_node(onnx.helper.make_model(graph))
    assert rejected is not None and (rejected.name, rejected.translation) == ("Einsum_0", "onnx_einsum")
    assert dlc.to_dlc_dims([1, 3, 224, 160]) == [1, 224, 160, 3] and dlc.to_dlc_dims([1, 8]) == [1, 8]
