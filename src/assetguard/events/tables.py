"""Tables of the events domain."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table

from assetguard.db.base import JSONType, UTCDateTime, metadata

event_outbox = Table(
    "event_outbox",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("source", String(256), nullable=False),
    Column("detail_type", String(256), nullable=False, index=True),
    Column("time", UTCDateTime(), nullable=False),
    Column("event", JSONType, nullable=False),
    Column("dispatched_at", UTCDateTime(), nullable=True, index=True),
)
