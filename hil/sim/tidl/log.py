"""What the emulated TIDL library prints, in the layout of edgeai-tidl-tools 08_06 (see tidl-01.log).

Only lines that carry something true are printed: option values as given, node verdicts, subgraph counts,
and per-frame times that were measured. OpenVX start-up chatter and memory-allocator totals of TI's PC
emulation are left out: the emulation has no such numbers to print.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any

from hil.sim.tidl.partition import Segment, Verdict

STAR = "*" * 52


def emit(lines: Iterable[str]) -> None:
    """TIDL's library prints with printf to stdout; flush so that logs interleave as on a board."""
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    sys.stdout.flush()


def options_dump(options: Mapping[str, Any]) -> list[str]:
    """The option table TIDL prints at debug_level >= 1 (names as TIDL prints them)."""

    def opt(key: str, default: object = "") -> str:
        return str(options.get(key, default))

    rows = [
        ("tidl_tools_path", opt("tidl_tools_path")),
        ("artifacts_folder", opt("artifacts_folder")),
        ("tidl_tensor_bits", opt("tensor_bits", 8)),
        ("debug_level", opt("debug_level", 0)),
        ("num_tidl_subgraphs", opt("max_num_subgraphs", 16)),
        ("tidl_denylist", opt("deny_list")),
        ("tidl_denylist_layer_name", opt("deny_list:layer_name")),
        ("tidl_denylist_layer_type", opt("deny_list:layer_type")),
        ("tidl_calibration_accuracy_level", opt("accuracy_level", 1)),
        ("tidl_calibration_options:num_frames_calibration", opt("advanced_options:calibration_frames", 20)),
        (
            "tidl_calibration_options:bias_calibration_iterations",
            opt("advanced_options:calibration_iterations", 50),
        ),
        ("prequantized_model", opt("advanced_options:prequantized_model", 0)),
    ]
    return [f"{name:<47} = {value} " for name, value in rows]


def verdict_lines(verdicts: list[Verdict]) -> list[str]:
    lines = []
    for v in verdicts:
        if v.delegated:
            lines.append(f"Supported TIDL layer type --- {v.op_type:>15} -- {v.name} ")
        else:
            lines.append(f"Unsupported (imports) TIDL layer type for ONNX op type --- {v.op_type} ")
    return lines


def partition_lines(preliminary: int, segments: list[Segment], total_nodes: int) -> list[str]:
    tidl = [s for s in segments if s.tidl]
    offloaded = sum(len(s.nodes) for s in tidl)
    return [
        "",
        f"Preliminary subgraphs created = {preliminary} ",
        f"Final number of subgraphs created are : {len(tidl)}, - Offloaded Nodes - {offloaded}, "
        f"Total Nodes - {total_nodes} ",
    ]


def import_header() -> list[str]:
    return [
        "",
        " ************** Frame index 1 : Running float import ************* ",
        STAR,
        "**                ALL MODEL CHECK PASSED          **",
        STAR,
        "",
        " ************ Frame index 1 : Running float inference **************** ",
        "",
    ]


def frame_times(times_ms: list[float]) -> list[str]:
    return [f"#{i:5d} . .. T {t:10.2f}  .... ..... ... .... ....." for i, t in enumerate(times_ms)]


def range_collection(stats_file: str, times_ms: list[float]) -> list[str]:
    return [
        " ************ Frame index 2 : Running fixed point mode for calibration **************** ",
        "Empty prototxt path, running calibration",
        "",
        "~~~~~Running TIDL in PC emulation mode to collect Activations range for each layer~~~~~",
        "",
        f"Processing config file #0 : {stats_file} ",
        " ----------------------- TIDL Process with REF_ONLY FLOW ------------------------",
        "",
        *frame_times(times_ms),
        " ",
    ]


def iteration(number: int, times_ms: list[float]) -> list[str]:
    bar = "*" * 17
    return [
        f" {bar}   Calibration iteration number {number} started {'*' * 24} ",
        " ----------------------- TIDL Process with REF_ONLY FLOW ------------------------",
        *frame_times(times_ms),
        f" {bar}   Calibration iteration number {number} completed {'*' * 24} ",
        " ",
    ]


def compiler_traces() -> list[str]:
    return [
        "------------------ Network Compiler Traces -----------------------------",
        "NC running for device: 1",
        "successful Memory allocation",
        STAR,
        "**                ALL MODEL CHECK PASSED          **",
        STAR,
        "",
    ]


def runtime_loaded(handle: int, segments: list[Segment], total_nodes: int) -> list[str]:
    tidl = [s for s in segments if s.tidl]
    offloaded = sum(len(s.nodes) for s in tidl)
    return [
        f"libtidl_onnxrt_EP loaded {handle:#x} ",
        f"Final number of subgraphs created are : {len(tidl)}, - Offloaded Nodes - {offloaded}, "
        f"Total Nodes - {total_nodes} ",
    ]
