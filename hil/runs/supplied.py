"""`hil run --engine`: a run of an engine built elsewhere, checked against each board before any push.

The suite holds the ONNX model (the parity and accuracy reference) at the engine's precision, with the
engine attached (ModelUnderTest.supplied); only boards of the engine's platform are tested. Before a run
starts, each board's facts are read (simulated boards brought up for it) and an engine whose format names
another toolchain version than the board's is refused with both versions: a ConfigError (exit 2), nothing
pushed, nothing stored.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace

from hil.errors import ConfigError, HilError
from hil.inventory.spec import BoardSpec
from hil.platforms.supplied import SuppliedEngine, misfit
from hil.records import PRECISIONS, Precision
from hil.runs.context import read_facts
from hil.runs.simulated import simulated_boards
from hil.runs.suite import Suite
from hil.runs.target import BoardTarget
from hil.sim.rack import SimRack


def engine_precision(engine: SuppliedEngine, named: list[str] | None) -> Precision:
    """The precision the engine runs at: its format's, or the one --precision names (exactly one)."""
    if named is not None and len(named) != 1:
        raise ConfigError(
            f"--engine runs one engine at one precision; --precision names {len(named)}",
            hint="name the engine's precision alone, e.g. --precision int8",
        )
    given = named[0] if named else None
    if given is not None and given not in PRECISIONS:
        raise ConfigError(f"unknown precision {given!r}; choose from {', '.join(PRECISIONS)}")
    if engine.precision and given and given != engine.precision:
        raise ConfigError(
            f"--precision {given}, but {engine.describe()} is a {engine.precision} engine",
            hint=f"leave --precision out, or pass --precision {engine.precision}",
        )
    chosen = engine.precision or given
    if chosen is None:
        raise ConfigError(
            f"the precision of {engine.describe()} cannot be read from its format",
            hint="say what it was built at with --precision (fp32, fp16, int16 or int8)",
        )
    return next(p for p in PRECISIONS if p == chosen)


def supplied_suite(suite: Suite, engine: SuppliedEngine, precision: Precision) -> Suite:
    """`suite` (one model, loaded at fp32) running `engine` at `precision`: the model is the reference."""
    if len(suite.models) != 1:
        raise ConfigError(
            f"--engine takes one --model (the ONNX the engine was built from); {len(suite.models)} given",
            hint="pass the engine's source model once with --model",
        )
    [model] = suite.models
    key: str = precision
    static = {key: model.static["fp32"]} if "fp32" in model.static else {}
    static_sha = {key: model.static_sha256["fp32"]} if "fp32" in model.static_sha256 else {}
    attached = replace(
        model,
        variants={precision: model.variants["fp32"]},
        sha256={precision: model.sha256["fp32"]},
        static=static,
        static_sha256=static_sha,
        supplied=engine,
    )
    return replace(suite, models=[attached], precisions=[precision], named_precisions=True, skipped=[])


def engine_boards(boards: list[BoardSpec], engine: SuppliedEngine) -> tuple[list[BoardSpec], list[str]]:
    """The boards that can run the engine's format, and a note per platform left out."""
    kept = [b for b in boards if b.platform == engine.platform]
    others = sorted({b.platform for b in boards} - {engine.platform})
    notes = [f"{p} boards are not tested: a {engine.kind} runs on {engine.platform} only" for p in others]
    if not kept:
        raise ConfigError(
            f"no selected board runs a {engine.kind} ({engine.platform})",
            hint=f"select {engine.platform} boards (--where platform={engine.platform})",
        )
    return kept, notes


def check_fit(
    targets: list[BoardTarget], engine: SuppliedEngine, rack: SimRack, sims: list[BoardSpec]
) -> list[str]:
    """Each board's toolchain against the engine; ConfigError naming every misfit with both versions.
    Returns notes (a board not reachable now is checked by the run itself; a version the format hides is
    checked by the board's own loader)."""
    notes = [f"{engine.describe()}: {engine.unread}"] if engine.unread else []
    if not engine.version and not engine.target:
        return notes
    names = {t.name for t in targets}
    problems: list[str] = []
    with simulated_boards(rack, [s for s in sims if s.name in names]):
        for target in targets:
            facts: dict[str, str] | None = None
            with contextlib.suppress(HilError):
                facts = read_facts(target)
            if facts is None:
                notes.append(f"{target.name}: not reachable now; the run reports it")
                continue
            problem = misfit(engine, target.name, facts)
            if problem:
                problems.append(problem)
    if problems:
        raise ConfigError(
            "the supplied engine does not fit: " + "; ".join(problems),
            hint=f"rebuild it with the boards' {engine.toolchain}, or select boards that run the "
            f"{engine.toolchain} it was built with (--where)",
        )
    return notes
