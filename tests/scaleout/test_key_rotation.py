"""Key rotation across real processes on one PostgreSQL database: ``assetguard keys rotate session``
run beside two ``assetguard api`` processes; neither is restarted, both sign new sessions with the
new version within seconds, accept sessions the other signed with it, and keep accepting the
sessions signed before the rotation."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.scaleout.conftest import Cluster

pytestmark = pytest.mark.postgres
COOKIE = "ag_session"


def login(api_url: str, token: str) -> httpx.Client:
    http = httpx.Client(base_url=api_url, timeout=20)
    form = http.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf, form.text
    resp = http.post("/login", data={"token": token, "csrf_token": csrf.group(1)})
    assert resp.status_code == 303, resp.text
    return http


def version(cookie: str) -> int:
    parts = cookie.split(".")
    return 1 if len(parts) == 3 else int(parts[2])


def page_csrf(http: httpx.Client) -> str:
    page = http.get("/console/")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert page.status_code == 200 and found, page.text[:500]
    return found.group(1)


def test_a_rotated_session_key_reaches_every_api_without_restart(cluster: Cluster) -> None:
    a = cluster.start("api-a", "api", http=True)
    b = cluster.start("api-b", "api", http=True)
    done = cluster.run("token", "create", "--name", "rotation-admin", "--role", "admin")
    assert done.returncode == 0, done.stderr + done.stdout
    token = done.stdout.strip().splitlines()[-1]

    before = login(a.url, token)
    old_cookie = before.cookies[COOKIE]
    assert version(old_cookie) == 1
    with httpx.Client(base_url=b.url, timeout=20, cookies={COOKIE: old_cookie}) as on_b:
        assert on_b.get("/audit").status_code == 200  # b has read version 1 too

    rotated = cluster.run("keys", "rotate", "session")
    assert rotated.returncode == 0, rotated.stderr + rotated.stdout
    assert "session: version 2 is current" in rotated.stdout

    # b signs new sessions with version 2 without a restart (it re-checks every few seconds)
    deadline = time.monotonic() + 30
    while True:
        after = login(b.url, token)
        new_cookie = after.cookies[COOKIE]
        if version(new_cookie) == 2:
            break
        after.close()
        assert time.monotonic() < deadline, "api-b still signs sessions with version 1 after 30 s"
        time.sleep(0.5)

    # a accepts b's version-2 session (and its CSRF token) at once, and the pre-rotation session on both
    with httpx.Client(base_url=a.url, timeout=20, cookies={COOKIE: new_cookie}) as on_a:
        assert on_a.get("/audit").status_code == 200
        made = on_a.post("/tokens", json={"name": "made-after-rotation", "role": "viewer"},
                         headers={"X-CSRF-Token": page_csrf(after)})
        assert made.status_code == 201, made.text
    for api in (a, b):
        with httpx.Client(base_url=api.url, timeout=20, cookies={COOKIE: old_cookie}) as old:
            assert old.get("/audit").status_code == 200, api.name
            made = old.post("/tokens", json={"name": f"old-session-{api.name}", "role": "viewer"},
                            headers={"X-CSRF-Token": page_csrf(before)})
            assert made.status_code == 201, made.text
    # a session cookie that names version 2 but carries version 1's signature is refused
    token_id, expiry, _sig = old_cookie.split(".")
    with httpx.Client(base_url=a.url, timeout=20, cookies={COOKIE: f"{token_id}.{expiry}.2.{_sig}"}) as forged:
        assert forged.get("/audit").status_code == 401

    with httpx.Client(base_url=a.url, timeout=20, headers={"Authorization": f"Bearer {token}"}) as admin:
        rows = admin.get("/audit", params={"action": "keys.rotate"}).json()
    items = rows if isinstance(rows, list) else next(v for v in rows.values() if isinstance(v, list))
    assert any(r.get("resource") == "key/session" or r.get("Resource") == "key/session" for r in items), rows
    before.close()
    after.close()
    assert a.alive and b.alive
