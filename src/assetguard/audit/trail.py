"""The audit trail service: record, query, verify, export.

Every state change records one row in the same transaction as the change itself::

    with platform.db.begin() as conn:
        conn.execute(...)                       # the change
        platform.audit.record(conn, principal, "rules.put", "rule/security-alerts",
                              before=old, after=new)

Rows are hash-chained, so ``verify()`` finds rows edited, deleted or reordered with raw SQL.
Signed digests (:mod:`assetguard.audit.digests`) extend that to someone who rewrites rows *and*
recomputes the chain: ``verify(keys)`` checks them too, and ``export()`` carries them with the
public key so that :func:`verify_export` can check a trail offline, without the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, Select, select, update

from assetguard.audit.digests import Digest, check_digests, load_digests, needed_rows
from assetguard.audit.signing import PublicKey, key_id, public_pem
from assetguard.audit.tables import audit_head, audit_log
from assetguard.auth.principal import Principal
from assetguard.core.clock import new_id, utcnow
from assetguard.core.errors import ConfigError, ProviderError
from assetguard.core.redact import redact
from assetguard.db.base import canonical_json
from assetguard.db.engine import Database

GENESIS = "0" * 64


def row_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    body = canonical_json({**fields, "time": _ts(fields["time"])})
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _ts(value: datetime | str) -> str:
    return value.isoformat(timespec="microseconds") if isinstance(value, datetime) else value


HASHED = ("seq", "event_id", "time", "actor", "actor_role", "actor_kind", "action", "resource",
          "before", "after", "source_ip")


@dataclass(frozen=True)
class AuditEntry:
    """One change for :meth:`AuditTrail.record_many`."""

    action: str
    resource: str
    before: Any = None
    after: Any = None


@dataclass
class VerifyReport:
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # not errors: rows not yet covered by a digest
    digests: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


class AuditTrail:
    def __init__(self, db: Database, *, own_key: Callable[[], PublicKey | None] | None = None,
                 retired_keys: Callable[[], dict[str, PublicKey]] | None = None,
                 retired_limits: Callable[[], dict[str, int]] | None = None,
                 digest_interval: timedelta | None = None) -> None:
        self.db = db
        self._own_key = own_key  # the deployment's public key, which verify() trusts
        self._retired_keys = retired_keys  # and the keys it signed with before rotations
        self._retired_limits = retired_limits  # the last digest each retired key file key signed
        self.digest_interval = digest_interval  # audit.digest_interval_seconds, for the cadence note

    def own_public_key(self) -> PublicKey | None:
        """The public key of the deployment's signer (None before the first digest's key file)."""
        return self._own_key() if self._own_key is not None else None

    def retired_public_keys(self) -> dict[str, PublicKey]:
        """The public keys of the signers used before ``audit rotate-key``, by key id."""
        return self._retired_keys() if self._retired_keys is not None else {}

    def retired_limits(self) -> dict[str, int]:
        """Key id -> the last digest a retired key signed before ``audit rotate-key``."""
        return self._retired_limits() if self._retired_limits is not None else {}

    def record(self, conn: Connection, actor: Principal, action: str, resource: str, *,
               before: Any = None, after: Any = None, source_ip: str | None = None) -> int:
        """Append one row inside the caller's transaction; returns its sequence number."""
        return self.record_many(conn, actor, [AuditEntry(action, resource, before, after)], source_ip=source_ip)

    def record_many(self, conn: Connection, actor: Principal, entries: Sequence[AuditEntry], *,
                    source_ip: str | None = None) -> int:
        """Append several rows (one bulk insert, one head update); returns the last sequence number."""
        if not entries:
            return 0
        # Touch the head first: it takes the row lock (PostgreSQL) or write lock (SQLite)
        # before we read it, so concurrent writers serialise instead of forking the chain.
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(note=None))
        head = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one()
        seq, prev = int(head.seq), str(head.hash)
        now = utcnow()
        rows = []
        for entry in entries:
            seq += 1
            fields: dict[str, Any] = {
                "seq": seq,
                "event_id": new_id(),
                "time": now,
                "actor": actor.name,
                "actor_role": actor.role,
                "actor_kind": actor.kind,
                "action": entry.action,
                "resource": entry.resource,
                "before": _jsonable(redact(entry.before)),
                "after": _jsonable(redact(entry.after)),
                "source_ip": source_ip,
            }
            digest = row_hash(prev, fields)
            rows.append({**fields, "prev_hash": prev, "hash": digest})
            prev = digest
        conn.execute(audit_log.insert(), rows)
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=seq, hash=prev))
        return seq

    def query(self, *, actor: str | None = None, action: str | None = None, resource: str | None = None,
              since: datetime | None = None, until: datetime | None = None, limit: int = 200,
              offset: int = 0) -> list[dict[str, Any]]:
        """Newest first; text filters match substrings, ``until`` is exclusive."""
        stmt = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit).offset(offset)
        stmt = _filtered(stmt, actor, action, resource, since, until)
        with self.db.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def activity_by_day(self, *, since: datetime, until: datetime | None = None, actor: str | None = None,
                        action: str | None = None, resource: str | None = None) -> dict[tuple[date, str], int]:
        """Count rows per (UTC day, action) in ``[since, until)``, with the same filters as :meth:`query`."""
        stmt = _filtered(select(audit_log.c.time, audit_log.c.action), actor, action, resource, since, until)
        counts: dict[tuple[date, str], int] = {}
        with self.db.connect() as conn:
            for row in conn.execution_options(yield_per=2000).execute(stmt):
                key = (row.time.astimezone(UTC).date(), row.action)
                counts[key] = counts.get(key, 0) + 1
        return counts

    def iter_rows(self) -> Iterator[dict[str, Any]]:
        with self.db.connect() as conn:
            result = conn.execution_options(yield_per=1000).execute(select(audit_log).order_by(audit_log.c.seq))
            for r in result:
                yield dict(r._mapping)

    def verify(self, keys: Mapping[str, PublicKey] | None = None) -> VerifyReport:
        """Walk the chain and check every digest against the trusted public keys: the deployment's
        own (``signing_key``), the ones it retired (``audit rotate-key``) and ``keys`` (by key id)."""
        trusted = dict(keys or {})
        unusable = None
        limits: dict[str, int] = {}
        try:
            own = self.own_public_key()
            for kid, retired in self.retired_public_keys().items():
                trusted.setdefault(kid, retired)
            limits = self.retired_limits()
        except (ConfigError, ProviderError) as exc:  # a key file others can read, KMS unreachable ...
            own, unusable = None, f"the audit signing key cannot be used ({exc}); digests are unchecked"
        if own is not None:
            trusted.setdefault(key_id(own), own)
        digests = load_digests(self.db)
        with self.db.connect() as conn:
            head = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one_or_none()
        report = verify_trail(self.iter_rows(), (int(head.seq), str(head.hash)) if head is not None else None,
                              digests, trusted, limits=limits)
        if unusable is not None:
            report.problems.insert(0, unusable)
        overdue = self._overdue(digests)
        if overdue is not None:
            report.notes.append(overdue)
        return report

    def _overdue(self, digests: Sequence[Digest]) -> str | None:
        """A note when the oldest uncovered row has waited more than twice the digest interval: the
        scheduler is not running, or newer digests were removed together with their rows."""
        if self.digest_interval is None:
            return None
        covered = max((_last_seq(d) for d in digests), default=0)
        with self.db.connect() as conn:
            oldest = conn.execute(select(audit_log.c.time).where(audit_log.c.seq == covered + 1)).scalar()
        if oldest is None or utcnow() - oldest <= 2 * self.digest_interval:
            return None
        return (f"row {covered + 1} (from {_ts(oldest)}) has waited over twice audit.digest_interval_seconds for "
                "a digest: is the scheduler running? (or were newer digests removed with their rows?)")

    def export(self, out: IO[str], public_key: PublicKey | None = None,
               retired: Mapping[str, PublicKey] | None = None, limits: Mapping[str, int] | None = None) -> int:
        """Write the trail as JSON Lines shaped like CloudTrail records; returns the count.

        After the records come one ``{"assetguardDigest": ...}`` line per digest, the head as
        ``{"assetguardHead": ...}`` and, when given, one ``{"assetguardPublicKey": ...}`` per key:
        the current one, then each ``retired`` one (``"retired": true``, with ``"lastDigest"`` from
        ``limits`` when known) that older digests name.
        That is everything :func:`verify_export` needs. An auditor should still pin the keys they
        were given.
        """
        n = 0
        for row in self.iter_rows():
            out.write(json.dumps(to_cloudtrail(row), default=str) + "\n")
            n += 1
        for digest in load_digests(self.db):
            out.write(json.dumps({"assetguardDigest": digest.as_export()}) + "\n")
        with self.db.connect() as conn:
            head = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one_or_none()
        if head is not None:
            out.write(json.dumps({"assetguardHead": {"seq": int(head.seq), "hash": str(head.hash)}}) + "\n")
        shown = [(public_key, False)] if public_key is not None else []
        shown += [(k, True) for kid, k in (retired or {}).items()
                  if public_key is None or kid != key_id(public_key)]
        for key, was_retired in shown:
            algorithm = "Ed25519" if isinstance(key, Ed25519PublicKey) else "ECDSA_SHA_256"
            entry: dict[str, Any] = {"keyId": key_id(key), "algorithm": algorithm, "pem": public_pem(key)}
            if was_retired:
                entry["retired"] = True
                if limits and key_id(key) in limits:
                    entry["lastDigest"] = limits[key_id(key)]
            out.write(json.dumps({"assetguardPublicKey": entry}) + "\n")
        return n


