"""`hil deploy`: roll an engine out to vehicles in waves, gated on its behaviour, through ansible-runner."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from hil.cli import context
from hil.cli.common import DEFAULT_DB, DbOption, InventoryOption, JsonOption, err, hil_home, out
from hil.errors import ConfigError
from hil.fleet.acquire import ModelFiles
from hil.fleet.ansible import Connection, TaskEvent
from hil.fleet.build import prove_on_rack
from hil.fleet.plan import DEFAULT_WAVES
from hil.fleet.rollout import DeploymentResult, DeployRequest, Rollout
from hil.fleet.vehicle import STEPS, Gates
from hil.runs.suite import load_model
from hil.store.db import Store
from hil.store.deployments import Deployments

ACTIONS = ("resume", "status", "list", "rollback", "history")
EXIT = {
    "done": 0,
    "unchanged": 0,
    "dry_run": 0,
    "rolled_back": 0,
    "halted": 1,
    "partial": 3,
    "running": 3,
    "nothing_delivered": 4,
}
DEFAULT_CLIP = "artifacts/clips/cabin-01.mp4"

HELP = (
    "Roll an engine out to vehicles: canaries first, in waves, gated on how it behaves on each vehicle.\n\n"
    "hil deploy MODEL --precision P --to GROUP [--waves 1,10%,100%] [-i INVENTORY] [--dry-run] [--build] "
    "[--json]\n\n"
    "Only an engine with a passing HIL result (hil run) for a vehicle's platform and toolchain goes to it; "
    "other vehicles are `incompatible`, unreachable ones `deferred`. The first wave is one canary per "
    "platform; each later term is a cumulative share (or count) of every platform's vehicles. Per vehicle: "
    "transfer into engines/<sha256>/ (temporary name, checksum, rename), verify the signed manifest with "
    "openssl, self-test on the reference clip (outputs vs the manifest's, latency in budget), compare with "
    "the incumbent engine on the same frames, then switch `current` atomically (keeping `previous`). A wave "
    "with a failed vehicle rolls its switched vehicles back and halts the deployment (exit 1).\n\n"
    "Other actions:\n\n"
    "  hil deploy resume ID: deliver to deferred vehicles, or finish a deployment whose controller died\n\n"
    "  hil deploy status [ID]: a deployment's vehicles and the evidence of failed steps (no ID: newest)\n\n"
    "  hil deploy list: recent deployments\n\n"
    "  hil deploy rollback ID: return every switched vehicle of a deployment to its previous engine\n\n"
    "  hil deploy history --vehicle V: every audited step of one vehicle\n\n"
    "Exit codes: 0 done (or unchanged: every vehicle already ran the engine; dry run; rolled back), "
    "1 halted, 2 usage or configuration error (including an engine without HIL evidence), 3 partial "
    "(vehicles deferred), 4 nothing_delivered (no vehicle got the engine or had it: e.g. every one "
    "incompatible).\n\n"
    "Before the first deployment: hil keys init (the key that signs manifests). Guide: docs/rollout.md"
)


def register(app: typer.Typer) -> None:
    app.command("deploy", help=HELP)(deploy)


def deploy(
    what: Annotated[str, typer.Argument(help="MODEL.onnx, or an action: " + ", ".join(ACTIONS))],
    ident: Annotated[str | None, typer.Argument(help="The deployment ID of resume/status/rollback.")] = None,
    precision: Annotated[
        str, typer.Option("--precision", "-p", help="fp32, fp16, int16 (TDA4VM) or int8.")
    ] = "fp16",
    to: Annotated[
        str | None, typer.Option("--to", help="The inventory group (or one vehicle) to deploy to.")
    ] = None,
    waves: Annotated[
        str, typer.Option(help="Canaries, then cumulative shares per platform.")
    ] = DEFAULT_WAVES,
    inventory: InventoryOption = None,
    rack: Annotated[
        Path | None,
        typer.Option(
            "--rack", help="The HIL rack inventory the evidence came from. Default: the simulated rack."
        ),
    ] = None,
    clip: Annotated[
        Path | None, typer.Option(help=f"Reference clip of the self-tests. Default: {DEFAULT_CLIP}.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan and check everything; change no vehicle.")
    ] = False,
    build: Annotated[
        bool, typer.Option("--build", help="Without HIL evidence: build and test on the rack first.")
    ] = False,
    forks: Annotated[int, typer.Option(min=1, help="Vehicles ansible works on at once.")] = 20,
    max_failures: Annotated[int, typer.Option(min=0, help="Failed vehicles a wave tolerates.")] = 0,
    min_evaluated: Annotated[int, typer.Option(min=0, help="Vehicles a wave must evaluate to pass.")] = 1,
    vehicle: Annotated[str | None, typer.Option("--vehicle", help="history: the vehicle.")] = None,
    last: Annotated[int, typer.Option("--last", "-n", min=1, help="list: at most N deployments.")] = 20,
    db: DbOption = DEFAULT_DB,
    json: JsonOption = False,
) -> None:
    if what in ACTIONS and not Path(what).exists():
        _action(what, ident, inventory, forks, db, json, vehicle, last)
        return
    if to is None:
        raise typer.BadParameter("say which vehicles: --to GROUP", param_hint="--to")
    model_path = Path(what)
    ref_clip = clip or context.bundled(DEFAULT_CLIP)
    rack_inv = context.inventory_path(rack)
    with Store.open(db) as store:
        model = _model_files(model_path, precision)
        if build and not Deployments(store).evidence(model.sha256, precision):
            err.print(
                f"no HIL evidence for {model.name} {precision}: building and testing it on the rack first"
            )
            run_id, results = prove_on_rack(
                store, context.rack(), context.known_hosts(), rack_inv, model_path, precision, [ref_clip]
            )
            err.print(f"stored as run {run_id}", highlight=False)
            for r in results:
                err.print(Text(f"  {r.board} ({r.platform}): {r.status} {r.error or ''}"), highlight=False)
        request = DeployRequest(
            model=model,
            target=to,
            waves=waves,
            inventory=context.inventory_path(inventory),
            rack_inventory=rack_inv,
            clip=ref_clip,
            dry_run=dry_run,
            gates=Gates(max_failures=max_failures, min_evaluated=min_evaluated),
        )
        result = _rollout(store, forks, json).start(request)
    _finish(result, json)


def _model_files(path: Path, precision: str) -> ModelFiles:
    if precision not in ("fp32", "fp16", "int16", "int8"):
        raise typer.BadParameter(f"{precision!r} is not fp32, fp16 or int8", param_hint="--precision")
    model, skipped = load_model(path, [precision])  # type: ignore[list-item]
    if precision not in model.variants:
        raise ConfigError(f"cannot deploy {path} at {precision}: {'; '.join(skipped)}")
    card = model.card
    calibration = None
    if card is not None and card.calibration:
        calibration = card.calibration.rpartition("@")[2] or None
    return ModelFiles(
        name=model.name,
        path=model.variants[precision],
        sha256=model.sha256[precision],
        precision=precision,
        input_spec=card.input.model_dump() if card is not None else None,
        calibration_sha256=calibration,
    )


def _rollout(store: Store, forks: int, quiet: bool) -> Rollout:
    rack = context.rack()
    conn = Connection(context.known_hosts(), rack.client_key, forks=forks)

    def progress(event: TaskEvent) -> None:
        if event.outcome == "skipped":
            return
        step = STEPS.get(event.task, event.task)
        style = {"failed": "red", "unreachable": "yellow", "changed": "green"}.get(event.outcome, "")
        line = Text.assemble(f"{event.host:<14} {step:<10} ", (event.outcome, style))
        err.print(line, highlight=False)

    return Rollout(store, hil_home(), rack, conn, progress)


def _finish(result: DeploymentResult, json: bool) -> None:
    if json:
        typer.echo(jsonlib.dumps(result.to_json(), indent=2))
    else:
        _render(result)
    raise typer.Exit(EXIT.get(result.status, 0))


def _render(result: DeploymentResult) -> None:
    table = Table(
        "vehicle", "platform", "wave", "state", "engine", "reason", title=f"deployment {result.deployment_id}"
    )
    colours = {"switched": "green", "failed": "red", "rolled_back": "yellow", "deferred": "yellow"}
    for v in result.to_json()["vehicles"]:
        table.add_row(
            v["name"], v["platform"], str(v["wave"] or ""), Text(v["state"], colours.get(v["state"], "")),
            (v["engine_sha256"] or "")[:12], Text(v["reason"][:160]),
        )  # fmt: skip
    out.print(table)
    out.print(Text(f"status: {result.status}"), highlight=False)
    if result.status == "nothing_delivered":
        out.print(
            Text("no vehicle got the engine or already had it: see each vehicle's reason"), highlight=False
        )


def _action(
    action: str,
    ident: str | None,
    inventory: Path | None,
    forks: int,
    db: Path,
    json: bool,
    vehicle: str | None,
    last: int,
) -> None:
    with Store.open(db, create=False) as store:
        deps = Deployments(store)
        if action == "list":
            rows = deps.recent(last)
            if json:
                typer.echo(jsonlib.dumps(rows, indent=2, default=str))
                return
            table = Table("id", "created", "status", "model", "precision", "target", "vehicles", "operator")
            for r in rows:
                table.add_row(
                    r["id"],
                    r["created_at"][:19],
                    r["status"],
                    r["model"],
                    r["precision"],
                    r["target"],
                    str(r["vehicles"]),
                    r["operator"],
                )
            out.print(table)
            return
        if action == "history":
            if vehicle is None:
                raise typer.BadParameter("which vehicle: --vehicle NAME", param_hint="--vehicle")
            _print_audit(deps.audit(vehicle=vehicle), json)
            return
        if ident is None and action == "status":
            ident = deps.latest_id()
        if ident is None:
            raise typer.BadParameter(f"hil deploy {action} needs a deployment ID (see: hil deploy list)")
        rollout = _rollout(store, forks, json)
        if action == "resume":
            result = rollout.resume(ident)
        elif action == "rollback":
            result = rollout.rollback(ident)
        else:
            result = rollout.result(ident)
            if json:
                payload = result.to_json()
                payload["audit"] = deps.audit(deployment_id=ident)
                typer.echo(jsonlib.dumps(payload, indent=2, default=str))
                return
            _render(result)
            failed = [a for a in deps.audit(deployment_id=ident) if a["outcome"] in ("failed", "unreachable")]
            for a in failed:
                said = a["evidence"].get("stdout") or a["evidence"].get("msg") or ""
                out.print(Text(f"{a['vehicle']} {a['step']} {a['outcome']}: {said[-400:]}"), highlight=False)
            return
    _finish(result, json)


def _print_audit(rows: list[dict[str, Any]], json: bool) -> None:
    if json:
        typer.echo(jsonlib.dumps(rows, indent=2, default=str))
        return
    table = Table("deployment", "step", "from", "to", "start", "end", "outcome", "operator")
    for r in rows:
        table.add_row(
            r["deployment_id"], r["step"], (r["engine_from"] or "")[:12], (r["engine_to"] or "")[:12],
            r["started_at"][:23], (r["ended_at"] or "")[:23], r["outcome"], r["operator"],
        )  # fmt: skip
    out.print(table)
