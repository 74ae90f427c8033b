"""``assetguard token``: API tokens."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from assetguard.auth.principal import cli_principal
from assetguard.cli.context import console, platform
from assetguard.core.jsonout import dumps

NAME = "token"
app = typer.Typer(help="API tokens: create, list and revoke them.", no_args_is_help=True)


@app.command()
def create(ctx: typer.Context, name: Annotated[str, typer.Option("--name", help="unique token name")],
           role: Annotated[str, typer.Option("--role", help="viewer, operator or admin")] = "viewer") -> None:
    """Create a token. The token is printed once; store it now."""
    info, plaintext = platform(ctx).tokens.create(name, role, actor=cli_principal())
    console.print(f"created token [bold]{info.name}[/bold] (role {info.role}, id {info.id})")
    typer.echo(plaintext)


@app.command("list")
def list_(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List tokens (never their secrets)."""
    tokens = platform(ctx).tokens.list()
    if as_json:
        typer.echo(dumps([t.public() for t in tokens], default=str, indent=2))
        return
    table = Table("id", "name", "role", "created", "last used", "revoked")
    for t in tokens:
        table.add_row(t.id, t.name, t.role, str(t.created_at)[:19], str(t.last_used_at or "")[:19],
                      str(t.revoked_at or "")[:19])
    console.print(table)


@app.command()
def revoke(ctx: typer.Context, name: Annotated[str, typer.Argument(help="token name or id")]) -> None:
    """Revoke a token; it stops working at once."""
    info = platform(ctx).tokens.revoke(name, actor=cli_principal())
    console.print(f"revoked token {info.name} ({info.id})")
