"""The prefilter plan's memo of header fields, keyed by the header list with cookie values blanked.

A request that differs only in its cookie must get the cookie-reading rules' answer for its own
cookie; a cookie large enough to trigger the 8 KB header cut must still trigger it; a long header
value is not remembered (the memo would hold it).
"""

from __future__ import annotations

from typing import Any

from assetguard.waf.engine import compile_acl
from assetguard.waf.fields import HEADER_LIMIT_BYTES
from assetguard.waf.prefilter import MEMO_MAX_TEXT
from assetguard.waf.request import HttpRequest


def _byte_rule(name: str, priority: int, field: dict[str, Any], needle: str) -> dict[str, Any]:
    return {"Name": name, "Priority": priority, "Action": {"Block": {}},
            "VisibilityConfig": {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False,
                                 "MetricName": name},
            "Statement": {"ByteMatchStatement": {"SearchString": needle, "FieldToMatch": field,
                                                 "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}],
                                                 "PositionalConstraint": "CONTAINS"}}}


def _acl() -> Any:
    headers_without_cookie = {"Headers": {"MatchPattern": {"ExcludedHeaders": ["cookie"]}, "MatchScope": "ALL",
                                          "OversizeHandling": "MATCH"}}
    all_headers = {"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}}
    doc = {"Name": "header-memo", "DefaultAction": {"Allow": {}},
           "VisibilityConfig": {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False,
                                "MetricName": "header-memo"},
           "Rules": [_byte_rule("HeadersWithoutCookie", 0, headers_without_cookie, "badbot"),
                     _byte_rule("AnyHeaderValue", 1, all_headers, "evil-in-any-header"),
                     _byte_rule("CookieHeader", 2, {"SingleHeader": {"Name": "cookie"}}, "evil-cookie"),
                     _byte_rule("UserAgent", 3, {"SingleHeader": {"Name": "user-agent"}}, "scanner")]}
    return compile_acl(doc)


def _request(cookie: str, user_agent: str = "Mozilla/5.0 (X11; Linux x86_64)") -> HttpRequest:
    return HttpRequest("GET", "/user", [("Host", "app.example.com"), ("User-Agent", user_agent),
                                        ("Cookie", cookie)], b"", "10.0.0.1")


def test_headers_that_differ_only_in_the_cookie_share_one_memo_entry() -> None:
    acl = _acl()
    assert acl.plan is not None
    for i in range(5):
        assert acl.evaluate(_request(f"session={i:016x}")).action == "ALLOW"
    assert len(acl.plan.header_memo) == 1
    assert acl.evaluate(_request("session=1", user_agent="scanner/1.0")).terminating_rule_id == "UserAgent"
    assert len(acl.plan.header_memo) == 2


def test_fields_that_read_the_cookie_see_each_requests_own_cookie() -> None:
    acl = _acl()
    assert acl.evaluate(_request("session=abc")).action == "ALLOW"
    assert acl.evaluate(_request("session=evil-cookie")).terminating_rule_id == "CookieHeader"
    assert acl.evaluate(_request("x=evil-in-any-header")).terminating_rule_id == "AnyHeaderValue"
    assert acl.evaluate(_request("session=abc")).action == "ALLOW"


def test_a_cookie_that_crosses_the_header_cut_still_triggers_oversize_handling() -> None:
    acl = _acl()
    assert acl.evaluate(_request("session=abc")).action == "ALLOW"  # the memo now knows these headers
    big = "session=" + "a" * HEADER_LIMIT_BYTES
    verdict = acl.evaluate(_request(big))
    assert verdict.terminating_rule_id == "HeadersWithoutCookie"  # OversizeHandling MATCH: the cut counts the cookie
    assert acl.evaluate(_request("session=abc")).action == "ALLOW"


def test_a_long_header_value_is_not_remembered() -> None:
    acl = _acl()
    long_agent = "Mozilla/5.0 " + "x" * MEMO_MAX_TEXT
    assert acl.evaluate(_request("session=1", user_agent=long_agent)).action == "ALLOW"
    assert len(acl.plan.header_memo) == 0
    assert acl.evaluate(_request("session=1", user_agent=long_agent + " badbot")).terminating_rule_id == \
        "HeadersWithoutCookie"
