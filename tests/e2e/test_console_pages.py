"""End to end in a real browser: after ``demo load`` and ``demo traffic`` every console page shows data.

One SQLite platform: the story is loaded through the domains' services, then the real traffic
generator sends requests over loopback to the demo application behind the WAF (the ``baseline`` ACL
with the shipped managed groups, as ASGI middleware, traced with OpenTelemetry into the embedded
store). The browser logs in, opens every page in the navigation, checks every chart has data points,
opens a trace, changes a finding's workflow, bulk-edits tags and saves a screenshot of each page.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from assetguard.demo.app import create_demo_app
from assetguard.demo.component import ServedApp
from assetguard.demo.story import StoryLoader
from assetguard.demo.traffic import ATTACKS, TrafficGenerator
from assetguard.findings.hub import FindingsHub
from assetguard.inventory.service import InventoryService
from assetguard.runtime.platform import Platform
from assetguard.telemetry.setup import telemetry_for
from assetguard.waf.middleware import WAFMiddleware
from assetguard.waf.proxy_runner import build_gate
from tests.e2e.layout import WIDTHS, layout_problems

pytestmark = pytest.mark.browser

EXPECTED_PAGES = {"System", "Security", "Traces", "Cost", "Assets", "Tags", "Findings", "WAF", "Rules", "Audit",
                  "Outbox"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def protected_demo(platform: Platform, tmp_path: Path) -> Iterator[str]:
    """The demo application behind the WAF (middleware with the platform's bus), traced, on loopback."""
    telemetry = telemetry_for(platform)
    demo = telemetry.instrument_asgi(create_demo_app(tmp_path / "demo.db"), "demo-app")
    gate = build_gate(platform.settings.waf, "baseline", bus=platform.bus)
    app = telemetry.instrument_asgi(WAFMiddleware(demo, gate=gate), "assetguard-waf")
    port = _free_port()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(target=loop.run_until_complete,
                              args=(ServedApp("waf+demo", app, "127.0.0.1", port).run(stop),), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/was/health", headers={"User-Agent": "e2e"}, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the protected demo app did not start"
        time.sleep(0.05)
    yield url
    loop.call_soon_threadsafe(stop.set)
    thread.join(timeout=15)


def _chart_points(page: Any) -> list[int]:
    """Data points per ``figure.chart`` on the page."""
    return page.eval_on_selector_all("figure.chart", "els => els.map(e => e.querySelectorAll('[data-value]').length)")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_page_shows_the_demo_story(platform: Platform, protected_demo: str, browser_page: Any) -> None:
    results = StoryLoader(platform, scan_filesystem=False, focus_sample=None).run()
    assert all(r.ok for r in results), [(r.name, r.summary) for r in results if not r.ok]
    traffic = TrafficGenerator(protected_demo, rate=40, duration=4, attack_share=0.4, seed=2).run()
    assert traffic.errors == 0 and traffic.attacks_blocked and traffic.legit_allowed
    assert {c for c in ATTACKS if traffic.by_category.get(c) and traffic.by_category[c].blocked}
    telemetry_for(platform).flush()  # spans reach the embedded store now, not in a second

    page = browser_page.page
    browser_page.login("operator")
    labels = page.eval_on_selector_all("nav.mainnav a", "els => els.map(e => e.textContent.trim())")
    assert EXPECTED_PAGES <= set(labels), labels
    charts_seen = 0
    for label in labels:
        page.click(f"nav.mainnav a:text-is('{label}')")
        page.wait_for_load_state()
        assert page.locator("nav.mainnav a.active").inner_text() == label
        points = _chart_points(page)
        assert all(n > 0 for n in points), f"{label}: a chart without data points ({points})"
        charts_seen += len(points)
        browser_page.screenshot(f"demo-{label.lower()}")
    assert charts_seen >= 10

    # every page reads well at 1440 and 1024 px: no sideways scroll, every chart drawn and filling its
    # card, no overlapping or cut chart labels (and no JavaScript error: browser_page fails on one)
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for label in labels:
            page.click(f"nav.mainnav a:text-is('{label}')")
            page.wait_for_load_state()
            problems += [f"{label} at {width} px: {p}" for p in layout_problems(page)]
            browser_page.screenshot(f"layout-{label.lower()}-{width}")
    assert not problems, "\n".join(problems)
    page.set_viewport_size({"width": 1280, "height": 900})

    # every notification's console link lands on a page that shows what it names
    links, senders = [], set()
    outbox = "/console/outbox"
    while outbox:
        browser_page.goto(outbox)
        links += page.eval_on_selector_all("a.console-link", "els => els.map(e => e.getAttribute('href'))")
        senders.update(page.eval_on_selector_all("section.notification", "els => els.map(e => e.textContent)"))
        older = page.locator("nav.pager a[rel=next]")
        outbox = older.get_attribute("href") if older.count() else ""
    assert links
    assert any("rule security-alerts" in t for t in senders) and any("rule budget-alerts" in t for t in senders)
    for link in sorted(set(links)):
        response = browser_page.goto(link)
        assert response is not None and response.status == 200, link
        assert "/login" not in page.url, link
        query = parse_qs(urlsplit(link).query)
        if "id" in query:  # a finding: its own page, with its id
            assert page.locator(f"[data-finding-id='{query['id'][0]}']").count() == 1, link
        elif "budget" in query:
            assert f"Budget {query['budget'][0]}" in page.content(), link
        elif "#rule-" in link:
            assert page.locator(f"#{link.split('#', 1)[1]}").count() == 1, link

    # pages carry the story, not just chrome
    browser_page.goto("/console/outbox")
    assert page.locator("section.notification").count() >= 3
    browser_page.goto("/console/findings?severity=CRITICAL")
    assert page.locator("table.findings tbody tr[data-id]").count() >= 1
    browser_page.goto("/console/assets")
    assert "acme-public-assets" in page.content() or page.locator("table tbody tr").count() >= 10

    # a trace from the WAF: the waterfall shows the WAF span and the application's span under it
    browser_page.goto("/console/traces?service=assetguard-waf")
    rows = page.locator("table.traces tbody tr[data-trace]")
    assert rows.count() >= 1
    rows.first.locator("a").click()
    page.wait_for_load_state()
    assert re.search(r"/console/traces/[0-9a-f]{32}$", page.url)
    spans = page.locator("table.waterfall tr.span")
    assert spans.count() >= 2
    assert "demo-app" in page.locator("table.waterfall").inner_text()
    browser_page.screenshot("demo-trace")

    # change a finding's workflow
    hub = FindingsHub(platform)
    target = hub.list(severity="HIGH", workflow_status="NOTIFIED", limit=1) or hub.list(severity="HIGH", limit=1)
    assert target
    finding = target[0]
    browser_page.goto("/console/findings?severity=HIGH")
    page.check(f"input[name=finding][value='{finding['ProductArn']}|{finding['Id']}']")
    page.select_option("#bulk-status", "SUPPRESSED")
    page.fill("#bulk-note", "accepted risk for the demo")
    page.click("#apply-workflow")
    page.wait_for_load_state()
    assert page.locator("[data-result=updated]").inner_text().startswith("1 finding(s) updated")
    assert hub.get(finding["ProductArn"], finding["Id"])["Workflow"]["Status"] == "SUPPRESSED"
    browser_page.screenshot("demo-findings-workflow")

    # bulk-edit tags on this machine and the container image (the demo's AWS resources would need AWS
    # credentials: the tag editor writes AWS tags through the Resource Groups Tagging API)
    browser_page.goto("/console/tags")
    arns = [a for a in page.eval_on_selector_all("input[name=arn]", "els => els.map(e => e.value)")
            if a.startswith("urn:")][:2]
    assert len(arns) == 2
    for arn in arns:
        page.check(f"input[name=arn][value='{arn}']")
    page.fill("#set-tags", "Owner=demo-team\nCostCenter=4711")
    page.click("#preview")
    page.wait_for_load_state()
    assert page.locator("table.tag-preview tbody tr").count() == 2
    page.click("#apply")
    page.wait_for_load_state()
    assert page.locator("[data-result=applied]").inner_text().startswith("2 resource(s) updated")
    inventory = InventoryService(platform)
    for arn in arns:
        assert inventory.get(arn)["tags"]["Owner"] == "demo-team"
    browser_page.screenshot("demo-tags-bulk-edit")
