"""Runbooks and the remediation service: approval, dry run, loop guard, host backups, audit and events."""

from __future__ import annotations

import json
import os
import stat

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import update

from assetguard.auth.principal import SYSTEM
from assetguard.compliance.evaluator import ComplianceEvaluator
from assetguard.compliance.hostfacts import gather_host_facts
from assetguard.compliance.remediation import RemediationService
from assetguard.compliance.runbooks.base import RunbookEnv, load_all_runbooks
from assetguard.compliance.tables import remediation_executions
from assetguard.core.errors import ConflictError, ValidationError
from assetguard.findings.hub import FindingsHub
from assetguard.inventory.service import InventoryService
from tests.compliance.hostroot import weak

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="fixture ownership checks need root (chown)")


def host_item(root):
    return {"resourceType": "AssetGuard::Host::Linux", "resourceId": "m1", "arn": "urn:assetguard:host:m1",
            "resourceName": "m1", "configuration": {"hostSecurity": gather_host_facts(root)},
            "supplementaryConfiguration": {"collectedFrom": str(root)}}


@needs_root
def test_manual_approval_then_run_fixes_host_and_backs_up(platform, tmp_path):
    root = weak(tmp_path / "root")
    item = host_item(root)
    InventoryService(platform).apply_collection("host", [item])
    ComplianceEvaluator(platform).evaluate(rule_ids=["linux-ssh-root-login-disabled"])
    svc = RemediationService(platform, env=RunbookEnv(backup_dir=tmp_path / "backups"))
    pending = svc.request("linux-ssh-root-login-disabled", item["arn"], actor=SYSTEM, trigger="auto")
    assert pending["status"] == "PENDING_APPROVAL"
    assert "PermitRootLogin yes" in (root / "etc/ssh/sshd_config").read_text()  # nothing ran yet

    dry = svc.request("linux-ssh-root-login-disabled", item["arn"], actor=SYSTEM, dry_run=True)
    assert dry["status"] == "SUCCEEDED" and dry["output"]["changed"] is True
    assert "PermitRootLogin yes" in (root / "etc/ssh/sshd_config").read_text()  # dry run changed nothing

    done = svc.approve(pending["executionId"], actor=SYSTEM)
    assert done["status"] == "SUCCEEDED", done
    assert done["approvedBy"] == "assetguard"
    text = (root / "etc/ssh/sshd_config").read_text()
    assert text.splitlines()[1] == "PermitRootLogin no"
    assert "# PermitRootLogin yes" in text
    backup = done["output"]["backup"]
    assert "PermitRootLogin yes" in open(backup).read()
    assert done["output"]["reevaluation"]["complianceType"] == "COMPLIANT"
    f = FindingsHub(platform).list(generator_id="linux-ssh-root-login-disabled")[0]
    assert f["Workflow"]["Status"] == "RESOLVED"
    with pytest.raises(ConflictError):
        svc.approve(pending["executionId"], actor=SYSTEM)
    # Idempotent: a second run finds nothing to change.
    again = svc.request("linux-ssh-root-login-disabled", item["arn"], actor=SYSTEM)
    assert again["status"] in ("SUCCEEDED", "SKIPPED")
    statuses = [e["detail"]["status"] for e in platform.bus.recent(detail_type="Remediation Execution Status Change")]
    assert {"PENDING_APPROVAL", "IN_PROGRESS", "SUCCEEDED"} <= set(statuses)
    assert {r["action"] for r in platform.audit.query()} >= {"remediation.request", "remediation.approve",
                                                            "remediation.execute"}


@needs_root
def test_file_permissions_runbook_tightens_and_backs_up(platform, tmp_path):
    root = weak(tmp_path / "root")
    item = host_item(root)
    book = load_all_runbooks().get("linux-file-permissions")()
    params = book.Params()
    out = book.run(item, params, RunbookEnv(root=root, backup_dir=tmp_path / "b"), dry_run=False)
    assert out.changed
    assert stat.S_IMODE((root / "etc/shadow").stat().st_mode) == 0o400
    assert stat.S_IMODE((root / "etc/hosts").stat().st_mode) == 0o600
    assert not stat.S_IMODE((root / "usr/bin/newgrp").stat().st_mode) & stat.S_ISUID
    assert not stat.S_IMODE((root / "etc/cron.d/job").stat().st_mode) & stat.S_IWOTH
    saved = {e["path"]: e["mode"] for e in json.loads(open(out.backup).read())}
    assert saved["/etc/shadow"] == "0644" and saved["/usr/bin/newgrp"] == "4755"
    item2 = host_item(root)
    assert book.run(item2, params, RunbookEnv(root=root, backup_dir=tmp_path / "b"), dry_run=False).changed is False


