"""Delivery: records per (event, rule, target), retries with backoff, DLQ, redrive, unknown targets."""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from assetguard.auth.principal import SYSTEM
from assetguard.core.clock import utcnow
from assetguard.core.errors import DeliveryError
from assetguard.events.delivery import DeliveryLedger, backoff_seconds
from assetguard.events.dlq import DeadLetters
from assetguard.events.rule_store import RuleStore
from assetguard.events.rules import Rule
from assetguard.events.tables import event_outbox
from assetguard.events.worker import EventWorker
from assetguard.runtime.platform import Platform
from assetguard.targets.base import Delivery, Target, TargetConfig, targets


class Recorder(Target):
    """A test target: fails ``fail_times`` times per event with the given code, then records."""

    type = "test-recorder"
    seen: list[Delivery] = []
    failures: dict[str, int] = {}

    class Config(TargetConfig):
        fail_times: int = 0
        retryable: bool = True
        code: str = "Boom"

    def deliver(self, delivery: Delivery) -> str | None:
        assert isinstance(self.config, Recorder.Config)
        done = Recorder.failures.get(delivery.delivery_id, 0)
        if done < self.config.fail_times:
            Recorder.failures[delivery.delivery_id] = done + 1
            raise DeliveryError(f"failure {done + 1}", code=self.config.code, retryable=self.config.retryable)
        Recorder.seen.append(delivery)
        return "recorded"


if "test-recorder" not in targets:
    targets.add("test-recorder", Recorder)


@pytest.fixture(autouse=True)
def _reset() -> None:
    Recorder.seen = []
    Recorder.failures = {}


def put_rule(platform: Platform, name: str, targets_: list[dict[str, Any]], pattern: dict[str, Any] | None = None) -> None:
    rule = Rule.model_validate({"name": name, "pattern": pattern or {"source": ["test"]}, "targets": targets_})
    RuleStore(platform).put(rule, actor=SYSTEM)


def fast_worker(platform: Platform) -> EventWorker:
    worker = EventWorker(platform, install_defaults=False)
    worker.deliverer.backoff_base = 0.02
    worker.deliverer.backoff_cap = 0.05
    return worker


def test_delivers_once_per_rule_and_target_with_transformed_input(platform: Platform) -> None:
    put_rule(platform, "r1", [
        {"id": "whole", "type": "test-recorder"},
        {"id": "path", "type": "test-recorder", "input_path": "$.detail.n"},
        {"id": "tx", "type": "test-recorder", "input_transformer": {
            "input_paths_map": {"n": "$.detail.n", "s": "$.source"},
            "input_template": '{"n": <n>, "text": "<s> sent <n>", "rule": <aws.events.rule-name>}'}},
        {"id": "const", "type": "test-recorder", "input": {"fixed": True}},
    ])
    put_rule(platform, "r2", [{"id": "t", "type": "test-recorder"}], pattern={"detail": {"n": [{"numeric": [">", 5]}]}})
    put_rule(platform, "other", [{"id": "t", "type": "test-recorder"}], pattern={"source": ["nope"]})
    event_id = platform.bus.publish("test", "Thing", {"n": 7})
    worker = fast_worker(platform)
    assert worker.drain(10)
    worker._finish()
    got = {(d.rule, d.target_id): d.payload for d in Recorder.seen}
    assert got[("r1", "whole")]["id"] == event_id
    assert got[("r1", "path")] == 7
    assert got[("r1", "tx")] == {"n": 7, "text": "test sent 7", "rule": "r1"}
    assert got[("r1", "const")] == {"fixed": True}
    assert ("r2", "t") in got and len(got) == 5
    rows = DeliveryLedger(platform).list()
    assert {r["status"] for r in rows} == {"DELIVERED"} and len(rows) == 5


def test_redispatch_and_restart_do_not_resend(platform: Platform) -> None:
    put_rule(platform, "r1", [{"id": "t", "type": "test-recorder"}])
    platform.bus.publish("test", "Thing", {})
    worker = fast_worker(platform)
    assert worker.drain(10)
    worker._finish()
    # A second worker (a restart) finds nothing to do; dispatching the same event again is a no-op.
    again = fast_worker(platform)
    event = platform.bus.recent()[0]
    from datetime import UTC, datetime
    assert again.dispatcher.dispatch_events([(event, datetime.now(UTC))]) == 1
    assert again.drain(5)
    again._finish()
    assert len(Recorder.seen) == 1


def test_retries_then_succeeds(platform: Platform) -> None:
    put_rule(platform, "r1", [{"id": "t", "type": "test-recorder", "config": {"fail_times": 3}}])
    platform.bus.publish("test", "Thing", {})
    worker = fast_worker(platform)
    assert worker.drain(20)
    worker._finish()
    assert len(Recorder.seen) == 1 and Recorder.seen[0].attempt == 4
    row = DeliveryLedger(platform).list()[0]
    assert row["status"] == "DELIVERED" and row["attempts"] == 4
    counts = DeliveryLedger(platform).counts_by_rule()["r1"]
    assert counts["DELIVERED"] == 1 and counts["retries"] == 3


