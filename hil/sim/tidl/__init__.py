"""Emulated TI TIDL (edgeai-tidl-tools 08_06_00_02, TDA4VM / J721E) for the simulated TDA4VM board.

A real TDA4VM, or an x86 host with TI's tidl_tools, has TI's build of ONNX Runtime with two extra execution
providers: `TIDLCompilationProvider` (import, calibration and quantization into an artifacts folder) and
`TIDLExecutionProvider` (runs the compiled subgraphs on the C7x/MMA, the rest on the ARM cores). The
simulated board has the stock CPU ONNX Runtime, so `shim/` puts a package named `onnxruntime` first on the
board's PYTHONPATH: it loads the real ONNX Runtime and adds the two providers, implemented here:

- partition.py: TIDL's allow-listing (which ONNX operators TIDL imports) and the split of a graph into
  TIDL subgraphs and ARM segments, each a real ONNX model;
- quantize.py: TIDL's fixed-point calibration, done for real with onnxruntime.quantization (8 or 16 bit,
  symmetric, per-channel weights, power-of-2 activation scales as TDA4VM uses);
- artifacts.py: the artifacts folder format; compiler.py and runtime.py: the two sessions; log.py: what the
  TIDL library prints; session.py: the provider dispatch that the shim installs.

Everything that runs is computed by ONNX Runtime on the host CPU and every time printed is measured.
"""

TOOLS_VERSION = "08_06_00_02"  # the edgeai-tidl-tools release emulated (J721E / TDA4VM, SDK 08.06)
