"""The two TIDL execution providers, added to the real ONNX Runtime module by the shim (see shim/).

`install(onnxruntime)` makes `get_available_providers()` list `TIDLExecutionProvider` and
`TIDLCompilationProvider` first, as TI's build does, and replaces `InferenceSession` with a class that
hands a session asking for a TIDL provider to the emulation (compiler.CompileSession or
runtime.RuntimeSession) and every other session to the real ONNX Runtime unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from types import ModuleType
from typing import Any

TIDL_RUN = "TIDLExecutionProvider"
TIDL_COMPILE = "TIDLCompilationProvider"


def _provider_options(
    providers: Sequence[Any] | None, options: Sequence[Any] | None
) -> dict[str, dict[str, Any]]:
    """Provider name -> options; a provider is a name or a (name, options) pair, as ONNX Runtime allows."""
    found: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(providers or ()):
        if isinstance(entry, tuple | list):
            name, opts = str(entry[0]), dict(entry[1])
        else:
            name = str(entry)
            opts = dict(options[i]) if options is not None and i < len(options) else {}
        found[name] = opts
    return found


def _model_bytes(path_or_bytes: Any) -> bytes:
    if isinstance(path_or_bytes, bytes | bytearray):
        return bytes(path_or_bytes)
    with open(os.fspath(path_or_bytes), "rb") as fh:
        return fh.read()


def install(ort: ModuleType) -> None:
    real_session: type = ort.InferenceSession
    real_available = ort.get_available_providers

    # TI compiles on an x86 PC only (hil/sim/conformance/tda4vm-*.yaml): a simulated board's onnxruntime
    # has no TIDLCompilationProvider, a simulated build host's has.
    on_board = os.environ.get("HIL_SIM_ROLE") == "board"
    ours = [TIDL_RUN] if on_board else [TIDL_RUN, TIDL_COMPILE]

    def get_available_providers() -> list[str]:
        return [*ours, *real_available()]

    class InferenceSession:
        """ONNX Runtime's InferenceSession, with the TIDL providers of TI's build emulated."""

        def __new__(
            cls,
            path_or_bytes: Any,
            sess_options: Any = None,
            providers: Sequence[Any] | None = None,
            provider_options: Sequence[Any] | None = None,
            **kwargs: Any,
        ) -> Any:
            wanted = _provider_options(providers, provider_options)
            if TIDL_COMPILE in wanted and TIDL_COMPILE in ours:
                from hil.sim.tidl.compiler import CompileSession

                return CompileSession(_model_bytes(path_or_bytes), wanted[TIDL_COMPILE], sess_options)
            if TIDL_RUN in wanted:
                from hil.sim.tidl.runtime import RuntimeSession

                return RuntimeSession(_model_bytes(path_or_bytes), wanted[TIDL_RUN], sess_options)
            return real_session(path_or_bytes, sess_options, providers, provider_options, **kwargs)

    InferenceSession.__name__ = InferenceSession.__qualname__ = "InferenceSession"
    vars(ort).update(InferenceSession=InferenceSession, get_available_providers=get_available_providers)
