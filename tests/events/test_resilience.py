"""Crash, outage and rate-limit behaviour of delivery, against real HTTP receivers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, update

from assetguard.auth.principal import SYSTEM
from assetguard.core.clock import utcnow
from assetguard.core.settings import Settings
from assetguard.events.dlq import DeadLetters
from assetguard.events.envelope import make_event
from assetguard.events.rule_store import RuleStore
from assetguard.events.rules import Rule
from assetguard.events.tables import event_deliveries, event_outbox
from assetguard.events.worker import EventWorker
from assetguard.runtime.platform import Platform
from tests.targets.receivers import CountingReceiver, HttpReceiver, Received

N_EVENTS = 10_000



def worker_env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "ASSETGUARD_DATABASE_URL": db_url, "ASSETGUARD_DATA_DIR": str(tmp_path / ".ag"),
            "ASSETGUARD_SECRET_KEY": "test-secret-key-0123456789abcdef",
            "ASSETGUARD_WEBHOOK__ALLOW_PRIVATE_NETWORKS": '["127.0.0.0/8"]',
            "ASSETGUARD_EVENTS__LEASE_SECONDS": "3", "ASSETGUARD_EVENTS__MAX_IN_FLIGHT": "64"}


def start_worker(env: dict[str, str], tmp_path: Path) -> subprocess.Popen[bytes]:
    code = "from assetguard.cli.main import main; main()"
    return subprocess.Popen([sys.executable, "-c", code, "worker"], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_crash_kill9_mid_delivery_loses_nothing(db_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / ".ag", database_url=db_url,
                        secret_key="test-secret-key-0123456789abcdef")  # type: ignore[arg-type]
    platform = Platform.create(settings, upgrade=False)
    with CountingReceiver() as a, CountingReceiver() as b:
        rule = Rule.model_validate({"name": "crash", "pattern": {"source": ["crash.test"]}, "targets": [
            {"id": "a", "type": "webhook", "config": {"url": a.url + "/a"}},
            {"id": "b", "type": "webhook", "config": {"url": b.url + "/b"}}]})
        RuleStore(platform).put(rule, actor=SYSTEM)
        events = [make_event("crash.test", "Crash Test", {"n": i}) for i in range(N_EVENTS)]
        for start in range(0, N_EVENTS, 1000):
            platform.bus.enqueue(events[start:start + 1000])  # type: ignore[attr-defined]
        env = worker_env(db_url, tmp_path)
        started = time.monotonic()
        first = start_worker(env, tmp_path)
        # Kill it once deliveries are well under way (some confirmed, many still to go).
        while sum(a.seen.values()) + sum(b.seen.values()) < 3000:
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            assert time.monotonic() - started < 60, "worker made no progress"
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        with platform.db.connect() as conn:
            in_flight = conn.execute(select(func.count()).where(event_deliveries.c.status == "IN_FLIGHT")).scalar_one()
            confirmed = conn.execute(select(func.count()).where(event_deliveries.c.status == "DELIVERED")).scalar_one()
        received_at_kill = sum(a.seen.values()) + sum(b.seen.values())
        second = start_worker(env, tmp_path)
        try:
            deadline = time.monotonic() + 150
            while len(a.seen) < N_EVENTS or len(b.seen) < N_EVENTS:
                assert second.poll() is None, second.stderr.read() if second.stderr else ""
                assert time.monotonic() < deadline, f"only {len(a.seen)}/{len(b.seen)} delivered"
                time.sleep(0.05)
            # Let the worker record the last confirmations, then stop it gracefully.
            time.sleep(0.5)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
        elapsed = time.monotonic() - started
    ids = {e["id"] for e in events}
    assert set(a.seen) == ids and set(b.seen) == ids
    duplicates = (sum(a.seen.values()) - N_EVENTS) + (sum(b.seen.values()) - N_EVENTS)
    report = {"events": N_EVENTS, "targets": 2, "received_at_kill": received_at_kill,
              "confirmed_at_kill": confirmed, "in_flight_at_kill": in_flight, "duplicates": duplicates,
              "seconds": round(elapsed, 1)}
    print("crash-test", json.dumps(report))
    # Duplicates can only come from deliveries that were claimed but not confirmed at the kill.
    assert duplicates <= in_flight, report
    with platform.db.connect() as conn:
        statuses = dict(conn.execute(select(event_deliveries.c.status, func.count())
                                     .group_by(event_deliveries.c.status)).all())
    assert statuses == {"DELIVERED": 2 * N_EVENTS}
    platform.close()


def test_outage_then_recovery_and_max_age_to_dlq(platform: Platform) -> None:
    """Slack answers 500 for a while; everything young is delivered after recovery, old events go to the DLQ."""
    outage = threading.Event()
    outage.set()

    def flaky(_r: Received) -> tuple[int, dict[str, str], bytes]:
        if outage.is_set():
            return 500, {}, b"internal_error"
        return 200, {}, b"ok"

    with HttpReceiver(flaky) as slack:
        platform.settings.slack.webhook_url = SecretStr(slack.url + "/services/T/B/X")
        platform.settings.outbound.allow_cidrs = ["127.0.0.0/8"]  # the receiver is on loopback
        rule = Rule.model_validate({"name": "alerts", "pattern": {"source": ["outage.test"]}, "targets": [
            {"id": "slack", "type": "slack", "rate_per_second": 200,
             "retry_policy": {"maximum_event_age_seconds": 60}}]})
        RuleStore(platform).put(rule, actor=SYSTEM)
        young = [platform.bus.publish("outage.test", "T", {"n": i}) for i in range(20)]
        old = [platform.bus.publish("outage.test", "T", {"n": 100 + i}) for i in range(3)]
        # These were ingested 57 s ago: failed attempts age them out within seconds (not so old that
        # a slow start-up finds them past the maximum age before the first try: that case is untried).
        with platform.db.begin() as conn:
            conn.execute(update(event_outbox).where(event_outbox.c.event_id.in_(old))
                         .values(time=utcnow() - timedelta(seconds=57)))
        worker = EventWorker(platform, install_defaults=False)
        worker.deliverer.backoff_base, worker.deliverer.backoff_cap = 0.2, 0.4
        deadline = time.monotonic() + 30
        # The outage lasts until the old events are dead-lettered and every young one failed at least twice.
        while len(DeadLetters(platform).list()) < len(old) or failed_at_least(platform, 2) < len(young):
            assert time.monotonic() < deadline
            worker.step()
            time.sleep(0.01)
        outage.clear()
        assert worker.drain(30)
        worker._finish()
    delivered = {json.loads(r.body)["blocks"][-2]["elements"][0]["text"].split("`")[1] for r in slack.requests}
    assert delivered == set(young)
    dead = DeadLetters(platform).list()
    assert {d["event_id"] for d in dead} == set(old)
    for d in dead:
        assert d["error_code"] == "MaximumEventAgeExceeded"
        assert "last error HTTP500" in d["error_message"] and (d["rule"], d["target_id"]) == ("alerts", "slack")
    with platform.db.connect() as conn:
        retried = conn.execute(select(func.count()).where(event_deliveries.c.attempts > 1)).scalar_one()
    assert retried >= 1


def failed_at_least(platform: Platform, attempts: int) -> int:
    with platform.db.connect() as conn:
        return int(conn.execute(select(func.count()).where(event_deliveries.c.attempts >= attempts,
                                                           event_deliveries.c.status == "PENDING")).scalar_one())


def test_slack_rate_limit_and_retry_after(platform: Platform) -> None:
    answers: list[tuple[int, dict[str, str], bytes]] = [(429, {"Retry-After": "1"}, b"")]
    lock = threading.Lock()

    def responder(_r: Received) -> tuple[int, dict[str, str], bytes]:
        with lock:
            return answers.pop(0) if answers else (200, {}, b"ok")

    with HttpReceiver(responder) as slack:
        platform.settings.slack.webhook_url = SecretStr(slack.url + "/hook")
        platform.settings.outbound.allow_cidrs = ["127.0.0.0/8"]  # the receiver is on loopback
        rule = Rule.model_validate({"name": "r", "pattern": {"source": ["rl"]},
                                    "targets": [{"id": "slack", "type": "slack"}]})
        RuleStore(platform).put(rule, actor=SYSTEM)
        for i in range(3):
            platform.bus.publish("rl", "T", {"n": i})
        worker = EventWorker(platform, install_defaults=False)
        assert worker.drain(30)
        worker._finish()
    times = sorted(r.at for r in slack.requests)
    assert len(times) == 3
    # One message per second per webhook, and the 429 paused the webhook for its Retry-After.
    assert all(b - a >= 0.9 for a, b in zip(times, times[1:], strict=False)), times


def test_digest_batches_a_burst(platform: Platform) -> None:
    with HttpReceiver() as slack:
        platform.settings.slack.webhook_url = SecretStr(slack.url + "/hook")
        platform.settings.outbound.allow_cidrs = ["127.0.0.0/8"]  # the receiver is on loopback
        rule = Rule.model_validate({"name": "r", "pattern": {"source": ["burst"]}, "targets": [
            {"id": "slack", "type": "slack", "digest": {"window_seconds": 0.3, "max_events": 50}}]})
        RuleStore(platform).put(rule, actor=SYSTEM)
        for i in range(12):
            platform.bus.publish("burst", "T", {"n": i, "severity": "high"})
        worker = EventWorker(platform, install_defaults=False)
        assert worker.drain(30)
        worker._finish()
    assert len(slack.requests) == 1
    header: dict[str, Any] = slack.requests[0].json()["blocks"][0]
    assert "12 alerts" in header["text"]["text"]
