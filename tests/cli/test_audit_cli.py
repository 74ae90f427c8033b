"""``assetguard audit verify|export`` and ``token`` through the real CLI, on both backends."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

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
    records = [json.loads(line) for line in (tmp_path / "trail.jsonl").read_text().splitlines()]
    assert len(records) == 5
    first = records[0]
    assert {"eventTime", "eventSource", "eventName", "userIdentity", "requestParameters",
            "responseElements"} <= set(first)
    assert first["eventSource"] == "tagging.assetguard" and first["eventName"] == "put"
    assert first["userIdentity"]["userName"] == "alice"
    assert first["responseElements"]["after"]["password"] == "***"


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
