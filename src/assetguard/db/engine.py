"""Engine creation for SQLite (WAL, foreign keys) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from assetguard.core.errors import ConfigError


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # Write transactions take the lock up front, so read-then-write never hits SQLITE_BUSY_SNAPSHOT.
    # Straight on the driver connection: through ``exec_driver_sql`` every transaction paid a whole
    # statement execution (context, events, instrumentation) just to say BEGIN.
    statement = "BEGIN IMMEDIATE" if conn.get_execution_options().get("assetguard_write") else "BEGIN"
    driver = conn.connection.driver_connection
    if driver is None:  # not expected for pysqlite; keep the portable path
        conn.exec_driver_sql(statement)
    else:
        try:
            driver.execute(statement)
        except sqlite3.Error as exc:  # the same exception types as any other statement
            raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; for SQLite the parent directory is created and pragmas are set."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a config error
        raise ConfigError(f"invalid database_url: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; emit it ourselves so that
        # SELECT ... then UPDATE in one transaction holds the write lock (BEGIN IMMEDIATE).
        event.listen(engine, "connect", lambda dbapi_conn, _r: setattr(dbapi_conn, "isolation_level", None))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)
    raise ConfigError(f"unsupported database backend {parsed.get_backend_name()!r}; use sqlite or postgresql")


class Database:
    """The platform database: one engine, transactions as context managers."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **kwargs)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection inside a transaction, committed on success and rolled back on error."""
        with self.engine.connect().execution_options(assetguard_write=True) as conn, conn.begin():
            yield conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reads (autocommit-free; no writes expected)."""
        with self.engine.connect() as conn:
            yield conn

    def wait_until_reachable(self, timeout: float) -> None:
        """Return once the database answers; after ``timeout`` seconds raise ConfigError naming the
        URL (password masked) and the last cause, in one line."""
        from assetguard.core.urls import mask_url

        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                return
            except SQLAlchemyError as exc:
                cause = _first_line(exc)
            if time.monotonic() >= deadline:
                raise ConfigError(f"cannot reach the database at {mask_url(self.url)} within {timeout:.0f} s: "
                                  f"{cause}", where="database_url")
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def dispose(self) -> None:
        self.engine.dispose()


def _first_line(exc: SQLAlchemyError) -> str:
    """The driver's own message, first line only (psycopg adds hints on further lines)."""
    orig = getattr(exc, "orig", None) or exc
    text_ = " ".join(str(orig).split("\n")[0].split())
    return f"{type(orig).__name__}: {text_}"[:300]
