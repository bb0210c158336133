"""Output hygiene: data on stdout, messages on stderr, JSON byte for byte (values with `[b17]` and `[/x]`),
tables that fit $COLUMNS, --debug tracebacks and the internal-error exit code."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path

from tests.conftest import REPO, Hil, needs_sshd, write_sim_inventory
from tests.fixtures.tiny import make_clip, make_model

TRTEXEC = REPO / "tests" / "fixtures" / "parsers" / "trtexec-trt82-end-to-end.log"
BOARD = "orin[/x]"
MODEL = "dms[b17]"


def _import(hil: Hil, *extra: str) -> subprocess.CompletedProcess[str]:
    return hil("import", "trtexec", str(TRTEXEC), "-b", BOARD, "-m", MODEL, "-p", "fp16", *extra)


def test_json_keeps_square_brackets_in_every_command(hil: Hil) -> None:
    imported = _import(hil, "--json")
    assert imported.returncode == 0, imported.stderr
    doc = json.loads(imported.stdout)
    assert doc["board"] == BOARD and doc["model"] == MODEL
    for args in (("show", "last", "--json"), ("show", "last", "--result", "1", "--json")):
        shown = hil(*args)
        assert shown.returncode == 0, shown.stderr
        text = json.loads(shown.stdout)
        result = text["results"][0] if "results" in text else text
        assert result["board"] == BOARD and result["model"] == MODEL
    history = hil("history", "--json")
    assert json.loads(history.stdout)["results"][0]["model"] == MODEL
    parsed = hil("parse", "trtexec", str(TRTEXEC), "--json")
    assert parsed.returncode == 0, parsed.stderr
    assert json.loads(parsed.stdout)["invocations"]


def test_tables_show_bracketed_names_literally_and_fit_columns(hil: Hil) -> None:
    assert _import(hil).returncode == 0
    for columns in ("80", "100"):
        hil.env["COLUMNS"] = columns
        for args in (("show", "last"), ("history", "-n", "10"), ("show", "last", "--result", "1")):
            shown = hil(*args)
            assert shown.returncode == 0, shown.stderr
            assert BOARD in shown.stdout and MODEL in shown.stdout, shown.stdout
            assert max(len(line) for line in shown.stdout.splitlines()) <= int(columns), shown.stdout
            assert "…" not in shown.stdout


def test_off_a_terminal_lines_stay_within_120_columns(hil: Hil) -> None:
    del hil.env["COLUMNS"]
    assert _import(hil).returncode == 0
    shown = hil("show", "last")
    assert shown.returncode == 0, shown.stderr
    assert max(len(line) for line in shown.stdout.splitlines()) <= 120
    assert "p50" in shown.stdout and "p99" in shown.stdout


def test_messages_go_to_stderr_data_to_stdout(hil: Hil) -> None:
    imported = _import(hil)
    assert imported.returncode == 0
    assert imported.stdout == "" and "imported trtexec" in imported.stderr
    missing = hil("show", "last", "--db", "nowhere.sqlite")
    assert missing.returncode == 2 and missing.stdout == ""
    assert "error: no results store at nowhere.sqlite" in missing.stderr


def _boom(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # A command with a real bug in it (an unexpected exception), registered next to hil's own.
    script = (
        "import sys\n"
        "from hil.cli import main as m\n"
        "@m.app.command('boom')\n"
        "def boom() -> None:\n"
        "    {}['missing']\n"
        "sys.argv = ['hil', *sys.argv[1:]]\n"
        "m.main()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )


def test_an_internal_error_has_its_own_exit_code_and_says_what_to_report(tmp_path: Path) -> None:
    plain = _boom(tmp_path, "boom")
    assert plain.returncode == 4, plain.stderr
    assert "internal error: KeyError: 'missing'" in plain.stderr
    assert "bug in hil" in plain.stderr and "--debug" in plain.stderr
    assert "Traceback" not in plain.stderr and plain.stdout == ""
    debug = _boom(tmp_path, "--debug", "boom")
    assert debug.returncode == 4
    assert "Traceback" in debug.stderr and "in boom" in debug.stderr


def test_debug_shows_the_traceback_of_a_hil_error(hil: Hil) -> None:
    plain = hil("show", "last", "--db", "nowhere.sqlite")
    assert "Traceback" not in plain.stderr
    hil.env["HIL_DEBUG"] = "1"
    debug = hil("show", "last", "--db", "nowhere.sqlite")
    assert debug.returncode == 2
    assert "Traceback" in debug.stderr and "ConfigError" in debug.stderr


@needs_sshd
def test_run_at_80_columns_json_with_brackets_and_progress_on_stderr(hil: Hil, tmp_path: Path) -> None:
    model = make_model(tmp_path / "bright.onnx")
    clip = make_clip(tmp_path / "night[b17].mp4", frames=40)
    rack = write_sim_inventory(tmp_path / "inv.yaml", {"orin-w1": "orin", "qcs8255-w1": "qcs8255"})
    hil.env["COLUMNS"] = "80"
    base = ("run", "-i", str(rack.inventory), "-m", str(model), "-c", str(clip), "-p", "fp32,fp16")
    table = hil(*base)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, table.stdout
    rows = [line for line in lines if "night[b17]" in line and ("orin-w1" in line or "qcs8255-w1" in line)]
    assert len(rows) == 4, table.stdout
    assert all(
        "pass" in row and "n<662" in row for row in rows
    )  # status and p99 (too few frames to have one)
    assert all(re.search(r"\b\d+\.\d\d\b", row) for row in rows)  # p50 in ms
    # Off a terminal, progress is one line per finished job, on stderr only.
    finished = [line for line in table.stderr.splitlines() if re.match(r"\[\d/4\] ", line)]
    assert len(finished) == 4 and all("night[b17]: pass" in line for line in finished)
    assert not any(line.startswith("[") for line in lines)
    as_json = hil(*base, "--json")
    assert as_json.returncode == 0, as_json.stderr
    doc = json.loads(as_json.stdout)
    assert {r["clip"] for r in doc["results"]} == {"night[b17]"}
    for args in (("show", "last"), ("history", "-n", "10")):
        shown = hil(*args)
        assert max(len(line) for line in shown.stdout.splitlines()) <= 80, shown.stdout
        assert "night[b17]" in shown.stdout and shown.stdout.count("n<662") >= 4


@needs_sshd
def test_on_a_terminal_progress_is_live_on_stderr_and_json_stays_clean(hil: Hil, tmp_path: Path) -> None:
    model = make_model(tmp_path / "bright.onnx")
    clip = make_clip(tmp_path / "cabin.mp4", frames=40)
    rack = write_sim_inventory(tmp_path / "inv.yaml", {"orin-p1": "orin"})
    leader, follower = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:  # a terminal is read while the program writes, or its buffer fills up
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed after the process ended
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hil.cli.main",
                "run",
                "-i",
                str(rack.inventory),
                "-m",
                str(model),
                "-c",
                str(clip),
                "-p",
                "fp32",
                "--json",
            ],
            cwd=hil.cwd,
            env={**hil.env, "COLUMNS": "100", "TERM": "xterm"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
        )
        os.close(follower)
        stdout, _ = proc.communicate(timeout=300)
        reader.join(timeout=30)
    finally:
        os.close(leader)
    screen = b"".join(chunks)
    assert proc.returncode == 0, screen.decode(errors="replace")[-2000:]
    assert json.loads(stdout)["results"][0]["status"] == "pass"  # nothing of the live view on stdout
    text = screen.decode(errors="replace")
    assert "all jobs" in text and "orin-p1" in text and "stage" in text
    assert "\x1b[" in text  # drawn and redrawn in place
    assert "[1/1]" not in text  # the line-per-job form is for logs, not terminals
