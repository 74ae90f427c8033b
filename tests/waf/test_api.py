"""WAF API routes: ACL get/put/list, reload of running gates, evaluate, status; auth and audit."""

from __future__ import annotations

import pytest

from assetguard.core.settings import Settings
from assetguard.waf.gate import WafGate
from assetguard.waf.request import HttpRequest
from tests.waf.conftest import FIXTURE_GROUPS, FIXTURE_IPSETS, make_acl

NONE = [{"Priority": 0, "Type": "NONE"}]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.waf.managed_dir = str(FIXTURE_GROUPS)
    settings.waf.ipset_dir = str(FIXTURE_IPSETS)
    return settings


def _custom() -> dict:
    return make_acl([{"Name": "admin", "Priority": 0, "Action": {"Block": {}}, "Statement": {"ByteMatchStatement": {
        "SearchString": "/admin", "PositionalConstraint": "STARTS_WITH", "FieldToMatch": {"UriPath": {}},
        "TextTransformations": NONE}}}])


def test_get_and_list(client, viewer_headers) -> None:  # type: ignore[no-untyped-def]
    listing = client.get("/waf/acls", headers=viewer_headers).json()
    assert "baseline" in listing["builtin"] and listing["stored"] == []
    got = client.get("/waf/acls/baseline", headers=viewer_headers).json()
    assert got["capacity"]["total"] == 1381 and got["document"]["Name"] == "baseline"
    assert got["capacity"]["rules"][-1] == {"name": "AllowApplicationPaths", "wcu": 6}
    assert client.get("/waf/acls/nope", headers=viewer_headers).status_code == 404
    assert client.get("/waf/acls").status_code == 401


def test_put_validates_stores_and_audits(client, platform, operator_headers, viewer_headers) -> None:  # type: ignore[no-untyped-def]
    bad = _custom()
    bad["Rules"][0]["Action"] = {"Captcha": {}}
    resp = client.put("/waf/acls/mine", json=bad, headers=operator_headers)
    assert resp.status_code == 400 and "Rules[0].Action.Captcha" in resp.text
    assert client.put("/waf/acls/mine", json=_custom(), headers=viewer_headers).status_code == 403
    resp = client.put("/waf/acls/mine", json=_custom(), headers=operator_headers)
    assert resp.status_code == 200 and resp.json()["capacity"]["total"] == 2
    assert client.get("/waf/acls/mine", headers=viewer_headers).json()["document"] == _custom()
    assert client.put("/waf/acls/baseline", json=_custom(), headers=operator_headers).status_code == 409
    rows = platform.audit.query(action="waf.acl.put")
    assert len(rows) == 1 and rows[0]["resource"] == "waf:acl/mine"
    verdicts = client.post("/waf/evaluate", headers=operator_headers, json={"acl": "mine", "requests": [
        {"method": "GET", "uri": "/admin/x"}, {"method": "GET", "uri": "/ok"}]}).json()
    assert verdicts == [{"action": "BLOCK", "terminatingRuleId": "admin", "labels": []},
                        {"action": "ALLOW", "terminatingRuleId": "Default_Action", "labels": []}]


def test_reload_switches_running_gates(client, platform, operator_headers, viewer_headers, compile_doc) -> None:  # type: ignore[no-untyped-def]
    client.put("/waf/acls/mine", json=_custom(), headers=operator_headers)
    gate = WafGate(lambda: compile_doc(make_acl([])))
    assert gate.inspect(HttpRequest("GET", "/admin")).action == "ALLOW"
    resp = client.post("/waf/reload", json={"acl": "mine"}, headers=operator_headers)
    assert resp.status_code == 200
    assert {"before": "test-acl", "after": "test-acl", "capacity": 2} in resp.json()["reloaded"]
    assert gate.inspect(HttpRequest("GET", "/admin")).action == "BLOCK"
    status = client.get("/waf/status", headers=viewer_headers).json()
    assert any(g["reloads"] == 1 for g in status["gates"])
    assert status["recent_blocks"][0]["httpRequest"]["uri"] == "/admin"
    assert client.post("/waf/reload", json={"acl": "nope"}, headers=operator_headers).status_code == 404
    assert client.post("/waf/reload", json={}, headers=viewer_headers).status_code == 403
    gate.close()
