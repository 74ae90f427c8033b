"""Security Hub import/export and Inspector2 import against moto; AWS Config import against botocore's Stubber
(moto does not implement GetComplianceDetailsByConfigRule)."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
import requests
from botocore.stub import Stubber
from moto import mock_aws

from assetguard.findings.connectors import (
    ConfigComplianceConnector,
    Inspector2Connector,
    SecurityHubConnector,
)
from assetguard.findings.hub import FindingsHub
from tests.findings.factory import PRODUCT, make_finding


@pytest.fixture
def aws(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        yield


def test_export_then_import_round_trip_through_security_hub(platform, aws):
    hub = FindingsHub(platform)
    for start in (0, 100):
        hub.batch_import([make_finding(f"f-{i}", severity="HIGH" if i % 2 else "LOW")
                          for i in range(start, min(start + 100, 150))])
    client = boto3.client("securityhub", region_name="us-east-1")
    client.enable_security_hub()
    sh = SecurityHubConnector(client)
    result = sh.export(hub.list(limit=None))
    assert result["SuccessCount"] == 150 and result["FailedCount"] == 0
    remote = list(sh.fetch(page_size=40))  # paginated: 4 pages
    assert len(remote) == 150
    assert {f["Id"] for f in remote} == {f"f-{i}" for i in range(150)}

    other = FindingsHub(platform)
    # Re-import what Security Hub holds into an empty product namespace: rename the product first.
    with platform.db.begin() as conn:
        from assetguard.findings.tables import findings

        conn.execute(findings.delete())
    summary = sh.import_into(other)
    assert summary.fetched == 150 and summary.imported == 150 and summary.failed == []
    assert other.get(PRODUCT, "f-3")["Severity"]["Label"] == "HIGH"


def test_security_hub_import_is_filtered(platform, aws):
    client = boto3.client("securityhub", region_name="us-east-1")
    client.enable_security_hub()
    client.batch_import_findings(Findings=[make_finding("a", severity="HIGH"), make_finding("b", severity="LOW")])
    summary = SecurityHubConnector(client).import_into(
        FindingsHub(platform), filters={"Id": [{"Value": "a", "Comparison": "EQUALS"}]})
    assert summary.fetched == 1
    assert [f["Id"] for f in FindingsHub(platform).list()] == ["a"]


def test_inspector2_findings_become_asff(platform, aws):
    finding = {"awsAccountId": "123456789012", "findingArn": "arn:aws:inspector2:us-east-1:123456789012:finding/abc",
               "type": "PACKAGE_VULNERABILITY", "severity": "CRITICAL", "status": "ACTIVE",
               "title": "CVE-2024-0001 - openssl", "description": "openssl flaw",
               "firstObservedAt": dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp(),
               "lastObservedAt": dt.datetime(2026, 1, 2, tzinfo=dt.UTC).timestamp(),
               "updatedAt": dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp(),
               "resources": [{"type": "AWS_EC2_INSTANCE", "id": "i-123", "region": "us-east-1"}],
               "packageVulnerabilityDetails": {"vulnerabilityId": "CVE-2024-0001", "source": "NVD",
                                               "vulnerablePackages": [{"name": "openssl", "version": "3.0.1",
                                                                       "fixedInVersion": "3.0.2"}]}}
    resp = requests.post("http://motoapi.amazonaws.com/moto-api/static/inspector2/findings-results",
                         json={"results": [[finding]], "region": "us-east-1", "account_id": "123456789012"},
                         timeout=5)
    assert resp.status_code == 201
    client = boto3.client("inspector2", region_name="us-east-1")
    summary = Inspector2Connector(client).import_into(FindingsHub(platform))
    assert summary.imported == 1, summary.failed
    f = FindingsHub(platform).list()[0]
    assert f["Severity"]["Label"] == "CRITICAL"
    assert f["Vulnerabilities"][0]["VulnerablePackages"][0]["FixedInVersion"] == "3.0.2"
    assert f["Resources"][0] == {"Type": "AwsEc2Instance", "Id": "i-123", "Region": "us-east-1", "Partition": "aws"}


def test_config_compliance_import(platform):
    client = boto3.client("config", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_response("describe_compliance_by_config_rule", {"ComplianceByConfigRules": [
        {"ConfigRuleName": "restricted-ssh", "Compliance": {"ComplianceType": "NON_COMPLIANT"}}]})
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    stub.add_response("get_compliance_details_by_config_rule", {"EvaluationResults": [
        {"EvaluationResultIdentifier": {"EvaluationResultQualifier": {
            "ConfigRuleName": "restricted-ssh", "ResourceType": "AWS::EC2::SecurityGroup", "ResourceId": "sg-1"},
            "OrderingTimestamp": when},
         "ComplianceType": "NON_COMPLIANT", "ResultRecordedTime": when, "ConfigRuleInvokedTime": when,
         "Annotation": "port 22 open"}]},
        {"ConfigRuleName": "restricted-ssh", "ComplianceTypes": ["NON_COMPLIANT", "COMPLIANT"]})
    with stub:
        summary = ConfigComplianceConnector(client, "123456789012").import_into(FindingsHub(platform))
    assert summary.imported == 1
    f = FindingsHub(platform).list()[0]
    assert f["Compliance"]["Status"] == "FAILED" and f["GeneratorId"] == "restricted-ssh"
    assert f["Description"] == "port 22 open"
