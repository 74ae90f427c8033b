"""Turn a rule result into the ASFF finding the hub stores (``Compliance.Status`` carries it).

One finding per (rule, resource): ``Id = assetguard/compliance/<rule>/<resource ARN>``,
``GeneratorId = <rule>``, ``ProductArn`` = the account's default custom product (the form Security
Hub accepts from ``BatchImportFindings``). NON_COMPLIANT → FAILED (rule severity),
COMPLIANT → PASSED, INSUFFICIENT_DATA → NOT_AVAILABLE, NOT_APPLICABLE or a deleted resource →
NOT_AVAILABLE with ``RecordState`` ARCHIVED. Passing findings are INFORMATIONAL, as in Security Hub.
"""

from __future__ import annotations

from typing import Any

from assetguard.compliance.rule import COMPLIANT, INSUFFICIENT_DATA, NON_COMPLIANT, ComplianceRule

DEFAULT_ACCOUNT = "000000000000"
STATUS = {NON_COMPLIANT: "FAILED", COMPLIANT: "PASSED", INSUFFICIENT_DATA: "NOT_AVAILABLE",
          "NOT_APPLICABLE": "NOT_AVAILABLE"}
ASFF_TYPES = {
    "AWS::EC2::SecurityGroup": "AwsEc2SecurityGroup", "AWS::EC2::Instance": "AwsEc2Instance",
    "AWS::EC2::Volume": "AwsEc2Volume", "AWS::EC2::VPC": "AwsEc2Vpc", "AWS::S3::Bucket": "AwsS3Bucket",
    "AWS::IAM::User": "AwsIamUser", "AWS::RDS::DBInstance": "AwsRdsDbInstance", "AWS::KMS::Key": "AwsKmsKey",
    "AWS::CloudTrail::Trail": "AwsCloudTrailTrail", "AWS::Lambda::Function": "AwsLambdaFunction",
    "AWS::ECS::TaskDefinition": "AwsEcsTaskDefinition", "AWS::ElasticLoadBalancingV2::LoadBalancer":
    "AwsElbv2LoadBalancer", "AWS::IAM::AccountPasswordPolicy": "AwsAccount", "AWS::IAM::AccountSummary": "AwsAccount",
    "AWS::S3::AccountPublicAccessBlock": "AwsS3AccountPublicAccessBlock", "AWS::EC2::EBSEncryptionByDefault": "AwsAccount",
}


def account_of(item: dict[str, Any]) -> str:
    account = str(item.get("accountId") or "")
    return account if len(account) == 12 and account.isdigit() else DEFAULT_ACCOUNT


def region_of(item: dict[str, Any]) -> str:
    region = item.get("awsRegion")
    return str(region) if region and region != "global" else "us-east-1"


def product_arn(item: dict[str, Any]) -> str:
    account = account_of(item)
    return f"arn:aws:securityhub:{region_of(item)}:{account}:product/{account}/default"


def finding_id(rule_id: str, arn: str) -> str:
    return f"assetguard/compliance/{rule_id}/{arn}"[:512]


def requirements(rule: ComplianceRule) -> list[str]:
    meta = rule.meta
    return ([f"CIS AWS Foundations Benchmark/{c}" for c in meta.cis] + [f"KISA Unix/{k}" for k in meta.kisa]
            + list(meta.cce))


def to_finding(rule: ComplianceRule, item: dict[str, Any], compliance_type: str, annotation: str, *,
               at: str, deleted: bool = False) -> dict[str, Any]:
    meta = rule.meta
    arn = str(item.get("arn") or item.get("resourceId"))
    status = STATUS.get(compliance_type, "NOT_AVAILABLE")
    archived = deleted or compliance_type == "NOT_APPLICABLE"
    standard = ("Industry and Regulatory Standards/CIS AWS Foundations Benchmark" if meta.cis
                else "Industry and Regulatory Standards/KISA" if meta.kisa else "AWS Security Best Practices")
    resource: dict[str, Any] = {"Type": ASFF_TYPES.get(str(item.get("resourceType")), "Other"), "Id": arn,
                                "Partition": "aws", "Region": region_of(item)}
    if item.get("tags"):
        resource["Tags"] = {str(k): str(v) for k, v in list(item["tags"].items())[:50]}
    resource["Details"] = {"Other": {"resourceType": str(item.get("resourceType")),
                                     "resourceId": str(item.get("resourceId"))[:1024],
                                     "resourceName": str(item.get("resourceName") or "")[:1024]}}
    description = f"{meta.risk} Result: {annotation}" if annotation else meta.risk
    finding: dict[str, Any] = {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id(meta.id, arn),
        "ProductArn": product_arn(item),
        "ProductName": "assetguard compliance",
        "CompanyName": "assetguard",
        "GeneratorId": meta.id,
        "AwsAccountId": account_of(item),
        "Region": region_of(item),
        "Types": [f"Software and Configuration Checks/{standard}"],
        "CreatedAt": at,
        "UpdatedAt": at,
        "Severity": {"Label": meta.severity if status == "FAILED" else "INFORMATIONAL"},
        "Title": meta.title[:256],
        "Description": description[:1024],
        "Remediation": {"Recommendation": {"Text": meta.remediation[:512]}},
        "ProductFields": {"assetguard/ruleId": meta.id, "assetguard/complianceType": compliance_type,
                          "assetguard/annotation": annotation[:256], "assetguard/runbook": meta.runbook or ""},
        "Resources": [resource],
        "Compliance": {"Status": status, "SecurityControlId": meta.id,
                       "RelatedRequirements": requirements(rule)[:32]},
        "RecordState": "ARCHIVED" if archived else "ACTIVE",
    }
    if annotation:
        finding["Compliance"]["StatusReasons"] = [{"ReasonCode": compliance_type, "Description": annotation[:2048]}]
    return finding
