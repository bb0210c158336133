"""`hil run --engine`: an engine built elsewhere is refused before any push when it was built for another
toolchain version (exit 2, both versions named, nothing stored), and replays and scores as usual when it
matches. Each engine here is one a simulated board's own toolchain built in an earlier `hil run`."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

from hil.platforms.supplied import folder_sha256
from tests.conftest import Hil, needs_sshd, write_sim_inventory

pytestmark = [needs_sshd]


def _run(hil: Hil, inventory: Path, model: Path, clip: Path, *extra: str) -> tuple[int, str, str]:
    proc = hil("run", "-i", str(inventory), "--model", str(model), "--clip", str(clip), "--max-frames", "8",
               "--warmup", "2", "--json", *extra)  # fmt: skip
    return proc.returncode, proc.stdout, " ".join(proc.stderr.split())  # the message as one line


def _built(tmp_path: Path, board: str, pattern: str) -> Path:
    """The engine the board's toolchain built (hil's conversion cache on the simulated board)."""
    found = [
        p
        for p in (tmp_path / ".hil" / "sim" / "boards" / board / "root").rglob(pattern)
        if "supplied" not in str(p)
    ]
    assert found, f"{board} built no {pattern}"
    return found[0]


def _nothing_pushed(tmp_path: Path, board: str) -> None:
    root = tmp_path / ".hil" / "sim" / "boards" / board / "root"
    assert not list(root.rglob("supplied-*")), "the refused engine reached the board"


def test_orin_plan_of_another_tensorrt_refused_matching_one_runs(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    old = write_sim_inventory(
        tmp_path / "trt85.yaml", {"orin-85": "orin"}, extra="sim_toolchain: {tensorrt: 8.5.2}"
    )
    new = write_sim_inventory(tmp_path / "trt103.yaml", {"orin-103": "orin"})
    rc, out, err = _run(hil, old.inventory, model, clip, "-p", "fp16")
    assert rc == 0, err + out
    plan = shutil.copy(_built(tmp_path, "orin-85", "*.engine"), tmp_path / "dms.fp16.engine")
    runs_before = _runs(hil)

    rc, out, err = _run(hil, new.inventory, model, clip, "--engine", str(plan))
    assert rc == 2, err + out
    assert "built with TensorRT 8.5.2" in err and "the board runs TensorRT 10.3.0" in err, err
    _nothing_pushed(tmp_path, "orin-103")
    assert _runs(hil) == runs_before, "a refused engine stored a run"
    assert not _engine_artifacts(hil)

    rc, out, err = _run(hil, old.inventory, model, clip, "--engine", str(plan))
    assert rc == 0, err + out
    [result] = json.loads(out)["results"]
    sha = hashlib.sha256(Path(plan).read_bytes()).hexdigest()
    assert result["status"] == "pass" and result["precision"] == "fp16", result
    assert result["engine"] == "supplied" and result["fingerprint"]["engine"] == "supplied"
    assert result["fingerprint"]["engine_sha256"] == sha
    assert result["engine_key"] == f"supplied-{sha[:16]}" and result["accuracy"] is not None
    assert result["parity"]["outputs"], result["parity"]
    assert _engine_artifacts(hil) == [(sha, "dms.fp16.engine", Path(plan).stat().st_size)]
    detail = hil("show", json.loads(out)["run_id"], "--result", "1")
    assert f"supplied, sha256 {sha}" in " ".join(detail.stdout.split()), detail.stdout
    show = hil("show", json.loads(out)["run_id"], "--log", "convert")
    assert "--loadEngine=" in show.stdout and "--buildOnly" in show.stdout and "&&&& PASSED" in show.stdout


def _engine_artifacts(hil: Hil) -> list[tuple[str, str, int]]:
    with sqlite3.connect(hil.cwd / "hil.sqlite") as db:
        rows = db.execute("SELECT sha256, name, bytes FROM artifacts WHERE kind = 'engine'").fetchall()
    return [tuple(r) for r in rows]


def _runs(hil: Hil) -> int:
    """Runs in the store (hil.sqlite in hil's working folder)."""
    with sqlite3.connect(hil.cwd / "hil.sqlite") as db:
        return int(db.execute("SELECT count(*) FROM runs").fetchone()[0])


def test_snpe_dlc_of_another_release_refused_matching_one_runs(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    old = write_sim_inventory(
        tmp_path / "snpe220.yaml", {"qcs-220": "qcs8255"}, extra="sim_toolchain: {snpe: 2.20.0.240223}"
    )
    new = write_sim_inventory(tmp_path / "snpe222.yaml", {"qcs-222": "qcs8255"})
    rc, out, err = _run(hil, new.inventory, model, clip, "-p", "fp32")
    assert rc == 0, err + out
    dlc = shutil.copy(_built(tmp_path, "qcs-222", "*.dlc"), tmp_path / "dms.dlc")

    rc, out, err = _run(hil, old.inventory, model, clip, "--engine", str(dlc))
    assert rc == 2, err + out
    assert "built with SNPE 2.22.0.240425" in err and "the board runs SNPE 2.20.0.240223" in err, err
    _nothing_pushed(tmp_path, "qcs-220")

    rc, out, err = _run(hil, new.inventory, model, clip, "--engine", str(dlc))
    assert rc == 0, err + out
    [result] = json.loads(out)["results"]
    assert result["status"] == "pass" and result["fingerprint"]["engine"] == "supplied", result
    assert result["accuracy"] is not None


def test_tidl_folder_of_other_tools_refused_matching_one_runs(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    rack = write_sim_inventory(tmp_path / "tda.yaml", {"tda-1": "tda4vm"})
    rc, out, err = _run(hil, rack.inventory, model, clip, "-p", "int16")
    assert rc == 0, err + out
    param = _built(tmp_path, "tda-1", "param.yaml")
    folder = Path(shutil.copytree(param.parent, tmp_path / "dms-artifacts"))

    rc, out, err = _run(hil, rack.inventory, model, clip, "--engine", str(folder))
    assert rc == 0, err + out
    [result] = json.loads(out)["results"]
    assert result["status"] == "pass" and result["precision"] == "int16", result
    assert result["fingerprint"]["engine_sha256"] == folder_sha256(folder)[0]

    # The same artifacts as TI's tools of another release would have written them.
    meta = folder / "onnxrtMetaData.txt"
    doc = json.loads(meta.read_text())
    meta.write_text(json.dumps({**doc, "tidl_tools_version": "09_02_09_00"}))
    rc, out, err = _run(hil, rack.inventory, model, clip, "--engine", str(folder))
    assert rc == 2, err + out
    assert "built with TIDL tools 09_02_09_00" in err and "the board runs TIDL tools 08_06_00_02" in err, err


def test_plan_whose_version_hil_cannot_read_is_left_to_the_boards_trtexec(
    hil: Hil, tmp_path: Path, material: tuple[Path, Path]
) -> None:
    model, clip = material
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-1": "orin"})
    plan = tmp_path / "vendor.plan"  # not the simulated format: hil does not parse a real plan's bytes
    plan.write_bytes(b"ftrt" + bytes(range(200)))
    rc, out, err = _run(hil, rack.inventory, model, clip, "--engine", str(plan))
    assert rc == 2 and "cannot be read from its format" in err and "--precision" in err, err
    rc, out, err = _run(hil, rack.inventory, model, clip, "--engine", str(plan), "-p", "fp16")
    assert "NVIDIA/TensorRT#3073" in err, err  # said, not guessed
    assert rc == 1, err + out
    [result] = json.loads(out)["results"]
    assert result["status"] == "fail" and result["stage"] == "convert", result
    assert "the board's TensorRT 10.3.0 refused the supplied plan" in result["error"], result
    assert "plan->header.magicTag == rt::kPLAN_MAGIC_TAG" in result["error"], result
    assert result["fingerprint"]["engine"] == "supplied"
