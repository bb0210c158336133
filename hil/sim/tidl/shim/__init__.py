"""A folder for the simulated TDA4VM board's PYTHONPATH: it holds only the `onnxruntime` shim package.

The board profile (hil/sim/boards/tda4vm.py) puts this folder first on the board's PYTHONPATH, so
`import onnxruntime` on the board gives ONNX Runtime with TI's TIDL providers, as TI's build does.
"""
