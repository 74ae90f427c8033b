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
