"""`hil history` through typer's CliRunner, on a fresh app with only this command registered."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from hil.cli import history
from hil.errors import ConfigError
from hil.records import JobResult, LatencyStats
from hil.store import Store


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Keeps `history` a sub-command, as in the real `hil` app."""

    history.register(app)
    return app


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "hil.sqlite"
    t0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
    lat = LatencyStats(min=5, mean=6, p50=6, p90=7, p99=None, max=9, n=100, insufficient=["p99"])
    with Store.open(path) as store:
        for day, (run_id, source) in enumerate([("imp", "import"), ("n1", "run"), ("n2", "run")]):
            store.begin_run(run_id, inventory="lab", argv=[])
            for board in ("orin-01", "qcs-01"):
                result = JobResult(
                    board=board,
                    platform="orin" if board.startswith("orin") else "qcs8255",
                    model="dms-v3",
                    precision="int8",
                    clip="night",
                    status="pass",
                    latency_ms=lat,
                    power_w=1.5,
                    power_source="sim-model",
                    source=source,
                )
                store.record_job(run_id, result, [], [], created_at=t0 + timedelta(days=day))
    return path


def test_history_json_newest_first_with_imports_marked(db: Path) -> None:
    result = CliRunner().invoke(_app(), ["history", "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["results"]
    assert [r["run_id"] for r in rows] == ["n2", "n2", "n1", "n1", "imp", "imp"]
    assert [r["imported"] for r in rows] == [False] * 4 + [True] * 2
    assert rows[-1]["source"] == "import"
    assert rows[0]["p99"] is None and rows[0]["n"] == 100


def test_history_filters(db: Path) -> None:
    args = ["history", "--json", "--db", str(db), "--board", "qcs-01", "--precision", "INT8", "--last", "2"]
    result = CliRunner().invoke(_app(), args)
    rows = json.loads(result.stdout)["results"]
    assert [(r["board"], r["run_id"]) for r in rows] == [("qcs-01", "n2"), ("qcs-01", "n1")]
    result = CliRunner().invoke(_app(), ["history", "--json", "--db", str(db), "--source", "import"])
    assert {r["run_id"] for r in json.loads(result.stdout)["results"]} == {"imp"}


def test_history_table(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The command's console is made at import, with whatever width the importing process had: pin it.
    monkeypatch.setattr(history, "out", Console(soft_wrap=True, width=250))
    result = CliRunner().invoke(_app(), ["history", "--db", str(db)], terminal_width=250)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert all("imported" in line for line in lines if " imp " in line)
    assert "(modelled)" in result.stdout and "n<662" in result.stdout


def test_no_match_is_empty_not_an_error(db: Path) -> None:
    result = CliRunner().invoke(_app(), ["history", "--json", "--db", str(db), "--model", "nope"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"results": []}


def test_missing_store_is_a_config_error_with_a_hint(tmp_path: Path) -> None:
    missing = tmp_path / "nope.sqlite"
    result = CliRunner().invoke(_app(), ["history", "--db", str(missing)])
    assert isinstance(result.exception, ConfigError)
    assert "hil run" in (result.exception.hint or "")
    assert not missing.exists()


def test_bad_precision_is_a_usage_error(db: Path) -> None:
    result = CliRunner().invoke(_app(), ["history", "--db", str(db), "--precision", "int4"])
    assert result.exit_code == 2
