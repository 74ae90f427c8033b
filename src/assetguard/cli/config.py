"""``assetguard config``: check and show the effective configuration.

    assetguard --config assetguard.yaml config check    # exit 0, or one line naming key and line
    assetguard config show --json                       # secrets shown as ***
"""

from __future__ import annotations

from typing import Annotated

import typer
import yaml

from assetguard.auth.keys import check_kek_setting
from assetguard.cli.context import console, state
from assetguard.core.jsonout import dumps
from assetguard.core.redact import public_settings
from assetguard.core.settings import config_path

NAME = "config"
app = typer.Typer(help="The effective configuration: check it for errors, or show it with secrets masked.", no_args_is_help=True)


@app.command()
def check(ctx: typer.Context) -> None:
    """Validate assetguard.yaml and ASSETGUARD_* variables; exit 2 with the key and line if wrong."""
    st = state(ctx)
    check_kek_setting(st.settings())  # PostgreSQL needs secret_key: the API and workers would refuse to start
    source = config_path(st.config)
    console.print(f"configuration OK ({source if source else 'defaults and environment; no assetguard.yaml'})")


@app.command()
def show(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="JSON instead of YAML")] = False
         ) -> None:
    """Print the effective settings (file + environment + defaults); secrets are masked."""
    data = public_settings(state(ctx).settings())
    if as_json:
        typer.echo(dumps(data, indent=2, sort_keys=True))
    else:
        typer.echo(yaml.safe_dump(data, sort_keys=True).rstrip())
