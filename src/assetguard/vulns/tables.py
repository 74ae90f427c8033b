"""Advisory database tables.

``vuln_advisories`` holds one row per OSV record (the record itself in ``record``);
``vuln_affected`` one row per ``affected`` entry, indexed by (ecosystem base, normalised
package name) so the matcher loads only the advisories for the packages it sees;
``vuln_asset_state`` remembers, per scanned asset, its package keys (for re-scans on database
updates) and the findings it currently has open (to resolve them when the package is upgraded).
"""

from __future__ import annotations

import sqlalchemy as sa

from assetguard.db.base import JSONType, UTCDateTime, metadata

vuln_advisories = sa.Table(
    "vuln_advisories", metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("canonical_id", sa.String(200), nullable=False, index=True),
    sa.Column("modified", UTCDateTime(), nullable=False),
    sa.Column("published", UTCDateTime(), nullable=True),
    sa.Column("aliases", JSONType, nullable=False),
    sa.Column("summary", sa.Text, nullable=True),
    sa.Column("severity_label", sa.String(16), nullable=False),
    sa.Column("cvss_score", sa.Float, nullable=True),
    sa.Column("cvss_vector", sa.String(300), nullable=True),
    sa.Column("record", JSONType, nullable=False),
    sa.Column("imported_at", UTCDateTime(), nullable=False),
)

vuln_affected = sa.Table(
    "vuln_affected", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("advisory_id", sa.String(200), nullable=False, index=True),
    sa.Column("ecosystem", sa.String(100), nullable=False),
    sa.Column("ecosystem_base", sa.String(50), nullable=False),
    sa.Column("name_key", sa.String(400), nullable=False),
    sa.Column("name", sa.String(400), nullable=False),
    sa.Column("purl", sa.String(500), nullable=True),
    sa.Column("ranges", JSONType, nullable=False),
    sa.Column("versions", JSONType, nullable=False),
    # Everything the matcher needs, as JSON text: {"r": ranges, "v": versions, "c": canonical id,
    # "a": aliases, "s": severity label, "x": CVSS score, "y": vector, "m": summary}.
    sa.Column("spec", sa.Text, nullable=True),
    sa.Index("ix_vuln_affected_package", "ecosystem_base", "name_key"),
)

vuln_asset_state = sa.Table(
    "vuln_asset_state", metadata,
    sa.Column("asset_arn", sa.String(1024), primary_key=True),
    sa.Column("package_keys", JSONType, nullable=False),
    sa.Column("open_findings", JSONType, nullable=False),
    sa.Column("scanned_at", UTCDateTime(), nullable=False),
    sa.Column("keys_digest", sa.String(64), nullable=True),
)

# One row (id 1): bumped by every import that changes advisories, so a process can tell in one
# primary-key read whether its compiled index is stale.
vuln_db_state = sa.Table(
    "vuln_db_state", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("changed_at", UTCDateTime(), nullable=True),
)
