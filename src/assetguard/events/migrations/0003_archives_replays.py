"""events: archives of events and replays

Revision ID: events_0003
Revises: events_0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assetguard.db.base import JSONType, UTCDateTime

revision = "events_0003"
down_revision = "events_0002"
branch_labels = None
depends_on = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "event_archives",
        sa.Column("name", sa.String(48), nullable=False),
        sa.Column("description", sa.String(512), nullable=False),
        sa.Column("pattern", JSONType, nullable=True),
        sa.Column("retention_days", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_event_archives")),
    )
    op.create_table(
        "event_archive_events",
        sa.Column("id", _BIGINT, nullable=False, autoincrement=True),
        sa.Column("archive", sa.String(48), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_time", UTCDateTime(), nullable=False),
        sa.Column("archived_at", UTCDateTime(), nullable=False),
        sa.Column("event", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_archive_events")),
    )
    op.create_index("ix_event_archive_events_time", "event_archive_events", ["archive", "event_time"])
    op.create_index("ix_event_archive_events_archived", "event_archive_events", ["archive", "archived_at"])
    op.create_table(
        "event_replays",
        sa.Column("name", sa.String(48), nullable=False),
        sa.Column("archive", sa.String(48), nullable=False),
        sa.Column("start_time", UTCDateTime(), nullable=False),
        sa.Column("end_time", UTCDateTime(), nullable=False),
        sa.Column("rules", JSONType, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("events_replayed", sa.Integer, nullable=False),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_event_replays")),
    )


def downgrade() -> None:
    for table in ("event_replays", "event_archive_events", "event_archives"):
        op.drop_table(table)
