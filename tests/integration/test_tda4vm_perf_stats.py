"""TI's perf_stats is recorded on the TDA4VM during the replay, as tegrastats is on the Orin: started with the
power sampler, stopped by SIGINT (the only signal that lets it flush its block-buffered stdout), kept as the
result's `perf_stats` log with a summary line, and readable by `hil parse auto`."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hil.parsers.ti_perf import parse_ti_perf
from tests.conftest import Hil, needs_sshd, write_sim_inventory
from tests.fixtures.tiny import make_clip, make_model
from tests.unit.tda4vm.material import qdq_sibling

pytestmark = [needs_sshd]


def test_perf_stats_is_recorded_during_the_replay(hil: Hil, tmp_path: Path) -> None:
    model = make_model(tmp_path / "bright.onnx")
    clip = make_clip(tmp_path / "cabin.mp4", frames=30)
    qdq_sibling(model, clip)
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"tda-p1": "tda4vm"})
    proc = hil("run", "-i", str(rack.inventory), "--model", str(model), "--clip", str(clip),
               "--precision", "int8", "--warmup", "4", "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    run_id = json.loads(proc.stdout)["run_id"]
    convert = hil("show", run_id, "--log", "convert")  # a QDQ model: TI's pairing of the two options
    assert "--accuracy-level=0" in convert.stdout and "--prequantized" in convert.stdout
    show = hil("show", run_id, "--log", "perf_stats", "--json")
    assert show.returncode == 0, show.stderr
    [log] = json.loads(show.stdout)
    assert "perf_stats" in log["command"] and "stdbuf -oL" in log["command"]
    summary, _, text = log["text"].partition("\n")
    found = re.match(r"# perf_stats: (\d+) report\(s\); mean load: mpu1_0 [\d.]+ %", summary)
    assert found and int(found.group(1)) >= 2, summary  # the idle lead and the replay: 1 s per report
    assert "CALLING DE-INIT." in text  # stopped by SIGINT: its loop ended and stdout was flushed
    samples = parse_ti_perf(text).samples
    assert len(samples) == int(found.group(1))
    assert all(s.cpu["mpu1_0"].total_pct is not None for s in samples)
    assert not any(core.startswith(("c7x", "mcu", "c6x")) for s in samples for core in s.cpu)  # not invented
    (tmp_path / "perf.txt").write_text(text)
    parsed = hil("parse", "auto", str(tmp_path / "perf.txt"), "--json")
    assert parsed.returncode == 0 and len(json.loads(parsed.stdout)["samples"]) == len(samples)