def verify_trail(rows: Iterable[Mapping[str, Any]], head: tuple[int, str] | None, digests: Sequence[Digest],
                 keys: Mapping[str, PublicKey], *, head_known: bool = True,
                 limits: Mapping[str, int] | None = None) -> VerifyReport:
    """Check the hash chain of ``rows`` (ascending seq), the head, and the digests."""
    report = VerifyReport()
    wanted = needed_rows(digests)
    hashes: dict[int, str] = {}
    expected_seq, expected_prev = 1, GENESIS
    last_seq, last_hash = 0, GENESIS
    for row in rows:
        report.rows += 1
        seq = row["seq"]
        if seq != expected_seq:
            if seq > expected_seq:
                missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}-{seq - 1}"
                report.problems.append(f"row seq {missing}: deleted (sequence jumps to {seq})")
            else:
                report.problems.append(f"row seq {seq}: out of order (expected {expected_seq})")
        elif row["prev_hash"] != expected_prev:
            report.problems.append(f"row seq {seq}: chain broken (prev_hash does not match row {seq - 1})")
        if row_hash(row["prev_hash"], {k: row[k] for k in HASHED}) != row["hash"]:
            report.problems.append(f"row seq {seq}: edited (content does not match its hash)")
        if seq in wanted:
            hashes[seq] = row["hash"]
        expected_seq, expected_prev = seq + 1, row["hash"]
        last_seq, last_hash = max(seq, last_seq), row["hash"]
    if head_known and head is None:
        report.problems.append("audit head missing: the trail's anchor row was deleted")
    elif head is not None and head[0] != last_seq:
        report.problems.append(f"row seq {last_seq + 1}-{head[0]}: deleted from the end of the trail"
                               if head[0] > last_seq else f"row seq {head[0] + 1}-{last_seq}: not in the head "
                               "(appended behind the platform's back)")
    elif head is not None and head[1] != last_hash:
        report.problems.append(f"row seq {last_seq}: edited (does not match the recorded head hash)")
    checked = check_digests(digests, hashes, last_seq, keys, limits)
    report.problems.extend(checked.problems)
    report.notes.extend(checked.notes)
    report.digests = checked.digests
    return report


