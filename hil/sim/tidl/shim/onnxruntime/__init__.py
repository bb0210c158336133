"""`onnxruntime` as TI's build presents it, on a simulated TDA4VM: the real ONNX Runtime plus TIDL providers.

Importing this package finds the real onnxruntime on the rest of sys.path, loads it under its own name
(so its submodules and `import onnxruntime` everywhere resolve to it), and adds the emulated
TIDLCompilationProvider and TIDLExecutionProvider (hil.sim.tidl.session). Only the simulated board sees
this folder; a real board's Python finds TI's build instead, and hil runs the same code on both.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType


def _load_real() -> ModuleType:
    shim_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    search = [p for p in sys.path if os.path.abspath(p or os.curdir) != shim_dir]
    spec = importlib.machinery.PathFinder.find_spec("onnxruntime", search)
    if spec is None or spec.loader is None:
        raise ImportError("hil's TIDL emulation needs the real onnxruntime package, and none is installed")
    module = importlib.util.module_from_spec(spec)
    # The import system returns what sys.modules holds once this file has run: the real module.
    sys.modules["onnxruntime"] = module
    spec.loader.exec_module(module)
    return module


importlib.import_module("hil.sim.tidl.session").install(_load_real())
