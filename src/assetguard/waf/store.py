"""The WAF store: every version of every web ACL, rule group, IP set and regex pattern set, in the
platform database, addressed by name only; the change generation proxies follow; proxy heartbeats.

A name matches AWS WAF's ``^[\\w\\-]{1,128}$`` (ASCII) and is checked before anything else; it is
a key in a table, never part of a file path. Every save is a new version (who, when, etag). A
save bumps ``waf_state.generation`` in the same transaction and, on PostgreSQL, sends
``NOTIFY assetguard_waf`` on commit; proxies in this process are woken directly. A proxy polls
the generation as well, so a lost notification costs at most one poll interval.

Example::

    store = WafStore(platform.db)
    saved = store.put("acl", "shop", document, actor="alice")   # StoredDocument(version=1, etag=...)
    store.get("acl", "shop").document == document
    store.versions("acl", "shop")                               # newest first
"""

from __future__ import annotations

import hashlib
import re
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, func, null, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from assetguard.core.clock import utcnow
from assetguard.core.errors import ConflictError, ValidationError
from assetguard.db.base import canonical_json
from assetguard.db.engine import Database
from assetguard.waf.tables import waf_documents, waf_proxies, waf_state

NAME_RE = re.compile(r"[\w-]{1,128}", re.ASCII)
NAME_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"  # the same, for OpenAPI schemas (FastAPI ``pattern=``)
NOTIFY_CHANNEL = "assetguard_waf"

# Store kind -> the WAFv2 document type (``Create<Type>`` shape) it holds.
KINDS = {"acl": "WebACL", "rule-group": "RuleGroup", "ip-set": "IPSet", "regex-pattern-set": "RegexPatternSet"}
RESOURCE_KINDS = {v: k for k, v in KINDS.items() if k != "acl"}  # AclResources kind -> store kind
# The managed IP lists (``managed:ipset/<name>``) refreshed by ``waf update-lists`` and the scheduler:
# versioned here like the documents above, but never a WAFv2 document of the API.
MANAGED_LIST_KIND = "managed-ip-list"
_STORE_KINDS = {*KINDS, MANAGED_LIST_KIND}

AuditHook = Callable[[Connection, "StoredDocument | None", "StoredDocument"], None]


def check_name(name: object, where: str = "name") -> str:
    """``name`` if it is a valid WAF name; otherwise a ValidationError that does not echo it."""
    if not isinstance(name, str) or NAME_RE.fullmatch(name) is None:
        raise ValidationError("a name is 1-128 characters of A-Z, a-z, 0-9, _ and -", where=where)
    return name


def check_kind(kind: str) -> str:
    if kind not in _STORE_KINDS:
        raise ValidationError(f"unknown kind {kind!r}; kinds: {', '.join(KINDS)}", where="kind")
    return kind


def etag_of(document: Any) -> str:
    """SHA-256 of the document's canonical JSON (sorted keys): equal documents, equal etags."""
    return hashlib.sha256(canonical_json(document).encode()).hexdigest()


@dataclass(frozen=True)
class StoredDocument:
    kind: str
    name: str
    version: int
    document: dict[str, Any] | None  # None: this version deletes the document
    etag: str
    created_at: datetime
    created_by: str

    def meta(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "version": self.version, "etag": self.etag,
                "created_at": self.created_at.isoformat(), "created_by": self.created_by,
                "deleted": self.document is None}


@dataclass(frozen=True)
class StoreState:
    generation: int
    reload_generation: int


@dataclass(frozen=True)
class ProxyBeat:
    """What a proxy reports about itself every few seconds."""

    id: str
    address: str
    acl: str
    version: int
    etag: str
    generation: int
    reload_generation: int
    health: str  # ok | degraded
    detail: str | None
    started_at: datetime


# --- in-process wake-ups (proxies inside this process: ``assetguard up``, tests) ----------------------

_local: weakref.WeakSet[threading.Event] = weakref.WeakSet()
_local_lock = threading.Lock()


def subscribe_local() -> threading.Event:
    """An event set after every change committed by this process (keep a reference to it)."""
    event = threading.Event()
    with _local_lock:
        _local.add(event)
    return event


def _wake_local() -> None:
    with _local_lock:
        events = list(_local)
    for event in events:
        event.set()


_ROW = (waf_documents.c.kind, waf_documents.c.name, waf_documents.c.version, waf_documents.c.document,
        waf_documents.c.etag, waf_documents.c.created_at, waf_documents.c.created_by)


