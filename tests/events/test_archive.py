"""Archives and replays: what is archived, what a replay re-puts, to which rules, and retention."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from assetguard.auth.principal import SYSTEM
from assetguard.core.clock import isoformat, utcnow
from assetguard.core.errors import ConflictError, NotFoundError, ValidationError
from assetguard.events.archive import Archives, ArchiveSpec, ReplaySpec, parse_spec
from assetguard.events.delivery import DeliveryLedger
from assetguard.events.tables import event_archive_events
from assetguard.runtime.platform import Platform
from tests.events.test_cli_rules import ag, env  # noqa: F401 - the CLI fixture
from tests.events.test_delivery import Recorder, fast_worker, put_rule


@pytest.fixture(autouse=True)
def _reset() -> None:
    Recorder.seen = []
    Recorder.failures = {}


def _drain(platform: Platform) -> None:
    worker = fast_worker(platform)
    assert worker.drain(10)
    worker._finish()


def _setup(platform: Platform) -> Archives:
    archives = Archives(platform)
    archives.create(ArchiveSpec(name="all"), actor=SYSTEM)
    archives.create(ArchiveSpec(name="only-x", pattern={"source": ["x"]}, retention_days=7), actor=SYSTEM)
    put_rule(platform, "r1", [{"id": "t", "type": "test-recorder"}], pattern={"source": ["x"]})
    put_rule(platform, "r2", [{"id": "t", "type": "test-recorder"}], pattern={"source": ["x"]})
    return archives


def test_archive_keeps_matching_events_and_replay_goes_to_named_rules(platform: Platform) -> None:
    archives = _setup(platform)
    now = utcnow()
    old = platform.bus.publish("x", "Thing", {"n": 0}, time=now - timedelta(days=2))
    recent = [platform.bus.publish("x", "Thing", {"n": i}) for i in (1, 2)]
    platform.bus.publish("y", "Other", {"n": 3})
    _drain(platform)
    counts = {a["name"]: a["event_count"] for a in archives.list_archives()}
    assert counts == {"all": 4, "only-x": 3}
    assert len(Recorder.seen) == 6  # live: 3 x-events x 2 rules
    Recorder.seen = []

    spec = ReplaySpec(name="fix-1", archive="only-x", start=now - timedelta(hours=1), end=now + timedelta(hours=1),
                      rules=["r1"])
    record = archives.replay(spec, actor=SYSTEM)
    assert (record["state"], record["events_replayed"], record["deliveries"]) == ("COMPLETED", 2, 2)
    _drain(platform)
    # Only r1, only the two events inside the window, each carrying replay-name and its original id.
    assert sorted((d.rule, d.event["id"]) for d in Recorder.seen) == sorted(("r1", e) for e in recent)
    assert all(d.event["replay-name"] == "fix-1" for d in Recorder.seen)
    assert old not in {d.event["id"] for d in Recorder.seen}
    # Replayed events are not archived again; the live deliveries are untouched.
    assert {a["name"]: a["event_count"] for a in archives.list_archives()} == counts
    assert len(DeliveryLedger(platform).list(rule="r1")) == 3 + 2
    with pytest.raises(ConflictError):
        archives.replay(spec, actor=SYSTEM)
    with pytest.raises(NotFoundError, match="no rule named 'nope'"):
        archives.replay(spec.model_copy(update={"name": "fix-2", "rules": ["nope"]}), actor=SYSTEM)
    from assetguard.events.rule_store import RuleStore

    RuleStore(platform).set_state("r2", "DISABLED", actor=SYSTEM)
    with pytest.raises(ValidationError, match=r"'r2' is DISABLED") as err:
        archives.replay(spec.model_copy(update={"name": "fix-3", "rules": ["r1", "r2"]}), actor=SYSTEM)
    assert err.value.where == "rules[1]"


def test_events_from_the_stream_are_archived_too(platform: Platform) -> None:
    """The NATS consumer dispatches with ``dispatch_events``: the same archiving applies."""
    from assetguard.events.dispatch import Dispatcher
    from assetguard.events.envelope import make_event

    archives = _setup(platform)
    now = utcnow()
    live = make_event("x", "Thing", {"n": 1})
    replayed = make_event("x", "Thing", {"n": 2}, replay_name="earlier")
    assert Dispatcher(platform).dispatch_events([(live, now), (replayed, now)]) == 4  # 2 events x 2 rules
    assert {a["name"]: a["event_count"] for a in archives.list_archives()} == {"all": 1, "only-x": 1}


def test_replay_without_rules_goes_to_every_enabled_rule(platform: Platform) -> None:
    archives = _setup(platform)
    platform.bus.publish("x", "Thing", {"n": 1})
    _drain(platform)
    Recorder.seen = []
    now = utcnow()
    archives.replay(ReplaySpec(name="all-rules", archive="all", start=now - timedelta(hours=1),
                               end=now + timedelta(hours=1)), actor=SYSTEM)
    _drain(platform)
    assert sorted(d.rule for d in Recorder.seen) == ["r1", "r2"]


def test_retention_purges_only_expired_events_of_limited_archives(platform: Platform) -> None:
    archives = _setup(platform)
    platform.bus.publish("x", "Thing", {"n": 1})
    platform.bus.publish("x", "Thing", {"n": 2})
    _drain(platform)
    with platform.db.begin() as conn:  # one event of each archive was archived 8 days ago
        for name in ("all", "only-x"):
            first = min(r["id"] for r in conn.execute(
                event_archive_events.select().where(event_archive_events.c.archive == name)).mappings())
            conn.execute(update(event_archive_events).where(event_archive_events.c.id == first)
                         .values(archived_at=utcnow() - timedelta(days=8)))
    assert archives.purge_expired() == 1  # "all" keeps events indefinitely; "only-x" keeps 7 days
    assert {a["name"]: a["event_count"] for a in archives.list_archives()} == {"all": 2, "only-x": 1}


def test_specs_reject_bad_input_with_the_field() -> None:
    with pytest.raises(ValidationError, match="pattern"):
        parse_spec(ArchiveSpec, {"name": "a", "pattern": {"source": "not-a-list"}})
    with pytest.raises(ValidationError, match="name"):
        parse_spec(ArchiveSpec, {"name": "has space"})
    with pytest.raises(ValidationError, match="end must be after start"):
        parse_spec(ReplaySpec, {"name": "r", "archive": "a", "start": "2026-11-29T12:00:00Z",
                                "end": "2026-11-29T11:00:00Z"})


def test_api_archives_and_replays_need_operator(client: TestClient, operator_headers: dict[str, str],
                                               viewer_headers: dict[str, str], platform: Platform) -> None:
    body = {"name": "a1", "pattern": {"source": ["x"]}, "retention_days": 1}
    assert client.post("/events/archives", json=body, headers=viewer_headers).status_code == 403
    assert client.post("/events/archives", json=body, headers=operator_headers).status_code == 200
    assert client.post("/events/archives", json=body, headers=operator_headers).status_code == 409
    put_rule(platform, "r1", [{"id": "t", "type": "test-recorder"}], pattern={"source": ["x"]})
    platform.bus.publish("x", "Thing", {"n": 1})
    _drain(platform)
    assert client.get("/events/archives", headers=viewer_headers).json()[0]["event_count"] == 1
    now = utcnow()
    replay = {"name": "rp", "archive": "a1", "start": isoformat(now - timedelta(hours=1)),
              "end": isoformat(now + timedelta(hours=1)), "rules": ["r1"]}
    assert client.post("/events/replays", json=replay, headers=viewer_headers).status_code == 403
    resp = client.post("/events/replays", json=replay, headers=operator_headers)
    assert resp.status_code == 200 and resp.json()["events_replayed"] == 1
    assert client.get("/events/replays", headers=viewer_headers).json()[0]["name"] == "rp"
    bad = client.post("/events/replays", json={**replay, "name": "rp2", "archive": "nope"}, headers=operator_headers)
    assert bad.status_code == 404
    actions = {r["action"] for r in platform.audit.query()}
    assert {"events.archive.create", "events.replay.start"} <= actions


def test_cli_archive_and_replay(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    pattern = tmp_path / "p.json"
    pattern.write_text('{"source": ["cli.test"]}')
    assert ag(env, "events", "archive", "create", "arc", "--pattern", str(pattern)).returncode == 0
    assert ag(env, "events", "put", "--source", "cli.test", "--detail-type", "T").returncode == 0
    assert ag(env, "worker", "--once", "--metrics-port", "0").returncode == 0
    listed = ag(env, "events", "archive", "list", "--json")
    assert '"event_count": 1' in listed.stdout
    result = ag(env, "events", "replay", "--archive", "arc", "--from", "2000-01-01T00:00", "--to", "2100-01-01T00:00",
                "--name", "cli-replay")
    assert result.returncode == 0 and '"events_replayed": 1' in result.stdout
    again = ag(env, "events", "replay", "--archive", "arc", "--from", "2000-01-01", "--to", "2100-01-01",
               "--name", "cli-replay")
    assert again.returncode == 2 and "used once" in again.stderr
    bad = ag(env, "events", "replay", "--archive", "arc", "--from", "yesterday", "--to", "2100-01-01")
    assert bad.returncode == 2 and "start" in bad.stderr


def test_archive_size_is_the_archived_json_in_bytes(platform: Platform) -> None:
    archives = _setup(platform)
    platform.bus.publish("x", "Thing", {"n": 1, "note": "größer als ASCII"})
    platform.bus.publish("y", "Other", {"blob": "z" * 5000})
    _drain(platform)
    with platform.db.connect() as conn:
        kept = conn.execute(select(event_archive_events.c.archive, event_archive_events.c.event)).all()
    expected = {name: sum(len(json.dumps(e).encode()) for a, e in kept if a == name) for name in ("all", "only-x")}
    sizes = {a["name"]: a["size_bytes"] for a in archives.list_archives()}
    assert sizes == expected
    assert sizes["all"] > sizes["only-x"] + 5000  # the big "y" event is in "all" only


def test_replay_progress_is_committed_per_batch(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    """While a replay runs, list_replays shows how far it got (events_replayed of events_total)."""
    import assetguard.events.archive as archive_module
    import assetguard.events.dispatch as dispatch_module

    archives = _setup(platform)
    for n in range(3):
        platform.bus.publish("x", "Thing", {"n": n})
    _drain(platform)
    monkeypatch.setattr(archive_module, "REPLAY_BATCH", 1)
    seen: list[tuple[str, int, int, int]] = []
    insert_ignore = dispatch_module.insert_ignore

    def observed(conn: Any, rows: Any) -> None:  # another connection: only what is committed
        (replay,) = archives.list_replays()
        seen.append((replay["state"], replay["events_replayed"], replay["deliveries"], replay["events_total"]))
        insert_ignore(conn, rows)

    monkeypatch.setattr(dispatch_module, "insert_ignore", observed)
    now = utcnow()
    record = archives.replay(ReplaySpec(name="slow", archive="only-x", start=now - timedelta(hours=1),
                                        end=now + timedelta(hours=1), rules=["r1"]), actor=SYSTEM)
    assert seen == [("RUNNING", 0, 0, 3), ("RUNNING", 1, 1, 3), ("RUNNING", 2, 2, 3)]
    assert (record["state"], record["events_replayed"], record["events_total"]) == ("COMPLETED", 3, 3)
