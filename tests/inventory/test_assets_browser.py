"""The Assets page in a real browser: filter, open an asset, read its side-by-side diff."""

from __future__ import annotations

import pytest

from tests.inventory.test_assets_page import _seed

pytestmark = pytest.mark.browser


def test_assets_page_in_a_browser(browser_page) -> None:  # type: ignore[no-untyped-def]
    _seed(browser_page.server.platform)
    page = browser_page.page
    browser_page.login("viewer", next_path="/console/assets")
    assert page.locator("h1").inner_text() == "Assets"
    assert page.locator("nav.mainnav a.active").inner_text() == "Assets"
    assert page.locator("table.asset-rows tbody tr").count() == 4

    page.fill("#f-tag", "env=prod")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("table.asset-rows tbody tr").count() == 1

    page.click("text=name-sg-1")
    page.wait_for_load_state()
    assert "/console/assets/view" in page.url
    assert page.locator("[data-status]").inner_text() == "OK"
    row = page.locator('table.diff tr[data-path="configuration.ipPermissions[0].ipv4Ranges[0].cidrIp"]')
    assert row.locator("pre.before").inner_text() == "10.0.0.0/8"
    assert row.locator("pre.after").inner_text() == "0.0.0.0/0"
    # before and after really sit side by side
    left = row.locator("pre.before").bounding_box()
    right = row.locator("pre.after").bounding_box()
    assert left and right and left["x"] < right["x"] and abs(left["y"] - right["y"]) < 5
    page.click("table.relationships a")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "vpc-1"
    browser_page.screenshot("assets")
    browser_page.goto("/console/assets")
    browser_page.screenshot("assets-list")
