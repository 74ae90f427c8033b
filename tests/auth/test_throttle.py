"""The failed-auth throttle: per address and per token id, shared through the database or Redis."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from assetguard.auth.principal import SYSTEM
from assetguard.auth.throttle import (
    AuthThrottle,
    DatabaseFailureCounter,
    RedisFailureCounter,
    address_key,
    token_id,
)
from assetguard.db.engine import Database
from assetguard.runtime.platform import Platform
from tests.conftest import need_service

REDIS_URL = os.environ.get("ASSETGUARD_TEST_REDIS_URL")


class Clock:
    def __init__(self, now: float = 1_000_040.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_token_id_and_address_key() -> None:
    assert token_id("ag_1a2b3c4d_secretpart") == "1a2b3c4d"
    assert token_id("ag_1a2b3c4d") is None
    assert token_id("ag_NOTHEX!!_x") is None
    assert token_id("Bearer-less garbage") is None
    assert token_id(None) is None
    assert address_key("203.0.113.9") == "203.0.113.9"
    # one IPv6 host usually holds a whole /64: counted as one client
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert address_key("testclient") == "testclient"


def test_per_token_id_and_per_address(platform: Platform) -> None:
    clock = Clock()
    throttle = AuthThrottle(DatabaseFailureCounter(platform.db), limit=3, clock=clock)
    # failures for token id X from many addresses throttle X only
    x = [throttle.failed(f"198.51.100.{i}", "ag_0000000a_guess", via="bearer") for i in range(5)]
    assert [w > 0 for w in x] == [False, False, False, True, True]
    assert throttle.failed("198.51.100.77", "ag_0000000b_guess", via="bearer") == 0.0
    # one address spraying token ids is throttled by its address
    spray = [throttle.failed("203.0.113.9", f"ag_{i:08x}_guess", via="login") for i in range(100, 105)]
    assert [w > 0 for w in spray] == [False, False, False, True, True]
    # Retry-After runs to the end of the window, and a new window starts afresh
    assert 1.0 <= spray[-1] <= 60.0 and spray[-1] == pytest.approx(40.0)
    clock.now += 60
    assert throttle.failed("203.0.113.9", "ag_0000000a_guess", via="login") == 0.0


def test_two_processes_count_together_in_the_database(platform: Platform) -> None:
    # Two throttles on two engines of one database stand for two API processes.
    other_db = Database(platform.db.url)
    try:
        clock = Clock()
        api1 = AuthThrottle(DatabaseFailureCounter(platform.db), limit=10, clock=clock)
        api2 = AuthThrottle(DatabaseFailureCounter(other_db), limit=10, clock=clock)
        waits = [(api1 if i % 2 else api2).failed("203.0.113.5", None, via="bearer") for i in range(12)]
        assert [w > 0 for w in waits] == [False] * 10 + [True, True]
    finally:
        other_db.dispose()


def test_a_throttled_flood_is_answered_from_memory(platform: Platform) -> None:
    from sqlalchemy import func, select

    from assetguard.auth.tables import auth_failures

    throttle = AuthThrottle(DatabaseFailureCounter(platform.db), limit=2, clock=Clock())
    waits = [throttle.failed("203.0.113.9", f"ag_{i:08x}_guess", via="bearer") for i in range(50)]
    assert [w > 0 for w in waits] == [False, False] + [True] * 48
    with platform.db.connect() as conn:
        # the address's row and the ids of the three attempts that reached the store
        assert conn.execute(select(func.count()).select_from(auth_failures)).scalar() == 4
        assert conn.execute(select(auth_failures.c.count).where(auth_failures.c.scope == "address")).scalar() == 3


def test_old_windows_are_pruned(platform: Platform) -> None:
    from sqlalchemy import func, select

    from assetguard.auth.tables import auth_failures

    clock = Clock()
    throttle = AuthThrottle(DatabaseFailureCounter(platform.db), limit=3, clock=clock)
    throttle.failed("203.0.113.5", "ag_0000000a_x", via="bearer")
    clock.now += 180
    throttle.failed("203.0.113.6", None, via="bearer")
    with platform.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(auth_failures)).scalar() == 1


def test_a_valid_token_from_a_throttled_address_still_gets_in(client: TestClient, platform: Platform) -> None:
    _info, valid = platform.tokens.create("victim", "viewer", actor=SYSTEM)
    limit = platform.settings.api.auth_failure_limit
    codes = [client.get("/audit", headers={"Authorization": "Bearer ag_0badc0de_guess"}).status_code
             for _ in range(limit + 2)]
    assert codes[:limit] == [401] * limit and codes[limit:] == [429, 429]
    # the attacker's address (the test client) and id 0badc0de are throttled; a valid token is not refused
    assert client.get("/audit", headers={"Authorization": f"Bearer {valid}"}).status_code == 200
    # nor locked out by failures that present *its* id with a wrong secret
    victim_id = valid.split("_")[1]
    for _ in range(limit + 2):
        client.get("/audit", headers={"Authorization": f"Bearer ag_{victim_id}_wrong"})
    assert client.get("/audit", headers={"Authorization": f"Bearer {valid}"}).status_code == 200
    resp = client.get("/audit", headers={"Authorization": "Bearer ag_0badc0de_guess"})
    assert resp.status_code == 429 and 1 <= int(resp.headers["retry-after"]) <= 61


def test_console_login_is_throttled_the_same_way(client: TestClient, platform: Platform) -> None:
    import re

    _info, valid = platform.tokens.create("console-user", "viewer", actor=SYSTEM)
    limit = platform.settings.api.auth_failure_limit

    def login(token: str) -> int:
        form = client.get("/login")
        match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert match
        return client.post("/login", data={"token": token, "csrf_token": match.group(1)},
                           follow_redirects=False).status_code

    before = REGISTRY.get_sample_value("assetguard_auth_throttled_total", {"scope": "address"}) or 0.0
    codes = [login(f"ag_{i:08x}_guess") for i in range(limit + 1)]
    assert codes == [401] * limit + [429]
    assert login(valid) == 303
    after = REGISTRY.get_sample_value("assetguard_auth_throttled_total", {"scope": "address"})
    assert after == before + 1
    assert (REGISTRY.get_sample_value("assetguard_auth_failures_total", {"via": "login"}) or 0) >= limit + 1


def test_metrics_are_served(client: TestClient, platform: Platform) -> None:
    client.get("/audit", headers={"Authorization": "Bearer ag_0badc0de_guess"})
    _info, admin = platform.tokens.create("scraper", "admin", actor=SYSTEM)
    text = client.get("/metrics", headers={"Authorization": f"Bearer {admin}"}).text
    assert 'assetguard_auth_failures_total{via="bearer"}' in text


def test_redis_counter_is_shared_and_falls_back_to_the_database(platform: Platform) -> None:
    url = need_service("Redis", REDIS_URL, "ASSETGUARD_TEST_REDIS_URL")
    prefix = f"agtest:auth:{uuid.uuid4().hex[:10]}:"
    clock = Clock()
    fallback = DatabaseFailureCounter(platform.db)
    one = RedisFailureCounter(url, fallback, prefix=prefix)
    two = RedisFailureCounter(url, fallback, prefix=prefix)
    try:
        api1 = AuthThrottle(one, limit=4, clock=clock)
        api2 = AuthThrottle(two, limit=4, clock=clock)
        waits = [(api1 if i % 2 else api2).failed("203.0.113.5", "ag_0000abcd_x", via="bearer") for i in range(6)]
        assert [w > 0 for w in waits] == [False] * 4 + [True, True]
        import redis

        r = redis.Redis.from_url(url)
        keys = sorted(k.decode() for k in r.scan_iter(prefix + "*"))
        window = int(clock.now) // 60 * 60
        assert keys == [f"{prefix}address:203.0.113.5:{window}", f"{prefix}token:0000abcd:{window}"]
        assert 0 < r.ttl(keys[0]) <= 120
        r.delete(*keys)
        r.close()
        # Redis gone: the database counts instead, and the process does not fail
        dead = RedisFailureCounter("redis://127.0.0.1:1/0", fallback, prefix=prefix)
        assert dead.add([("address", "203.0.113.6")], window) == [1]
        assert fallback.add([("address", "203.0.113.6")], window) == [2]
        dead.close()
    finally:
        one.close()
        two.close()


def test_deployments_with_their_own_key_prefix_share_a_redis_without_sharing_counts(platform: Platform) -> None:
    """Two deployments on one Redis: each counts failures (and WAF rates) under its own
    ``waf.redis_key_prefix``, so one's attacker never throttles the other's users."""
    import redis

    from assetguard.auth.throttle import throttle_for
    from assetguard.waf.ratelimit import redis_counter

    url = need_service("Redis", REDIS_URL, "ASSETGUARD_TEST_REDIS_URL")
    run = uuid.uuid4().hex[:10]
    blue, green = f"agtest-{run}-blue:", f"agtest-{run}-green:"
    clock = Clock()
    first = throttle_for(3, platform.db, url, key_prefix=blue)
    second = throttle_for(3, platform.db, url, key_prefix=green)
    same = throttle_for(3, platform.db, url, key_prefix=blue)  # another API of the first deployment
    for t in (first, second, same):
        t.clock = clock
    client = redis.Redis.from_url(url)
    try:
        assert [first.failed("203.0.113.7", None, via="bearer") for _ in range(3)] == [0.0] * 3
        assert second.failed("203.0.113.7", None, via="bearer") == 0.0   # green counts 1, not 4
        assert same.failed("203.0.113.7", None, via="bearer") > 0         # blue counts 4: over the limit
        window = int(clock.now) // 60 * 60
        assert int(client.get(f"{blue}auth:fail:address:203.0.113.7:{window}") or 0) == 4
        assert int(client.get(f"{green}auth:fail:address:203.0.113.7:{window}") or 0) == 1
        # The WAF's rate counts take the same prefix: <prefix>waf:rate:...
        rates = redis_counter(url, green)
        rates.hit("rule", "10.0.0.1", 60, now=5000.0)
        assert rates.sync()
        assert [k.decode() for k in client.scan_iter(f"{green}waf:rate:*")]
        assert not list(client.scan_iter(f"{blue}waf:rate:*"))
        rates.close()
    finally:
        for t in (first, second, same):
            t.close()
        keys = [*client.scan_iter(f"agtest-{run}-*")]
        if keys:
            client.delete(*keys)
        client.close()


def test_the_key_prefix_setting_is_checked_with_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from assetguard.core.errors import ConfigError
    from assetguard.core.settings import Settings, load_settings

    assert Settings().waf.redis_key_prefix == "assetguard:"
    from assetguard.waf.ratelimit import DEFAULT_KEY_PREFIX

    assert DEFAULT_KEY_PREFIX == Settings().waf.redis_key_prefix
    config = tmp_path / "assetguard.yaml"
    config.write_text("{}\n")
    monkeypatch.setenv("ASSETGUARD_WAF__REDIS_KEY_PREFIX", "shop blue:")
    with pytest.raises(ConfigError, match=r"environment ASSETGUARD_WAF__REDIS_KEY_PREFIX: .*pattern") as info:
        load_settings(config)
    assert "\n" not in str(info.value)
