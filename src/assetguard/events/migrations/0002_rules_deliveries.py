"""events: rules, default-rule ledger, deliveries, dead letters, outbox notifications

Revision ID: events_0002
Revises: events_0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assetguard.db.base import JSONType, UTCDateTime

revision = "events_0002"
down_revision = "events_0001"
branch_labels = None
depends_on = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "event_rules",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.String(512), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("document", JSONType, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_event_rules")),
    )
    op.create_table(
        "event_default_rules",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("installed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_event_default_rules")),
    )
    op.create_table(
        "event_deliveries",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("event_time", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("last_error_code", sa.String(64), nullable=True),
        sa.Column("last_error_message", sa.String(1024), nullable=True),
        sa.Column("receipt", sa.String(512), nullable=True),
        sa.Column("payload", JSONType, nullable=True),
        sa.Column("target", JSONType, nullable=False),
        sa.Column("event", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_deliveries")),
    )
    op.create_index(op.f("ix_event_deliveries_event_id"), "event_deliveries", ["event_id"])
    op.create_index(op.f("ix_event_deliveries_rule"), "event_deliveries", ["rule"])
    op.create_index("ix_event_deliveries_due", "event_deliveries", ["status", "next_attempt_at"])
    op.create_table(
        "event_dlq",
        sa.Column("id", _BIGINT, nullable=False, autoincrement=True),
        sa.Column("delivery_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(64), nullable=False),
        sa.Column("error_code", sa.String(64), nullable=False),
        sa.Column("error_message", sa.String(1024), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("failed_at", UTCDateTime(), nullable=False),
        sa.Column("redriven_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_dlq")),
    )
    op.create_index(op.f("ix_event_dlq_delivery_id"), "event_dlq", ["delivery_id"])
    op.create_table(
        "event_notifications",
        sa.Column("id", _BIGINT, nullable=False, autoincrement=True),
        sa.Column("delivery_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("subject", sa.String(512), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("html", sa.Text, nullable=True),
        sa.Column("slack", JSONType, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_notifications")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_event_notifications_delivery_id")),
    )
    op.create_index(op.f("ix_event_notifications_created_at"), "event_notifications", ["created_at"])


def downgrade() -> None:
    for table in ("event_notifications", "event_dlq", "event_deliveries", "event_default_rules", "event_rules"):
        op.drop_table(table)
