"""``assetguard params``: the parameter store that feeds tag defaults."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from assetguard.auth.principal import cli_principal
from assetguard.cli.context import console, platform
from assetguard.core.jsonout import dumps
from assetguard.tagging.params import parameter_store

NAME = "params"
app = typer.Typer(help="Parameter store (SSM Parameter Store semantics; local or ssm backend): put, get, list and delete parameters, label versions, show their history.",
                  no_args_is_help=True)


@app.command()
def put(ctx: typer.Context, name: str, value: str,
        type_: Annotated[str, typer.Option("--type", help="String, StringList or SecureString")] = "String",
        overwrite: Annotated[bool, typer.Option("--overwrite", help="create a new version of an existing name")] = False,
        description: Annotated[str | None, typer.Option("--description")] = None) -> None:
    """Create a parameter, or a new version of it with --overwrite."""
    version = parameter_store(platform(ctx)).put(name, value, type_, overwrite=overwrite, description=description,
                                                 actor=cli_principal())
    console.print(f"{name} version {version}")


@app.command()
def get(ctx: typer.Context, name: Annotated[str, typer.Argument(help="name, or name:version, or name:label")],
        decrypt: Annotated[bool, typer.Option("--decrypt/--no-decrypt")] = True,
        as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print a parameter's value."""
    p = parameter_store(platform(ctx)).get(name, decrypt=decrypt)
    typer.echo(dumps(p.public(), default=str) if as_json else p.value)


@app.command("list")
def list_(ctx: typer.Context, path: Annotated[str, typer.Argument()] = "/",
          recursive: Annotated[bool, typer.Option("--recursive/--one-level")] = True,
          as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List parameters under a path (SecureString values stay hidden)."""
    params = parameter_store(platform(ctx)).get_by_path(path, recursive=recursive, decrypt=False)
    if as_json:
        typer.echo(dumps([p.public() for p in params], default=str, indent=2))
        return
    table = Table("name", "type", "version", "value", "labels")
    for p in params:
        table.add_row(p.name, p.type, str(p.version), "***" if p.type == "SecureString" else p.value,
                      ",".join(p.labels))
    console.print(table)


@app.command()
def delete(ctx: typer.Context, name: str) -> None:
    """Delete a parameter and all its versions."""
    parameter_store(platform(ctx)).delete(name, actor=cli_principal())
    console.print(f"deleted {name}")


@app.command()
def label(ctx: typer.Context, name: str, version: int, labels: list[str]) -> None:
    """Attach labels to a version (a label moves from wherever it was)."""
    parameter_store(platform(ctx)).label(name, version, labels, actor=cli_principal())
    console.print(f"{name}:{version} labelled {', '.join(labels)}")


@app.command()
def history(ctx: typer.Context, name: str) -> None:
    """Every version of a parameter."""
    table = Table("version", "type", "value", "labels", "modified", "by")
    for p in parameter_store(platform(ctx)).history(name):
        table.add_row(str(p.version), p.type, "***" if p.type == "SecureString" else p.value, ",".join(p.labels),
                      str(p.last_modified)[:19], p.modified_by or "")
    console.print(table)
