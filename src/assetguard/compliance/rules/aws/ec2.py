"""EC2 and VPC rules: open ingress, default security groups, flow logs, EBS encryption, IMDSv2."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from assetguard.compliance.ci import as_list, get, key, truthy
from assetguard.compliance.context import EBS_DEFAULT, EvaluationContext
from assetguard.compliance.rule import NoParams, Result, compliance_rule

SG = "AWS::EC2::SecurityGroup"
WORLD = ("0.0.0.0/0", "::/0")


def _cidrs(perm: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for name, field in (("ipv4Ranges", "cidrIp"), ("ipRanges", "cidrIp"), ("ipv6Ranges", "cidrIpv6")):
        for entry in as_list(key(perm, name)):
            if isinstance(entry, str):
                out.append(entry)
            elif isinstance(entry, dict) and key(entry, field):
                out.append(str(key(entry, field)))
    return out


def world_open_ports(item: dict[str, Any], ports: tuple[int, ...]) -> list[tuple[int, str]]:
    """(port, cidr) pairs of ``ports`` reachable over TCP from anywhere through this group's ingress."""
    found: list[tuple[int, str]] = []
    for perm in as_list(get(item, "configuration", "ipPermissions")):
        if not isinstance(perm, dict):
            continue
        protocol = str(key(perm, "ipProtocol") or "").lower()
        if protocol not in ("tcp", "6", "-1", "all"):
            continue
        world = [c for c in _cidrs(perm) if c in WORLD]
        if not world:
            continue
        if protocol in ("-1", "all"):
            lo, hi = 0, 65535
        else:
            lo = key(perm, "fromPort")
            hi = key(perm, "toPort")
            lo = 0 if lo is None or lo == -1 else int(lo)
            hi = 65535 if hi is None or hi == -1 else int(hi)
        for port in ports:
            if lo <= port <= hi:
                found.extend((port, c) for c in world)
    return found


@compliance_rule(
    id="restricted-ssh", title="Security groups do not allow unrestricted incoming SSH (TCP 22)",
    severity="HIGH", resource_types=(SG,), trigger="on-change", cis=("5.2",), kisa=(), cce=(),
    risk="SSH reachable from the whole internet invites brute force and exploitation of sshd flaws.",
    remediation="Remove the 0.0.0.0/0 and ::/0 ingress rules for port 22; allow only known source ranges or use "
                "Session Manager.",
    runbook="revoke-open-ingress")
