"""RateBased statements: per key, windows, custom keys, CONSTANT scope-down; memory and real Redis counters."""

from __future__ import annotations

import os
import uuid

import pytest

from assetguard.waf.ratelimit import MemoryRateCounter, RedisRateCounter
from assetguard.waf.request import HttpRequest
from tests.conftest import need_service
from tests.waf.conftest import make_acl

NONE = [{"Priority": 0, "Type": "NONE"}]


def _acl(compile_doc, statement: dict, counter=None):  # type: ignore[no-untyped-def]
    doc = make_acl([{"Name": "rate", "Priority": 0, "Action": {"Block": {}}, "Statement": {"RateBasedStatement": statement}}])
    doc["Name"] = f"rate-{uuid.uuid4().hex[:8]}"
    return compile_doc(doc, rate_counter=counter or MemoryRateCounter())


def _hits(acl, requests: list[HttpRequest], now: float = 1000.0) -> list[str]:  # type: ignore[no-untyped-def]
    return [acl.evaluate(r, now=now).action for r in requests]


def test_forwarded_ip_aggregates_by_header(compile_doc) -> None:  # type: ignore[no-untyped-def]
    acl = _acl(compile_doc, {"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "FORWARDED_IP",
                             "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"}})
    reqs = [HttpRequest("GET", "/", [("X-Forwarded-For", "198.51.100.9, 10.0.0.1")], client_ip=f"10.0.0.{i}")
            for i in range(11)]
    assert _hits(acl, reqs) == ["ALLOW"] * 10 + ["BLOCK"]
    other = HttpRequest("GET", "/", [("X-Forwarded-For", "198.51.100.10")])
    assert acl.evaluate(other, now=1000.0).action == "ALLOW"


