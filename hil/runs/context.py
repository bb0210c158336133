"""A connected board as the runs layer sets it up: facts read in one round trip, paths resolved."""

from __future__ import annotations

import posixpath

from hil.harness import bundle, bundle_sha256
from hil.platforms.base import COMMON_FACTS, BoardContext, Platform, facts_script, parse_facts
from hil.runs.target import BoardTarget
from hil.transport.push import PushItem, sha256_file
from hil.transport.ssh import BoardConnection

FACTS_TIMEOUT_S = 120.0


def facts_of(platform: Platform, conn: BoardConnection, timeout_s: float = FACTS_TIMEOUT_S) -> dict[str, str]:
    """Every fact of the board in one round trip."""
    res = conn.run_script(facts_script({**COMMON_FACTS, **platform.fact_commands()}), timeout_s)
    return platform.normalise_facts(parse_facts(res.stdout))


def read_facts(target: BoardTarget) -> dict[str, str]:
    """Connect (strict host keys) and read facts: what `hil boards check` does."""
    with BoardConnection(target.endpoint) as conn:
        return facts_of(target.platform, conn)


def board_context(target: BoardTarget, conn: BoardConnection) -> BoardContext:
    """A connected board (or build host) with its facts read and its paths resolved."""
    facts = facts_of(target.platform, conn, min(FACTS_TIMEOUT_S, target.command_timeout_s))
    home = facts.get("home") or "."
    workdir = posixpath.normpath(posixpath.join(home, target.workdir))  # an absolute workdir stays as it is
    return BoardContext(
        name=target.name,
        conn=conn,
        workdir=workdir,
        sim=target.sim or bool(facts.get("sim_board")),
        facts=facts,
        timeout_s=target.command_timeout_s,
        harness_dir=posixpath.join(workdir, "harness", bundle_sha256()[:16]),
        power_command=target.power_command,
    )


def harness_items(ctx: BoardContext) -> list[PushItem]:
    """hil's harness files as one bundle on the board, so that they can import each other there."""
    return [PushItem(p, f"{ctx.harness_dir}/{rel}", sha256_file(p)) for p, rel in bundle()]
