"""``assetguard`` entry point. Command groups are the modules of this package that define
``app`` (a ``typer.Typer``) and ``NAME``; top-level commands define ``register(app)``."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path
from typing import Annotated

import typer

import assetguard
from assetguard import cli as cli_package
from assetguard.cli.context import CliState, err_console
from assetguard.core.errors import AssetGuardError

app = typer.Typer(name="assetguard", help="assetguard: the operations and security plan for your assets.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)

SKIP = {"main", "context"}


@app.callback()
def _root(ctx: typer.Context,
          config: Annotated[Path | None, typer.Option("--config", "-c", help="path to assetguard.yaml",
                                                      envvar="ASSETGUARD_CONFIG")] = None) -> None:
    ctx.obj = CliState(config=config)
    ctx.call_on_close(ctx.obj.close)


@app.command()
def version() -> None:
    """Print the assetguard version."""
    typer.echo(assetguard.__version__)


def _load_commands() -> None:
    for info in sorted(pkgutil.iter_modules(cli_package.__path__), key=lambda m: m.name):
        if info.name in SKIP:
            continue
        module = importlib.import_module(f"{cli_package.__name__}.{info.name}")
        group = getattr(module, "app", None)
        if isinstance(group, typer.Typer):
            app.add_typer(group, name=getattr(module, "NAME", info.name.replace("_", "-")))
        register = getattr(module, "register", None)
        if callable(register):
            register(app)


_load_commands()


def main() -> None:
    try:
        app(standalone_mode=True)
    except AssetGuardError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
