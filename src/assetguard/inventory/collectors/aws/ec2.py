"""EC2 resources: instances, security groups, VPCs, subnets, volumes, snapshots, EBS default
encryption, VPC flow logs. Shapes follow AWS Config (see ``docs/inventory-shapes.md``)."""

from __future__ import annotations

from typing import Any

from assetguard.inventory.collectors.aws.session import AwsContext, paginate
from assetguard.inventory.collectors.aws.shape import camel, item, relation, tag_dict

PERMISSIONS = (
    "ec2:DescribeInstances", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs", "ec2:DescribeSubnets",
    "ec2:DescribeVolumes", "ec2:DescribeSnapshots", "ec2:GetEbsEncryptionByDefault", "ec2:GetEbsDefaultKmsKeyId",
    "ec2:DescribeFlowLogs",
)


def _arn(ctx: AwsContext, kind: str, rid: str) -> str:
    return f"arn:{ctx.partition}:ec2:{ctx.region}:{ctx.account_id}:{kind}/{rid}"


def _name(tags: dict[str, str]) -> str | None:
    return tags.get("Name")


def instances(ctx: AwsContext) -> list[dict[str, Any]]:
    ec2 = ctx.client("ec2")
    out = []
    for reservation in paginate(ec2, "describe_instances", "Reservations"):
        for raw in reservation.get("Instances", []):
            tags = tag_dict(raw.get("Tags"))
            rels = []
            if raw.get("VpcId"):
                rels.append(relation("AWS::EC2::VPC", raw["VpcId"], "Is contained in Vpc"))
            if raw.get("SubnetId"):
                rels.append(relation("AWS::EC2::Subnet", raw["SubnetId"], "Is contained in Subnet"))
            rels += [relation("AWS::EC2::SecurityGroup", g["GroupId"], "Is associated with SecurityGroup")
                     for g in raw.get("SecurityGroups", [])]
            rels += [relation("AWS::EC2::Volume", m["Ebs"]["VolumeId"], "Is attached to Volume")
                     for m in raw.get("BlockDeviceMappings", []) if m.get("Ebs", {}).get("VolumeId")]
            out.append(item(ctx, "AWS::EC2::Instance", raw["InstanceId"], _arn(ctx, "instance", raw["InstanceId"]),
                            name=_name(tags), configuration=camel(raw), tags=tags, relationships=rels,
                            availability_zone=raw.get("Placement", {}).get("AvailabilityZone"),
                            created=raw.get("LaunchTime")))
    return out


