"""Console shell: login/logout, session cookie flags, CSRF, navigation discovery and order."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import APIRouter
from fastapi.testclient import TestClient

from assetguard.api.auth import SESSION_COOKIE
from assetguard.console import nav as nav_module
from assetguard.console.nav import CANONICAL_ORDER, NavItem, Page, navigation


def _login_csrf(client: TestClient, next_url: str = "") -> str:
    page = client.get("/login" + (f"?next={next_url}" if next_url else ""))
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def test_root_redirects_to_console_and_pages_need_a_session(client: TestClient) -> None:
    resp = client.get("/", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/console/"
    resp = client.get("/console/audit?actor=x", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/login?next=%2Fconsole%2Faudit%3Factor%3Dx"


def test_login_sets_httponly_samesite_cookie_and_redirects_to_next(client: TestClient,
                                                                   admin_headers: dict[str, str]) -> None:
    token = admin_headers["Authorization"].split()[1]
    csrf = _login_csrf(client)
    resp = client.post("/login", data={"token": token, "csrf_token": csrf, "next": "/console/audit"},
                       follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/console/audit"
    cookie = next(c for c in resp.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    assert token not in cookie  # the session is a signed token id, never the token itself
    page = client.get("/console/audit")
    assert page.status_code == 200 and "Audit trail" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_login_refuses_bad_token_missing_csrf_and_open_redirect(client: TestClient,
                                                                admin_headers: dict[str, str]) -> None:
    token = admin_headers["Authorization"].split()[1]
    resp = client.post("/login", data={"token": "ag_bad_bad", "csrf_token": _login_csrf(client)},
                       follow_redirects=False)
    assert resp.status_code == 401 and "not valid" in resp.text and SESSION_COOKIE not in resp.cookies
    resp = client.post("/login", data={"token": token, "csrf_token": "forged"}, follow_redirects=False)
    assert resp.status_code == 403 and SESSION_COOKIE not in resp.cookies
    resp = client.post("/login", data={"token": token, "csrf_token": _login_csrf(client),
                                       "next": "//evil.example/x"}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/console/"


def test_repeated_failed_logins_are_throttled(client: TestClient) -> None:
    codes = []
    for _ in range(12):
        codes.append(client.post("/login", data={"token": "ag_x_y", "csrf_token": _login_csrf(client)}).status_code)
    assert codes[0] == 401 and codes[-1] == 429


def test_logout_needs_csrf_and_clears_the_session(client: TestClient,
                                                  console_login: Callable[[str], str]) -> None:
    csrf = console_login("viewer")
    assert client.post("/logout", data={"csrf_token": "nope"}).status_code == 403
    assert client.get("/console/audit", follow_redirects=False).status_code == 200
    resp = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    assert client.get("/console/audit", follow_redirects=False).status_code == 303


def test_session_cookie_api_mutation_needs_csrf_header_or_form_field(client: TestClient,
                                                                    console_login: Callable[[str], str]) -> None:
    csrf = console_login("admin")
    body = {"name": "from-console", "role": "viewer"}
    assert client.post("/tokens", json=body).status_code == 403
    assert client.post("/tokens", json=body, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert client.post("/tokens", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    # The same check accepts the form-posted field (console forms posting to API routes).
    assert client.delete("/tokens/from-console").status_code == 403
    resp = client.request("DELETE", "/tokens/from-console", data={"csrf_token": csrf},
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 200, resp.text


def test_revoked_token_ends_its_session(client: TestClient, platform, console_login) -> None:  # type: ignore[no-untyped-def]
    console_login("viewer")
    from assetguard.auth.principal import SYSTEM

    name = next(t.name for t in platform.tokens.list() if t.name.startswith("console-viewer"))
    platform.tokens.revoke(name, actor=SYSTEM)
    assert client.get("/console/audit", follow_redirects=False).status_code == 303


def test_tampered_session_cookie_is_not_a_session(client: TestClient, console_login) -> None:  # type: ignore[no-untyped-def]
    console_login("admin")
    value = client.cookies[SESSION_COOKIE]
    token_id, expiry, sig = value.split(".")
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, f"{token_id}.{int(expiry) + 9999}.{sig}")
    assert client.get("/console/audit", follow_redirects=False).status_code == 303
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, value)
    assert client.get("/console/audit", follow_redirects=False).status_code == 200


def test_navigation_uses_canonical_order_and_skips_absent_pages() -> None:
    router = APIRouter()
    pages = [Page(label.lower(), router, NavItem(label, "/" + label.lower())) for label in
             ("Audit", "Cost", "System", "WAF")]
    pages.append(Page("extra", router, NavItem("Extra", "/extra", order=25)))
    pages.append(Page("detail", router, None))
    assert [n.label for n in navigation(pages)] == ["System", "Extra", "Cost", "WAF", "Audit"]
    assert CANONICAL_ORDER[0] == "System" and CANONICAL_ORDER[-1] == "Audit"


def test_installed_pages_are_listed_in_the_shell(client: TestClient, console_login) -> None:  # type: ignore[no-untyped-def]
    from assetguard.console import pages

    installed = [p.nav for p in nav_module.discover_pages(pages) if p.nav is not None]
    console_login("viewer")
    html = client.get("/console/").text
    hrefs = re.findall(r'<nav class="mainnav".*?</nav>', html, re.S)[0]
    found = re.findall(r'href="([^"]+)"', hrefs)
    assert found == [n.href for n in sorted(installed, key=lambda n: n.sort_key)]
    assert "/console/audit" in found


def test_every_installed_page_renders_for_a_viewer(client: TestClient, console_login) -> None:  # type: ignore[no-untyped-def]
    """Each navigation entry opens (on an empty platform) inside the shell, for the weakest role."""
    console_login("viewer")
    html = client.get("/console/").text
    hrefs = re.findall(r'href="(/console/[^"]+)"', re.findall(r'<nav class="mainnav".*?</nav>', html, re.S)[0])
    assert hrefs
    for href in hrefs:
        resp = client.get(href, follow_redirects=False)
        assert resp.status_code == 200, f"{href} answered {resp.status_code}"
        assert 'class="mainnav"' in resp.text and 'aria-current="page"' in resp.text, f"{href} is not in the shell"


def test_every_console_page_needs_a_session(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    """Walks every GET route under /console (not only the navigation): no session, no page."""
    from tests.console.test_console_auth import _walk

    paths = sorted({path for path, methods in _walk(app.routes) if path.startswith("/console") and "GET" in methods})
    assert "/console/audit" in paths
    for path in paths:
        concrete = re.sub(r"\{[^}]+\}", "x", path)
        resp = client.get(concrete, follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next="), (
            f"{concrete} answered {resp.status_code} without a session")


def test_login_page_redirects_a_logged_in_user_and_next_is_sanitised(client: TestClient, console_login) -> None:  # type: ignore[no-untyped-def]
    from assetguard.console.app import safe_next

    assert [safe_next(v) for v in ("/console/cost?x=1", "//evil", "/\\evil", "https://evil", "", None)] == [
        "/console/cost?x=1", "/console/", "/console/", "/console/", "/console/", "/console/"]
    console_login("viewer")
    resp = client.get("/login?next=/console/audit", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/console/audit"
