"""API tokens: created with a role, stored hashed, shown once, revocable.

>>> token, plaintext = tokens.create("ci-bot", "operator", actor=cli_principal())
>>> tokens.authenticate(plaintext).role
'operator'
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from assetguard.audit.trail import AuditTrail
from assetguard.auth.principal import ROLE_RANK, Principal, Role
from assetguard.auth.tables import api_tokens
from assetguard.core.clock import utcnow
from assetguard.core.errors import ConflictError, NotFoundError, ValidationError
from assetguard.db.engine import Database

PREFIX = "ag_"
# "Last used" is recorded to the minute: a token used continuously costs one write a minute.
LAST_USED_RESOLUTION = timedelta(seconds=60)
log = logging.getLogger(__name__)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    id: str
    name: str
    role: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role": self.role, "created_at": self.created_at,
                "created_by": self.created_by, "last_used_at": self.last_used_at, "revoked_at": self.revoked_at}


class TokenService:
    def __init__(self, db: Database, audit: AuditTrail) -> None:
        self.db = db
        self.audit = audit

    def create(self, name: str, role: str, *, actor: Principal) -> tuple[TokenInfo, str]:
        """Create a token; the plaintext is returned once and never stored."""
        if role not in ROLE_RANK:
            raise ValidationError(f"unknown role {role!r}; valid roles: {', '.join(ROLE_RANK)}", where="role")
        if not name or len(name) > 200:
            raise ValidationError("token name must be 1-200 characters", where="name")
        token_id = secrets.token_hex(4)
        plaintext = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        now = utcnow()
        with self.db.begin() as conn:
            if conn.execute(select(api_tokens.c.id).where(api_tokens.c.name == name)).first():
                raise ConflictError(f"a token named {name!r} already exists")
            conn.execute(api_tokens.insert().values(
                id=token_id, name=name, role=role, token_hash=hash_token(plaintext), created_at=now,
                created_by=actor.name))
            self.audit.record(conn, actor, "auth.token_create", f"token/{name}",
                              after={"id": token_id, "name": name, "role": role})
        return TokenInfo(token_id, name, role, now, actor.name, None, None), plaintext

    def revoke(self, name_or_id: str, *, actor: Principal) -> TokenInfo:
        with self.db.begin() as conn:
            row = conn.execute(select(api_tokens).where(
                (api_tokens.c.name == name_or_id) | (api_tokens.c.id == name_or_id))).first()
            if row is None:
                raise NotFoundError(f"no token named {name_or_id!r}")
            if row.revoked_at is None:
                now = utcnow()
                conn.execute(update(api_tokens).where(api_tokens.c.id == row.id).values(revoked_at=now))
                self.audit.record(conn, actor, "auth.token_revoke", f"token/{row.name}",
                                  before={"revoked": False}, after={"revoked": True})
        return self.get(row.id)

    def get(self, token_id: str) -> TokenInfo:
        with self.db.connect() as conn:
            row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
        if row is None:
            raise NotFoundError(f"no token with id {token_id!r}")
        return _info(row)

    def list(self) -> list[TokenInfo]:
        with self.db.connect() as conn:
            return [_info(r) for r in conn.execute(select(api_tokens).order_by(api_tokens.c.created_at))]

    def count_active(self, role: Role | None = None) -> int:
        return sum(1 for t in self.list() if t.revoked_at is None and (role is None or t.role == role))

    def authenticate(self, plaintext: str) -> Principal | None:
        """The principal for a valid, unrevoked token, or None."""
        if not plaintext.startswith(PREFIX):
            return None
        digest = hash_token(plaintext)
        with self.db.connect() as conn:
            row = conn.execute(select(api_tokens).where(api_tokens.c.token_hash == digest)).first()
        if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, digest):
            return None
        now = utcnow()
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
            self.touch(row.id, now=now)
        return Principal(row.name, row.role, kind="token", token_id=row.id)

    def touch(self, token_id: str, *, now: datetime | None = None) -> None:
        """Record that the token was used; at most one write per token per ``LAST_USED_RESOLUTION``
        across all processes (the condition is in the UPDATE), so a busy client costs one write a
        minute. A write that fails (a locked SQLite file) is skipped: the next use records it."""
        now = now or utcnow()
        stale = or_(api_tokens.c.last_used_at.is_(None), api_tokens.c.last_used_at <= now - LAST_USED_RESOLUTION)
        try:
            with self.db.begin() as conn:
                conn.execute(update(api_tokens).where(api_tokens.c.id == token_id, stale).values(last_used_at=now))
        except SQLAlchemyError as exc:
            log.debug("token %s last-used not recorded: %s", token_id, type(exc).__name__)


def _info(row: Any) -> TokenInfo:
    return TokenInfo(row.id, row.name, row.role, row.created_at, row.created_by, row.last_used_at, row.revoked_at)
