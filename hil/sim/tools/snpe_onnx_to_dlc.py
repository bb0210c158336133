"""Emulated `snpe-onnx-to-dlc` (SNPE 2.22) of a simulated QCS8255: ONNX -> simulated DLC (hil.sim.dlc).

    snpe-onnx-to-dlc --input_network M.onnx [--output_path M.dlc] [--float_bitwidth 32|16]
                     [--input_dim NAME DIMS] [--out_node NAME] [--keep_quant_nodes]
                     [--quantization_overrides FILE]

Like the real converter (a Python program) it parses options with argparse, logs
`YYYY-MM-DD HH:MM:SS,mmm - <line> - LEVEL - message`, and fails on an operator it has no translation for
with the Python traceback and `ERROR - Node <name>: 'No translation registered for op type onnx_<op>. ...'`.
`--float_bitwidth 16` really converts the network to float16; a QDQ model keeps its Q/DQ nodes, whose
scales become the DLC's encodings (used by `snpe-dlc-quantize --override_params`).

Faults (sim-faults.json, key "snpe-onnx-to-dlc"): hang, crash, disk_full (the write fails with OSError 28),
corrupt (a damaged DLC is written and success reported), unsupported_op (the first node is rejected).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import onnx

from hil.sim import dlc, faults
from hil.sim.engine import is_qdq, sha256_hex

COMMAND = "snpe-onnx-to-dlc"
PLATFORMS = ("qcs8255",)

CONVERTER_DIR = "lib/python/qti/aisw/converters"


def log(level: str, message: str, line: int = 235) -> None:
    now = time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + f",{int(now % 1 * 1000):03d}"
    print(f"{stamp} - {line} - {level} - {message}", flush=True)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=COMMAND, description="Convert an ONNX model into a DLC file.")
    p.add_argument("--input_network", "-i", required=True, help="Path to the source ONNX model.")
    p.add_argument("--output_path", "-o", help="Path where the converted output model should be saved.")
    p.add_argument("--float_bitwidth", type=int, choices=[32, 16], default=32, help="Float bitwidth.")
    p.add_argument("--input_dim", "-d", nargs=2, action="append", metavar=("INPUT_NAME", "INPUT_DIM"))
    p.add_argument("--out_node", action="append", help="Name of the graph's output nodes.")
    p.add_argument("--keep_quant_nodes", action="store_true", help="Keep quantization nodes in the graph.")
    p.add_argument("--quantization_overrides", help="Path to a JSON file of quantization encodings.")
    return p


def main(argv: list[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    fault = faults.fault_for(COMMAND)
    if fault == "hang":
        faults.hang()
    if fault == "crash":
        faults.crash()
    args = parser().parse_args(args_list)  # exits 2 with argparse's usage error, as the real tool does
    try:
        model = onnx.load(args.input_network)
        source = Path(args.input_network).read_bytes()
    except Exception as exc:  # a missing file and a protobuf error end the same way
        log("ERROR", f"Encountered Error: {exc}", 209)
        return 1
    rejected = dlc.first_rejected_node(model)
    if fault == "unsupported_op" and model.graph.node:
        rejected = dlc.RejectedNode(0, model.graph.node[0])
    if rejected is not None:
        _print_no_translation(rejected)
        return 1
    problem = _fix_inputs(model, args.input_dim or [])
    if problem:
        log("ERROR", f"Encountered Error: {problem}", 209)
        return 1
    log("INFO", "INFO_INITIALIZATION_SUCCESS: ")
    network = dlc.convert_network(model, args.float_bitwidth)
    inputs, outputs = dlc.io_dims(network)
    header = {
        "format": 1,
        "snpe_version": dlc.SNPE_VERSION,
        "source_sha256": sha256_hex(source),
        "commands": [" ".join([COMMAND, *args_list])],
        "float_bitwidth": 32 if is_qdq(model) else args.float_bitwidth,
        "quantized": False,
        "encodings": "source-qdq" if is_qdq(model) else None,
        "inputs": inputs,
        "outputs": outputs,
        "htp_cache": None,
    }
    log("INFO", "INFO_CONVERSION_SUCCESS: Conversion completed successfully")
    out = Path(args.output_path or Path(args.input_network).with_suffix(".dlc"))
    data = dlc.Dlc(header, network.SerializeToString()).to_bytes()
    try:
        faults.write_output(out, data, fault)
    except OSError as exc:
        print("Traceback (most recent call last):", file=sys.stderr)
        print(f'  File "{CONVERTER_DIR}/common/converter_base.py", line 242, in save', file=sys.stderr)
        print(f"OSError: [Errno {exc.errno}] {exc.strerror}: '{out}'", file=sys.stderr)
        log("ERROR", f"Encountered Error: [Errno {exc.errno}] {exc.strerror}: '{out}'", 209)
        return 1
    log("INFO", "INFO_WRITE_SUCCESS: ")
    return 0


def _fix_inputs(model: onnx.ModelProto, given: list[list[str]]) -> str:
    """Apply `--input_dim NAME DIMS` (ONNX order, comma-separated); the converter's error when a name is no
    input or when an input is left with a dynamic (placeholder) dimension, else ""."""
    initializers = {init.name for init in model.graph.initializer}
    inputs = {v.name: v for v in model.graph.input if v.name not in initializers}
    for name, text in given:
        if name not in inputs:
            return f"Input name {name} not found in the graph inputs: {', '.join(inputs)}"
        try:
            dims = [int(d) for d in text.split(",")]
        except ValueError:
            return f"Invalid --input_dim for {name}: {text!r} (expected comma-separated integers)"
        shape = inputs[name].type.tensor_type.shape
        del shape.dim[:]
        for d in dims:
            shape.dim.add().dim_value = d
    for name, value in inputs.items():
        dims = [d.dim_value if d.HasField("dim_value") else 0 for d in value.type.tensor_type.shape.dim]
        if any(d <= 0 for d in dims):
            note = " Use --input_dim to provide static dimensions for input " + name
            return f"Negative/placeholder dimensions is not supported.Expected shape: {dims} > 0.{note}"
    return ""


def _print_no_translation(rejected: dlc.RejectedNode) -> None:
    """The converter's traceback and error for an operator without a translation (SNPE 2.x wording)."""
    key = rejected.translation
    trace = [
        "Traceback (most recent call last):",
        f'  File "{CONVERTER_DIR}/onnx/onnx_to_ir.py", line 330, in convert',
        "    src_op.op_type)",
        f'  File "{CONVERTER_DIR}/common/converter_ir/translation.py", line 48, in apply_method_to_op',
        "    translation = self.__get_translation(op_type)",
        f'  File "{CONVERTER_DIR}/common/converter_ir/translation.py", line 35, in __get_translation',
        '    raise KeyError("No translation registered for op type {}.".format(op_type))',
        f"KeyError: 'No translation registered for op type {key}. Op is most likely not supported by the "
        "converter.'",
    ]
    print("\n".join(trace), file=sys.stderr, flush=True)
    log(
        "ERROR",
        f"Node {rejected.name}: 'No translation registered for op type {key}. "
        "Op is most likely not supported by the converter.'",
        209,
    )


if __name__ == "__main__":
    sys.exit(main())
