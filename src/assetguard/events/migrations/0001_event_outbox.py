"""events: transactional outbox

Revision ID: events_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assetguard.db.base import JSONType, UTCDateTime

revision = "events_0001"
down_revision = None
branch_labels = ("events",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("source", sa.String(256), nullable=False),
        sa.Column("detail_type", sa.String(256), nullable=False),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.Column("event", JSONType, nullable=False),
        sa.Column("dispatched_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_event_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_event_outbox_event_id")),
    )
    op.create_index(op.f("ix_event_outbox_detail_type"), "event_outbox", ["detail_type"])
    op.create_index(op.f("ix_event_outbox_dispatched_at"), "event_outbox", ["dispatched_at"])


def downgrade() -> None:
    op.drop_table("event_outbox")
