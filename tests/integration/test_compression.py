"""`hil run --model teacher.onnx --model student.onnx`: the precision matrix compares each precision with
fp32, and a second table compares the student with the first model named, on real ONNX Runtime."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import Hil, needs_sshd, write_sim_inventory
from tests.fixtures.tiny import make_clip, make_model

pytestmark = [needs_sshd]


def test_teacher_and_student_are_compared_against_the_first_model(hil: Hil, tmp_path: Path) -> None:
    teacher = make_model(tmp_path / "teacher.onnx", side=32)
    student = make_model(tmp_path / "student.onnx", side=16)  # sorts first by name; named second
    clip = make_clip(tmp_path / "cabin.mp4", frames=16)
    rack = write_sim_inventory(tmp_path / "rack.yaml", {"orin-c1": "orin"})
    proc = hil(
        "run", "-i", str(rack.inventory), "--model", str(teacher), "--model", str(student),
        "--clip", str(clip), "-p", "fp32,fp16", "--warmup", "2", timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "vs fp32" in text and "speedup" in text
    assert "orin-c1 (orin) · models vs teacher" in text  # the first --model, not the first by name
    rows = [line.split() for line in text.splitlines() if line.startswith(("teacher ", "student "))]
    assert [(r[0], r[2]) for r in rows] == [("teacher", "fp32"), ("teacher", "fp16"), ("student", "fp32"),
                                            ("student", "fp16")]  # fmt: skip
    assert all("base" in r for r in rows[:2])
    for row in rows[2:]:  # the student's figures against the teacher's, same precision
        line = " ".join(row)
        assert re.search(r"[+-]\d+\.\d pp", line) and re.search(r"\d+\.\d\d×", line), line