def test_custom_keys_combine_and_missing_key_is_not_counted(compile_doc) -> None:  # type: ignore[no-untyped-def]
    acl = _acl(compile_doc, {"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "CUSTOM_KEYS", "CustomKeys": [
        {"Header": {"Name": "X-Api-Key", "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}]}},
        {"HTTPMethod": {}}, {"QueryArgument": {"Name": "tenant", "TextTransformations": NONE}}]})
    keyed = [HttpRequest("POST", "/?tenant=t1", [("X-Api-Key", "AbC" if i % 2 else "abc")], client_ip=f"10.0.1.{i}")
             for i in range(11)]
    assert _hits(acl, keyed) == ["ALLOW"] * 10 + ["BLOCK"]
    assert acl.evaluate(HttpRequest("GET", "/?tenant=t1", [("X-Api-Key", "abc")]), now=1000.0).action == "ALLOW"
    assert acl.evaluate(HttpRequest("POST", "/?tenant=t2", [("X-Api-Key", "abc")]), now=1000.0).action == "ALLOW"
    unkeyed = [HttpRequest("POST", "/?tenant=t1") for _ in range(20)]
    assert set(_hits(acl, unkeyed)) == {"ALLOW"}


def test_constant_counts_scope_down_only(compile_doc) -> None:  # type: ignore[no-untyped-def]
    acl = _acl(compile_doc, {"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "CONSTANT",
                             "ScopeDownStatement": {"ByteMatchStatement": {
                                 "SearchString": "/login", "PositionalConstraint": "EXACTLY",
                                 "FieldToMatch": {"UriPath": {}}, "TextTransformations": NONE}}})
    assert set(_hits(acl, [HttpRequest("GET", "/other") for _ in range(30)])) == {"ALLOW"}
    logins = [HttpRequest("POST", "/login", client_ip=f"10.0.2.{i}") for i in range(11)]
    assert _hits(acl, logins) == ["ALLOW"] * 10 + ["BLOCK"]


def test_window_slides(compile_doc) -> None:  # type: ignore[no-untyped-def]
    acl = _acl(compile_doc, {"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "IP"})
    req = HttpRequest("GET", "/", client_ip="10.0.3.1")
    assert [acl.evaluate(req, now=1000.0 + i).action for i in range(11)] == ["ALLOW"] * 10 + ["BLOCK"]
    assert acl.evaluate(req, now=1075.0).action == "ALLOW"  # the first bucket has left the window


def test_memory_counter_evicts_least_recent_keys() -> None:
    counter = MemoryRateCounter(max_keys=2)
    for key in ("a", "b", "c"):
        counter.hit("r", key, 60, 0.0)
    assert counter.hit("r", "a", 60, 0.0) == 1  # "a" was evicted
    assert counter.hit("r", "c", 60, 0.0) == 2


def _redis_url() -> str:
    url = need_service("Redis", os.environ.get("ASSETGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
                       "ASSETGUARD_TEST_REDIS_URL")
    import redis

    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis at {url} is not reachable")
    return url


RATE_RULE = {"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "IP"}


def test_redis_counters_are_shared_between_engines(compile_doc) -> None:  # type: ignore[no-untyped-def]
    url = _redis_url()
    import redis

    prefix = f"test:{uuid.uuid4().hex}:"
    doc = make_acl([{"Name": "rate", "Priority": 0, "Action": {"Block": {}}, "Statement": {"RateBasedStatement": RATE_RULE}}])
    one = RedisRateCounter(url, prefix=prefix, background=False)
    two = RedisRateCounter(url, prefix=prefix, background=False)
    first, second = compile_doc(doc, rate_counter=one), compile_doc(doc, rate_counter=two)
    req = HttpRequest("GET", "/", client_ip="10.0.4.1")
    # Each proxy alone stays under the limit of 10 ...
    assert [first.evaluate(req, now=5000.0).action for _ in range(5)] == ["ALLOW"] * 5
    assert [second.evaluate(req, now=5001.0).action for _ in range(5)] == ["ALLOW"] * 5
    # ... and once they have synchronised, both see the 10 requests: the 11th is blocked on either.
    assert one.sync() and two.sync() and one.sync()
    assert first.evaluate(req, now=5002.0).action == "BLOCK"
    assert second.evaluate(req, now=5002.0).action == "BLOCK"
    # Another client is counted apart, and the window slides: 75 s later the count is back to one.
    assert first.evaluate(HttpRequest("GET", "/", client_ip="10.0.4.2"), now=5002.0).action == "ALLOW"
    assert one.sync() and two.sync()
    assert second.evaluate(req, now=5000.0 + 75).action == "ALLOW"
    assert two.sync()
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{prefix}*"))
    assert keys and all(0 < client.ttl(k) <= 70 for k in keys)
    assert sum(int(client.get(k) or 0) for k in keys) == 14  # 12 + 1 + 1 requests, each counted once
    client.delete(*keys)
    one.close()
    two.close()


def test_redis_counters_synchronise_in_the_background(compile_doc) -> None:  # type: ignore[no-untyped-def]
    import time

    url = _redis_url()
    prefix = f"test:{uuid.uuid4().hex}:"
    one = RedisRateCounter(url, prefix=prefix, sync_interval=0.05)
    two = RedisRateCounter(url, prefix=prefix, sync_interval=0.05)
    try:
        now = time.time()
        for _ in range(7):
            one.hit("r", "k", 60, now)
        assert two.hit("r", "k", 60, now) == 1  # nothing learnt yet: hit() does not ask Redis
        deadline = time.monotonic() + 5
        while two.hit("r", "k", 60, now) < 9 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert two.hit("r", "k", 60, now) >= 10  # 7 from the other proxy + its own
    finally:
        one.close()
        two.close()


def test_redis_outage_counts_per_process_and_flushes_later(caplog: pytest.LogCaptureFixture) -> None:
    import socket

    with socket.socket() as sock:  # a loopback port with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = RedisRateCounter(f"redis://:s3cret@127.0.0.1:{port}/0", background=False)
    assert [down.hit("r", "k", 60, 1000.0) for _ in range(3)] == [1, 2, 3]
    assert down.sync() is False
    assert down.hit("r", "k", 60, 1000.0) == 4  # nothing lost while Redis is away
    assert "Redis unreachable" in caplog.text and "s3cret" not in caplog.text
    url = _redis_url()
    import redis

    prefix = f"test:{uuid.uuid4().hex}:"
    down.prefix = prefix
    down._redis = redis.Redis.from_url(url)  # Redis is back (same counter, new connection)
    assert down.sync() is True
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{prefix}*"))
    assert sum(int(client.get(k) or 0) for k in keys) == 4
    client.delete(*keys)
