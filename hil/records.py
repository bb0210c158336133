"""Value types shared by every layer: what a board job produces and what the store keeps.

They sit at the bottom of the layer stack (no imports from hil) so that store/, report/ and runs/ can all
use them. Field names follow the `hil run --json` contract in DESIGN.md; extra fields are additions.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Outcome = Literal["pass", "fail", "regression", "infra_error", "skipped"]
# int16 is 16-bit fixed point (TIDL tensor_bits 16), never a float: see docs/platforms.md, "Precisions".
Precision = Literal["fp32", "fp16", "int16", "int8"]
PowerSource = Literal["tegrastats", "hwmon", "command", "sim-model"]
PRECISIONS: tuple[Precision, ...] = ("fp32", "fp16", "int16", "int8")

# The order in which outcomes dominate a run's overall status.
OUTCOME_RANK: dict[str, int] = {"pass": 0, "skipped": 0, "infra_error": 1, "fail": 2, "regression": 2}


class LatencyStats(BaseModel):
    """Latency statistics in milliseconds, percentiles by nearest rank on the sorted samples.

    A percentile is None when n is too small for it to mean anything (MLPerf: >= 64 samples for p90,
    >= 662 for p99); `insufficient` then names it so the report can say so instead of printing a number.

    Statistics hil did not compute itself (`hil import` of a trtexec log) name their author in
    `percentiles_from` ("trtexec"); `n` is then None (the tool does not say how many samples), and a
    percentile the tool did not print is None, never filled in from another statistic.
    """

    model_config = ConfigDict(extra="forbid")

    min: float
    mean: float
    p50: float | None
    p90: float | None
    p99: float | None
    max: float
    n: int | None  # None: unknown (imported figures)
    insufficient: list[str] = Field(default_factory=list)
    percentiles_from: str | None = None  # None: hil computed them from its own n samples


class BudgetVerdicts(BaseModel):
    """One verdict per budget; None where it could not be judged (no labels, no power source, ...)."""

    model_config = ConfigDict(extra="forbid")

    latency: bool | None = None
    power: bool | None = None
    memory: bool | None = None
    accuracy: bool | None = None
    fps: bool | None = None  # only with an fps_min budget
    parity: bool | None = None  # every output within its precision's parity floors
    loss: bool | None = None  # every figure within its allowance of the FP32 reference (hil.measure.loss)

    def failed(self) -> list[str]:
        return [name for name, ok in self.model_dump().items() if ok is False]


class Pacing(BaseModel):
    """Camera-paced replay figures; every field None in free run (see docs/results.md)."""

    model_config = ConfigDict(extra="forbid")

    target_fps: float | None = None
    deadline_misses: int | None = None
    dropped_frames: int | None = None
    lateness_p99_ms: float | None = None


class OutputParity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_abs: float
    mean_abs: float
    cosine: float
    top1_agreement: float | None


class ParityResult(BaseModel):
    """A board's outputs against the host FP32 ONNX Runtime reference on the same frames."""

    model_config = ConfigDict(extra="forbid")

    reference: str = "host-fp32"
    frames: int
    outputs: dict[str, OutputParity]
    # Detectors: the board's boxes against the reference's on the same frames, at the score threshold
    # (hil.measure.detection.box_parity: pairs, mean_iou, mean_score_diff, unpaired_reference/_other).
    boxes: dict[str, float | int | None] | None = None


class Regression(BaseModel):
    """Evidence that one metric got worse than its own history: medians (or rates), their ratio, the
    p-value of the test behind the verdict (None where no test applies), and n on both sides."""

    model_config = ConfigDict(extra="forbid")

    metric: str
    baseline: float
    new: float
    ratio: float
    p_value: float | None
    n: dict[str, int]  # {"baseline": ..., "new": ...}


def engine_source(fingerprint: dict[str, str], engine_key: str | None) -> Literal["built", "supplied"] | None:
    """JobResult.engine from what the store keeps: the fingerprint's `engine` and the engine key."""
    if fingerprint.get("engine") == "supplied":
        return "supplied"
    return "built" if engine_key else None