def test_loop_guard_max_attempts_and_cooldown(platform, monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        sg = ec2.create_security_group(GroupName="x", Description="x")["GroupId"]
        arn = f"arn:aws:ec2:us-east-1:123456789012:security-group/{sg}"
        InventoryService(platform).apply_collection("test", [{
            "resourceType": "AWS::EC2::SecurityGroup", "resourceId": sg, "arn": arn, "awsRegion": "us-east-1",
            "accountId": "123456789012", "configuration": {"groupName": "x", "ipPermissions": []}}])
        svc = RemediationService(platform)
        svc.configure("restricted-ssh", approval="auto", max_attempts=2, cooldown_seconds=3600, actor=SYSTEM)
        first = svc.request("restricted-ssh", arn, actor=SYSTEM, trigger="auto")
        assert first["status"] == "SUCCEEDED"
        second = svc.request("restricted-ssh", arn, actor=SYSTEM, trigger="auto")
        assert second["status"] == "SKIPPED" and second["error"].startswith("CooldownActive")
        # Past the cooldown, the attempt limit still holds.
        svc.configure("restricted-ssh", cooldown_seconds=0, actor=SYSTEM)
        assert svc.request("restricted-ssh", arn, actor=SYSTEM, trigger="auto")["status"] == "SUCCEEDED"
        third = svc.request("restricted-ssh", arn, actor=SYSTEM, trigger="auto")
        assert third["status"] == "SKIPPED" and third["error"].startswith("MaxAttemptsReached")
        with platform.db.begin() as conn:  # a day later the budget is back
            from datetime import timedelta

            from assetguard.core.clock import utcnow

            conn.execute(update(remediation_executions).values(created_at=utcnow() - timedelta(days=2)))
        assert svc.request("restricted-ssh", arn, actor=SYSTEM, trigger="auto")["status"] == "SUCCEEDED"


def test_failed_runbook_is_recorded_and_bad_params_rejected(platform, monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        arn = "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-404"
        InventoryService(platform).apply_collection("test", [{
            "resourceType": "AWS::EC2::VPC", "resourceId": "vpc-404", "arn": arn, "awsRegion": "us-east-1",
            "accountId": "123456789012", "configuration": {"vpcId": "vpc-404"}}])
        svc = RemediationService(platform)
        with pytest.raises(ValidationError, match="parameters"):
            svc.configure("vpc-flow-logs-enabled", parameters={"traffic_type": "SOME"}, actor=SYSTEM)
        ex = svc.request("vpc-flow-logs-enabled", arn, actor=SYSTEM)
        assert ex["status"] == "FAILED" and "deliver_logs_permission_arn" in ex["error"]


def test_every_runbook_declares_itself():
    books = load_all_runbooks()
    assert len(books) >= 11
    for name, cls in books.items():
        assert cls.name == name and cls.__doc__ and cls.resource_types
        if any(t.startswith("AWS::") for t in cls.resource_types):
            assert cls.permissions, name
            assert cls.ssm_document, name
    from assetguard.compliance.rule import load_all_rules

    for rid, rule in load_all_rules().items():
        if rule.meta.runbook:
            assert rule.meta.runbook in books, rid


def test_ssm_automation_runs_the_matching_aws_document(platform):
    """With use_ssm the runbook's AWS-owned document is started (moto has no SSM Automation: Stubber)."""
    from botocore.stub import Stubber

    ssm = boto3.client("ssm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(ssm)
    stub.add_response("start_automation_execution", {"AutomationExecutionId": "0123abcd-0000-4000-8000-00000000e123"},
                      {"DocumentName": "AWSConfigRemediation-EnableKeyRotation", "Parameters": {"KeyId": ["k-1"]}})

    class Env(RunbookEnv):
        def client(self, service, region):  # type: ignore[override]
            assert service == "ssm"
            return ssm

    arn = "arn:aws:kms:us-east-1:123456789012:key/k-1"
    InventoryService(platform).apply_collection("test", [{
        "resourceType": "AWS::KMS::Key", "resourceId": "k-1", "arn": arn, "awsRegion": "us-east-1",
        "accountId": "123456789012", "configuration": {"keyManager": "CUSTOMER", "keyRotationEnabled": False}}])
    svc = RemediationService(platform, env=Env())
    svc.configure("cmk-backing-key-rotation-enabled", use_ssm=True, actor=SYSTEM)
    svc._refresh = lambda *a, **k: []  # type: ignore[method-assign]  # no AWS to re-collect from here
    with stub:
        ex = svc.request("cmk-backing-key-rotation-enabled", arn, actor=SYSTEM)
    assert ex["status"] == "SUCCEEDED", ex
    assert ex["output"]["ssmAutomationExecutionId"] == "0123abcd-0000-4000-8000-00000000e123"
    assert ex["output"]["ssmDocument"] == "AWSConfigRemediation-EnableKeyRotation"
