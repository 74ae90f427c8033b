"""Build a moto account across two regions holding every resource type the aws collector reads,
including misconfigured ones. Returns the ids the tests check."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any

import boto3

ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1")
OLD_KEY_DATE = datetime(2020, 1, 1, tzinfo=UTC)


def _lambda_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


def build_account() -> dict[str, Any]:
    ids: dict[str, Any] = {}
    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName="app-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]
    policy = iam.create_policy(PolicyName="ReadOnlyAccess", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}))
    iam.attach_role_policy(RoleName="app-role", PolicyArn=policy["Policy"]["Arn"])
    ids["role_arn"] = role["Arn"]
    iam.create_user(UserName="nomfa")
    key = iam.create_access_key(UserName="nomfa")["AccessKey"]
    ids["old_key"] = key["AccessKeyId"]
    iam.create_login_profile(UserName="nomfa", Password="Xx-very-long-passw0rd!")
    iam.create_user(UserName="withmfa", Tags=[{"Key": "team", "Value": "sec"}])
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="withmfa")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="withmfa", SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="654321")
    ids["mfa_serial"] = serial
    iam.update_account_password_policy(MinimumPasswordLength=8, RequireSymbols=False, MaxPasswordAge=90)
    # moto stamps keys "now"; age this one so rules can see an old key.
    from moto.iam.models import iam_backends

    iam_backends[ACCOUNT]["global"].users["nomfa"].access_keys[0].create_date = OLD_KEY_DATE

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="public-bucket")
    s3.put_bucket_policy(Bucket="public-bucket", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                "Resource": "arn:aws:s3:::public-bucket/*"}]}))
    s3.create_bucket(Bucket="log-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.create_bucket(Bucket="private-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_public_access_block(Bucket="private-bucket", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_encryption(Bucket="private-bucket", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/aws/s3"}}]})
    s3.put_bucket_versioning(Bucket="private-bucket", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_acl(Bucket="log-bucket", GrantWrite="uri=http://acs.amazonaws.com/groups/s3/LogDelivery",
                      GrantReadACP="uri=http://acs.amazonaws.com/groups/s3/LogDelivery")
    s3.put_bucket_logging(Bucket="private-bucket", BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": "log-bucket", "TargetPrefix": "private/"}})
    s3.put_bucket_tagging(Bucket="private-bucket", Tagging={"TagSet": [{"Key": "env", "Value": "prod"}]})
    boto3.client("s3control", region_name="us-east-1").put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration={"BlockPublicAcls": True, "IgnorePublicAcls": False,
                                                           "BlockPublicPolicy": True, "RestrictPublicBuckets": False})

    for region in REGIONS:
        r: dict[str, Any] = {}
        ec2 = boto3.client("ec2", region_name=region)
        vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": f"main-{region}"}]}])["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24", AvailabilityZone=f"{region}a")["Subnet"]
        subnet2 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.2.0/24", AvailabilityZone=f"{region}b")["Subnet"]
        sg = ec2.create_security_group(GroupName="ssh-open", Description="ssh from anywhere", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        image = ec2.register_image(Name=f"img-{region}", RootDeviceName="/dev/sda1")["ImageId"]
        inst = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                 SubnetId=subnet["SubnetId"], SecurityGroupIds=[sg],
                                 TagSpecifications=[{"ResourceType": "instance",
                                                     "Tags": [{"Key": "env", "Value": "prod"}]}])["Instances"][0]
        plain = ec2.create_volume(AvailabilityZone=f"{region}a", Size=8, Encrypted=False)["VolumeId"]
        secure = ec2.create_volume(AvailabilityZone=f"{region}a", Size=8, Encrypted=True)["VolumeId"]
        snap = ec2.create_snapshot(VolumeId=plain, Description="backup")["SnapshotId"]
        flow = ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                                    LogDestinationType="s3", LogDestination="arn:aws:s3:::log-bucket")["FlowLogIds"][0]
        r.update(vpc=vpc, subnet=subnet["SubnetId"], sg=sg, instance=inst["InstanceId"], plain_volume=plain,
                 secure_volume=secure, snapshot=snap, flow_log=flow)

        rds = boto3.client("rds", region_name=region)
        db = rds.create_db_instance(DBInstanceIdentifier=f"db-{region}", DBInstanceClass="db.t3.micro",
                                    Engine="postgres", MasterUsername="admin", MasterUserPassword="Sup3r-secret-pw",
                                    AllocatedStorage=20, PubliclyAccessible=True, StorageEncrypted=False)
        r["db_arn"] = db["DBInstance"]["DBInstanceArn"]

        ecs = boto3.client("ecs", region_name=region)
        cluster = ecs.create_cluster(clusterName="web")["cluster"]["clusterArn"]
        td = ecs.register_task_definition(family="web", containerDefinitions=[
            {"name": "app", "image": "nginx:1.25", "memory": 256, "privileged": True}])["taskDefinition"]
        ecs.create_service(cluster="web", serviceName="web-svc", taskDefinition="web", desiredCount=1)
        r.update(cluster_arn=cluster, task_definition_arn=td["taskDefinitionArn"])

        elb = boto3.client("elbv2", region_name=region)
        lb = elb.create_load_balancer(Name=f"alb-{region[:2]}", Subnets=[subnet["SubnetId"], subnet2["SubnetId"]],
                                      SecurityGroups=[sg], Type="application")["LoadBalancers"][0]
        tg = elb.create_target_group(Name="tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
        listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                       DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
        r.update(lb_arn=lb["LoadBalancerArn"], listener_arn=listener["Listeners"][0]["ListenerArn"])
        if region == "us-east-1":
            waf = boto3.client("wafv2", region_name=region)
            acl = waf.create_web_acl(Name="baseline", Scope="REGIONAL", DefaultAction={"Block": {}},
                                     VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                                                       "MetricName": "baseline"}, Rules=[])["Summary"]
            waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=lb["LoadBalancerArn"])
            r["web_acl_arn"] = acl["ARN"]

        lam = boto3.client("lambda", region_name=region)
        fn = lam.create_function(FunctionName="handler", Runtime="python3.12", Role=role["Arn"],
                                 Handler="handler.handler", Code={"ZipFile": _lambda_zip()},
                                 Environment={"Variables": {"DB_PASSWORD": "hunter2"}})
        lam.add_permission(FunctionName="handler", StatementId="public", Action="lambda:InvokeFunction",
                           Principal="*")
        r["function_arn"] = fn["FunctionArn"]

        ct = boto3.client("cloudtrail", region_name=region)
        trail = ct.create_trail(Name=f"trail-{region}", S3BucketName="log-bucket",
                                IsMultiRegionTrail=region == "us-east-1")
        if region == "us-east-1":
            ct.start_logging(Name=trail["TrailARN"])
        r["trail_arn"] = trail["TrailARN"]

        kms = boto3.client("kms", region_name=region)
        key_id = kms.create_key(Description="data")["KeyMetadata"]["KeyId"]
        if region == "us-east-1":
            kms.enable_key_rotation(KeyId=key_id)
        r["key_id"] = key_id

        ecr = boto3.client("ecr", region_name=region)
        repo = ecr.create_repository(repositoryName="app")["repository"]
        ecr.put_image(repositoryName="app", imageTag="v1", imageManifest=json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                       "digest": "sha256:" + "a" * 64}, "layers": []}))
        r["repo_arn"] = repo["repositoryArn"]
        ids[region] = r
    return ids