def _permissions(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """AWS Config's ipPermissions: ``ipv4Ranges`` objects plus the legacy ``ipRanges`` string list."""
    out = []
    for rule in rules:
        entry = camel({k: v for k, v in rule.items() if k not in ("IpRanges", "Ipv6Ranges")})
        entry["ipv4Ranges"] = camel(rule.get("IpRanges", []))
        entry["ipRanges"] = [r["CidrIp"] for r in rule.get("IpRanges", [])]
        entry["ipv6Ranges"] = camel(rule.get("Ipv6Ranges", []))
        entry.setdefault("prefixListIds", [])
        entry.setdefault("userIdGroupPairs", [])
        out.append(entry)
    return out


def security_groups(ctx: AwsContext) -> list[dict[str, Any]]:
    out = []
    for raw in paginate(ctx.client("ec2"), "describe_security_groups", "SecurityGroups"):
        tags = tag_dict(raw.get("Tags"))
        config = camel({k: v for k, v in raw.items() if k not in ("IpPermissions", "IpPermissionsEgress")})
        config["ipPermissions"] = _permissions(raw.get("IpPermissions", []))
        config["ipPermissionsEgress"] = _permissions(raw.get("IpPermissionsEgress", []))
        rels = [relation("AWS::EC2::VPC", raw["VpcId"], "Is contained in Vpc")] if raw.get("VpcId") else []
        out.append(item(ctx, "AWS::EC2::SecurityGroup", raw["GroupId"], _arn(ctx, "security-group", raw["GroupId"]),
                        name=raw.get("GroupName"), configuration=config, tags=tags, relationships=rels))
    return out


def vpcs(ctx: AwsContext) -> list[dict[str, Any]]:
    out = []
    for raw in paginate(ctx.client("ec2"), "describe_vpcs", "Vpcs"):
        tags = tag_dict(raw.get("Tags"))
        out.append(item(ctx, "AWS::EC2::VPC", raw["VpcId"], _arn(ctx, "vpc", raw["VpcId"]), name=_name(tags),
                        configuration=camel(raw), tags=tags))
    return out


def subnets(ctx: AwsContext) -> list[dict[str, Any]]:
    out = []
    for raw in paginate(ctx.client("ec2"), "describe_subnets", "Subnets"):
        tags = tag_dict(raw.get("Tags"))
        out.append(item(ctx, "AWS::EC2::Subnet", raw["SubnetId"], raw.get("SubnetArn") or _arn(ctx, "subnet", raw["SubnetId"]),
                        name=_name(tags), configuration=camel(raw), tags=tags,
                        relationships=[relation("AWS::EC2::VPC", raw.get("VpcId"), "Is contained in Vpc")],
                        availability_zone=raw.get("AvailabilityZone")))
    return out


def volumes(ctx: AwsContext) -> list[dict[str, Any]]:
    out = []
    for raw in paginate(ctx.client("ec2"), "describe_volumes", "Volumes"):
        tags = tag_dict(raw.get("Tags"))
        rels = [relation("AWS::EC2::Instance", a["InstanceId"], "Is attached to Instance")
                for a in raw.get("Attachments", []) if a.get("InstanceId")]
        out.append(item(ctx, "AWS::EC2::Volume", raw["VolumeId"], _arn(ctx, "volume", raw["VolumeId"]),
                        name=_name(tags), configuration=camel(raw), tags=tags, relationships=rels,
                        availability_zone=raw.get("AvailabilityZone"), created=raw.get("CreateTime")))
    return out


def snapshots(ctx: AwsContext) -> list[dict[str, Any]]:
    out = []
    for raw in paginate(ctx.client("ec2"), "describe_snapshots", "Snapshots", OwnerIds=["self"]):
        tags = tag_dict(raw.get("Tags"))
        attrs = ctx.client("ec2").describe_snapshot_attribute(SnapshotId=raw["SnapshotId"],
                                                              Attribute="createVolumePermission")
        perms = camel(attrs.get("CreateVolumePermissions", []))
        out.append(item(ctx, "AWS::EC2::Snapshot", raw["SnapshotId"],
                        f"arn:{ctx.partition}:ec2:{ctx.region}::snapshot/{raw['SnapshotId']}", name=_name(tags),
                        configuration=camel(raw), tags=tags,
                        supplementary={"CreateVolumePermissions": perms,
                                       "isPublic": any(p.get("group") == "all" for p in perms)},
                        relationships=[relation("AWS::EC2::Volume", raw.get("VolumeId"), "Is associated with Volume")],
                        created=raw.get("StartTime")))
    return out


def ebs_default_encryption(ctx: AwsContext) -> list[dict[str, Any]]:
    ec2 = ctx.client("ec2")
    enabled = bool(ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"])
    # The default key only matters while encryption by default is on.
    key = ec2.get_ebs_default_kms_key_id().get("KmsKeyId") if enabled else None
    rid = f"{ctx.account_id}-{ctx.region}"
    return [item(ctx, "AWS::EC2::EBSEncryptionByDefault", rid, _arn(ctx, "ebs-encryption-by-default", rid),
                 configuration={"ebsEncryptionByDefault": enabled, "kmsKeyId": key})]


def flow_logs(ctx: AwsContext) -> list[dict[str, Any]]:
    out = []
    for raw in paginate(ctx.client("ec2"), "describe_flow_logs", "FlowLogs"):
        tags = tag_dict(raw.get("Tags"))
        target = raw.get("ResourceId", "")
        rtype = "AWS::EC2::VPC" if target.startswith("vpc-") else "AWS::EC2::Subnet" if target.startswith("subnet-") \
            else "AWS::EC2::NetworkInterface"
        out.append(item(ctx, "AWS::EC2::FlowLog", raw["FlowLogId"], _arn(ctx, "vpc-flow-log", raw["FlowLogId"]),
                        name=_name(tags), configuration=camel(raw), tags=tags,
                        relationships=[relation(rtype, target, "Is associated with " + rtype.rsplit(":", 1)[-1])],
                        created=raw.get("CreationTime")))
    return out
