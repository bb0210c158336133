from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hil.artifacts.calibration import (
    allocate,
    expand_clips,
    load_calibration,
    sample_calibration,
    write_calibration,
)
from hil.errors import ConfigError


def test_allocate_spreads_evenly_and_respects_capacity() -> None:
    assert allocate(10, [5, 5]) == [5, 5]
    assert allocate(10, [2, 50, 50]) == [2, 4, 4]
    assert sum(allocate(7, [3, 3, 3])) == 7
    assert allocate(100, [3, 4]) == [3, 4]
    assert allocate(5, [0, 10]) == [0, 5]


def test_sample_is_stratified_over_clips_states_and_lighting(clips: list[Path]) -> None:
    cset = sample_calibration(clips, 40)
    m = cset.manifest
    assert m["frames"] == len(cset.frames) == 40
    assert [c["sampled"] for c in m["clips"]] == [20, 20]
    states_in_clips = {s for c in clips for s in c.with_name(c.stem + ".labels.csv").read_text().split()[1:]}
    sampled_states = {e["state"] for e in m["entries"]}
    assert {s.split(",")[1] for s in states_in_clips} == sampled_states
    assert set(m["strata"]["lighting"]) == {"dark", "mid", "bright"}
    assert all(len(c["sha256"]) == 64 for c in m["clips"])


def test_write_and_load_round_trip(tmp_path: Path, clips: list[Path]) -> None:
    cset = sample_calibration(clips, 12)
    folder = write_calibration(cset, tmp_path / "cal")
    again = load_calibration(folder)
    assert len(again.frames) == 12 and again.digest == cset.digest
    assert all(np.array_equal(a, b) for a, b in zip(cset.frames, again.frames, strict=True))
    assert load_calibration(folder / "calibration.npz").digest == cset.digest
    assert json.loads((folder / "manifest.json").read_text())["digest"] == cset.digest


def test_bad_inputs_are_config_errors(tmp_path: Path, clips: list[Path]) -> None:
    with pytest.raises(ConfigError, match="not a calibration set"):
        load_calibration(tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        expand_clips([tmp_path / "nope.mp4"])
    with pytest.raises(ConfigError, match="no video clips"):
        expand_clips([tmp_path])
    with pytest.raises(ConfigError, match="at least 1"):
        sample_calibration(clips, 0)
    assert expand_clips([clips[0].parent]) == sorted(clips)