def restricted_ssh(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when an ingress rule admits TCP 22 (or all traffic) from 0.0.0.0/0 or ::/0."""
    open_ = world_open_ports(item, (22,))
    if open_:
        return Result.non_compliant(f"TCP 22 open to {', '.join(sorted({c for _, c in open_}))}")
    return Result.compliant("no unrestricted SSH ingress")


class CommonPorts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    blockedPorts: tuple[int, ...] = (20, 21, 3389, 3306, 4333)


@compliance_rule(
    id="restricted-common-ports", title="Security groups do not allow unrestricted access to high-risk ports",
    severity="HIGH", resource_types=(SG,), trigger="on-change", cis=("5.2",),
    risk="Database, RDP and FTP ports open to the world are scanned and attacked continuously.",
    remediation="Remove 0.0.0.0/0 and ::/0 ingress to the blocked ports (default 20, 21, 3389, 3306, 4333).",
    runbook="revoke-open-ingress", params=CommonPorts)
def restricted_common_ports(item: dict[str, Any], ctx: EvaluationContext, params: CommonPorts) -> Result:
    """NON_COMPLIANT when TCP ingress from anywhere reaches one of ``blockedPorts``."""
    open_ = world_open_ports(item, params.blockedPorts)
    if open_:
        ports = ", ".join(str(p) for p in sorted({p for p, _ in open_}))
        return Result.non_compliant(f"blocked port(s) {ports} open to the internet")
    return Result.compliant("no blocked port open to the internet")


@compliance_rule(
    id="vpc-default-security-group-closed", title="The default security group of every VPC allows no traffic",
    severity="MEDIUM", resource_types=(SG,), trigger="on-change", cis=("5.4",),
    risk="Resources launched without an explicit group land in the default group and inherit its openness.",
    remediation="Remove every inbound and outbound rule from the default security group.",
    runbook="remove-default-sg-rules")
def vpc_default_security_group_closed(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """Only default groups apply; NON_COMPLIANT when they have any inbound or outbound rule."""
    if get(item, "configuration", "groupName") != "default":
        return Result.not_applicable("not a default security group")
    inbound = as_list(get(item, "configuration", "ipPermissions"))
    outbound = as_list(get(item, "configuration", "ipPermissionsEgress"))
    if inbound or outbound:
        return Result.non_compliant(f"default group has {len(inbound)} inbound and {len(outbound)} outbound rule(s)")
    return Result.compliant("default group allows no traffic")


def _flow_logs_by_vpc(ctx: EvaluationContext) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for fl in ctx.of_type("AWS::EC2::FlowLog"):
        rid = get(fl, "configuration", "resourceId")
        if rid:
            out.setdefault(str(rid), []).append(fl.get("configuration") or {})
    return out


class FlowLogParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    trafficType: str | None = None


@compliance_rule(
    id="vpc-flow-logs-enabled", title="VPC flow logs are enabled", severity="MEDIUM",
    resource_types=("AWS::EC2::VPC",), trigger="periodic", cis=("3.9",),
    risk="Without flow logs there is no record of network traffic for incident investigation.",
    remediation="Create a flow log for the VPC delivering to CloudWatch Logs or S3.",
    runbook="enable-vpc-flow-logs", params=FlowLogParams)
def vpc_flow_logs_enabled(item: dict[str, Any], ctx: EvaluationContext, params: FlowLogParams) -> Result:
    """NON_COMPLIANT when no active flow log (of ``trafficType`` if given) targets the VPC."""
    vpc_id = get(item, "configuration", "vpcId") or item.get("resourceId")
    logs = list(as_list(get(item, "supplementaryConfiguration", "FlowLogs")))
    logs += ctx.memo("flowlogs", lambda: _flow_logs_by_vpc(ctx)).get(str(vpc_id), [])
    active = [fl for fl in logs if str(key(fl, "flowLogStatus") or "ACTIVE").upper() == "ACTIVE"
              and (params.trafficType is None or str(key(fl, "trafficType")).upper() == params.trafficType.upper())]
    if active:
        return Result.compliant(f"{len(active)} active flow log(s)")
    return Result.non_compliant("no active flow log for this VPC")


@compliance_rule(
    id="encrypted-volumes", title="Attached EBS volumes are encrypted", severity="MEDIUM",
    resource_types=("AWS::EC2::Volume",), trigger="on-change", cis=("2.2.1",),
    risk="Unencrypted volumes and their snapshots expose data at rest.",
    remediation="Copy the data to an encrypted volume (or snapshot, copy encrypted, restore) and swap it in.")
def encrypted_volumes(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """Only attached (in-use) volumes apply; NON_COMPLIANT when ``encrypted`` is false."""
    attachments = as_list(get(item, "configuration", "attachments"))
    state = str(get(item, "configuration", "state") or "").lower()
    if not attachments and state != "in-use":
        return Result.not_applicable("volume is not attached")
    enc = truthy(get(item, "configuration", "encrypted"))
    if enc is None:
        return Result.insufficient("configuration.encrypted not recorded")
    return Result.compliant("volume encrypted") if enc else Result.non_compliant("attached volume is not encrypted")


@compliance_rule(
    id="ec2-ebs-encryption-by-default", title="EBS encryption by default is enabled", severity="MEDIUM",
    resource_types=(EBS_DEFAULT,), trigger="periodic", cis=("2.2.1",),
    risk="New volumes are created unencrypted unless every launch remembers to ask for encryption.",
    remediation="Enable EBS encryption by default in every region (EC2 settings, or enable-ebs-encryption-by-default).",
    runbook="enable-ebs-encryption-by-default")
def ec2_ebs_encryption_by_default(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """The regional setting ``configuration.ebsEncryptionByDefault`` must be true."""
    value = truthy(get(item, "configuration", "ebsEncryptionByDefault"))
    if value is None:
        return Result.insufficient("EBS encryption-by-default setting not recorded")
    return Result.compliant("enabled") if value else Result.non_compliant("EBS encryption by default is disabled")


@compliance_rule(
    id="ec2-imdsv2-check", title="EC2 instances require IMDSv2", severity="HIGH",
    resource_types=("AWS::EC2::Instance",), trigger="on-change", cis=("5.6",),
    risk="IMDSv1 lets server-side request forgery read instance credentials.",
    remediation="Set the instance metadata options HttpTokens=required.")
def ec2_imdsv2_check(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when ``metadataOptions.httpTokens`` is not ``required``."""
    tokens = get(item, "configuration", "metadataOptions", "httpTokens")
    if tokens is None:
        return Result.insufficient("metadataOptions not recorded")
    return Result.compliant() if str(tokens) == "required" else Result.non_compliant(f"httpTokens is {tokens}")


@compliance_rule(
    id="ec2-instance-no-public-ip", title="EC2 instances have no public IPv4 address", severity="HIGH",
    resource_types=("AWS::EC2::Instance",), trigger="on-change",
    risk="A public address exposes every open port of the instance directly to the internet.",
    remediation="Launch instances in private subnets behind a load balancer or NAT; disable auto-assign public IP.")
def ec2_instance_no_public_ip(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when ``configuration.publicIpAddress`` is set."""
    ip = get(item, "configuration", "publicIpAddress")
    return Result.non_compliant(f"public IP {ip}") if ip else Result.compliant("no public IP")
