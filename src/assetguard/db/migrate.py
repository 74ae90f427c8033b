"""Apply migrations: every domain has its own Alembic branch, all upgraded to ``heads``.

A domain listed in :data:`DOMAINS` with a ``migrations/`` folder contributes its branch and
its ``tables`` module (imported so that metadata comparisons see every table).

Several processes may start at once on one database (``assetguard api`` on three hosts, or
``db upgrade`` beside them). :func:`upgrade` therefore runs under a database-wide lock: a
PostgreSQL advisory lock held on a dedicated connection for the whole upgrade, or on SQLite an
exclusive file lock beside the database plus a ``BEGIN IMMEDIATE`` transaction. The first
process migrates; the others wait, then find nothing to do.

A database already migrated by a *newer* release (a head this release does not know) is left
alone and counts as up to date: migrations are expand-then-contract (see the comment in
``db/alembic/env.py``), so the previous release keeps working on it during a rolling upgrade.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

import assetguard
from assetguard.core.errors import ConfigError

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(assetguard.__file__).parent

# Order matters only for readability; branches are independent.
DOMAINS = (
    "audit", "auth", "events", "inventory", "findings", "compliance", "cost",
    "tagging", "vulns", "waf", "telemetry", "demo", "runtime",
)

MIGRATION_LOCK_KEY = 0x61676D67  # "agmg": assetguard migrations (pg_advisory_lock key)
LOCK_WAIT_SECONDS = 600.0  # how long a starter waits for another process's migration


def migration_dirs() -> list[Path]:
    return [PACKAGE_DIR / d / "migrations" for d in DOMAINS if (PACKAGE_DIR / d / "migrations").is_dir()]


def import_table_modules() -> None:
    """Import ``assetguard.<domain>.tables`` for every domain that has one."""
    for domain in DOMAINS:
        if (PACKAGE_DIR / domain / "tables.py").exists():
            importlib.import_module(f"assetguard.{domain}.tables")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(PACKAGE_DIR / "db" / "alembic"))
    cfg.set_main_option("version_locations", " ".join(str(p) for p in migration_dirs()))
    cfg.set_main_option("path_separator", "space")
    return cfg


def upgrade(engine: Engine, target: str = "heads", *, lock_wait: float = LOCK_WAIT_SECONDS) -> bool:
    """Bring the database to the newest revision of every branch; True when this call migrated.

    Safe to call from many processes at once: see the module docstring.
    """
    if target == "heads" and is_up_to_date(engine):
        return False  # the common restart: no lock taken
    with migration_lock(engine, lock_wait):
        if target == "heads" and is_up_to_date(engine):
            return False  # another process migrated while we waited
        cfg = alembic_config()
        # assetguard_write: on SQLite the transaction starts with BEGIN IMMEDIATE (the write lock).
        with engine.connect().execution_options(assetguard_write=True) as conn, conn.begin():
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, target)
        return True


@contextlib.contextmanager
def migration_lock(engine: Engine, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold the database-wide migration lock; raise ConfigError after ``wait`` seconds."""
    if engine.dialect.name == "postgresql":
        with _pg_advisory_lock(engine, wait):
            yield
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        with _file_lock(Path(f"{engine.url.database}.migrate.lock"), wait):
            yield
    else:
        yield


@contextlib.contextmanager
def _pg_advisory_lock(engine: Engine, wait: float) -> Iterator[None]:
    # A dedicated connection, outside the migration's own transaction: the session-level lock is
    # held until unlocked or until the connection dies (a crashed migrator releases it).
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        deadline = time.monotonic() + wait
        announced = False
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY}).scalar():
            if not announced:
                log.info("waiting for another process to finish migrating the database")
                announced = True
            if time.monotonic() > deadline:
                raise ConfigError(f"another process has been migrating the database for over {wait:.0f} s; "
                                  "is a migration stuck? (pg_locks: advisory lock "
                                  f"{MIGRATION_LOCK_KEY})", where="database_url")
            time.sleep(0.2)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # a dead connection has released it already
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})


@contextlib.contextmanager
def _file_lock(path: Path, wait: float) -> Iterator[None]:
    # SQLite deployments are one host: an flock beside the database file serialises migrators
    # however long a migration takes (busy_timeout alone would give up after 30 s).
    try:
        import fcntl
    except ImportError:  # not POSIX: BEGIN IMMEDIATE alone serialises (up to busy_timeout)
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ConfigError(f"another process has been migrating the database for over {wait:.0f} s",
                                      where=str(path)) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def current_heads(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


@functools.lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    # The migration files of a running release do not change: read them once per process.
    return ScriptDirectory.from_config(alembic_config())


def expected_heads() -> set[str]:
    return set(_script().get_heads())


def unknown_heads(engine: Engine) -> set[str]:
    """Heads recorded in the database that this release does not know: a newer release migrated."""
    known = {rev.revision for rev in _script().walk_revisions()}
    return current_heads(engine) - known


def pending_heads(engine: Engine) -> set[str]:
    """This release's heads the database has not reached (empty when it is newer)."""
    current = current_heads(engine)
    script = _script()
    known = {rev.revision for rev in script.walk_revisions()}
    if current - known:
        return set()  # a newer release migrated: expand-then-contract keeps this one working
    reached: set[str] = set()
    for head in current:
        reached.update(rev.revision for rev in script.iterate_revisions(head, "base"))
    return expected_heads() - reached


def is_up_to_date(engine: Engine) -> bool:
    """True when the database is at this release's heads, or beyond them (a newer release)."""
    return not pending_heads(engine)
