"""A proxy's ACL follower: new versions by in-process wake, by PostgreSQL NOTIFY and by poll; reload
requests; a bad version keeps the running one; rate counters survive reloads; heartbeats."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import insert, select, update

from assetguard.core.clock import utcnow
from assetguard.core.settings import Settings
from assetguard.runtime.platform import Platform
from assetguard.waf.follower import AclFollower
from assetguard.waf.gate import WafGate
from assetguard.waf.request import HttpRequest
from assetguard.waf.store import WafStore, etag_of
from assetguard.waf.tables import waf_documents, waf_state
from tests.waf.conftest import FIXTURE_GROUPS, FIXTURE_IPSETS, make_acl, start_followers

NONE = [{"Priority": 0, "Type": "NONE"}]


def _blocking(path: str) -> dict:
    return make_acl([{"Name": "block", "Priority": 0, "Action": {"Block": {}}, "Statement": {"ByteMatchStatement": {
        "SearchString": path, "PositionalConstraint": "STARTS_WITH", "FieldToMatch": {"UriPath": {}},
        "TextTransformations": NONE}}}])


def _rate_limited() -> dict:
    return make_acl([{"Name": "rate", "Priority": 0, "Action": {"Block": {}}, "Statement": {"RateBasedStatement": {
        "Limit": 10, "AggregateKeyType": "IP", "EvaluationWindowSec": 300}}}])


@pytest.fixture
def store(platform: Platform) -> WafStore:
    return WafStore(platform.db)


@pytest.fixture
def follow(settings: Settings, store: WafStore) -> Iterator[Callable[..., tuple[AclFollower, WafGate]]]:
    settings.waf.managed_dir = str(FIXTURE_GROUPS)
    settings.waf.ipset_dir = str(FIXTURE_IPSETS)
    yield from start_followers(settings.waf, store)


def _until(check: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def _row(store: WafStore) -> dict:
    """The one proxy's heartbeat row ({} before its first beat)."""
    rows = store.proxies(alive_seconds=30)
    return rows[0] if rows else {}


def _action(gate: WafGate, path: str) -> str:
    return gate.inspect(HttpRequest("GET", path, [("User-Agent", "t")])).action


def test_a_new_version_is_followed_and_reported(follow, store: WafStore) -> None:  # type: ignore[no-untyped-def]
    store.put("acl", "shop", _blocking("/admin"), actor="t")
    follower, gate = follow("shop", poll=60)  # a save in this process wakes it; no poll needed
    assert _action(gate, "/admin") == "BLOCK"
    store.put("acl", "shop", _blocking("/private"), actor="t")
    assert _until(lambda: _action(gate, "/private") == "BLOCK")
    assert _action(gate, "/admin") == "ALLOW"
    assert _until(lambda: _row(store).get("version") == 2)
    row = store.proxies(alive_seconds=30)[0]
    assert row["acl"] == "shop" and row["address"] == "127.0.0.1:18000" and row["health"] == "ok"
    assert row["id"] == follower.id
    reloads = gate.reloads
    store.put("acl", "other", _blocking("/x"), actor="t")  # unrelated: no recompilation
    time.sleep(0.5)
    assert gate.reloads == reloads


def test_the_poll_finds_a_change_nobody_announced(follow, store: WafStore, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    store.put("acl", "shop", _blocking("/admin"), actor="t")
    _follower, gate = follow("shop", poll=0.3)
    document = _blocking("/quiet")
    with platform.db.begin() as conn:  # as another host would write it, minus any notification
        conn.execute(update(waf_state).values(generation=waf_state.c.generation + 1))
        generation = conn.execute(select(waf_state.c.generation)).scalar_one()
        conn.execute(insert(waf_documents).values(kind="acl", name="shop", version=2, document=document,
                                                  etag=etag_of(document), created_at=utcnow(), created_by="t",
                                                  generation=generation))
    assert _until(lambda: _action(gate, "/quiet") == "BLOCK")


@pytest.mark.postgres
def test_postgresql_notify_wakes_the_proxy(follow, store: WafStore, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    if platform.db.dialect != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's")
    store.put("acl", "shop", _blocking("/admin"), actor="t")
    follower, gate = follow("shop", poll=120)
    assert _until(lambda: any(t.name == "waf-acl-listen" and t.is_alive() for t in follower._threads))
    time.sleep(1.0)  # LISTEN is in place
    document = _blocking("/notified")
    with platform.db.begin() as conn:  # another host's save: its NOTIFY is the only signal
        conn.execute(update(waf_state).values(generation=waf_state.c.generation + 1))
        generation = conn.execute(select(waf_state.c.generation)).scalar_one()
        conn.execute(insert(waf_documents).values(kind="acl", name="shop", version=2, document=document,
                                                  etag=etag_of(document), created_at=utcnow(), created_by="t",
                                                  generation=generation))
        from assetguard.waf.store import _notify
        _notify(conn, generation)
    assert _until(lambda: _action(gate, "/notified") == "BLOCK", timeout=10)


def test_reload_requests_bad_versions_and_counters(follow, store: WafStore) -> None:  # type: ignore[no-untyped-def]
    store.put("acl", "shop", _rate_limited(), actor="t")
    follower, gate = follow("shop")
    request = HttpRequest("GET", "/", [("User-Agent", "t")], client_ip="198.51.100.4")
    assert [gate.inspect(request).action for _ in range(10)] == ["ALLOW"] * 10
    reloads = gate.reloads
    wanted = store.request_reload()
    assert _until(lambda: gate.reloads > reloads)
    assert _until(lambda: _row(store).get("reload_generation") == wanted)
    assert gate.inspect(request).action == "BLOCK"  # the 11th request: counts survived the reload
    # a version that does not compile leaves the running ACL in place, and the proxy says so
    broken = make_acl([{"Name": "office", "Priority": 0, "Action": {"Block": {}}, "Statement": {
        "IPSetReferenceStatement": {"ARN": "missing"}}}])
    store.put("acl", "shop", broken, actor="t")
    assert _until(lambda: _row(store).get("health") == "degraded")
    row = store.proxies(alive_seconds=30)[0]
    assert "not reloaded" in row["detail"] and row["version"] == 1
    assert gate.acl.rules[0].name == "rate"
    store.put("acl", "shop", _blocking("/admin"), actor="t")
    assert _until(lambda: _row(store).get("health") == "ok")
    assert store.proxies(alive_seconds=30)[0]["version"] == 3 and _action(gate, "/admin") == "BLOCK"
    follower.stop()
    assert store.proxies(alive_seconds=30) == []  # a stopped proxy removes its row


def _health(store: WafStore) -> str | None:
    return _row(store).get("health")


def test_the_heartbeat_reports_upstream_health(follow, store: WafStore) -> None:  # type: ignore[no-untyped-def]
    store.put("acl", "shop", _blocking("/admin"), actor="t")
    follower, _gate = follow("shop")
    upstreams = [{"url": "http://10.0.0.9:8001", "healthy": False}]
    follower.health_probe = lambda: {"status": "degraded", "upstreams": upstreams}
    assert _until(lambda: _health(store) == "degraded")
    assert store.proxies(alive_seconds=30)[0]["detail"] == "no healthy upstream (http://10.0.0.9:8001)"
    upstreams[0]["healthy"] = True
    follower.health_probe = lambda: {"status": "ok", "upstreams": upstreams}
    assert _until(lambda: _health(store) == "ok")
