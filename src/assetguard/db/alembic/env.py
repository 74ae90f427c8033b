"""Alembic environment: runs every domain's migration branch against the configured URL."""

from __future__ import annotations

from alembic import context

from assetguard.db.base import metadata
from assetguard.db.migrate import import_table_modules

config = context.config
import_table_modules()

connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("assetguard migrations run through assetguard.db.migrate, which passes a connection")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
