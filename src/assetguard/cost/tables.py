"""Tables of the cost domain.

``cost_daily`` holds one row per (day, account, service, region, resource, charge category, tag set,
currency) and billing period; a billing period of one provider's billing account is the unit that an
ingest replaces. ``cost_budget_state`` remembers each notification's firing per budget period so a
restart never re-sends.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from assetguard.db.base import JSONType, UTCDateTime, metadata

BIG = BigInteger().with_variant(Integer, "sqlite")
MONEY = Float(precision=53)

cost_daily = Table(
    "cost_daily",
    metadata,
    Column("id", BIG, primary_key=True, autoincrement=True),
    Column("provider", String(64), nullable=False),
    Column("billing_account_id", String(128), nullable=False),
    Column("billing_period_start", Date, nullable=False),
    Column("day", Date, nullable=False),
    Column("account_id", String(128), nullable=False),
    Column("service_name", String(256), nullable=False),
    Column("service_category", String(64), nullable=False),
    Column("region", String(64), nullable=False),
    Column("resource_id", String(1024), nullable=False),
    Column("charge_category", String(32), nullable=False),
    Column("tags", Text, nullable=False),
    Column("currency", String(8), nullable=False),
    Column("billed_cost", MONEY, nullable=False),
    Column("effective_cost", MONEY, nullable=False),
    Column("row_count", Integer, nullable=False),
    Index("ix_cost_daily_period", "provider", "billing_account_id", "billing_period_start"),
    Index("ix_cost_daily_day", "day"),
)

cost_ingestion = Table(
    "cost_ingestion",
    metadata,
    Column("provider", String(64), nullable=False),
    Column("billing_account_id", String(128), nullable=False),
    Column("billing_period_start", Date, nullable=False),
    Column("source", String(1024), nullable=False),
    Column("format", String(16), nullable=False),
    Column("rows_read", BIG, nullable=False),
    Column("rows_stored", BIG, nullable=False),
    Column("billed_cost", MONEY, nullable=False),
    Column("currency", String(8), nullable=False),
    Column("ingested_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("provider", "billing_account_id", "billing_period_start"),
)

cost_budget = Table(
    "cost_budget",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("definition", JSONType, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

cost_budget_state = Table(
    "cost_budget_state",
    metadata,
    Column("budget", String(100), nullable=False),
    Column("notification", String(200), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("state", String(8), nullable=False),
    Column("first_fired_on", Date, nullable=True),
    Column("last_fired_on", Date, nullable=True),
    Column("fired_count", Integer, nullable=False),
    Column("last_event_id", String(36), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("budget", "notification", "period_start"),
)
