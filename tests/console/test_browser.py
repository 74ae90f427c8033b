"""The console in a real browser: log in with a token, open the Audit page, see rows and the chart."""

from __future__ import annotations

import re

import pytest

from assetguard.auth.principal import Principal

pytestmark = pytest.mark.browser


def test_login_and_audit_page(browser_page) -> None:  # type: ignore[no-untyped-def]
    platform = browser_page.server.platform
    with platform.db.begin() as conn:
        for i in range(3):
            platform.audit.record(conn, Principal("alice", "operator"), "tagging.put", f"arn:aws:s3:::b{i}",
                                  after={"Owner": "team-a"})
        platform.audit.record(conn, Principal("bob", "admin"), "rules.put", "rule/security-alerts")
    page = browser_page.page

    browser_page.goto("/console/audit")
    assert page.url.endswith("/login?next=%2Fconsole%2Faudit")
    browser_page.login("viewer", next_path="/console/audit")
    assert page.url.endswith("/console/audit")
    cookie = next(c for c in page.context.cookies() if c["name"] == "ag_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""  # scripts cannot read the session

    assert page.locator("h1").inner_text() == "Audit trail"
    assert page.locator("table.audit-rows tbody tr").count() == 5  # 4 + the viewer token creation
    assert page.locator("[data-verify=ok]").is_visible()
    bars = page.locator("figure.chart [data-value]")
    assert bars.count() >= 2
    total = sum(float(v) for v in page.eval_on_selector_all(
        "figure.chart [data-value]", "els => els.map(e => e.getAttribute('data-value'))"))
    assert total == 5
    assert page.locator("nav.mainnav a.active").inner_text() == "Audit"
    # the stylesheet loaded (no CDN): the top bar is dark
    assert page.eval_on_selector(".topbar", "e => getComputedStyle(e).backgroundColor") == "rgb(22, 33, 58)"
    browser_page.screenshot("audit")

    page.fill("#f-actor", "alice")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert "actor=alice" in page.url
    assert page.locator("table.audit-rows tbody tr").count() == 3

    page.click("text=Log out")
    page.wait_for_load_state()
    assert re.search(r"/login$", page.url)
    browser_page.goto("/console/audit")
    assert "/login" in page.url


def test_every_navigation_page_opens_without_browser_errors(browser_page) -> None:  # type: ignore[no-untyped-def]
    page = browser_page.page
    browser_page.login("viewer")
    labels = page.eval_on_selector_all("nav.mainnav a", "els => els.map(e => e.textContent.trim())")
    assert "Audit" in labels
    for label in labels:
        page.click(f"nav.mainnav a:text-is('{label}')")
        page.wait_for_load_state()
        assert page.locator("nav.mainnav a.active").inner_text() == label
        browser_page.screenshot(f"page-{label.lower()}")
    # browser_page's teardown fails the test on any JavaScript or resource error seen on the way
