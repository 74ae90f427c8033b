"""Database engine and migrations: SQLite pragmas, PostgreSQL URLs, heads, readiness."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from assetguard.core.errors import ConfigError
from assetguard.db import migrate
from assetguard.db.engine import Database, make_engine, normalise_url
from assetguard.runtime.platform import Platform


def test_sqlite_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'ag.db'}")
    try:
        with db.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert (tmp_path / "nested" / "dir").is_dir()
        with db.begin() as conn:
            conn.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
            conn.execute(text("CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent(id))"))
        with pytest.raises(Exception, match="FOREIGN KEY"), db.begin() as conn:
            conn.execute(text("INSERT INTO child (id, p) VALUES (1, 42)"))
    finally:
        db.dispose()


def test_url_normalisation_and_bad_urls() -> None:
    assert normalise_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"
    with pytest.raises(ConfigError, match="unsupported database backend 'mysql'"):
        make_engine("mysql://u@h/d")
    with pytest.raises(ConfigError, match="invalid database_url"):
        make_engine("not a url")


def test_fresh_database_is_migrated_to_every_branch_head(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert not migrate.is_up_to_date(db.engine)
        migrate.upgrade(db.engine)
        assert migrate.is_up_to_date(db.engine)
        heads = migrate.current_heads(db.engine)
        assert {"audit", "auth", "events"} <= {h.split("_")[0] for h in heads}
        assert all(h.split("_")[0] in migrate.DOMAINS for h in heads)
        migrate.upgrade(db.engine)  # idempotent
        assert migrate.current_heads(db.engine) == heads
    finally:
        db.dispose()


def test_each_branch_is_labelled_by_its_domain() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    for revision in script.walk_revisions():
        domain = revision.revision.split("_")[0]
        assert domain in migrate.DOMAINS, f"revision {revision.revision} does not start with a known domain"
        if revision.down_revision is None:
            assert revision.branch_labels == {domain}, f"{revision.revision} must have branch_labels=({domain!r},)"


def test_readyz_is_503_while_migrations_are_pending(client: TestClient, platform: Platform) -> None:
    first = client.get("/readyz")
    assert first.status_code == 200, first.text
    with platform.db.begin() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version WHERE version_num LIKE 'audit%'")).scalar()
        conn.execute(text("DELETE FROM alembic_version WHERE version_num = :v"), {"v": head})
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.json()["database"] == "migrations pending"
    with platform.db.begin() as conn:
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": head})
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    from assetguard.api.app import create_app
    from assetguard.core.settings import Settings

    settings = Settings(data_dir=tmp_path, database_url="postgresql://nobody@127.0.0.1:1/none",
                        secret_key="test-secret-key-0123456789abcdef")  # type: ignore[arg-type]
    platform = Platform.create(settings, upgrade=False)
    try:
        with TestClient(create_app(platform=platform)) as client:
            resp = client.get("/readyz")
            assert resp.status_code == 503 and resp.json()["database"] == "unreachable"
            assert client.get("/healthz").status_code == 200
    finally:
        platform.close()


def test_sqlite_write_transaction_takes_the_lock_up_front_and_reports_a_locked_database(tmp_path: Path) -> None:
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    db = Database(f"sqlite:///{tmp_path}/x.db")
    event.listen(db.engine, "connect", lambda dbapi, _r: dbapi.execute("PRAGMA busy_timeout=100"))
    with db.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        # BEGIN IMMEDIATE: this transaction holds the write lock before it writes anything.
        other = sqlite3.connect(tmp_path / "x.db", timeout=0.05, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    # Locked by someone else: the error is SQLAlchemy's, like any statement's, and names the cause.
    with pytest.raises(OperationalError, match="database is locked"):
        with db.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
    other.execute("ROLLBACK")
    with db.begin() as conn:  # the pooled connection is still usable
        conn.execute(text("INSERT INTO t VALUES (2)"))
    with db.connect() as conn:
        assert conn.execute(text("SELECT x FROM t")).scalars().all() == [2]
    other.close()
    db.dispose()
