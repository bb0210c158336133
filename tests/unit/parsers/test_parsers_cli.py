"""`hil parse KIND FILE [--json]`: the command on its own app, and once through the real `hil` entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hil.cli import parse as parse_cli
from hil.errors import ConfigError, ParseError
from hil.parsers import PARSERS
from tests.unit.parsers.conftest import REAL_LOGS

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "parsers"
runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """A callback keeps `parse` a sub-command, as it is under `hil`."""

    parse_cli.register(app)
    return app


def _invoke(*args: str, stdin: str | None = None) -> tuple[int, str, BaseException | None]:
    result = runner.invoke(_app(), ["parse", *args], input=stdin)
    error = result.exception if not isinstance(result.exception, SystemExit) else None
    return result.exit_code, result.stdout, error


def test_json_is_the_model_dump() -> None:
    path = FIXTURES / "trtexec-trt7-two-runs.log"
    code, stdout, error = _invoke("trtexec", str(path), "--json")
    assert (code, error) == (0, None)
    assert json.loads(stdout) == PARSERS["trtexec"](path.read_text()).model_dump(mode="json")


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("trtexec-trt82-end-to-end.log", "2.744"),
        ("tegrastats-agx-orin.txt", "VDD_GPU_SOC mW"),
        ("hwmon-tda4vm-ina226.txt", "vdd_cpu_avs"),
        ("snpe-diagview-new-cpu.txt", "total_inference_time_us"),
        ("qnn-profile-full.txt", "Execute Stats (Average) / Graph 0 (dms_small)"),
        ("tidl-inference-two-models.log", "dms-small-tfl"),
        ("tidl-report-old-columns.csv", "3.91232"),
    ],
)
def test_readable_view_through_auto(name: str, shown: str) -> None:
    code, stdout, error = _invoke("auto", str(FIXTURES / name))
    assert (code, error) == (0, None)
    assert shown in stdout
    assert not stdout.lstrip().startswith("{")


def test_dash_reads_standard_input() -> None:
    text = "RAM 1/2MB CPU [7%@102,off] GR3D_FREQ 3%@76 VDD_IN 100mW/90mW\n"
    code, stdout, _ = _invoke("tegrastats", "-", "--json", stdin=text)
    assert code == 0
    assert json.loads(stdout)["samples"][0]["rails"] == {"VDD_IN": {"current_mw": 100, "average_mw": 90}}


def test_wrong_kind_and_missing_file_raise_errors_that_exit_2(tmp_path: Path) -> None:
    _, _, error = _invoke("tegrastats", str(FIXTURES / "trtexec-trt7-two-runs.log"))
    assert isinstance(error, ParseError) and error.exit_code == 2
    assert "not tegrastats output" in error.message
    _, _, error = _invoke("trtexec", str(tmp_path / "nope.log"))
    assert isinstance(error, ConfigError) and error.exit_code == 2
    assert "does not exist" in error.message
    _, _, error = _invoke("trtexec", str(tmp_path))
    assert isinstance(error, ConfigError) and "is a folder" in error.message


def test_unknown_kind_is_a_usage_error() -> None:
    code, _, _ = _invoke("nvidia-smi", str(FIXTURES / "trtexec-trt7-two-runs.log"))
    assert code == 2


def _hil(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "hil.cli.main", "parse", *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60, check=False)


def test_real_entry_point_exit_codes() -> None:
    done = _hil("trtexec", "tests/fixtures/parsers/trtexec-trt10-no-build-tag.log", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["invocations"][0]["tensorrt_version"] == "10.3.0"
    done = _hil("qnn-profile", "tests/fixtures/parsers/hwmon-nano-jp4-iio.txt")
    assert done.returncode == 2
    assert "not qnn-profile-viewer output" in done.stderr and not done.stdout


def test_real_entry_point_on_the_shared_capture() -> None:
    capture = REAL_LOGS / "trtexec-05.log"
    if not capture.is_file():
        pytest.skip(f"real capture not found at {capture.resolve()} (it lives beside the repo)")
    done = _hil("trtexec", str(capture), "--json")
    assert done.returncode == 0, done.stderr
    [run] = json.loads(done.stdout)["invocations"]
    assert (run["status"], run["tensorrt_version"], run["precision"]) == ("passed", "8.5.2", ["fp32", "fp16"])
    assert run["latency_ms"]["p99"] == 10.9744


def test_thermal_kind_through_the_real_entry_point() -> None:
    done = _hil("thermal", "tests/fixtures/parsers/thermal-orin-throttled.txt", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["gpu_max_mhz"] == 612.0 and report["zones"][0]["passive_c"] == 95.5
    table = _hil("auto", "tests/fixtures/parsers/thermal-orin-throttled.txt")
    assert table.returncode == 0 and "detected KIND: thermal" in table.stderr
