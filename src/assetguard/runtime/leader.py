"""Leadership of the periodic jobs: a lease with a fencing token, held in the database.

One scheduler leads a deployment; the others follow and take over when it goes away.

* **Lease row** ``scheduler_lease(name, holder, token, expires_at)``. Each acquisition adds one
  to ``token``, the fencing token: whatever an old leader still tries after losing the lease
  carries a smaller token and is refused.
* **PostgreSQL**: the leader also holds a session advisory lock on a dedicated connection. Only
  the lock holder may take the lease, so a follower takes over as soon as the leader's session
  ends (crash, ``pg_terminate_backend``, network cut) and not a lease-time later. The leader
  re-verifies that its session still holds the lock and that the row still carries its token;
  any error on that connection ends its leadership at once.
* **SQLite** (one host): the lease expires ``ttl`` seconds after its last renewal; a follower
  takes an expired lease. The leader stops considering itself leader before that can happen.
* **Job slots**: :meth:`LeaderLease.claim` records ``(job, slot)`` in ``scheduler_runs`` under
  its primary key, in a transaction that first checks the lease row still carries this
  leader's token (locking the row on PostgreSQL). Two leaders can never both run one slot.

>>> lease = LeaderLease(platform.db, ttl=15, check=5)
>>> lease.acquire()                    # True: this process leads; lease.token is its fencing token
>>> lease.verify()                     # before and during each job; False once it lost the lease
>>> lease.claim("telemetry.prune", slot)  # True only with the current token for a slot nobody ran
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from assetguard.core.clock import utcnow
from assetguard.runtime.tables import scheduler_lease, scheduler_runs

log = logging.getLogger(__name__)

LOCK_KEY = 0x61676764  # "agsd": assetguard scheduler (pg_advisory_lock key; < 2**31, so classid 0)


class LeadershipLost(Exception):
    """This process no longer holds the lease (another one took over, or its session died)."""


def default_holder() -> str:
    """``host:pid:random``: who holds the lease, as shown in the lease row and run records."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaderLease:
    def __init__(self, db: Any, name: str = "scheduler", *, ttl: float = 15.0, check: float = 5.0,
                 holder: str | None = None) -> None:
        self.db = db
        self.name = name
        self.ttl = ttl
        self.check = check
        self.holder = holder or default_holder()
        self.token: int | None = None
        self._conn: Any = None  # PostgreSQL: the session that holds the advisory lock
        self._valid_until = 0.0  # SQLite: monotonic time after which an unrenewed lease may be taken

    @property
    def leader(self) -> bool:
        return self.token is not None

    @property
    def _postgres(self) -> bool:
        return bool(self.db.dialect == "postgresql")

    # ------------------------------------------------------------------ acquire / verify / release
    def acquire(self) -> bool:
        """Try once to lead; True when this process leads (now or already)."""
        if self.token is not None:
            return self.verify()
        try:
            token = self._acquire_pg() if self._postgres else self._acquire_sqlite()
        except SQLAlchemyError as exc:
            log.info("scheduler lease not taken (database: %s)", type(exc).__name__)
            self._drop_connection()
            return False
        if token is not None:
            self.token = token
            log.info("scheduler lease taken by %s with fencing token %d", self.holder, token)
        return self.token is not None

    def _acquire_pg(self) -> int | None:
        if self._conn is None:
            self._conn = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if not self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar():
            return None
        # Holding the lock proves the previous leader's session is gone: take the lease whatever
        # its expiry, with the next token.
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        now = utcnow()
        stmt = pg_insert(scheduler_lease).values(name=self.name, holder=self.holder, token=1, acquired_at=now,
                                                 expires_at=now + timedelta(seconds=self.ttl))
        upsert = stmt.on_conflict_do_update(
            index_elements=[scheduler_lease.c.name],
            set_={"holder": stmt.excluded.holder, "token": scheduler_lease.c.token + 1,
                  "acquired_at": stmt.excluded.acquired_at, "expires_at": stmt.excluded.expires_at},
        ).returning(scheduler_lease.c.token)
        try:
            return int(self._conn.execute(upsert).scalar_one())
        except SQLAlchemyError:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            raise

    def _acquire_sqlite(self) -> int | None:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        started = time.monotonic()
        now = utcnow()
        stmt = sqlite_insert(scheduler_lease).values(name=self.name, holder=self.holder, token=1, acquired_at=now,
                                                     expires_at=now + timedelta(seconds=self.ttl))
        upsert = stmt.on_conflict_do_update(
            index_elements=[scheduler_lease.c.name],
            set_={"holder": stmt.excluded.holder, "token": scheduler_lease.c.token + 1,
                  "acquired_at": stmt.excluded.acquired_at, "expires_at": stmt.excluded.expires_at},
            where=scheduler_lease.c.expires_at < now,  # only an expired lease changes hands
        ).returning(scheduler_lease.c.token)
        with self.db.begin() as conn:
            token = conn.execute(upsert).scalar()
        if token is not None:
            self._valid_until = started + self.ttl - self.check
        return None if token is None else int(token)

    def verify(self) -> bool:
        """Renew and re-check the lease; False (and no longer leader) once it is lost."""
        if self.token is None:
            return False
        try:
            still = self._verify_pg() if self._postgres else self._verify_sqlite()
        except SQLAlchemyError as exc:
            if self._postgres or time.monotonic() >= self._valid_until:
                return self._lose(f"database: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            return True  # SQLite: a blip shorter than the lease; nobody can take it yet
        return True if still else self._lose("another scheduler holds the lease")

    def _verify_pg(self) -> bool:
        assert self._conn is not None
        held = self._conn.execute(text(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
            "AND granted AND classid = 0 AND objid = :k AND objsubid = 1)"), {"k": LOCK_KEY}).scalar()
        renewed = self._conn.execute(
            update(scheduler_lease)
            .where(scheduler_lease.c.name == self.name, scheduler_lease.c.token == self.token,
                   scheduler_lease.c.holder == self.holder)
            .values(expires_at=utcnow() + timedelta(seconds=self.ttl))).rowcount
        return bool(held) and renewed == 1

    def _verify_sqlite(self) -> bool:
        started = time.monotonic()
        with self.db.begin() as conn:
            renewed = conn.execute(
                update(scheduler_lease)
                .where(scheduler_lease.c.name == self.name, scheduler_lease.c.token == self.token,
                       scheduler_lease.c.holder == self.holder)
                .values(expires_at=utcnow() + timedelta(seconds=self.ttl))).rowcount
        if renewed == 1:
            self._valid_until = started + self.ttl - self.check
        return bool(renewed == 1)

    def _lose(self, why: str) -> bool:
        log.warning("scheduler lease lost (token %s): %s; stepping down", self.token, why)
        self.token = None
        self._drop_connection()
        return False

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()  # ends the session: its advisory lock goes with it
            except SQLAlchemyError:
                pass
            self._conn = None

    def release(self) -> None:
        """Step down on purpose (shutdown): a follower may take over at once."""
        token, self.token = self.token, None
        try:
            if self._postgres:
                if self._conn is not None and token is not None:
                    self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            elif token is not None:
                with self.db.begin() as conn:
                    conn.execute(update(scheduler_lease)
                                 .where(scheduler_lease.c.name == self.name, scheduler_lease.c.token == token)
                                 .values(expires_at=utcnow() - timedelta(seconds=1)))
        except SQLAlchemyError as exc:
            log.info("scheduler lease release: %s", type(exc).__name__)
        finally:
            self._drop_connection()

    def __enter__(self) -> LeaderLease:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()

    # ------------------------------------------------------------------ fenced job slots
    def claim(self, job: str, slot: int) -> bool:
        """Record that this leader runs ``job`` in ``slot``; False when the slot already ran.

        Raises :class:`LeadershipLost` when the lease row no longer carries this leader's token.
        """
        token = self.token
        if token is None:
            raise LeadershipLost("not the leader")
        query = select(scheduler_lease.c.token, scheduler_lease.c.holder).where(scheduler_lease.c.name == self.name)
        if self._postgres:
            query = query.with_for_update()  # a takeover's token increment waits for this claim, or vice versa
        try:
            with self.db.begin() as conn:
                row = conn.execute(query).first()
                if row is None or row.token != token or row.holder != self.holder:
                    raise LeadershipLost(f"the lease now carries token {row.token if row else None}, not {token}")
                conn.execute(insert(scheduler_runs).values(job=job, slot=slot, token=token, holder=self.holder,
                                                           status="running", started_at=utcnow()))
        except IntegrityError:
            return False
        except LeadershipLost as exc:
            self._lose(str(exc))
            raise
        return True

    def finish(self, job: str, slot: int, error: str | None) -> None:
        """Record a claimed run's outcome (best effort: the claim is what prevents a second run)."""
        try:
            with self.db.begin() as conn:
                conn.execute(update(scheduler_runs)
                             .where(scheduler_runs.c.job == job, scheduler_runs.c.slot == slot)
                             .values(status="failed" if error else "ok", finished_at=utcnow(),
                                     error=error[:1024] if error else None))
        except SQLAlchemyError as exc:
            log.info("recording the end of %s failed: %s", job, type(exc).__name__)

    def last_runs(self) -> dict[str, datetime]:
        """When each job last started, by any leader."""
        query = select(scheduler_runs.c.job, func.max(scheduler_runs.c.started_at)).group_by(scheduler_runs.c.job)
        with self.db.connect() as conn:
            return {job: started for job, started in conn.execute(query).all() if started is not None}
