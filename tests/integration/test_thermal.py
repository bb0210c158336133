"""Throttling on a simulated rack, through real sshd: the board's own sysfs says it throttles, the replay
really runs on half the CPU, and the result is marked noisy with the reason; a cool board is not."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Hil, needs_sshd, write_sim_inventory

pytestmark = [needs_sshd]


def test_a_throttled_board_gives_noisy_results_and_says_why(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-hot": "orin", "orin-cool": "orin"})
    root = tmp_path / ".hil" / "sim" / "boards" / "orin-hot" / "root"
    root.mkdir(parents=True)
    (root / "sim-faults.json").write_text(json.dumps({"thermal": "throttle"}))
    proc = hil(
        "run", "-i", str(rack.inventory), "--model", str(model), "--clip", str(clip), "-p", "fp32",
        "--max-frames", "12", "--warmup", "2", "--json", timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    by_board = {r["board"]: r for r in json.loads(proc.stdout)["results"]}
    hot, cool = by_board["orin-hot"], by_board["orin-cool"]
    assert hot["status"] == "pass"  # throttling makes a result noisy, never a model failure
    assert hot["noisy"] is True
    assert (
        hot["noisy_reason"] == "board throttled during the replay: cooling device cpufreq-cpu0 at state 10/10"
    )
    assert cool["noisy"] is False and cool["noisy_reason"] is None
    for result in (hot, cool):  # identity facts only: the power mode nvpmodel reports, no per-replay state
        assert result["fingerprint"]["power_mode"] == "15W"
        assert "throttled" not in result["fingerprint"] and "temp_before_c" not in result["fingerprint"]
    # The readings before and after the replay are kept with the result.
    logs = hil("show", "last", "--board", "orin-hot", "--log", "thermal", "--json")
    assert logs.returncode == 0, logs.stderr
    [log] = json.loads(logs.stdout)
    assert "# before the replay" in log["text"] and "# after the replay" in log["text"]
    assert "cooling_device0/cur_state:10" in log["text"]
    # Stored with the result: `hil show` reads back the same verdict and reason.
    shown = hil("show", "last", "--board", "orin-hot", "--json")
    assert shown.returncode == 0, shown.stderr
    [stored] = json.loads(shown.stdout)["results"]
    assert (stored["noisy"], stored["noisy_reason"]) == (True, hot["noisy_reason"])
    history = hil("history", "--json")
    assert {r["board"]: r["noisy"] for r in json.loads(history.stdout)["results"]} == {
        "orin-hot": True,
        "orin-cool": False,
    }
    assert "pass!" in hil("history", "--board", "orin-hot").stdout
