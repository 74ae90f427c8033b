"""``POST /events`` on the lean path (:mod:`assetguard.events.ingest`), on SQLite and PostgreSQL.

The lean path answers like the FastAPI route (compared request by request against the stack
behind it), group commit loses and duplicates nothing under concurrency, an answered EventId is
committed, a revoked token is refused on the very next request, and telemetry still sees it.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from assetguard.auth.principal import SYSTEM
from assetguard.auth.tables import api_tokens
from assetguard.events import ingest
from assetguard.events.ingest import MAX_BODY_BYTES, IngestApp, committer_for
from assetguard.events.tables import event_outbox
from assetguard.runtime.platform import Platform

ENTRY = {"Source": "my.app", "DetailType": "Thing", "Detail": json.dumps({"k": 1}), "Resources": ["arn:x"]}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def outbox_ids(platform: Platform, source: str | None = None) -> list[str]:
    stmt = select(event_outbox.c.event_id)
    if source is not None:
        stmt = stmt.where(event_outbox.c.source == source)
    with platform.db.connect() as conn:
        return [r[0] for r in conn.execute(stmt)]


def token(platform: Platform, role: str, name: str | None = None) -> str:
    _info, plaintext = platform.tokens.create(name or f"ingest-{role}", role, actor=SYSTEM)
    return plaintext


def stacks(app: Any) -> tuple[Any, Any]:
    """(the lean path in front, the application stack behind it, which holds the FastAPI route), each
    as the application calls it."""
    front = app.build_middleware_stack()
    assert isinstance(front, IngestApp)

    def as_app(stack: Any) -> Any:
        async def asgi(scope: Any, receive: Any, send: Any) -> None:
            await stack({**scope, "app": app}, receive, send)

        return asgi

    return as_app(front), as_app(front.app)


def masked(response: httpx.Response) -> tuple[int, str, str | None, str | None]:
    return (response.status_code, UUID.sub("<id>", response.text), response.headers.get("www-authenticate"),
            response.headers.get("content-type"))


def test_the_lean_path_answers_as_the_route_does(app: Any, platform: Platform) -> None:
    front, behind = stacks(app)
    operator, viewer = token(platform, "operator"), token(platform, "viewer")
    committer = committer_for(platform)
    auth = {"Authorization": f"Bearer {operator}", "Content-Type": "application/json"}
    cases: list[tuple[str, dict[str, str], bytes]] = [
        ("one entry", auth, json.dumps({"Entries": [ENTRY]}).encode()),
        ("ten entries, bad ones among them", auth, json.dumps({"Entries": [
            ENTRY, {"DetailType": "x", "Detail": "{}"}, {"Source": "s", "Detail": "{}"},
            {"Source": "s", "DetailType": "d", "Detail": "[1]"}, {"Source": "s", "DetailType": "d", "Detail": "{x"},
            {"Source": "s", "DetailType": "d", "Detail": {"as": "object"}}, "not an object",
            {"Source": "s\x00", "DetailType": "d", "Detail": "{}"},
            {"Source": "s", "DetailType": "d", "Detail": '{"n": NaN}'},
            {"Source": "s", "DetailType": "d", "Detail": "{}", "Time": "yesterday"}]}).encode()),
        ("JSON that parsers read differently", auth, (
            b'{"Entries": [{"Source": "big", "DetailType": "d", "Detail": "{\\"n\\": 123456789012345678901234567890}"},'
            b' {"Source": "big", "DetailType": "d", "Detail": {"n": 123456789012345678901234567890, "m": -0.0}},'
            b' {"Source": "s", "DetailType": "d", "Detail": "{\\"s\\": \\"\\\\ud800\\"}"},'
            b' {"Source": "s", "DetailType": "d", "Detail": {"s": "\\ud800"}},'
            b' {"Source": "\\udfff", "DetailType": "d", "Detail": "{}"},'
            b' {"Source": "s", "DetailType": "d", "Detail": "{}", "Resources": ["\\ud800"]},'
            b' {"Source": "s", "DetailType": "d", "Detail": "{\\"f\\": 1e400}"},'
            b' {"Source": "s", "DetailType": "d", "Detail": {"f": 1e400}},'
            b' {"Source": "s", "DetailType": "d", "Detail": "{\\"f\\": Infinity}"},'
            b' {"Source": "u", "DetailType": "d", "Detail": {"s": "\\ud83d\\ude00 \\u00e9"}}]}')),
        ("no content type", {"Authorization": f"Bearer {operator}"}, json.dumps({"Entries": [ENTRY]}).encode()),
        ("charset parameter", {**auth, "Content-Type": "application/json; charset=utf-8"},
         json.dumps({"Entries": [ENTRY]}).encode()),
        ("unknown token", {**auth, "Authorization": "Bearer ag_00000000_nope"}, json.dumps({"Entries": [ENTRY]}).encode()),
        ("viewer token", {**auth, "Authorization": f"Bearer {viewer}"}, json.dumps({"Entries": [ENTRY]}).encode()),
        ("no token", {"Content-Type": "application/json"}, json.dumps({"Entries": [ENTRY]}).encode()),
        ("eleven entries", auth, json.dumps({"Entries": [ENTRY] * 11}).encode()),
        ("no entries", auth, b'{"Entries": []}'),
        ("Entries not a list", auth, b'{"Entries": {"a": 1}}'),
        ("no Entries", auth, b'{"entries": []}'),
        ("a list body", auth, b"[1, 2]"),
        ("not JSON", auth, b"{not json"),
        ("empty body", auth, b""),
        ("not UTF-8", auth, b'{"Entries": ["\xe9"]}'),
        ("text/plain", {**auth, "Content-Type": "text/plain"}, json.dumps({"Entries": [ENTRY]}).encode()),
    ]
    with TestClient(front) as lean, TestClient(behind) as route:
        for name, headers, body in cases:
            before = committer.requests
            got = lean.post("/events", content=body, headers=headers)
            want = route.post("/events", content=body, headers=headers)
            assert masked(got) == masked(want), name
            if name == "JSON that parsers read differently":  # lone surrogates and overflows refused
                assert [e.get("ErrorCode") for e in got.json()["Entries"]] == [
                    None, None, "MalformedDetail", "MalformedDetail", "InvalidArgument", "InvalidArgument",
                    "MalformedDetail", "MalformedDetail", "MalformedDetail", None], got.text
            if name in ("one entry", "ten entries, bad ones among them", "unknown token", "viewer token",
                        "JSON that parsers read differently"):
                assert committer.requests == before + 1, f"{name}: not answered on the lean path"
    for event in platform.bus.recent(limit=1000):  # both paths kept every number exact
        if event["source"] == "big":
            assert event["detail"]["n"] == 123456789012345678901234567890
        if event["source"] == "u":
            assert event["detail"] == {"s": "\U0001f600 \u00e9"}
    failed = lean_answer = None
    with TestClient(front) as lean:
        lean_answer = lean.post("/events", json={"Entries": [ENTRY, {"Source": "s\x00", "DetailType": "d",
                                                                     "Detail": "{}"}]}, headers=auth).json()
        failed = lean_answer["Entries"][1]
    assert lean_answer["FailedEntryCount"] == 1
    assert failed == {"ErrorCode": "InvalidArgument",
                      "ErrorMessage": "Parameter Source is not valid. Reason: Source must not contain NUL characters."}


def test_a_body_over_the_limit_is_413_before_it_is_read(client: TestClient, operator_headers: dict[str, str],
                                                        platform: Platform) -> None:
    big = b'{"Entries": [' + b" " * MAX_BODY_BYTES + b"]}"
    answer = client.post("/events", content=big, headers={**operator_headers, "Content-Type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["detail"].startswith(f"request body larger than {MAX_BODY_BYTES} bytes")

    def chunks() -> Any:  # no Content-Length: counted while it is read
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    answer = client.post("/events", content=chunks(), headers={**operator_headers, "Content-Type": "application/json"})
    assert answer.status_code == 413
    # the console's path (a session cookie, no bearer token) has the same limit
    answer = client.post("/events", content=big, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert outbox_ids(platform) == []
    assert "413" in client.get("/openapi.json").json()["paths"]["/events"]["post"]["responses"]


def test_group_commit_under_concurrency_loses_and_duplicates_nothing(app: Any, platform: Platform) -> None:
    front, _behind = stacks(app)
    operator, admin, viewer = token(platform, "operator"), token(platform, "admin"), token(platform, "viewer")
    revoked = token(platform, "operator", "ingest-revoked")
    platform.tokens.revoke("ingest-revoked", actor=SYSTEM)
    committer = committer_for(platform)
    groups_before = committer.groups

    async def run() -> list[tuple[str, int, dict[str, Any]]]:
        transport = httpx.ASGITransport(app=front)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            async def put(i: int) -> tuple[str, int, dict[str, Any]]:
                kind = ["operator", "admin", "viewer", "revoked", "operator"][i % 5]
                secret = {"operator": operator, "admin": admin, "viewer": viewer, "revoked": revoked}[kind]
                batch = 10 if i % 3 == 0 else 1
                entries = [{**ENTRY, "Source": "group.commit", "Detail": json.dumps({"i": i, "j": j})}
                           for j in range(batch)]
                if i % 7 == 0:
                    entries.append({"Source": "group.commit", "DetailType": "bad"})  # one failed entry
                    entries = entries[-10:]
                answer = await client.post("/events", json={"Entries": entries},
                                           headers={"Authorization": f"Bearer {secret}"})
                return kind, answer.status_code, answer.json()

            return await asyncio.gather(*(put(i) for i in range(150)))

    results = asyncio.run(run())
    answered: list[str] = []
    for kind, status, body in results:
        if kind in ("operator", "admin"):
            assert status == 200, body
            ids = [e["EventId"] for e in body["Entries"] if "EventId" in e]
            assert body["FailedEntryCount"] == len(body["Entries"]) - len(ids)
            answered.extend(ids)
        elif kind == "viewer":
            assert (status, body) == (403, {"detail": "this action needs the operator role; you have viewer"})
        else:  # revoked: 401, or 429 once the token id has failed more than the limit (10 a minute)
            assert (status, body) in [(401, {"detail": "invalid or revoked token"}),
                                      (429, {"detail": "too many failed authentications; slow down"})]
    assert [s for kind, s, _b in results if kind == "revoked"].count(401) == 10
    stored = outbox_ids(platform, "group.commit")
    assert len(stored) == len(set(stored))  # no duplicates
    assert sorted(stored) == sorted(answered)  # every answered EventId committed, nothing else
    assert len(answered) > 150
    # concurrent requests shared transactions
    assert committer.groups - groups_before < 150, (committer.groups - groups_before)


def test_a_failing_group_is_retried_request_by_request(app: Any, platform: Platform,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    front, _behind = stacks(app)
    operator = token(platform, "operator")
    committer = committer_for(platform)
    original = committer._transaction

    def poisoned(conn: Any, group: list[Any]) -> list[tuple[str, str]]:
        # a request whose entry the database refuses fails its whole transaction
        if any(e["detail"].get("poison") for job in group for e in job.events):
            raise RuntimeError("refused by the database")
        return original(conn, group)

    monkeypatch.setattr(committer, "_transaction", poisoned)

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=front, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(*(client.post(
                "/events", json={"Entries": [{**ENTRY, "Source": "retry", "Detail": {"poison": i == 5, "i": i}}]},
                headers={"Authorization": f"Bearer {operator}"}) for i in range(20)))

    answers = asyncio.run(run())
    assert [a.status_code for a in answers].count(500) == 1 and answers[5].status_code == 500
    assert answers[5].text == "Internal Server Error"
    ids = [a.json()["Entries"][0]["EventId"] for a in answers if a.status_code == 200]
    assert sorted(outbox_ids(platform, "retry")) == sorted(ids) and len(ids) == 19


def test_a_revoked_token_is_refused_on_the_next_request(app: Any, platform: Platform, settings: Any) -> None:
    """Another process revokes (its own platform on the same database): no cache hides it."""
    operator = token(platform, "operator", "to-revoke")
    headers = {"Authorization": f"Bearer {operator}"}
    other = Platform.create(settings, upgrade=False)
    try:
        with TestClient(app) as client:
            for _ in range(3):
                assert client.post("/events", json={"Entries": [ENTRY]}, headers=headers).status_code == 200
            other.tokens.revoke("to-revoke", actor=SYSTEM)
            refused = client.post("/events", json={"Entries": [{**ENTRY, "Source": "after.revoke"}]}, headers=headers)
            assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    finally:
        other.close()
    assert outbox_ids(platform, "after.revoke") == []
    assert len(outbox_ids(platform, "my.app")) == 3


def test_last_used_is_recorded(app: Any, platform: Platform) -> None:
    operator = token(platform, "operator", "last-used")
    with TestClient(app) as client:
        assert client.post("/events", json={"Entries": [ENTRY]},
                           headers={"Authorization": f"Bearer {operator}"}).status_code == 200
    with platform.db.connect() as conn:
        used = conn.execute(select(api_tokens.c.last_used_at).where(api_tokens.c.name == "last-used")).scalar_one()
    assert used is not None


def test_failed_tokens_go_through_the_throttle(platform: Platform, settings: Any) -> None:
    from assetguard.api.app import create_app

    settings.api.auth_failure_limit = 3
    with TestClient(create_app(platform=platform)) as client:
        codes = [client.post("/events", json={"Entries": [ENTRY]},
                             headers={"Authorization": "Bearer ag_0badc0de_guess"}).status_code for _ in range(5)]
        assert codes == [401, 401, 401, 429, 429]
        throttled = client.post("/events", json={"Entries": [ENTRY]},
                                headers={"Authorization": "Bearer ag_0badc0de_again"})
        assert int(throttled.headers["retry-after"]) >= 1
        assert throttled.json() == {"detail": "too many failed authentications; slow down"}


def test_metrics_for_every_request_and_sampled_spans(app: Any, platform: Platform) -> None:
    from assetguard.telemetry.setup import telemetry_for
    from assetguard.telemetry.store import TelemetryStore

    operator = token(platform, "operator")

    def served(metrics: str) -> float:  # the process's meter outlives a test: count from a start
        count = re.search(r'http_server_request_duration_seconds_count\{[^}]*http_response_status_code="200"'
                          r'[^}]*http_route="/events"[^}]*\} (\S+)', metrics)
        return float(count.group(1)) if count else 0.0

    with TestClient(app) as client:
        before = served(client.get("/metrics").text)
        for _ in range(30):
            assert client.post("/events", json={"Entries": [ENTRY]},
                               headers={"Authorization": f"Bearer {operator}"}).status_code == 200
        assert client.post("/events", json={"Entries": [ENTRY]},
                           headers={"Authorization": "Bearer ag_00000000_nope"}).status_code == 401
        sampled_parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        assert client.post("/events", json={"Entries": [ENTRY]}, headers={
            "Authorization": f"Bearer {operator}", "traceparent": sampled_parent}).status_code == 200
        assert served(client.get("/metrics").text) - before == 31
    telemetry_for(platform).flush()
    traces = TelemetryStore(platform.db).traces(service="assetguard-api", route="/events", limit=100)
    ok = [t for t in traces if t["http_status"] == 200]
    # the first request of each second
    assert 1 <= len(ok) < 30
    assert sum(t["attributes"]["assetguard.span.sampled_one_in"] for t in ok) <= 30
    # and the request whose caller asked for a trace, as a child of the caller's span
    [joined] = TelemetryStore(platform.db).trace("0af7651916cd43dd8448eb211c80319c")
    assert (joined["name"], joined["parent_id"], joined["http_status"]) == ("POST /events", "b7ad6b7169203331", 200)
    assert [t["http_status"] for t in traces].count(401) == 1  # every refusal has its span


def test_the_route_still_serves_console_sessions(client: TestClient, console_login: Any, platform: Platform) -> None:
    csrf = console_login("operator")
    answer = client.post("/events", json={"Entries": [{**ENTRY, "Source": "console"}]},
                         headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 200, answer.text
    assert outbox_ids(platform, "console") == [answer.json()["Entries"][0]["EventId"]]
    assert client.post("/events", json={"Entries": [ENTRY]}).status_code == 403  # no CSRF token


def test_outbox_rows_match_the_bus_rows(app: Any, platform: Platform) -> None:
    """The writer's rows (COPY on PostgreSQL) are the rows ``bus.enqueue`` writes."""
    operator = token(platform, "operator")
    with TestClient(app) as client:
        answer = client.post("/events", json={"Entries": [{**ENTRY, "Source": "rows", "Time": "2026-01-02T03:04:05Z"}]},
                             headers={"Authorization": f"Bearer {operator}"}).json()
    platform.bus.publish("rows", "Thing", {"k": 1}, resources=["arn:x"])
    with platform.db.connect() as conn:
        rows = conn.execute(select(event_outbox).where(event_outbox.c.source == "rows")
                            .order_by(event_outbox.c.seq)).mappings().all()
        assert conn.execute(select(func.count()).select_from(event_outbox)).scalar_one() == 2
    lean, bus = rows
    assert lean["event_id"] == answer["Entries"][0]["EventId"] == lean["event"]["id"]
    assert lean["event"]["time"] == "2026-01-02T03:04:05Z" and lean["event"]["detail"] == {"k": 1}
    assert set(lean["event"]) == set(bus["event"])
    assert (lean["detail_type"], lean["dispatched_at"]) == (bus["detail_type"], None)
    assert lean["time"].tzinfo is not None and bus["time"].tzinfo is not None
    assert ingest.GROUP_MAX_ENTRIES >= 10


