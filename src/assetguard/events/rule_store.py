"""Rule storage: put, delete, enable, disable (each audited in the same transaction).

Shipped default rules are installed once (``install_defaults``); after that they are ordinary
rows a user may edit, disable or delete, and a deleted default is not re-created at restart::

    store = RuleStore(platform)
    store.put(rule, actor=cli_principal())
    store.set_state("security-alerts", "DISABLED", actor=cli_principal())

Secrets in target configs are shown masked (``***``); a rule put back with a masked value keeps
the secret stored for that target (:meth:`RuleStore.restore_masked`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from assetguard.audit.trail import AuditEntry
from assetguard.auth.principal import SYSTEM, Principal
from assetguard.core.clock import utcnow
from assetguard.core.errors import NotFoundError, ValidationError
from assetguard.core.redact import contains_mask
from assetguard.events.default_rules import load_default_rules
from assetguard.events.rules import Rule
from assetguard.events.tables import event_default_rules, event_rules
from assetguard.targets.base import public_target, restore_target_config, validate_target_config

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform


@dataclass(frozen=True)
class StoredRule:
    rule: Rule
    origin: str
    revision: int

    def as_dict(self) -> dict[str, Any]:
        """The rule as shown by the API and CLI: target secrets masked."""
        return {**(public_document(self.rule.document()) or {}), "origin": self.origin, "revision": self.revision}


def public_document(document: dict[str, Any] | None) -> dict[str, Any] | None:
    """A rule document as shown by the API, console, CLI and audit trail: each target through
    :func:`~assetguard.targets.base.public_target` (secrets ``***``)."""
    if document is None:
        return None
    return {**document, "targets": [public_target(t) for t in document.get("targets", [])]}


def parse_rule(document: dict[str, Any]) -> Rule:
    """Validate a rule document (API/JSON); errors name the field path."""
    try:
        rule = Rule.model_validate(document)
    except PydanticValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())) or '(rule)'}: "
                             f"{'unknown key' if e.get('type') == 'extra_forbidden' else e.get('msg', 'invalid')}"
                             for e in exc.errors())
        raise ValidationError(problems) from None
    check_targets(rule)
    return rule


def check_targets(rule: Rule) -> None:
    for index, target in enumerate(rule.targets):
        validate_target_config(target.type, target.config, where=f"targets[{index}].config")


class RuleStore:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.db = platform.db

    def list_rules(self) -> list[StoredRule]:
        with self.db.connect() as conn:
            rows = conn.execute(select(event_rules).order_by(event_rules.c.name)).all()
        return [_stored(r) for r in rows]

    def get(self, name: str) -> StoredRule:
        with self.db.connect() as conn:
            row = conn.execute(select(event_rules).where(event_rules.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"no rule named {name!r}")
        return _stored(row)

    def restore_masked(self, document: dict[str, Any]) -> dict[str, Any]:
        """A submitted rule document whose masked secrets (``***``, as ``GET /rules`` shows them)
        keep the values stored for the same target id and type, as consoles do on re-submit.

        A masked value with nothing stored behind it is a ValidationError naming its path.
        """
        targets = document.get("targets")
        if not isinstance(targets, list) or not contains_mask(targets):
            return document
        with self.db.connect() as conn:
            row = conn.execute(select(event_rules.c.document).where(event_rules.c.name == document.get("name"))).first()
        stored = {t.get("id"): t for t in (row.document.get("targets", []) if row is not None else [])}
        restored: list[Any] = []
        for index, target in enumerate(targets):
            if not isinstance(target, dict) or not isinstance(target.get("config"), dict):
                restored.append(target)
                continue
            old = stored.get(target.get("id"))
            old_config = old.get("config") if old is not None and old.get("type") == target.get("type") else None
            config = restore_target_config(target["config"], old_config, where=f"targets[{index}].config")
            restored.append({**target, "config": config})
        return {**document, "targets": restored}

    def version(self) -> tuple[int, Any]:
        """Changes whenever any rule changes (the worker recompiles on change)."""
        with self.db.connect() as conn:
            count, latest, total = conn.execute(
                select(func.count(), func.max(event_rules.c.updated_at), func.sum(event_rules.c.revision))).one()
        return (int(count), (latest, total))

    def put(self, rule: Rule, *, actor: Principal, origin: str = "user") -> StoredRule:
        """Create or replace a rule."""
        return self.put_many([rule], actor=actor, origin=origin)[0]

    def put_many(self, rules: Sequence[Rule], *, actor: Principal, origin: str = "user") -> list[StoredRule]:
        """Create or replace rules in one transaction; all are validated before any is written."""
        rules = [rule if not contains_mask(rule.document().get("targets", []))
                 else Rule.model_validate(self.restore_masked(rule.document())) for rule in rules]
        for rule in rules:
            check_targets(rule)
        with self.db.begin() as conn:
            return [self._put(conn, rule, actor, origin) for rule in rules]

    def _put(self, conn: Any, rule: Rule, actor: Principal, origin: str) -> StoredRule:
        now = utcnow()
        document = rule.document()
        old = conn.execute(select(event_rules).where(event_rules.c.name == rule.name)).first()
        if old is None:
            conn.execute(insert(event_rules).values(
                name=rule.name, description=rule.description, state=rule.state, document=document,
                origin=origin, revision=1, created_at=now, updated_at=now))
            revision = 1
        else:
            revision = old.revision + 1
            conn.execute(update(event_rules).where(event_rules.c.name == rule.name).values(
                description=rule.description, state=rule.state, document=document, revision=revision,
                updated_at=now, origin=origin))
        self.platform.audit.record(conn, actor, "events.rule.put", f"rule/{rule.name}",
                                   before=public_document(old.document) if old is not None else None,
                                   after=public_document(document))
        return StoredRule(rule, origin, revision)

    def delete(self, name: str, *, actor: Principal) -> None:
        with self.db.begin() as conn:
            old = conn.execute(select(event_rules).where(event_rules.c.name == name)).first()
            if old is None:
                raise NotFoundError(f"no rule named {name!r}")
            conn.execute(delete(event_rules).where(event_rules.c.name == name))
            self.platform.audit.record(conn, actor, "events.rule.delete", f"rule/{name}",
                                       before=public_document(old.document))

    def set_state(self, name: str, state: str, *, actor: Principal) -> StoredRule:
        if state not in ("ENABLED", "DISABLED"):
            raise ValidationError(f"state must be ENABLED or DISABLED, got {state!r}")
        with self.db.begin() as conn:
            old = conn.execute(select(event_rules).where(event_rules.c.name == name)).first()
            if old is None:
                raise NotFoundError(f"no rule named {name!r}")
            document = {**old.document, "state": state}
            conn.execute(update(event_rules).where(event_rules.c.name == name).values(
                state=state, document=document, revision=old.revision + 1, updated_at=utcnow()))
            action = "events.rule.enable" if state == "ENABLED" else "events.rule.disable"
            self.platform.audit.record(conn, actor, action, f"rule/{name}", before={"state": old.state},
                                       after={"state": state})
        return self.get(name)

    def install_defaults(self, rules: Sequence[Rule] | None = None) -> list[str]:
        """Install shipped default rules not installed before; returns the names installed.

        Safe when several workers start at once: each default is claimed with one
        ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` into ``event_default_rules``, so exactly one
        caller gets each name back and installs it; the others wait for that claim's transaction
        (PostgreSQL) or for the write lock (SQLite) and skip the name.
        """
        defaults = {rule.name: rule for rule in (rules if rules is not None else load_default_rules())}
        if not defaults:
            return []
        now = utcnow()
        # Sorted, so concurrent claimers lock the same keys in the same order (no deadlock).
        names = sorted(defaults)
        with self.db.begin() as conn:
            dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            claim = dialect_insert(event_default_rules).on_conflict_do_nothing(index_elements=["name"])
            claimed = set(conn.execute(claim.returning(event_default_rules.c.name),
                                       [{"name": name, "installed_at": now} for name in names]).scalars())
            if not claimed:
                return []
            rows = [_default_row(defaults[name], now) for name in names if name in claimed]
            # A user's rule of the same name (created before, or concurrently) stays as it is.
            insert_rule = dialect_insert(event_rules).on_conflict_do_nothing(index_elements=["name"])
            installed = set(conn.execute(insert_rule.returning(event_rules.c.name), rows).scalars())
            entries = [AuditEntry("events.rule.install-default", f"rule/{row['name']}",
                                  after=public_document(row["document"])) for row in rows if row["name"] in installed]
            self.platform.audit.record_many(conn, SYSTEM, entries)
        return [name for name in names if name in installed]

def _default_row(rule: Rule, now: datetime) -> dict[str, Any]:
    return {"name": rule.name, "description": rule.description, "state": rule.state, "document": rule.document(),
            "origin": "default", "revision": 1, "created_at": now, "updated_at": now}


def _stored(row: Any) -> StoredRule:
    return StoredRule(Rule.model_validate(row.document), row.origin, row.revision)
