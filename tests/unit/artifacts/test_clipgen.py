from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hil.artifacts import clipgen
from hil.artifacts.frames import count_frames, read_frames, write_video
from hil.artifacts.labels import episodes, read_labels
from hil.artifacts.openlabel import blink_intervals, openlabel_path, read_openlabel
from hil.errors import ArtifactError


def test_same_seed_same_clip_and_other_seed_other_clip() -> None:
    a, ta = clipgen.render_clip(5, 0.5)
    b, tb = clipgen.render_clip(5, 0.5)
    c, _ = clipgen.render_clip(6, 0.5)
    assert len(a) == 15 and a[0].shape == (clipgen.SIZE, clipgen.SIZE) and a[0].dtype == np.uint8
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True)) and ta.states == tb.states
    assert not np.array_equal(a[0], c[0])


def test_frame_size_is_a_parameter() -> None:
    frames, _ = clipgen.render_clip(1, 0.1, size=96)
    assert frames[0].shape == (96, 96)


def test_script_covers_every_state_with_blinks_shorter_than_drowsiness() -> None:
    rng = np.random.default_rng(3)
    script = clipgen.make_script(rng, 30 * 40)
    states = clipgen.frame_states(script)
    assert set(states) == set(clipgen.CLASSES)
    blink_runs = [e for e in episodes(["b" if v else "-" for v in script.blink]) if e.state == "b"]
    assert blink_runs and all(e.frames < 0.4 * clipgen.FPS for e in blink_runs)
    for run in blink_runs:  # a blink is eyes_closed per frame unless a stronger state covers it
        assert all(
            states[i] in ("eyes_closed", "looking_away", "phone") for i in range(run.start, run.end + 1)
        )
    closed = [e for e in episodes(states) if e.state == "eyes_closed"]
    assert any(e.frames >= clipgen.FPS for e in closed), "no drowsy closure of 1 s or more"


def test_generate_clip_writes_video_csv_and_openlabel_that_agree(clips: list[Path]) -> None:
    clip = clips[0]
    n = count_frames(clip)
    assert n == 60
    csv_states = read_labels(clip, frames=n)
    assert csv_states is not None and len(csv_states) == n
    assert read_openlabel(openlabel_path(clip)) == csv_states
    for start, end in blink_intervals(openlabel_path(clip)):
        assert end - start + 1 < 12


def test_decoded_frames_stay_close_to_the_rendered_ones(tmp_path: Path) -> None:
    frames, _ = clipgen.render_clip(11, 0.3)
    clip = write_video(tmp_path / "x.mp4", frames)
    decoded = read_frames(clip)
    assert decoded[0].ndim == 2  # a gray clip comes back gray
    err = np.abs(decoded[3].astype(float) - frames[3]).mean()
    assert err < 6


def test_a_writer_that_cannot_open_is_a_clear_error(tmp_path: Path) -> None:
    frames, _ = clipgen.render_clip(1, 0.1)
    with pytest.raises(ArtifactError, match="video writer"):
        write_video(tmp_path / "clip.unknown-container", frames)
