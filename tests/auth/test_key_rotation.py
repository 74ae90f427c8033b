"""Rotating the shared keys and the key-encryption key, on SQLite and PostgreSQL, with two
platforms standing for two hosts: a new version becomes current everywhere without restart, the
previous one verifies (or decrypts) for its grace period, and each rotation is audited."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from typer.testing import CliRunner

from assetguard.api.auth import csrf_matches, csrf_token, make_session, session_principal
from assetguard.auth import keys as keys_module
from assetguard.auth.keys import PARAMETERS_KEY, SESSION_KEY, WEBHOOK_KEY
from assetguard.auth.principal import SYSTEM
from assetguard.auth.tables import signing_key_versions, signing_keys
from assetguard.core.errors import ConfigError, ValidationError
from assetguard.core.settings import Settings
from assetguard.runtime.platform import Platform
from assetguard.tagging.params import LocalParameterStore, reencrypt_secure_values
from assetguard.tagging.tables import parameter_versions
from assetguard.targets.base import Delivery, build_target
from assetguard.targets.webhook import verify
from tests.targets.receivers import HttpReceiver

SECRET = "test-secret-key-0123456789abcdef"
NEW_SECRET = "the-next-secret-key-fedcba9876543210"


def host(tmp_path: Path, name: str, db_url: str, secret: str = SECRET, **extra: object) -> Platform:
    settings = Settings(data_dir=tmp_path / name / ".assetguard", database_url=db_url,  # type: ignore[arg-type]
                        secret_key=secret, **extra)  # type: ignore[arg-type]
    return Platform.create(settings, upgrade=False)


@pytest.fixture
def hosts(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    a, b = host(tmp_path, "a", db_url), host(tmp_path, "b", db_url)
    yield a, b
    a.close()
    b.close()


def audit_rows(platform: Platform, action: str) -> list[dict[str, object]]:
    return platform.audit.query(action=action, limit=10)


def test_session_rotation_keeps_old_sessions_until_the_grace_ends(hosts, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = hosts
    info, _plain = a.tokens.create("alice", "operator", actor=SYSTEM)
    old = make_session(a, info.id)
    assert len(old.split(".")) == 3  # version 1: the format sessions had before rotation existed
    assert session_principal(b, old) is not None  # b now holds version 1 in its cache

    rotated = a.keys.rotate("session", actor=SYSTEM)
    assert rotated.version == 2
    new = make_session(a, info.id)
    assert new.split(".")[2] == "2"
    # b has not re-read the keys yet (cached for REFRESH_SECONDS), but a cookie naming a newer
    # version makes it look at once
    principal = session_principal(b, new)
    assert principal is not None and principal.name == "alice"
    assert session_principal(b, old) is not None and session_principal(a, old) is not None
    assert csrf_matches(b, old, csrf_token(a, old)) and csrf_matches(a, new, csrf_token(b, new))
    # and once its cache is stale, b signs new sessions with version 2 too, without restart
    monkeypatch.setattr(keys_module, "REFRESH_SECONDS", 0.0)
    assert make_session(b, info.id).split(".")[2] == "2"

    # a forged cookie naming version 2 but signed with version 1 is refused
    token_id, expiry, _v, _sig = new.split(".")
    forged_sig = hmac.new(a.keys.version(SESSION_KEY, 1).key, f"session:{token_id}.{expiry}.2".encode(),  # type: ignore[union-attr]
                          hashlib.sha256).hexdigest()
    assert session_principal(b, f"{token_id}.{expiry}.2.{forged_sig}") is None
    assert session_principal(b, f"{token_id}.{expiry}.99.{forged_sig}") is None  # no such version

    # a rotation with no overlap ends version 2 at once: its sessions stop, version 3's work
    a.keys.rotate("session", actor=SYSTEM, overlap=timedelta(0))
    assert session_principal(b, new) is None
    assert session_principal(b, old) is not None  # version 1's own 12 hours are not cut short
    assert session_principal(b, make_session(a, info.id)) is not None

    rows = audit_rows(a, "keys.rotate")
    assert [r["after"]["version"] for r in rows] == [3, 2]  # type: ignore[index]
    assert all(r["resource"] == "key/session" and r["actor"] == SYSTEM.name for r in rows)
    listed = a.keys.describe(SESSION_KEY)
    assert [r["version"] for r in listed] == [3, 2, 1]
    assert listed[0]["state"] == "current" and listed[1]["state"] == "expired"
    assert listed[2]["state"].startswith("verifies until ")


def test_webhook_rotation_signs_with_both_keys_during_the_overlap(tmp_path: Path, db_url: str) -> None:
    p = host(tmp_path, "a", db_url, outbound={"allow_cidrs": ["127.0.0.0/8"]})
    try:
        old_secret = p.keys.text(WEBHOOK_KEY).encode()
        with HttpReceiver() as rx:
            target = build_target("webhook", {"url": rx.url + "/in"}, p)
            delivery = Delivery(event={"id": "e-1"}, payload={"n": 1}, rule="r", target_id="t", attempt=1,
                                delivery_id="d-1")
            target.deliver(delivery)
            p.keys.rotate("webhook", actor=SYSTEM)
            new_secret = p.keys.text(WEBHOOK_KEY).encode()
            assert new_secret != old_secret
            target.deliver(delivery)
            p.keys.rotate("webhook", actor=SYSTEM, overlap=timedelta(0))
            newest = p.keys.text(WEBHOOK_KEY).encode()
            target.deliver(delivery)
        before, during, after = (r.headers["x-assetguard-signature"] for r in rx.requests)
        body = rx.requests[0].body
        assert before == "sha256=" + hmac.new(old_secret, body, hashlib.sha256).hexdigest()
        assert len(during.split(", ")) == 2
        assert verify(during, new_secret, body) and verify(during, old_secret, body)
        assert during.split(", ")[0] == "sha256=" + hmac.new(new_secret, body, hashlib.sha256).hexdigest()
        # no overlap: only the newest key signs; version 1's 24 hours still run
        assert verify(after, newest, body) and not verify(after, new_secret, body)
        assert verify(after, old_secret, body) and len(after.split(", ")) == 2
        assert not verify(after, b"some-other-secret", body)
    finally:
        p.close()


def test_params_rotation_reencrypts_every_value(hosts) -> None:
    a, b = hosts
    store = LocalParameterStore(a)
    store.put("/app/db", "s3cr3t-one", "SecureString", actor=SYSTEM)
    store.put("/app/db", "s3cr3t-two", "SecureString", overwrite=True, actor=SYSTEM)
    store.put("/app/plain", "visible", actor=SYSTEM)
    with a.db.connect() as conn:
        before = dict(conn.execute(select(parameter_versions.c.version, parameter_versions.c.value)
                                   .where(parameter_versions.c.name == "/app/db")).all())
    v1 = Fernet(__import__("base64").urlsafe_b64encode(a.keys.key(PARAMETERS_KEY)))

    rewritten: list[int] = []
    new = a.keys.rotate("params", actor=SYSTEM,
                        conn_hook=lambda conn, version: rewritten.append(reencrypt_secure_values(a, conn, version)))
    assert new.version == 2 and rewritten == [2]
    with a.db.connect() as conn:
        after = dict(conn.execute(select(parameter_versions.c.version, parameter_versions.c.value)
                                  .where(parameter_versions.c.name == "/app/db")).all())
    assert after.keys() == before.keys() and all(after[v] != before[v] for v in before)
    v2 = Fernet(__import__("base64").urlsafe_b64encode(new.key))
    assert v2.decrypt(after[2].encode()) == b"s3cr3t-two"
    with pytest.raises(Exception):  # noqa: B017 - the new ciphertext is not version 1's
        v1.decrypt(after[2].encode())
    # the other host reads both versions, and a value it writes now is under version 2
    other = LocalParameterStore(b)
    assert other.get("/app/db:1").value == "s3cr3t-one" and other.get("/app/db").value == "s3cr3t-two"
    assert other.get("/app/plain").value == "visible"
    other.put("/app/db", "s3cr3t-three", "SecureString", overwrite=True, actor=SYSTEM)
    with b.db.connect() as conn:
        third = conn.execute(select(parameter_versions.c.value).where(parameter_versions.c.name == "/app/db",
                                                                      parameter_versions.c.version == 3)).scalar_one()
    assert v2.decrypt(third.encode()) == b"s3cr3t-three"
    # version 1 is kept for decryption (a value written with it by a process that had not seen the rotation)
    assert [k.version for k in b.keys.valid(PARAMETERS_KEY)] == [2, 1]
    with pytest.raises(ValidationError, match="unknown key 'nope'"):
        a.keys.rotate("nope", actor=SYSTEM)


def test_rewrap_moves_every_version_to_a_new_secret(tmp_path: Path, db_url: str) -> None:
    a = host(tmp_path, "a", db_url)
    keys = {name: a.keys.key(name) for name in (SESSION_KEY, WEBHOOK_KEY, PARAMETERS_KEY)}
    a.keys.rotate("session", actor=SYSTEM)
    rotated = a.keys.key(SESSION_KEY)
    a.close()

    # a host with the new secret alone cannot read them yet; with the old one as fallback it can
    with pytest.raises(ConfigError, match="encrypted with key-encryption key"):
        host(tmp_path, "n0", db_url, secret=NEW_SECRET).keys.key(WEBHOOK_KEY)
    fallback = host(tmp_path, "n1", db_url, secret=NEW_SECRET, secret_key_fallbacks=[SECRET])
    assert fallback.keys.key(WEBHOOK_KEY) == keys[WEBHOOK_KEY]
    fallback.close()

    new = host(tmp_path, "n2", db_url, secret=NEW_SECRET)
    with pytest.raises(ConfigError, match="none of the given secrets"):
        new.keys.rewrap(actor=SYSTEM, old_secrets=[b"not-the-old-secret-at-all"])
    counts = new.keys.rewrap(actor=SYSTEM, old_secrets=[SECRET.encode()])
    assert counts == {"rewrapped": 4, "unchanged": 0}
    assert new.keys.rewrap(actor=SYSTEM, old_secrets=[SECRET.encode()]) == {"rewrapped": 0, "unchanged": 4}
    with new.db.connect() as conn:
        kek_ids = {r.kek_id for r in conn.execute(select(signing_keys)).all()} | \
            {r.kek_id for r in conn.execute(select(signing_key_versions)).all()}
    assert kek_ids == {new.keys.current_kek_id}
    assert new.keys.key(SESSION_KEY) == rotated and new.keys.version(SESSION_KEY, 1).key == keys[SESSION_KEY]  # type: ignore[union-attr]
    assert new.keys.key(PARAMETERS_KEY) == keys[PARAMETERS_KEY]
    row = audit_rows(new, "keys.rewrap")[0]
    assert row["after"] == {"kek_id": new.keys.current_kek_id, "rewrapped": 4, "unchanged": 0}
    new.close()
    # the old secret no longer opens them
    with pytest.raises(ConfigError, match="encrypted with key-encryption key"):
        host(tmp_path, "o", db_url).keys.key(WEBHOOK_KEY)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_keys_cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from assetguard.cli.main import app

    env = {"ASSETGUARD_DATABASE_URL": db_url, "ASSETGUARD_DATA_DIR": str(tmp_path / "cli"),
           "ASSETGUARD_SECRET_KEY": SECRET, "ASSETGUARD_CONFIG": str(tmp_path / "none.yaml")}
    (tmp_path / "none.yaml").write_text("{}\n")
    run = CliRunner()
    shown = run.invoke(app, ["keys", "show", "webhook"], env=env)
    assert shown.exit_code == 0 and len(shown.output.strip()) == 64
    done = run.invoke(app, ["keys", "rotate", "webhook", "--overlap", "2d"], env=env)
    assert done.exit_code == 0 and "webhook: version 2 is current; version 1 verifies until" in done.output, done.output
    assert run.invoke(app, ["keys", "show", "webhook"], env=env).output != shown.output
    done = run.invoke(app, ["keys", "rotate", "params"], env=env)
    assert done.exit_code == 0 and "version 1 decrypts indefinitely" in done.output, done.output
    listed = run.invoke(app, ["keys", "list"], env=env).output
    assert "webhook     v2" in listed and "verifies until" in listed and "decrypts (kept)" in listed, listed
    for args, message in ((["keys", "rotate", "nope"], "unknown key 'nope'"),
                          (["keys", "rotate", "session", "--overlap", "soon"], "not a duration"),
                          (["keys", "rotate", "params", "--overlap", "1h"], "does not apply"),
                          (["keys", "rewrap", "--old-secret-env", "AG_TEST_UNSET_OLD"], "AG_TEST_UNSET_OLD is not set")):
        result = run.invoke(app, args, env=env)
        errors = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert result.exit_code == 2 and len(errors) == 1 and message in errors[0], (args, result.output)
    monkeypatch.setenv("AG_TEST_OLD", SECRET)
    moved = run.invoke(app, ["keys", "rewrap", "--old-secret-env", "AG_TEST_OLD"],
                       env={**env, "ASSETGUARD_SECRET_KEY": NEW_SECRET})
    assert moved.exit_code == 0 and "re-encrypted 4 key version(s)" in moved.output, moved.output


def test_two_rotations_at_once_never_share_a_version(tmp_path: Path, db_url: str) -> None:
    """b rotates while a's rotation is inside its transaction: on PostgreSQL b's insert waits for a's
    row and is then refused (one line); on SQLite the write lock serialises them into versions 2 and 3."""
    import threading

    from assetguard.core.errors import ConflictError

    a, b = host(tmp_path, "a", db_url), host(tmp_path, "b", db_url)
    try:
        a.keys.key(WEBHOOK_KEY)
        b.keys.key(WEBHOOK_KEY)
        outcome: list[object] = []

        def other() -> None:
            try:
                outcome.append(b.keys.rotate("webhook", actor=SYSTEM).version)
            except ConflictError as exc:
                outcome.append(exc)

        thread = threading.Thread(target=other)

        def inside(_conn: object, _new: object) -> None:
            thread.start()
            thread.join(1.0)  # b is now blocked on a's transaction
            assert thread.is_alive()

        assert a.keys.rotate("webhook", actor=SYSTEM, conn_hook=inside).version == 2
        thread.join(30)
        assert not thread.is_alive() and len(outcome) == 1
        if db_url.startswith("postgresql"):
            assert isinstance(outcome[0], ConflictError) and "rotated by another process" in str(outcome[0])
            assert [r["version"] for r in a.keys.describe(WEBHOOK_KEY)] == [2, 1]
        else:
            assert outcome == [3]
            assert [r["version"] for r in a.keys.describe(WEBHOOK_KEY)] == [3, 2, 1]
    finally:
        a.close()
        b.close()
