"""Emulated `snpe-dlc-graph-prepare` (SNPE 2.22): offline graph preparation of a DLC for the DSP (HTP)
runtime.

    snpe-dlc-graph-prepare --input_dlc M_quantized.dlc [--output_dlc M_cached.dlc] --htp_socs sa8255

Real SNPE compiles the graph for the named SoCs' Hexagon architecture and stores the result in the DLC as an
HTP cache record, so the DSP runtime skips graph preparation at start-up. The emulation stores ONNX
Runtime's offline-optimized graph (hil.sim.dlc.prepare_htp) as that record; the emulated DSP runtime loads
it instead of optimizing the network itself, which shows as a shorter measured `Create` time. An SoC it
does not know (hil.sim.dlc.HTP_SOCS) is an error, as for the real tool.

Faults (key "snpe-dlc-graph-prepare"): hang, crash, disk_full, corrupt.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from hil.sim import dlc, faults
from hil.sim.tools import snpe_args

COMMAND = "snpe-dlc-graph-prepare"
PLATFORMS = ("qcs8255",)

FLAGS = {"--help", "-h", "--version", "--verbose", "--quiet", "--silent", "--optimization_level"}
VALUED = {
    "--input_dlc",
    "--output_dlc",
    "--htp_socs",
    "--set_output_tensors",
    "--input_list",
    "--vtcm_override",
}
USAGE = """\
Command Line Options:
  [ -h, --help ]          Displays this help message.
  [ --version ]           Displays version information.
  --input_dlc=<val>       Path to the dlc container containing the model for which graph cache should be
                          generated. This argument is required.
  [ --output_dlc=<val> ]  Path at which the cached data included model container should be written.
                          If this argument is omitted, it is written at <input_model_name>_cached.dlc.
  [ --htp_socs=<val> ]    Specify SoC(s) to generate HTP Offline Cache for, comma separated (default sm8550).
  [ --set_output_tensors=<val> ]  Comma separated list of tensors to be output after execution.
"""


def info(message: str) -> None:
    print(f"[INFO] {message}", flush=True)


def error(message: str) -> int:
    print(f"[ERROR] {message}", file=sys.stderr, flush=True)
    return 1


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    fault = faults.fault_for(COMMAND)
    if fault == "hang":
        faults.hang()
    try:
        args = snpe_args.parse(argv, FLAGS, VALUED)
    except snpe_args.ArgError as exc:
        return error(f"{exc}\n{USAGE}")
    if (answered := snpe_args.help_or_version(args, USAGE)) is not None:
        return answered
    if not args.get("--input_dlc"):
        return error("Missing required argument: --input_dlc")
    info("InitializeStderr: DebugLog initialized.")
    try:
        return prepare(args, argv, fault)
    finally:
        info("DebugLog shutting down.")


def prepare(args: snpe_args.Args, argv: list[str], fault: str | None) -> int:
    socs = [s.strip().lower() for s in args.get("--htp_socs", "sm8550").split(",") if s.strip()]
    unknown = [s for s in socs if s not in dlc.HTP_SOCS]
    if unknown:
        return error(f"Invalid SoC specified for --htp_socs: {unknown[0]} (known: {', '.join(dlc.HTP_SOCS)})")
    arches = {dlc.HTP_SOCS[s] for s in socs}
    if len(arches) > 1:
        return error(f"All SoCs given to --htp_socs must share one DSP architecture, not {sorted(arches)}")
    src = Path(args.get("--input_dlc"))
    try:
        model = dlc.read_dlc(src)
    except (OSError, dlc.DlcFormatError) as exc:
        return error(f"Failed to load the dlc container {src}: {exc}")
    info("Processed command-line arguments")
    if fault == "crash":
        faults.crash()
    started = time.perf_counter()
    for soc in socs:
        info(f"Generating HTP offline cache for SoC: {soc} (dsp arch {dlc.HTP_SOCS[soc]})")
    model.htp_cache = dlc.prepare_htp(model.network)
    model.header["htp_cache"] = {"socs": socs, "dsp_arch": arches.pop()}
    model.header["commands"] = [*model.header["commands"], " ".join([COMMAND, *argv])]
    info(f"Graph preparation took {(time.perf_counter() - started) * 1000:.0f} ms")
    out = Path(args.get("--output_dlc") or str(src.with_suffix("")) + "_cached.dlc")
    data = model.to_bytes()
    try:
        faults.write_output(out, data, fault)
    except OSError as exc:
        return error(f"Failed to write the dlc container {out}: {exc.strerror}")
    info(f"Saved the cached dlc to: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
