"""The console Assets page: list and filters, detail with relationships, packages and diff."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient

from assetguard.inventory.service import InventoryService
from tests.inventory.test_service import scope, sg


def _seed(platform: Any) -> InventoryService:
    inv = InventoryService(platform)
    vpc = {"resourceType": "AWS::EC2::VPC", "resourceId": "vpc-1", "arn": "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1",
           "awsRegion": "us-east-1", "accountId": "123456789012", "configuration": {"vpcId": "vpc-1"}}
    first = sg("sg-1", env="prod")
    first["relationships"] = [{"resourceType": "AWS::EC2::VPC", "resourceId": "vpc-1",
                               "relationshipName": "Is contained in Vpc"}]
    inv.apply_collection("aws", [first, sg("sg-2", region="eu-west-1"), vpc], None)
    changed = sg("sg-1", cidr="0.0.0.0/0", env="prod")
    changed["relationships"] = first["relationships"]
    inv.apply_collection("aws", [changed], scope())
    inv.apply_collection("host", [{"resourceType": "AssetGuard::Host::Linux", "resourceId": "m1",
                                   "arn": "urn:assetguard:host:m1", "resourceName": "web-1",
                                   "configuration": {"packages": [
                                       {"name": "openssl", "version": "3.0.11", "ecosystem": "Debian:12",
                                        "purl": "pkg:deb/debian/openssl@3.0.11", "source": None, "location": "/x"},
                                       {"name": "zlib1g", "version": "1.2", "ecosystem": "Debian:12", "purl": None,
                                        "source": {"name": "zlib", "version": "1.2"}, "location": "/x"}]}}],
                         ["urn:assetguard:host:m1"])
    return inv


def test_list_and_filters(client: TestClient, platform: Any, console_login: Callable[[str], str]) -> None:
    _seed(platform)
    assert client.get("/console/assets", follow_redirects=False).status_code in (302, 303, 307)
    console_login("viewer")
    page = client.get("/console/assets")
    assert page.status_code == 200
    for name in ("name-sg-1", "name-sg-2", "web-1"):
        assert name in page.text
    assert 'data-type="AWS::EC2::SecurityGroup"' in page.text
    only = client.get("/console/assets", params={"tag": "env=prod"}).text
    assert "name-sg-1" in only and "name-sg-2" not in only and "web-1" not in only
    region = client.get("/console/assets", params={"region": "eu-west-1"}).text
    assert "name-sg-2" in region and "name-sg-1" not in region
    typed = client.get("/console/assets", params={"type": "AssetGuard::Host::Linux"}).text
    assert "web-1" in typed and "name-sg-1" not in typed
    assert "No assets match" in client.get("/console/assets", params={"search": "zzz"}).text


def test_detail_relationships_packages_and_side_by_side_diff(client: TestClient, platform: Any,
                                                             console_login: Callable[[str], str]) -> None:
    _seed(platform)
    console_login("viewer")
    arn = "arn:aws:ec2:us-east-1:123456789012:security-group/sg-1"
    page = client.get(f"/console/assets/view?arn={quote(arn)}")
    assert page.status_code == 200
    html = page.text
    assert 'data-state="2"' in html and 'data-state="1"' in html
    assert 'data-path="configuration.ipPermissions[0].ipv4Ranges[0].cidrIp"' in html
    row = html.split('data-path="configuration.ipPermissions[0].ipv4Ranges[0].cidrIp"')[1].split("</tr>")[0]
    assert row.index("10.0.0.0/8") < row.index("0.0.0.0/0")  # before on the left, after on the right
    assert "Is contained in Vpc" in html and quote("arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1") in html
    first = client.get(f"/console/assets/view?arn={quote(arn)}&state=1").text
    assert "First version" in first

    host = client.get("/console/assets/view?arn=urn:assetguard:host:m1").text
    assert "openssl" in host and "zlib1g" in host and "pkg:deb/debian/openssl@3.0.11" in host
    filtered = client.get("/console/assets/view", params={"arn": "urn:assetguard:host:m1", "pkg": "zlib"}).text
    assert "zlib1g" in filtered and "pkg:deb/debian/openssl" not in filtered
    assert client.get("/console/assets/view?arn=urn:nope").status_code == 404
