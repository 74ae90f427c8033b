"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL tests need ``ASSETGUARD_TEST_POSTGRES_URL`` (CI sets it); without it they skip with
that reason. With ``ASSETGUARD_TEST_REQUIRE_SERVICES=1`` (CI sets it too) a missing server fails
instead of skipping. Each test gets its own database: a copy of a migrated SQLite template file,
or ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
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
# Third-party test corpora shipped with their licences (tests/data/README.md).
CORPORA = Path(__file__).resolve().parent / "data"


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
    with fresh_postgres_database("ag_t", template=request.getfixturevalue("postgres_template")) as url:
        yield url


@contextlib.contextmanager
def fresh_postgres_database(prefix: str, *, template: str | None = None) -> Iterator[str]:
    """The URL of a new PostgreSQL database (empty, or a copy of ``template``), dropped afterwards."""
    url = normalise_url(need_service("PostgreSQL", PG_URL, "ASSETGUARD_TEST_POSTGRES_URL"))
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield _with_db(url, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def nats_test_stream(prefix: str) -> Iterator[tuple[str, str]]:
    """``(nats_url, stream)``: a JetStream stream name of the caller's own, deleted afterwards."""
    url = need_service("NATS", NATS_URL, "ASSETGUARD_TEST_NATS_URL")
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    try:
        yield url, name
    finally:
        async def cleanup() -> None:
            import nats
            from nats.js.errors import NotFoundError

            nc = await nats.connect(url)
            with contextlib.suppress(NotFoundError):
                await nc.jetstream().delete_stream(name)
            await nc.close()

        asyncio.run(cleanup())


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


# --- live server and browser ---------------------------------------------------------------------

CHROMIUM = Path(os.environ.get("ASSETGUARD_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
TEST_OUTPUT = Path(__file__).resolve().parents[1] / "test-output"


class LiveServer:
    """A real uvicorn serving ``create_app(platform=...)`` on 127.0.0.1 in a background thread."""

    def __init__(self, platform: Platform) -> None:
        import socket
        import threading

        import uvicorn

        from assetguard.api.app import create_app

        self.platform = platform
        self.app = create_app(platform=platform)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="on", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="live-server", daemon=True)

    def start(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("live server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def token(self, role: str = "admin") -> str:
        """A fresh API token of ``role`` for this server's platform."""
        from assetguard.auth.principal import SYSTEM

        _info, plaintext = self.platform.tokens.create(f"live-{role}-{uuid.uuid4().hex[:6]}", role, actor=SYSTEM)
        return plaintext


@pytest.fixture
def live_server(platform: Platform) -> Iterator[LiveServer]:
    """``live_server.url`` answers real HTTP; ``live_server.token("viewer")`` makes a token."""
    server = LiveServer(platform).start()
    yield server
    server.stop()


def need_chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if REQUIRE:
        pytest.fail(f"browser tests are required in this run but {CHROMIUM} is missing (apt-get install chromium)")
    pytest.skip(f"browser tests need Debian chromium at {CHROMIUM}")


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    """One headless chromium per test module (Playwright driving Debian's /usr/bin/chromium).

    Module scope, not session: Playwright's sync API keeps an asyncio loop running in the main
    thread while it is open, and ``asyncio.run`` in any later test would then fail.
    """
    executable = need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(executable), headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
    import asyncio

    asyncio.set_event_loop(None)  # Playwright leaves its closed loop set as the thread's current one


class BrowserPage:
    """A fresh browser tab against ``live_server`` with login and screenshot helpers.

    >>> browser_page.login("viewer")          # pastes a new token into /login
    >>> browser_page.goto("/console/audit")
    >>> browser_page.page.locator("figure.chart [data-value]").count()
    >>> browser_page.screenshot("audit")      # test-output/audit-<backend>.png
    """

    def __init__(self, page, server: LiveServer, name: str) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.server = server
        self.name = name

    def goto(self, path: str):  # type: ignore[no-untyped-def]
        return self.page.goto(self.server.url + path)

    def login(self, role: str = "admin", next_path: str = "/console/") -> str:
        token = self.server.token(role)
        self.goto(f"/login?next={next_path}")
        self.page.fill("input[name=token]", token)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()
        return token

    def screenshot(self, label: str) -> Path:
        TEST_OUTPUT.mkdir(exist_ok=True)
        path = TEST_OUTPUT / f"{label}-{self.server.platform.db.dialect}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def browser_page(browser, live_server: LiveServer, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A new browser context (own cookies) and tab pointed at ``live_server``; JS errors fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield BrowserPage(page, live_server, request.node.name)
    context.close()
    assert not errors, f"browser console errors: {errors}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run browser tests last. Playwright's sync API leaves process-wide asyncio state behind that
    breaks NATS JetStream redelivery timing in later tests (seen after any browser test)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
