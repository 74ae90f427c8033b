"""Three processes started together on an empty PostgreSQL database all come up: the migration
lock makes the later ones wait, then find nothing to do."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from assetguard.db import migrate
from assetguard.db.engine import normalise_url
from tests.scaleout.conftest import Cluster


def test_three_starters_on_an_empty_database_all_succeed(cluster: Cluster) -> None:
    api_a = cluster.start("api-a", "api", http=True, wait=False)
    upgrader = cluster.start("upgrade", "db", "upgrade")
    api_b = cluster.start("api-b", "api", http=True, wait=False)
    assert upgrader.wait(120) == 0, upgrader.describe()
    assert "head(s)" in upgrader.output(), upgrader.describe()
    api_a.wait_healthz(120)
    api_b.wait_healthz(120)
    for proc in (api_a, api_b):
        assert "UniqueViolation" not in proc.output() and "DuplicateTable" not in proc.output(), proc.describe()

    engine = create_engine(normalise_url(cluster.env["ASSETGUARD_DATABASE_URL"]))
    try:
        with engine.connect() as conn:
            versions = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
        assert sorted(versions) == sorted(set(versions)), versions  # each branch head recorded once
        assert migrate.is_up_to_date(engine)
    finally:
        engine.dispose()
    for proc in (api_a, api_b):
        assert proc.terminate() == 0, proc.describe()


def test_two_ups_on_an_empty_database_print_one_admin_token(cluster: Cluster) -> None:
    """Both start; exactly one creates the first admin token and prints it, the other says to log
    in with an existing token (the check and the insert run under the migration lock)."""
    from tests.scaleout.conftest import free_port

    cluster.env["ASSETGUARD_TELEMETRY__ENABLED"] = "false"
    ups = [cluster.start(f"up-{i}", "up", http=True, wait=False,
                         env={"ASSETGUARD_WAF__LISTEN": f"127.0.0.1:{free_port()}",
                              "ASSETGUARD_WAF__UPSTREAM": f"http://127.0.0.1:{free_port()}",
                              "ASSETGUARD_DEMO__APP_PORT": str(free_port())})
           for i in range(2)]
    for up in ups:
        up.wait_healthz(180)
    created = [up for up in ups if "first start: created an admin token" in up.output()]
    assert len(created) == 1, [up.describe() for up in ups]
    [other] = [up for up in ups if up is not created[0]]
    assert "log in with an existing token" in other.output(), other.describe()
    engine = create_engine(normalise_url(cluster.env["ASSETGUARD_DATABASE_URL"]))
    try:
        with engine.connect() as conn:
            admins = conn.execute(text("SELECT name FROM api_tokens WHERE role = 'admin'")).scalars().all()
    finally:
        engine.dispose()
    assert admins == ["admin"]
    for up in ups:
        assert "Traceback" not in up.output(), up.describe()
        assert up.terminate(25) == 0, up.describe()
