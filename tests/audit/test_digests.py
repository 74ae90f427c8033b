"""Signed digests catch what the hash chain alone cannot: a trail rewritten by someone who can
write the database, recomputing every later hash and the head. Real SQLite and PostgreSQL."""

from __future__ import annotations

import io
import os
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text, update

from assetguard.audit.digests import Digest, digest_due, load_digests, write_digest
from assetguard.audit.plugins import digest_if_due
from assetguard.audit.signing import Signer, key_path
from assetguard.audit.tables import audit_digests, audit_head, audit_log
from assetguard.audit.trail import GENESIS, HASHED, row_hash, verify_export
from assetguard.auth.principal import Principal
from assetguard.core.errors import ConfigError, ConflictError
from assetguard.db.base import canonical_json
from assetguard.runtime.platform import Platform

ALICE = Principal("alice", "operator")


def fill(platform: Platform, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        with platform.db.begin() as conn:
            platform.audit.record(conn, ALICE, "rules.put", f"rule/r{i}", before={"n": i}, after={"n": i + 1})


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return Signer.from_file(tmp_path / "keys" / "audit-signing.key")


def keys(signer: Signer) -> dict[str, Any]:
    return {signer.key_id: signer.public_key}


def recompute_chain(platform: Platform) -> None:
    """What an attacker with write access does after editing: rehash every row and the head."""
    with platform.db.begin() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(audit_log).order_by(audit_log.c.seq))]
        prev = GENESIS
        for row in rows:
            digest = row_hash(prev, {k: row[k] for k in HASHED})
            conn.execute(update(audit_log).where(audit_log.c.seq == row["seq"]).values(prev_hash=prev, hash=digest))
            prev = digest
        conn.execute(update(audit_head).where(audit_head.c.id == 1)
                     .values(seq=rows[-1]["seq"] if rows else 0, hash=prev))


def chain_only(platform: Platform) -> list[str]:
    """The problems the unkeyed chain finds (digests ignored)."""
    report = platform.audit.verify()
    return [p for p in report.problems if "digest #" not in p and "truncated" not in p]


# ------------------------------------------------------------------ the key file
def test_key_file_is_created_0600_and_refused_when_others_can_read_it(tmp_path: Path) -> None:
    path = tmp_path / "d" / "audit-signing.key"
    first = Signer.from_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Signer.from_file(path).key_id == first.key_id  # the same key on the next start
    os.chmod(path, 0o640)
    with pytest.raises(ConfigError) as info:
        Signer.from_file(path)
    assert "chmod 600" in str(info.value) and str(path) in str(info.value) and "0640" in str(info.value)
    with pytest.raises(ConfigError) as missing:
        Signer.from_file(tmp_path / "none.key", create=False)
    assert "does not exist" in str(missing.value)


def test_key_path_setting_and_default(tmp_path: Path) -> None:
    from assetguard.core.settings import Settings

    s = Settings(data_dir=tmp_path / "data")
    assert key_path(s) == tmp_path / "data" / "audit-signing.key"
    s = Settings(data_dir=tmp_path / "data", audit={"signing_key_path": str(tmp_path / "k.pem")})  # type: ignore[arg-type]
    assert key_path(s) == tmp_path / "k.pem"


# ------------------------------------------------------------------ a valid trail
def test_valid_trail_verifies_and_reports_rows_not_yet_covered(platform: Platform, signer: Signer) -> None:
    assert write_digest(platform.db, signer) is None  # nothing to sign
    fill(platform, 5)
    first = write_digest(platform.db, signer)
    assert first is not None and first.data()["firstSeq"] == 1 and first.data()["lastSeq"] == 5
    assert write_digest(platform.db, signer) is None
    fill(platform, 3, 5)
    second = write_digest(platform.db, signer)
    assert second is not None and second.data()["previousSignature"] == first.signature
    fill(platform, 2, 8)
    report = platform.audit.verify(keys(signer))
    assert report.ok, report.problems
    assert report.rows == 10 and report.digests == 2
    assert report.notes == ["rows 9-10 (2) not yet covered by a digest"]


