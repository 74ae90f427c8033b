"""The plan's loop on moto: misconfiguration → finding → e-mail and Slack → runbook → RESOLVED.

1. A misconfigured account (moto).
2. Collect (inventory aws collector) + evaluate: the findings are exactly the expected ones.
3. A real SMTP server (aiosmtpd) and a real Slack receiver (HTTP thread) on loopback get the alerts,
   through the events worker and the shipped ``security-alerts`` rule.
4. The shipped ``cce-remediation`` rule runs the runbooks bound with approval ``auto``.
5. Re-evaluation is COMPLIANT and the findings are RESOLVED.
6. The audit trail shows every step.
"""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes
from email.message import Message
from typing import Any

import boto3
import pytest
from aiosmtpd.controller import Controller
from botocore.client import BaseClient
from moto import mock_aws
from pydantic import SecretStr
from sqlalchemy import select

from assetguard.auth.principal import SYSTEM
from assetguard.compliance.evaluator import ComplianceEvaluator
from assetguard.compliance.remediation import RemediationService
from assetguard.compliance.tables import compliance_results
from assetguard.events.rule_store import RuleStore
from assetguard.events.worker import EventWorker
from assetguard.findings.hub import FindingsHub
from assetguard.inventory.runner import aws_options, run_collection
from tests.targets.receivers import HttpReceiver

