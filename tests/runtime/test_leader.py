"""One scheduler leads per deployment: PostgreSQL advisory lock; SQLite is single-node."""

from __future__ import annotations

from assetguard.db.engine import Database
from assetguard.runtime.leader import LeaderLock
from assetguard.runtime.platform import Platform


def test_only_one_process_leads_until_it_lets_go(platform: Platform) -> None:
    other_db = Database(platform.settings.resolved_database_url)  # a second "process"
    try:
        with LeaderLock(platform.db) as first:
            assert first.try_acquire()
            with LeaderLock(other_db) as second:
                expected = platform.db.dialect != "postgresql"  # SQLite: every process is its own leader
                assert second.try_acquire() is expected
        with LeaderLock(other_db) as third:
            assert third.try_acquire()
    finally:
        other_db.dispose()
