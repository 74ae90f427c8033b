"""Event archives and replays, with EventBridge's semantics.

An *archive* keeps the events the bus dispatches: all of them, or those matching its event
pattern, for ``retention_days`` (0 keeps them indefinitely). Replayed events are never archived.
A *replay* re-puts the archived events whose envelope ``time`` lies in ``[start, end)`` with
``replay-name`` set, to the rules named (EventBridge's ``Destination.FilterArns``) or, when none
are named, to every enabled rule. A replay name is used once; replayed deliveries are keyed by
``(event id, replay name, rule, target)``, so they never collide with the live ones, and their
maximum event age counts from the replay::

    archives = Archives(platform)
    archives.create(ArchiveSpec(name="security", pattern={"source": ["assetguard.findings"]},
                                retention_days=30), actor=principal)
    archives.replay(ReplaySpec(name="fix-1", archive="security", start=t0, end=t1,
                               rules=["security-alerts"]), actor=principal)
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Connection, LargeBinary, Text, cast, delete, func, insert, select

from assetguard.auth.principal import Principal
from assetguard.core.clock import utcnow
from assetguard.core.errors import ConflictError, NotFoundError, ValidationError
from assetguard.events.pattern import CompiledPattern, compile_pattern
from assetguard.events.tables import event_archive_events, event_archives, event_replays

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

NAME_PATTERN = r"^[.\-_A-Za-z0-9]{1,48}$"  # EventBridge's archive and replay names
REPLAY_BATCH = 500


class ArchiveSpec(BaseModel):
    """An archive: which events (``pattern``, or all when ``None``) and for how long."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    description: str = Field(default="", max_length=512)
    pattern: dict[str, Any] | None = None
    retention_days: int = Field(default=0, ge=0, le=36500)

    @field_validator("pattern")
    @classmethod
    def _valid_pattern(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            compile_pattern(value)  # raises ValidationError naming the JSON path
        return value


class ReplaySpec(BaseModel):
    """A replay of ``archive``'s events with ``start <= time < end`` to ``rules`` (all when empty)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    archive: str = Field(pattern=NAME_PATTERN)
    start: datetime
    end: datetime
    rules: list[str] = Field(default_factory=list)

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # no zone given: UTC

    @model_validator(mode="after")
    def _ordered(self) -> ReplaySpec:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


def replay_request_schema() -> dict[str, Any]:
    """The body of ``POST /events/replays``: a :class:`ReplaySpec` whose ``name`` may be left out (one is
    made from the archive and the time). ``end`` after ``start`` is the one rule JSON Schema cannot say."""
    schema = ReplaySpec.model_json_schema()
    schema["required"] = [key for key in schema.get("required", []) if key != "name"]
    schema["properties"]["end"]["description"] = "after start"
    return schema


def parse_spec(model: type[ArchiveSpec] | type[ReplaySpec], data: Mapping[str, Any]) -> Any:
    """Validate user input into ``model``; errors become one ValidationError naming each field."""
    from pydantic import ValidationError as PydanticValidationError

    try:
        return model.model_validate(dict(data))
    except PydanticValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())) or '(body)'}: {e.get('msg', 'invalid')}"
                             for e in exc.errors())
        raise ValidationError(problems) from None


def event_time(event: Mapping[str, Any], default: datetime) -> datetime:
    """The envelope's ``time`` as an aware datetime (``default`` when missing or unreadable)."""
    text = event.get("time")
    if not isinstance(text, str):
        return default
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return default
    return parsed if parsed.tzinfo is not None else default


class ArchiveFilter:
    """The archives compiled for the dispatcher, reloaded at most every ``check_seconds``; expired
    archived events are purged at most every ``purge_seconds``."""

    def __init__(self, platform: Platform, check_seconds: float = 1.0, purge_seconds: float = 600.0) -> None:
        self.platform = platform
        self.check_seconds = check_seconds
        self.purge_seconds = purge_seconds
        self._checked = -1e9
        self._purged = -1e9
        self._archives: list[tuple[str, CompiledPattern | None]] = []

    def archives(self) -> list[tuple[str, CompiledPattern | None]]:
        """Reload (and purge) when due; call outside a transaction, before :meth:`record`."""
        now = time.monotonic()
        if now - self._checked >= self.check_seconds:
            self._checked = now
            with self.platform.db.connect() as conn:
                rows = conn.execute(select(event_archives.c.name, event_archives.c.pattern)
                                    .order_by(event_archives.c.name)).all()
            self._archives = [(r.name, compile_pattern(r.pattern) if r.pattern else None) for r in rows]
            if self._archives and now - self._purged >= self.purge_seconds:
                self._purged = now
                Archives(self.platform).purge_expired()
        return self._archives

    def invalidate(self) -> None:
        self._checked = -1e9

    def record(self, conn: Connection, events: Sequence[Mapping[str, Any]], now: datetime) -> int:
        """Archive ``events`` (in the caller's transaction) in the archives as last loaded by
        :meth:`archives`; replayed events are skipped."""
        archives = self._archives
        if not archives:
            return 0
        rows = []
        for event in events:
            if "replay-name" in event:
                continue
            for name, pattern in archives:
                if pattern is None or pattern.matches(event):
                    rows.append({"archive": name, "event_id": str(event.get("id", "")),
                                 "event_time": event_time(event, now), "archived_at": now, "event": dict(event)})
        if rows:
            conn.execute(insert(event_archive_events), rows)
        return len(rows)


class Archives:
    """Create, list and delete archives; replay them (each change audited)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def create(self, spec: ArchiveSpec, *, actor: Principal) -> dict[str, Any]:
        with self.platform.db.begin() as conn:
            if conn.execute(select(event_archives.c.name).where(event_archives.c.name == spec.name)).first():
                raise ConflictError(f"an archive named {spec.name!r} exists already", where="name")
            conn.execute(insert(event_archives).values(
                name=spec.name, description=spec.description, pattern=spec.pattern,
                retention_days=spec.retention_days, created_at=utcnow()))
            self.platform.audit.record(conn, actor, "events.archive.create", f"archive/{spec.name}",
                                       after=spec.model_dump())
        return self.get(spec.name)

    def get(self, name: str) -> dict[str, Any]:
        for archive in self.list_archives():
            if archive["name"] == name:
                return archive
        raise NotFoundError(f"no archive named {name!r}")

    def list_archives(self) -> list[dict[str, Any]]:
        """Archives with ``event_count`` and ``size_bytes`` (the archived events' JSON, UTF-8)."""
        with self.platform.db.connect() as conn:
            events = event_archive_events.c
            size = (func.octet_length(cast(events.event, Text)) if conn.dialect.name == "postgresql"
                    else func.length(cast(events.event, LargeBinary)))
            counts = (select(events.archive, func.count().label("n"), func.sum(size).label("size"))
                      .group_by(events.archive).subquery())
            stmt = (select(event_archives, func.coalesce(counts.c.n, 0).label("event_count"),
                           func.coalesce(counts.c.size, 0).label("size_bytes"))
                    .outerjoin(counts, counts.c.archive == event_archives.c.name).order_by(event_archives.c.name))
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def delete(self, name: str, *, actor: Principal) -> None:
        with self.platform.db.begin() as conn:
            if not conn.execute(select(event_archives.c.name).where(event_archives.c.name == name)).first():
                raise NotFoundError(f"no archive named {name!r}")
            conn.execute(delete(event_archive_events).where(event_archive_events.c.archive == name))
            conn.execute(delete(event_archives).where(event_archives.c.name == name))
            self.platform.audit.record(conn, actor, "events.archive.delete", f"archive/{name}")

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete archived events older than their archive's retention (0 days: kept)."""
        now = now or utcnow()
        removed = 0
        with self.platform.db.begin() as conn:
            for name, days in conn.execute(select(event_archives.c.name, event_archives.c.retention_days)
                                           .where(event_archives.c.retention_days > 0)).all():
                result = conn.execute(delete(event_archive_events).where(
                    event_archive_events.c.archive == name,
                    event_archive_events.c.archived_at < now - timedelta(days=days)))
                removed += result.rowcount or 0
        return removed

    def list_replays(self) -> list[dict[str, Any]]:
        """Newest first; ``events_total`` is the number of archived events in the replay's window
        (counted for a RUNNING replay, so ``events_replayed`` of ``events_total`` is its progress)."""
        c = event_archive_events.c
        with self.platform.db.connect() as conn:
            replays = [dict(r._mapping) for r in conn.execute(
                select(event_replays).order_by(event_replays.c.started_at.desc()))]
            for replay in replays:
                replay["events_total"] = replay["events_replayed"] if replay["state"] != "RUNNING" else conn.execute(
                    select(func.count()).where(c.archive == replay["archive"], c.event_time >= replay["start_time"],
                                               c.event_time < replay["end_time"])).scalar_one()
        return replays

    def replay(self, spec: ReplaySpec, *, actor: Principal) -> dict[str, Any]:
        """Re-put the archived events in ``[start, end)`` with ``replay-name`` to the rules named.

        Returns the replay record (``events_replayed``, ``deliveries``). Unknown archive or rule
        names, and a replay name used before, are errors.
        """
        from assetguard.events.dispatch import insert_ignore, replay_delivery_rows
        from assetguard.events.rule_store import RuleStore
        from assetguard.events.ruleset import RuleSet

        self.get(spec.archive)
        known = {stored.rule.name: stored.rule for stored in RuleStore(self.platform).list_rules()}
        for index, rule in enumerate(spec.rules):
            if rule not in known:
                raise NotFoundError(f"no rule named {rule!r}", where=f"rules[{index}]")
            if known[rule].state != "ENABLED":
                raise ValidationError(f"rule {rule!r} is DISABLED and would receive nothing; enable it to "
                                      "replay to it", where=f"rules[{index}]")
        chosen = [known[r] for r in spec.rules] if spec.rules else list(known.values())
        ruleset = RuleSet(chosen, self.platform.settings)
        started = utcnow()
        with self.platform.db.begin() as conn:
            if conn.execute(select(event_replays.c.name).where(event_replays.c.name == spec.name)).first():
                raise ConflictError(f"a replay named {spec.name!r} exists already; replay names are used once",
                                    where="name")
            conn.execute(insert(event_replays).values(
                name=spec.name, archive=spec.archive, start_time=spec.start, end_time=spec.end, rules=spec.rules,
                state="RUNNING", events_replayed=0, deliveries=0, started_at=started))
            self.platform.audit.record(conn, actor, "events.replay.start", f"replay/{spec.name}",
                                       after=spec.model_dump(mode="json"))
        events = deliveries = 0
        c = event_archive_events.c
        last_id = 0
        while True:
            with self.platform.db.begin() as conn:
                batch = conn.execute(select(c.id, c.event).where(
                    c.archive == spec.archive, c.event_time >= spec.start, c.event_time < spec.end, c.id > last_id)
                    .order_by(c.id).limit(REPLAY_BATCH)).all()
                if not batch:
                    break
                last_id = batch[-1].id
                now = utcnow()
                rows: list[dict[str, Any]] = []
                for row in batch:
                    rows.extend(replay_delivery_rows(ruleset, {**row.event, "replay-name": spec.name}, now))
                insert_ignore(conn, rows)
                events += len(batch)
                deliveries += len(rows)
                # Progress, visible to list_replays while the replay runs.
                conn.execute(event_replays.update().where(event_replays.c.name == spec.name).values(
                    events_replayed=events, deliveries=deliveries))
        with self.platform.db.begin() as conn:
            conn.execute(event_replays.update().where(event_replays.c.name == spec.name).values(
                state="COMPLETED", events_replayed=events, deliveries=deliveries, finished_at=utcnow()))
        return next(r for r in self.list_replays() if r["name"] == spec.name)
