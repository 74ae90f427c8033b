"""SQLite storage of the demo application (its own file, separate from the platform database).

Example::

    store = DemoStore(Path(".assetguard/demo.db"))
    user = store.create_user("Ada", "ada@example.com")
    store.create_content(user["id"], "Hello", "markdown", "# Hi")
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS content (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('text', 'markdown', 'code')),
    language TEXT,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_content_author ON content(author_id);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class DemoStore:
    """Users and their posts (text, markdown, code snippets); all SQL is parameterised."""

    def __init__(self, path: Path | str, tracer: Any = None) -> None:
        self.tracer = tracer  # OpenTelemetry: one CLIENT span per statement (db.system sqlite)
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA foreign_keys = ON")
        if str(path) != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.executescript(SCHEMA)
        self._lock = threading.Lock()

    def _span(self, sql: str) -> Any:
        if self.tracer is None:
            return contextlib.nullcontext()
        from opentelemetry.trace import SpanKind

        words = sql.split()
        table = next((w for prev, w in zip(words, words[1:], strict=False) if prev.upper() in ("FROM", "INTO", "UPDATE")),
                     "")
        return self.tracer.start_as_current_span(f"{words[0].upper()} {table}".strip(), kind=SpanKind.CLIENT,
                                                 attributes={"db.system": "sqlite", "db.statement": sql[:300]})

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._span(sql), self._lock:
            return [dict(r) for r in self._conn.execute(sql, args).fetchall()]

    def _one(self, sql: str, args: tuple[Any, ...]) -> dict[str, Any] | None:
        rows = self._all(sql, args)
        return rows[0] if rows else None

    def _write(self, sql: str, args: tuple[Any, ...]) -> int:
        with self._span(sql), self._lock, self._conn:
            cur = self._conn.execute(sql, args)
            return int(cur.lastrowid or 0) if sql.lstrip().upper().startswith("INSERT") else cur.rowcount

    # users
    def list_users(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM users ORDER BY id LIMIT ? OFFSET ?", (limit, offset))

    def get_user(self, user_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM users WHERE id = ?", (user_id,))

    def create_user(self, name: str, email: str) -> dict[str, Any]:
        user_id = self._write("INSERT INTO users (name, email, created_at) VALUES (?, ?, ?)", (name, email, _now()))
        user = self.get_user(user_id)
        assert user is not None
        return user

    def update_user(self, user_id: int, name: str, email: str) -> dict[str, Any] | None:
        self._write("UPDATE users SET name = ?, email = ? WHERE id = ?", (name, email, user_id))
        return self.get_user(user_id)

    def delete_user(self, user_id: int) -> bool:
        return self._write("DELETE FROM users WHERE id = ?", (user_id,)) > 0

    # content
    def list_content(self, q: str | None = None, author_id: int | None = None, kind: str | None = None,
                     limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        where: list[str] = []
        args: list[Any] = []
        if q:
            where.append("(title LIKE ? OR body LIKE ?)")
            args += [f"%{q}%", f"%{q}%"]
        if author_id is not None:
            where.append("author_id = ?")
            args.append(author_id)
        if kind:
            where.append("kind = ?")
            args.append(kind)
        sql = "SELECT * FROM content" + (" WHERE " + " AND ".join(where) if where else "")
        return self._all(sql + " ORDER BY id DESC LIMIT ? OFFSET ?", (*args, limit, offset))

    def get_content(self, content_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM content WHERE id = ?", (content_id,))

    def create_content(self, author_id: int, title: str, kind: str, body: str,
                       language: str | None = None) -> dict[str, Any]:
        now = _now()
        content_id = self._write("INSERT INTO content (author_id, title, kind, language, body, created_at, updated_at)"
                                 " VALUES (?, ?, ?, ?, ?, ?, ?)", (author_id, title, kind, language, body, now, now))
        item = self.get_content(content_id)
        assert item is not None
        return item

    def update_content(self, content_id: int, title: str, kind: str, body: str,
                       language: str | None) -> dict[str, Any] | None:
        self._write("UPDATE content SET title = ?, kind = ?, body = ?, language = ?, updated_at = ? WHERE id = ?",
                    (title, kind, body, language, _now(), content_id))
        return self.get_content(content_id)

    def delete_content(self, content_id: int) -> bool:
        return self._write("DELETE FROM content WHERE id = ?", (content_id,)) > 0

    def counts(self) -> dict[str, int]:
        row = self._one("SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM content) AS content", ())
        return {"users": int(row["users"]), "content": int(row["content"])} if row else {"users": 0, "content": 0}

    def ping(self) -> bool:
        return self._one("SELECT 1 AS ok", ()) is not None

    def close(self) -> None:
        self._conn.close()
