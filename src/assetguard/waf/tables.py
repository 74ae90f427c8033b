"""Tables of the WAF domain: versioned documents, the change generation, proxy heartbeats.

``waf_documents`` keeps every saved version of every web ACL, rule group, IP set and regex
pattern set (one row per save: who, when, the document and its etag). ``waf_state`` holds one
row whose ``generation`` grows with every change, so a proxy learns of any change with one cheap
read. ``waf_proxies`` is one row per running proxy, rewritten by its heartbeat.
"""

from __future__ import annotations

import sqlalchemy as sa

from assetguard.db.base import JSONType, UTCDateTime, metadata

waf_documents = sa.Table(
    "waf_documents", metadata,
    sa.Column("kind", sa.String(32), nullable=False),  # acl | rule-group | ip-set | regex-pattern-set
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("document", JSONType, nullable=True),  # None: deleted in this version
    sa.Column("etag", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("kind", "name", "version", name="pk_waf_documents"),
)

waf_state = sa.Table(
    "waf_state", metadata,
    sa.Column("id", sa.Integer, nullable=False, autoincrement=False),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("reload_generation", sa.Integer, nullable=False),
    sa.Column("changed_at", UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint("id", name="pk_waf_state"),
)

waf_proxies = sa.Table(
    "waf_proxies", metadata,
    sa.Column("id", sa.String(100), nullable=False),
    sa.Column("address", sa.String(300), nullable=False),
    sa.Column("acl", sa.String(300), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # 0: a built-in ACL or a file
    sa.Column("etag", sa.String(64), nullable=False),
    sa.Column("generation", sa.Integer, nullable=False),  # the change generation the proxy has applied
    sa.Column("reload_generation", sa.Integer, nullable=False),  # the last reload request it honoured
    sa.Column("health", sa.String(16), nullable=False),  # ok | degraded
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("seen_at", UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id", name="pk_waf_proxies"),
)
