"""``assetguard budgets``: define, list and evaluate budgets; push to / pull from AWS Budgets."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from assetguard.auth.principal import cli_principal
from assetguard.cli.context import console, platform
from assetguard.core.errors import ValidationError
from assetguard.core.jsonout import dumps

NAME = "budgets"
app = typer.Typer(help="Budgets with ACTUAL and FORECASTED notifications (AWS Budgets semantics): put, list, delete and evaluate them here, push them to or pull them from AWS Budgets.",
                  no_args_is_help=True)


@app.command()
def put(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="CreateBudget input(s) as YAML or JSON")]) -> None:
    """Create or replace the budgets defined in FILE."""
    from assetguard.cost.budget import load_definitions
    from assetguard.cost.budgets import BudgetStore

    results = BudgetStore(platform(ctx)).put(load_definitions(file), actor=cli_principal())
    for result in results:
        action, _, name = result.partition(":")
        console.print(f"{action} budget {name}")


@app.command("list")
def list_budgets(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List budgets with their limits, filters and notifications."""
    from assetguard.cost.budgets import BudgetStore

    defs = BudgetStore(platform(ctx)).list()
    if as_json:
        typer.echo(dumps([d.stored() for d in defs]))
        return
    table = Table("budget", "unit", "limit", "metric", "notifications")
    for d in defs:
        b = d.Budget
        limit = f"{b.BudgetLimit.amount:,.2f} {b.BudgetLimit.Unit}" if b.BudgetLimit else "planned"
        notes = ", ".join(f"{n.Notification.NotificationType} {_op(n.Notification.ComparisonOperator)} "
                          f"{n.Notification.Threshold:g}{'%' if n.Notification.ThresholdType == 'PERCENTAGE' else ''}"
                          for n in d.NotificationsWithSubscribers)
        table.add_row(d.name, b.TimeUnit, limit, b.metric, notes)
    console.print(table)


@app.command()
def delete(ctx: typer.Context, name: str) -> None:
    """Delete a budget and its notification state."""
    from assetguard.cost.budgets import BudgetStore

    BudgetStore(platform(ctx)).delete(name, actor=cli_principal())
    console.print(f"deleted budget {name}")


@app.command()
def evaluate(ctx: typer.Context,
             as_of: Annotated[str | None, typer.Option("--as-of", help="evaluate with data up to this day")] = None,
             budget: Annotated[list[str] | None, typer.Option("--budget", help="only these budgets")] = None,
             as_json: Annotated[bool, typer.Option("--json", help="print the JSON contract")] = False) -> None:
    """Evaluate budgets (stateful: fires each due notification once, exactly as the scheduler does)."""
    from assetguard.cost.evaluate import BudgetEvaluator

    day = _day(as_of) if as_of else None
    results = BudgetEvaluator(platform(ctx)).evaluate(as_of=day, names=budget or None, actor=cli_principal())
    if as_json:
        typer.echo(dumps(results))
        return
    table = Table("budget", "period", "limit", "actual", "forecast (80 % interval)", "notifications")
    for r in results:
        f = r["forecast"]
        forecast = f"{f['mean']:,.2f} ({f['lower']:,.2f}–{f['upper']:,.2f})" if f else "n/a (too little history)"
        notes = "\n".join(
            f"{n['type']} {_op(n['operator'])} {n['threshold']:g}{'%' if n['thresholdType'] == 'PERCENTAGE' else ''}: "
            + (f"[red]fired {n['firedAt']}[/red]" if n["fired"] else "ok") for n in r["notifications"])
        limit = f"{r['limit']:,.2f}" if r["limit"] is not None else "-"
        table.add_row(r["budget"], f"{r['period']['start']} – {r['period']['end']}", limit, f"{r['actual']:,.2f}",
                      forecast, notes)
    console.print(table)


@app.command()
def push(ctx: typer.Context,
         budget: Annotated[list[str] | None, typer.Option("--budget", help="only these budgets")] = None,
         account_id: Annotated[str | None, typer.Option(help="AWS account (default: the caller's)")] = None,
         sns_topic: Annotated[str | None, typer.Option(help="add this SNS topic ARN as a subscriber")] = None,
         dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would change")] = False) -> None:
    """Create or update these budgets in AWS Budgets (notifications, e-mail and SNS subscribers)."""
    from assetguard.cost.aws_budgets import AwsBudgets

    changes = AwsBudgets(platform(ctx), account_id=account_id).push(names=budget or None, sns_topic=sns_topic,
                                                                     dry_run=dry_run, actor=cli_principal())
    for change in changes:
        console.print(change)


@app.command()
def pull(ctx: typer.Context,
         account_id: Annotated[str | None, typer.Option(help="AWS account (default: the caller's)")] = None) -> None:
    """Import the account's AWS Budgets (COST budgets) and their notifications."""
    from assetguard.cost.aws_budgets import AwsBudgets

    for result in AwsBudgets(platform(ctx), account_id=account_id).pull(actor=cli_principal()):
        console.print(result)


def _op(operator: str) -> str:
    return {"GREATER_THAN": ">", "LESS_THAN": "<", "EQUAL_TO": "="}[operator]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"expected a date YYYY-MM-DD, got {text!r}") from None
