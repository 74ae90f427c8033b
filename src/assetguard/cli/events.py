"""``assetguard events``: test patterns, put events, inspect and redrive the dead-letter queue,
archive events and replay them (``events archive ...``, ``events replay``).

``assetguard events test-pattern --pattern P.json --event E.json`` prints ``true`` (exit 0),
``false`` (exit 1) or the validation error (exit 2); ``--cases FILE.jsonl`` prints one
``{"match": ...}`` or ``{"error": ...}`` line per case.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from assetguard.auth.principal import cli_principal
from assetguard.cli.context import console, platform
from assetguard.core.errors import ValidationError
from assetguard.core.jsonout import dumps
from assetguard.core.textfile import read_json, read_text

NAME = "events"
app = typer.Typer(help="Event bus: test-pattern against events, put events, replay archived ones, and manage the dead-letter queue (dlq) and archive.", no_args_is_help=True)
dlq_app = typer.Typer(help="The dead-letter queue of failed deliveries: list them, redrive them to their targets.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")


def _add_archive_commands() -> None:
    from assetguard.cli.events_archive import archive_app, replay

    app.add_typer(archive_app, name="archive")
    app.command("replay")(replay)


def _read_json(path: Path, what: str) -> Any:
    return read_json(path, f"{what} file")


@app.command("test-pattern")
def test_pattern_cmd(
        pattern: Annotated[Path | None, typer.Option("--pattern", help="pattern JSON file")] = None,
        event: Annotated[Path | None, typer.Option("--event", help="event JSON file")] = None,
        cases: Annotated[Path | None, typer.Option("--cases", help='JSON Lines of {"pattern", "event"}')] = None,
) -> None:
    """Does the event match the pattern? true/exit 0, false/exit 1, invalid pattern/exit 2."""
    from assetguard.events.testing import run_cases_text, test_pattern

    if cases is not None:
        if pattern is not None or event is not None:
            typer.echo("use either --cases or --pattern with --event", err=True)
            raise typer.Exit(2)
        lines = read_text(cases, "cases file").splitlines()
        for result in run_cases_text(lines):
            typer.echo(dumps(result))
        return
    if pattern is None or event is None:
        typer.echo("--pattern and --event are required (or --cases)", err=True)
        raise typer.Exit(2)
    try:
        matched = test_pattern(_read_json(pattern, "pattern"), _read_json(event, "event"))
    except ValidationError as exc:
        typer.echo(str(exc))
        raise typer.Exit(2) from None
    typer.echo("true" if matched else "false")
    raise typer.Exit(0 if matched else 1)


@app.command()
def put(ctx: typer.Context,
        entries: Annotated[Path | None, typer.Option("--entries", help="JSON file: a list of PutEvents entries")] = None,
        source: Annotated[str | None, typer.Option("--source")] = None,
        detail_type: Annotated[str | None, typer.Option("--detail-type")] = None,
        detail: Annotated[str | None, typer.Option("--detail", help="detail JSON text")] = None,
        resources: Annotated[list[str] | None, typer.Option("--resource")] = None) -> None:
    """Put events (PutEvents semantics); prints the result JSON, exit 1 if any entry failed."""
    from assetguard.events.put_events import put_events

    if entries is not None:
        batch = _read_json(entries, "entries")
        if isinstance(batch, dict) and "Entries" in batch:
            batch = batch["Entries"]
    else:
        batch = [{"Source": source, "DetailType": detail_type, "Detail": detail if detail is not None else "{}",
                  "Resources": resources or []}]
    result = put_events(platform(ctx), batch)
    typer.echo(dumps(result, indent=2))
    if result["FailedEntryCount"]:
        raise typer.Exit(1)


@dlq_app.command("list")
def dlq_list(ctx: typer.Context, rule: Annotated[str | None, typer.Option("--rule")] = None,
             include_redriven: Annotated[bool, typer.Option("--all", help="include redriven entries")] = False,
             as_json: Annotated[bool, typer.Option("--json")] = False,
             limit: Annotated[int, typer.Option("--limit")] = 100) -> None:
    """Failed deliveries with their error code, message, attempts, rule and target."""
    from assetguard.events.dlq import DeadLetters

    rows = DeadLetters(platform(ctx)).list(rule=rule, include_redriven=include_redriven, limit=limit)
    if as_json:
        typer.echo(dumps(rows, default=str, indent=2))
        return
    table = Table("id", "failed at", "rule", "target", "code", "attempts", "message")
    for r in rows:
        table.add_row(str(r["id"]), str(r["failed_at"])[:19], r["rule"], f"{r['target_id']} ({r['target_type']})",
                      r["error_code"], str(r["attempts"]), r["error_message"][:80])
    console.print(table)


@dlq_app.command("redrive")
def dlq_redrive(ctx: typer.Context,
                ids: Annotated[list[int] | None, typer.Argument(help="DLQ ids (default: all not yet redriven)")] = None,
                rule: Annotated[str | None, typer.Option("--rule")] = None) -> None:
    """Queue dead-lettered deliveries again (fresh attempts and age)."""
    from assetguard.events.dlq import DeadLetters

    count = DeadLetters(platform(ctx)).redrive(ids=ids or None, rule=rule, actor=cli_principal())
    console.print(f"redriven {count} deliveries")


_add_archive_commands()


def register(root: typer.Typer) -> None:
    @root.command("worker")
    def worker(ctx: typer.Context,
               once: Annotated[bool, typer.Option("--once", help="drain what is due, then exit")] = False,
               metrics_port: Annotated[int | None, typer.Option(
                   "--metrics-port", min=0, max=65535, help="serve Prometheus /metrics here (default 9464; "
                   "0: off); each worker on a host needs its own")] = None,
               ) -> None:
        """Run the event worker (dispatch + delivery); several may run against one database or NATS."""
        from assetguard.events.worker import run_worker_forever

        p = platform(ctx)
        if metrics_port != 0 and not once:
            from assetguard.telemetry.metrics_server import WORKER_METRICS_PORT, start_metrics_server

            start_metrics_server(p, metrics_port or WORKER_METRICS_PORT, chosen=metrics_port is not None)
        code = run_worker_forever(p, once=once)
        sys.exit(code)
