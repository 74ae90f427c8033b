"""``assetguard audit verify|export`` and ``token`` through the real CLI, on both backends."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import text

from assetguard.auth.principal import Principal
from assetguard.runtime.platform import Platform
from tests.cli.test_up import BIN, clean_env


def cli(platform: Platform, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(ASSETGUARD_DATABASE_URL=platform.db.engine.url.render_as_string(hide_password=False),
                    ASSETGUARD_DATA_DIR=str(cwd / "data"))
    return subprocess.run([str(BIN), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _seed(platform: Platform) -> None:
    with platform.db.begin() as conn:
        for i in range(5):
            platform.audit.record(conn, Principal("alice", "operator"), "tagging.put", f"arn:aws:s3:::b{i}",
                                  before=None, after={"Owner": "a", "password": "p"})


def test_verify_passes_then_names_the_tampered_row(platform: Platform, tmp_path: Path) -> None:
    _seed(platform)
    ok = cli(platform, tmp_path, "audit", "verify")
    assert ok.returncode == 0 and "5 rows verified" in ok.stdout, ok.stderr
    with platform.db.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
        conn.execute(text("DELETE FROM audit_log WHERE seq = 5"))
    bad = cli(platform, tmp_path, "audit", "verify")
    assert bad.returncode == 1
    assert "TAMPERED row seq 3: edited" in bad.stderr
    assert "row seq 5" in bad.stderr and "deleted" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_export_writes_cloudtrail_shaped_json_lines(platform: Platform, tmp_path: Path) -> None:
    _seed(platform)
    done = cli(platform, tmp_path, "audit", "export", "--output", str(tmp_path / "trail.jsonl"))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in (tmp_path / "trail.jsonl").read_text().splitlines()]
    records = [r for r in lines if not any(k.startswith("assetguard") for k in r)]
    assert len(records) == 5
    assert {"assetguardHead": {"seq": 5, "hash": platform.audit.query(limit=1)[0]["hash"]}} in lines
    first = records[0]
    assert {"eventTime", "eventSource", "eventName", "userIdentity", "requestParameters",
            "responseElements"} <= set(first)
    assert first["eventSource"] == "tagging.assetguard" and first["eventName"] == "put"
    assert first["userIdentity"]["userName"] == "alice"
    assert first["responseElements"]["after"]["password"] == "***"


def in_process(platform: Platform | None, data_dir: Path, *args: str) -> Any:
    """The real command tree in-process (faster than a subprocess); ``platform=None``: no database."""
    from typer.testing import CliRunner

    from assetguard.cli.main import app

    url = platform.db.engine.url.render_as_string(hide_password=False) if platform is not None else None
    env = {"ASSETGUARD_DATABASE_URL": url, "ASSETGUARD_DATA_DIR": str(data_dir), "ASSETGUARD_CONFIG": None}
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def test_digest_verify_and_offline_export_verify(platform: Platform, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from assetguard.audit.signing import public_pem

    _seed(platform)
    data = tmp_path / "data"
    signed = in_process(platform, data, "audit", "digest")
    assert signed.exit_code == 0 and "digest #1 signed: rows 1-5" in signed.stdout, signed.output
    key_file = data / "audit-signing.key"
    assert key_file.stat().st_mode & 0o077 == 0
    again = in_process(platform, data, "audit", "digest")
    assert again.exit_code == 0 and "nothing to sign" in again.stdout
    ok = in_process(platform, data, "audit", "verify")
    assert ok.exit_code == 0 and "5 rows verified, 1 signed digest(s)" in ok.stdout, ok.output
    pub = in_process(platform, data, "audit", "public-key")
    assert pub.exit_code == 0 and pub.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    (tmp_path / "audit.pub").write_text(pub.stdout)
    exported = in_process(platform, data, "audit", "export", "-o", str(tmp_path / "trail.jsonl"))
    assert exported.exit_code == 0, exported.output
    assert "assetguardPublicKey" in (tmp_path / "trail.jsonl").read_text()

    # Offline: no database and an empty data directory; the auditor pins the key they were given.
    elsewhere = tmp_path / "auditor"
    offline = in_process(None, elsewhere, "audit", "verify", "--export", str(tmp_path / "trail.jsonl"),
                         "--public-key", str(tmp_path / "audit.pub"))
    assert offline.exit_code == 0 and "audit export intact: 5 rows verified, 1 signed digest(s)" in offline.stdout, offline.output
    assert not elsewhere.exists()  # nothing opened a database
    other = tmp_path / "other.pub"
    other.write_text(public_pem(Ed25519PrivateKey.generate().public_key()))
    wrong = in_process(None, elsewhere, "audit", "verify", "--export", str(tmp_path / "trail.jsonl"),
                       "--public-key", str(other))
    assert wrong.exit_code == 1 and "TAMPERED digest #1: signed by key" in wrong.stderr
    garbage = tmp_path / "g.bin"
    garbage.write_bytes(b"\xff\xfe\x00\x80garbage")
    for argv in (("--export", str(garbage)), ("--public-key", str(garbage))):
        bad = in_process(platform, data, "audit", "verify", *argv)
        assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1 and "g.bin" in bad.stderr, argv

    # Someone with database access deletes the signed tail and moves the head back.
    with platform.db.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq > 3"))
        conn.execute(text("UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_log WHERE seq = 3)"))
    truncated = in_process(platform, data, "audit", "verify")
    assert truncated.exit_code == 1
    assert ("TAMPERED trail truncated: digest #1 covers rows up to 5 but the trail ends at row 3 (rows 4-5 removed)"
            in truncated.stderr.splitlines()), truncated.stderr
    key_file.chmod(0o644)
    loose = in_process(platform, data, "audit", "digest")
    assert loose.exit_code == 2 and "chmod 600" in loose.stderr


def test_token_create_list_revoke(platform: Platform, tmp_path: Path) -> None:
    created = cli(platform, tmp_path, "token", "create", "--name", "ci", "--role", "operator")
    assert created.returncode == 0, created.stderr
    plaintext = created.stdout.strip().splitlines()[-1]
    principal = platform.tokens.authenticate(plaintext)
    assert principal is not None and principal.role == "operator"
    listed = json.loads(cli(platform, tmp_path, "token", "list", "--json").stdout)
    assert [t["name"] for t in listed] == ["ci"] and "token_hash" not in listed[0]
    dup = cli(platform, tmp_path, "token", "create", "--name", "ci")
    assert dup.returncode == 2 and dup.stderr.strip() == "error: a token named 'ci' already exists"
    bad_role = cli(platform, tmp_path, "token", "create", "--name", "x", "--role", "root")
    assert bad_role.returncode == 2 and "unknown role 'root'" in bad_role.stderr
    assert cli(platform, tmp_path, "token", "revoke", "ci").returncode == 0
    assert platform.tokens.authenticate(plaintext) is None
    actions = [r["action"] for r in platform.audit.query()]
    assert actions == ["auth.token_revoke", "auth.token_create"]
    assert platform.audit.query()[0]["actor_kind"] == "cli"


def test_db_status_and_upgrade(tmp_path: Path) -> None:
    env = clean_env()
    run = lambda *a: subprocess.run([str(BIN), *a], cwd=tmp_path, env=env, capture_output=True,  # noqa: E731
                                    text=True, timeout=120)
    before = run("db", "status")
    assert before.returncode == 1 and "pending" in before.stdout and "audit_" in before.stdout
    up = run("db", "upgrade")
    assert up.returncode == 0 and "head(s)" in up.stdout, up.stderr
    after = run("db", "status")
    assert after.returncode == 0 and "up to date" in after.stdout
