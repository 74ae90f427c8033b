"""The demo web application the WAF protects: ``/user`` (user CRUD), ``/content`` (posts: text,
markdown, code snippets) and ``/was`` (service info and health).

Example::

    app = create_demo_app(Path(".assetguard/demo.db"))
    uvicorn.run(app, port=8001)   # or: assetguard demo app
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

import assetguard
from assetguard.demo.store import DemoStore


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    email: Annotated[str, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]


class ContentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    author_id: int
    title: str = Field(min_length=1, max_length=300)
    kind: Literal["text", "markdown", "code"] = "text"
    language: str | None = Field(default=None, max_length=40)
    body: str = Field(max_length=1_000_000)


class ContentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=300)
    kind: Literal["text", "markdown", "code"] = "text"
    language: str | None = Field(default=None, max_length=40)
    body: str = Field(max_length=1_000_000)


def _found(item: dict[str, Any] | None, what: str) -> dict[str, Any]:
    if item is None:
        raise HTTPException(404, f"{what} not found")
    return item


def create_demo_app(db_path: Path | str = ":memory:", tracer: Any = None) -> FastAPI:
    """The demo application on a SQLite file (``:memory:`` for tests); ``tracer`` adds database spans."""
    store = DemoStore(db_path, tracer)
    started = time.time()
    app = FastAPI(title="assetguard demo application", version=assetguard.__version__,
                  description="The sample web application behind the assetguard WAF: /user, /content, /was.")
    app.state.store = store

    @app.get("/was", tags=["was"])
    def service_info() -> dict[str, Any]:
        return {"service": "assetguard-demo", "version": assetguard.__version__,
                "uptime_seconds": round(time.time() - started, 1), **store.counts(),
                "paths": ["/user", "/content", "/was"]}

    @app.get("/was/health", tags=["was"])
    def health() -> dict[str, str]:
        if not store.ping():
            raise HTTPException(503, "database unavailable")
        return {"status": "ok"}

    @app.get("/user", tags=["user"])
    def list_users(limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)) -> list[dict[str, Any]]:
        return store.list_users(limit, offset)

    @app.post("/user", status_code=201, tags=["user"])
    def create_user(user: UserIn) -> dict[str, Any]:
        try:
            return store.create_user(user.name, user.email)
        except Exception as exc:  # sqlite3.IntegrityError: duplicate e-mail
            raise HTTPException(409, "a user with this e-mail exists") from exc

    @app.get("/user/{user_id}", tags=["user"])
    def get_user(user_id: int) -> dict[str, Any]:
        return _found(store.get_user(user_id), "user")

    @app.put("/user/{user_id}", tags=["user"])
    def update_user(user_id: int, user: UserIn) -> dict[str, Any]:
        _found(store.get_user(user_id), "user")
        return _found(store.update_user(user_id, user.name, user.email), "user")

    @app.delete("/user/{user_id}", status_code=204, tags=["user"])
    def delete_user(user_id: int) -> None:
        if not store.delete_user(user_id):
            raise HTTPException(404, "user not found")

    @app.get("/content", tags=["content"])
    def list_content(q: str | None = Query(None, max_length=200), author_id: int | None = None,
                     kind: Literal["text", "markdown", "code"] | None = None,
                     limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)) -> list[dict[str, Any]]:
        return store.list_content(q, author_id, kind, limit, offset)

    @app.post("/content", status_code=201, tags=["content"])
    def create_content(item: ContentIn) -> dict[str, Any]:
        _found(store.get_user(item.author_id), "author")
        return store.create_content(item.author_id, item.title, item.kind, item.body, item.language)

    @app.get("/content/{content_id}", tags=["content"])
    def get_content(content_id: int) -> dict[str, Any]:
        return _found(store.get_content(content_id), "content")

    @app.put("/content/{content_id}", tags=["content"])
    def update_content(content_id: int, item: ContentUpdate) -> dict[str, Any]:
        _found(store.get_content(content_id), "content")
        return _found(store.update_content(content_id, item.title, item.kind, item.body, item.language), "content")

    @app.delete("/content/{content_id}", status_code=204, tags=["content"])
    def delete_content(content_id: int) -> None:
        if not store.delete_content(content_id):
            raise HTTPException(404, "content not found")

    return app
