"""Configuration items in the inventory's AWS Config shape, for rule tests."""

from __future__ import annotations

from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"


def ci(rtype: str, rid: str, *, arn: str | None = None, configuration: dict[str, Any] | None = None,
       supplementary: dict[str, Any] | None = None, tags: dict[str, str] | None = None,
       region: str = REGION) -> dict[str, Any]:
    return {"resourceType": rtype, "resourceId": rid, "arn": arn or f"arn:aws:test:{region}:{ACCOUNT}:{rid}",
            "resourceName": rid, "awsRegion": region, "accountId": ACCOUNT, "tags": tags or {},
            "configuration": configuration or {}, "supplementaryConfiguration": supplementary or {},
            "relationships": [], "configurationItemStatus": "OK"}


def sg(rid: str, ingress: list[dict[str, Any]], *, name: str = "web", egress: list[dict[str, Any]] | None = None):
    return ci("AWS::EC2::SecurityGroup", rid, configuration={"groupId": rid, "groupName": name,
                                                              "ipPermissions": ingress,
                                                              "ipPermissionsEgress": egress or []})


def perm(port: int | None, cidr: str = "0.0.0.0/0", protocol: str = "tcp", to: int | None = None) -> dict[str, Any]:
    p: dict[str, Any] = {"ipProtocol": protocol, "ipv4Ranges": [], "ipRanges": [], "ipv6Ranges": []}
    if port is not None:
        p["fromPort"], p["toPort"] = port, to if to is not None else port
    if ":" in cidr:
        p["ipv6Ranges"] = [{"cidrIpv6": cidr}]
    else:
        p["ipv4Ranges"] = [{"cidrIp": cidr}]
        p["ipRanges"] = [cidr]
    return p
