"""tagging: parameters, labels, tag policies, auto-tag results

Revision ID: tagging_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assetguard.db.base import JSONType, UTCDateTime

revision = "tagging_0001"
down_revision = None
branch_labels = ("tagging",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parameter_versions",
        sa.Column("name", sa.String(1011), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("description", sa.String(1024), nullable=True),
        sa.Column("modified_at", UTCDateTime(), nullable=False),
        sa.Column("modified_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("name", "version", name="pk_parameter_versions"),
    )
    op.create_table(
        "parameter_labels",
        sa.Column("name", sa.String(1011), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("name", "label", name="pk_parameter_labels"),
    )
    op.create_table(
        "tag_policies",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("document", JSONType, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_tag_policies")),
    )
    op.create_table(
        "autotag_results",
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("arn", sa.String(2048), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tags", JSONType, nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "arn", name="pk_autotag_results"),
    )


def downgrade() -> None:
    op.drop_table("autotag_results")
    op.drop_table("tag_policies")
    op.drop_table("parameter_labels")
    op.drop_table("parameter_versions")
