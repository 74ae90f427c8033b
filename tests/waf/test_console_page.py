"""The console WAF page: ACL capacities, counters and the live tail of recent blocks."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from assetguard.core.settings import Settings
from assetguard.waf.gate import WafGate
from assetguard.waf.logs import BlockedEventPublisher
from assetguard.waf.request import HttpRequest
from tests.waf.conftest import FIXTURE_GROUPS, FIXTURE_IPSETS


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.waf.managed_dir = str(FIXTURE_GROUPS)
    settings.waf.ipset_dir = str(FIXTURE_IPSETS)
    return settings


def test_waf_page_shows_capacity_counters_and_blocks(client, platform, baseline,  # type: ignore[no-untyped-def]
                                                      console_login: Callable[[str], str]) -> None:
    console_login("viewer")
    page = client.get("/console/waf")
    assert page.status_code == 200
    assert 'data-total="1381"' in page.text and "AWS-AWSManagedRulesCommonRuleSet" in page.text
    assert "no proxy in this process" in page.text
    gate = WafGate(lambda: baseline, events=BlockedEventPublisher(platform.bus, 1.0))
    gate.inspect(HttpRequest("GET", "/no-agent-here"))  # no User-Agent: NoUserAgent_HEADER blocks
    gate.inspect(HttpRequest("GET", "/user/1", [("User-Agent", "x")]))
    gate.events.close()  # type: ignore[union-attr]
    page = client.get("/console/waf")
    assert 'data-gate="baseline"' in page.text
    assert "/no-agent-here" in page.text and "NoUserAgent_HEADER" in page.text
    assert "AllowApplicationPaths" in page.text  # counter row
    gate.close()


def test_waf_page_needs_a_session(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/console/waf", follow_redirects=False)
    assert resp.status_code in (302, 303, 307) and "/login" in resp.headers["location"]


def test_waf_page_lists_proxies_with_versions_and_refuses_path_names(client, platform,  # type: ignore[no-untyped-def]
                                                                     console_login: Callable[[str], str]) -> None:
    from assetguard.core.clock import utcnow
    from assetguard.waf.store import ProxyBeat, WafStore
    from tests.waf.conftest import make_acl

    store = WafStore(platform.db)
    store.put("acl", "shop", make_acl([]), actor="t")
    store.put("acl", "shop", make_acl([], default="Block"), actor="t")
    store.heartbeat(ProxyBeat("host-a:41:8000", "10.0.0.7:8000", "shop", 1, "e" * 64, 1, 0, "degraded",
                              "ACL shop not reloaded", utcnow()))
    csrf = console_login("operator")
    page = client.get("/console/waf?acl=shop")
    assert page.status_code == 200
    assert 'data-proxy="host-a:41:8000" data-version="1"' in page.text and "10.0.0.7:8000" in page.text
    assert "current v2" in page.text and "ACL shop not reloaded" in page.text
    assert "version 2" in page.text
    done = client.post("/console/waf/reload", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert store.state().reload_generation == 1 and "pending" in client.get("/console/waf").text
    assert platform.audit.query(action="waf.reload")[0]["after"]["from"] == "console"
    for bad in ("/etc/passwd", "../x", "/root"):
        page = client.get("/console/waf", params={"acl": bad})
        assert page.status_code == 200 and "1-128 characters" in page.text and "root:" not in page.text
