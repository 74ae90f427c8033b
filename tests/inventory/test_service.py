"""InventoryService: create/update/delete, history, events, audit, scope, filters (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from assetguard.core.errors import NotFoundError, ValidationError
from assetguard.inventory.service import CollectionError, InventoryService


def sg(group_id: str, cidr: str = "10.0.0.0/8", region: str = "us-east-1", **tags: str) -> dict[str, Any]:
    return {
        "resourceType": "AWS::EC2::SecurityGroup", "resourceId": group_id, "resourceName": f"name-{group_id}",
        "arn": f"arn:aws:ec2:{region}:123456789012:security-group/{group_id}",
        "awsRegion": region, "accountId": "123456789012", "tags": tags,
        "configuration": {"groupId": group_id, "ipPermissions": [
            {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipv4Ranges": [{"cidrIp": cidr}]}]},
    }


def scope(region: str = "us-east-1") -> list[str]:
    return [f"123456789012|{region}|AWS::EC2::SecurityGroup"]


def changes(platform: Any) -> list[dict[str, Any]]:
    return [e for e in reversed(platform.bus.recent(detail_type="Asset Configuration Change", limit=1000))]


def test_create_update_delete_history_events_and_audit(platform: Any) -> None:
    inv = InventoryService(platform)
    first = inv.apply_collection("aws", [sg("sg-1"), sg("sg-2", env="prod")], scope())
    assert (first.created, first.updated, first.deleted, first.unchanged) == (2, 0, 0, 0)
    assert first.status == "COMPLETE"
    ci = inv.get("arn:aws:ec2:us-east-1:123456789012:security-group/sg-1")
    assert ci["configurationItemStatus"] == "ResourceDiscovered"
    assert ci["configurationStateId"] == "1"
    assert ci["configuration"]["ipPermissions"][0]["ipv4Ranges"][0]["cidrIp"] == "10.0.0.0/8"

    again = inv.apply_collection("aws", [sg("sg-1"), sg("sg-2", env="prod")], scope())
    assert (again.created, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 2)
    assert len(changes(platform)) == 2

    # sg-1 opens SSH to the world, sg-2 vanishes.
    third = inv.apply_collection("aws", [sg("sg-1", cidr="0.0.0.0/0")], scope())
    assert (third.created, third.updated, third.deleted, third.unchanged) == (0, 1, 1, 0)
    events = changes(platform)
    assert [(e["detail"]["changeType"], e["resources"]) for e in events[2:]] == sorted(
        [("UPDATE", ["arn:aws:ec2:us-east-1:123456789012:security-group/sg-1"]),
         ("DELETE", ["arn:aws:ec2:us-east-1:123456789012:security-group/sg-2"])], key=lambda x: x[0] != "UPDATE")
    update = events[2]
    assert update["source"] == "assetguard.inventory"
    assert update["account"] == "123456789012" and update["region"] == "us-east-1"
    assert update["detail"]["diff"]["changedProperties"] == {
        "configuration.ipPermissions[0].ipv4Ranges[0].cidrIp": {
            "previousValue": "10.0.0.0/8", "updatedValue": "0.0.0.0/0", "changeType": "UPDATE"}}
    assert update["detail"]["asset"]["configurationStateId"] == "2"

    gone = inv.get("arn:aws:ec2:us-east-1:123456789012:security-group/sg-2")
    assert gone["configurationItemStatus"] == "ResourceDeleted"
    assert gone["tags"] == {"env": "prod"}  # last known configuration kept, not erased
    assert [a["arn"] for a in inv.list_assets()] == ["arn:aws:ec2:us-east-1:123456789012:security-group/sg-1"]
    assert len(inv.list_assets(include_deleted=True)) == 2

    hist = inv.history("arn:aws:ec2:us-east-1:123456789012:security-group/sg-1")
    assert [(h["configurationStateId"], h["changeType"]) for h in hist] == [("2", "UPDATE"), ("1", "CREATE")]
    assert hist[1]["configurationItem"]["configuration"]["ipPermissions"][0]["ipv4Ranges"][0]["cidrIp"] == "10.0.0.0/8"
    hist2 = inv.history("arn:aws:ec2:us-east-1:123456789012:security-group/sg-2")
    assert [h["changeType"] for h in hist2] == ["DELETE", "CREATE"]

    audit = platform.audit.query(action="inventory.")
    actions = sorted(a["action"] for a in audit)
    assert actions.count("inventory.create") == 2
    assert actions.count("inventory.update") == 1
    assert actions.count("inventory.delete") == 1
    assert actions.count("inventory.collect") == 3
    assert platform.audit.verify().ok

    # It comes back: a CREATE with the next state id.
    back = inv.apply_collection("aws", [sg("sg-1", cidr="0.0.0.0/0"), sg("sg-2", env="prod")], scope())
    assert (back.created, back.unchanged) == (1, 1)
    assert inv.get("arn:aws:ec2:us-east-1:123456789012:security-group/sg-2")["configurationStateId"] == "3"


def test_scope_limits_deletion_and_partial_is_recorded(platform: Any) -> None:
    inv = InventoryService(platform)
    inv.apply_collection("aws", [sg("sg-1"), sg("sg-9", region="eu-west-1")], scope() + scope("eu-west-1"))
    # eu-west-1 failed this time: its assets are not in scope, so they are not deleted.
    err = CollectionError("123456789012/eu-west-1/ec2", "AccessDenied", "not authorized")
    summary = inv.apply_collection("aws", [sg("sg-1")], scope(), errors=[err])
    assert summary.status == "PARTIAL" and summary.deleted == 0
    assert inv.get("arn:aws:ec2:eu-west-1:123456789012:security-group/sg-9")["configurationItemStatus"] != "ResourceDeleted"
    runs = inv.collections()
    assert runs[0]["status"] == "PARTIAL"
    assert runs[0]["errors"] == [err.as_dict()]
    # No scope at all: additive, nothing deleted.
    assert inv.apply_collection("aws", [], None).deleted == 0


def test_filters(platform: Any) -> None:
    inv = InventoryService(platform)
    inv.apply_collection("aws", [sg("sg-1", env="prod"), sg("sg-2", env="dev"),
                                 sg("sg-3", region="eu-west-1", env="prod", team="a")], None)
    assert {a["resourceId"] for a in inv.list_assets(tag="env=prod")} == {"sg-1", "sg-3"}
    assert {a["resourceId"] for a in inv.list_assets(tag=["env=prod", "team"])} == {"sg-3"}
    assert {a["resourceId"] for a in inv.list_assets(region="eu-west-1")} == {"sg-3"}
    assert {a["resourceId"] for a in inv.list_assets("AWS::EC2::SecurityGroup", search="NAME-SG-2")} == {"sg-2"}
    assert inv.list_assets("AWS::S3::Bucket") == []
    assert len(inv.list_assets(limit=2)) == 2
    assert inv.count() == {"AWS::EC2::SecurityGroup": 3}
    with pytest.raises(ValidationError):
        inv.list_assets(colour="red")


def test_invalid_items_store_nothing(platform: Any) -> None:
    inv = InventoryService(platform)
    inv.apply_collection("aws", [sg("sg-1")], scope())
    bad = {"resourceType": "AWS::EC2::SecurityGroup", "arn": "arn:x"}  # no resourceId
    with pytest.raises(ValidationError, match=r"items\[1\]\.resourceId"):
        inv.apply_collection("aws", [sg("sg-2"), bad], scope())
    assert [a["resourceId"] for a in inv.list_assets()] == ["sg-1"]


def test_unknown_asset(platform: Any) -> None:
    inv = InventoryService(platform)
    with pytest.raises(NotFoundError):
        inv.get("arn:nope")
    with pytest.raises(NotFoundError):
        inv.history("arn:nope")


def test_explicitly_deleted_item(platform: Any) -> None:
    inv = InventoryService(platform)
    inv.apply_collection("snapshot", [sg("sg-1")], None)
    summary = inv.apply_collection("snapshot", [{**sg("sg-1"), "configurationItemStatus": "ResourceDeleted"}], None)
    assert summary.deleted == 1
    assert inv.get("arn:aws:ec2:us-east-1:123456789012:security-group/sg-1")["configurationItemStatus"] == "ResourceDeleted"


def test_concurrent_collections_do_not_conflict(platform: Any) -> None:
    import threading

    inv = InventoryService(platform)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            inv.apply_collection("aws", [sg(f"sg-{i}") for i in range(50)], scope())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(inv.list_assets()) == 50
    assert len(platform.bus.recent(detail_type="Asset Configuration Change", limit=1000)) == 50
