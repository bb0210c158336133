"""TIDL imports static shapes only: a dynamic model fails the compile; the host's static copy compiles."""

from __future__ import annotations

import json
from pathlib import Path

import onnx

from hil.artifacts.shapes import write_static
from tests.fixtures.faces import INPUT, make_face_model

from .conftest import compile_model


def test_dynamic_input_fails_tidl_import_and_the_static_copy_compiles(board: Path, tmp_path: Path) -> None:
    model = make_face_model(tmp_path / "face.onnx")
    refused = compile_model(board, model, tmp_path / "dyn", 16)
    assert refused.rc == 1
    assert (
        f"tidl_compile: ERROR: TIDL_IMPORT: input '{INPUT}' has dynamic dimensions (?x?x?x3)" in refused.err
    )
    assert not (tmp_path / "dyn" / "param.yaml").exists()

    static = write_static(model, {INPUT: [1, 48, 64, 3]}, tmp_path / "static")
    dims = [d.dim_value for d in onnx.load(str(static)).graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 48, 64, 3]
    spec = {"name": INPUT, "shape": [1, 48, 64, 3], "layout": "NHWC", "colour": "rgb"}
    done = compile_model(board, static, tmp_path / "art", 16, f"--input-json={json.dumps(spec)}")
    assert done.rc == 0, done.both
    assert (tmp_path / "art" / "param.yaml").is_file()
    assert "resize: [64, 48]" in (tmp_path / "art" / "param.yaml").read_text()
