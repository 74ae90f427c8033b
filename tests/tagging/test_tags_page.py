"""The console Tags page: select many resources, preview, apply (real browser + form-level checks)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from assetguard.inventory.service import InventoryService
from assetguard.runtime.platform import Platform


def _seed(platform: Platform) -> list[str]:
    items: list[dict[str, Any]] = [
        {"resourceType": "AssetGuard::Host::Linux", "resourceId": f"h{i}", "arn": f"urn:assetguard:host:h{i}",
         "awsRegion": "local", "accountId": "local", "tags": {"Env": "dev"} if i == 0 else {}, "configuration": {}}
        for i in range(4)]
    InventoryService(platform).apply_collection("test", items)
    return [i["arn"] for i in items]


@pytest.mark.browser
def test_bulk_edit_in_browser(browser_page) -> None:  # type: ignore[no-untyped-def]
    platform = browser_page.server.platform
    arns = _seed(platform)
    page = browser_page.page
    browser_page.login("operator", next_path="/console/tags")
    assert page.url.endswith("/console/tags")
    assert page.locator("table.tag-resources tbody tr").count() == 4
    assert page.locator("figure.chart [data-value]").count() >= 1
    page.check("#select-all")
    assert page.locator("input[name=arn]:checked").count() == 4
    page.uncheck("#select-all")
    assert page.locator("input[name=arn]:checked").count() == 0
    page.check(f"input[name=arn][value='{arns[0]}']")
    page.check(f"input[name=arn][value='{arns[2]}']")
    page.fill("#set-tags", "Owner=web\nCostCenter=42")
    page.fill("#remove-keys", "Env")
    page.click("#preview")
    page.wait_for_load_state()
    rows = page.locator("table.tag-preview tbody tr")
    assert rows.count() == 2
    assert "Env=dev" in rows.nth(0).locator("td").nth(1).inner_text()
    assert InventoryService(platform).get(arns[0])["tags"] == {"Env": "dev"}  # preview wrote nothing
    assert page.locator("[data-result=applied]").count() == 0
    browser_page.screenshot("tags-preview")
    page.click("#apply")  # the selection and the edit survive the preview round trip
    page.wait_for_load_state()
    assert page.locator("[data-result=applied]").inner_text().startswith("2 resource(s) updated")
    assert InventoryService(platform).get(arns[0])["tags"] == {"Owner": "web", "CostCenter": "42"}
    assert InventoryService(platform).get(arns[2])["tags"] == {"Owner": "web", "CostCenter": "42"}
    assert InventoryService(platform).get(arns[1])["tags"] == {}
    browser_page.screenshot("tags-applied")


def test_viewer_cannot_edit_and_bad_lines_are_named(client, platform: Platform, console_login) -> None:  # type: ignore[no-untyped-def]
    arns = _seed(platform)
    csrf = console_login("viewer")
    resp = client.post("/console/tags/edit", data={"csrf_token": csrf, "arn": arns[0], "set_tags": "A=b",
                                                   "action": "apply"})
    assert resp.status_code == 403
    client.cookies.clear()
    csrf = console_login("operator")
    resp = client.post("/console/tags/edit", data={"arn": arns[0], "set_tags": "A=b", "action": "apply"})
    assert resp.status_code == 403  # no CSRF token
    resp = client.post("/console/tags/edit", data={"csrf_token": csrf, "arn": arns[0], "set_tags": "no-equals",
                                                   "action": "apply"})
    assert resp.status_code == 400 and "set, line 1: expected KEY=VALUE" in resp.text
    resp = client.post("/console/tags/edit", data={"csrf_token": csrf, "arn": arns[0], "set_tags": "aws:x=1",
                                                   "action": "apply"})
    assert resp.status_code == 400 and "reserved prefix" in resp.text
    assert InventoryService(platform).get(arns[0])["tags"] == {"Env": "dev"}


def test_resource_list_pages(client, platform: Platform, console_login) -> None:  # type: ignore[no-untyped-def]
    items = [{"resourceType": "AssetGuard::Host::Linux", "resourceId": f"p{i:03d}", "arn": f"urn:assetguard:host:p{i:03d}",
              "awsRegion": "local", "accountId": "local", "tags": {}, "configuration": {}} for i in range(130)]
    InventoryService(platform).apply_collection("test", items)
    console_login("viewer")
    first = client.get("/console/tags").text
    assert first.count('<tr data-arn="') == 100 and "130 resource(s)" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    rest = client.get("/console/tags", params={"offset": 100}).text
    assert rest.count('<tr data-arn="') == 30 and 'rel="prev"' in rest and 'rel="next"' not in rest
    shown = set(re.findall(r'<tr data-arn="([^"]+)"', first)) | set(re.findall(r'<tr data-arn="([^"]+)"', rest))
    assert shown == {i["arn"] for i in items}
