"""``assetguard keys``: the deployment's shared keys (kept encrypted in the database)."""

from __future__ import annotations

from typing import Annotated

import typer

from assetguard.auth.keys import WEBHOOK_KEY
from assetguard.cli.context import platform

NAME = "keys"
app = typer.Typer(help="The deployment's shared keys, stored encrypted in the database: show the one a webhook "
                  "receiver needs.", no_args_is_help=True)

SHOWABLE = (WEBHOOK_KEY,)  # the session and parameter keys never leave the platform


@app.command()
def show(ctx: typer.Context,
         name: Annotated[str, typer.Argument(help="webhook: the HMAC secret that verifies X-AssetGuard-Signature "
                                                  "for webhook targets without their own secret")]) -> None:
    """Print a shared key (created on first use), for a receiver that must verify what assetguard signs."""
    if name not in SHOWABLE:
        raise typer.BadParameter(f"{name!r} cannot be shown; showable keys: {', '.join(SHOWABLE)}",
                                 param_hint="NAME")
    typer.echo(platform(ctx).keys.text(name))
