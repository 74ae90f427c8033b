"""The demo story's data: a small AWS account with misconfigurations (as an AWS Config snapshot),
a day of CloudTrail create calls in it, and daily cost for the current month.

Shapes follow ``docs/inventory-shapes.md`` (AWS Config's configuration items) and CloudTrail's
record format, so the same loaders that read real files read these.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"
VPC = "vpc-0demo0001"


def _ci(rtype: str, rid: str, arn: str, config: dict[str, Any], *, name: str | None = None,
        region: str = REGION, tags: dict[str, str] | None = None, supplementary: dict[str, Any] | None = None,
        relationships: list[dict[str, Any]] | None = None, when: str) -> dict[str, Any]:
    """One item as AWS Config writes it into a snapshot file (``ARN``, ``awsAccountId``)."""
    return {"configurationItemVersion": "1.3", "configurationItemCaptureTime": when, "configurationStateId": 1,
            "awsAccountId": ACCOUNT, "configurationItemStatus": "OK", "resourceType": rtype, "resourceId": rid,
            "resourceName": name or rid, "ARN": arn, "awsRegion": region, "availabilityZone": None,
            "tags": tags or {}, "relationships": relationships or [], "configuration": config,
            "supplementaryConfiguration": supplementary or {}}


def _sg(gid: str, name: str, rules: list[tuple[str, int | None, int | None, list[str]]], when: str,
        tags: dict[str, str] | None = None) -> dict[str, Any]:
    perms = [{"ipProtocol": proto, "fromPort": lo, "toPort": hi, "ipv4Ranges": [{"cidrIp": c} for c in cidrs],
              "ipRanges": list(cidrs), "ipv6Ranges": [], "prefixListIds": [], "userIdGroupPairs": []}
             for proto, lo, hi, cidrs in rules]
    return _ci("AWS::EC2::SecurityGroup", gid, f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{gid}",
               {"groupId": gid, "groupName": name, "description": name, "vpcId": VPC, "ownerId": ACCOUNT,
                "ipPermissions": perms,
                "ipPermissionsEgress": [{"ipProtocol": "-1", "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}],
                                         "ipRanges": ["0.0.0.0/0"], "ipv6Ranges": [], "prefixListIds": [],
                                         "userIdGroupPairs": []}]},
               name=name, tags=tags, when=when,
               relationships=[{"resourceType": "AWS::EC2::VPC", "resourceId": VPC, "relationshipName": "Is contained in Vpc"}])


def aws_config_snapshot(now: datetime | None = None) -> dict[str, Any]:
    """A snapshot of one account with the misconfigurations the baseline pack looks for."""
    now = now or datetime.now(UTC)
    when = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    old_key = (now - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    new_key = (now - timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    a = f"{REGION}:{ACCOUNT}"
    items = [
        _ci("AWS::EC2::VPC", VPC, f"arn:aws:ec2:{a}:vpc/{VPC}", {"vpcId": VPC, "cidrBlock": "10.20.0.0/16",
            "isDefault": False, "state": "available"}, name="prod", tags={"Name": "prod"}, when=when),
        _ci("AWS::EC2::Subnet", "subnet-0demo0001", f"arn:aws:ec2:{a}:subnet/subnet-0demo0001",
            {"subnetId": "subnet-0demo0001", "vpcId": VPC, "cidrBlock": "10.20.1.0/24",
             "availabilityZone": "us-east-1a", "mapPublicIpOnLaunch": True}, when=when),
        _sg("sg-0demossh", "ssh-open", [("tcp", 22, 22, ["0.0.0.0/0"])], when, {"Owner": "ops"}),
        _sg("sg-0demords", "rdp-open", [("tcp", 3389, 3389, ["0.0.0.0/0"])], when),
        _sg("sg-0demoweb", "web", [("tcp", 443, 443, ["0.0.0.0/0"])], when, {"Owner": "web", "CostCenter": "100"}),
        _sg("sg-0demodef", "default", [("-1", None, None, ["10.20.0.0/16"])], when),
        _ci("AWS::EC2::Instance", "i-0demo00000000001", f"arn:aws:ec2:{a}:instance/i-0demo00000000001",
            {"instanceId": "i-0demo00000000001", "imageId": "ami-0demo", "instanceType": "t3.small",
             "state": {"name": "running"}, "vpcId": VPC, "subnetId": "subnet-0demo0001",
             "publicIpAddress": "203.0.113.10", "securityGroups": [{"groupId": "sg-0demossh"}],
             "metadataOptions": {"httpTokens": "optional"},
             "blockDeviceMappings": [{"ebs": {"volumeId": "vol-0demo0001"}}]},
            name="web-1", tags={"Name": "web-1"}, when=when),
        _ci("AWS::EC2::Volume", "vol-0demo0001", f"arn:aws:ec2:{a}:volume/vol-0demo0001",
            {"volumeId": "vol-0demo0001", "size": 20, "volumeType": "gp3", "encrypted": False, "state": "in-use",
             "attachments": [{"instanceId": "i-0demo00000000001"}]}, when=when),
        _ci("AWS::EC2::Volume", "vol-0demo0002", f"arn:aws:ec2:{a}:volume/vol-0demo0002",
            {"volumeId": "vol-0demo0002", "size": 50, "volumeType": "gp3", "encrypted": True,
             "kmsKeyId": f"arn:aws:kms:{a}:key/demo", "state": "available", "attachments": []},
            tags={"Owner": "data"}, when=when),
        _ci("AWS::EC2::EBSEncryptionByDefault", f"{ACCOUNT}-{REGION}",
            f"arn:aws:ec2:{a}:ebs-encryption-by-default/{ACCOUNT}-{REGION}", {"ebsEncryptionByDefault": False},
            when=when),
        _ci("AWS::S3::Bucket", "acme-public-assets", "arn:aws:s3:::acme-public-assets",
            {"name": "acme-public-assets", "creationDate": "2025-03-01T10:00:00Z"},
            supplementary={"PublicAccessBlockConfiguration": None, "ServerSideEncryptionConfiguration": None,
                           "BucketPolicy": {"policyText": json.dumps({"Version": "2012-10-17", "Statement": [
                               {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                "Resource": "arn:aws:s3:::acme-public-assets/*"}]})},
                           "BucketPolicyStatus": {"isPublic": True},
                           "BucketVersioningConfiguration": {"status": "Off"},
                           "BucketLoggingConfiguration": {"destinationBucketName": None, "logFilePrefix": None},
                           "AccessControlList": {"grantList": [{"grantee": "AllUsers", "permission": "Read"}]}},
            when=when),
        _ci("AWS::S3::Bucket", "acme-backups", "arn:aws:s3:::acme-backups",
            {"name": "acme-backups", "creationDate": "2024-06-01T10:00:00Z"}, tags={"Owner": "data"},
            supplementary={"PublicAccessBlockConfiguration": {"blockPublicAcls": True, "ignorePublicAcls": True,
                                                              "blockPublicPolicy": True, "restrictPublicBuckets": True},
                           "ServerSideEncryptionConfiguration": {"rules": [{"applyServerSideEncryptionByDefault":
                                                                            {"sseAlgorithm": "aws:kms"}}]},
                           "BucketPolicy": {"policyText": None}, "BucketPolicyStatus": {"isPublic": False},
                           "BucketVersioningConfiguration": {"status": "Enabled"},
                           "BucketLoggingConfiguration": {"destinationBucketName": "acme-logs", "logFilePrefix": "b/"}},
            when=when),
        _ci("AWS::S3::AccountPublicAccessBlock", ACCOUNT, f"arn:aws:s3::{ACCOUNT}:account-public-access-block",
            {"blockPublicAcls": False, "ignorePublicAcls": False, "blockPublicPolicy": False,
             "restrictPublicBuckets": False, "configured": False}, region="global", when=when),
        _ci("AWS::IAM::User", "AIDADEMO0001", f"arn:aws:iam::{ACCOUNT}:user/legacy-deploy",
            {"userName": "legacy-deploy", "userId": "AIDADEMO0001", "path": "/",
             "arn": f"arn:aws:iam::{ACCOUNT}:user/legacy-deploy", "createDate": "2024-01-10T09:00:00Z",
             "mfaDevices": [], "passwordEnabled": True,
             "accessKeys": [{"accessKeyId": "AKIADEMO0001", "status": "Active", "createDate": old_key}],
             "attachedManagedPolicies": [{"policyName": "AdministratorAccess",
                                          "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]},
            name="legacy-deploy", region="global", when=when),
        _ci("AWS::IAM::User", "AIDADEMO0002", f"arn:aws:iam::{ACCOUNT}:user/alice",
            {"userName": "alice", "userId": "AIDADEMO0002", "path": "/", "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
             "createDate": "2025-05-10T09:00:00Z", "passwordEnabled": True,
             "mfaDevices": [{"serialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/alice", "enableDate": "2025-05-10T09:05:00Z"}],
             "accessKeys": [{"accessKeyId": "AKIADEMO0002", "status": "Active", "createDate": new_key}]},
            name="alice", region="global", tags={"Owner": "alice"}, when=when),
        _ci("AWS::IAM::AccountPasswordPolicy", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:account-password-policy",
            {"passwordPolicyPresent": True, "minimumPasswordLength": 8, "requireSymbols": False,
             "requireNumbers": True, "requireUppercaseCharacters": False, "requireLowercaseCharacters": True,
             "allowUsersToChangePassword": True, "maxPasswordAge": 0, "passwordReusePrevention": 0,
             "expirePasswords": False}, region="global", when=when),
        _ci("AWS::IAM::AccountSummary", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:account-summary",
            {"rootMfaEnabled": False, "rootAccessKeysPresent": True,
             "summaryMap": {"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 1, "Users": 2}},
            region="global", when=when),
        _ci("AWS::RDS::DBInstance", "db-DEMO0001", f"arn:aws:rds:{a}:db:orders",
            {"dBInstanceIdentifier": "orders", "dBInstanceClass": "db.t3.medium", "engine": "postgres",
             "engineVersion": "15.4", "publiclyAccessible": True, "storageEncrypted": False, "multiAZ": False,
             "backupRetentionPeriod": 1, "deletionProtection": False, "iAMDatabaseAuthenticationEnabled": False,
             "autoMinorVersionUpgrade": True}, name="orders", when=when),
        _ci("AWS::CloudTrail::Trail", "main", f"arn:aws:cloudtrail:{a}:trail/main",
            {"name": "main", "s3BucketName": "acme-trail", "isMultiRegionTrail": True,
             "includeGlobalServiceEvents": True, "logFileValidationEnabled": False,
             "trailARN": f"arn:aws:cloudtrail:{a}:trail/main"},
            supplementary={"TrailStatus": {"isLogging": True}}, when=when),
        _ci("AWS::KMS::Key", "1234abcd-demo", f"arn:aws:kms:{a}:key/1234abcd-demo",
            {"keyId": "1234abcd-demo", "arn": f"arn:aws:kms:{a}:key/1234abcd-demo", "keyManager": "CUSTOMER",
             "keyState": "Enabled", "keyUsage": "ENCRYPT_DECRYPT", "keySpec": "SYMMETRIC_DEFAULT", "enabled": True,
             "origin": "AWS_KMS", "keyRotationEnabled": False}, when=when),
        _ci("AWS::ECS::TaskDefinition", "api:3", f"arn:aws:ecs:{a}:task-definition/api:3",
            {"family": "api", "revision": 3, "networkMode": "awsvpc",
             "containerDefinitions": [{"name": "api", "image": "acme/api:1.4", "privileged": True,
                                       "readonlyRootFilesystem": False, "user": None}]}, when=when),
        _ci("AWS::ElasticLoadBalancingV2::LoadBalancer", "web-alb",
            f"arn:aws:elasticloadbalancing:{a}:loadbalancer/app/web-alb/50dc6c495c0c9188",
            {"loadBalancerName": "web-alb", "type": "application", "scheme": "internet-facing", "vpcId": VPC,
             "securityGroups": ["sg-0demoweb"]},
            supplementary={"LoadBalancerAttributes": [{"key": "routing.http.drop_invalid_header_fields.enabled",
                                                       "value": "false"}], "WebACL": None, "webAclAssociated": False},
            when=when),
        _ci("AWS::ElasticLoadBalancingV2::Listener", "listener-http",
            f"arn:aws:elasticloadbalancing:{a}:listener/app/web-alb/50dc6c495c0c9188/f2f7dc8efc522ab2",
            {"listenerArn": f"arn:aws:elasticloadbalancing:{a}:listener/app/web-alb/50dc6c495c0c9188/f2f7dc8efc522ab2",
             "loadBalancerArn": f"arn:aws:elasticloadbalancing:{a}:loadbalancer/app/web-alb/50dc6c495c0c9188",
             "protocol": "HTTP", "port": 80, "defaultActions": [{"type": "forward"}]}, when=when),
        _ci("AWS::Lambda::Function", "resize", f"arn:aws:lambda:{a}:function:resize",
            {"functionName": "resize", "runtime": "python3.12", "role": f"arn:aws:iam::{ACCOUNT}:role/lambda",
             "handler": "app.handler", "timeout": 30, "memorySize": 256},
            supplementary={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction",
                 "Resource": f"arn:aws:lambda:{a}:function:resize"}]})}, when=when),
    ]
    for vol in ("vol-0auto0001", "vol-0auto0002"):  # created during the demo CloudTrail day
        items.append(_ci("AWS::EC2::Volume", vol, f"arn:aws:ec2:{a}:volume/{vol}",
                         {"volumeId": vol, "size": 8, "volumeType": "gp3", "encrypted": True, "state": "available",
                          "attachments": []}, when=when))
    return {"fileVersion": "1.0", "configSnapshotId": "demo-0001", "configurationItems": items}


def cloudtrail_day(day: date, *, count: int = 120, seed: int = 11) -> dict[str, Any]:
    """A day of CloudTrail management events in the demo account; about one in six is a create."""
    rng = random.Random(seed)
    users = ["alice", "bob", "ci-deploy"]
    records = []
    for i in range(count):
        t = datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC) + timedelta(minutes=4 * i)
        user = users[i % 3]
        ident = {"type": "IAMUser", "userName": user, "accountId": ACCOUNT, "principalId": f"AIDA{user.upper()}",
                 "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}"}
        base = {"eventVersion": "1.09", "userIdentity": ident, "eventTime": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "awsRegion": REGION, "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2.17",
                "eventID": f"demo-{day.isoformat()}-{i:04d}", "recipientAccountId": ACCOUNT,
                "eventType": "AwsApiCall", "managementEvent": True}
        kind = i % 6
        if kind == 0:
            vol = f"vol-0auto{(i // 6) % 2 + 1:04d}"
            records.append({**base, "eventSource": "ec2.amazonaws.com", "eventName": "CreateVolume",
                            "readOnly": False, "requestParameters": {"size": 8, "zone": "us-east-1a"},
                            "responseElements": {"volumeId": vol, "size": "8"}})
        elif kind == 1 and rng.random() < 0.3:
            records.append({**base, "eventSource": "ec2.amazonaws.com", "eventName": "CreateVolume",
                            "readOnly": False, "errorCode": "Client.UnauthorizedOperation",
                            "errorMessage": "You are not authorized", "requestParameters": {"size": 100}})
        else:
            name = rng.choice(["DescribeInstances", "DescribeVolumes", "ListBuckets", "GetCallerIdentity"])
            records.append({**base, "eventSource": "ec2.amazonaws.com", "eventName": name, "readOnly": True,
                            "requestParameters": None, "responseElements": None})
    return {"Records": records}
