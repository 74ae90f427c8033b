"""Every mutating route in the OpenAPI schema: 401 without a token, 403 for a viewer."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

MUTATING = {"post", "put", "patch", "delete"}
# Routes that must be reachable without a token, each with its reason.
PUBLIC_MUTATING: dict[tuple[str, str], str] = {
    ("post", "/login"): "the console login form is how a token becomes a session",
    ("post", "/logout"): "logging out only clears the caller's own cookie",
}


def _mutating_routes(client: TestClient) -> list[tuple[str, str]]:
    schema = client.get("/openapi.json").json()
    routes = []
    for path, ops in schema["paths"].items():
        for method in ops:
            if method in MUTATING and (method, path) not in PUBLIC_MUTATING:
                routes.append((method, re.sub(r"\{[^}]+\}", "x", path)))
    return routes


def test_schema_has_mutating_routes(client: TestClient) -> None:
    assert ("post", "/tokens") in _mutating_routes(client)


def test_every_mutating_route_needs_a_token(client: TestClient) -> None:
    for method, path in _mutating_routes(client):
        resp = client.request(method.upper(), path)
        assert resp.status_code == 401, f"{method.upper()} {path} answered {resp.status_code} without a token"


def test_every_mutating_route_refuses_a_viewer(client: TestClient, viewer_headers: dict[str, str]) -> None:
    for method, path in _mutating_routes(client):
        resp = client.request(method.upper(), path, headers=viewer_headers)
        assert resp.status_code == 403, f"{method.upper()} {path} answered {resp.status_code} for a viewer"


def test_bad_token_is_401_and_repeated_failures_are_throttled(client: TestClient) -> None:
    bad = {"Authorization": "Bearer ag_nope_nope"}
    codes = [client.post("/tokens", headers=bad, json={"name": "x", "role": "viewer"}).status_code
             for _ in range(12)]
    assert codes[0] == 401
    assert codes[-1] == 429


def test_admin_creates_and_revokes_token(client: TestClient, admin_headers: dict[str, str]) -> None:
    resp = client.post("/tokens", headers=admin_headers, json={"name": "ci", "role": "operator"})
    assert resp.status_code == 201
    token = resp.json()["token"]
    assert token.startswith("ag_")
    listed = client.get("/tokens", headers=admin_headers).json()
    assert all("token" not in t and "token_hash" not in t for t in listed)
    assert client.get("/audit", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.delete("/tokens/ci", headers=admin_headers).status_code == 200
    assert client.get("/audit", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.text
