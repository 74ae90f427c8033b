"""Every state-changing console route: 401 without a session, 403 for a viewer, 403 without CSRF.

Console routes are hidden from the OpenAPI schema, so tests/api/test_route_auth.py cannot see
them; this walks the app's routes instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from assetguard.console.page import ConsoleOperatorDep, ConsoleViewerDep

PUBLIC = {"/login": "posting a token is how a session starts", "/logout": "clears the caller's own cookie"}


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(full path, methods) of every API route, through included routers.

    Recent FastAPI keeps included routers nested instead of copying their routes, so follow them.
    """
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _walk(inner.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            yield prefix + route.path, set(route.methods)


def _console_mutations(app: FastAPI) -> list[tuple[str, str]]:
    found = []
    for path, methods in _walk(app.routes):
        if path.startswith("/console") and path not in PUBLIC:
            for method in methods - {"GET", "HEAD", "OPTIONS"}:
                found.append((method, re.sub(r"\{[^}]+\}", "x", path)))
    return found


def _add_probe_page(app: FastAPI) -> None:
    """A page built exactly as pages/__init__.py documents, so the walk has a known route."""
    router = APIRouter()

    @router.get("/probe")
    def probe(principal: ConsoleViewerDep) -> PlainTextResponse:
        return PlainTextResponse(f"hello {principal.role}")

    @router.post("/probe/change")
    def change(request: Request, principal: ConsoleOperatorDep) -> PlainTextResponse:
        return PlainTextResponse(f"changed by {principal.name}")

    app.include_router(router, prefix="/console")


def test_every_console_mutation_needs_session_role_and_csrf(app: FastAPI, client: TestClient,
                                                            console_login: Callable[[str], str]) -> None:
    _add_probe_page(app)
    routes = _console_mutations(app)
    assert ("POST", "/console/probe/change") in routes
    for method, path in routes:
        resp = client.request(method, path, data={}, follow_redirects=False)
        assert resp.status_code == 401, f"{method} {path} answered {resp.status_code} without a session"
    csrf = console_login("viewer")
    for method, path in routes:
        resp = client.request(method, path, data={"csrf_token": csrf}, follow_redirects=False)
        assert resp.status_code == 403, f"{method} {path} answered {resp.status_code} for a viewer"
    client.cookies.clear()
    csrf = console_login("operator")
    for method, path in routes:
        resp = client.request(method, path, data={"csrf_token": "forged"}, follow_redirects=False)
        assert resp.status_code == 403, f"{method} {path} answered {resp.status_code} without CSRF"
    resp = client.post("/console/probe/change", data={"csrf_token": csrf})
    assert resp.status_code == 200 and resp.text.startswith("changed by console-operator")
    assert client.get("/console/probe").text == "hello operator"


def test_console_errors_are_pages_and_api_errors_stay_json(client: TestClient,
                                                         console_login: Callable[[str], str]) -> None:
    console_login("viewer")
    resp = client.get("/console/no-such-page")
    assert resp.status_code == 404 and "text/html" in resp.headers["content-type"]
    resp = client.post("/tokens", json={"name": "x", "role": "viewer"},
                       headers={"Authorization": "Bearer ag_bad_bad"})
    assert resp.status_code == 401 and resp.json() == {"detail": "invalid or revoked token"}


def test_bearer_token_also_opens_console_pages(client: TestClient, viewer_headers: dict[str, str]) -> None:
    resp = client.get("/console/audit", headers=viewer_headers, follow_redirects=False)
    assert resp.status_code == 200 and "Audit trail" in resp.text


def test_every_mutating_api_route_needs_csrf_with_a_session_cookie(client: TestClient,
                                                                   console_login: Callable[[str], str]) -> None:
    """A browser sends the session cookie on its own; without the CSRF token no API change goes through."""
    console_login("admin")
    schema = client.get("/openapi.json").json()
    routes = [(method, re.sub(r"\{[^}]+\}", "x", path)) for path, ops in schema["paths"].items()
              for method in ops if method in {"post", "put", "patch", "delete"}]
    assert ("post", "/tokens") in routes
    for method, path in routes:
        resp = client.request(method.upper(), path, json={})
        assert resp.status_code == 403, f"{method.upper()} {path} answered {resp.status_code} without CSRF"
        assert resp.json()["detail"] == "missing or invalid CSRF token"
