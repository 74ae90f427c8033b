"""``assetguard db``: database migrations."""

from __future__ import annotations

import typer

from assetguard.cli.context import console, state
from assetguard.db import migrate
from assetguard.db.engine import Database

NAME = "db"
app = typer.Typer(help="Database migrations: upgrade applies pending ones, status lists them.", no_args_is_help=True)


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Apply all pending migrations (every domain's branch)."""
    settings = state(ctx).settings()
    db = Database(settings.resolved_database_url)
    try:
        migrate.upgrade(db.engine)
        heads = sorted(migrate.current_heads(db.engine))
    finally:
        db.dispose()
    console.print(f"database is at {len(heads)} head(s): {', '.join(heads)}")


@app.command()
def status(ctx: typer.Context) -> None:
    """Show applied and pending migration heads; exit 1 when migrations are pending."""
    settings = state(ctx).settings()
    db = Database(settings.resolved_database_url)
    try:
        current, pending, newer = (migrate.current_heads(db.engine), sorted(migrate.pending_heads(db.engine)),
                                   sorted(migrate.unknown_heads(db.engine)))
    finally:
        db.dispose()
    console.print(f"database: {db.dialect}; applied heads: {', '.join(sorted(current)) or '(none)'}")
    if newer:
        console.print(f"migrated by a newer release ({', '.join(newer)}); this release runs on it unchanged")
        return
    if pending:
        console.print(f"[yellow]pending[/yellow]: {', '.join(pending)}; run: assetguard db upgrade")
        raise typer.Exit(1)
    console.print("up to date")