def test_retry_attempts_exhausted_goes_to_dlq_and_redrive(platform: Platform) -> None:
    put_rule(platform, "r1", [{"id": "t", "type": "test-recorder", "config": {"fail_times": 100, "code": "Nope"},
                               "retry_policy": {"maximum_retry_attempts": 2}}])
    platform.bus.publish("test", "Thing", {})
    worker = fast_worker(platform)
    assert worker.drain(20)
    dead = DeadLetters(platform).list()
    assert len(dead) == 1
    assert dead[0]["error_code"] == "RetryAttemptsExhausted" and dead[0]["attempts"] == 3
    assert "last error Nope: failure 3" in dead[0]["error_message"]
    assert (dead[0]["rule"], dead[0]["target_id"], dead[0]["target_type"]) == ("r1", "t", "test-recorder")
    # Fix the target, redrive: delivered.
    put_rule(platform, "r1", [{"id": "t", "type": "test-recorder"}])
    Recorder.failures.clear()
    assert DeadLetters(platform).redrive(actor=SYSTEM) == 1
    # The delivery keeps the target it was created with (fail_times=100): clear via the ledger copy.
    Recorder.failures = {k: 10**6 for k in [d["id"] for d in DeliveryLedger(platform).list()]}
    assert worker.drain(20)
    worker._finish()
    assert len(Recorder.seen) == 1
    assert DeadLetters(platform).list() == []
    assert [r["action"] for r in platform.audit.query(action="events.dlq.redrive")] == ["events.dlq.redrive"]


def test_non_retryable_goes_straight_to_dlq(platform: Platform) -> None:
    put_rule(platform, "r1", [{"id": "t", "type": "test-recorder",
                               "config": {"fail_times": 1, "retryable": False, "code": "Forbidden"}}])
    platform.bus.publish("test", "Thing", {})
    worker = fast_worker(platform)
    assert worker.drain(10)
    worker._finish()
    dead = DeadLetters(platform).list()
    assert [(d["error_code"], d["attempts"]) for d in dead] == [("Forbidden", 1)]


def test_unknown_target_type_loads_and_dead_letters(platform: Platform) -> None:
    put_rule(platform, "r1", [{"id": "t", "type": "no-such-target", "config": {"anything": 1}},
                              {"id": "ok", "type": "test-recorder"}])
    platform.bus.publish("test", "Thing", {})
    worker = fast_worker(platform)
    assert worker.drain(10)
    worker._finish()
    dead = DeadLetters(platform).list()
    assert [d["error_code"] for d in dead] == ["UnknownTarget"]
    assert "no-such-target" in dead[0]["error_message"]
    assert len(Recorder.seen) == 1


def test_max_event_age(platform: Platform) -> None:
    put_rule(platform, "r1", [{"id": "t", "type": "test-recorder", "config": {"fail_times": 1000},
                               "retry_policy": {"maximum_event_age_seconds": 60}}])
    platform.bus.publish("test", "Thing", {})
    worker = fast_worker(platform)
    worker.deliverer.backoff_base = worker.deliverer.backoff_cap = 120.0  # the next retry would be too late
    assert worker.drain(10)
    worker._finish()
    dead = DeadLetters(platform).list()
    assert dead[0]["error_code"] == "MaximumEventAgeExceeded" and dead[0]["attempts"] == 1


def test_event_past_max_age_goes_to_dlq_untried(platform: Platform) -> None:
    """EventBridge drops an event already older than the maximum age without trying it: DLQ, untried."""
    put_rule(platform, "r1", [{"id": "t", "type": "test-recorder",
                               "retry_policy": {"maximum_event_age_seconds": 60}}])
    put_rule(platform, "r2", [{"id": "t", "type": "test-recorder"}])  # default 24 h: still delivered
    event_id = platform.bus.publish("test", "Thing", {})
    with platform.db.begin() as conn:  # ingested two minutes ago, while no worker ran
        conn.execute(update(event_outbox).where(event_outbox.c.event_id == event_id)
                     .values(time=utcnow() - timedelta(seconds=120)))
    worker = fast_worker(platform)
    assert worker.drain(10)
    worker._finish()
    assert [d.rule for d in Recorder.seen] == ["r2"]
    dead = DeadLetters(platform).list()
    assert [(d["rule"], d["error_code"], d["attempts"]) for d in dead] == [("r1", "MaximumEventAgeExceeded", 0)]
    assert "not tried" in dead[0]["error_message"] and "maximum_event_age_seconds 60" in dead[0]["error_message"]
    assert DeliveryLedger(platform).list(rule="r1")[0]["status"] == "FAILED"


