"""Tables of the inventory domain.

``inventory_assets`` holds the newest configuration item of every asset (deleted ones too, with
status ``ResourceDeleted``); ``config_hash`` lets a re-collection compare in bulk without
loading configurations. ``inventory_history`` keeps every version with its diff.
``inventory_collections`` records each collection run, including partial ones and why.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from assetguard.db.base import JSONType, UTCDateTime, metadata

_big = BigInteger().with_variant(Integer, "sqlite")

inventory_assets = Table(
    "inventory_assets",
    metadata,
    Column("arn", String(2048), primary_key=True),
    Column("resource_type", String(256), nullable=False, index=True),
    Column("resource_id", String(1024), nullable=False),
    Column("resource_name", String(1024), nullable=True),
    Column("account_id", String(64), nullable=True),
    Column("region", String(64), nullable=True),
    Column("source", String(64), nullable=False),
    Column("scope_key", String(2048), nullable=False, index=True),
    Column("status", String(32), nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("state_id", Integer, nullable=False),
    Column("config_hash", String(64), nullable=False),
    Column("capture_time", UTCDateTime(), nullable=False),
    Column("item", JSONType, nullable=False),
)

inventory_history = Table(
    "inventory_history",
    metadata,
    Column("id", _big, primary_key=True, autoincrement=True),
    Column("arn", String(2048), nullable=False),
    Column("state_id", Integer, nullable=False),
    Column("change_type", String(16), nullable=False),
    Column("capture_time", UTCDateTime(), nullable=False),
    Column("collection_id", String(36), nullable=True),
    Column("item", JSONType, nullable=False),
    Column("diff", JSONType, nullable=True),
    Index("ix_inventory_history_arn_state", "arn", "state_id"),
)

inventory_collections = Table(
    "inventory_collections",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("source", String(64), nullable=False, index=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("summary", JSONType, nullable=False),
    Column("errors", JSONType, nullable=False),
    Column("note", Text, nullable=True),
)
