"""The ``autotag`` target behind the shipped rule, and backfill from CloudTrail history."""

from __future__ import annotations

import json
from typing import Any

from assetguard.auth.principal import SYSTEM
from assetguard.events.default_rules import load_default_rules
from assetguard.events.envelope import make_event
from assetguard.events.pattern import compile_pattern
from assetguard.inventory.service import InventoryService
from assetguard.runtime.platform import Platform
from assetguard.runtime.plugins import load_builtin_plugins
from assetguard.tagging.autotag import AutoTagger
from assetguard.tagging.backfill import Backfill
from assetguard.tagging.params import LocalParameterStore
from assetguard.targets.base import Delivery, build_target
from tests.tagging.corpus import CALLS, record
from tests.tagging.test_autotag import RecordingClients


def _ct_event(rec: dict[str, Any]) -> dict[str, Any]:
    return make_event("aws." + rec["eventSource"].split(".")[0], "AWS API Call via CloudTrail", rec,
                      account=rec["recipientAccountId"], region=rec["awsRegion"])


def test_shipped_rule_matches_successful_creates_only() -> None:
    rule = next(r for r in load_default_rules() if r.name == "autotag")
    compiled = compile_pattern(rule.pattern)
    s, n, q, r, _ = CALLS[1]
    assert compiled.matches(_ct_event(record(s, n, q, r)))
    assert not compiled.matches(_ct_event(record(s, n, q, None, errorCode="AccessDenied")))
    assert [t.type for t in rule.targets] == ["autotag"]


def test_target_tags_and_is_idempotent(platform: Platform) -> None:
    load_builtin_plugins()
    clients = RecordingClients()
    platform.singleton("tagging.autotagger", lambda: AutoTagger(platform, clients=clients))
    target = build_target("autotag", {}, platform)
    s, n, q, r, arns = CALLS[1]
    event = _ct_event(record(s, n, q, r))
    receipt = target.deliver(Delivery(event=event, payload=event, rule="autotag", target_id="autotag"))
    assert receipt == "tagged 1 resource(s)"
    assert clients.calls[0][3]["ResourceARNList"] == arns
    again = target.deliver(Delivery(event=event, payload=event, rule="autotag", target_id="autotag", attempt=2))
    assert again == "tagged 0 resource(s)" and len(clients.calls) == 1
    skipped = _ct_event(record("ec2.amazonaws.com", "DescribeVolumes", {}, {}))
    assert target.deliver(Delivery(event=skipped, payload=skipped, rule="autotag", target_id="x")) == \
        "skipped: not a supported create call"


class FakeCloudTrail:
    """lookup_events over a fixed history, as a CloudTrail client paginator would return it."""

    def __init__(self, history: dict[str, dict[str, Any]]) -> None:
        self.history = history

    def get_paginator(self, name: str) -> Any:
        assert name == "lookup_events"
        history = self.history

        class Pager:
            def paginate(self, LookupAttributes: list[dict[str, str]]) -> list[dict[str, Any]]:
                value = LookupAttributes[0]["AttributeValue"]
                rec = history.get(value)
                return [{"Events": [{"CloudTrailEvent": json.dumps(rec)}] if rec else []}]
        return Pager()


def test_backfill_finds_creators_and_falls_back_to_defaults(platform: Platform) -> None:
    LocalParameterStore(platform).put("/assetguard/tags/default/Owner", "platform", actor=SYSTEM)
    s, n, q, r, arns = CALLS[1]  # CreateVolume vol-0123
    known = arns[0]
    unknown = "arn:aws:ec2:eu-west-1:123456789012:volume/vol-old"
    tagged = "arn:aws:ec2:eu-west-1:123456789012:volume/vol-done"
    items = [{"resourceType": "AWS::EC2::Volume", "resourceId": a.rsplit("/", 1)[-1], "arn": a,
              "awsRegion": "eu-west-1", "accountId": "123456789012", "tags": t, "configuration": {}}
             for a, t in ((known, {}), (unknown, {}), (tagged, {"CreatedBy": "x"}))]
    InventoryService(platform).apply_collection("aws", items)
    recorder = RecordingClients()

    def clients(service: str, region: str) -> Any:
        if service == "cloudtrail":
            return FakeCloudTrail({"vol-0123": record(s, n, q, r, identity="AssumedRole")})
        return recorder(service, region)

    plan = {i.arn: i for i in Backfill(platform, clients=clients).run(dry_run=True)}
    assert set(plan) == {known, unknown}
    assert plan[known].created_by == "DevOps/bob@example.com" and plan[known].source == "cloudtrail"
    assert plan[unknown].source == "defaults-only" and plan[unknown].tags == {"Owner": "platform"}
    assert recorder.calls == []
    done = Backfill(platform, clients=clients).run()
    assert {i.status for i in done} == {"applied"}
    assert InventoryService(platform).get(known)["tags"]["CreatedBy"] == "DevOps/bob@example.com"
    assert len([c for c in recorder.calls if c[2] == "tag_resources"]) == 2
