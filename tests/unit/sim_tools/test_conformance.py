"""The vendor conformance files (hil/sim/conformance/*.yaml): well formed, the source of `hil sim up
--toolchain`, and hil's own command lines stay within what they document."""

from __future__ import annotations

import pytest

from hil.errors import ConfigError
from hil.sim import conformance
from hil.sim.toolchains import parse_toolchains, releases

PLATFORMS = ("orin", "qcs8255", "tda4vm")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_file_names_its_toolchain_releases_and_where_each_tool_lives(platform: str) -> None:
    tables = conformance.tables(platform)
    assert tables, platform
    for table in tables:
        assert isinstance(table["toolchain"], str) and isinstance(table["releases"], list)
        for name, entry in table["tools"].items():
            assert entry["where"] in ("board", "host", "both", "unknown"), (platform, name)
        assert table.get("unknown"), f"{platform}-{table['toolchain']}: say what is not known without a board"


def test_the_simulated_releases_come_from_the_files_oldest_first() -> None:
    assert list(releases("orin")) == ["trt8.5", "trt8.6", "trt10.3"]
    assert list(releases("qcs8255")) == ["snpe2.20", "snpe2.22"]
    assert list(releases("tda4vm")) == ["tidl08.06", "tidl09.02", "tidl10.01"]
    assert parse_toolchains(["tda4vm=tidl10.01", "orin=trt8.6,py3.8"]) == {
        "tda4vm": {"tidl": "10_01_04_00"},
        "orin": {"tensorrt": "8.6.2", "python": "3.8"},
    }
    with pytest.raises(ConfigError, match="orin has no simulated release 'trt7'") as err:
        parse_toolchains(["orin=trt7"])
    assert "trt8.5, trt8.6, trt10.3, py3.8" in str(err.value.hint)


def test_trtexec_rules_differ_by_release_as_tensorrt_s_parser_does() -> None:
    old, mid, new = (
        conformance.flag_rules("orin", "tensorrt", v, "trtexec") for v in ("8.5.2", "8.6.2", "10.3.0")
    )
    assert old is not None and mid is not None and new is not None
    assert old.unknown(["--buildOnly", "--skipInference"]) == ["--skipInference"]
    assert mid.unknown(["--buildOnly", "--skipInference"]) == [] and "--buildOnly" in mid.deprecated
    assert new.unknown(["--buildOnly", "--skipInference", "--workspace"]) == ["--buildOnly", "--workspace"]
    # the layer-precision flags the diagnosis uses exist at every release
    for rules in (old, mid, new):
        assert rules.unknown(["--layerPrecisions", "--precisionConstraints", "--layerOutputTypes"]) == []
        assert rules.unknown(["--loadEngine", "--saveEngine", "--dumpOutput", "--exportOutput"]) == []
    assert conformance.flag_rules("orin", "tensorrt", "8.4.1", "trtexec") is None  # no file: nothing known


def test_host_only_tools_are_those_the_files_say_ship_for_x86_only() -> None:
    converters = {"snpe-onnx-to-dlc", "snpe-dlc-quant", "snpe-dlc-quantize", "snpe-dlc-graph-prepare"}
    assert conformance.host_only("qcs8255") == converters | {
        "snpe-diagview"
    }  # what hil needs a build host for
    off_board = conformance.absent("qcs8255", conformance.BOARD)
    assert {"qnn-onnx-converter", "qnn-model-lib-generator"} <= off_board  # QNN: never on a simulated board
    assert "snpe-net-run" not in off_board and "qnn-net-run" not in off_board
    # not read unambiguously: neither put on nor taken off a board by the data
    assert "qnn-context-binary-generator" not in off_board
    assert conformance.host_only("orin") == frozenset()
    assert "TIDLCompilationProvider" in conformance.host_only("tda4vm")


