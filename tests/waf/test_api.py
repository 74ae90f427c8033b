"""WAF API routes: ACLs and resources by name and version, reload of every proxy, evaluate, status;
auth, audit, and names that never reach the file system."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import assetguard
from assetguard.core.clock import utcnow
from assetguard.core.settings import Settings
from assetguard.waf.gate import WafGate
from assetguard.waf.request import HttpRequest
from assetguard.waf.store import ProxyBeat, WafStore
from tests.waf.conftest import FIXTURE_GROUPS, FIXTURE_IPSETS, make_acl

NONE = [{"Priority": 0, "Type": "NONE"}]
PACKAGE = Path(assetguard.__file__).resolve().parent


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.waf.managed_dir = str(FIXTURE_GROUPS)
    settings.waf.ipset_dir = str(FIXTURE_IPSETS)
    settings.waf.heartbeat_seconds = 1.0
    return settings


def _custom(path: str = "/admin") -> dict:
    return make_acl([{"Name": "admin", "Priority": 0, "Action": {"Block": {}}, "Statement": {"ByteMatchStatement": {
        "SearchString": path, "PositionalConstraint": "STARTS_WITH", "FieldToMatch": {"UriPath": {}},
        "TextTransformations": NONE}}}])


# Every file the process opens while a request is handled (audit hook: catches open() at C level too).
_opened: list[str] = []
_recording = threading.Event()


def _hook(event: str, args: tuple) -> None:
    if event == "open" and _recording.is_set() and args and isinstance(args[0], str | bytes | Path):
        _opened.append(str(args[0]))


sys.addaudithook(_hook)


@contextmanager
def opened_files() -> Iterator[list[str]]:
    _opened.clear()
    _recording.set()
    try:
        yield _opened
    finally:
        _recording.clear()


def test_get_and_list(client, viewer_headers) -> None:  # type: ignore[no-untyped-def]
    listing = client.get("/waf/acls", headers=viewer_headers).json()
    assert "baseline" in listing["builtin"] and listing["stored"] == []
    got = client.get("/waf/acls/baseline", headers=viewer_headers).json()
    assert got["capacity"]["total"] == 1381 and got["document"]["Name"] == "baseline"
    assert got["version"] == 0 and got["builtin"] is True
    assert got["capacity"]["rules"][-1] == {"name": "AllowApplicationPaths", "wcu": 6}
    resp = client.get("/waf/acls/nope", headers=viewer_headers)
    assert resp.status_code == 404 and "'nope'" in resp.json()["detail"]
    assert client.get("/waf/acls").status_code == 401


def test_put_versions_validates_and_audits(client, platform, operator_headers, viewer_headers) -> None:  # type: ignore[no-untyped-def]
    bad = _custom()
    bad["Rules"][0]["Action"] = {"Captcha": {}}
    resp = client.put("/waf/acls/mine", json=bad, headers=operator_headers)
    assert resp.status_code == 400 and "Rules[0].Action.Captcha" in resp.text
    assert client.put("/waf/acls/mine", json=_custom(), headers=viewer_headers).status_code == 403
    first = client.put("/waf/acls/mine", json=_custom(), headers=operator_headers)
    assert first.status_code == 200 and first.json()["capacity"]["total"] == 2 and first.json()["version"] == 1
    got = client.get("/waf/acls/mine", headers=viewer_headers)
    assert got.json()["document"] == _custom() and got.headers["ETag"] == f'"{first.json()["etag"]}"'
    assert got.json()["created_by"] == "test-operator"
    # a second save with a stale If-Match is refused; with the current etag it is version 2
    second = client.put("/waf/acls/mine", json=_custom("/private"), headers={**operator_headers,
                                                                             "If-Match": got.headers["ETag"]})
    assert second.status_code == 200 and second.json()["version"] == 2
    stale = client.put("/waf/acls/mine", json=_custom(), headers={**operator_headers, "If-Match": got.headers["ETag"]})
    assert stale.status_code == 409
    versions = client.get("/waf/acls/mine/versions", headers=viewer_headers).json()
    assert [v["version"] for v in versions] == [2, 1]
    old = client.get("/waf/acls/mine?version=1", headers=viewer_headers).json()
    assert old["document"] == _custom() and old["version"] == 1
    assert client.get("/waf/acls/mine?version=9", headers=viewer_headers).status_code == 404
    assert client.put("/waf/acls/baseline", json=_custom(), headers=operator_headers).status_code == 409
    rows = platform.audit.query(action="waf.acl.put")
    assert len(rows) == 2 and rows[0]["resource"] == "waf:acl/mine"
    verdicts = client.post("/waf/evaluate", headers=operator_headers, json={"acl": "mine", "requests": [
        {"method": "GET", "uri": "/private/x"}, {"method": "GET", "uri": "/admin"}]}).json()
    assert verdicts == [{"action": "BLOCK", "terminatingRuleId": "admin", "labels": []},
                        {"action": "ALLOW", "terminatingRuleId": "Default_Action", "labels": []}]
    listing = client.get("/waf/acls", headers=viewer_headers).json()["stored"]
    assert [(s["name"], s["version"]) for s in listing] == [("mine", 2)]
    assert client.delete("/waf/acls/mine", headers=operator_headers).json()["deleted"] is True
    assert client.get("/waf/acls/mine", headers=viewer_headers).status_code == 404
    assert client.delete("/waf/acls/mine", headers=operator_headers).status_code == 404


def test_resources_by_name_used_by_an_acl(client, operator_headers, viewer_headers) -> None:  # type: ignore[no-untyped-def]
    acl = make_acl([{"Name": "office", "Priority": 0, "Action": {"Block": {}}, "Statement": {
        "IPSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:123456789012:regional/ipset/office/x"}}}])
    missing = client.put("/waf/acls/shop", json=acl, headers=operator_headers)
    assert missing.status_code == 404 and "IPSet 'office' is not in the WAF store" in missing.text
    bad = client.put("/waf/ip-sets/office", json={"IPAddressVersion": "IPV4", "Addresses": ["not-a-net"]},
                     headers=operator_headers)
    assert bad.status_code == 400 and "ip-set office" in bad.text
    saved = client.put("/waf/ip-sets/office", json={"IPSet": {"IPAddressVersion": "IPV4",
                                                              "Addresses": ["203.0.113.0/24"]}},
                       headers=operator_headers)
    assert saved.status_code == 200 and saved.json()["version"] == 1
    assert client.put("/waf/acls/shop", json=acl, headers=operator_headers).status_code == 200
    request = {"method": "GET", "uri": "/", "client_ip": "203.0.113.7"}
    first = client.post("/waf/evaluate", headers=operator_headers, json={"acl": "shop", "requests": [request]})
    assert first.json()[0]["action"] == "BLOCK"
    client.put("/waf/ip-sets/office", json={"IPAddressVersion": "IPV4", "Addresses": ["198.51.100.0/24"]},
               headers=operator_headers)
    after = client.post("/waf/evaluate", headers=operator_headers, json={"acl": "shop", "requests": [request]})
    assert after.json()[0]["action"] == "ALLOW"  # the ACL follows its IP set's new version
    assert [r["name"] for r in client.get("/waf/ip-sets", headers=viewer_headers).json()] == ["office"]
    got = client.get("/waf/ip-sets/office?version=1", headers=viewer_headers).json()
    assert got["document"]["Addresses"] == ["203.0.113.0/24"]
    assert len(client.get("/waf/ip-sets/office/versions", headers=viewer_headers).json()) == 2
    assert client.get("/waf/rule-groups/office", headers=viewer_headers).status_code == 404
    assert client.put("/waf/regex-pattern-sets/rx", headers=viewer_headers,
                      json={"RegularExpressionList": [{"RegexString": "a"}]}).status_code == 403


PATH_LIKE_NAMES = ["../x", "..%2Fx", "%2Fetc%2Fpasswd", "%2Froot", "a%00b", "x" * 129, "na%C3%AFve", "..", "a.json",
                   "baseline.json", "~root"]
PATH_LIKE_ACLS = ["/etc/passwd", "/root", "../../etc/hosts", "baseline.json", "C:\\x", "", "tests/waf/fixtures"]


def test_path_like_names_are_refused_without_opening_anything(client, operator_headers, viewer_headers) -> None:  # type: ignore[no-untyped-def]
    client.get("/waf/acls/baseline", headers=viewer_headers)  # warm: anything opened once per process
    with opened_files() as opened:
        answers = [resp for name in PATH_LIKE_NAMES for resp in (
            client.get(f"/waf/acls/{name}", headers=viewer_headers),
            client.get(f"/waf/acls/{name}/versions", headers=viewer_headers),
            client.get(f"/waf/ip-sets/{name}", headers=viewer_headers),
            client.put(f"/waf/acls/{name}", json=_custom(), headers=operator_headers),
            client.put(f"/waf/rule-groups/{name}", json={}, headers=operator_headers),
            client.delete(f"/waf/regex-pattern-sets/{name}", headers=operator_headers),
        )]
        answers += [resp for acl in PATH_LIKE_ACLS for resp in (
            client.post("/waf/evaluate", headers=operator_headers,
                        json={"acl": acl, "requests": [{"method": "GET", "uri": "/"}]}),
            client.post("/waf/reload", headers=operator_headers, json={"acl": acl, "wait_seconds": 0}),
        )]
    for resp in answers:
        assert resp.status_code in (404, 422), (resp.request.url, resp.status_code, resp.text)
        assert "root:" not in resp.text and "localhost" not in resp.text and "Traceback" not in resp.text
    for resp in answers[-2 * len(PATH_LIKE_ACLS):]:
        assert resp.status_code == 422, resp.text  # a body name is checked by the schema
    outside = [p for p in opened if not Path(p).resolve().is_relative_to(PACKAGE)]
    assert outside == [], f"opened outside the package: {outside}"


def test_reload_reaches_proxies_and_reports_versions(client, platform, operator_headers, viewer_headers,  # type: ignore[no-untyped-def]
                                                     compile_doc) -> None:
    client.put("/waf/acls/mine", json=_custom(), headers=operator_headers)
    store = WafStore(platform.db)
    # a proxy elsewhere: it heartbeats, and acknowledges reload requests by its next heartbeat
    stop = threading.Event()

    def remote_proxy() -> None:
        while not stop.wait(0.1):
            state = store.state()
            store.heartbeat(ProxyBeat("remote-1", "10.0.0.5:8000", "mine", 1, "e" * 64, state.generation,
                                      state.reload_generation, "ok", None, utcnow()))

    thread = threading.Thread(target=remote_proxy, daemon=True)
    thread.start()
    gate = WafGate(lambda: compile_doc(make_acl([])))  # an in-process gate no follower drives (middleware)
    try:
        for _ in range(100):  # until its first heartbeat is in
            if store.proxies(alive_seconds=60):
                break
            stop.wait(0.1)
        resp = client.post("/waf/reload", json={"acl": "mine", "wait_seconds": 10}, headers=operator_headers)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["pending"] == []
        remote = [p for p in body["proxies"] if p["id"] == "remote-1"]
        assert remote and remote[0]["acked"] and remote[0]["version"] == 1 and remote[0]["current_version"] == 1
        assert body["in_process"] == []  # the gate runs test-acl, not mine
        all_ = client.post("/waf/reload", json={"wait_seconds": 10}, headers=operator_headers).json()
        assert {"before": "test-acl", "after": "test-acl", "capacity": 0} in all_["in_process"]
        assert all_["reload_generation"] == body["reload_generation"] + 1
        listed = client.get("/waf/proxies", headers=viewer_headers).json()
        assert [p["address"] for p in listed["proxies"]] == ["10.0.0.5:8000"] and listed["proxies"][0]["alive"]
    finally:
        stop.set()
        thread.join()
        gate.close()
    status = client.get("/waf/status", headers=viewer_headers).json()
    assert any(g["reloads"] == 1 for g in status["gates"]) and status["proxies"][0]["id"] == "remote-1"
    assert gate.inspect(HttpRequest("GET", "/admin")).action == "ALLOW"
    assert client.post("/waf/reload", json={"acl": "nope"}, headers=operator_headers).status_code == 404
    assert client.post("/waf/reload", json={}, headers=viewer_headers).status_code == 403
    rows = platform.audit.query(action="waf.reload")
    assert len(rows) == 2
