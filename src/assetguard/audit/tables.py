"""Tables of the audit domain.

``audit_log`` rows are chained: ``hash = sha256(prev_hash || canonical(row))``. ``audit_head``
holds the newest sequence number and hash, so a deleted tail is detected too. ``audit_digests``
holds signed digests of the chain (:mod:`assetguard.audit.digests`): whoever can write the
database cannot forge them, so rewriting covered rows is detected even with recomputed hashes.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text

from assetguard.db.base import JSONType, UTCDateTime, metadata

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("time", UTCDateTime(), nullable=False, index=True),
    Column("actor", String(200), nullable=False, index=True),
    Column("actor_role", String(16), nullable=False),
    Column("actor_kind", String(16), nullable=False),
    Column("action", String(100), nullable=False, index=True),
    Column("resource", String(1024), nullable=False, index=True),
    Column("before", JSONType, nullable=True),
    Column("after", JSONType, nullable=True),
    Column("source_ip", String(64), nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("note", Text, nullable=True),
)

# One signed digest per row: ``payload`` is the exact canonical JSON that was signed (Ed25519,
# ``signature`` in base64); the other columns repeat parts of it for queries. Verification reads
# only ``payload`` and ``signature``.
audit_digests = Table(
    "audit_digests",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("first_seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("last_seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("signature", String(200), nullable=False),
)
