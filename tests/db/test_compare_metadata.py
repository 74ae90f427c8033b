"""Every domain's hand-written Alembic migrations must produce exactly its ``tables.py``."""

from __future__ import annotations

import pprint

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from assetguard.db import migrate
from assetguard.db.base import metadata
from assetguard.runtime.platform import Platform


def test_migrations_match_table_metadata(platform: Platform) -> None:
    migrate.import_table_modules()
    with platform.db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        diff = compare_metadata(context, metadata)
    assert diff == [], "migrations drift from tables.py:\n" + pprint.pformat(diff)


def test_the_comparison_detects_drift(platform: Platform) -> None:
    """Guard against a comparison that can never fail: a column added to a copy of the metadata shows up."""
    from sqlalchemy import Column, MetaData, String

    migrate.import_table_modules()
    drifted = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.sorted_tables:
        table.to_metadata(drifted)
    drifted.tables["audit_log"].append_column(Column("drifted", String(10)))
    with platform.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), drifted)
    assert [(d[0], d[3].name) for d in diff if d[0] == "add_column"] == [("add_column", "drifted")]
