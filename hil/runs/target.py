"""A board as the runs layer needs it: endpoint, paths, power source and budgets, from the inventory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hil.inventory.spec import BoardSpec, LossSpec
from hil.measure.budgets import Budgets
from hil.measure.loss import DEFAULT_ERROR_PCT, DEFAULT_NME_PCT, DEFAULT_POINTS, Allowances
from hil.platforms import get
from hil.platforms.base import Platform
from hil.transport.endpoint import Endpoint


@dataclass(frozen=True)
class BoardTarget:
    name: str
    platform: Platform
    endpoint: Endpoint
    workdir: str  # as the inventory gives it; relative paths are resolved against the board's $HOME
    sim: bool
    power_source: str  # the inventory's, or "auto" for the platform's default
    power_interval_ms: int
    budgets: Budgets
    command_timeout_s: float
    power_command: str | None = None  # the inventory's meter command line, for power source "command"
    build_host: BoardTarget | None = None  # where conversion runs, when not on the board itself
    power_idle_s: float = 2.0  # idle baseline sampled before each replay (PowerSpec.idle_s)
    reboot_command: str | None = None  # the recovery ladder's reboot rung, run on the board
    power_cycle: str | None = None  # the recovery ladder's power-cycle rung, run on the controller
    recovery_wait_s: float = 180.0


def allowances(spec: LossSpec) -> Allowances:
    """The loss gate's allowances: hil's defaults, with what the profile or suite file sets."""
    return Allowances(
        points={**DEFAULT_POINTS, **spec.points},
        class_recall_points=dict(spec.class_recall_points) or None,
        nme_pct=DEFAULT_NME_PCT if spec.nme_pct is None else spec.nme_pct,
        error_pct=DEFAULT_ERROR_PCT if spec.error_pct is None else spec.error_pct,
        events=spec.events,
        enabled=spec.enabled,
    )


def target_for(
    board: BoardSpec, known_hosts: Path, sim_key: Path | None, build_host: BoardSpec | None = None
) -> BoardTarget:
    """`sim_key` is the simulated rack's client key, used for sim boards that name no key of their own.

    `build_host` is the inventory's board named by `board.build_host` (None: convert on the board).
    """
    key = board.ansible_ssh_private_key_file or (sim_key if board.sim else None)
    jump = None
    if board.jump_host is not None:
        jump = Endpoint(
            name=f"{board.name} (jump {board.jump_host.host})",
            host=board.jump_host.host,
            port=board.jump_host.port,
            user=board.jump_host.user or board.ansible_user,
            key_file=key,
            known_hosts=board.known_hosts or known_hosts,
            connect_timeout_s=board.connect_timeout_s,
        )
    endpoint = Endpoint(
        name=board.name,
        host=board.ansible_host,
        port=board.ansible_port,
        user=board.ansible_user,
        key_file=key,
        known_hosts=board.known_hosts or known_hosts,
        jump=jump,
        connect_timeout_s=board.connect_timeout_s,
        use_ssh_config=not board.sim,
    )
    b = board.budgets
    return BoardTarget(
        name=board.name,
        platform=get(board.platform),
        endpoint=endpoint,
        workdir=board.workdir,
        sim=board.sim,
        power_source=board.power.source if board.power else "auto",
        power_interval_ms=board.power.interval_ms if board.power else 100,
        budgets=Budgets(
            b.latency_ms,
            b.power_w,
            b.memory_mb,
            b.accuracy,
            b.fps_min,
            b.judge_modelled_power,
            board.budget_profile,
            b.map50_min,
            b.nme_max,
            allowances(b.loss),
            dict(b.recall_min),
        ),
        command_timeout_s=board.command_timeout_s,
        power_command=board.power.command if board.power else None,
        power_idle_s=board.power.idle_s if board.power else 2.0,
        build_host=target_for(build_host, known_hosts, sim_key) if build_host is not None else None,
        reboot_command=board.reboot_command,
        power_cycle=board.power_cycle,
        recovery_wait_s=board.recovery_wait_s,
    )
