"""inventory: assets, history, collections

Revision ID: inventory_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assetguard.db.base import JSONType, UTCDateTime

revision = "inventory_0001"
down_revision = None
branch_labels = ("inventory",)
depends_on = None


def upgrade() -> None:
    big = sa.BigInteger().with_variant(sa.Integer, "sqlite")
    op.create_table(
        "inventory_assets",
        sa.Column("arn", sa.String(2048), nullable=False),
        sa.Column("resource_type", sa.String(256), nullable=False),
        sa.Column("resource_id", sa.String(1024), nullable=False),
        sa.Column("resource_name", sa.String(1024), nullable=True),
        sa.Column("account_id", sa.String(64), nullable=True),
        sa.Column("region", sa.String(64), nullable=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("scope_key", sa.String(2048), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("state_id", sa.Integer, nullable=False),
        sa.Column("config_hash", sa.String(64), nullable=False),
        sa.Column("capture_time", UTCDateTime(), nullable=False),
        sa.Column("item", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_inventory_assets")),
    )
    op.create_index(op.f("ix_inventory_assets_resource_type"), "inventory_assets", ["resource_type"])
    op.create_index(op.f("ix_inventory_assets_scope_key"), "inventory_assets", ["scope_key"])
    op.create_table(
        "inventory_history",
        sa.Column("id", big, nullable=False, autoincrement=True),
        sa.Column("arn", sa.String(2048), nullable=False),
        sa.Column("state_id", sa.Integer, nullable=False),
        sa.Column("change_type", sa.String(16), nullable=False),
        sa.Column("capture_time", UTCDateTime(), nullable=False),
        sa.Column("collection_id", sa.String(36), nullable=True),
        sa.Column("item", JSONType, nullable=False),
        sa.Column("diff", JSONType, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_history")),
    )
    op.create_index("ix_inventory_history_arn_state", "inventory_history", ["arn", "state_id"])
    op.create_table(
        "inventory_collections",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("summary", JSONType, nullable=False),
        sa.Column("errors", JSONType, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_collections")),
    )
    op.create_index(op.f("ix_inventory_collections_source"), "inventory_collections", ["source"])


def downgrade() -> None:
    op.drop_table("inventory_collections")
    op.drop_table("inventory_history")
    op.drop_table("inventory_assets")
