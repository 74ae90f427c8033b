"""``InventoryService``: store collections, diff them against stored state, answer queries.

Other domains use only this class::

    inventory = InventoryService(platform)
    summary = inventory.apply_collection("host", [ci], scope=[ci["arn"]])
    inventory.list_assets("AWS::EC2::SecurityGroup", region="eu-west-1", tag="env=prod")
    inventory.get("arn:aws:s3:::logs")          # newest configuration item (NotFoundError if unknown)
    inventory.history("arn:aws:s3:::logs")      # every version, newest first, with its diff

``apply_collection`` is one transaction: new, changed and vanished assets are written, each
change gets a history row, an ``Asset Configuration Change`` event and an audit row, and the
collection run itself is recorded (``PARTIAL`` with the reasons when some part failed).
Unchanged assets cost one hash comparison each and no writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import Connection, and_, func, select, text

from assetguard.auth.principal import SYSTEM, Principal
from assetguard.core.clock import new_id, utcnow
from assetguard.core.errors import NotFoundError, ValidationError
from assetguard.inventory.model import DELETED_STATUSES, ConfigurationItem, content_hash, scope_key
from assetguard.inventory.tables import inventory_assets, inventory_collections, inventory_history
from assetguard.inventory.writes import ChangeWriter, Incoming
from assetguard.runtime.platform import Platform

ADVISORY_LOCK = 0x696E76  # "inv"
CHUNK = 900  # stays under SQLite's bound-parameter limit in IN (...) lists


@dataclass
class CollectionError:
    """A part of a collection that failed: ``where`` names it (``123456789012/eu-west-1/s3``)."""

    where: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"where": self.where, "code": self.code, "message": self.message}


@dataclass
class CollectionSummary:
    collection_id: str
    source: str
    status: str  # COMPLETE | PARTIAL
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    errors: list[CollectionError] = field(default_factory=list)
    changes: list[tuple[str, str]] = field(default_factory=list)  # (changeType, arn)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {"collectionId": self.collection_id, "source": self.source, "status": self.status,
                "created": self.created, "updated": self.updated, "deleted": self.deleted,
                "unchanged": self.unchanged, "errors": [e.as_dict() for e in self.errors]}


@dataclass(slots=True)
class _Stored:
    hash: str
    state_id: int
    deleted: bool
    scope: str


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(values), CHUNK):
        yield values[i:i + CHUNK]


def normalise_item(raw: Any) -> dict[str, Any]:
    """Validate one configuration item and return its canonical dict.

    pydantic checks the envelope; ``configuration`` / ``supplementaryConfiguration`` are taken
    as given (they must be JSON values: :func:`content_hash` rejects anything else), because
    serialising arbitrary nested data through pydantic dominates the cost of a re-collection.
    """
    m = ConfigurationItem.model_validate(raw)
    out: dict[str, Any] = {
        "version": m.version, "accountId": m.account_id,
        "configurationItemCaptureTime": m.configuration_item_capture_time.isoformat()
        if m.configuration_item_capture_time else None,
        "configurationItemStatus": m.configuration_item_status, "configurationStateId": m.configuration_state_id,
        "arn": m.arn, "resourceType": m.resource_type, "resourceId": m.resource_id, "resourceName": m.resource_name,
        "awsRegion": m.aws_region, "availabilityZone": m.availability_zone,
        "resourceCreationTime": m.resource_creation_time.isoformat() if m.resource_creation_time else None,
        "tags": m.tags,
        "relationships": [{"resourceType": r.resource_type, "resourceId": r.resource_id,
                           "resourceName": r.resource_name, "relationshipName": r.relationship_name}
                          for r in m.relationships],
        "configuration": m.configuration, "supplementaryConfiguration": m.supplementary_configuration,
    }
    return out


def normalise_items(items: Iterable[dict[str, Any]], *, where: str = "items") -> list[tuple[dict[str, Any], str]]:
    """Validate configuration items and hash them; one ValidationError names every bad index."""
    out: list[tuple[dict[str, Any], str]] = []
    problems: list[str] = []
    for i, raw in enumerate(items):
        try:
            ci = normalise_item(raw)
            out.append((ci, content_hash(ci)))
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            problems.append(f"{where}[{i}].{loc}: {first['msg']}")
        except (TypeError, ValueError) as exc:
            problems.append(f"{where}[{i}]: not JSON-serialisable ({exc})")
        if len(problems) >= 5:
            break
    if problems:
        raise ValidationError("invalid configuration item(s): " + "; ".join(problems), where=where)
    return out


class InventoryService:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.db = platform.db

    # ------------------------------------------------------------------ writes
    def apply_collection(self, source: str, items: Iterable[dict[str, Any]], scope: Iterable[str] | None = None, *,
                         actor: Principal = SYSTEM, errors: Sequence[CollectionError] = (),
                         started_at: datetime | None = None, note: str | None = None) -> CollectionSummary:
        """Store one collection run and return what changed.

        ``scope`` lists the scope keys (see :func:`~assetguard.inventory.model.scope_key`) the run
        covered completely (a key ending in ``|*`` covers every key with that prefix, e.g.
        ``123456789012|eu-west-1|*`` = every type in that account and region); a stored, live asset in a covered key that is not in ``items`` is marked
        ``ResourceDeleted``. ``None`` covers nothing (an additive import). Items whose status is
        already ``ResourceDeleted`` mark their asset deleted. Parts that failed go in ``errors``
        (leave their keys out of ``scope``); the run is then recorded as ``PARTIAL``.
        """
        started = started_at or utcnow()
        now = utcnow()
        incoming: dict[str, Incoming] = {}
        for ci, digest in normalise_items(items):
            if ci["configurationItemCaptureTime"] is None:
                ci["configurationItemCaptureTime"] = now.isoformat()
            gone = ci["configurationItemStatus"] in DELETED_STATUSES
            incoming[ci["arn"]] = Incoming(ci, digest, scope_key(ci), gone)
        covered = sorted({k for k in scope or () if not k.endswith("|*")})
        prefixes = sorted({k[:-1] for k in scope or () if k.endswith("|*")})
        summary = CollectionSummary(new_id(), source, "PARTIAL" if errors else "COMPLETE", errors=list(errors))

        with self.db.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Collections read, then write: serialise them (SQLite's BEGIN IMMEDIATE already does).
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
            stored = self._stored_state(conn, list(incoming), covered, prefixes)
            covered_set = set(covered)
            creates: list[Incoming] = []
            updates: list[Incoming] = []
            deletes: list[str] = [arn for arn, s in stored.items()
                                  if not s.deleted and arn not in incoming
                                  and (s.scope in covered_set or any(s.scope.startswith(p) for p in prefixes))]
            explicit_deletes: list[Incoming] = []
            for arn, inc in incoming.items():
                old = stored.get(arn)
                if inc.deleted:
                    if old is None or not old.deleted:
                        explicit_deletes.append(inc)
                    else:
                        summary.unchanged += 1
                elif old is None or old.deleted:
                    creates.append(inc)
                elif old.hash != inc.hash:
                    updates.append(inc)
                else:
                    summary.unchanged += 1
            old_items = self._items(conn, [i.item["arn"] for i in updates] + deletes
                                    + [i.item["arn"] for i in explicit_deletes if i.item["arn"] in stored])
            writes = ChangeWriter(summary.collection_id, now)
            for inc in creates:
                old = stored.get(inc.item["arn"])
                writes.put(inc, "CREATE", old_item=None, state_id=(old.state_id + 1) if old else 1,
                           exists=old is not None, source=source)
            for inc in updates:
                arn = inc.item["arn"]
                writes.put(inc, "UPDATE", old_item=old_items[arn], state_id=stored[arn].state_id + 1, exists=True,
                           source=source)
            for arn in deletes:
                prev = old_items[arn]
                deleted_ci = {**prev, "configurationItemStatus": "ResourceDeleted",
                              "configurationItemCaptureTime": now.isoformat()}
                writes.put(Incoming(deleted_ci, stored[arn].hash, stored[arn].scope, True), "DELETE", old_item=prev,
                           state_id=stored[arn].state_id + 1, exists=True, source=source)
            for inc in explicit_deletes:
                arn = inc.item["arn"]
                old = stored.get(arn)
                writes.put(inc, "DELETE", old_item=old_items.get(arn), state_id=(old.state_id + 1) if old else 1,
                           exists=old is not None, source=source)
            writes.flush(conn, self.platform, actor)
            summary.created = len(creates)
            summary.updated = len(updates)
            summary.deleted = len(deletes) + len(explicit_deletes)
            summary.changes = writes.changes
            conn.execute(inventory_collections.insert().values(
                id=summary.collection_id, source=source, started_at=started, finished_at=utcnow(),
                status=summary.status, actor=actor.name,
                summary={k: v for k, v in summary.as_dict().items() if k != "errors"},
                errors=[e.as_dict() for e in summary.errors], note=note))
            self.platform.audit.record(conn, actor, "inventory.collect", f"inventory/collection/{summary.collection_id}",
                                       after=summary.as_dict())
        return summary

    def _stored_state(self, conn: Connection, arns: list[str], covered: list[str], prefixes: list[str]
                      ) -> dict[str, _Stored]:
        """Hash, state id, deleted flag and scope of every stored asset in scope or among ``arns``.

        The scope is read first: for a full re-collection it already holds every incoming ARN, so
        the per-ARN lookups that follow find nothing left to ask for.
        """
        t = inventory_assets.c
        cols = (t.arn, t.config_hash, t.state_id, t.deleted, t.scope_key)
        out: dict[str, _Stored] = {}
        for part in _chunks(covered):
            for r in conn.execute(select(*cols).where(and_(t.scope_key.in_(part), t.deleted.is_(False)))):
                out[r[0]] = _Stored(r[1], r[2], bool(r[3]), r[4])
        for prefix in prefixes:
            escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = select(*cols).where(and_(t.scope_key.like(escaped + "%", escape="\\"), t.deleted.is_(False)))
            for r in conn.execute(stmt):
                out[r[0]] = _Stored(r[1], r[2], bool(r[3]), r[4])
        missing = [a for a in arns if a not in out]
        for part in _chunks(missing):
            for r in conn.execute(select(*cols).where(t.arn.in_(part))):
                out[r[0]] = _Stored(r[1], r[2], bool(r[3]), r[4])
        return out

    def _items(self, conn: Connection, arns: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for part in _chunks(arns):
            for r in conn.execute(select(inventory_assets.c.arn, inventory_assets.c.item)
                                  .where(inventory_assets.c.arn.in_(part))):
                out[r[0]] = r[1]
        return out

    # ------------------------------------------------------------------ reads
    def get(self, arn: str) -> dict[str, Any]:
        """The newest configuration item of ``arn`` (deleted assets included)."""
        with self.db.connect() as conn:
            item = conn.execute(select(inventory_assets.c.item).where(inventory_assets.c.arn == arn)).scalar()
        if item is None:
            raise NotFoundError(f"no asset with ARN {arn!r}")
        return dict(item)

    def history(self, arn: str) -> list[dict[str, Any]]:
        """Every recorded version of ``arn``, newest first.

        Each entry: ``{"configurationStateId", "changeType", "configurationItemCaptureTime",
        "collectionId", "configurationItem": CI, "diff": {"changedProperties": ..., "changeType"}}``.
        """
        stmt = (select(inventory_history).where(inventory_history.c.arn == arn)
                .order_by(inventory_history.c.state_id.desc(), inventory_history.c.id.desc()))
        with self.db.connect() as conn:
            rows = conn.execute(stmt).all()
        if not rows:
            self.get(arn)  # raises NotFoundError
        return [{"configurationStateId": str(r.state_id), "changeType": r.change_type,
                 "configurationItemCaptureTime": r.capture_time.isoformat(), "collectionId": r.collection_id,
                 "configurationItem": r.item, "diff": r.diff} for r in rows]

    def list_assets(self, resource_type: str | None = None, include_deleted: bool = False, **filters: Any
                    ) -> list[dict[str, Any]]:
        """Configuration items matching every filter, ordered by type then ARN.

        Filters: ``region``, ``account_id``, ``source``, ``resource_id``, ``tag`` (``"K=V"``, ``"K"``, a
        ``{K: V}`` dict, or a list of those), ``search`` (substring of ARN or name, case-insensitive),
        ``limit``, ``offset``.
        """
        allowed = {"region", "account_id", "source", "resource_id", "tag", "search", "limit", "offset"}
        unknown = set(filters) - allowed
        if unknown:
            raise ValidationError(f"unknown inventory filter(s) {sorted(unknown)}; valid: {sorted(allowed)}")
        t = inventory_assets.c
        stmt = select(t.item).order_by(t.resource_type, t.arn)
        if resource_type:
            stmt = stmt.where(t.resource_type == resource_type)
        if not include_deleted:
            stmt = stmt.where(t.deleted.is_(False))
        for key, col in (("region", t.region), ("account_id", t.account_id), ("source", t.source),
                         ("resource_id", t.resource_id)):
            if filters.get(key):
                stmt = stmt.where(col == filters[key])
        if filters.get("search"):
            needle = f"%{str(filters['search']).lower()}%"
            stmt = stmt.where(func.lower(t.arn).like(needle) | func.lower(func.coalesce(t.resource_name, "")).like(needle))
        wanted = _tag_filters(filters.get("tag"))
        limit, offset = filters.get("limit"), int(filters.get("offset") or 0)
        if not wanted:
            if limit is not None:
                stmt = stmt.limit(int(limit))
            stmt = stmt.offset(offset)
        with self.db.connect() as conn:
            items = [r[0] for r in conn.execute(stmt)]
        if wanted:
            items = [i for i in items if all(k in (i.get("tags") or {}) and (v is None or i["tags"][k] == v)
                                             for k, v in wanted)]
            items = items[offset:offset + int(limit)] if limit is not None else items[offset:]
        return items

    def count(self, *, include_deleted: bool = False) -> dict[str, int]:
        """Number of assets per resource type."""
        t = inventory_assets.c
        stmt = select(t.resource_type, func.count()).group_by(t.resource_type)
        if not include_deleted:
            stmt = stmt.where(t.deleted.is_(False))
        with self.db.connect() as conn:
            return {r[0]: int(r[1]) for r in conn.execute(stmt)}

    def collections(self, limit: int = 50) -> list[dict[str, Any]]:
        """Recent collection runs, newest first, with their status and errors."""
        stmt = select(inventory_collections).order_by(inventory_collections.c.finished_at.desc()).limit(limit)
        with self.db.connect() as conn:
            return [{**dict(r._mapping), "started_at": r.started_at.isoformat(),
                     "finished_at": r.finished_at.isoformat()} for r in conn.execute(stmt)]


def _tag_filters(value: Any) -> list[tuple[str, str | None]]:
    if not value:
        return []
    if isinstance(value, dict):
        return [(str(k), None if v is None else str(v)) for k, v in value.items()]
    values = [value] if isinstance(value, str) else list(value)
    out: list[tuple[str, str | None]] = []
    for v in values:
        key, sep, val = str(v).partition("=")
        out.append((key, val if sep else None))
    return out
