"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL tests need ``ASSETGUARD_TEST_POSTGRES_URL`` (CI sets it); without it they skip with
that reason. With ``ASSETGUARD_TEST_REQUIRE_SERVICES=1`` (CI sets it too) a missing server fails
instead of skipping. Each test gets its own database: a copy of a migrated SQLite template file,
or ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from assetguard.core.settings import Settings
from assetguard.db import migrate
from assetguard.db.engine import make_engine, normalise_url
from assetguard.runtime.platform import Platform

PG_URL = os.environ.get("ASSETGUARD_TEST_POSTGRES_URL")
NATS_URL = os.environ.get("ASSETGUARD_TEST_NATS_URL")
REQUIRE = os.environ.get("ASSETGUARD_TEST_REQUIRE_SERVICES") == "1"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPORA = SHARED / "corpora"


def need_service(name: str, value: str | None, env: str) -> str:
    """Return the service URL, or skip (fail under ASSETGUARD_TEST_REQUIRE_SERVICES=1) when unset."""
    if value:
        return value
    if REQUIRE:
        pytest.fail(f"{name} is required in this run but {env} is not set")
    pytest.skip(f"{name} tests need a server: set {env} to run them")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    url = normalise_url(need_service("PostgreSQL", PG_URL, "ASSETGUARD_TEST_POSTGRES_URL"))
    name = f"ag_tmpl_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(_with_db(url, name))
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _with_db(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database of each backend."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "assetguard.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    url = normalise_url(PG_URL or "")
    name = f"ag_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield _with_db(url, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(data_dir=tmp_path / ".assetguard", database_url=db_url,
                    secret_key="test-secret-key-0123456789abcdef")  # type: ignore[arg-type]


@pytest.fixture
def platform(settings: Settings) -> Iterator[Platform]:
    p = Platform.create(settings, upgrade=False)
    yield p
    p.close()


@pytest.fixture
def app(platform: Platform):  # type: ignore[no-untyped-def]
    from assetguard.api.app import create_app

    return create_app(platform=platform)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


def _token(platform: Platform, role: str) -> str:
    from assetguard.auth.principal import SYSTEM

    _info, plaintext = platform.tokens.create(f"test-{role}", role, actor=SYSTEM)
    return plaintext


@pytest.fixture
def admin_headers(platform: Platform) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(platform, 'admin')}"}


@pytest.fixture
def operator_headers(platform: Platform) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(platform, 'operator')}"}


@pytest.fixture
def viewer_headers(platform: Platform) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(platform, 'viewer')}"}


@pytest.fixture
def console_login(client, platform: Platform):  # type: ignore[no-untyped-def]
    """Log the ``client`` into the console with a new token of ``role``; returns the CSRF token.

    >>> csrf = console_login("operator")
    >>> client.post("/console/x", data={"csrf_token": csrf, ...})
    """
    import re

    def login(role: str = "admin") -> str:
        from assetguard.auth.principal import SYSTEM

        _info, token = platform.tokens.create(f"console-{role}-{uuid.uuid4().hex[:6]}", role, actor=SYSTEM)
        form = client.get("/login")
        login_csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert login_csrf, "login form has no CSRF field"
        resp = client.post("/login", data={"token": token, "csrf_token": login_csrf.group(1)},
                           follow_redirects=False)
        assert resp.status_code == 303, resp.text
        page = client.get("/console/")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf, "console page has no CSRF field"
        return csrf.group(1)

    return login