REGION = "us-east-1"
LOOP_RULES = ["restricted-ssh", "vpc-default-security-group-closed", "vpc-flow-logs-enabled",
              "s3-bucket-server-side-encryption-enabled", "s3-bucket-level-public-access-prohibited",
              "s3-account-level-public-access-blocks", "iam-password-policy", "ec2-ebs-encryption-by-default",
              "cmk-backing-key-rotation-enabled", "cloud-trail-log-file-validation-enabled"]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                 "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        # moto does not implement GetEbsDefaultKmsKeyId, which the inventory collector calls once EBS
        # encryption by default is on; answer it with AWS's default alias as the real API does.
        original = BaseClient._make_api_call

        def call(self: Any, operation: str, params: dict[str, Any]) -> Any:
            if operation == "GetEbsDefaultKmsKeyId":
                return {"KmsKeyId": "alias/aws/ebs"}
            return original(self, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", call)
        yield


def misconfigure() -> dict[str, str]:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    sg = ec2.create_security_group(GroupName="ssh-open", Description="ssh", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="loop-logs")
    s3.put_bucket_policy(Bucket="loop-logs", Policy=json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::loop-logs/*"}]}))
    trail = boto3.client("cloudtrail", region_name=REGION).create_trail(Name="main", S3BucketName="loop-logs")
    boto3.client("cloudtrail", region_name=REGION).start_logging(Name="main")
    key = boto3.client("kms", region_name=REGION).create_key(Description="app")["KeyMetadata"]
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="flow-logs", AssumeRolePolicyDocument=json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    vpcs = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    return {"sg": sg, "vpc": vpc, "key": key["Arn"], "trail": trail["TrailARN"], "role": role["Role"]["Arn"],
            "default_sgs": ",".join(g["GroupId"] for g in groups), "vpcs": ",".join(vpcs)}


def expected_failures(ids: dict[str, str]) -> set[tuple[str, str]]:
    account = "123456789012"
    out = {("restricted-ssh", f"arn:aws:ec2:{REGION}:{account}:security-group/{ids['sg']}"),
           ("s3-bucket-server-side-encryption-enabled", "arn:aws:s3:::loop-logs"),
           ("s3-bucket-level-public-access-prohibited", "arn:aws:s3:::loop-logs"),
           ("s3-account-level-public-access-blocks", f"arn:aws:s3::{account}:account-public-access-block"),
           ("iam-password-policy", f"arn:aws:iam::{account}:account-password-policy"),
           ("ec2-ebs-encryption-by-default",
            f"arn:aws:ec2:{REGION}:{account}:ebs-encryption-by-default/{account}-{REGION}"),
           ("cmk-backing-key-rotation-enabled", ids["key"]),
           ("cloud-trail-log-file-validation-enabled", ids["trail"])}
    out |= {("vpc-flow-logs-enabled", f"arn:aws:ec2:{REGION}:{account}:vpc/{v}") for v in ids["vpcs"].split(",")}
    out |= {("vpc-default-security-group-closed", f"arn:aws:ec2:{REGION}:{account}:security-group/{g}")
            for g in ids["default_sgs"].split(",")}
    return out


def test_full_loop(platform, aws_env) -> None:
    inbox = Inbox()
    port = _free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    slack = HttpReceiver()
    slack.__enter__()
    try:
        _run_loop(platform, inbox, port, slack)
    finally:
        slack.__exit__(None, None, None)
        smtp.stop()


def _run_loop(platform, inbox: Inbox, port: int, slack: HttpReceiver) -> None:
    platform.settings.smtp.host = "127.0.0.1"
    platform.settings.smtp.port = port
    platform.settings.smtp.recipients = ["secops@example.com"]
    platform.settings.slack.webhook_url = SecretStr(slack.url + "/hook")
    platform.settings.outbound.allow_cidrs = ["127.0.0.0/8"]  # the receiver is on loopback
    store = RuleStore(platform)
    store.install_defaults()
    # The on-change rule would add every other on-change rule's results for every collected asset
    # (required-tags ...); this test pins the rule set to the runbooks it exercises.
    store.set_state("compliance-on-change", "DISABLED", actor=SYSTEM)

    ids = misconfigure()
    remediation = RemediationService(platform)
    for rule in LOOP_RULES:
        params = {"deliver_logs_permission_arn": ids["role"]} if rule == "vpc-flow-logs-enabled" else None
        remediation.configure(rule, approval="auto", parameters=params, actor=SYSTEM)

    # 1-2. collect and evaluate: exactly the expected findings.
    summary = run_collection(platform, "aws", aws_options(platform), actor=SYSTEM)
    assert not summary.errors, summary.errors
    report = ComplianceEvaluator(platform).evaluate(rule_ids=LOOP_RULES)
    assert not report.errors
    hub = FindingsHub(platform)
    found = {(f["GeneratorId"], f["Resources"][0]["Id"]) for f in hub.list(limit=None)}
    expected = expected_failures(ids)
    assert found == expected
    assert all(f["Compliance"]["Status"] == "FAILED" and f["Workflow"]["Status"] == "NEW"
               for f in hub.list(limit=None))
    high = {f["Id"] for f in hub.list(limit=None) if f["Severity"]["Label"] in ("HIGH", "CRITICAL")}
    assert len(high) == 3

    # 3-5. the worker delivers alerts and runs the auto runbooks.
    worker = EventWorker(platform)
    assert worker.drain(180)
    subjects = [m["Subject"] for m in inbox.messages]
    assert len(inbox.messages) == len(high), subjects
    assert all(m["To"] == "secops@example.com" for m in inbox.messages)
    assert len(slack.requests) == len(high)
    assert any("restricted-ssh" in r.body.decode() or "SSH" in r.body.decode() for r in slack.requests)

    executions = remediation.list(limit=100)
    assert {e["rule"] for e in executions if e["status"] == "SUCCEEDED"} == set(LOOP_RULES), \
        [(e["rule"], e["status"], e["error"]) for e in executions]
    not_fixed = [(e["rule"], e["output"]["reevaluation"]) for e in executions if e["status"] == "SUCCEEDED"
                 and e["output"]["reevaluation"].get("complianceType") != "COMPLIANT"]
    assert not_fixed == []
    assert not any(e["output"]["reevaluation"].get("refreshErrors") for e in executions if e["output"])

    # The account really changed.
    ec2 = boto3.client("ec2", region_name=REGION)
    perms = ec2.describe_security_groups(GroupIds=[ids["sg"]])["SecurityGroups"][0]["IpPermissions"]
    assert [p["FromPort"] for p in perms] == [443]
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    assert boto3.client("kms", region_name=REGION).get_key_rotation_status(KeyId=ids["key"])["KeyRotationEnabled"]
    assert boto3.client("iam").get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 14

    # Re-evaluation: everything COMPLIANT, every finding RESOLVED.
    ComplianceEvaluator(platform).evaluate(rule_ids=LOOP_RULES)
    with platform.db.connect() as conn:
        types = {r.compliance_type for r in conn.execute(select(compliance_results.c.compliance_type).where(
            compliance_results.c.rule_id.in_(LOOP_RULES)))}
    assert types <= {"COMPLIANT", "NOT_APPLICABLE"}
    findings = hub.list(limit=None)
    assert {(f["GeneratorId"], f["Resources"][0]["Id"]) for f in findings} == expected
    assert {f["Workflow"]["Status"] for f in findings} == {"RESOLVED"}
    assert {f["Compliance"]["Status"] for f in findings} == {"PASSED"}

    # Runbooks are idempotent: a second run changes nothing.
    again = remediation.request("restricted-ssh", f"arn:aws:ec2:{REGION}:123456789012:security-group/{ids['sg']}",
                                actor=SYSTEM, trigger="manual", dry_run=True)
    assert again["status"] == "SUCCEEDED" and again["output"]["changed"] is False

    # 6. the audit trail shows every step and its chain verifies.
    actions = {r["action"] for r in platform.audit.query(limit=5000)}
    assert {"remediation.configure", "inventory.collect", "compliance.evaluate", "findings.import",
            "remediation.request", "remediation.execute", "compliance.evaluate_asset"} <= actions, actions
    assert platform.audit.verify().ok
    statuses = [e["detail"]["status"] for e in platform.bus.recent(detail_type="Remediation Execution Status Change",
                                                                  limit=500)]
    assert statuses.count("SUCCEEDED") >= len(LOOP_RULES) and "IN_PROGRESS" in statuses
