"""``assetguard rules``: list, put (YAML/JSON file), delete, enable, disable event rules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from assetguard.auth.principal import cli_principal
from assetguard.cli.context import console, platform
from assetguard.core.jsonout import dumps

NAME = "rules"
app = typer.Typer(help="Event rules (pattern → targets): list, put and delete rules, enable or disable them.", no_args_is_help=True)


@app.command("list")
def list_(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List rules with their state and targets."""
    from assetguard.events.rule_store import RuleStore

    rules = RuleStore(platform(ctx)).list_rules()
    if as_json:
        typer.echo(dumps([r.as_dict() for r in rules], indent=2))
        return
    table = Table("name", "state", "origin", "targets", "description")
    for r in rules:
        table.add_row(r.rule.name, r.rule.state, r.origin,
                      ", ".join(f"{t.id}:{t.type}" for t in r.rule.targets), r.rule.description)
    console.print(table)


@app.command()
def put(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="YAML or JSON: one rule or a list")]) -> None:
    """Create or replace rules from a file; nothing is written if any rule is invalid."""
    from assetguard.events.default_rules import load_rules_file
    from assetguard.events.rule_store import RuleStore

    rules = load_rules_file(file)
    stored = RuleStore(platform(ctx)).put_many(rules, actor=cli_principal())
    for s in stored:
        console.print(f"put rule {s.rule.name} (revision {s.revision})")


@app.command()
def delete(ctx: typer.Context, name: str) -> None:
    """Delete a rule."""
    from assetguard.events.rule_store import RuleStore

    RuleStore(platform(ctx)).delete(name, actor=cli_principal())
    console.print(f"deleted rule {name}")


@app.command()
def enable(ctx: typer.Context, name: str) -> None:
    """Enable a rule."""
    from assetguard.events.rule_store import RuleStore

    RuleStore(platform(ctx)).set_state(name, "ENABLED", actor=cli_principal())
    console.print(f"enabled rule {name}")


@app.command()
def disable(ctx: typer.Context, name: str) -> None:
    """Disable a rule (events stop matching it; pending deliveries still go out)."""
    from assetguard.events.rule_store import RuleStore

    RuleStore(platform(ctx)).set_state(name, "DISABLED", actor=cli_principal())
    console.print(f"disabled rule {name}")
