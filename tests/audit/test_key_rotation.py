"""``assetguard audit rotate-key``: digests signed before a rotation keep verifying with the retired
public key (kept beside the key file, carried by the export), digests after it are signed with
the new key, and a trail whose retired key was removed or can be edited by others is reported."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assetguard.audit.digests import load_digests, write_digest
from assetguard.audit.signing import Signer
from assetguard.auth.principal import Principal
from assetguard.runtime.platform import Platform


def run(platform: Platform | None, data: Path, *args: str, **env: str) -> Any:
    from assetguard.cli.main import app

    url = platform.db.engine.url.render_as_string(hide_password=False) if platform is not None else None
    full = {"ASSETGUARD_DATABASE_URL": url, "ASSETGUARD_DATA_DIR": str(data), "ASSETGUARD_CONFIG": None, **env}
    return CliRunner().invoke(app, list(args), env=full, catch_exceptions=False)


def seed(platform: Platform, n: int) -> None:
    with platform.db.begin() as conn:
        for i in range(n):
            platform.audit.record(conn, Principal("alice", "operator"), "tagging.put", f"arn:aws:s3:::b{i}",
                                  after={"Owner": "a"})


def key_ids(platform: Platform) -> list[str]:
    return [d.data()["keyId"] for d in load_digests(platform.db)]


def test_rotation_keeps_old_digests_verifiable(platform: Platform, tmp_path: Path) -> None:
    data = tmp_path / "data"
    seed(platform, 3)
    assert run(platform, data, "audit", "digest").exit_code == 0
    seed(platform, 2)  # not yet covered: the rotation signs them with the old key first
    old_key_file = (data / "audit-signing.key").read_bytes()
    rotated = run(platform, data, "audit", "rotate-key")
    assert rotated.exit_code == 0, rotated.output
    assert "digest #2 signed with the old key" in rotated.output
    seed(platform, 2)
    assert run(platform, data, "audit", "digest").exit_code == 0
    first, second, third = key_ids(platform)
    assert first == second != third
    assert f"audit signing key rotated: {first} -> {third}" in rotated.output

    retired = data / "audit-signing.key.retired.pem"
    assert retired.stat().st_mode & 0o077 == 0 and f"# key id {first}" in retired.read_text()
    assert ", last digest #2\n" in retired.read_text()
    rows = platform.audit.query(action="audit.rotate_key", limit=5)
    assert len(rows) == 1 and rows[0]["before"] == {"key_id": first} and rows[0]["after"] == {"key_id": third}

    ok = run(platform, data, "audit", "verify")
    assert ok.exit_code == 0 and "3 signed digest(s)" in ok.output, ok.output
    pems = run(platform, data, "audit", "public-key", "--all").output
    assert pems.count("-----BEGIN PUBLIC KEY-----") == 2
    assert run(platform, data, "audit", "public-key").output.count("-----BEGIN PUBLIC KEY-----") == 1

    # the export carries both public keys; an auditor pinning only the new one sees digests 1-2 untrusted
    out = tmp_path / "trail.jsonl"
    assert run(platform, data, "audit", "export", "-o", str(out)).exit_code == 0
    carried = [json.loads(line)["assetguardPublicKey"] for line in out.read_text().splitlines()
               if "assetguardPublicKey" in line]
    assert [(k["keyId"], k.get("retired", False), k.get("lastDigest")) for k in carried] == [
        (third, False, None), (first, True, 2)]
    auditor = tmp_path / "auditor"
    assert run(None, auditor, "audit", "verify", "--export", str(out)).exit_code == 0
    current_pem = run(platform, data, "audit", "public-key").output
    (tmp_path / "new.pub").write_text(current_pem)
    (tmp_path / "old.pub").write_text(pems.replace(current_pem, ""))
    pinned_new = run(None, auditor, "audit", "verify", "--export", str(out), "--public-key", str(tmp_path / "new.pub"))
    assert pinned_new.exit_code == 1 and "TAMPERED digest #1: signed by key" in pinned_new.output
    both = run(None, auditor, "audit", "verify", "--export", str(out), "--public-key", str(tmp_path / "new.pub"),
               "--public-key", str(tmp_path / "old.pub"))
    assert both.exit_code == 0 and "3 signed digest(s)" in both.output, both.output

    # a stale copy of the old key file (another host not yet given the new one) signs digest #4:
    # the old key is trusted only up to digest #2, online and offline
    stale = tmp_path / "stale.key"
    stale.write_bytes(old_key_file)
    stale.chmod(0o600)
    seed(platform, 1)
    assert write_digest(platform.db, Signer.from_file(stale, create=False)) is not None
    flagged = run(platform, data, "audit", "verify")
    assert flagged.exit_code == 1, flagged.output
    assert f"digest #4: signed by key {first} after it was retired (its last digest was #2)" in flagged.output
    assert "digest #1" not in flagged.output and "digest #3" not in flagged.output
    assert run(platform, data, "audit", "export", "-o", str(out)).exit_code == 0
    offline = run(None, auditor, "audit", "verify", "--export", str(out), "--public-key", str(tmp_path / "new.pub"),
                  "--public-key", str(tmp_path / "old.pub"))
    assert offline.exit_code == 1 and "digest #4: signed by key" in offline.output and "retired" in offline.output

    # the retired key file may not be editable by others (a key added there would be trusted) ...
    os.chmod(retired, 0o664)
    loose = run(platform, data, "audit", "verify")
    assert loose.exit_code == 1 and "chmod 600" in loose.output
    # ... and without it the old digests no longer verify
    retired.unlink()
    gone = run(platform, data, "audit", "verify")
    assert gone.exit_code == 1 and "digest #1: signed by key" in gone.output and "digest #3" not in gone.output


def test_rotate_key_with_kms_needs_the_new_key(platform: Platform, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto import mock_aws

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                 "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(k, v)
    data = tmp_path / "data"
    with mock_aws():
        kms = boto3.client("kms", region_name="eu-west-1")
        old, new = (kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
                    for _ in range(2))
        seed(platform, 2)
        refused = run(platform, data, "audit", "rotate-key", ASSETGUARD_AUDIT__KMS_KEY_ID=old)
        assert refused.exit_code == 2 and "--kms-key-id" in refused.output
        done = run(platform, data, "audit", "rotate-key", "--kms-key-id", new, ASSETGUARD_AUDIT__KMS_KEY_ID=old)
        assert done.exit_code == 0 and f"now set audit.kms_key_id to {new}" in done.output, done.output
        seed(platform, 1)
        assert run(platform, data, "audit", "digest", ASSETGUARD_AUDIT__KMS_KEY_ID=new).exit_code == 0
        first, second = key_ids(platform)
        assert first != second
        ok = run(platform, data, "audit", "verify", ASSETGUARD_AUDIT__KMS_KEY_ID=new)
        assert ok.exit_code == 0 and "2 signed digest(s)" in ok.output, ok.output
        assert not (data / "audit-signing.key").exists()  # no key file was made
