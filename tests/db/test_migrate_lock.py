"""Migrations under a database-wide lock: concurrent upgrades on one empty database all succeed,
and a database migrated by a newer release is left alone (and counts as up to date)."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from assetguard.db import migrate
from assetguard.db.engine import make_engine
from tests.conftest import fresh_postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with fresh_postgres_database("ag_mig") as url:
        yield url


def test_three_concurrent_upgrades_on_an_empty_database(empty_url: str) -> None:
    code = ("import sys; from assetguard.db import migrate; from assetguard.db.engine import make_engine; "
            "e = make_engine(sys.argv[1]); print('migrated' if migrate.upgrade(e) else 'nothing to do')")
    procs = [subprocess.Popen([sys.executable, "-c", code, empty_url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(p.wait(120), *p.communicate()) for p in procs]
    assert all(rc == 0 for rc, _out, _err in results), results
    said = sorted(out.strip() for _rc, out, _err in results)
    assert said.count("migrated") == 1, said  # the others waited, then found nothing to do
    engine = make_engine(empty_url)
    try:
        assert migrate.is_up_to_date(engine)
        assert migrate.current_heads(engine) == migrate.expected_heads()
    finally:
        engine.dispose()


def test_the_lock_serialises_in_one_process_too(empty_url: str) -> None:
    engine = make_engine(empty_url)
    outcomes: list[bool | BaseException] = []

    def run() -> None:
        try:
            outcomes.append(migrate.upgrade(engine))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    engine.dispose()
    assert sorted(outcomes, key=str) == [False, False, True], outcomes


def test_a_database_from_a_newer_release_is_left_alone(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        migrate.upgrade(engine)
        with engine.begin() as conn:  # a newer release added events_9999 after this release's head
            head = next(h for h in migrate.current_heads(engine) if h.startswith("events_"))
            conn.execute(text("UPDATE alembic_version SET version_num = 'events_9999' WHERE version_num = :h"),
                         {"h": head})
        assert migrate.unknown_heads(engine) == {"events_9999"}
        assert migrate.is_up_to_date(engine)  # readiness stays green for the older replica
        assert migrate.upgrade(engine) is False  # and it does not try to migrate
        assert "events_9999" in migrate.current_heads(engine)
    finally:
        engine.dispose()


def test_pending_heads_lists_what_is_missing(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        assert migrate.pending_heads(engine) == migrate.expected_heads()
        migrate.upgrade(engine)
        assert migrate.pending_heads(engine) == set()
    finally:
        engine.dispose()
