"""``assetguard events archive ...`` and ``assetguard events replay``: keep events, replay them.

    assetguard events archive create security --pattern security.json --retention-days 30
    assetguard events archive list
    assetguard events replay --archive security --from 2026-11-29T00:00Z --to 2026-11-29T12:00Z \\
        --rule security-alerts --name fix-slack-1
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from assetguard.auth.principal import cli_principal
from assetguard.cli.context import console, platform
from assetguard.core.clock import utcnow
from assetguard.core.jsonout import dumps

archive_app = typer.Typer(help="Archives of events (all, or those matching a pattern), for replays: create, list and delete them.",
                          no_args_is_help=True)


@archive_app.command("create")
def archive_create(ctx: typer.Context, name: Annotated[str, typer.Argument(help="archive name ([.-_A-Za-z0-9], ≤ 48)")],
                   pattern: Annotated[Path | None, typer.Option("--pattern", help="event pattern JSON file "
                                                                "(default: every event)")] = None,
                   retention_days: Annotated[int, typer.Option("--retention-days",
                                                               help="days to keep events (0: indefinitely)")] = 0,
                   description: Annotated[str, typer.Option("--description")] = "") -> None:
    """Start archiving the events the bus dispatches from now on."""
    from assetguard.cli.events import _read_json
    from assetguard.events.archive import Archives, ArchiveSpec, parse_spec

    spec = parse_spec(ArchiveSpec, {"name": name, "description": description, "retention_days": retention_days,
                                    "pattern": _read_json(pattern, "pattern") if pattern is not None else None})
    Archives(platform(ctx)).create(spec, actor=cli_principal())
    console.print(f"archive {name} created")


@archive_app.command("list")
def archive_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Archives with their pattern, retention and event count."""
    from assetguard.events.archive import Archives

    rows = Archives(platform(ctx)).list_archives()
    if as_json:
        typer.echo(dumps(rows, default=str, indent=2))
        return
    table = Table("name", "events", "retention", "pattern", "created")
    for r in rows:
        table.add_row(r["name"], str(r["event_count"]), f"{r['retention_days']} d" if r["retention_days"] else "forever",
                      dumps(r["pattern"]) if r["pattern"] else "(all events)", str(r["created_at"])[:19])
    console.print(table)


@archive_app.command("delete")
def archive_delete(ctx: typer.Context, name: str) -> None:
    """Delete an archive and the events it kept."""
    from assetguard.events.archive import Archives

    Archives(platform(ctx)).delete(name, actor=cli_principal())
    console.print(f"archive {name} deleted")


def replay(ctx: typer.Context,
           archive: Annotated[str, typer.Option("--archive", help="archive to replay from")],
           start: Annotated[str, typer.Option("--from", help="events with time >= this (ISO 8601; UTC if no zone)")],
           end: Annotated[str, typer.Option("--to", help="events with time < this")],
           rules: Annotated[list[str] | None, typer.Option("--rule", help="replay only to this rule "
                                                            "(repeatable; default: every enabled rule)")] = None,
           name: Annotated[str | None, typer.Option("--name", help="replay name, used once "
                                                     "(default: replay-<archive>-<now>)")] = None) -> None:
    """Re-put archived events with ``replay-name`` set, to the rules named; prints the replay record."""
    from assetguard.events.archive import Archives, ReplaySpec, parse_spec

    spec = parse_spec(ReplaySpec, {"name": name or f"replay-{archive}-{utcnow():%Y%m%dT%H%M%S}"[:48],
                                   "archive": archive, "start": start, "end": end, "rules": rules or []})
    record = Archives(platform(ctx)).replay(spec, actor=cli_principal())
    typer.echo(dumps(record, default=str, indent=2))