class JobResult(BaseModel):
    """One board x model x precision x clip. The `hil run --json` RESULT object."""

    model_config = ConfigDict(extra="forbid")

    board: str
    platform: str
    model: str
    precision: Precision
    clip: str
    status: Outcome
    accuracy: float | None = None  # a classifier's frame accuracy; other tasks report task_metrics
    latency_ms: LatencyStats | None = None
    latency_kind: Literal["host_e2e", "device_compute"] = "host_e2e"
    fps: float | None = None
    power_w: float | None = None
    power_source: PowerSource | None = None
    energy_mj_per_frame: float | None = None
    memory_peak_mb: float | None = None
    conversion_s: float | None = None
    engine_bytes: int | None = None
    bytes_pushed: int = 0
    budgets: BudgetVerdicts = Field(default_factory=BudgetVerdicts)
    # Additions to the contract.
    error: str | None = None
    stage: str | None = None  # where an infra_error or fail happened: connect, push, convert, replay, score
    frames: int = 0
    warmup_frames: int = 0
    per_class: dict[str, dict[str, float | None]] = Field(default_factory=dict)
    # The model card's task, and for detection / landmarks / regression its metrics (hil.measure.tasks;
    # docs/results.md): None without a card, or when the clip has no labels for it.
    task: str | None = None
    task_metrics: dict[str, Any] | None = None
    device_latency_ms: float | None = None  # the converter's own GPU compute mean, where it reports one
    model_sha256: str | None = None
    engine_key: str | None = None
    # `supplied`: an engine given with `hil run --engine`, pushed as it is (its sha256 in the fingerprint);
    # `built`: converted by hil on the board or its build host; None: no engine was made (engine_source).
    engine: Literal["built", "supplied"] | None = None
    fingerprint: dict[str, str] = Field(default_factory=dict)
    source: Literal["run", "import"] = "run"
    # Measurement additions (docs/results.md defines each).
    replay_s: float | None = None
    pacing: Pacing = Field(default_factory=Pacing)
    stages_ms: dict[str, float | None] = Field(default_factory=dict)
    idle_power_w: float | None = None
    active_power_w: float | None = None
    active_energy_mj_per_frame: float | None = None
    power_samples: int | None = None
    parity: ParityResult | None = None
    events: dict[str, dict[str, Any]] | None = None
    budget_profile: str | None = None
    budget_notes: list[str] = Field(default_factory=list)  # e.g. "power modelled, not judged"
    # The loss gate (hil.measure.loss): each figure against the FP32 reference on the same frames, with the
    # allowance that judged it: {"reference", "allowances", "checks": [...]}; None where not judged.
    loss: dict[str, Any] | None = None
    noisy: bool = False  # taken while the board throttled (why: noisy_reason): not comparable with quiet ones
    noisy_reason: str | None = None
    # History verdict (hil.measure.regression): the metrics that regressed, and flags that are not failures
    # ("noisy:latency", "improved:latency", "no_baseline").
    regressions: list[Regression] = Field(default_factory=list)
    regression_flags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _engine_known(self) -> JobResult:
        if self.engine is None:  # filled from what a stored row keeps (older rows, hand-made results)
            self.engine = engine_source(self.fingerprint, self.engine_key)
        return self


class FrameSample(BaseModel):
    """One replayed frame, as the harness measured it on the board. Times in milliseconds."""

    model_config = ConfigDict(extra="forbid")

    index: int
    warmup: bool
    decode_ms: float
    preprocess_ms: float
    infer_ms: float
    postprocess_ms: float
    total_ms: float
    predicted: int | None = None
    label: int | None = None
    start_s: float | None = None  # on the harness's clock: before decode
    end_s: float | None = None  # after postprocess
    due_s: float | None = None  # camera-paced: when the frame arrived


class RunSummary(BaseModel):
    """The `hil run --json` top-level object."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    status: Outcome
    results: list[JobResult]
    # Addition: each board and model's compression table (hil.measure.compression), filled by --json.
    compression: list[dict[str, Any]] = Field(default_factory=list)


def overall_status(results: list[JobResult]) -> Outcome:
    """pass if all pass; fail/regression beat infra_error; infra_error alone is its own status."""
    if not results:
        return "skipped"
    worst = max(results, key=lambda r: OUTCOME_RANK[r.status])
    if OUTCOME_RANK[worst.status] == 0:
        return "pass" if any(r.status == "pass" for r in results) else "skipped"
    if any(r.status == "regression" for r in results) and not any(r.status == "fail" for r in results):
        return "regression"
    return worst.status
