"""The auto-tagger against moto: real boto3 calls put real tags on real (mocked) resources."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from assetguard.auth.principal import SYSTEM
from assetguard.runtime.platform import Platform
from assetguard.tagging.autotag import AutoTagger
from assetguard.tagging.params import LocalParameterStore
from assetguard.tagging.taggers import BotoClients
from tests.tagging.corpus import record

REGION = "eu-west-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def test_tags_land_on_resources_of_each_tagger(platform: Platform, aws: None) -> None:
    LocalParameterStore(platform).put("/assetguard/tags/default/Owner", "platform", actor=SYSTEM)
    ec2 = boto3.client("ec2", region_name=REGION)
    account = boto3.client("sts", region_name=REGION).get_caller_identity()["Account"]
    image = ec2.describe_images()["Images"][0]["ImageId"]
    run = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)
    instance_id = run["Instances"][0]["InstanceId"]
    volume_id = ec2.create_volume(Size=8, AvailabilityZone=f"{REGION}a")["VolumeId"]
    topic_arn = boto3.client("sns", region_name=REGION).create_topic(Name="alerts")["TopicArn"]
    cluster_arn = boto3.client("ecs", region_name=REGION).create_cluster(clusterName="prod")["cluster"]["clusterArn"]
    boto3.client("logs", region_name=REGION).create_log_group(logGroupName="/ecs/api")
    user_arn = boto3.client("iam").create_user(UserName="ci")["User"]["Arn"]

    kw = {"recipientAccountId": account}
    records = [
        record("ec2.amazonaws.com", "RunInstances", {}, {"instancesSet": {"items": [{"instanceId": instance_id}]}},
               event_id="e1", **kw),
        record("ec2.amazonaws.com", "CreateVolume", {}, {"volumeId": volume_id}, event_id="e2", **kw),
        record("sns.amazonaws.com", "CreateTopic", {"name": "alerts"}, {"topicArn": topic_arn}, event_id="e3", **kw),
        record("ecs.amazonaws.com", "CreateCluster", {}, {"cluster": {"clusterArn": cluster_arn}}, event_id="e4", **kw),
        record("logs.amazonaws.com", "CreateLogGroup", {"logGroupName": "/ecs/api"}, None, event_id="e5", **kw),
        record("iam.amazonaws.com", "CreateUser", {}, {"user": {"arn": user_arn}}, event_id="e6",
               identity="AssumedRole", **kw),
    ]
    tagger = AutoTagger(platform, clients=BotoClients(marker="assetguard-autotag"))
    results = tagger.apply([tagger.plan(r) for r in records])
    assert {r.status for r in results} == {"tagged"}, [(r.arn, r.error) for r in results if r.error]

    inst_tags = {t["Key"]: t["Value"] for t in ec2.describe_instances(InstanceIds=[instance_id])
                 ["Reservations"][0]["Instances"][0].get("Tags", [])}
    assert inst_tags["Owner"] == "platform" and inst_tags["CreatedBy"] == "alice"
    assert inst_tags["CreatedAt"] == "2026-11-29T09:15:00Z"
    vol_tags = {t["Key"]: t["Value"] for t in ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]["Tags"]}
    assert vol_tags["Owner"] == "platform"
    sns_tags = {t["Key"]: t["Value"] for t in
                boto3.client("sns", region_name=REGION).list_tags_for_resource(ResourceArn=topic_arn)["Tags"]}
    assert sns_tags["CreatedBy"] == "alice"
    ecs_tags = {t["key"]: t["value"] for t in
                boto3.client("ecs", region_name=REGION).list_tags_for_resource(resourceArn=cluster_arn)["tags"]}
    assert ecs_tags["Owner"] == "platform"
    log_tags = boto3.client("logs", region_name=REGION).list_tags_log_group(logGroupName="/ecs/api")["tags"]
    assert log_tags["Owner"] == "platform"
    user_tags = {t["Key"]: t["Value"] for t in boto3.client("iam").list_user_tags(UserName="ci")["Tags"]}
    assert user_tags["CreatedBy"] == "DevOps/bob@example.com"


def test_existing_tags_are_kept_unless_configured(platform: Platform, aws: None) -> None:
    LocalParameterStore(platform).put("/assetguard/tags/default/Env", "dev", actor=SYSTEM)
    ec2 = boto3.client("ec2", region_name=REGION)
    vol = ec2.create_volume(Size=8, AvailabilityZone=f"{REGION}a",
                            TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Env", "Value": "prod"}]}])
    req = {"tagSpecificationSet": {"items": [{"resourceType": "volume", "tags": [{"key": "Env", "value": "prod"}]}]}}
    rec = record("ec2.amazonaws.com", "CreateVolume", req, {"volumeId": vol["VolumeId"]}, event_id="keep")
    tagger = AutoTagger(platform, clients=BotoClients())
    tagger.apply([tagger.plan(rec)])
    tags = {t["Key"]: t["Value"] for t in ec2.describe_volumes(VolumeIds=[vol["VolumeId"]])["Volumes"][0]["Tags"]}
    assert tags["Env"] == "prod" and tags["CreatedBy"] == "alice"
