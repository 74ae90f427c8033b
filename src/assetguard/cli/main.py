"""``assetguard`` entry point. Command groups are the modules of this package that define
``app`` (a ``typer.Typer``) and ``NAME``; top-level commands define ``register(app)``."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

import assetguard
from assetguard import cli as cli_package
from assetguard.cli.context import CliState, err_console
from assetguard.core.errors import AssetGuardError


class _RootGroup(TyperGroup):
    """Turns an :class:`AssetGuardError` from any command into one ``error:`` line and exit code 2
    (here rather than in :func:`main`, so in-process runs such as tests behave like the installed command)."""

    _metavars_done = False

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if not self._metavars_done:  # once per command tree, before any --help is rendered
            with self.make_context("assetguard", ["--help"], resilient_parsing=True) as ctx:
                _plain_metavars(self, ctx)
            self._metavars_done = True
        return super().main(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:  # Typer's own click Context
        try:
            return super().invoke(ctx)
        except AssetGuardError as exc:
            _print_error(exc)
            raise typer.Exit(2) from None


def _print_error(exc: AssetGuardError) -> None:
    # one line, whatever the message holds; escaped so a "[...]" in it is not taken for markup
    err_console.print(f"[red]error:[/red] {escape(' '.join(str(exc).split()))}", highlight=False, soft_wrap=True)


app = typer.Typer(name="assetguard", help="assetguard: the operations and security plan for your assets.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False, cls=_RootGroup)

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


_TYPE_WORDS = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "path": "PATH", "file": "FILE",
               "directory": "DIR", "datetime": "DATETIME", "uuid": "UUID"}


def _plain_metavar(param: Any, ctx: Any) -> str:
    """Click's classic metavar for one parameter: ``TEXT``, ``PATH``, ``[a|b]``; nothing for a flag."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return ""
    label = str(param.display_type(ctx)).strip("<>")
    if param.type_descriptor.is_choice:
        return f"[{label.removeprefix('list[').removesuffix(']')}]"
    label = label.removeprefix("list[").removesuffix("]")
    return _TYPE_WORDS.get(label.lower(), label.upper())


def _no_type_column(ctx: Any) -> None:
    return None


def _plain_metavars(command: Any, ctx: Any) -> None:
    """Give every parameter a classic metavar instead of Typer's Python type placeholders
    (``<bool>``, ``<list[Path]>``)."""
    help_option = command.get_help_option(ctx)  # made once per command and cached there
    for param in [*command.params, *([help_option] if help_option is not None else [])]:
        if param.metavar is not None or not hasattr(param, "type_descriptor"):
            continue
        if getattr(param, "param_type_name", "") == "argument":
            # An argument's metavar is its name (``ARN``); Typer's type column for it is dropped.
            param.metavar = (param.name or "").upper()
            param.display_type_rich = _no_type_column
        else:
            param.metavar = _plain_metavar(param, ctx)
    for sub in getattr(command, "commands", {}).values():
        _plain_metavars(sub, ctx)


def main() -> None:
    try:
        app(standalone_mode=True)
    except AssetGuardError as exc:
        _print_error(exc)
        sys.exit(2)
