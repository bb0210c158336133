"""Emulated `snpe-dlc-quantize` / `snpe-dlc-quant` (SNPE 2.22): quantize a simulated DLC to 8-bit fixed point.

    snpe-dlc-quantize --input_dlc M.dlc --input_list calib.txt [--output_dlc M_quantized.dlc]
                      [--use_per_channel_quantization] [--override_params] [--act_bitwidth 8|16]

The input list names raw float32 calibration tensors in the DLC's layout (NHWC for images), one inference
per line, as for snpe-net-run. A float network is really quantized to QDQ with ONNX Runtime on those
tensors (hil.sim.dlc.quantize_network); a network converted from a QDQ ONNX keeps the encodings it came
with (`--override_params`), after its calibration tensors were read and checked. Each activation's encoding
is printed as the real tool prints it (`bw`, `min`, `max`, `delta`, `offset`), from the quantized network.

Faults (key "snpe-dlc-quantize"): hang, crash, disk_full, corrupt.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from hil.sim import converter_faults, dlc, faults
from hil.sim.tools import snpe_args

COMMANDS = ["snpe-dlc-quantize", "snpe-dlc-quant"]
PLATFORMS = ("qcs8255",)

FLAGS = {
    "--use_per_channel_quantization", "--axis_quant", "--override_params", "--enable_htp",
    "--use_enhanced_quantizer", "--use_adjusted_weights_quantizer", "--help", "-h", "--version",
}  # fmt: skip
VALUED = {
    "--input_dlc", "--input_list", "--output_dlc", "--act_bitwidth", "--weights_bitwidth", "--bias_bitwidth",
    "--htp_socs", "--param_quantizer", "--act_quantizer",
}  # fmt: skip
DEPRECATED = {
    "--axis_quant": "use --use_per_channel_quantization option",
    "--use_enhanced_quantizer": "use --param_quantizer and --act_quantizer options",
    "--use_adjusted_weights_quantizer": "use --param_quantizer option",
}
USAGE = """\
DESCRIPTION:
------------
Tool to quantize the model parameters and activations of a DLC.

REQUIRED ARGUMENTS:
-------------------
  --input_dlc <FILE>              Path to the dlc container containing the model to quantize.
  --input_list <FILE>             Path to a file specifying the trial inputs (raw files, as for snpe-net-run).

OPTIONAL ARGUMENTS:
-------------------
  --output_dlc <FILE>             Path at which the quantized model container should be written.
  --use_per_channel_quantization  Use per-channel quantization for convolution-based op weights.
  --override_params               Use the quantization encodings the model already carries.
  --act_bitwidth <8|16>           Bitwidth of activations (default 8).
  --help                          Show this help.
  --version                       Show the SDK version.
"""


class QuantizeError(Exception):
    pass


def info(message: str) -> None:
    print(f"[INFO] {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    fault = faults.fault_for("snpe-dlc-quantize")
    if fault == "hang":
        faults.hang()
    try:
        args = snpe_args.parse(argv, FLAGS, VALUED)
    except snpe_args.ArgError as exc:
        print(f"[ERROR] {exc}\n{USAGE}", file=sys.stderr)
        return 1
    if (answered := snpe_args.help_or_version(args, USAGE)) is not None:
        return answered
    info("InitializeStderr: DebugLog initialized.")
    for flag, advice in DEPRECATED.items():
        if args.has(flag):
            print(f"[WARNING] {flag} is deprecated, {advice}.", flush=True)
    try:
        return quantize(args, argv, fault)
    except QuantizeError as exc:
        print(f"[ERROR] {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        info("DebugLog shutting down.")


def quantize(args: snpe_args.Args, argv: list[str], fault: str | None) -> int:
    if not args.get("--input_dlc") or not args.get("--input_list"):
        raise QuantizeError("Missing required argument: --input_dlc and --input_list must be given")
    src = Path(args.get("--input_dlc"))
    try:
        model = dlc.read_dlc(src)
    except (OSError, dlc.DlcFormatError) as exc:
        raise QuantizeError(f"Failed to load the dlc container {src}: {exc}") from exc
    info("Processed command-line arguments")
    batches = calibration_batches(args.get("--input_list"), model)
    if fault == "crash":
        faults.crash()
    act_bits = int(args.get("--act_bitwidth", "8") or 8)
    per_channel = args.has("--use_per_channel_quantization") or args.has("--axis_quant")
    if model.header.get("encodings") == "source-qdq":
        # The network already carries the source model's Q/DQ encodings; --override_params keeps them.
        network = model.model()
    else:
        network = dlc.quantize_network(model.model(), batches, per_channel, act_bits)
        model.header["encodings"] = "calibrated"
    for enc in dlc.activation_encodings(network):
        info(f"Setting activation for layer: {enc.tensor} and buffer: {enc.tensor}")
        info(
            f"bw: {enc.bw}, min: {enc.min:.6f}, max: {enc.max:.6f}, delta: {enc.delta:.6f}, "
            f"offset: {enc.offset:.6f}"
        )
    if fault == "bad_layer":  # one layer's encodings wrong (hil.sim.converter_faults)
        network, _ = converter_faults.break_one_layer(network)
    model.network = network.SerializeToString()
    model.header["quantized"] = True
    model.header["commands"] = [*model.header["commands"], " ".join(["snpe-dlc-quantize", *argv])]
    out = Path(args.get("--output_dlc") or str(src.with_suffix("")) + "_quantized.dlc")
    data = model.to_bytes()
    try:
        faults.write_output(out, data, fault)
    except OSError as exc:
        raise QuantizeError(f"Failed to write the quantized dlc {out}: {exc.strerror}") from exc
    info(f"Writing quantized model to: {out}")
    return 0


def calibration_batches(list_path: str, model: dlc.Dlc) -> list[dict[str, np.ndarray]]:
    """The input list's raw tensors, checked against the DLC's input sizes, in the network's layout."""
    try:
        listing = snpe_args.read_input_list(list_path)
    except OSError as exc:
        raise QuantizeError(f"Could not open input list: {list_path}") from exc
    if not listing.entries:
        raise QuantizeError(f"The input list {list_path} names no input files")
    inputs = model.header["inputs"]
    names = list(inputs)
    batches: list[dict[str, np.ndarray]] = []
    for entry in listing.entries:
        feed: dict[str, np.ndarray] = {}
        for name in names:
            path = entry.get(name) or (entry.get("") if len(names) == 1 else None)
            if path is None:
                raise QuantizeError(f"No input file for input {name} in {list_path}")
            try:
                data = np.fromfile(path, dtype=np.float32)
            except OSError as exc:
                raise QuantizeError(f"Failed to open input file: {path}") from exc
            expected = dlc.element_count(inputs[name])
            if data.size != expected:
                raise QuantizeError(
                    f"Input file {path} holds {data.size} floats; input {name} needs {expected} "
                    f"(dims {','.join(map(str, inputs[name]['dims']))})"
                )
            feed[name] = dlc.nhwc_to_onnx(data, inputs[name]["onnx_dims"])
        batches.append(feed)
    return batches


if __name__ == "__main__":
    sys.exit(main())
