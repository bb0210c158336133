"""Outcomes blame the right party; bad replay options and an empty run are refused before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.errors import ConfigError
from hil.runs.outcome import classify_replay_failure
from hil.runs.suite import build_suite
from tests.fixtures.tiny import make_clip, make_model


@pytest.mark.parametrize(
    ("code", "stderr", "outcome", "words"),
    [
        (137, "", "infra_error", "killed by SIGKILL (exit 137)"),
        (143, "Terminated", "infra_error", "killed by SIGTERM"),
        (139, "Segmentation fault", "infra_error", "killed by SIGSEGV"),
        (-9, "", "infra_error", "killed by SIGKILL"),
        (124, "", "infra_error", "timed out"),
        (1, "OSError: [Errno 28] No space left on device: 'frames.jsonl'", "infra_error", "disk is full"),
        (
            1,
            "Traceback (most recent call last):\n  ...\n"
            "onnxruntime.InvalidArgument: Got invalid dimensions for input",
            "fail",
            "the harness failed on the board: onnxruntime.InvalidArgument: Got invalid dimensions for input",
        ),
        (
            1,
            'Traceback (most recent call last):\n  File "h.py", line 3\n'
            "onnxruntime.InvalidArgument: [ONNXRuntimeError] : Got invalid dimensions for input\n"
            " index: 2 Got: 16 Expected: 32\n Please fix either the inputs/outputs or the model.",
            "fail",
            "InvalidArgument: [ONNXRuntimeError] : Got invalid dimensions for input index: 2 Got: 16",
        ),
        (3, "harness: the clip has no frames", "fail", "harness: the clip has no frames"),
        (2, "", "fail", "exit code 2"),
    ],
)
def test_each_failure_kind_blames_the_right_party(code: int, stderr: str, outcome: str, words: str) -> None:
    got, message = classify_replay_failure(code, stderr)
    assert got == outcome and words in message


@pytest.fixture
def material(tmp_path: Path) -> tuple[Path, Path]:
    return make_model(tmp_path / "m.onnx"), make_clip(tmp_path / "c.mp4", frames=8)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"warmup": -3}, "--warmup"),
        ({"max_frames": -1}, "--max-frames"),
        ({"fps": -5.0}, "--fps"),
        ({"fps": float("nan")}, "--fps"),
        ({"precisions": []}, "--precision"),
        ({"precisions": ["fp64"]}, "fp64"),
    ],
)
def test_bad_options_are_config_errors_naming_the_option(
    material: tuple[Path, Path], options: dict[str, object], named: str
) -> None:
    model, clip = material
    kwargs: dict[str, object] = {"precisions": None, **options}
    with pytest.raises(ConfigError, match=named):
        build_suite([model], [clip], **kwargs)  # type: ignore[arg-type]


def test_default_precisions_are_every_one_and_not_named(material: tuple[Path, Path]) -> None:
    model, clip = material
    suite = build_suite([model], [clip], None)
    assert suite.precisions == ["fp32", "fp16", "int16", "int8"] and not suite.named_precisions
    assert build_suite([model], [clip], ["fp16"]).named_precisions
    assert suite.clips[0].fps == pytest.approx(30.0)
