"""telemetry: spans and per-minute metric roll-ups

Revision ID: telemetry_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assetguard.db.base import JSONType, UTCDateTime

revision = "telemetry_0001"
down_revision = None
branch_labels = ("telemetry",)
depends_on = None


def upgrade() -> None:
    big = sa.BigInteger().with_variant(sa.Integer, "sqlite")
    op.create_table(
        "telemetry_spans",
        sa.Column("id", big, nullable=False, autoincrement=True),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.Column("span_id", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.String(16), nullable=True),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("start_time", UTCDateTime(), nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("route", sa.String(300), nullable=True),
        sa.Column("http_status", sa.Integer, nullable=True),
        sa.Column("is_root", sa.Integer, nullable=False),
        sa.Column("attributes", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_spans")),
    )
    op.create_index(op.f("ix_telemetry_spans_trace_id"), "telemetry_spans", ["trace_id"])
    op.create_index(op.f("ix_telemetry_spans_start_time"), "telemetry_spans", ["start_time"])
    op.create_index("ix_telemetry_spans_root_start", "telemetry_spans", ["is_root", "start_time"])
    op.create_table(
        "telemetry_metric_rollups",
        sa.Column("id", big, nullable=False, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("minute", UTCDateTime(), nullable=False),
        sa.Column("count", sa.Float, nullable=False),
        sa.Column("sum", sa.Float, nullable=False),
        sa.Column("min", sa.Float, nullable=True),
        sa.Column("max", sa.Float, nullable=True),
        sa.Column("last", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_metric_rollups")),
    )
    op.create_index("ix_telemetry_metric_rollups_name_minute", "telemetry_metric_rollups", ["name", "minute"])


def downgrade() -> None:
    op.drop_table("telemetry_metric_rollups")
    op.drop_table("telemetry_spans")
