"""waf: versioned ACLs, rule groups, IP sets and regex pattern sets; change generation; proxy heartbeats

Revision ID: waf_0001
Revises:
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assetguard.db.base import JSONType, UTCDateTime

revision = "waf_0001"
down_revision = None
branch_labels = ("waf",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "waf_documents",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", JSONType, nullable=True),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("kind", "name", "version", name="pk_waf_documents"),
    )
    state = op.create_table(
        "waf_state",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("reload_generation", sa.Integer, nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_waf_state"),
    )
    op.bulk_insert(state, [{"id": 1, "generation": 0, "reload_generation": 0, "changed_at": None}])
    op.create_table(
        "waf_proxies",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("acl", sa.String(300), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("reload_generation", sa.Integer, nullable=False),
        sa.Column("health", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_waf_proxies"),
    )


def downgrade() -> None:
    op.drop_table("waf_proxies")
    op.drop_table("waf_state")
    op.drop_table("waf_documents")
