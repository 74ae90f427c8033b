"""Tag editor: find, bulk apply/remove with dry-run preview, CSV round trip, AWS push via moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from assetguard.auth.principal import Principal
from assetguard.core.errors import ValidationError
from assetguard.inventory.service import InventoryService
from assetguard.runtime.platform import Platform
from assetguard.tagging.editor import TagEditor

OPS = Principal("ops", "operator")


def _asset(arn: str, rtype: str, tags: dict[str, str], region: str = "eu-west-1") -> dict[str, Any]:
    return {"resourceType": rtype, "resourceId": arn.rsplit("/", 1)[-1], "arn": arn, "awsRegion": region,
            "accountId": "123456789012", "tags": tags, "configuration": {}}


@pytest.fixture
def assets(platform: Platform) -> list[str]:
    items = [
        _asset("urn:assetguard:host:web-1", "AssetGuard::Host::Linux", {"Owner": "web"}, region="local"),
        _asset("urn:assetguard:host:db-1", "AssetGuard::Host::Linux", {}, region="local"),
        _asset("urn:assetguard:image:api", "AssetGuard::Container::Image", {"Team": "api", "Env": "prod"},
               region="local"),
    ]
    InventoryService(platform).apply_collection("test", items)
    return [i["arn"] for i in items]


def test_find_by_type_tag_and_missing(platform: Platform, assets: list[str]) -> None:
    editor = TagEditor(platform)
    assert [a["arn"] for a in editor.find(resource_type="AssetGuard::Host::Linux")] == sorted(assets[:2])
    assert {a["arn"] for a in editor.find(missing="Owner")} == {assets[1], assets[2]}
    assert [a["arn"] for a in editor.find(tag_key="Env", tag_value="prod")] == [assets[2]]


def test_dry_run_previews_and_writes_nothing(platform: Platform, assets: list[str]) -> None:
    editor = TagEditor(platform)
    changes = editor.apply(assets, set_tags={"Owner": "platform"}, remove=["Env"], actor=OPS, dry_run=True)
    by = {c.arn: c for c in changes}
    assert by[assets[0]].before == {"Owner": "web"} and by[assets[0]].after == {"Owner": "platform"}
    assert by[assets[2]].after == {"Team": "api", "Owner": "platform"}
    assert {c.status for c in changes} == {"planned"}
    assert InventoryService(platform).get(assets[0])["tags"] == {"Owner": "web"}


def test_apply_updates_inventory_history_and_audit(platform: Platform, assets: list[str]) -> None:
    changes = TagEditor(platform).apply(assets[:2], set_tags={"CostCenter": "42"}, actor=OPS)
    assert {c.status for c in changes} == {"applied"}
    inv = InventoryService(platform)
    assert inv.get(assets[1])["tags"] == {"CostCenter": "42"}
    history = inv.history(assets[1])
    assert len(history) == 2
    edits = platform.audit.query(action="tagging.edit")
    assert {e["resource"] for e in edits} == set(assets[:2])
    assert all(e["actor"] == "ops" for e in edits)
    assert platform.bus.recent(detail_type="Resource Tagged")[0]["detail"]["reason"] == "tag-editor"


def test_invalid_edit_changes_nothing(platform: Platform, assets: list[str]) -> None:
    with pytest.raises(ValidationError, match="reserved prefix"):
        TagEditor(platform).apply(assets, set_tags={"Owner": "x", "aws:foo": "y"}, actor=OPS)
    many = {f"k{i}": "v" for i in range(50)}
    with pytest.raises(ValidationError, match="51 tags") as info:
        TagEditor(platform).apply(assets, set_tags=many, actor=OPS)
    assert info.value.where == assets[0]
    assert InventoryService(platform).get(assets[0])["tags"] == {"Owner": "web"}


def test_csv_round_trip_and_errors_name_the_row(platform: Platform, assets: list[str]) -> None:
    editor = TagEditor(platform)
    text = editor.export_csv(editor.find())
    header, *rows = text.splitlines()
    assert header == "arn,resourceType,resourceName,awsRegion,accountId,tag:Env,tag:Owner,tag:Team"
    edited = text.replace("urn:assetguard:host:db-1,AssetGuard::Host::Linux,,local,123456789012,,,",
                          "urn:assetguard:host:db-1,AssetGuard::Host::Linux,,local,123456789012,,dba,")
    changes = editor.commit(editor.plan_csv(edited), actor=OPS)
    assert {c.arn: c.status for c in changes}[assets[1]] == "applied"
    assert InventoryService(platform).get(assets[1])["tags"] == {"Owner": "dba"}
    bad = header + "\n" + rows[0] + "\nurn:assetguard:host:web-1,AssetGuard::Host::Linux,,local,1,x\n"
    with pytest.raises(ValidationError) as info:
        editor.plan_csv(bad, where="tags.csv")
    assert info.value.where == "tags.csv:3"
    with pytest.raises(ValidationError) as info:
        editor.plan_csv(header + "\nurn:nope,,,,,,,\n", where="tags.csv")
    assert info.value.where == "tags.csv:2"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def test_aws_resources_are_changed_in_aws_too(platform: Platform, aws: None) -> None:
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    vol = ec2.create_volume(Size=8, AvailabilityZone="eu-west-1a", TagSpecifications=[
        {"ResourceType": "volume", "Tags": [{"Key": "Env", "Value": "dev"}]}])["VolumeId"]
    arn = f"arn:aws:ec2:eu-west-1:123456789012:volume/{vol}"
    InventoryService(platform).apply_collection("aws", [_asset(arn, "AWS::EC2::Volume", {"Env": "dev"})])
    from assetguard.tagging.taggers import BotoClients

    [change] = TagEditor(platform, clients=BotoClients()).apply([arn], set_tags={"Owner": "data"}, remove=["Env"],
                                                               actor=OPS)
    assert change.status == "applied", change.error
    tags = {t["Key"]: t["Value"] for t in ec2.describe_volumes(VolumeIds=[vol])["Volumes"][0].get("Tags", [])}
    assert tags == {"Owner": "data"}


def test_inventory_only_autotag_tags_the_inventory_copy(platform: Platform) -> None:
    from assetguard.tagging.autotag import AutoTagger
    from tests.tagging.corpus import CALLS, record

    s, n, q, r, arns = CALLS[1]  # CreateVolume vol-0123
    InventoryService(platform).apply_collection("snapshot", [_asset(arns[0], "AWS::EC2::Volume", {"Owner": "x"})])
    tagger = AutoTagger(platform, inventory_only=True)
    [result] = tagger.apply([tagger.plan(record(s, n, q, r))])
    assert result.status == "tagged"
    tags = InventoryService(platform).get(arns[0])["tags"]
    assert tags["CreatedBy"] == "alice" and tags["Owner"] == "x"
    missing = record(s, n, q, {"volumeId": "vol-nowhere"}, event_id="other")
    [gone] = tagger.apply([tagger.plan(missing)])
    assert gone.status == "failed" and gone.error == "not in the inventory"


def test_apply_to_aws_off_edits_only_the_inventory(platform: Platform) -> None:
    arn = "arn:aws:ec2:eu-west-1:123456789012:volume/vol-offline"
    InventoryService(platform).apply_collection("snapshot", [_asset(arn, "AWS::EC2::Volume", {})])

    class NoAws:
        def __call__(self, *_a: Any) -> Any:
            raise AssertionError("no AWS call expected")

    platform.settings.tagging.apply_to_aws = False
    [change] = TagEditor(platform, clients=NoAws()).apply([arn], set_tags={"Owner": "demo"}, actor=OPS)
    assert change.status == "applied"
    assert InventoryService(platform).get(arn)["tags"] == {"Owner": "demo"}
