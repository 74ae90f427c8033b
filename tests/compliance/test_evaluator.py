"""Evaluator: change detection, AWS Config-shaped change events, ASFF findings with Compliance.Status."""

from __future__ import annotations

from assetguard.compliance.evaluator import ComplianceEvaluator
from assetguard.findings.hub import FindingsHub
from assetguard.inventory.service import InventoryService
from tests.compliance.items import ci, perm, sg


def _store(platform, *items):
    InventoryService(platform).apply_collection("test", list(items))


def test_change_events_and_findings_follow_results(platform):
    open_sg = sg("sg-1", [perm(22)])
    closed_vol = ci("AWS::EC2::Volume", "vol-1", configuration={"encrypted": True, "state": "in-use"})
    _store(platform, open_sg, closed_vol)
    evaluator = ComplianceEvaluator(platform)
    report = evaluator.evaluate(rule_ids=["restricted-ssh", "restricted-common-ports", "encrypted-volumes"])
    assert report.counts == {"NON_COMPLIANT": 1, "COMPLIANT": 2}
    events = platform.bus.recent(detail_type="Compliance Rule Evaluation Change")
    assert len(events) == 1  # first results are published only when they fail
    ssh = next(e for e in events if e["detail"]["configRuleName"] == "restricted-ssh")
    d = ssh["detail"]
    assert ssh["source"] == "assetguard.compliance"
    assert d["resourceId"] == "sg-1" and d["resourceType"] == "AWS::EC2::SecurityGroup"
    assert d["awsAccountId"] == "123456789012" and d["awsRegion"] == "us-east-1"
    assert d["newEvaluationResult"]["complianceType"] == "NON_COMPLIANT"
    assert d["newEvaluationResult"]["evaluationResultIdentifier"]["evaluationResultQualifier"] == {
        "configRuleName": "restricted-ssh", "resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1",
        "evaluationMode": "DETECTIVE"}
    assert "oldEvaluationResult" not in d
    assert d["remediation"] == {"runbook": "revoke-open-ingress", "approval": "manual"}

    hub = FindingsHub(platform)
    findings = hub.list()
    assert [f["GeneratorId"] for f in findings] == ["restricted-ssh"]  # passing results make no finding
    f = findings[0]
    assert f["Compliance"]["Status"] == "FAILED" and f["Severity"]["Label"] == "HIGH"
    assert f["Resources"][0]["Type"] == "AwsEc2SecurityGroup"
    assert f["Workflow"]["Status"] == "NEW"

    # Same state again: no new events, no new findings.
    evaluator.evaluate(rule_ids=["restricted-ssh", "restricted-common-ports", "encrypted-volumes"])
    assert len(platform.bus.recent(detail_type="Compliance Rule Evaluation Change")) == 1

    # Fix the group: one change event with the old result, finding PASSED → RESOLVED.
    _store(platform, sg("sg-1", [perm(22, "10.0.0.0/8")]), closed_vol)
    report = evaluator.evaluate_asset(open_sg["arn"])
    events = [e for e in platform.bus.recent(detail_type="Compliance Rule Evaluation Change")
              if e["detail"]["configRuleName"] == "restricted-ssh"]
    assert len(events) == 2
    assert {e.rule.id for e in report.evaluations} >= {"restricted-ssh", "required-tags"}  # on-change rules only
    latest = events[0]["detail"]
    assert latest["oldEvaluationResult"]["complianceType"] == "NON_COMPLIANT"
    assert latest["newEvaluationResult"]["complianceType"] == "COMPLIANT"
    f = hub.get(f["ProductArn"], f["Id"])
    assert f["Compliance"]["Status"] == "PASSED"
    assert f["Workflow"]["Status"] == "RESOLVED"
    assert platform.audit.query(action="compliance.evaluate")


def test_deleted_asset_archives_its_findings(platform):
    item = sg("sg-1", [perm(22)])
    _store(platform, item)
    evaluator = ComplianceEvaluator(platform)
    evaluator.evaluate(rule_ids=["restricted-ssh"])
    evaluator.evaluate_asset(item["arn"], asset=item, deleted=True)
    f = FindingsHub(platform).list()[0]
    assert f["RecordState"] == "ARCHIVED"
    assert f["Compliance"]["Status"] == "NOT_AVAILABLE"


def test_packs_select_rules(platform):
    from assetguard.compliance.packs import get_pack

    assert "restricted-ssh" in get_pack("baseline").rule_ids
    assert all(r.startswith("linux-") for r in get_pack("kisa-unix").rule_ids)
    assert len(get_pack("kisa-unix").rule_ids) >= 15
    assert "iam-password-policy" in get_pack("cis-aws-foundations").rule_ids
    import pytest

    from assetguard.core.errors import ValidationError

    with pytest.raises(ValidationError, match="valid packs"):
        get_pack("nope")
