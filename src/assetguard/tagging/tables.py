"""Tables of the tagging domain."""

from __future__ import annotations

from sqlalchemy import Column, Integer, PrimaryKeyConstraint, String, Table, Text

from assetguard.db.base import JSONType, UTCDateTime, metadata

parameter_versions = Table(
    "parameter_versions",
    metadata,
    Column("name", String(1011), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(16), nullable=False),
    Column("value", Text, nullable=False),  # ciphertext for SecureString
    Column("description", String(1024), nullable=True),
    Column("modified_at", UTCDateTime(), nullable=False),
    Column("modified_by", String(200), nullable=False),
    PrimaryKeyConstraint("name", "version", name="pk_parameter_versions"),
)

parameter_labels = Table(
    "parameter_labels",
    metadata,
    Column("name", String(1011), nullable=False),
    Column("label", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("name", "label", name="pk_parameter_labels"),
)

tag_policies = Table(
    "tag_policies",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("document", JSONType, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

autotag_results = Table(
    "autotag_results",
    metadata,
    Column("event_id", String(100), nullable=False),
    Column("arn", String(2048), nullable=False),
    Column("status", String(16), nullable=False),
    Column("tags", JSONType, nullable=False),
    Column("detail", Text, nullable=True),
    Column("at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("event_id", "arn", name="pk_autotag_results"),
)