def test_without_trusted_keys_every_digest_is_untrusted(platform: Platform, signer: Signer) -> None:
    fill(platform, 2)
    write_digest(platform.db, signer)
    problems = platform.audit.verify().problems
    assert problems == [f"digest #1: signed by key {signer.key_id}, which is not trusted (a forged digest, "
                        "or verify was given the wrong public key)"]


# ------------------------------------------------------------------ tampering
def test_deleted_last_rows_with_head_updated_are_detected(platform: Platform, signer: Signer) -> None:
    fill(platform, 6)
    write_digest(platform.db, signer)
    with platform.db.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq > 4"))
        row4 = conn.execute(select(audit_log.c.hash).where(audit_log.c.seq == 4)).scalar_one()
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=4, hash=row4))
    assert chain_only(platform) == []  # the unkeyed chain is fooled
    assert platform.audit.verify(keys(signer)).problems == [
        "trail truncated: digest #1 covers rows up to 6 but the trail ends at row 4 (rows 5-6 removed)"]


def test_edited_row_with_every_later_hash_recomputed_is_detected(platform: Platform, signer: Signer) -> None:
    fill(platform, 6)
    write_digest(platform.db, signer)
    fill(platform, 2, 6)
    with platform.db.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
    recompute_chain(platform)
    assert chain_only(platform) == []
    problems = platform.audit.verify(keys(signer)).problems
    assert problems == ["row seq 6: rewritten since digest #1 signed it (its hash differs, even if later "
                        "hashes were recomputed)"]


def test_swapped_rows_with_recomputed_hashes_are_detected(platform: Platform, signer: Signer) -> None:
    fill(platform, 5)
    write_digest(platform.db, signer)
    with platform.db.begin() as conn:
        two, four = (dict(conn.execute(select(audit_log).where(audit_log.c.seq == s)).one()._mapping) for s in (2, 4))
        moved = [k for k in HASHED if k not in ("seq", "event_id")]
        conn.execute(update(audit_log).where(audit_log.c.seq == 2).values(event_id="tmp"))
        conn.execute(update(audit_log).where(audit_log.c.seq == 4).values(
            event_id=two["event_id"], **{k: two[k] for k in moved}))
        conn.execute(update(audit_log).where(audit_log.c.seq == 2).values(
            event_id=four["event_id"], **{k: four[k] for k in moved}))
    recompute_chain(platform)
    assert chain_only(platform) == []
    assert any("row seq 5: rewritten since digest #1" in p for p in platform.audit.verify(keys(signer)).problems)


def test_forged_and_edited_digests_are_detected(platform: Platform, signer: Signer) -> None:
    fill(platform, 3)
    genuine = write_digest(platform.db, signer)
    assert genuine is not None
    # An attacker rewrites the trail, then signs a replacement digest with a key of their own.
    with platform.db.begin() as conn:
        conn.execute(text("UPDATE audit_log SET resource = 'rule/evil' WHERE seq = 2"))
    recompute_chain(platform)
    mallory = Signer(Ed25519PrivateKey.generate())
    with platform.db.begin() as conn:
        conn.execute(audit_digests.delete())
    forged = write_digest(platform.db, mallory)
    assert forged is not None
    problems = platform.audit.verify(keys(signer)).problems
    assert problems == [f"digest #1: signed by key {mallory.key_id}, which is not trusted (a forged digest, "
                        "or verify was given the wrong public key)"]
    # Editing a genuine digest's payload to match the rewrite breaks its signature.
    data = genuine.data() | {"lastHash": forged.data()["lastHash"]}
    with platform.db.begin() as conn:
        conn.execute(update(audit_digests).where(audit_digests.c.seq == 1)
                     .values(payload=canonical_json(data), signature=genuine.signature))
    assert platform.audit.verify(keys(signer)).problems == [
        "digest #1: signature does not verify (forged or edited digest)"]


def test_wrong_public_key_fails_every_digest(platform: Platform, signer: Signer) -> None:
    fill(platform, 2)
    write_digest(platform.db, signer)
    fill(platform, 2, 2)
    write_digest(platform.db, signer)
    other = Signer(Ed25519PrivateKey.generate())
    problems = platform.audit.verify(keys(other)).problems
    assert len(problems) == 2 and all("which is not trusted" in p for p in problems)


