"""Tables of the events domain."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

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

# Rules: the same rows whether they came from a shipped default, a YAML file, the API or the CLI.
event_rules = Table(
    "event_rules",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("description", String(512), nullable=False, default=""),
    Column("state", String(16), nullable=False),
    Column("document", JSONType, nullable=False),
    Column("origin", String(16), nullable=False),
    Column("revision", Integer, nullable=False, default=1),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Which shipped default rules were installed once, so a user's delete is not undone at restart.
event_default_rules = Table(
    "event_default_rules",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("installed_at", UTCDateTime(), nullable=False),
)

# One row per (event, rule, target): the at-least-once ledger the worker claims and updates.
event_deliveries = Table(
    "event_deliveries",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("event_id", String(64), nullable=False, index=True),
    Column("rule", String(64), nullable=False, index=True),
    Column("target_id", String(64), nullable=False),
    Column("target_type", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("event_time", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_until", UTCDateTime(), nullable=True),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Column("last_error_code", String(64), nullable=True),
    Column("last_error_message", String(1024), nullable=True),
    Column("receipt", String(512), nullable=True),
    Column("payload", JSONType, nullable=True),
    Column("target", JSONType, nullable=False),
    Column("event", JSONType, nullable=False),
    Index("ix_event_deliveries_due", "status", "next_attempt_at"),
)

event_dlq = Table(
    "event_dlq",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("delivery_id", String(64), nullable=False, index=True),
    Column("event_id", String(64), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("target_id", String(64), nullable=False),
    Column("target_type", String(64), nullable=False),
    Column("error_code", String(64), nullable=False),
    Column("error_message", String(1024), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("failed_at", UTCDateTime(), nullable=False),
    Column("redriven_at", UTCDateTime(), nullable=True),
)

# The outbox target: each rendered notification as it would have been sent.
event_notifications = Table(
    "event_notifications",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("delivery_id", String(64), nullable=False, unique=True),
    Column("event_id", String(64), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("target_id", String(64), nullable=False),
    Column("severity", String(16), nullable=True),
    Column("subject", String(512), nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text, nullable=True),
    Column("slack", JSONType, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
)

# Archives (EventBridge's CreateArchive): which events to keep (pattern, or all) and how long.
event_archives = Table(
    "event_archives",
    metadata,
    Column("name", String(48), primary_key=True),
    Column("description", String(512), nullable=False, default=""),
    Column("pattern", JSONType, nullable=True),
    Column("retention_days", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime(), nullable=False),
)

event_archive_events = Table(
    "event_archive_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("archive", String(48), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("event_time", UTCDateTime(), nullable=False),
    Column("archived_at", UTCDateTime(), nullable=False),
    Column("event", JSONType, nullable=False),
    Index("ix_event_archive_events_time", "archive", "event_time"),
    Index("ix_event_archive_events_archived", "archive", "archived_at"),
)

# Replays (EventBridge's StartReplay): one row per replay name, used once.
event_replays = Table(
    "event_replays",
    metadata,
    Column("name", String(48), primary_key=True),
    Column("archive", String(48), nullable=False),
    Column("start_time", UTCDateTime(), nullable=False),
    Column("end_time", UTCDateTime(), nullable=False),
    Column("rules", JSONType, nullable=False),
    Column("state", String(16), nullable=False),
    Column("events_replayed", Integer, nullable=False, default=0),
    Column("deliveries", Integer, nullable=False, default=0),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
)
