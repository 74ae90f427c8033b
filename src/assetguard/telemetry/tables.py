"""Tables of the telemetry domain: spans and per-minute metric roll-ups (the embedded store)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table, Text

from assetguard.db.base import JSONType, UTCDateTime, metadata

spans = Table(
    "telemetry_spans",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("trace_id", String(32), nullable=False, index=True),
    Column("span_id", String(16), nullable=False),
    Column("parent_id", String(16), nullable=True),
    Column("service", String(100), nullable=False),
    Column("name", String(300), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("start_time", UTCDateTime(), nullable=False, index=True),
    Column("duration_ms", Float, nullable=False),
    Column("status", String(8), nullable=False),  # OK | ERROR | UNSET
    Column("route", String(300), nullable=True),
    Column("http_status", Integer, nullable=True),
    Column("is_root", Integer, nullable=False),
    Column("attributes", JSONType, nullable=False),
    Index("ix_telemetry_spans_root_start", "is_root", "start_time"),
)

metric_rollups = Table(
    "telemetry_metric_rollups",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("labels", Text, nullable=False),  # canonical JSON of the attributes
    Column("minute", UTCDateTime(), nullable=False),
    Column("count", Float, nullable=False),
    Column("sum", Float, nullable=False),
    Column("min", Float, nullable=True),
    Column("max", Float, nullable=True),
    Column("last", Float, nullable=True),
    Index("ix_telemetry_metric_rollups_name_minute", "name", "minute"),
)
