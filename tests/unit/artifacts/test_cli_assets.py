from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hil.cli import assets
from hil.errors import ArtifactError, ConfigError


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    assets.register(app)
    return app


def run(app: typer.Typer, *args: str | Path) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.exception


def test_calibrate_then_quantize_and_evaluate(
    app: typer.Typer, clips: list[Path], model: Path, tmp_path: Path
) -> None:
    cal = tmp_path / "cal"
    code, out, exc = run(
        app, "calibrate", "--clips", clips[0], clips[1], "--frames", "20", "--out", cal, "--json"
    )
    assert code == 0, exc
    summary = json.loads(out)
    assert summary["frames"] == 20 and [c["sampled"] for c in summary["clips"]] == [10, 10]

    code, out, exc = run(
        app, "quantize", model, "--calibration", cal, "--evaluate", clips[0], clips[1], "--json"
    )
    assert code == 0, exc
    report = json.loads(out)
    assert set(report["results"]) == {"fp32", "fp16", "int8"}
    assert report["frames"] == 120
    assert set(report["sizes"]) == {"fp32", "fp16", "int8"}
    for r in report["results"].values():
        assert 0 <= r["accuracy"] <= 1
    assert Path(report["outputs"]["int8"]["card"]).exists()


def test_quantize_one_precision_to_a_named_file(app: typer.Typer, model: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "m16.onnx"
    code, out, exc = run(app, "quantize", model, "--precision", "fp16", "--out", target, "--json")
    assert code == 0, exc
    assert json.loads(out)["outputs"]["fp16"]["path"] == str(target) and target.exists()


def test_human_table_goes_to_stdout(app: typer.Typer, model: Path, clips: list[Path]) -> None:
    code, out, exc = run(app, "quantize", model, "-p", "fp16", "-e", clips[0])
    assert code == 0, exc
    assert "fp32" in out and "fp16" in out and "accuracy" in out


def test_errors_are_hil_errors(app: typer.Typer, model: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.onnx"
    bogus.write_bytes(b"\x08\x01garbage")
    _, _, exc = run(app, "quantize", bogus, "-p", "fp16")
    assert isinstance(exc, ArtifactError)
    _, _, exc = run(app, "quantize", model, "-p", "int8")
    assert isinstance(exc, ConfigError) and "calibration" in str(exc)
    _, _, exc = run(app, "quantize", model, "-p", "bf16")
    assert isinstance(exc, ConfigError)
    _, _, exc = run(app, "calibrate", "--clips", tmp_path / "none.mp4")
    assert isinstance(exc, ConfigError)


def test_clipgen_command(app: typer.Typer, tmp_path: Path) -> None:
    code, out, exc = run(app, "clipgen", tmp_path / "c.mp4", "--seed", "3", "--seconds", "1", "--json")
    assert code == 0, exc
    summary = json.loads(out)
    assert summary["frames"] == 30 and (tmp_path / "c.labels.csv").exists()
    assert (tmp_path / "c.openlabel.json").exists()