def _stored(row: Any) -> StoredDocument:
    return StoredDocument(row.kind, row.name, int(row.version), row.document, row.etag, row.created_at,
                          row.created_by)


class WafStore:
    """Versioned WAF documents in the platform database (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- documents -------------------------------------------------------------------------------

    def get(self, kind: str, name: str, version: int | None = None, *,
            conn: Connection | None = None) -> StoredDocument | None:
        """The current version (None when there is none or it is deleted), or exactly ``version``."""
        check_kind(kind)
        check_name(name)
        query = select(*_ROW).where(waf_documents.c.kind == kind, waf_documents.c.name == name)
        if version is None:
            query = query.order_by(waf_documents.c.version.desc()).limit(1)
        else:
            query = query.where(waf_documents.c.version == version)
        if conn is None:
            with self.db.connect() as own:
                row = own.execute(query).first()
        else:
            row = conn.execute(query).first()
        if row is None or (version is None and row.document is None):
            return None
        return _stored(row)

    def etags(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
        """Current etag of each (kind, name); None for a missing or deleted document. One query."""
        if not keys:
            return {}
        newest = (select(waf_documents.c.kind, waf_documents.c.name,
                         func.max(waf_documents.c.version).label("version"))
                  .where(waf_documents.c.name.in_({name for _, name in keys}))
                  .group_by(waf_documents.c.kind, waf_documents.c.name).subquery())
        query = (select(waf_documents.c.kind, waf_documents.c.name, waf_documents.c.etag,
                        waf_documents.c.document.is_(None).label("deleted"))
                 .join(newest, and_(waf_documents.c.kind == newest.c.kind, waf_documents.c.name == newest.c.name,
                                    waf_documents.c.version == newest.c.version)))
        with self.db.connect() as conn:
            found = {(r.kind, r.name): (None if r.deleted else r.etag) for r in conn.execute(query)}
        return {key: found.get(key) for key in keys}

    def names(self, kind: str) -> list[dict[str, Any]]:
        """Current documents of a kind: name, version, etag, who and when (deleted ones left out)."""
        check_kind(kind)
        newest = (select(waf_documents.c.name, func.max(waf_documents.c.version).label("version"))
                  .where(waf_documents.c.kind == kind).group_by(waf_documents.c.name).subquery())
        query = (select(waf_documents.c.name, waf_documents.c.version, waf_documents.c.etag,
                        waf_documents.c.created_at, waf_documents.c.created_by)
                 .join(newest, and_(waf_documents.c.name == newest.c.name,
                                    waf_documents.c.version == newest.c.version))
                 .where(waf_documents.c.kind == kind, waf_documents.c.document.is_not(None))
                 .order_by(waf_documents.c.name))
        with self.db.connect() as conn:
            return [{"name": r.name, "version": int(r.version), "etag": r.etag,
                     "updated_at": r.created_at.isoformat(), "updated_by": r.created_by}
                    for r in conn.execute(query)]

    def versions(self, kind: str, name: str, limit: int = 100) -> list[StoredDocument]:
        """Every version, newest first (documents included)."""
        check_kind(kind)
        check_name(name)
        query = (select(*_ROW).where(waf_documents.c.kind == kind, waf_documents.c.name == name)
                 .order_by(waf_documents.c.version.desc()).limit(limit))
        with self.db.connect() as conn:
            return [_stored(r) for r in conn.execute(query)]

    def put(self, kind: str, name: str, document: dict[str, Any] | None, *, actor: str,
            if_match: str | None = None, audit: AuditHook | None = None) -> StoredDocument:
        """Save a new version (``document=None`` deletes); ``audit`` runs in the same transaction.

        ``if_match`` (an etag) refuses the save with ConflictError when the current version differs.
        """
        check_kind(kind)
        check_name(name)
        try:
            with self.db.begin() as conn:
                generation = _bump(conn, reload=False)
                before = self.get(kind, name, conn=conn)
                if if_match is not None and (before.etag if before else None) != if_match:
                    raise ConflictError(f"{kind} {name!r} changed since etag {if_match[:12]}; read it again")
                last = conn.execute(select(func.max(waf_documents.c.version)).where(
                    waf_documents.c.kind == kind, waf_documents.c.name == name)).scalar()
                saved = StoredDocument(kind, name, int(last or 0) + 1, document,
                                       etag_of(document), utcnow(), actor[:200])
                conn.execute(waf_documents.insert().values(
                    kind=kind, name=name, version=saved.version, document=null() if document is None else document, etag=saved.etag,
                    created_at=saved.created_at, created_by=saved.created_by, generation=generation))
                if audit is not None:
                    audit(conn, before, saved)
                _notify(conn, generation)
        except IntegrityError:
            raise ConflictError(f"{kind} {name!r} was saved concurrently; try again") from None
        _wake_local()
        return saved

    def prune_versions(self, kind: str, name: str, keep: int) -> int:
        """Delete all but the newest ``keep`` versions of one document; returns how many went."""
        check_kind(kind)
        check_name(name)
        with self.db.begin() as conn:
            newest = conn.execute(select(func.max(waf_documents.c.version)).where(
                waf_documents.c.kind == kind, waf_documents.c.name == name)).scalar()
            if newest is None or newest <= keep:
                return 0
            result = conn.execute(delete(waf_documents).where(
                waf_documents.c.kind == kind, waf_documents.c.name == name,
                waf_documents.c.version <= int(newest) - keep))
        return int(result.rowcount or 0)

    # --- generation and reload requests ---------------------------------------------------------------

    def state(self) -> StoreState:
        with self.db.connect() as conn:
            row = conn.execute(select(waf_state.c.generation, waf_state.c.reload_generation)
                               .where(waf_state.c.id == 1)).one()
        return StoreState(int(row.generation), int(row.reload_generation))

    def request_reload(self, audit: Callable[[Connection, int], None] | None = None) -> int:
        """Ask every proxy to compile its ACL again; returns the reload generation to wait for."""
        with self.db.begin() as conn:
            generation = _bump(conn, reload=True)
            reload_generation = int(conn.execute(select(waf_state.c.reload_generation)
                                                 .where(waf_state.c.id == 1)).scalar_one())
            if audit is not None:
                audit(conn, reload_generation)
            _notify(conn, generation)
        _wake_local()
        return reload_generation

    # --- heartbeats ------------------------------------------------------------------------------------

    def heartbeat(self, beat: ProxyBeat) -> None:
        values = {"address": beat.address[:300], "acl": beat.acl[:300], "version": beat.version, "etag": beat.etag,
                  "generation": beat.generation, "reload_generation": beat.reload_generation,
                  "health": beat.health, "detail": beat.detail[:2000] if beat.detail else None,
                  "seen_at": utcnow()}
        insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
        statement = insert(waf_proxies).values(id=beat.id[:100], started_at=beat.started_at, **values)
        with self.db.begin() as conn:
            conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_=values))

    def forget_proxy(self, proxy_id: str) -> None:
        with self.db.begin() as conn:
            conn.execute(delete(waf_proxies).where(waf_proxies.c.id == proxy_id))

    def proxies(self, *, alive_seconds: float, keep: timedelta = timedelta(hours=1)) -> list[dict[str, Any]]:
        """Proxies seen within ``keep`` (older rows are removed), each with ``alive``: seen within
        ``alive_seconds``."""
        now = utcnow()
        with self.db.begin() as conn:
            conn.execute(delete(waf_proxies).where(waf_proxies.c.seen_at < now - keep))
            rows = conn.execute(select(waf_proxies).order_by(waf_proxies.c.acl, waf_proxies.c.id)).all()
        return [{"id": r.id, "address": r.address, "acl": r.acl, "version": int(r.version), "etag": r.etag,
                 "generation": int(r.generation), "reload_generation": int(r.reload_generation),
                 "health": r.health, "detail": r.detail, "started_at": r.started_at.isoformat(),
                 "seen_at": r.seen_at.isoformat(), "alive": (now - r.seen_at).total_seconds() <= alive_seconds}
                for r in rows]


def _bump(conn: Connection, *, reload: bool) -> int:
    """Increase the generation (and the reload generation) first: on PostgreSQL this takes the row
    lock, so concurrent saves serialise before they read the newest version."""
    values: dict[str, Any] = {"generation": waf_state.c.generation + 1, "changed_at": utcnow()}
    if reload:
        values["reload_generation"] = waf_state.c.reload_generation + 1
    conn.execute(update(waf_state).where(waf_state.c.id == 1).values(**values))
    return int(conn.execute(select(waf_state.c.generation).where(waf_state.c.id == 1)).scalar_one())


def _notify(conn: Connection, generation: int) -> None:
    if conn.dialect.name == "postgresql":  # delivered when the transaction commits
        conn.execute(text("SELECT pg_notify(:channel, :payload)"),
                     {"channel": NOTIFY_CHANNEL, "payload": str(generation)})
