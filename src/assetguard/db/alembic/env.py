"""Alembic environment: runs every domain's migration branch against the configured URL.

Writing a migration (each domain's ``<domain>/migrations/NNNN_*.py``): expand, then contract.
During a rolling upgrade the previous release keeps running on the migrated database, so a
migration may only *expand* the schema in a way that release tolerates:

* add tables, indexes, and columns that are nullable or have a server default;
* never drop or rename a table or column, narrow a type, or add NOT NULL / a constraint that
  rows the previous release writes would break, in the same release that stops using it;
* on PostgreSQL, index a large table with ``postgresql_concurrently=True`` inside
  ``op.get_context().autocommit_block()`` (a plain CREATE INDEX blocks writers while it builds).

The *contract* step (drop what nothing reads any more) ships one release later, once no replica
of the release that used it is left; ``tests/db/test_expand_only.py`` refuses a breaking
operation unless its revision is listed there with the reason. Migrations run under a database-wide lock
(``assetguard.db.migrate.migration_lock``), so concurrent starters never race.
"""

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
