"""Signed digests of the audit chain, after CloudTrail's log file integrity validation.

The hash chain alone catches a careless edit, but whoever can write the database can also
recompute every later hash and the head. A digest closes that gap: at intervals (the scheduler
leader, job ``audit.digest``) and on demand (``assetguard audit digest``) the rows written since
the previous digest are checked and a small document is signed with an Ed25519 key that lives
outside the database (:mod:`assetguard.audit.signing`)::

    {"version": 1, "digest": 7, "time": "2026-12-07T22:00:00.000000+00:00",
     "algorithm": "Ed25519", "keyId": "9f2c…",
     "firstSeq": 6001, "firstHash": "…", "lastSeq": 7000, "lastHash": "…", "rows": 1000,
     "previousDigest": 6, "previousSignature": "<base64>", "previousPayloadSha256": "…"}

Like CloudTrail's ``previousDigestSignature``, each digest names the one before it, so the digests
form their own chain; digest 1 starts at row 1 and each next one at the row after the previous
``lastSeq``. :func:`check_digests` then reports, one line each: a signature that does not verify
or comes from an untrusted key, a missing or re-chained digest, a covered row removed, a covered
row whose hash differs from the signed one (a rewrite, even with every later hash recomputed) and
a trail that ends before the last digest does. Rows after the newest digest are only
"not yet covered": like CloudTrail's last hour, they can still be removed without trace.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from assetguard.audit.signing import DigestSigner, PublicKey, verify_signature
from assetguard.audit.tables import audit_digests, audit_head, audit_log
from assetguard.core.clock import utcnow
from assetguard.core.errors import ConflictError
from assetguard.db.base import canonical_json
from assetguard.db.engine import Database

log = logging.getLogger(__name__)

VERSION = 1
GENESIS = "0" * 64


@dataclass(frozen=True)
class Digest:
    """One stored digest: ``payload`` is exactly the signed text."""

    number: int
    payload: str
    signature: str

    def data(self) -> dict[str, Any]:
        value = json.loads(self.payload)
        if not isinstance(value, dict):
            raise ValueError("payload is not an object")
        return value

    def as_export(self) -> dict[str, Any]:
        return {"digest": self.number, "payload": self.payload, "signature": self.signature}


@dataclass
class DigestReport:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    digests: int = 0


def needed_rows(digests: Iterable[Digest]) -> set[int]:
    """The row numbers whose hashes :func:`check_digests` compares (each digest's first and last)."""
    out: set[int] = set()
    for digest in digests:
        try:
            data = digest.data()
            out.update(int(data[k]) for k in ("firstSeq", "lastSeq"))
        except (ValueError, KeyError, TypeError):
            continue  # reported by check_digests
    return out


def check_digests(digests: Iterable[Digest], row_hashes: Mapping[int, str], last_row: int,
                  keys: Mapping[str, PublicKey], limits: Mapping[str, int] | None = None) -> DigestReport:
    """Check signatures, the digest chain, and the covered rows' hashes (``row_hashes`` holds at
    least :func:`needed_rows`; ``last_row`` is the highest row number present). ``limits``: key id ->
    the last digest a retired key may have signed."""
    report = DigestReport()
    previous: Digest | None = None
    prev_data: dict[str, Any] = {}
    covered_to = 0
    for digest in sorted(digests, key=lambda d: d.number):
        report.digests += 1
        name = f"digest #{digest.number}"
        try:
            data = digest.data()
            number, first, last = int(data["digest"]), int(data["firstSeq"]), int(data["lastSeq"])
            first_hash, last_hash = str(data["firstHash"]), str(data["lastHash"])
        except (ValueError, KeyError, TypeError):
            report.problems.append(f"{name}: payload is not a digest (edited)")
            continue
        key = keys.get(str(data.get("keyId")))
        if key is None:
            report.problems.append(f"{name}: signed by key {data.get('keyId')}, which is not trusted "
                                   "(a forged digest, or verify was given the wrong public key)")
        elif not verify_signature(key, digest.signature, digest.payload.encode()):
            report.problems.append(f"{name}: signature does not verify (forged or edited digest)")
        elif limits and str(data.get("keyId")) in limits and digest.number > limits[str(data.get("keyId"))]:
            report.problems.append(f"{name}: signed by key {data.get('keyId')} after it was retired (its last "
                                   f"digest was #{limits[str(data.get('keyId'))]}): a copy of the old key file "
                                   "is still signing")
        if number != digest.number:
            report.problems.append(f"{name}: its signed payload says digest #{number} (digests reordered)")
        expected = previous.number + 1 if previous is not None else 1
        if digest.number > expected:
            missing = f"#{expected}" if digest.number == expected + 1 else f"#{expected}-#{digest.number - 1}"
            report.problems.append(f"digest {missing}: removed (digests jump to #{digest.number})")
        if previous is None:
            if digest.number == 1 and (first != 1 or data.get("previousSignature") is not None):
                report.problems.append(f"{name}: does not start the chain at row 1")
        else:
            if (data.get("previousSignature") != previous.signature
                    or data.get("previousPayloadSha256") != hashlib.sha256(previous.payload.encode()).hexdigest()):
                report.problems.append(f"{name}: does not chain to digest #{previous.number} "
                                       "(previous signature differs)")
            if first != int(prev_data.get("lastSeq", 0)) + 1:
                report.problems.append(f"{name}: covers rows {first}-{last} but digest #{previous.number} "
                                       f"ended at row {prev_data.get('lastSeq')}")
        for seq, signed in ((first, first_hash), (last, last_hash)):
            actual = row_hashes.get(seq)
            if actual is None:
                if seq <= last_row:
                    report.problems.append(f"row seq {seq}: removed, but {name} covers rows {first}-{last}")
            elif actual != signed:
                report.problems.append(f"row seq {seq}: rewritten since {name} signed it (its hash differs, "
                                       "even if later hashes were recomputed)")
        previous, prev_data = digest, data
        covered_to = max(covered_to, last)
    if previous is None:
        if last_row:
            report.notes.append(f"rows 1-{last_row} ({last_row}) not yet covered by a digest (none written yet)")
        return report
    if last_row < covered_to:
        report.problems.append(f"trail truncated: digest #{previous.number} covers rows up to {covered_to} "
                               f"but the trail ends at row {last_row} (rows {last_row + 1}-{covered_to} removed)")
    elif last_row > covered_to:
        span = f"row {last_row}" if last_row == covered_to + 1 else \
            f"rows {covered_to + 1}-{last_row} ({last_row - covered_to})"
        report.notes.append(f"{span} not yet covered by a digest")
    return report


# ------------------------------------------------------------------ writing
def load_digests(db: Database) -> list[Digest]:
    with db.connect() as conn:
        rows = conn.execute(select(audit_digests.c.seq, audit_digests.c.payload, audit_digests.c.signature)
                            .order_by(audit_digests.c.seq)).all()
    return [Digest(int(r.seq), str(r.payload), str(r.signature)) for r in rows]


def write_digest(db: Database, signer: DigestSigner, *, now: datetime | None = None) -> Digest | None:
    """Check the rows written since the last digest and sign a digest of them (None: no new rows).

    Runs under the audit head's lock, so it serialises with writers and with another process
    writing a digest. Refuses (ConflictError) to sign rows that do not chain to the previous
    digest: signing would bless a tampered trail.
    """
    from assetguard.audit.trail import HASHED, row_hash

    now = now or utcnow()
    with db.begin() as conn:
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(note=None))
        head = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one()
        last = conn.execute(select(audit_digests.c.seq, audit_digests.c.payload, audit_digests.c.signature)
                            .order_by(audit_digests.c.seq.desc()).limit(1)).first()
        previous = Digest(int(last.seq), str(last.payload), str(last.signature)) if last is not None else None
        try:
            prev_data = previous.data() if previous is not None else {}
            start = int(prev_data["lastSeq"]) + 1 if previous is not None else 1
        except (ValueError, KeyError, TypeError):
            raise ConflictError(f"refusing to sign: digest #{previous.number if previous else '?'} is not a "
                                "valid digest; "
                                "run `assetguard audit verify`") from None
        if int(head.seq) < start:
            return None
        expected, prev_hash = start, str(prev_data.get("lastHash", GENESIS))
        first_hash = ""
        rows = conn.execute(
            select(audit_log).where(audit_log.c.seq >= start, audit_log.c.seq <= int(head.seq))
            .order_by(audit_log.c.seq).execution_options(yield_per=1000))
        for r in rows:
            row = r._mapping
            if row["seq"] != expected:
                raise ConflictError(f"refusing to sign: row seq {expected} is missing; run `assetguard audit verify`")
            if row["prev_hash"] != prev_hash or row_hash(row["prev_hash"], {k: row[k] for k in HASHED}) != row["hash"]:
                raise ConflictError(f"refusing to sign: row seq {expected} does not match the chain; "
                                    "run `assetguard audit verify`")
            if expected == start:
                first_hash = row["hash"]
            prev_hash = row["hash"]
            expected += 1
        if expected - 1 != int(head.seq) or prev_hash != head.hash:
            raise ConflictError(f"refusing to sign: the trail ends at row {expected - 1} but its head says "
                                f"{head.seq}; run `assetguard audit verify`")
        number = previous.number + 1 if previous is not None else 1
        data = {
            "version": VERSION, "digest": number, "time": now.isoformat(timespec="microseconds"),
            "algorithm": signer.algorithm, "keyId": signer.key_id,
            "firstSeq": start, "firstHash": first_hash, "lastSeq": int(head.seq), "lastHash": prev_hash,
            "rows": int(head.seq) - start + 1,
            "previousDigest": previous.number if previous is not None else None,
            "previousSignature": previous.signature if previous is not None else None,
            "previousPayloadSha256": (hashlib.sha256(previous.payload.encode()).hexdigest()
                                      if previous is not None else None),
        }
        payload = canonical_json(data)
        digest = Digest(number, payload, signer.sign(payload.encode()))
        conn.execute(audit_digests.insert().values(
            seq=number, created_at=now, first_seq=start, last_seq=int(head.seq), key_id=signer.key_id,
            payload=payload, signature=digest.signature))
    return digest


def digest_due(db: Database, *, every_rows: int, interval: timedelta, now: datetime | None = None) -> bool:
    """True when ``every_rows`` rows, or a row older than ``interval``, are not yet covered."""
    now = now or utcnow()
    with db.connect() as conn:
        covered = conn.execute(select(func.max(audit_digests.c.last_seq))).scalar() or 0
        head = conn.execute(select(audit_head.c.seq).where(audit_head.c.id == 1)).scalar() or 0
        if head <= covered:
            return False
        if head - covered >= every_rows:
            return True
        oldest = conn.execute(select(audit_log.c.time).where(audit_log.c.seq == covered + 1)).scalar()
    return oldest is not None and now - oldest >= interval
