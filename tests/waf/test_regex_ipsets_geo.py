"""The AWS regex subset, IP set matching and the reloadable managed IP-set store, GeoIP databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from assetguard.core.errors import ConfigError, NotFoundError, ValidationError
from assetguard.waf.geo import GeoDatabase
from assetguard.waf.ipsets import IPMatcher, IPSetStore, parse_networks
from assetguard.waf.regex import compile_alternation, compile_aws_regex
from assetguard.waf.request import HttpRequest
from tests.waf.conftest import make_acl


@pytest.mark.parametrize(("pattern", "message"), [
    (r"(a)\1", "backreferences"), (r"(?P<x>a)(?P=x)", "backreferences"), (r"\k<x>", "backreferences"),
    (r"(?R)", "recursion"), (r"(a)(?1)", "recursion"), (r"(?(1)a|b)", "conditional"), (r"(*FAIL)", "verbs"),
    (r"a\C", "\\C"), (r"a\R", "\\R"), (r"ab\Kc", "\\K"), (r"(?C1)a", "callouts"), (r"(?>a+)b", "atomic"),
    (r"a++", "possessive"), (r"a*+", "possessive"), (r"a{2}+", "possessive"), (r"foo(?=bar)", "lookahead"),
    (r"(?<!x)y", "lookbehind"), ("a" * 513, "512"), ("", "non-empty"), ("(unclosed", "invalid regular expression"),
])
def test_rejects_what_aws_rejects(pattern: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        compile_aws_regex(pattern, where="RegexString")
    assert message in info.value.message and info.value.where == "RegexString"


@pytest.mark.parametrize("pattern", [
    r"^/api/v[0-9]+/", r"(?i)select\s+.*\s+from", r"\\1 literally", r"[\1]", r"a+?b", r"(foo|bar)baz", r"\d{2,4}",
    r"[(?=]", r"\bword\b", r"\Aabc\z",
])
def test_accepts_the_supported_subset(pattern: str) -> None:
    compile_aws_regex(pattern, where="x")


def test_pcre_end_anchor_is_translated() -> None:
    assert compile_aws_regex(r"abc\z", where="x").search("xabc")
    assert not compile_aws_regex(r"abc\z", where="x").search("abc\n")


def test_alternation_keeps_inline_flags_local() -> None:
    rx = compile_alternation(["(?i)sqlmap", "^Nikto"], where="set")
    assert rx.search("SQLMAP") and rx.search("Nikto/2") and not rx.search("nikto/2")
    with pytest.raises(ValidationError) as info:
        compile_alternation(["ok", "(a)\\1"], where="set (RegularExpressionList)")
    assert info.value.where == "set (RegularExpressionList)[1]"


def test_ip_matcher_v4_v6_and_mapped() -> None:
    matcher = IPMatcher(parse_networks(["10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "# comment", ""]))
    assert matcher.contains("10.200.1.1") and matcher.contains("192.0.2.1") and not matcher.contains("192.0.2.2")
    assert matcher.contains("2001:db8:ffff::1") and not matcher.contains("2001:db9::1")
    assert matcher.contains("::ffff:10.1.1.1")
    assert not matcher.contains("garbage") and not matcher.contains("")
    with pytest.raises(ValidationError, match="not an IP"):
        parse_networks(["10.0.0.0/33"], where="f.txt")


def test_ipset_version_must_match(compile_doc) -> None:  # type: ignore[no-untyped-def]
    from assetguard.waf.documents import AclResources

    resources = AclResources()
    resources.add("IPSet", {"Name": "s", "IPAddressVersion": "IPV4", "Addresses": ["2001:db8::/32"]}, "s.json")
    doc = make_acl([{"Name": "r", "Priority": 0, "Action": {"Block": {}},
                     "Statement": {"IPSetReferenceStatement": {"ARN": "s"}}}])
    with pytest.raises(ValidationError, match="not an IPV4 network") as info:
        compile_doc(doc, resources=resources)
    assert info.value.where == "s.json (Addresses[0])"


def test_managed_ipset_reload_changes_verdicts_without_recompiling(compile_doc, fixture_ipsets: IPSetStore) -> None:  # type: ignore[no-untyped-def]
    doc = make_acl([{"Name": "rep", "Priority": 0, "Action": {"Block": {}},
                     "Statement": {"IPSetReferenceStatement": {"ARN": "managed:ipset/test-reputation"}}}])
    acl = compile_doc(doc)
    req = HttpRequest("GET", "/", client_ip="100.64.0.9")
    assert acl.evaluate(req).action == "ALLOW"
    fixture_ipsets.replace("test-reputation", ["100.64.0.0/10"])
    assert acl.evaluate(HttpRequest("GET", "/", client_ip="100.64.0.9")).action == "BLOCK"
    (fixture_ipsets.directory / "test-reputation.txt").write_text("203.0.113.0/24\n")
    fixture_ipsets.reload()
    assert acl.evaluate(HttpRequest("GET", "/", client_ip="100.64.0.9")).action == "ALLOW"
    bad = make_acl([{"Name": "x", "Priority": 0, "Action": {"Block": {}},
                     "Statement": {"IPSetReferenceStatement": {"ARN": "managed:ipset/missing"}}}])
    with pytest.raises(ValidationError, match="missing"):
        compile_doc(bad)
    with pytest.raises(NotFoundError):
        fixture_ipsets.get("missing")


def test_geolite2_csv_directory(tmp_path: Path) -> None:
    (tmp_path / "GeoLite2-Country-Locations-en.csv").write_text(
        "geoname_id,locale_code,continent_code,continent_name,country_iso_code,country_name,is_in_european_union\n"
        "2635167,en,EU,Europe,GB,United Kingdom,0\n3017382,en,EU,Europe,FR,France,1\n")
    (tmp_path / "GeoLite2-Country-Blocks-IPv4.csv").write_text(
        "network,geoname_id,registered_country_geoname_id,represented_country_geoname_id,is_anonymous_proxy,"
        "is_satellite_provider\n81.2.69.0/24,2635167,2635167,,0,0\n2.0.0.0/16,,3017382,,0,0\n")
    (tmp_path / "GeoLite2-Country-Blocks-IPv6.csv").write_text(
        "network,geoname_id,registered_country_geoname_id,represented_country_geoname_id,is_anonymous_proxy,"
        "is_satellite_provider\n2a01:e00::/26,3017382,3017382,,0,0\n")
    db = GeoDatabase.load(tmp_path)
    assert db.country("81.2.69.160") == "GB" and db.country("2.0.1.1") == "FR"
    assert db.country("2a01:e00::1") == "FR" and db.country("8.8.8.8") is None and db.country("x") is None


def test_geo_csv_errors(tmp_path: Path) -> None:
    bad = tmp_path / "geo.csv"
    bad.write_text("network,country_code\nnot-a-net,FR\n")
    with pytest.raises(ConfigError) as info:
        GeoDatabase.load(bad)
    assert info.value.where == f"{bad}:2"
    with pytest.raises(ConfigError, match="does not exist"):
        GeoDatabase.load(tmp_path / "nope.csv")


def test_header_limit_by_bytes() -> None:
    from assetguard.waf.fields import compile_field

    inspector = compile_field({"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE",
                                           "OversizeHandling": "NO_MATCH"}}, [], body_limit=8192, where="f")
    small = HttpRequest("GET", "/", [("A", "x" * 100)])
    big = HttpRequest("GET", "/", [("A", "x" * 5000), ("B", "y" * 5000)])
    assert inspector.values(small) == ("x" * 100,)
    assert inspector.values(big) is False
    cont = compile_field({"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE",
                                      "OversizeHandling": "CONTINUE"}}, [], body_limit=8192, where="f")
    assert cont.values(HttpRequest("GET", "/", [("A", "x" * 5000), ("B", "y" * 5000)])) == ("x" * 5000,)


def test_each_field_is_transformed_once_per_chain() -> None:
    from assetguard.waf import transforms
    from assetguard.waf.fields import compile_field

    calls: list[str] = []

    def counting(name: str):  # type: ignore[no-untyped-def]
        func = transforms.transformations.get(name)

        def step(text: str) -> str:
            calls.append(name)
            return func(text)
        return step

    spec = [{"Priority": 0, "Type": "URL_DECODE"}, {"Priority": 1, "Type": "LOWERCASE"}]
    longer = [*spec, {"Priority": 2, "Type": "COMPRESS_WHITE_SPACE"}]
    first = compile_field({"QueryString": {}}, spec, body_limit=8192, where="a")
    second = compile_field({"QueryString": {}}, spec, body_limit=8192, where="b")
    third = compile_field({"QueryString": {}}, longer, body_limit=8192, where="c")
    for inspector in (first, second, third):
        inspector.steps = [counting(n) for n in inspector.chain_names]
    request = HttpRequest("GET", "/?A=%41++b")
    assert first.values(request) == ("a=a  b",)
    assert second.values(request) == ("a=a  b",)  # same field + chain: served from the request cache
    assert third.values(request) == ("a=a b",)  # shares the URL_DECODE, LOWERCASE prefix
    assert calls == ["URL_DECODE", "LOWERCASE", "COMPRESS_WHITE_SPACE"]