def verify_export(lines: Iterable[str], keys: Mapping[str, PublicKey] | None, *,
                  where: str = "export") -> tuple[VerifyReport, dict[str, PublicKey]]:
    """Verify an ``export()`` without the database.

    ``keys`` pins the trusted public keys; None trusts the key embedded in the export (which
    proves only that the export is self-consistent). Returns the report and the keys used.
    Raises ValidationError naming the line for a line that is not JSON or not an export record.
    """
    from assetguard.audit.signing import load_public_key
    from assetguard.core.errors import ValidationError

    digests: list[Digest] = []
    embedded: dict[str, PublicKey] = {}
    limits: dict[str, int] = {}  # only ever narrow trust, so taken from the export even with pinned keys
    head: tuple[int, str] | None = None
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if "assetguardDigest" in record:
                d = record["assetguardDigest"]
                digests.append(Digest(int(d["digest"]), str(d["payload"]), str(d["signature"])))
            elif "assetguardHead" in record:
                head = (int(record["assetguardHead"]["seq"]), str(record["assetguardHead"]["hash"]))
            elif "assetguardPublicKey" in record:
                entry = record["assetguardPublicKey"]
                key = load_public_key(str(entry["pem"]).encode(), where=f"{where}:{number}")
                embedded[key_id(key)] = key
                if entry.get("lastDigest") is not None:
                    limits[key_id(key)] = int(entry["lastDigest"])
            else:
                rows.append(from_cloudtrail(record))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ValidationError("not an audit export record (expected the JSON Lines `audit export` writes)",
                                  where=f"{where}:{number}") from None
    rows.sort(key=lambda r: r["seq"])
    trusted = dict(keys) if keys is not None else embedded
    return verify_trail(rows, head, digests, trusted, head_known=head is not None, limits=limits), trusted


