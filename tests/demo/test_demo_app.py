"""The demo application: user and content CRUD, service info; behind the WAF; as ``up`` components."""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assetguard.core.settings import WafSettings
from assetguard.demo.app import create_demo_app
from assetguard.demo.component import ServedApp
from assetguard.waf.gate import WafGate
from assetguard.waf.middleware import WAFMiddleware
from assetguard.waf.proxy_runner import WafProxyComponent
from tests.waf.conftest import FIXTURE_GROUPS, FIXTURE_IPSETS


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_demo_app(tmp_path / "demo.db"))


def test_user_crud(client: TestClient) -> None:
    created = client.post("/user", json={"name": "Ada O'Neil", "email": "ada@example.com"})
    assert created.status_code == 201
    user = created.json()
    assert client.get(f"/user/{user['id']}").json()["name"] == "Ada O'Neil"
    assert client.post("/user", json={"name": "x", "email": "ada@example.com"}).status_code == 409
    assert client.post("/user", json={"name": "x", "email": "not-an-email"}).status_code == 422
    updated = client.put(f"/user/{user['id']}", json={"name": "Ada", "email": "ada@example.org"}).json()
    assert updated["email"] == "ada@example.org"
    assert [u["id"] for u in client.get("/user").json()] == [user["id"]]
    assert client.delete(f"/user/{user['id']}").status_code == 204
    assert client.get(f"/user/{user['id']}").status_code == 404
    assert client.delete(f"/user/{user['id']}").status_code == 404


def test_content_crud_and_search(client: TestClient) -> None:
    author = client.post("/user", json={"name": "Bob", "email": "bob@example.com"}).json()
    md = client.post("/content", json={"author_id": author["id"], "title": "Notes", "kind": "markdown",
                                       "body": "# Select the *best* shoes\n\n- one\n- two"}).json()
    code = client.post("/content", json={"author_id": author["id"], "title": "Query", "kind": "code",
                                         "language": "sql", "body": "SELECT name FROM users WHERE id = 1;"}).json()
    assert client.post("/content", json={"author_id": 999, "title": "x", "body": "y"}).status_code == 404
    assert client.post("/content", json={"author_id": author["id"], "title": "x", "kind": "pdf",
                                         "body": "y"}).status_code == 422
    assert [c["id"] for c in client.get("/content", params={"q": "shoes"}).json()] == [md["id"]]
    assert [c["id"] for c in client.get("/content", params={"kind": "code"}).json()] == [code["id"]]
    assert client.put(f"/content/{md['id']}", json={"title": "T", "kind": "text", "body": "plain"}).json()["kind"] == "text"
    assert client.delete(f"/content/{code['id']}").status_code == 204
    info = client.get("/was").json()
    assert info["users"] == 1 and info["content"] == 1 and info["paths"] == ["/user", "/content", "/was"]
    assert client.get("/was/health").json() == {"status": "ok"}
    client.delete(f"/user/{author['id']}")
    assert client.get("/content").json() == []  # posts go with their author


def test_demo_behind_baseline(tmp_path: Path) -> None:
    from assetguard.waf.engine import load_compiled_acl
    from assetguard.waf.ipsets import IPSetStore

    gate = WafGate(lambda: load_compiled_acl("baseline", managed_dir=FIXTURE_GROUPS, ipsets=IPSetStore(FIXTURE_IPSETS)))
    client = TestClient(WAFMiddleware(create_demo_app(tmp_path / "d.db"), gate=gate),
                        headers={"User-Agent": "pytest"})
    assert client.get("/was/health").status_code == 200
    assert client.post("/user", json={"name": "C", "email": "c@example.com"}).status_code == 201
    assert client.get("/admin").status_code == 403  # default action Block
    assert client.get("/was", headers={"User-Agent": ""}).status_code == 403  # NoUserAgent_HEADER
    assert client.get("/user", params={"q": "1 union  select 2"}).status_code == 403


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    return resp.status, resp.read()


def test_up_components_serve_the_demo_behind_the_proxy(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app_port, proxy_port = _free_port(), _free_port()
    waf = WafSettings(listen=f"127.0.0.1:{proxy_port}", upstream=f"http://127.0.0.1:{app_port}",
                      managed_dir=str(FIXTURE_GROUPS), ipset_dir=str(FIXTURE_IPSETS))

    async def scenario() -> tuple[list[tuple[int, bytes]], bool]:
        stop = asyncio.Event()
        demo = ServedApp("demo-app", create_demo_app(tmp_path / "demo.db"), "127.0.0.1", app_port)
        tasks = [asyncio.create_task(demo.run(stop)), asyncio.create_task(WafProxyComponent(waf).run(stop))]
        results: list[tuple[int, bytes]] = []
        for _ in range(100):
            await asyncio.sleep(0.05)
            status, _ = await asyncio.to_thread(_get, proxy_port, "/was/health", {"User-Agent": "t"})
            if status == 200:
                break
        for path in ("/was/health", "/admin"):
            results.append(await asyncio.to_thread(_get, proxy_port, path, {"User-Agent": "t"}))
        busy = ServedApp("demo-app-2", create_demo_app(":memory:"), "127.0.0.1", app_port)
        await asyncio.wait_for(busy.run(stop), 5)  # returns at once: the port is taken
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 15)
        return results, True

    with caplog.at_level(logging.WARNING):
        results, _ = asyncio.run(scenario())
    assert results[0] == (200, json.dumps({"status": "ok"}, separators=(",", ":")).encode())
    assert results[1][0] == 403
    assert "already in use" in caplog.text