def test_event_ids_are_version_4_uuids() -> None:
    import uuid

    from assetguard.events.put_events import new_event_ids

    ids = new_event_ids(5000) + new_event_ids(1)
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)
    # every one of the 122 random bits takes both values
    ones = 0
    zeros = 0
    for text in ids[:2000]:
        value = uuid.UUID(text).int
        ones |= value
        zeros |= ~value
    assert bin(ones & ((1 << 128) - 1)).count("1") == 124  # 122 random bits, the version's 1 and the variant's 1
    assert bin(zeros & ((1 << 128) - 1)).count("1") == 126  # all but those two fixed ones


def test_behind_a_trusted_proxy_the_forwarded_client_is_throttled(platform: Platform, settings: Any) -> None:
    from assetguard.api.app import create_app
    from assetguard.auth.tables import auth_failures

    settings.api.trusted_proxies = ["10.0.0.0/8"]
    front, _behind = stacks(create_app(platform=platform))
    operator = token(platform, "operator")

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=front, client=("10.1.2.3", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            codes = []
            for secret in ("ag_0badc0de_guess", operator):
                answer = await client.post("/events", json={"Entries": [ENTRY]}, headers={
                    "Authorization": f"Bearer {secret}", "X-Forwarded-For": "203.0.113.9"})
                codes.append(answer.status_code)
            # handed on to the route (no bearer token): the stack resolves the client the same way
            answer = await client.post("/events", json={"Entries": [ENTRY]}, headers={
                "Authorization": "Basic eDp5", "X-Forwarded-For": "198.51.100.7"})
            codes.append(answer.status_code)
            return codes

    assert asyncio.run(run()) == [401, 200, 401]
    with platform.db.connect() as conn:
        keys = {r.key for r in conn.execute(select(auth_failures).where(auth_failures.c.scope == "address"))}
    assert keys == {"203.0.113.9", "198.51.100.7"}