def test_removed_digest_and_broken_digest_chain_are_detected(platform: Platform, signer: Signer) -> None:
    for i in range(3):
        fill(platform, 2, 2 * i)
        write_digest(platform.db, signer)
    with platform.db.begin() as conn:
        conn.execute(audit_digests.delete().where(audit_digests.c.seq == 2))
    problems = platform.audit.verify(keys(signer)).problems
    assert "digest #2: removed (digests jump to #3)" in problems
    assert "digest #3: does not chain to digest #1 (previous signature differs)" in problems
    assert "digest #3: covers rows 5-6 but digest #1 ended at row 2" in problems


def test_refuses_to_sign_a_tampered_trail(platform: Platform, signer: Signer) -> None:
    fill(platform, 3)
    write_digest(platform.db, signer)
    fill(platform, 3, 3)
    with platform.db.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 5"))
    with pytest.raises(ConflictError) as info:
        write_digest(platform.db, signer)
    assert "row seq 5" in str(info.value)
    assert len(load_digests(platform.db)) == 1


# ------------------------------------------------------------------ export, offline
def test_export_verifies_offline_and_detects_tampering(platform: Platform, signer: Signer) -> None:
    fill(platform, 4)
    write_digest(platform.db, signer)
    fill(platform, 1, 4)
    buf = io.StringIO()
    assert platform.audit.export(buf, signer.public_key) == 5
    lines = buf.getvalue().splitlines()
    report, used = verify_export(lines, keys(signer))
    assert report.ok and report.rows == 5 and report.digests == 1, report.problems
    assert report.notes == ["row 5 not yet covered by a digest"]
    embedded_report, embedded = verify_export(lines, None)
    assert embedded_report.ok and list(embedded) == [signer.key_id]
    # Edit row 2 in the export and recompute its chain: the signed digest still catches it.
    import json

    rows = [json.loads(line) for line in lines[:5]]
    rows[1]["requestParameters"]["resource"] = "rule/evil"
    prev = GENESIS
    from assetguard.audit.trail import from_cloudtrail

    for record in rows:
        fields = from_cloudtrail(record)
        record["additionalEventData"]["prevHash"] = prev
        record["additionalEventData"]["hash"] = prev = row_hash(prev, {k: fields[k] for k in HASHED})
    tail = [line for line in lines[5:] if "assetguardHead" not in line]
    forged = [json.dumps(r) for r in rows] + tail + [json.dumps({"assetguardHead": {"seq": 5, "hash": prev}})]
    bad, _ = verify_export(forged, keys(signer))
    assert bad.problems == ["row seq 4: rewritten since digest #1 signed it (its hash differs, even if later "
                            "hashes were recomputed)"]


# ------------------------------------------------------------------ the scheduled job
def test_scheduled_job_signs_once_enough_rows_or_time(platform: Platform, tmp_path: Path) -> None:
    from assetguard.runtime.scheduler import jobs

    assert "audit.digest" in jobs.names()
    platform.settings.audit.signing_key_path = tmp_path / "job.key"
    platform.settings.audit.digest_every_rows = 3
    fill(platform, 2)
    digest_if_due(platform)
    assert load_digests(platform.db) == []
    fill(platform, 1, 2)
    digest_if_due(platform)
    [first] = load_digests(platform.db)
    assert isinstance(first, Digest) and first.data()["lastSeq"] == 3
    fill(platform, 1, 3)
    assert not digest_due(platform.db, every_rows=3, interval=timedelta(hours=1))
    assert digest_due(platform.db, every_rows=3, interval=timedelta(0))  # the oldest uncovered row is old enough
    assert stat.S_IMODE((tmp_path / "job.key").stat().st_mode) == 0o600


def test_api_verify_checks_digests_with_the_deployments_key(platform: Platform, client: Any,
                                                             viewer_headers: dict[str, str]) -> None:
    fill(platform, 3)
    write_digest(platform.db, Signer.from_file(key_path(platform.settings)))
    body = client.get("/audit/verify", headers=viewer_headers).json()
    assert body["ok"] and body["digests"] == 1 and body["problems"] == [], body
    with platform.db.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
    recompute_chain(platform)
    body = client.get("/audit/verify", headers=viewer_headers).json()
    assert not body["ok"] and any("rewritten since digest #1" in p for p in body["problems"]), body


