"""Every refusal is visible like a rule block: WAF log record, Prometheus counters, console tail, event."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY

from tests.waf.frontdoor.conftest import Harness, log_records


class Bus:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, dict[str, Any], list[str]]] = []

    def publish(self, source: str, detail_type: str, detail: dict[str, Any], *, resources: list[str]) -> None:
        self.published.append((source, detail_type, detail, resources))


def _sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_refusal_is_logged_counted_tailed_and_published(make_harness: Callable[..., Harness],
                                                           tmp_path: Path) -> None:
    bus = Bus()
    harness = make_harness(events=bus)
    acl = harness.gate.acl.name
    refusals = {"reason": "cl_and_te", "status": "400"}
    requests = {"acl": acl, "rule": "AssetGuard-Protocol", "action": "BLOCK"}
    before = (_sample("assetguard_waf_protocol_refusals_total", refusals),
              _sample("assetguard_waf_requests_total", requests))
    raw = (b"POST /user?x=1 HTTP/1.1\r\nHost: app.example\r\nUser-Agent: smuggler\r\nContent-Length: 5\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    assert harness.send(raw)[0].status == 400
    after = (_sample("assetguard_waf_protocol_refusals_total", refusals),
             _sample("assetguard_waf_requests_total", requests))
    assert after == (before[0] + 1, before[1] + 1)
    [record] = [r for r in log_records(tmp_path) if r["terminatingRuleId"] == "AssetGuard-Protocol"]
    assert record["action"] == "BLOCK" and record["responseCodeSent"] == 400
    assert record["httpSourceName"] == "assetguard-proxy"
    assert record["terminatingRuleMatchDetails"][0]["matchedData"][0] == "cl_and_te"
    assert record["labels"] == [{"name": "assetguard:protocol:cl_and_te"}]
    http = record["httpRequest"]
    assert http["clientIp"] == "127.0.0.1" and http["httpMethod"] == "POST" and http["uri"] == "/user"
    assert {"name": "User-Agent", "value": "smuggler"} in http["headers"]
    assert harness.gate.recent_blocks.newest(1)[0]["terminatingRuleId"] == "AssetGuard-Protocol"
    deadline = time.monotonic() + 5
    while not bus.published and time.monotonic() < deadline:
        time.sleep(0.02)
    [(source, detail_type, detail, resources)] = bus.published
    assert (source, detail_type) == ("assetguard.waf", "WAF Request Blocked")
    assert detail["terminatingRuleId"] == "AssetGuard-Protocol" and resources == [record["webaclId"]]


def test_timeouts_and_limits_are_refusals_too(make_harness: Callable[..., Harness], tmp_path: Path) -> None:
    harness = make_harness(max_headers=10)
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(12))
    assert harness.send(b"GET /user HTTP/1.1\r\nHost: a\r\n" + many + b"\r\n")[0].status == 431
    assert harness.send(b"GET /user HTTP/1.1\r\nHost: a\r\n")[0].status == 400  # closed mid-head
    reasons = [r["labels"][0]["name"] for r in log_records(tmp_path) if r["terminatingRuleId"] == "AssetGuard-Protocol"]
    assert reasons == ["assetguard:protocol:too_many_headers", "assetguard:protocol:incomplete_head"]
