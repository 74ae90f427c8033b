"""The aws collector against a moto account in two regions, checked field by field, stored twice
with a change in between, and with a denied service."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from assetguard.inventory.collectors.aws.collector import AwsCollector, AwsCollectorConfig
from assetguard.inventory.runner import run_collection
from assetguard.inventory.service import InventoryService
from tests.inventory.aws_account import ACCOUNT, OLD_KEY_DATE, REGIONS, build_account


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield build_account()


def by_arn(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["arn"]: i for i in items}


def test_collects_every_resource_type_field_by_field(aws: dict[str, Any]) -> None:
    result = AwsCollector().collect(AwsCollectorConfig(regions=list(REGIONS)))
    assert result.errors == []
    items = by_arn(result.items)
    types = Counter(i["resourceType"] for i in result.items)
    for rtype in ("AWS::EC2::Instance", "AWS::EC2::SecurityGroup", "AWS::EC2::VPC", "AWS::EC2::Subnet",
                  "AWS::EC2::Volume", "AWS::EC2::Snapshot", "AWS::EC2::EBSEncryptionByDefault", "AWS::EC2::FlowLog",
                  "AWS::RDS::DBInstance", "AWS::ECS::Cluster", "AWS::ECS::Service", "AWS::ECS::TaskDefinition",
                  "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::Listener",
                  "AWS::Lambda::Function", "AWS::CloudTrail::Trail", "AWS::KMS::Key", "AWS::ECR::Repository"):
        assert types[rtype] >= 2, rtype  # one per region at least
    assert types["AWS::S3::Bucket"] == 3
    assert types["AWS::IAM::User"] == 2
    assert types["AWS::IAM::AccountPasswordPolicy"] == types["AWS::IAM::AccountSummary"] == 1
    assert types["AWS::S3::AccountPublicAccessBlock"] == 1

    for region in REGIONS:
        r = aws[region]
        sg = items[f"arn:aws:ec2:{region}:{ACCOUNT}:security-group/{r['sg']}"]
        assert sg["accountId"] == ACCOUNT and sg["awsRegion"] == region and sg["resourceName"] == "ssh-open"
        perm = sg["configuration"]["ipPermissions"][0]
        assert (perm["ipProtocol"], perm["fromPort"], perm["toPort"]) == ("tcp", 22, 22)
        assert perm["ipv4Ranges"] == [{"cidrIp": "0.0.0.0/0"}] and perm["ipRanges"] == ["0.0.0.0/0"]
        assert {"resourceType": "AWS::EC2::VPC", "resourceId": r["vpc"], "resourceName": None,
                "relationshipName": "Is contained in Vpc"} in sg["relationships"]

        inst = items[f"arn:aws:ec2:{region}:{ACCOUNT}:instance/{r['instance']}"]
        assert inst["configuration"]["instanceType"] == "t3.micro"
        assert inst["configuration"]["securityGroups"][0]["groupId"] == r["sg"]
        assert inst["tags"] == {"env": "prod"}
        assert inst["availabilityZone"] == f"{region}a"
        assert {rel["resourceId"] for rel in inst["relationships"]} >= {r["vpc"], r["subnet"], r["sg"]}

        plain = items[f"arn:aws:ec2:{region}:{ACCOUNT}:volume/{r['plain_volume']}"]
        assert plain["configuration"]["encrypted"] is False and plain["configuration"]["size"] == 8
        assert items[f"arn:aws:ec2:{region}:{ACCOUNT}:volume/{r['secure_volume']}"]["configuration"]["encrypted"] is True
        snap = items[f"arn:aws:ec2:{region}::snapshot/{r['snapshot']}"]
        assert snap["configuration"]["volumeId"] == r["plain_volume"]
        assert snap["supplementaryConfiguration"]["isPublic"] is False
        ebs = items[f"arn:aws:ec2:{region}:{ACCOUNT}:ebs-encryption-by-default/{ACCOUNT}-{region}"]
        assert ebs["configuration"] == {"ebsEncryptionByDefault": False, "kmsKeyId": None}
        flow = items[f"arn:aws:ec2:{region}:{ACCOUNT}:vpc-flow-log/{r['flow_log']}"]
        assert flow["configuration"]["resourceId"] == r["vpc"]
        assert flow["configuration"]["logDestination"] == "arn:aws:s3:::log-bucket"
        vpc = items[f"arn:aws:ec2:{region}:{ACCOUNT}:vpc/{r['vpc']}"]
        assert vpc["resourceName"] == f"main-{region}" and vpc["configuration"]["cidrBlock"] == "10.1.0.0/16"

        db = items[r["db_arn"]]
        assert db["resourceType"] == "AWS::RDS::DBInstance" and db["resourceName"] == f"db-{region}"
        assert db["configuration"]["dBInstanceIdentifier"] == f"db-{region}"
        assert db["configuration"]["publiclyAccessible"] is True
        assert db["configuration"]["storageEncrypted"] is False
        assert "masterUserPassword" not in db["configuration"]

        cluster = items[r["cluster_arn"]]
        assert cluster["configuration"]["clusterName"] == "web"
        td = items[r["task_definition_arn"]]
        assert td["resourceId"] == "web:1"
        assert td["configuration"]["containerDefinitions"][0]["privileged"] is True
        svc = [i for i in result.items if i["resourceType"] == "AWS::ECS::Service" and i["awsRegion"] == region][0]
        assert svc["configuration"]["serviceName"] == "web-svc"

        lb = items[r["lb_arn"]]
        assert lb["configuration"]["type"] == "application"
        assert lb["supplementaryConfiguration"]["webAclAssociated"] is (region == "us-east-1")
        if region == "us-east-1":
            assert lb["supplementaryConfiguration"]["WebACL"]["webACLArn"] == r["web_acl_arn"]
        listener = items[r["listener_arn"]]
        assert (listener["configuration"]["protocol"], listener["configuration"]["port"]) == ("HTTP", 80)
        assert listener["relationships"][0]["resourceId"] == r["lb_arn"]

        fn = items[r["function_arn"]]
        assert fn["configuration"]["runtime"] == "python3.12"
        assert fn["configuration"]["environment"] == {"variables": ["DB_PASSWORD"]}
        assert "hunter2" not in str(fn)
        policy = fn["supplementaryConfiguration"]["Policy"]
        assert '"Principal":"*"' in policy.replace(" ", "") or '"Principal":{"AWS":"*"}' in policy.replace(" ", "")

        trail = items[r["trail_arn"]]
        assert trail["configuration"]["s3BucketName"] == "log-bucket"
        assert trail["configuration"]["isMultiRegionTrail"] is (region == "us-east-1")
        assert trail["supplementaryConfiguration"]["TrailStatus"]["isLogging"] is (region == "us-east-1")

        key = [i for i in result.items if i["resourceType"] == "AWS::KMS::Key" and i["resourceId"] == r["key_id"]][0]
        assert key["configuration"]["keyManager"] == "CUSTOMER"
        assert key["configuration"]["keyRotationEnabled"] is (region == "us-east-1")

        repo = items[r["repo_arn"]]
        assert repo["configuration"]["repositoryName"] == "app"
        assert repo["configuration"]["images"][0]["imageTags"] == ["v1"]

    public = items["arn:aws:s3:::public-bucket"]
    sup = public["supplementaryConfiguration"]
    assert public["awsRegion"] == "us-east-1"
    assert sup["PublicAccessBlockConfiguration"] is None
    assert sup["ServerSideEncryptionConfiguration"] is None
    assert sup["BucketPolicyStatus"] == {"isPublic": True}
    assert '"Principal": "*"' in sup["BucketPolicy"]["policyText"] or '"Principal":"*"' in sup["BucketPolicy"]["policyText"]
    assert sup["BucketVersioningConfiguration"]["status"] == "Off"
    private = items["arn:aws:s3:::private-bucket"]
    sup = private["supplementaryConfiguration"]
    assert private["awsRegion"] == "eu-west-1" and private["tags"] == {"env": "prod"}
    assert sup["PublicAccessBlockConfiguration"] == {"blockPublicAcls": True, "ignorePublicAcls": True,
                                                     "blockPublicPolicy": True, "restrictPublicBuckets": True}
    assert sup["ServerSideEncryptionConfiguration"]["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms", "kmsMasterKeyID": "alias/aws/s3"}
    assert sup["BucketVersioningConfiguration"]["status"] == "Enabled"
    assert sup["BucketLoggingConfiguration"] == {"destinationBucketName": "log-bucket", "logFilePrefix": "private/"}
    assert sup["BucketPolicyStatus"] == {"isPublic": False}
    account_pab = items[f"arn:aws:s3::{ACCOUNT}:account-public-access-block"]["configuration"]
    assert account_pab["blockPublicAcls"] is True and account_pab["restrictPublicBuckets"] is False

    nomfa = items[f"arn:aws:iam::{ACCOUNT}:user/nomfa"]
    assert nomfa["awsRegion"] == "global"
    assert nomfa["configuration"]["mfaDevices"] == []
    assert nomfa["configuration"]["passwordEnabled"] is True
    assert nomfa["configuration"]["accessKeys"][0]["accessKeyId"] == aws["old_key"]
    assert nomfa["configuration"]["accessKeys"][0]["createDate"].startswith(OLD_KEY_DATE.strftime("%Y-%m-%d"))
    withmfa = items[f"arn:aws:iam::{ACCOUNT}:user/withmfa"]
    assert [d["serialNumber"] for d in withmfa["configuration"]["mfaDevices"]] == [aws["mfa_serial"]]
    assert withmfa["tags"] == {"team": "sec"}
    role = items[aws["role_arn"]]
    assert role["configuration"]["assumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"}
    assert role["configuration"]["attachedManagedPolicies"][0]["policyName"] == "ReadOnlyAccess"
    pp = items[f"arn:aws:iam::{ACCOUNT}:account-password-policy"]["configuration"]
    assert pp["minimumPasswordLength"] == 8 and pp["requireSymbols"] is False and pp["passwordPolicyPresent"] is True
    summary = items[f"arn:aws:iam::{ACCOUNT}:account-summary"]["configuration"]
    assert summary["rootMfaEnabled"] is False and summary["rootAccessKeysPresent"] is False
    assert summary["summaryMap"]["Users"] == 2


def test_two_runs_with_a_change_produce_exact_history_and_events(aws: dict[str, Any], platform: Any) -> None:
    import boto3

    options = {"regions": list(REGIONS)}
    inv = InventoryService(platform)
    first = run_collection(platform, "aws", options)
    assert first.status == "COMPLETE" and first.updated == first.deleted == 0
    assert first.created == len(inv.list_assets())
    n_events = len(platform.bus.recent(detail_type="Asset Configuration Change", limit=10000))
    assert n_events == first.created

    r = aws["us-east-1"]
    ec2 = boto3.client("ec2", region_name="us-east-1")
    ec2.revoke_security_group_ingress(GroupId=r["sg"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.authorize_security_group_ingress(GroupId=r["sg"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    ec2.delete_volume(VolumeId=r["plain_volume"])
    new_volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=4, Encrypted=True)["VolumeId"]

    second = run_collection(platform, "aws", options)
    sg_arn = f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{r['sg']}"
    gone = f"arn:aws:ec2:us-east-1:{ACCOUNT}:volume/{r['plain_volume']}"
    new = f"arn:aws:ec2:us-east-1:{ACCOUNT}:volume/{new_volume}"
    assert sorted(second.changes) == sorted([("UPDATE", sg_arn), ("DELETE", gone), ("CREATE", new)])
    assert (second.created, second.updated, second.deleted) == (1, 1, 1)

    events = platform.bus.recent(detail_type="Asset Configuration Change", limit=10000)
    assert len(events) == n_events + 3
    latest = {e["resources"][0]: e["detail"] for e in events[:3]}
    assert latest[sg_arn]["changeType"] == "UPDATE"
    assert latest[sg_arn]["diff"]["changedProperties"] == {
        "configuration.ipPermissions[0].ipv4Ranges[0].cidrIp": {
            "previousValue": "0.0.0.0/0", "updatedValue": "10.0.0.0/8", "changeType": "UPDATE"},
        "configuration.ipPermissions[0].ipRanges[0]": {
            "previousValue": "0.0.0.0/0", "updatedValue": "10.0.0.0/8", "changeType": "UPDATE"}}
    assert latest[gone]["changeType"] == "DELETE"
    assert latest[gone]["asset"]["configurationItemStatus"] == "ResourceDeleted"
    assert latest[new]["changeType"] == "CREATE"
    assert [h["changeType"] for h in inv.history(sg_arn)] == ["UPDATE", "CREATE"]
    assert [h["changeType"] for h in inv.history(gone)] == ["DELETE", "CREATE"]
    assert inv.get(gone)["configurationItemStatus"] == "ResourceDeleted"


def test_denied_service_is_a_partial_result(aws: dict[str, Any], platform: Any) -> None:
    import botocore.client

    real = botocore.client.BaseClient._make_api_call

    def deny_s3(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "s3" and operation == "ListBuckets":
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized to s3:ListAllMyBuckets"}},
                              operation)
        return real(self, operation, params)

    inv = InventoryService(platform)
    run_collection(platform, "aws", {"regions": list(REGIONS)})
    assert len(inv.list_assets("AWS::S3::Bucket")) == 3
    with mock.patch.object(botocore.client.BaseClient, "_make_api_call", deny_s3):
        summary = run_collection(platform, "aws", {"regions": list(REGIONS)})
    assert summary.status == "PARTIAL"
    assert [(e.where, e.code) for e in summary.errors] == [(f"{ACCOUNT}/us-east-1/s3.buckets", "AccessDenied")]
    assert summary.deleted == 0  # buckets were not seen, but not deleted either
    assert len(inv.list_assets("AWS::S3::Bucket")) == 3
    assert len(inv.list_assets("AWS::EC2::SecurityGroup")) > 0
    assert inv.collections()[0]["status"] == "PARTIAL"


def test_assumed_role_accounts_and_endpoint_env(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    other = "111111111111"
    # moto serves an assumed role's calls from the role's own account.
    with mock.patch.dict("os.environ", {"MOTO_ACCOUNT_ID": other}):
        boto3.client("iam", region_name="us-east-1").create_role(
            RoleName="assetguard-inventory", AssumeRolePolicyDocument="{}")
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="other-account-bucket")
    config = AwsCollectorConfig(regions=["us-east-1"], services=["s3.buckets", "iam.account-summary"], accounts=[
        {"account_id": other, "role_arn": f"arn:aws:iam::{other}:role/assetguard-inventory"},
        {"account_id": ACCOUNT},
    ])
    result = AwsCollector().collect(config)
    assert result.errors == []
    buckets = {(i["accountId"], i["resourceId"]) for i in result.items if i["resourceType"] == "AWS::S3::Bucket"}
    assert (other, "other-account-bucket") in buckets
    assert (ACCOUNT, "public-bucket") in buckets and (other, "public-bucket") not in buckets
    assert {f"{other}||AWS::S3::Bucket", f"{ACCOUNT}||AWS::S3::Bucket",
            f"{other}|global|AWS::IAM::AccountSummary"} <= result.scope

    # a role that cannot be assumed is a partial result naming the account
    bad = AwsCollectorConfig(regions=["us-east-1"], services=["iam.account-summary"], accounts=[
        {"account_id": "222222222222", "role_arn": "not-an-arn"}, {"account_id": ACCOUNT}])
    partial = AwsCollector().collect(bad)
    assert [e.where for e in partial.errors] == ["222222222222"]
    assert [i["accountId"] for i in partial.items] == [ACCOUNT]

    # AWS_ENDPOINT_URL is honoured by botocore: pointing it at nothing makes every service fail, not crash.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    down = AwsCollector().collect(AwsCollectorConfig(regions=["us-east-1"], services=["ec2.vpcs"]))
    assert down.items == [] and len(down.errors) == 1 and "127.0.0.1:9" in down.errors[0].message
