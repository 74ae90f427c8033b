"""WAFMiddleware on an ASGI app; AWS-format WAF logs with sampling; Prometheus counters; bus events."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from assetguard.waf.gate import WafGate
from assetguard.waf.logs import BlockedEventPublisher, WafLogWriter
from assetguard.waf.middleware import WAFMiddleware
from tests.waf.conftest import make_acl

NONE = [{"Priority": 0, "Type": "NONE"}]


def _doc() -> dict:
    return make_acl([
        {"Name": "tag", "Priority": 0, "Action": {"Count": {}}, "RuleLabels": [{"Name": "seen"}],
         "Statement": {"ByteMatchStatement": {"SearchString": "/", "PositionalConstraint": "STARTS_WITH",
                                              "FieldToMatch": {"UriPath": {}}, "TextTransformations": NONE}}},
        {"Name": "body", "Priority": 1, "Action": {"Block": {"CustomResponse": {
            "ResponseCode": 406, "CustomResponseBodyKey": "no", "ResponseHeaders": [{"Name": "X-Why", "Value": "body"}]}}},
         "Statement": {"ByteMatchStatement": {"SearchString": "EVIL", "PositionalConstraint": "CONTAINS",
                                              "FieldToMatch": {"Body": {"OversizeHandling": "CONTINUE"}},
                                              "TextTransformations": NONE}}},
        {"Name": "mark", "Priority": 2, "Action": {"Allow": {"CustomRequestHandling": {
            "InsertHeaders": [{"Name": "tier", "Value": "gold"}]}}},
         "Statement": {"ByteMatchStatement": {"SearchString": "/gold", "PositionalConstraint": "EXACTLY",
                                              "FieldToMatch": {"UriPath": {}}, "TextTransformations": NONE}}},
    ], CustomResponseBodies={"no": {"ContentType": "APPLICATION_JSON", "Content": "{\"blocked\": true}"}})


def _app() -> FastAPI:
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def echo(request: Request, path: str) -> dict:
        body = await request.body()
        return {"path": path, "len": len(body), "tier": request.headers.get("x-amzn-waf-tier")}

    return app


def test_middleware_blocks_passes_and_replays_the_body(compile_doc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log_path = tmp_path / "waf.jsonl"
    gate = WafGate(lambda: compile_doc(_doc()), log_writer=WafLogWriter(log_path, 1.0))
    client = TestClient(WAFMiddleware(_app(), gate=gate))
    assert client.get("/user/1").json() == {"path": "user/1", "len": 0, "tier": None}
    big = b"a" * 50_000 + b"EVIL"  # past the 8 KB prefix: CONTINUE inspects only the prefix
    assert client.post("/content", content=big).json()["len"] == len(big)
    blocked = client.post("/content", content=b"xx EVIL xx")
    assert blocked.status_code == 406 and blocked.json() == {"blocked": True}
    assert blocked.headers["x-why"] == "body" and blocked.headers["content-type"].startswith("application/json")
    assert client.get("/gold").json()["tier"] == "gold"
    gate.close()
    records = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert len(records) == 4
    block = records[2]
    assert block["action"] == "BLOCK" and block["terminatingRuleId"] == "body"
    assert block["terminatingRuleType"] == "REGULAR" and block["formatVersion"] == 1
    assert block["webaclId"].endswith(":regional/webacl/test-acl/assetguard")
    assert block["httpRequest"]["httpMethod"] == "POST" and block["httpRequest"]["uri"] == "/content"
    assert block["httpRequest"]["clientIp"] == "testclient"
    assert block["labels"] == [{"name": "awswaf:000000000000:webacl:test-acl:seen"}]
    assert block["nonTerminatingMatchingRules"] == [{"ruleId": "tag", "action": "COUNT", "ruleMatchDetails": []}]
    assert records[3]["requestHeadersInserted"] == [{"name": "x-amzn-waf-tier", "value": "gold"}]
    assert gate.recent_blocks.newest()[0]["terminatingRuleId"] == "body"


def test_log_sampling(compile_doc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from assetguard.waf.request import HttpRequest

    path = tmp_path / "sampled.jsonl"
    gate = WafGate(lambda: compile_doc(_doc()), log_writer=WafLogWriter(path, 0.25))
    for _ in range(2000):
        gate.inspect(HttpRequest("GET", "/x"))
    gate.close()
    lines = len(path.read_text().splitlines())
    assert 350 < lines < 650
    gate = WafGate(lambda: compile_doc(_doc()), log_writer=WafLogWriter(tmp_path / "none.jsonl", 0.0))
    gate.inspect(HttpRequest("GET", "/x"))
    gate.close()
    assert (tmp_path / "none.jsonl").read_text() == ""


def test_managed_group_log_record_and_counters(baseline) -> None:  # type: ignore[no-untyped-def]
    from assetguard.waf.logs import log_record
    from assetguard.waf.request import HttpRequest

    before = REGISTRY.get_sample_value("assetguard_waf_rule_matches_total",
                                       {"acl": "baseline", "rule": "NoUserAgent_HEADER", "action": "BLOCK"}) or 0
    gate = WafGate(lambda: baseline)
    request = HttpRequest("GET", "/user/1")
    verdict = gate.inspect(request)
    record = log_record(baseline, request, verdict)
    assert record["terminatingRuleType"] == "MANAGED_RULE_GROUP"
    assert record["ruleGroupList"] == [{"ruleGroupId": "AWS#AWSManagedRulesCommonRuleSet", "terminatingRule": {
        "ruleId": "NoUserAgent_HEADER", "action": "BLOCK", "ruleMatchDetails": None},
        "nonTerminatingMatchingRules": [], "excludedRules": None, "customerConfig": None}]
    after = REGISTRY.get_sample_value("assetguard_waf_rule_matches_total",
                                      {"acl": "baseline", "rule": "NoUserAgent_HEADER", "action": "BLOCK"})
    assert after == before + 1
    assert (REGISTRY.get_sample_value("assetguard_waf_requests_total", {
        "acl": "baseline", "rule": "AWS-AWSManagedRulesCommonRuleSet", "action": "BLOCK"}) or 0) >= 1


def test_engine_errors_fail_open_or_closed(compile_doc) -> None:  # type: ignore[no-untyped-def]
    from assetguard.waf.request import HttpRequest

    class Broken:
        wcu = 1

        def match(self, request, state):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

    for fail_open, expected in ((True, "ALLOW"), (False, "BLOCK")):
        acl = compile_doc(_doc())
        rule = acl.rules[0]
        rule.statement, rule.fast, rule.need = Broken(), None, 0  # the plan's shortcuts would skip it
        gate = WafGate(lambda a=acl: a, fail_open=fail_open)  # type: ignore[misc]
        verdict = gate.inspect(HttpRequest("GET", "/"))
        assert (verdict.action, verdict.terminating_rule_id, gate.errors) == (expected, "EngineError", 1)
    assert (REGISTRY.get_sample_value("assetguard_waf_engine_errors_total", {"acl": "test-acl", "outcome": "BLOCK"})
            or 0) >= 1


def test_blocked_events_are_published_on_the_bus(platform, compile_doc) -> None:  # type: ignore[no-untyped-def]
    from assetguard.waf.request import HttpRequest

    events = BlockedEventPublisher(platform.bus, sample_rate=1.0)
    gate = WafGate(lambda: compile_doc(_doc()), events=events)
    gate.inspect(HttpRequest("POST", "/content", body=b"EVIL"))
    gate.inspect(HttpRequest("GET", "/fine"))
    gate.close()
    published = platform.bus.recent(detail_type="WAF Request Blocked")
    assert len(published) == 1
    event = published[0]
    assert event["source"] == "assetguard.waf" and event["detail"]["terminatingRuleId"] == "body"
    assert event["resources"] == [event["detail"]["webaclId"]]


def test_log_record_masks_credential_headers(baseline) -> None:  # type: ignore[no-untyped-def]
    """The log (and the recent blocks viewers see) never carries a client's credentials."""
    from assetguard.waf.logs import log_record
    from assetguard.waf.request import HttpRequest

    request = HttpRequest("GET", "/user/1?page=2&access_token=pl4nt-query-token", headers=[
        ("Authorization", "Bearer pl4nt-client-token"), ("Cookie", "session=pl4nt-cookie"),
        ("X-Api-Key", "pl4nt-api-key"), ("Accept", "text/html")])
    record = log_record(baseline, request, WafGate(lambda: baseline).inspect(request))
    assert record["httpRequest"]["headers"] == [
        {"name": "Authorization", "value": "***"}, {"name": "Cookie", "value": "***"},
        {"name": "X-Api-Key", "value": "***"}, {"name": "Accept", "value": "text/html"}]
    assert record["httpRequest"]["args"] == "page=2&access_token=***"
    assert "pl4nt" not in json.dumps(record)