def test_verify_trusts_the_deployments_own_key_and_reports_an_unusable_one(platform: Platform) -> None:
    """The console's home figure and Audit page call verify() without keys: the own key is trusted."""
    fill(platform, 2)
    write_digest(platform.db, Signer.from_file(key_path(platform.settings)))
    report = platform.audit.verify()
    assert report.ok and report.digests == 1, report.problems
    os.chmod(key_path(platform.settings), 0o644)
    problems = platform.audit.verify().problems
    assert problems[0].startswith("the audit signing key cannot be used (") and "chmod 600" in problems[0]
    assert "which is not trusted" in problems[1]


# ------------------------------------------------------------------ AWS KMS (moto)
@pytest.fixture
def kms_key(monkeypatch: pytest.MonkeyPatch) -> Any:
    import boto3
    from moto import mock_aws

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        kms = boto3.client("kms", region_name="eu-west-1")
        meta = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
        rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
        yield meta["Arn"], rsa["Arn"]


def test_kms_signs_digests_that_verify_and_catch_a_rewrite(platform: Platform, kms_key: Any, tmp_path: Path) -> None:
    from assetguard.audit.signing import public_pem, signer_for

    arn, _rsa = kms_key
    platform.settings.audit.kms_key_id = arn
    fill(platform, 4)
    signer = signer_for(platform.settings)
    digest = write_digest(platform.db, signer)
    assert digest is not None and digest.data()["algorithm"] == "ECDSA_SHA_256"
    assert not key_path(platform.settings).exists()  # no key file: the private key stays in KMS
    report = platform.audit.verify()  # trusts kms:GetPublicKey's answer
    assert report.ok and report.digests == 1, report.problems
    buf = io.StringIO()
    platform.audit.export(buf, signer.public_key)
    from assetguard.audit.signing import load_public_key

    pinned = load_public_key(public_pem(signer.public_key).encode(), where="kms.pem")
    offline, _ = verify_export(buf.getvalue().splitlines(), {signer.key_id: pinned})
    assert offline.ok, offline.problems
    with platform.db.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
    recompute_chain(platform)
    assert platform.audit.verify().problems == [
        "row seq 4: rewritten since digest #1 signed it (its hash differs, even if later hashes were recomputed)"]


def test_kms_key_of_the_wrong_kind_is_one_config_error(platform: Platform, kms_key: Any) -> None:
    from assetguard.audit.signing import signer_for

    _arn, rsa = kms_key
    platform.settings.audit.kms_key_id = rsa
    with pytest.raises(ConfigError) as info:
        signer_for(platform.settings)
    assert "ECC_NIST_P256" in str(info.value) and "audit.kms_key_id" in str(info.value)


def test_concurrent_writers_and_digesters_never_fork_the_digest_chain(platform: Platform, signer: Signer) -> None:
    """The scheduler leader and `audit digest` may sign at the same time as rows are written."""
    import threading

    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for i in range(15):
                with platform.db.begin() as conn:
                    platform.audit.record(conn, Principal(name, "operator"), "rules.put", f"rule/{name}{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def digester() -> None:
        try:
            for _ in range(8):
                write_digest(platform.db, signer)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    threads += [threading.Thread(target=digester) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    write_digest(platform.db, signer)
    digests = load_digests(platform.db)
    assert [d.number for d in digests] == list(range(1, len(digests) + 1))
    report = platform.audit.verify(keys(signer))
    assert report.ok and report.rows == 30 and report.notes == [], report.problems


def test_verify_notes_rows_waiting_far_longer_than_the_digest_interval(platform: Platform, signer: Signer) -> None:
    fill(platform, 2)
    assert platform.audit.verify().notes == ["rows 1-2 (2) not yet covered by a digest (none written yet)"]
    with platform.db.begin() as conn:
        first = conn.execute(select(audit_log.c.time).where(audit_log.c.seq == 1)).scalar_one()
        conn.execute(update(audit_log).where(audit_log.c.seq == 1).values(
            time=first - timedelta(hours=3)))  # older than 2 x the default hour
    notes = platform.audit.verify().notes
    assert len(notes) == 2 and notes[1].startswith("row 1 (from ") and "is the scheduler running?" in notes[1]
