"""``assetguard db``: database migrations."""

from __future__ import annotations

import typer

from assetguard.cli.context import console, state
from assetguard.db import migrate
from assetguard.db.engine import Database

NAME = "db"
app = typer.Typer(help="Database migrations.", no_args_is_help=True)


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
