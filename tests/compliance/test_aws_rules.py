"""Each AWS rule against compliant, non-compliant and not-applicable items (AWS Config semantics)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assetguard.compliance.context import EvaluationContext
from assetguard.compliance.rule import load_all_rules
from tests.compliance.items import ci, perm, sg

RULES = load_all_rules()
OLD = "2020-01-01T00:00:00Z"
NEW = "2999-01-01T00:00:00Z"


def bucket(**supp: Any) -> dict[str, Any]:
    base = {"PublicAccessBlockConfiguration": None, "BucketPolicy": {"policyText": None},
            "AccessControlList": {"grantList": []}, "ServerSideEncryptionConfiguration": None,
            "BucketVersioningConfiguration": {"status": "Off"},
            "BucketLoggingConfiguration": {"destinationBucketName": None}}
    base.update(supp)
    return ci("AWS::S3::Bucket", "b", arn="arn:aws:s3:::b", supplementary=base)


PUBLIC_READ_POLICY = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                "Resource": "arn:aws:s3:::b/*"}]})
PUBLIC_ACL = {"grantList": [{"grantee": {"type": "Group", "uRI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                             "permission": "WRITE"}]}
ALL_PAB = {"blockPublicAcls": True, "ignorePublicAcls": True, "blockPublicPolicy": True,
           "restrictPublicBuckets": True}
TLS_POLICY = json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
GOOD_PW = {"minimumPasswordLength": 14, "requireSymbols": True, "requireNumbers": True,
           "requireUppercaseCharacters": True, "requireLowercaseCharacters": True, "passwordReusePrevention": 24,
           "maxPasswordAge": 90, "passwordPolicyPresent": True}
TRAIL_ON = ci("AWS::CloudTrail::Trail", "t", configuration={"name": "t", "isMultiRegionTrail": True,
                                                            "logFileValidationEnabled": True},
              supplementary={"TrailStatus": {"isLogging": True}})
TRAIL_OFF = ci("AWS::CloudTrail::Trail", "t", configuration={"name": "t", "isMultiRegionTrail": False},
               supplementary={"TrailStatus": {"isLogging": False}})
SUMMARY = ci("AWS::IAM::AccountSummary", "123456789012",
             configuration={"summaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0}})
LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1"


def lb(**supp: Any) -> dict[str, Any]:
    return ci("AWS::ElasticLoadBalancingV2::LoadBalancer", LB_ARN, arn=LB_ARN, configuration={"type": "application"},
              supplementary=supp)


def listener(protocol: str, actions: list[dict[str, Any]]) -> dict[str, Any]:
    return ci("AWS::ElasticLoadBalancingV2::Listener", f"l-{protocol}",
              configuration={"loadBalancerArn": LB_ARN, "protocol": protocol, "port": 80 if protocol == "HTTP" else 443,
                             "defaultActions": actions})


def taskdef(**container: Any) -> dict[str, Any]:
    return ci("AWS::ECS::TaskDefinition", "web:1", configuration={"status": "ACTIVE", "containerDefinitions": [
        {"name": "app", **container}]})


# (rule, item, related items, expected compliance type, annotation fragment)
CASES: list[tuple[str, dict[str, Any], list[dict[str, Any]], str, str]] = [
    ("restricted-ssh", sg("sg-1", [perm(22)]), [], "NON_COMPLIANT", "0.0.0.0/0"),
    ("restricted-ssh", sg("sg-1", [perm(22, "::/0")]), [], "NON_COMPLIANT", "::/0"),
    ("restricted-ssh", sg("sg-1", [perm(None, protocol="-1")]), [], "NON_COMPLIANT", "TCP 22"),
    ("restricted-ssh", sg("sg-1", [perm(0, to=1024)]), [], "NON_COMPLIANT", ""),
    ("restricted-ssh", sg("sg-1", [perm(22, "10.0.0.0/8"), perm(443)]), [], "COMPLIANT", ""),
    ("restricted-ssh", sg("sg-1", [perm(22, protocol="udp")]), [], "COMPLIANT", ""),
    ("restricted-common-ports", sg("sg-1", [perm(3389)]), [], "NON_COMPLIANT", "3389"),
    ("restricted-common-ports", sg("sg-1", [perm(3306, "10.1.0.0/16"), perm(80)]), [], "COMPLIANT", ""),
    ("vpc-default-security-group-closed", sg("sg-d", [], name="default", egress=[perm(None, protocol="-1")]), [],
     "NON_COMPLIANT", "1 outbound"),
    ("vpc-default-security-group-closed", sg("sg-d", [], name="default"), [], "COMPLIANT", ""),
    ("vpc-default-security-group-closed", sg("sg-1", [perm(22)]), [], "NOT_APPLICABLE", ""),
    ("vpc-flow-logs-enabled", ci("AWS::EC2::VPC", "vpc-1", configuration={"vpcId": "vpc-1"}), [],
     "NON_COMPLIANT", "no active"),
    ("vpc-flow-logs-enabled", ci("AWS::EC2::VPC", "vpc-1", configuration={"vpcId": "vpc-1"}),
     [ci("AWS::EC2::FlowLog", "fl-1", configuration={"resourceId": "vpc-1", "flowLogStatus": "ACTIVE",
                                                     "trafficType": "ALL"})], "COMPLIANT", ""),
    ("encrypted-volumes", ci("AWS::EC2::Volume", "v", configuration={"encrypted": False, "state": "in-use",
                                                                     "attachments": [{"instanceId": "i"}]}), [],
     "NON_COMPLIANT", ""),
    ("encrypted-volumes", ci("AWS::EC2::Volume", "v", configuration={"encrypted": False, "state": "available",
                                                                     "attachments": []}), [], "NOT_APPLICABLE", ""),
    ("encrypted-volumes", ci("AWS::EC2::Volume", "v", configuration={"encrypted": True, "state": "in-use"}), [],
     "COMPLIANT", ""),
    ("ec2-ebs-encryption-by-default", ci("AWS::EC2::EBSEncryptionByDefault", "x",
                                         configuration={"ebsEncryptionByDefault": False}), [], "NON_COMPLIANT", ""),
    ("ec2-ebs-encryption-by-default", ci("AWS::EC2::EBSEncryptionByDefault", "x",
                                         configuration={"ebsEncryptionByDefault": True}), [], "COMPLIANT", ""),
    ("ec2-imdsv2-check", ci("AWS::EC2::Instance", "i", configuration={"metadataOptions": {"httpTokens": "optional"}}),
     [], "NON_COMPLIANT", "optional"),
    ("s3-bucket-public-read-prohibited", bucket(BucketPolicy={"policyText": PUBLIC_READ_POLICY}), [],
     "NON_COMPLIANT", "policy"),
    ("s3-bucket-public-read-prohibited", bucket(BucketPolicy={"policyText": PUBLIC_READ_POLICY},
                                                PublicAccessBlockConfiguration=ALL_PAB), [], "COMPLIANT", ""),
    ("s3-bucket-public-read-prohibited", bucket(BucketPolicy={"policyText": PUBLIC_READ_POLICY}),
     [ci("AWS::S3::AccountPublicAccessBlock", "acct", configuration={**ALL_PAB, "configured": True})],
     "COMPLIANT", ""),
    ("s3-bucket-public-read-prohibited", bucket(), [], "COMPLIANT", ""),
    ("s3-bucket-public-write-prohibited", bucket(AccessControlList=PUBLIC_ACL), [], "NON_COMPLIANT", "ACL"),
    ("s3-bucket-public-write-prohibited", bucket(BucketPolicy={"policyText": PUBLIC_READ_POLICY}), [],
     "COMPLIANT", ""),
    ("s3-bucket-server-side-encryption-enabled", bucket(), [], "NON_COMPLIANT", ""),
    ("s3-bucket-server-side-encryption-enabled", bucket(ServerSideEncryptionConfiguration={"rules": [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]}), [], "COMPLIANT", "aws:kms"),
    ("s3-bucket-level-public-access-prohibited", bucket(PublicAccessBlockConfiguration=ALL_PAB), [], "COMPLIANT", ""),
    ("s3-bucket-ssl-requests-only", bucket(BucketPolicy={"policyText": TLS_POLICY}), [], "COMPLIANT", ""),
    ("s3-bucket-ssl-requests-only", bucket(), [], "NON_COMPLIANT", ""),
    ("s3-bucket-versioning-enabled", bucket(BucketVersioningConfiguration={"status": "Enabled"}), [], "COMPLIANT", ""),
    ("s3-account-level-public-access-blocks", ci("AWS::S3::AccountPublicAccessBlock", "a", configuration={
        "blockPublicAcls": True, "ignorePublicAcls": True, "blockPublicPolicy": False,
        "restrictPublicBuckets": True, "configured": True}), [], "NON_COMPLIANT", "blockPublicPolicy"),
    ("s3-account-level-public-access-blocks", ci("AWS::S3::AccountPublicAccessBlock", "a",
                                                 configuration={**ALL_PAB, "configured": True}), [], "COMPLIANT", ""),
    ("iam-password-policy", ci("AWS::IAM::AccountPasswordPolicy", "a", configuration={"passwordPolicyPresent": False}),
     [], "NON_COMPLIANT", "no password policy"),
    ("iam-password-policy", ci("AWS::IAM::AccountPasswordPolicy", "a", configuration={**GOOD_PW,
                                                                                      "minimumPasswordLength": 8}),
     [], "NON_COMPLIANT", "MinimumPasswordLength"),
    ("iam-password-policy", ci("AWS::IAM::AccountPasswordPolicy", "a", configuration=GOOD_PW), [], "COMPLIANT", ""),
    ("root-account-mfa-enabled", SUMMARY, [], "COMPLIANT", ""),
    ("root-account-mfa-enabled", ci("AWS::IAM::AccountSummary", "a", configuration={"summaryMap": {
        "AccountMFAEnabled": 0, "AccountAccessKeysPresent": 1}}), [], "NON_COMPLIANT", ""),
    ("iam-root-access-key-check", ci("AWS::IAM::AccountSummary", "a", configuration={"summaryMap": {
        "AccountMFAEnabled": 0, "AccountAccessKeysPresent": 1}}), [], "NON_COMPLIANT", ""),
    ("iam-user-mfa-enabled", ci("AWS::IAM::User", "u", configuration={"mfaDevices": []}), [], "NON_COMPLIANT", ""),
    ("iam-user-mfa-enabled", ci("AWS::IAM::User", "u", configuration={"mfaDevices": [{"serialNumber": "s"}]}), [],
     "COMPLIANT", ""),
    ("access-keys-rotated", ci("AWS::IAM::User", "u", configuration={"accessKeys": [
        {"accessKeyId": "AKIAOLD", "status": "Active", "createDate": OLD}]}), [], "NON_COMPLIANT", "AKIAOLD"),
    ("access-keys-rotated", ci("AWS::IAM::User", "u", configuration={"accessKeys": [
        {"accessKeyId": "AKIAOLD", "status": "Inactive", "createDate": OLD},
        {"accessKeyId": "AKIANEW", "status": "Active", "createDate": NEW}]}), [], "COMPLIANT", ""),
    ("cloudtrail-enabled", SUMMARY, [TRAIL_ON], "COMPLIANT", ""),
    ("cloudtrail-enabled", SUMMARY, [TRAIL_OFF], "NON_COMPLIANT", ""),
    ("cloudtrail-enabled", SUMMARY, [], "NON_COMPLIANT", ""),
    ("multi-region-cloudtrail-enabled", SUMMARY, [TRAIL_ON], "COMPLIANT", ""),
    ("cloud-trail-log-file-validation-enabled", TRAIL_OFF, [], "INSUFFICIENT_DATA", ""),
    ("cloud-trail-log-file-validation-enabled", TRAIL_ON, [], "COMPLIANT", ""),
    ("rds-storage-encrypted", ci("AWS::RDS::DBInstance", "db", configuration={"storageEncrypted": False}), [],
     "NON_COMPLIANT", ""),
    ("rds-instance-public-access-check", ci("AWS::RDS::DBInstance", "db", configuration={"publiclyAccessible": True}),
     [], "NON_COMPLIANT", ""),
    ("rds-instance-public-access-check", ci("AWS::RDS::DBInstance", "db", configuration={"publiclyAccessible": False}),
     [], "COMPLIANT", ""),
    ("cmk-backing-key-rotation-enabled", ci("AWS::KMS::Key", "k", configuration={
        "keyManager": "CUSTOMER", "keyState": "Enabled", "keySpec": "SYMMETRIC_DEFAULT",
        "keyRotationEnabled": False}), [], "NON_COMPLIANT", ""),
    ("cmk-backing-key-rotation-enabled", ci("AWS::KMS::Key", "k", configuration={
        "keyManager": "AWS", "keyState": "Enabled", "keyRotationEnabled": None}), [], "NOT_APPLICABLE", ""),
    ("ecs-task-definition-nonroot-user", taskdef(), [], "NON_COMPLIANT", "app"),
    ("ecs-task-definition-nonroot-user", taskdef(user="root"), [], "NON_COMPLIANT", "app"),
    ("ecs-task-definition-nonroot-user", taskdef(user="1000:1000"), [], "COMPLIANT", ""),
    ("ecs-containers-readonly-access", taskdef(readonlyRootFilesystem=True), [], "COMPLIANT", ""),
    ("ecs-containers-readonly-access", taskdef(), [], "NON_COMPLIANT", ""),
    ("ecs-containers-nonprivileged", taskdef(privileged=True), [], "NON_COMPLIANT", ""),
    ("ecs-containers-nonprivileged", taskdef(privileged=False), [], "COMPLIANT", ""),
    ("alb-http-to-https-redirection-check", lb(), [listener("HTTP", [{"type": "forward"}])], "NON_COMPLIANT", "80"),
    ("alb-http-to-https-redirection-check", lb(), [listener("HTTP", [
        {"type": "redirect", "redirectConfig": {"protocol": "HTTPS", "statusCode": "HTTP_301"}}]),
        listener("HTTPS", [{"type": "forward"}])], "COMPLIANT", ""),
    ("alb-waf-enabled", lb(WebACL=None, webAclAssociated=False), [], "NON_COMPLIANT", ""),
    ("alb-waf-enabled", lb(WebACL={"webACLArn": "arn:aws:wafv2:acl/baseline"}), [], "COMPLIANT", "baseline"),
    ("lambda-function-public-access-prohibited", ci("AWS::Lambda::Function", "f", supplementary={"Policy": json.dumps(
        {"Statement": [{"Sid": "pub", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction"}]})}),
     [], "NON_COMPLIANT", "pub"),
    ("lambda-function-public-access-prohibited", ci("AWS::Lambda::Function", "f", supplementary={"Policy": json.dumps(
        {"Statement": [{"Sid": "s3", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                        "Action": "lambda:InvokeFunction",
                        "Condition": {"StringEquals": {"AWS:SourceAccount": "123456789012"}}}]})}), [],
     "COMPLIANT", ""),
    ("required-tags", ci("AWS::EC2::Instance", "i", tags={"Name": "x"}), [], "NON_COMPLIANT", "Owner"),
    ("required-tags", ci("AWS::EC2::Instance", "i", tags={"Owner": "ops"}), [], "COMPLIANT", ""),
]


@pytest.mark.parametrize(("rule_id", "item", "related", "expected", "fragment"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule(rule_id, item, related, expected, fragment):
    rule = RULES.get(rule_id)
    assert item["resourceType"] in rule.meta.resource_types
    result = rule.evaluate(item, EvaluationContext([item], related=related))
    assert result.compliance_type == expected, result.annotation
    assert fragment in result.annotation


def test_at_least_30_aws_rules_including_every_rule_the_issue_names():
    named = {
        "restricted-ssh", "restricted-common-ports", "vpc-default-security-group-closed", "vpc-flow-logs-enabled",
        "s3-bucket-public-read-prohibited", "s3-bucket-public-write-prohibited",
        "s3-bucket-server-side-encryption-enabled", "s3-account-level-public-access-blocks", "iam-password-policy",
        "root-account-mfa-enabled", "iam-root-access-key-check", "iam-user-mfa-enabled", "access-keys-rotated",
        "cloudtrail-enabled", "cloud-trail-log-file-validation-enabled", "encrypted-volumes",
        "ec2-ebs-encryption-by-default", "rds-storage-encrypted", "rds-instance-public-access-check",
        "cmk-backing-key-rotation-enabled", "ecs-task-definition-nonroot-user", "ecs-containers-readonly-access",
        "ecs-containers-nonprivileged", "alb-http-to-https-redirection-check", "alb-waf-enabled",
        "lambda-function-public-access-prohibited", "required-tags",
    }
    aws = {rid for rid, r in RULES.items() if r.meta.provider == "aws"}
    assert named <= aws
    assert len(aws) >= 30
    tested = {c[0] for c in CASES}
    assert named <= tested


def test_required_tags_uses_tag_policy_when_given():
    rule = RULES.get("required-tags")
    params = rule.params.model_validate({"tags": {}, "policy": {"tags": {"costcenter": {
        "tag_key": {"@@assign": "CostCenter"}, "tag_value": {"@@assign": ["100", "200"]}}}}})
    item = ci("AWS::EC2::Instance", "i", tags={"costcenter": "999"})
    result = rule.evaluate(item, EvaluationContext([item]), params)
    assert result.compliance_type == "NON_COMPLIANT"


def test_rule_metadata_is_validated():
    from pydantic import ValidationError

    from assetguard.compliance.rule import RuleMeta

    with pytest.raises(ValidationError):
        RuleMeta(id="Bad Name", title="title here", severity="HIGH", resource_types=("AWS::S3::Bucket",),
                 trigger="both", risk="r" * 20, remediation="x" * 20)
    with pytest.raises(ValidationError):
        RuleMeta(id="ok-name", title="title here", severity="HIGH", resource_types=("AWS::S3::Bucket",),
                 trigger="both", kisa=("U1",), risk="r" * 20, remediation="x" * 20)
    for _, rule in RULES.items():
        assert rule.doc, f"{rule.id} has no docstring"
        if rule.meta.runbook:
            assert rule.meta.runbook