def _last_seq(digest: Digest) -> int:
    try:
        return int(digest.data().get("lastSeq", 0))
    except (ValueError, TypeError):
        return 0  # reported by check_digests


def to_cloudtrail(row: dict[str, Any]) -> dict[str, Any]:
    domain, _, verb = row["action"].partition(".")
    return {
        "eventVersion": "1.09",
        "eventID": row["event_id"],
        "eventTime": _ts(row["time"]),
        "eventSource": f"{domain}.assetguard",
        "eventName": verb or row["action"],
        "userIdentity": {"type": row["actor_kind"], "userName": row["actor"], "role": row["actor_role"]},
        "sourceIPAddress": row["source_ip"],
        "requestParameters": {"resource": row["resource"], "before": row["before"]},
        "responseElements": {"after": row["after"]},
        "resources": [{"ARN": row["resource"]}],
        "additionalEventData": {"seq": row["seq"], "hash": row["hash"], "prevHash": row["prev_hash"],
                                "action": row["action"]},
    }


def from_cloudtrail(record: Mapping[str, Any]) -> dict[str, Any]:
    """The audit row a :func:`to_cloudtrail` record came from (with its hashes), for offline checks."""
    extra = record["additionalEventData"]
    identity = record["userIdentity"]
    return {
        "seq": int(extra["seq"]), "event_id": record["eventID"], "time": record["eventTime"],
        "actor": identity["userName"], "actor_role": identity["role"], "actor_kind": identity["type"],
        "action": extra["action"], "resource": record["requestParameters"]["resource"],
        "before": record["requestParameters"]["before"], "after": record["responseElements"]["after"],
        "source_ip": record["sourceIPAddress"], "prev_hash": extra["prevHash"], "hash": extra["hash"],
    }


def _filtered(stmt: Select[Any], actor: str | None, action: str | None, resource: str | None,
              since: datetime | None, until: datetime | None) -> Select[Any]:
    if actor:
        stmt = stmt.where(audit_log.c.actor.contains(actor, autoescape=True))
    if action:
        stmt = stmt.where(audit_log.c.action.contains(action, autoescape=True))
    if resource:
        stmt = stmt.where(audit_log.c.resource.contains(resource, autoescape=True))
    if since:
        stmt = stmt.where(audit_log.c.time >= since)
    if until:
        stmt = stmt.where(audit_log.c.time < until)
    return stmt


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(canonical_json(value))
