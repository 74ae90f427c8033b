"""Auto-tagger: exact ARNs and CreatedBy for every supported call and identity, limits, loops."""

from __future__ import annotations

from typing import Any

import pytest

from assetguard.auth.principal import SYSTEM
from assetguard.runtime.platform import Platform
from assetguard.tagging.autotag import AutoTagger
from assetguard.tagging.cloudtrail import CreatedResource, created_by, created_resources
from assetguard.tagging.creates import CREATE_CALLS
from assetguard.tagging.params import LocalParameterStore
from tests.tagging.corpus import ACCOUNT, CALLS, IDENTITIES, REGION, corpus, record


class RecordingClients:
    """Stands in for boto3 clients; records every tagging call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, dict[str, Any]]] = []

    def __call__(self, service: str, region: str) -> Any:
        outer = self

        class Client:
            def __getattr__(self, op: str) -> Any:
                def call(**kwargs: Any) -> dict[str, Any]:
                    outer.calls.append((service, region, op, kwargs))
                    return {"FailedResourcesMap": {}}
                return call
        return Client()


def test_at_least_forty_create_calls_are_supported() -> None:
    assert len(CREATE_CALLS) >= 40
    assert len(CALLS) >= 40
    assert {c[:2] for c in CALLS} <= set(CREATE_CALLS)


@pytest.mark.parametrize(("rec", "arns", "creator"), corpus(), ids=lambda v: v["eventName"] if isinstance(v, dict) else "")
def test_every_call_yields_its_exact_arns(rec: dict[str, Any], arns: list[str], creator: str) -> None:
    assert sorted(r.arn for r in created_resources(rec)) == sorted(arns)
    assert created_by(rec["userIdentity"]) == creator


@pytest.mark.parametrize("kind", list(IDENTITIES))
def test_created_by_for_every_identity_type(kind: str) -> None:
    identity, expected = IDENTITIES[kind]
    assert created_by(identity) == expected


def test_plan_builds_tags_from_parameter_store(platform: Platform) -> None:
    store = LocalParameterStore(platform)
    store.put("/assetguard/tags/default/Owner", "platform", actor=SYSTEM)
    store.put("/assetguard/tags/default/CostCenter", "100", actor=SYSTEM)
    store.put(f"/assetguard/tags/by-account/{ACCOUNT}/CostCenter", "200", actor=SYSTEM)
    store.put("/assetguard/tags/by-type/ec2.instance/Backup", "daily", actor=SYSTEM)
    store.put("/assetguard/tags/default/Name", "unnamed", actor=SYSTEM)
    source, name, req, resp, _ = CALLS[0]  # RunInstances with a Name tag in the request
    plan = AutoTagger(platform, dry_run=True).plan(record(source, name, req, resp, identity="AssumedRole"))
    assert plan.tags == {"Owner": "platform", "CostCenter": "200", "Backup": "daily",
                         "CreatedBy": "DevOps/bob@example.com", "CreatedAt": "2026-11-29T09:15:00Z"}
    assert plan.not_applied == {"Name": "already set on the resource"}


def test_invoked_by_is_added_when_present(platform: Platform) -> None:
    source, name, req, resp, _ = CALLS[1]
    plan = AutoTagger(platform, dry_run=True).plan(record(source, name, req, resp, identity="AWSService"))
    assert plan.tags["InvokedBy"] == "autoscaling.amazonaws.com"
    assert plan.tags["CreatedBy"] == "autoscaling.amazonaws.com"


def test_failed_calls_own_calls_and_reads_are_skipped(platform: Platform) -> None:
    tagger = AutoTagger(platform, dry_run=True)
    source, name, req, resp, _ = CALLS[1]
    failed = record(source, name, req, None, errorCode="UnauthorizedOperation", errorMessage="no")
    assert tagger.plan(failed).skipped == "failed call (UnauthorizedOperation)"
    own = record(source, name, req, resp, userAgent="Boto3/1.34 assetguard-autotag")
    assert tagger.plan(own).skipped == "made by the auto-tagger itself"
    read = record("ec2.amazonaws.com", "DescribeInstances", {}, {})
    assert tagger.plan(read).skipped == "not a supported create call"
    assert tagger.plan(failed).contract() == {"eventName": "CreateVolume", "skipped": "failed call (UnauthorizedOperation)"}


def test_limits_fiftyfirst_tag_long_value_and_aws_prefix(platform: Platform) -> None:
    store = LocalParameterStore(platform)
    store.put("/assetguard/tags/default/Team", "x" * 257, actor=SYSTEM)
    store.put("/assetguard/tags/default/Env", "prod", actor=SYSTEM)
    req = {"tagSpecificationSet": {"items": [{"resourceType": "volume", "tags": [
        {"key": f"k{i}", "value": "v"} for i in range(48)]}]}}
    rec = record("ec2.amazonaws.com", "CreateVolume", req, {"volumeId": "vol-9"})
    plan = AutoTagger(platform, dry_run=True).plan(rec)
    assert plan.not_applied["Team"] == "value longer than 256 characters"
    # 48 existing + Env + CreatedBy = 50; CreatedAt would be the 51st.
    assert len(plan.tags) == 2
    assert list(plan.not_applied.values()).count("the resource would exceed 50 tags") == 1
    from assetguard.tagging.limits import tag_problem

    assert tag_problem("aws:cloudformation:stack-name", "x") == "keys with the reserved prefix aws: cannot be set"


def test_batch_of_45_arns_takes_three_calls_per_region(platform: Platform) -> None:
    clients = RecordingClients()
    tagger = AutoTagger(platform, clients=clients)
    items = [{"instanceId": f"i-{n:04d}"} for n in range(45)]
    rec = record("ec2.amazonaws.com", "RunInstances", {}, {"instancesSet": {"items": items}}, event_id="evt-45")
    plan = tagger.plan(rec)
    assert len(plan.resources) == 45
    results = tagger.apply([plan])
    calls = [c for c in clients.calls if c[2] == "tag_resources"]
    assert [len(c[3]["ResourceARNList"]) for c in calls] == [20, 20, 5]
    assert all(c[1] == REGION for c in calls)
    assert {r.status for r in results} == {"tagged"}
    # Idempotent: the same event again makes no call.
    again = tagger.apply([tagger.plan(rec)])
    assert len([c for c in clients.calls if c[2] == "tag_resources"]) == 3
    assert {r.status for r in again} == {"duplicate"}


def test_special_taggers_ecs_logs_iam_autoscaling(platform: Platform) -> None:
    clients = RecordingClients()
    tagger = AutoTagger(platform, clients=clients)
    plans = [tagger.plan(record(s, n, q, r)) for s, n, q, r, _ in CALLS
             if n in ("CreateCluster", "CreateLogGroup", "CreateUser", "CreateAutoScalingGroup") and s != "eks.amazonaws.com"]
    tagger.apply(plans)
    ops = {(c[0], c[2]) for c in clients.calls}
    assert ("ecs", "tag_resource") in ops and ("logs", "tag_log_group") in ops
    assert ("iam", "tag_user") in ops and ("autoscaling", "create_or_update_tags") in ops
    ecs_call = next(c for c in clients.calls if c[0] == "ecs")
    assert all(set(t) == {"key", "value"} for t in ecs_call[3]["tags"])
    logs_call = next(c for c in clients.calls if c[0] == "logs")
    assert logs_call[3]["logGroupName"] == "/ecs/api"
    asg_call = next(c for c in clients.calls if c[0] == "autoscaling")
    assert asg_call[3]["Tags"][0]["ResourceId"] == "web-asg"


def test_results_are_audited_and_emit_resource_tagged(platform: Platform) -> None:
    tagger = AutoTagger(platform, clients=RecordingClients())
    source, name, req, resp, arns = CALLS[1]
    tagger.apply([tagger.plan(record(source, name, req, resp))])
    events = platform.bus.recent(detail_type="Resource Tagged")
    assert events and events[0]["detail"]["resources"] == arns
    assert events[0]["source"] == "assetguard.tagging"
    assert platform.audit.query(action="tagging.autotag")
    assert platform.audit.verify().ok


def test_created_resource_regions_follow_arns() -> None:
    rec = record("iam.amazonaws.com", "CreateRole", {}, {"role": {"arn": f"arn:aws:iam::{ACCOUNT}:role/app"}})
    [res] = created_resources(rec)
    assert res == CreatedResource(f"arn:aws:iam::{ACCOUNT}:role/app", REGION, ACCOUNT, "iam", "AWS::IAM::Role", "app")
