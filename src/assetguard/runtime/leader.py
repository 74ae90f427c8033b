"""Leader election for the one-per-deployment scheduler: a PostgreSQL advisory lock held on a
dedicated connection (released when the process or its connection dies). SQLite deployments are
single-node, so the process is always the leader.

>>> with LeaderLock(platform.db) as lock:
...     lock.wait_until_leader(stop_event)      # returns True once this process leads
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import text

LOCK_KEY = 0x61676764  # "agsd": assetguard scheduler


class LeaderLock:
    def __init__(self, db: Any, key: int = LOCK_KEY) -> None:
        self.db = db
        self.key = key
        self._conn: Any = None
        self.leader = False

    def __enter__(self) -> LeaderLock:
        if self.db.dialect == "postgresql":
            self._conn = self.db.engine.connect()
        return self

    def try_acquire(self) -> bool:
        if self._conn is None:
            self.leader = True
        elif not self.leader:
            self.leader = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
            self._conn.commit()
        return self.leader

    def wait_until_leader(self, stop: threading.Event, poll: float = 5.0) -> bool:
        while not stop.is_set():
            if self.try_acquire():
                return True
            stop.wait(poll)
        return False

    def __exit__(self, *_exc: object) -> None:
        if self._conn is not None:
            if self.leader:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.commit()
            self._conn.close()
        self.leader = False