@pytest.mark.parametrize("precision", ["fp32", "fp16", "int8"])
def test_hil_s_snpe_command_lines_use_only_documented_flags(precision: str) -> None:
    from hil.platforms import qcs8255

    lines = qcs8255.steps("m.onnx", "e", "h", precision, "sa8255", {"x": [1, 3, 8, 8]})
    runtime = qcs8255.RUNTIMES[precision]
    lines.append(["snpe-net-run", "--container", "e", "--input_list", "l", "--output_dir", "o",
                  *qcs8255.RUNTIME_FLAGS[runtime], "--perf_profile", qcs8255.PERF_PROFILE])  # fmt: skip
    lines.append(["snpe-diagview", "--input_log", "l", "--output", "d.csv"])
    for argv in lines:
        if not argv[0].startswith("snpe-"):
            continue
        used = {a for a in argv[1:] if a.startswith("-")}
        assert used <= conformance.documented_flags("qcs8255", argv[0]), (argv[0], used)


def test_hil_s_tidl_compile_options_are_documented_for_the_release() -> None:
    """hil's compile options (hil/harness/tidl_compile.py) against each release's documented options. The
    QDQ option exists from 09_01_06_00 on; at 08.06 it is the one known gap (docs/real-boards.md)."""
    import re
    from pathlib import Path

    import hil.harness

    source = (Path(hil.harness.__file__).parent / "tidl_compile.py").read_text()
    block = source[source.index("    options = {") : source.index("    }", source.index("    options = {"))]
    used = set(re.findall(r'^\s+"([a-z_:0-9]+)":', block, re.M))
    assert "tensor_bits" in used and "advanced_options:prequantized_model" in used, used
    for release in ("09_02_09_00", "10_01_04_00"):
        assert used <= conformance.documented_options("tda4vm", "TIDLCompilationProvider", release, "tidl")
    old = conformance.documented_options("tda4vm", "TIDLCompilationProvider", "08_06_00_02", "tidl")
    assert used - old == {"advanced_options:prequantized_model"}


@pytest.mark.parametrize("version", ["8.5.2", "8.6.2", "10.3.0"])
def test_hil_s_trtexec_command_line_is_accepted_without_warning_at_each_release(version: str) -> None:
    from hil.platforms import orin

    rules = conformance.flag_rules("orin", "tensorrt", version, "trtexec")
    assert rules is not None
    flags = ["--onnx", "--saveEngine", orin.build_only_flag(version)]
    flags += [f.partition("=")[0] for f in orin.shape_flags({"x": [1, 3, 8, 8]})]
    flags += [f for precision_flags in orin.PRECISION_FLAGS.values() for f in precision_flags]
    assert rules.unknown(flags) == [] and not set(flags) & set(rules.deprecated), flags


def test_hil_s_orin_total_power_is_the_one_each_module_s_data_names() -> None:
    """AGX Orin has no input rail (its total is the sum); Orin NX / Nano report VDD_IN (the total)."""
    from hil.parsers.tegrastats import parse_tegrastats
    from hil.platforms import orin

    [table, *_] = conformance.tables("orin")
    for module, spec in table["power"]["modules"].items():
        mw = {rail: 1000 * (i + 1) for i, rail in enumerate(spec["rails"])}
        line = "RAM 2000/30000MB (lfb 1x4MB) CPU [1%@729,2%@729] " + " ".join(
            f"{rail} {v}mW/{v}mW" for rail, v in mw.items()
        )
        [sample] = parse_tegrastats(line).samples
        want = sum(mw.values()) if spec["total"] == "sum" else mw[spec["total"]]
        assert orin.total_input_mw(sample) == want, module


def test_the_emulated_tegrastats_takes_only_documented_options() -> None:
    import ast
    from pathlib import Path

    import hil.sim.tools

    source = (Path(hil.sim.tools.__file__).parent / "tegrastats.py").read_text()
    names = {
        n.value
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.Constant) and str(n.value).startswith("--")
    }
    assert names and names <= conformance.documented_flags("orin", "tegrastats"), names


def test_a_release_whose_board_has_python_3_8_says_how_to_run_under_it() -> None:
    from hil.sim.toolchains import python_notes

    [note] = python_notes(parse_toolchains(["orin=trt8.5"]))
    assert "a real board has Python 3.8" in note and "(--toolchain orin=trt8.5,py3.8)" in note
    assert python_notes(parse_toolchains(["orin=trt8.5,py3.8", "orin=trt10.3"])) == []
