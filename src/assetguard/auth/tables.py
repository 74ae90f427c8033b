"""Tables of the auth domain."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text

from assetguard.db.base import UTCDateTime, metadata

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("last_used_at", UTCDateTime(), nullable=True),
    Column("revoked_at", UTCDateTime(), nullable=True),
)

# Data keys (session/CSRF, webhook, parameter encryption), each encrypted with the key-encryption
# key (assetguard.auth.keys); ``kek_id`` tells which KEK, so a mismatch is a clear error.
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("ciphertext", Text, nullable=False),
    Column("kek_id", String(32), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Versions 2, 3, ... of the data keys, one row per ``keys rotate`` (version 1 is the row in
# ``signing_keys``). The highest version signs and encrypts; an older one still verifies (and
# decrypts) until ``previous_valid_until`` of the version that replaced it (null: indefinitely).
signing_key_versions = Table(
    "signing_key_versions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("ciphertext", Text, nullable=False),
    Column("kek_id", String(32), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("previous_valid_until", UTCDateTime(), nullable=True),
)

# Failed authentications per fixed window, shared by every API process (when there is no Redis).
auth_failures = Table(
    "auth_failures",
    metadata,
    Column("scope", String(16), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("window_start", BigInteger, primary_key=True, index=True),
    Column("count", Integer, nullable=False),
)
