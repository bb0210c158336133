"""`hil keys init`: the ed25519 key that signs engine manifests for fleet rollout."""

from __future__ import annotations

from typing import Annotated

import typer

from hil.cli.common import err, hil_home, out
from hil.fleet.keys import init_key

keys_app = typer.Typer(help="The key that signs engine manifests (vehicles verify them with openssl).")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")


@keys_app.command()
def init(
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing key (vehicles must get the new one).")
    ] = False,
) -> None:
    """Create the manifest signing key in $HIL_HOME/keys (kept if it exists). Prints the public key's path.

    `hil deploy` signs every engine manifest with it; each vehicle receives the public key and checks the
    manifest with `openssl pkeyutl -verify -rawin` before it switches to an engine.
    """
    key, made = init_key(hil_home(), force=force)
    err.print(f"{'created' if made else 'kept the existing'} signing key {key.private}", highlight=False)
    out.print(str(key.public), highlight=False, markup=False)
