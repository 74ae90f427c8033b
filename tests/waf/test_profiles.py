"""Declarative engine profiles (Coraza style): ``profiles/*.yaml`` = ACL + requests -> expected verdicts.

Profile shape::

    name: what this profile covers
    acl: {Rules: [...], DefaultAction: {Allow: {}}, ...}   # VisibilityConfig and Name filled in
    resources: [ {IPSet: {...}}, {RegexPatternSet: {...}}, {RuleGroup: {...}} ]   # optional
    tests:
      - name: blocks the admin path
        request: {method: GET, uri: /admin, headers: [[User-Agent, x]], body: ..., client_ip: ...}
        expect: {action: BLOCK, rule: r1, labels: [...], group_rule: ..., status: 403}

``labels`` are compared as the exact ordered list; omitted keys are not checked.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from assetguard.waf.documents import AclResources
from assetguard.waf.engine import compile_acl
from assetguard.waf.ipsets import IPSetStore
from assetguard.waf.ratelimit import MemoryRateCounter
from assetguard.waf.request import HttpRequest
from tests.waf.conftest import FIXTURE_GROUPS, FIXTURE_IPSETS, VIS

PROFILES = sorted((Path(__file__).parent / "profiles").glob("*.yaml"))
NEEDS_DETECTORS = ("SqliMatchStatement", "XssMatchStatement")


def _cases() -> list[Any]:
    cases = []
    for path in PROFILES:
        profile = yaml.safe_load(path.read_text())
        for i, test in enumerate(profile["tests"]):
            cases.append(pytest.param(path, i, id=f"{path.stem}:{test.get('name', i)}"))
    return cases


def _prepare(profile: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(profile["acl"])
    doc.setdefault("Name", "profile")
    doc.setdefault("DefaultAction", {"Allow": {}})
    doc.setdefault("VisibilityConfig", VIS)
    for rule in doc.get("Rules", []):
        rule.setdefault("VisibilityConfig", VIS)
    return doc


_compiled: dict[Path, Any] = {}


def _acl(path: Path, profile: dict[str, Any]):  # type: ignore[no-untyped-def]
    if path not in _compiled:
        resources = AclResources()
        for item in profile.get("resources", []):
            (kind, doc), = item.items()
            resources.add(kind, doc, f"{path.name} resources")
        geo = Path(__file__).parent / "fixtures" / "geo.csv"
        _compiled[path] = compile_acl(_prepare(profile), source=path.name, resources=resources,
                                      ipsets=IPSetStore(FIXTURE_IPSETS), managed_dir=FIXTURE_GROUPS,
                                      rate_counter=MemoryRateCounter(), geoip_path=geo)
    return _compiled[path]


@pytest.mark.parametrize(("path", "index"), _cases())
def test_profile(path: Path, index: int) -> None:
    profile = yaml.safe_load(path.read_text())
    if any(kind in path.read_text() for kind in NEEDS_DETECTORS):
        pytest.importorskip("assetguard.waf.detectors.sqli", reason="SqliMatch needs the detection engineer's detectors")
        pytest.importorskip("assetguard.waf.detectors.xss", reason="XssMatch needs the detection engineer's detectors")
    acl = _acl(path, profile)
    test = profile["tests"][index]
    spec = dict(test["request"])
    repeat = int(spec.pop("repeat", 1))
    now = float(spec.pop("now", 1_000_000.0))
    body_size = spec.pop("body_size", None)
    pad_headers = int(spec.pop("pad_headers", 0))  # filler headers to pass the 200-item limit
    pad_cookies = int(spec.pop("pad_cookies", 0))
    body_repeat = spec.pop("body_repeat", None)  # [text, n]: a body of text * n
    if pad_headers:
        spec["headers"] = [*spec.get("headers", []), *([f"X-Pad-{i}", "p"] for i in range(pad_headers))]
    if pad_cookies:
        cookie = "; ".join(f"c{i}=v" for i in range(pad_cookies))
        spec["headers"] = [*spec.get("headers", []), ["Cookie", cookie]]
    if body_repeat:
        spec["body"] = str(body_repeat[0]) * int(body_repeat[1])
    verdict = None
    for n in range(repeat):
        request = HttpRequest.from_jsonl_record(spec)
        if body_size is not None:  # a proxy that inspected only a prefix of a longer body
            request.body_size = int(body_size)
        verdict = acl.evaluate(request, now=now + n * 0.01)
    assert verdict is not None
    expect = test["expect"]
    got = {"action": verdict.action, "rule": verdict.terminating_rule_id, "labels": list(verdict.labels),
           "group_rule": verdict.group_rule_id, "status": verdict.response_code,
           "non_terminating": [list(x) for x in verdict.non_terminating],
           "insert_headers": [list(x) for x in verdict.insert_headers]}
    for key, value in expect.items():
        assert got[key] == value, f"{test.get('name')}: {key} = {got[key]!r}, expected {value!r}"
