"""cost: daily aggregates, ingestions, budgets and notification state; ships ``monthly-total``

Revision ID: cost_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import yaml
from alembic import op

from assetguard.db.base import JSONType, UTCDateTime

revision = "cost_0001"
down_revision = None
branch_labels = ("cost",)
depends_on = None

DEFAULT_BUDGET = Path(__file__).resolve().parents[1] / "defaults" / "monthly-total.yaml"


def upgrade() -> None:
    big = sa.BigInteger().with_variant(sa.Integer, "sqlite")
    money = sa.Float(precision=53)
    op.create_table(
        "cost_daily",
        sa.Column("id", big, nullable=False, autoincrement=True),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("billing_account_id", sa.String(128), nullable=False),
        sa.Column("billing_period_start", sa.Date, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("service_name", sa.String(256), nullable=False),
        sa.Column("service_category", sa.String(64), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.String(1024), nullable=False),
        sa.Column("charge_category", sa.String(32), nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("billed_cost", money, nullable=False),
        sa.Column("effective_cost", money, nullable=False),
        sa.Column("row_count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cost_daily")),
    )
    op.create_index("ix_cost_daily_period", "cost_daily", ["provider", "billing_account_id", "billing_period_start"])
    op.create_index("ix_cost_daily_day", "cost_daily", ["day"])
    op.create_table(
        "cost_ingestion",
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("billing_account_id", sa.String(128), nullable=False),
        sa.Column("billing_period_start", sa.Date, nullable=False),
        sa.Column("source", sa.String(1024), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("rows_read", big, nullable=False),
        sa.Column("rows_stored", big, nullable=False),
        sa.Column("billed_cost", money, nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("ingested_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("provider", "billing_account_id", "billing_period_start",
                                name=op.f("pk_cost_ingestion")),
    )
    budget = op.create_table(
        "cost_budget",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("definition", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cost_budget")),
    )
    op.create_table(
        "cost_budget_state",
        sa.Column("budget", sa.String(100), nullable=False),
        sa.Column("notification", sa.String(200), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("first_fired_on", sa.Date, nullable=True),
        sa.Column("last_fired_on", sa.Date, nullable=True),
        sa.Column("fired_count", sa.Integer, nullable=False),
        sa.Column("last_event_id", sa.String(36), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("budget", "notification", "period_start", name=op.f("pk_cost_budget_state")),
    )
    # The plan's safeguard ships as data, so a user may edit or delete it like any other budget.
    definition = yaml.safe_load(DEFAULT_BUDGET.read_text(encoding="utf-8"))
    now = datetime.now(UTC)
    op.bulk_insert(budget, [{"name": definition["Budget"]["BudgetName"], "definition": definition,
                             "created_at": now, "updated_at": now}])


def downgrade() -> None:
    op.drop_table("cost_budget_state")
    op.drop_table("cost_budget")
    op.drop_table("cost_ingestion")
    op.drop_index("ix_cost_daily_day", table_name="cost_daily")
    op.drop_index("ix_cost_daily_period", table_name="cost_daily")
    op.drop_table("cost_daily")
