"""Suite files (`hil run --suite FILE`): models x precisions x clips x board selectors x budget profile x
repetitions, plus the run's limits, in one YAML file checked like an inventory (FILE:LINE: key: problem).

    models: [../artifacts/models/dms-small.onnx]     # relative paths: from the suite file's folder
    precisions: [fp32, fp16, int8]
    clips: ["../artifacts/clips/*.mp4"]               # globs allowed
    boards: [tag=nightly]                             # --where terms, ANDed; none: every board
    budgets: {latency_ms: 40}                         # the budget profile: overrides the inventory's
    repetitions: 1                                    # each clip replayed this many times (clip#2, ...)
    replay: {warmup: 10, max_frames: 0, fps: 0}
    limits: {deadline: 2h, job_timeout: 20m, retries: 1, quarantine_after: 3}
    html: nightly.html                                # the HTML report (from the current directory)

The models and clips are then checked by `build_suite`, as for `--model/--clip`.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hil.errors import ConfigError
from hil.inventory.document import Document, Problem, did_you_mean, raise_problems, read_document
from hil.inventory.spec import LossSpec
from hil.runs.control import parse_duration
from hil.runs.suite import Suite, build_suite


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BudgetProfile(_Strict):
    latency_ms: float | None = Field(None, gt=0)
    power_w: float | None = Field(None, gt=0)
    memory_mb: float | None = Field(None, gt=0)
    accuracy: float | None = Field(None, ge=0, le=1)
    map50_min: float | None = Field(None, ge=0, le=1)  # detectors (see docs/results.md, "Budgets")
    nme_max: float | None = Field(None, gt=0)  # landmark models
    recall_min: dict[str, float] | None = None  # class -> recall at least
    loss: LossSpec | None = None  # the loss gate's allowances (docs/results.md, "Loss against FP32")


class ReplaySpec(_Strict):
    warmup: int = Field(10, ge=0)
    max_frames: int = Field(0, ge=0)
    fps: float = Field(0.0, ge=0)


class LimitsSpec(_Strict):
    deadline: str | None = None
    job_timeout: str | None = None
    retries: int = Field(1, ge=0, le=5)
    quarantine_after: int = Field(3, ge=1)


class SuiteSpec(_Strict):
    name: str = "suite"
    models: list[str] = Field(min_length=1)
    precisions: list[str] = Field(default_factory=lambda: ["fp32", "fp16", "int16", "int8"], min_length=1)
    clips: list[str] = Field(min_length=1)
    boards: list[str] = Field(default_factory=list)
    budgets: BudgetProfile = Field(default_factory=BudgetProfile)
    repetitions: int = Field(1, ge=1, le=100)
    replay: ReplaySpec = Field(default_factory=ReplaySpec)
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    # The run's HTML report (`hil report html`), written after the run beside its JUnit; a relative path is
    # taken from the current directory, like --html and --junit (which win over it).
    html: str | None = None
    # int8 layers kept at the higher precision in every model (beats the cards' `keep`; docs/diagnose.md)
    keep: list[str] | None = None


@dataclass(frozen=True)
class SuiteFile:
    path: Path
    spec: SuiteSpec
    models: list[Path]
    clips: list[Path]

    def build(self) -> Suite:
        s = self.spec
        suite = build_suite(
            self.models, self.clips, s.precisions,
            warmup=s.replay.warmup, max_frames=s.replay.max_frames, fps=s.replay.fps, keep=s.keep,
        )  # fmt: skip
        if s.repetitions == 1:
            return suite
        clips = [
            c if n == 1 else replace(c, name=f"{c.name}#{n}")
            for c in suite.clips
            for n in range(1, s.repetitions + 1)
        ]
        return replace(suite, clips=clips)

    @property
    def budget_profile(self) -> dict[str, Any]:
        """The keys the file sets, as BudgetSpec fields (the loss section stays a LossSpec)."""
        budgets = self.spec.budgets
        return {k: getattr(budgets, k) for k in type(budgets).model_fields if getattr(budgets, k) is not None}

    def seconds(self, value: str | None) -> float | None:
        return None if value is None else parse_duration(value)


_FIELDS: dict[str, type[BaseModel]] = {
    "": SuiteSpec,
    "budgets": BudgetProfile,
    "replay": ReplaySpec,
    "limits": LimitsSpec,
}


def load_suite_file(path: Path) -> SuiteFile:
    if not path.is_file():
        raise ConfigError(f"{path}: no such suite file", hint="see suites/nightly.yaml for an example")
    doc = read_document(path)
    if not isinstance(doc.data, dict):
        raise doc.error((), "a suite file is a mapping (models:, clips:, ...)", "see suites/nightly.yaml")
    try:
        spec = SuiteSpec.model_validate(doc.data)
    except ValidationError as exc:
        problems: list[Problem] = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            if error["type"] == "extra_forbidden":
                parent = str(loc[0]) if len(loc) > 1 else ""
                valid = list(_FIELDS.get(parent, SuiteSpec).model_fields)
                key = str(loc[-1])
                problems.append(doc.problem(loc, f"unknown key {key!r}{did_you_mean(key, valid)}",
                                            f"valid keys: {', '.join(valid)}"))  # fmt: skip
            elif error["type"] == "missing":
                problems.append(doc.problem(loc, f"missing {str(loc[-1])!r}", "see suites/nightly.yaml"))
            else:
                shown = repr(error.get("input"))[:60]
                problems.append(doc.problem(loc, f"{error['msg']} (got {shown})", None))
        raise_problems(problems)
        raise  # unreachable: raise_problems raised
    base = path.parent
    problems = []
    for key in ("deadline", "job_timeout"):
        value = getattr(spec.limits, key)
        if value is not None:
            try:
                parse_duration(value)
            except ConfigError as exc:
                problems.append(doc.problem(("limits", key), exc.message, exc.hint))
    models = _paths(doc, base, spec.models, "models", problems)
    clips = _paths(doc, base, spec.clips, "clips", problems)
    raise_problems(problems)
    return SuiteFile(path, spec, models, clips)


def _paths(doc: Document, base: Path, patterns: list[str], key: str, problems: list[Problem]) -> list[Path]:
    found: list[Path] = []
    for i, pattern in enumerate(patterns):
        full = pattern if Path(pattern).is_absolute() else str(base / pattern)
        matches = sorted(Path(p) for p in glob.glob(full)) if glob.has_magic(pattern) else [Path(full)]
        matches = [m for m in matches if m.exists()]
        if not matches:
            problems.append(doc.problem((key, i), f"{pattern!r} matches no file (looked in {base})", None))
        found += matches
    return found
