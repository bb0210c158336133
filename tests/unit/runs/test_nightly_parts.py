"""The pieces of a nightly run that need no board: lease holders, durations, suite files, health, resume."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from hil.errors import ConfigError, InventoryError
from hil.records import JobResult
from hil.runs.control import parse_duration
from hil.runs.lease import describe, holder_is_dead, holder_line, parse_holder
from hil.runs.suitefile import load_suite_file
from hil.store.db import Store


def test_holder_names_this_process_and_only_a_dead_one_is_dead() -> None:
    me = holder_line("run-1")
    fields = parse_holder(me)
    assert fields["host"] == socket.gethostname() and fields["pid"] == str(os.getpid())
    assert fields["run"] == "run-1" and fields["start"] != "?"
    assert not holder_is_dead(me)
    child = subprocess.Popen(["true"])
    child.wait()
    gone = me.replace(f"pid={os.getpid()}", f"pid={child.pid}")
    assert holder_is_dead(gone)
    reused = me.replace(f"start={fields['start']}", "start=1")  # same pid, another process's start time
    assert holder_is_dead(reused)
    assert not holder_is_dead(gone.replace(socket.gethostname(), "other-host"))  # cannot know: TTL decides
    assert not holder_is_dead("nightly-ci:4242")  # old or foreign format: never broken early
    assert describe(me).startswith(f"pid {os.getpid()} on ")


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("2h", 7200),
                                               ("1h30m", 5400)])  # fmt: skip
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "2x", "h", "0s", "-5m"])
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_duration(text)


def test_suite_file_builds_the_suite(tmp_path: Path, material: tuple[Path, Path]) -> None:
    model, _ = material
    path = tmp_path / "nightly.yaml"
    path.write_text(
        f"models: [{model.name}]\nprecisions: [fp32]\nclips: ['*.mp4']\nboards: [platform=orin]\n"
        "budgets: {latency_ms: 40}\nrepetitions: 2\nreplay: {warmup: 2, max_frames: 6}\n"
        "limits: {deadline: 2h, job_timeout: 10m}\n"
    )
    sf = load_suite_file(path)
    suite = sf.build()
    assert [c.name for c in suite.clips] == ["cabin", "cabin#2"] and suite.max_frames == 6
    assert sf.budget_profile == {"latency_ms": 40} and sf.spec.boards == ["platform=orin"]
    assert sf.seconds(sf.spec.limits.deadline) == 7200


def test_suite_file_errors_name_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("models: [a.onnx]\nclips: [none.mp4]\nreplay:\n  warmpu: 3\nlimits: {deadline: soon}\n")
    with pytest.raises(InventoryError) as info:
        load_suite_file(path)
    text = info.value.message
    assert f"{path}:4: replay.warmpu: unknown key 'warmpu' (did you mean 'warmup'?)" in text
    with pytest.raises(InventoryError) as info:
        path.write_text("models: [a.onnx]\nclips: [none.mp4]\nlimits: {deadline: soon}\n")
        load_suite_file(path)
    assert f"{path}:3: limits.deadline: bad duration 'soon'" in info.value.message
    assert f"{path}:1: models[0]: 'a.onnx' matches no file" in info.value.message


def _result(status: str, clip: str = "c", error: str | None = None) -> JobResult:
    return JobResult(board="b1", platform="orin", model="m", precision="fp32", clip=clip, status=status,  # type: ignore[arg-type]
                     error=error)  # fmt: skip


def test_health_counts_consecutive_infra_errors(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        assert store.health("b1")["state"] == "good"
        assert store.note_outcomes("b1", ["infra_error"], 3) == "suspect"
        assert store.note_outcomes("b1", ["pass"], 3) == "good"  # a working board resets the count
        assert store.note_outcomes("b1", ["infra_error", "skipped", "infra_error", "infra_error"], 3) == "bad"
        assert store.note_outcomes("b1", ["infra_error"], 3) == "bad"
        assert "3 consecutive" in store.health("b1")["reason"]
        assert store.note_outcomes("b1", ["fail"], 3) == "good"  # a health check that ran: the board works
        store.set_health("b1", "maintenance", "new fan")
        assert store.note_outcomes("b1", ["infra_error"] * 5, 3) == "maintenance"  # only a person ends it


def test_resume_keys_and_no_duplicates(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        store.begin_run("r", inventory="sim", argv=[])
        store.record_job("r", _result("pass", "c1"), [], [])
        store.record_job("r", _result("infra_error", "c2"), [], [])
        store.record_job("r", _result("skipped", "c3", "interrupted"), [], [])
        store.record_job("r", _result("skipped", "c4", "board is bad"), [], [])
        final = store.final_keys("r")
        assert final == {("b1", "m", "fp32", c) for c in ("c1", "c2", "c4")}
        store.drop_unfinished("r", ("b1", "m", "fp32", "c3"))
        store.drop_unfinished("r", ("b1", "m", "fp32", "c1"))  # a final row is never dropped
        assert sorted(r.clip for r in store.run_results("r")) == ["c1", "c2", "c4"]


def test_a_suite_file_sets_loss_allowances_that_replace_the_boards(
    tmp_path: Path, material: tuple[Path, Path]
) -> None:
    from hil.inventory.spec import BudgetSpec
    from hil.runs.target import allowances

    model, _ = material
    path = tmp_path / "nightly.yaml"
    path.write_text(
        f"models: [{model.name}]\nclips: ['*.mp4']\n"
        "budgets: {map50_min: 0.9, loss: {points: {int8: 3}, events: false}}\n"
    )
    profile = load_suite_file(path).budget_profile
    board = BudgetSpec().model_copy(update=profile)  # as hil run applies a suite's profile
    loss = allowances(board.loss)
    assert board.map50_min == 0.9 and loss.overall("int8") == 3 and loss.overall("fp16") == 0.5
    assert loss.events is False
