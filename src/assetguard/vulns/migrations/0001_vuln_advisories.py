"""vulns: advisory database, affected-package index, per-asset scan state

Revision ID: vulns_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assetguard.db.base import JSONType, UTCDateTime

revision = "vulns_0001"
down_revision = None
branch_labels = ("vulns",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vuln_advisories",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("canonical_id", sa.String(200), nullable=False),
        sa.Column("modified", UTCDateTime(), nullable=False),
        sa.Column("published", UTCDateTime(), nullable=True),
        sa.Column("aliases", JSONType, nullable=False),
        sa.Column("summary", sa.Text, nullable=True),
        sa.Column("severity_label", sa.String(16), nullable=False),
        sa.Column("cvss_score", sa.Float, nullable=True),
        sa.Column("cvss_vector", sa.String(300), nullable=True),
        sa.Column("record", JSONType, nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vuln_advisories")),
    )
    op.create_index(op.f("ix_vuln_advisories_canonical_id"), "vuln_advisories", ["canonical_id"])
    op.create_table(
        "vuln_affected",
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("advisory_id", sa.String(200), nullable=False),
        sa.Column("ecosystem", sa.String(100), nullable=False),
        sa.Column("ecosystem_base", sa.String(50), nullable=False),
        sa.Column("name_key", sa.String(400), nullable=False),
        sa.Column("name", sa.String(400), nullable=False),
        sa.Column("purl", sa.String(500), nullable=True),
        sa.Column("ranges", JSONType, nullable=False),
        sa.Column("versions", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_vuln_affected")),
    )
    op.create_index(op.f("ix_vuln_affected_advisory_id"), "vuln_affected", ["advisory_id"])
    op.create_index("ix_vuln_affected_package", "vuln_affected", ["ecosystem_base", "name_key"])
    op.create_table(
        "vuln_asset_state",
        sa.Column("asset_arn", sa.String(1024), nullable=False),
        sa.Column("package_keys", JSONType, nullable=False),
        sa.Column("open_findings", JSONType, nullable=False),
        sa.Column("scanned_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("asset_arn", name=op.f("pk_vuln_asset_state")),
    )


def downgrade() -> None:
    op.drop_table("vuln_asset_state")
    op.drop_index("ix_vuln_affected_package", table_name="vuln_affected")
    op.drop_table("vuln_affected")
    op.drop_table("vuln_advisories")