def test_disabled_rule_does_not_match(platform: Platform) -> None:
    put_rule(platform, "r1", [{"id": "t", "type": "test-recorder"}])
    RuleStore(platform).set_state("r1", "DISABLED", actor=SYSTEM)
    platform.bus.publish("test", "Thing", {})
    worker = fast_worker(platform)
    assert worker.drain(5)
    worker._finish()
    assert Recorder.seen == []


def test_backoff_grows_with_jitter() -> None:
    rng = random.Random(1).random
    first = [backoff_seconds(1, rng=rng) for _ in range(50)]
    tenth = [backoff_seconds(10, rng=rng) for _ in range(50)]
    assert all(0.5 <= x <= 1.0 for x in first)
    assert all(150 <= x <= 300 for x in tenth)  # capped at 300 s, half of it jittered
    assert len(set(first)) > 40  # jittered


def test_default_rules_install_once(platform: Platform) -> None:
    store = RuleStore(platform)
    assert "security-alerts" in store.install_defaults()
    store.delete("security-alerts", actor=SYSTEM)
    assert store.install_defaults() == []
    assert "security-alerts" not in [r.rule.name for r in store.list_rules()]


def test_security_alerts_go_to_outbox_without_notifiers(platform: Platform, caplog: pytest.LogCaptureFixture) -> None:
    from assetguard.targets.outbox import list_notifications

    RuleStore(platform).install_defaults()
    finding = {"Id": "f-1", "ProductArn": "arn:p", "Title": "Public bucket", "Severity": {"Label": "CRITICAL"},
               "Workflow": {"Status": "NEW"}, "RecordState": "ACTIVE", "Resources": [{"Id": "arn:aws:s3:::b"}]}
    low = {**finding, "Id": "f-2", "Severity": {"Label": "LOW"}}
    platform.bus.publish("assetguard.findings", "Findings - Imported", {"findings": [finding]})
    platform.bus.publish("assetguard.findings", "Findings - Imported", {"findings": [low]})
    worker = fast_worker(platform)
    with caplog.at_level(logging.INFO):
        worker.drain(10)
    worker._finish()
    notes = list_notifications(platform)
    assert [n["subject"] for n in notes] == ["[CRITICAL] Public bucket"]
    assert notes[0]["slack"]["blocks"][0]["type"] == "header"
    assert "arn:aws:s3:::b" in notes[0]["text"] and "<html" not in notes[0]["text"]
    assert "Public bucket" in (notes[0]["html"] or "")
    rules = {r["rule"] for r in DeliveryLedger(platform).list()}
    assert rules == {"security-alerts"}


def test_prometheus_metrics_count_deliveries_retries_and_dead_letters(platform: Platform) -> None:
    from prometheus_client import REGISTRY

    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = (value("assetguard_event_deliveries_total", target_type="test-recorder", outcome="delivered"),
              value("assetguard_event_delivery_retries_total", target_type="test-recorder"),
              value("assetguard_event_dead_letters_total", target_type="test-recorder", error_code="Nope"))
    put_rule(platform, "ok", [{"id": "t", "type": "test-recorder", "config": {"fail_times": 1}}])
    put_rule(platform, "dead", [{"id": "t", "type": "test-recorder",
                                 "config": {"fail_times": 9, "retryable": False, "code": "Nope"}}])
    platform.bus.publish("test", "Thing", {})
    worker = fast_worker(platform)
    assert worker.drain(10)
    worker._finish()
    after = (value("assetguard_event_deliveries_total", target_type="test-recorder", outcome="delivered"),
             value("assetguard_event_delivery_retries_total", target_type="test-recorder"),
             value("assetguard_event_dead_letters_total", target_type="test-recorder", error_code="Nope"))
    assert after[0] - before[0] == 1
    assert after[1] - before[1] >= 1
    assert after[2] - before[2] == 1


def test_two_workers_do_not_double_process(platform: Platform) -> None:
    """Concurrent workers on one database: row claims (SKIP LOCKED on PostgreSQL) share the work."""
    import threading
    from collections import Counter

    put_rule(platform, "r1", [{"id": "a", "type": "test-recorder"}, {"id": "b", "type": "test-recorder"}])
    ids = [platform.bus.publish("test", "Thing", {"n": i}) for i in range(150)]
    workers = [fast_worker(platform) for _ in range(2)]
    for w in workers:
        w.deliverer.max_in_flight = 8  # small claims, so both workers take part
    threads = [threading.Thread(target=w.drain, args=(60,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w in workers:
        w._finish()
    seen = Counter((str(d.event["id"]), d.target_id) for d in Recorder.seen)
    assert set(seen) == {(i, t) for i in ids for t in ("a", "b")}
    assert max(seen.values()) == 1
