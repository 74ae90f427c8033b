"""The WAF store: versions, etags, deletion, names, the change generation, heartbeats; ACLs by name."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assetguard.core.clock import utcnow
from assetguard.core.errors import ConflictError, NotFoundError, ValidationError
from assetguard.core.settings import Settings
from assetguard.runtime.platform import Platform
from assetguard.waf.acl_source import changed, compile_named_acl, find_acl, validate_resource
from assetguard.waf.request import HttpRequest
from assetguard.waf.store import ProxyBeat, WafStore, check_name, etag_of, subscribe_local
from tests.waf.conftest import FIXTURE_GROUPS, FIXTURE_IPSETS, make_acl

NONE = [{"Priority": 0, "Type": "NONE"}]


@pytest.fixture
def store(platform: Platform) -> WafStore:
    return WafStore(platform.db)


@pytest.fixture
def waf(settings: Settings):  # type: ignore[no-untyped-def]
    settings.waf.managed_dir = str(FIXTURE_GROUPS)
    settings.waf.ipset_dir = str(FIXTURE_IPSETS)
    return settings.waf


def _ipset_acl() -> dict:
    return make_acl([{"Name": "office", "Priority": 0, "Action": {"Block": {}}, "Statement": {
        "IPSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:123456789012:regional/ipset/office/abc"}}}])


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "/root", "a/b", "", "x" * 129, "naïve", "a b", ".", "..",
                                  "x\x00", "C:\\x"])
def test_names_outside_the_pattern_are_refused_without_echo(name: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_name(name)
    assert "1-128" in str(info.value)
    assert name not in str(info.value) or name == ""


@pytest.mark.parametrize("name", ["a", "shop-prod_2", "x" * 128, "A-Z_0-9"])
def test_names_inside_the_pattern_pass(name: str) -> None:
    assert check_name(name) == name


def test_every_save_is_a_new_version_with_author_and_etag(store: WafStore) -> None:
    wake = subscribe_local()
    start = store.state().generation
    first = store.put("acl", "shop", {"a": 1}, actor="alice")
    assert wake.is_set()
    second = store.put("acl", "shop", {"a": 1}, actor="bob")  # identical content: still a new version
    third = store.put("acl", "shop", {"a": 2}, actor="carol")
    assert (first.version, second.version, third.version) == (1, 2, 3)
    assert first.etag == second.etag == etag_of({"a": 1}) != third.etag
    assert store.state().generation == start + 3
    current = store.get("acl", "shop")
    assert current is not None and current.document == {"a": 2} and current.created_by == "carol"
    old = store.get("acl", "shop", 1)
    assert old is not None and old.document == {"a": 1} and old.created_by == "alice"
    assert [v.version for v in store.versions("acl", "shop")] == [3, 2, 1]
    assert store.names("acl") == [{"name": "shop", "version": 3, "etag": third.etag,
                                   "updated_at": third.created_at.isoformat(), "updated_by": "carol"}]
    assert store.names("ip-set") == []


def test_if_match_and_deletion(store: WafStore) -> None:
    saved = store.put("ip-set", "office", {"x": 1}, actor="a")
    with pytest.raises(ConflictError):
        store.put("ip-set", "office", {"x": 2}, actor="a", if_match="0" * 64)
    store.put("ip-set", "office", {"x": 2}, actor="a", if_match=saved.etag)
    store.put("ip-set", "office", None, actor="a")
    assert store.get("ip-set", "office") is None
    assert store.names("ip-set") == []
    assert [v.meta()["deleted"] for v in store.versions("ip-set", "office")] == [True, False, False]
    assert store.etags([("ip-set", "office"), ("ip-set", "nope")]) == {("ip-set", "office"): None,
                                                                       ("ip-set", "nope"): None}


def test_acls_resolve_from_the_store_then_the_builtin_set(store: WafStore, waf) -> None:  # type: ignore[no-untyped-def]
    doc, version, _ = find_acl(store, "baseline")
    assert version == 0 and doc["Name"] == "baseline"
    with pytest.raises(NotFoundError, match="'nope'"):
        find_acl(store, "nope")
    with pytest.raises(ValidationError):
        find_acl(store, "../baseline")
    store.put("acl", "shop", _ipset_acl(), actor="a")
    with pytest.raises(NotFoundError, match="IPSet 'office' is not in the WAF store"):
        compile_named_acl(waf, store, "shop")
    store.put("ip-set", "office", {"IPAddressVersion": "IPV4", "Addresses": ["203.0.113.0/24"]}, actor="a")
    compiled, fp = compile_named_acl(waf, store, "shop")
    assert fp.version == 1 and fp.deps[0][:2] == ("ip-set", "office")
    assert compiled.evaluate(HttpRequest("GET", "/", client_ip="203.0.113.9")).action == "BLOCK"
    assert not changed(store, fp)
    store.put("ip-set", "office", {"IPAddressVersion": "IPV4", "Addresses": ["198.51.100.0/24"]}, actor="a")
    assert changed(store, fp)
    compiled, fp = compile_named_acl(waf, store, "shop")
    assert compiled.evaluate(HttpRequest("GET", "/", client_ip="203.0.113.9")).action == "ALLOW"
    store.put("acl", "other", make_acl([]), actor="a")
    assert not changed(store, fp)  # an unrelated save does not ask for a recompilation
    store.put("acl", "shop", make_acl([]), actor="a")
    assert changed(store, fp)


def test_resources_are_validated_as_the_engine_uses_them(store: WafStore, waf) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="ip-set office"):
        validate_resource(waf, store, "ip-set", "office", {"IPAddressVersion": "IPV4", "Addresses": ["nonsense"]})
    with pytest.raises(ValidationError, match="Name must equal"):
        validate_resource(waf, store, "ip-set", "office", {"Name": "other", "IPAddressVersion": "IPV4",
                                                           "Addresses": []})
    validate_resource(waf, store, "ip-set", "office", {"IPAddressVersion": "IPV4", "Addresses": ["10.0.0.0/8"]})
    with pytest.raises(ValidationError, match="regex-pattern-set rx"):
        validate_resource(waf, store, "regex-pattern-set", "rx", {"RegularExpressionList": []})
    validate_resource(waf, store, "regex-pattern-set", "rx", {"RegularExpressionList": [{"RegexString": "^/a"}]})
    group = {"Capacity": 10, "VisibilityConfig": make_acl([])["VisibilityConfig"], "Rules": [
        {"Name": "admin", "Priority": 0, "Action": {"Block": {}}, "VisibilityConfig": make_acl([])["VisibilityConfig"],
         "Statement": {"ByteMatchStatement": {"SearchString": "/admin", "PositionalConstraint": "STARTS_WITH",
                                              "FieldToMatch": {"UriPath": {}}, "TextTransformations": NONE}}}]}
    validate_resource(waf, store, "rule-group", "grp", group)
    bad = {**group, "Rules": [{**group["Rules"][0], "Action": {"Captcha": {}}}]}
    with pytest.raises(ValidationError, match="Captcha"):
        validate_resource(waf, store, "rule-group", "grp", bad)


def test_heartbeats_upsert_and_age(store: WafStore) -> None:
    started = utcnow()
    beat = ProxyBeat("p1", "127.0.0.1:8000", "shop", 3, "e" * 64, 7, 1, "ok", None, started)
    store.heartbeat(beat)
    store.heartbeat(ProxyBeat("p1", "127.0.0.1:8000", "shop", 4, "f" * 64, 8, 2, "degraded", "bad", started))
    rows = store.proxies(alive_seconds=30)
    assert len(rows) == 1 and rows[0]["version"] == 4 and rows[0]["health"] == "degraded" and rows[0]["alive"]
    assert rows[0]["reload_generation"] == 2 and rows[0]["detail"] == "bad"
    assert store.proxies(alive_seconds=-1)[0]["alive"] is False
    assert store.proxies(alive_seconds=30, keep=timedelta(seconds=-1)) == []  # aged out and removed
    store.heartbeat(beat)
    store.forget_proxy("p1")
    assert store.proxies(alive_seconds=30) == []


@hypothesis_settings(max_examples=300, derandomize=False, deadline=None)
@given(st.text(max_size=140))
def test_an_accepted_name_can_never_be_a_path(name: str) -> None:
    try:
        check_name(name)
    except ValidationError:
        assert not (1 <= len(name) <= 128 and all(c.isascii() and (c.isalnum() or c in "_-") for c in name))
        return
    assert 1 <= len(name) <= 128 and "/" not in name and "\\" not in name and "." not in name
    assert all(c.isascii() and (c.isalnum() or c in "_-") for c in name)
