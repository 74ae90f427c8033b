"""Home shows the figures that matter at a glance, each linking to its page."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from fastapi.testclient import TestClient

from assetguard.findings.hub import FindingsHub
from assetguard.runtime.platform import Platform
from tests.findings.factory import make_finding


def _figure(html: str, title: str) -> str:
    match = re.search(r'<a class="figure [^"]*" href="([^"]*)" data-figure="' + re.escape(title) + r'">(.*?)</a>',
                      html, re.S)
    assert match, f"no figure {title!r} on the home page"
    return match.group(1) + " " + re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(2)))


def test_home_figures(client: TestClient, platform: Platform, console_login: Callable[[str], str]) -> None:
    FindingsHub(platform).batch_import([make_finding("h-1", severity="CRITICAL"), make_finding("h-2"),
                                        make_finding("h-3", severity="HIGH"), make_finding("h-4", severity="LOW")])
    platform.bus.publish("assetguard.waf", "WAF Request Blocked", {
        "timestamp": int(time.time() * 1000), "action": "BLOCK", "terminatingRuleId": "Default_Action",
        "httpRequest": {"clientIp": "192.0.2.1", "httpMethod": "GET", "uri": "/admin", "args": "",
                        "requestId": "r-1"}, "labels": [], "ruleGroupList": []})
    console_login("viewer")
    html = client.get("/console/").text
    findings = _figure(html, "Open CRITICAL / HIGH findings")
    assert findings.startswith("/console/findings") and " 1 / 2 " in findings and "4 open in all" in findings
    assert "/console/audit" in _figure(html, "Audit chain") and "intact" in _figure(html, "Audit chain")
    assert "0 failed" in _figure(html, "Undelivered alerts")
    assert "no collection yet" in _figure(html, "Last collection per source")
    waf = _figure(html, "WAF blocks, last hour")
    assert waf.startswith("/console/waf") and "last hour 1 sampled" in waf
    assert _figure(html, "Budgets").startswith("/console/cost")
    for href in re.findall(r'<a class="figure [^"]*" href="([^"]*)"', html):
        assert client.get(href).status_code == 200, href
