"""``POST /vulns/import`` fetches the caller's URL through the outbound guard: internal addresses are
refused before any connection, each redirect hop is vetted, the name is resolved once per hop and
the request goes to the vetted address with the name as ``Host``."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assetguard.runtime.platform import Platform
from tests.targets.receivers import feed_server

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
RECORD = {"id": "OSV-2099-GUARD", "modified": "2026-01-01T00:00:00Z", "summary": "guarded import"}


@pytest.fixture
def osv() -> Iterator[ThreadingHTTPServer]:
    yield from feed_server(lambda _path: json.dumps(RECORD).encode())


def test_an_internal_address_is_refused_before_connecting(client: TestClient, osv: ThreadingHTTPServer,
                                                          admin_headers: dict[str, str]) -> None:
    port = osv.server_address[1]
    resp = client.post("/vulns/import", json={"source": f"http://127.0.0.1:{port}/rec.json"}, headers=admin_headers)
    assert resp.status_code == 400, resp.text
    assert "outbound.allow_cidrs" in resp.json()["detail"]
    assert osv.seen == []  # type: ignore[attr-defined]


def test_allowed_range_imports_and_a_redirect_hop_is_vetted(client: TestClient, platform: Platform,
                                                            osv: ThreadingHTTPServer,
                                                            admin_headers: dict[str, str]) -> None:
    port = osv.server_address[1]
    platform.settings.outbound.allow_cidrs = ["127.0.0.1/32"]
    resp = client.post("/vulns/import", json={"source": f"http://127.0.0.1:{port}/rec.json"}, headers=admin_headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["added"] == 1
    resp = client.post("/vulns/import", json={"source": f"http://127.0.0.1:{port}/redirect"}, headers=admin_headers)
    assert resp.status_code == 400 and "169.254.169.254" in resp.json()["detail"]


def test_the_name_is_resolved_once_and_the_vetted_address_is_used(client: TestClient, platform: Platform,
                                                                  osv: ThreadingHTTPServer, admin_headers: dict[str, str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    port = osv.server_address[1]
    real = socket.getaddrinfo
    calls: list[str] = []

    def rebinding(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "osv.test":
            return real(host, *args, **kwargs)
        calls.append(host)
        # First answer allowed; any later lookup would get the metadata address.
        address = "127.0.0.1" if len(calls) == 1 else "169.254.169.254"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, args[0] if args else port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    platform.settings.outbound.allow_cidrs = ["127.0.0.1/32"]
    resp = client.post("/vulns/import", json={"source": f"http://osv.test:{port}/rec.json"}, headers=admin_headers)
    assert resp.status_code == 200, resp.text
    assert calls == ["osv.test"]
    assert osv.seen == [("/rec.json", f"osv.test:{port}")]  # type: ignore[attr-defined]
