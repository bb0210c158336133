"""The vendor on-board / on-host split (hil/sim/conformance/*.yaml) on real simulated machines over SSH:
a QCS8255 or TDA4VM that names a build host has none of the host-only tools, its build host has them, a run
goes through the build host (conversion there, SNPE's diag log read there), and a real inventory whose board
names no build host is refused before any board is touched."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from hil.inventory import load_inventory
from hil.platforms import names
from hil.runs.simulated import SimUse
from hil.runs.target import target_for
from hil.sim import conformance
from hil.sim.rack import SimRack
from hil.transport.ssh import BoardConnection
from tests.conftest import SIM_POWER, Hil, free_endpoint, needs_sshd
from tests.integration.test_run_qcs8255 import host_qdq

pytestmark = [needs_sshd]

SNPE_HOST_ONLY = ["snpe-diagview", "snpe-onnx-to-dlc", "snpe-dlc-quantize", "snpe-dlc-quant",
                  "snpe-dlc-graph-prepare"]  # fmt: skip
PROVIDERS = "import onnxruntime as rt; print(','.join(rt.get_available_providers()))"


def rack_with_host(path: Path, platform: str) -> Path:
    (bh, bp), (th, tp) = free_endpoint(), free_endpoint()
    path.write_text(
        f"""all:
  vars:
    budgets: {{latency_ms: 5000, power_w: 50}}
  children:
    rack:
      vars: {{sim: true, platform: {platform}}}
      hosts:
        target:
          ansible_host: {th}
          ansible_port: {tp}
          build_host: host
          power: {SIM_POWER[platform]}
        host:
          ansible_host: {bh}
          ansible_port: {bp}
"""
    )
    return path


def _on(tmp_path: Path, inv: Path, name: str, script: str) -> str:
    spec = load_inventory(inv, names()).boards[name]
    rack = SimRack(tmp_path / "sim", tmp_path / "known_hosts")
    use = SimUse(rack)
    use.acquire(spec)
    try:
        with BoardConnection(target_for(spec, rack.known_hosts, rack.client_key).endpoint) as conn:
            return conn.run_script(script, 60).stdout
    finally:
        use.release_all()


def test_the_table_names_the_vendor_split() -> None:
    assert set(SNPE_HOST_ONLY) <= conformance.host_only("qcs8255")
    assert "snpe-net-run" not in conformance.host_only("qcs8255")  # the board's runtime
    assert "TIDLCompilationProvider" in conformance.host_only("tda4vm")
    assert "TIDLExecutionProvider" not in conformance.host_only("tda4vm")


def test_qcs8255_board_has_no_snpe_host_tools_its_build_host_has(tmp_path: Path) -> None:
    inv = rack_with_host(tmp_path / "rack.yaml", "qcs8255")
    probe = "; ".join(f"command -v {t} >/dev/null && echo has:{t} || echo no:{t}" for t in
                      [*SNPE_HOST_ONLY, "snpe-net-run"])  # fmt: skip
    board = set(_on(tmp_path, inv, "target", probe).split())
    assert board == {*(f"no:{t}" for t in SNPE_HOST_ONLY), "has:snpe-net-run"}
    host = set(_on(tmp_path, inv, "host", probe).split())
    assert host == {*(f"has:{t}" for t in SNPE_HOST_ONLY), "has:snpe-net-run"}


def test_tda4vm_board_has_no_tidl_compiler_its_build_host_has(tmp_path: Path) -> None:
    inv = rack_with_host(tmp_path / "rack.yaml", "tda4vm")
    board = _on(tmp_path, inv, "target", f"python3 -c {shlex.quote(PROVIDERS)}").strip().split(",")
    assert "TIDLExecutionProvider" in board and "TIDLCompilationProvider" not in board
    host = _on(tmp_path, inv, "host", f"python3 -c {shlex.quote(PROVIDERS)}").strip().split(",")
    assert "TIDLCompilationProvider" in host


def test_qcs8255_int8_run_converts_and_reads_the_diag_log_on_the_build_host(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    host_qdq(model, clip)  # the QDQ model SNPE's int8 starts from
    inv = rack_with_host(tmp_path / "rack.yaml", "qcs8255")
    proc = hil("run", "-i", str(inv), "--model", str(model), "--clip", str(clip), "-p", "int8",
               "--warmup", "2", "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)["results"]
    assert [r["board"] for r in results] == ["target"]  # the build host is not tested
    assert results[0]["status"] == "pass", results[0]
    assert results[0]["latency_ms"]["p50"] > 0
    shown = hil("show", "last", "--log", "replay").stdout
    assert "snpe-diagview --input_log" in shown and "(on host)" in shown
    assert "built on host" in hil("show", "last", "--log", "convert").stdout


def test_a_real_qcs8255_without_build_host_is_refused_before_any_board_is_touched(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    inv = tmp_path / "lab.yaml"
    inv.write_text(
        "all:\n  hosts:\n"
        "    qcs-real: {platform: qcs8255, ansible_host: 192.0.2.1}\n"  # TEST-NET: nothing answers
        "    tda-real: {platform: tda4vm, ansible_host: 192.0.2.2}\n"
        "    orin-real: {platform: orin, ansible_host: 192.0.2.3}\n"
    )
    proc = hil("run", "-i", str(inv), "--model", str(model), "--clip", str(clip))
    assert proc.returncode == 2, proc.stderr
    text = " ".join(proc.stderr.split())
    assert "no build_host for qcs-real" in text and "tda-real" in text and "orin-real" not in text
    assert "snpe-diagview" in text and "TIDLCompilationProvider" in text
    assert "connect" not in text.lower()  # refused before any connection
