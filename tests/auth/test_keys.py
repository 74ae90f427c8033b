"""Shared keys in the database, encrypted with a KEK that is not: one key per deployment, any host."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from assetguard.api.auth import csrf_token, make_session, session_principal
from assetguard.auth.keys import KEY_NAMES, PARAMETERS_KEY, SESSION_KEY, WEBHOOK_KEY, KeyStore
from assetguard.auth.principal import SYSTEM
from assetguard.auth.tables import signing_keys
from assetguard.core.errors import ConfigError
from assetguard.core.settings import Settings
from assetguard.db.engine import Database
from assetguard.runtime.platform import Platform
from assetguard.tagging.params import LocalParameterStore, _fernet
from assetguard.tagging.tables import parameter_versions

SECRET = "test-secret-key-0123456789abcdef"


def host(tmp_path: Path, name: str, db_url: str, secret: str | None = SECRET) -> Platform:
    """A platform as another host would run it: its own data directory, the shared database."""
    settings = Settings(data_dir=tmp_path / name / ".assetguard", database_url=db_url,
                        secret_key=secret)  # type: ignore[arg-type]
    return Platform.create(settings, upgrade=False)


def test_two_hosts_share_every_key(tmp_path: Path, db_url: str) -> None:
    a, b = host(tmp_path, "a", db_url), host(tmp_path, "b", db_url)
    try:
        for name in KEY_NAMES:
            assert a.keys.key(name) == b.keys.key(name) and len(a.keys.key(name)) == 32
        assert len({a.keys.key(n) for n in KEY_NAMES}) == 3  # three different keys
        # a session and its CSRF token made on host a are good on host b
        _info, _token = a.tokens.create("alice", "viewer", actor=SYSTEM)
        cookie = make_session(a, _info.id)
        principal = session_principal(b, cookie)
        assert principal is not None and principal.name == "alice"
        assert csrf_token(a, cookie) == csrf_token(b, cookie)
        # nor is the key the secret key itself: a cookie signed with the secret key is refused
        payload = cookie.rsplit(".", 1)[0]
        forged = payload + "." + hmac.new(SECRET.encode(), f"session:{payload}".encode(), hashlib.sha256).hexdigest()
        assert session_principal(b, forged) is None
    finally:
        a.close()
        b.close()


def test_keys_are_encrypted_at_rest(platform: Platform) -> None:
    key = platform.keys.key(WEBHOOK_KEY)
    with platform.db.connect() as conn:
        row = conn.execute(select(signing_keys).where(signing_keys.c.name == WEBHOOK_KEY)).one()
    assert key.hex() not in row.ciphertext and base64.urlsafe_b64encode(key).decode() not in row.ciphertext
    assert base64.b64encode(key).decode() not in row.ciphertext
    assert len(row.kek_id) == 16


def test_concurrent_starters_agree(settings: Settings) -> None:
    stores = [KeyStore(settings, Database(settings.resolved_database_url)) for _ in range(6)]
    results: list[bytes] = []
    barrier = threading.Barrier(len(stores))

    def start(store: KeyStore) -> None:
        barrier.wait()
        results.append(store.key(SESSION_KEY))

    threads = [threading.Thread(target=start, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for s in stores:
        s.db.dispose()
    assert len(results) == 6 and len(set(results)) == 1


def test_a_different_secret_key_is_a_clear_error(tmp_path: Path, db_url: str) -> None:
    a = host(tmp_path, "a", db_url)
    a.keys.key(SESSION_KEY)
    a.close()
    b = host(tmp_path, "b", db_url, secret="another-secret-key-0123456789")
    try:
        with pytest.raises(ConfigError, match=r"cannot decrypt the 'session' signing key.*every process must "
                                              r"use the same ASSETGUARD_SECRET_KEY"):
            b.keys.key(SESSION_KEY)
    finally:
        b.close()


def test_postgresql_without_secret_key_refuses_to_start(tmp_path: Path, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        # embedded SQLite: the data directory's secret.key is the KEK, made on first start
        platform = host(tmp_path, "embedded", db_url, secret=None)
        try:
            assert len(platform.keys.key(SESSION_KEY)) == 32
            assert (tmp_path / "embedded" / ".assetguard" / "secret.key").stat().st_mode & 0o777 == 0o600
        finally:
            platform.close()
        return
    # CLI commands that need no key still work; anything that needs one refuses with one line
    platform = host(tmp_path, "scaleout", db_url, secret=None)
    try:
        for attempt in (platform.keys.check, lambda: platform.keys.key(SESSION_KEY)):
            with pytest.raises(ConfigError, match=r"^secret_key: ASSETGUARD_SECRET_KEY must be set \(the same "
                                                  r"value on every process\) when the database is postgresql"):
                attempt()
        store = LocalParameterStore(platform)
        store.put("/assetguard/tags/default/Owner", "team", actor=SYSTEM)  # a plain parameter needs no key
        assert store.get("/assetguard/tags/default/Owner").value == "team"
        with pytest.raises(ConfigError, match="ASSETGUARD_SECRET_KEY must be set"):
            store.put("/assetguard/tags/default/Token", "s3cret", "SecureString", actor=SYSTEM)
        assert not (tmp_path / "scaleout" / ".assetguard" / "secret.key").exists()
    finally:
        platform.close()


def test_an_embedded_install_keeps_its_secure_parameters(tmp_path: Path, sqlite_template: Path) -> None:
    """A SecureString written before the shared parameters key existed (encrypted with a key derived
    from the data directory's secret.key) still reads back; a new version uses the shared key."""
    import shutil

    data = tmp_path / ".assetguard"
    data.mkdir()
    shutil.copy(sqlite_template, data / "assetguard.db")
    (data / "secret.key").write_text("old-install-secret-0123456789abcdef\n")
    (data / "secret.key").chmod(0o600)
    platform = Platform.create(Settings(data_dir=data), upgrade=False)
    try:
        store = LocalParameterStore(platform)
        store.put("/assetguard/tags/default/Token", "placeholder", "SecureString", actor=SYSTEM)
        legacy = _fernet(b"old-install-secret-0123456789abcdef").encrypt(b"s3cret-from-before").decode()
        with platform.db.begin() as conn:  # as the previous release stored it
            conn.execute(update(parameter_versions).where(parameter_versions.c.name == "/assetguard/tags/default/Token")
                         .values(value=legacy))
        assert store.get("/assetguard/tags/default/Token").value == "s3cret-from-before"
        store.put("/assetguard/tags/default/Token", "s3cret-new", "SecureString", overwrite=True, actor=SYSTEM)
        with platform.db.connect() as conn:
            stored = conn.execute(select(parameter_versions.c.value).where(
                parameter_versions.c.version == 2)).scalar_one()
        shared = Fernet(base64.urlsafe_b64encode(platform.keys.key(PARAMETERS_KEY)))
        assert shared.decrypt(stored.encode()) == b"s3cret-new"
        assert store.get("/assetguard/tags/default/Token:1").value == "s3cret-from-before"
    finally:
        platform.close()


def test_parameters_written_on_one_host_read_on_another(tmp_path: Path, db_url: str) -> None:
    a, b = host(tmp_path, "a", db_url), host(tmp_path, "b", db_url)
    try:
        LocalParameterStore(a).put("/assetguard/tags/default/Key", "v4lue", "SecureString", actor=SYSTEM)
        assert LocalParameterStore(b).get("/assetguard/tags/default/Key").value == "v4lue"
    finally:
        a.close()
        b.close()


def test_webhooks_from_two_workers_verify_with_one_key(tmp_path: Path, db_url: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from assetguard.cli.main import app
    from assetguard.targets.base import Delivery, build_target
    from tests.targets.receivers import HttpReceiver

    event = {"version": "0", "id": "ev-1", "detail-type": "t", "source": "s", "account": "1", "time": "t",
             "region": "r", "resources": [], "detail": {}}
    allow = {"allow_private_networks": ["127.0.0.0/8"]}
    with HttpReceiver() as rx:
        for name in ("worker-a", "worker-b"):
            settings = Settings(data_dir=tmp_path / name, database_url=db_url, secret_key=SECRET,  # type: ignore[arg-type]
                                webhook=allow)  # type: ignore[arg-type]
            worker = Platform.create(settings, upgrade=False)
            target = build_target("webhook", {"url": rx.url + "/in"}, worker)
            assert target.deliver(Delivery(event=event, payload={"from": name}, rule="r", target_id="t",
                                           attempt=1, delivery_id=name)) == "webhook 200"
            worker.close()
    # the receiver's one secret, as the operator gets it
    monkeypatch.setenv("ASSETGUARD_DATA_DIR", str(tmp_path / "cli"))
    monkeypatch.setenv("ASSETGUARD_DATABASE_URL", db_url)
    monkeypatch.setenv("ASSETGUARD_SECRET_KEY", SECRET)
    monkeypatch.delenv("ASSETGUARD_CONFIG", raising=False)
    shown = CliRunner().invoke(app, ["keys", "show", "webhook"])
    assert shown.exit_code == 0, shown.output
    secret = shown.output.strip().encode()
    assert len(secret) == 64
    assert len(rx.requests) == 2
    for request in rx.requests:
        expected = "sha256=" + hmac.new(secret, request.body, hashlib.sha256).hexdigest()
        assert request.headers["x-assetguard-signature"] == expected
    refused = CliRunner().invoke(app, ["keys", "show", "session"])
    assert refused.exit_code == 2 and "cannot be shown" in refused.output


@pytest.mark.parametrize(("url", "secret", "ok"), [
    ("postgresql://postgres@127.0.0.1:5432/x", None, False),
    ("postgres://postgres@127.0.0.1:5432/x", None, False),
    ("postgresql://postgres@127.0.0.1:5432/x", SECRET, True),
    (None, None, True),  # embedded SQLite: data_dir/secret.key
])
def test_config_check_names_a_missing_secret_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str | None,
                                                 secret: str | None, ok: bool) -> None:
    from typer.testing import CliRunner

    from assetguard.cli.main import app

    for name in ("ASSETGUARD_CONFIG", "ASSETGUARD_DATABASE_URL", "ASSETGUARD_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASSETGUARD_DATA_DIR", str(tmp_path / ".assetguard"))
    monkeypatch.chdir(tmp_path)
    if url:
        monkeypatch.setenv("ASSETGUARD_DATABASE_URL", url)
    if secret:
        monkeypatch.setenv("ASSETGUARD_SECRET_KEY", secret)
    result = CliRunner().invoke(app, ["config", "check"])
    if ok:
        assert result.exit_code == 0 and "configuration OK" in result.output, result.output
        assert not (tmp_path / ".assetguard" / "secret.key").exists()  # checking creates nothing
    else:
        assert result.exit_code == 2
        assert "ASSETGUARD_SECRET_KEY must be set (the same value on every process)" in result.output
