"""Network runbooks: revoke world-open SSH/RDP ingress, empty default security groups, VPC flow logs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assetguard.compliance.runbooks.base import NoParams, Runbook, RunbookEnv, RunbookOutput, runbooks
from assetguard.core.errors import ValidationError

WORLD = ("0.0.0.0/0", "::/0")


class OpenIngressParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ports: list[int] = Field(default_factory=lambda: [22, 3389, 20, 21, 3306, 4333])


def _group(env: RunbookEnv, item: dict[str, Any]) -> dict[str, Any]:
    ec2 = env.client("ec2", item.get("awsRegion"))
    return dict(ec2.describe_security_groups(GroupIds=[item["resourceId"]])["SecurityGroups"][0])


@runbooks.register("revoke-open-ingress")
class RevokeOpenIngress(Runbook):
    """Revoke ingress from 0.0.0.0/0 and ::/0 that reaches the listed ports (SSH, RDP, DB ...).

    Only the world-open ranges are removed; narrower ranges on the same ports stay.

    remediation: {rule: restricted-ssh, runbook: revoke-open-ingress, approval: auto}
    """

    name = "revoke-open-ingress"
    Params = OpenIngressParams
    permissions = ("ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupIngress")
    ssm_document = "AWS-DisablePublicAccessForSecurityGroup"
    resource_types = ("AWS::EC2::SecurityGroup",)

    def run(self, item: dict[str, Any], params: OpenIngressParams, env: RunbookEnv, dry_run: bool) -> RunbookOutput:
        group = _group(env, item)
        revoke = []
        for perm in group.get("IpPermissions", []):
            proto = str(perm.get("IpProtocol"))
            lo, hi = perm.get("FromPort", 0), perm.get("ToPort", 65535)
            if proto == "-1":
                lo, hi = 0, 65535
            elif proto not in ("tcp", "6"):
                continue
            if not any(lo <= p <= hi for p in params.ports):
                continue
            v4 = [r for r in perm.get("IpRanges", []) if r.get("CidrIp") in WORLD]
            v6 = [r for r in perm.get("Ipv6Ranges", []) if r.get("CidrIpv6") in WORLD]
            if not v4 and not v6:
                continue
            entry: dict[str, Any] = {"IpProtocol": proto, "IpRanges": [{"CidrIp": r["CidrIp"]} for r in v4],
                     "Ipv6Ranges": [{"CidrIpv6": r["CidrIpv6"]} for r in v6]}
            if proto != "-1":
                entry.update(FromPort=perm["FromPort"], ToPort=perm["ToPort"])
            revoke.append(entry)
        actions = [f"revoke {e['IpProtocol']} {e.get('FromPort', 'all')}-{e.get('ToPort', 'all')} from "
                   f"{', '.join([r['CidrIp'] for r in e['IpRanges']] + [r['CidrIpv6'] for r in e['Ipv6Ranges']])}"
                   for e in revoke]
        if revoke and not dry_run:
            env.client("ec2", item.get("awsRegion")).revoke_security_group_ingress(
                GroupId=item["resourceId"], IpPermissions=revoke)
        return RunbookOutput(bool(revoke), actions)

    def ssm_parameters(self, item: dict[str, Any], params: Any) -> dict[str, list[str]]:
        return {"GroupId": [item["resourceId"]]}


@runbooks.register("remove-default-sg-rules")
class RemoveDefaultSecurityGroupRules(Runbook):
    """Remove every inbound and outbound rule from a VPC's default security group.

    remediation: {rule: vpc-default-security-group-closed, runbook: remove-default-sg-rules, approval: manual}
    """

    name = "remove-default-sg-rules"
    permissions = ("ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress")
    ssm_document = "AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules"
    resource_types = ("AWS::EC2::SecurityGroup",)

    def run(self, item: dict[str, Any], params: NoParams, env: RunbookEnv, dry_run: bool) -> RunbookOutput:
        group = _group(env, item)
        if group.get("GroupName") != "default":
            raise ValidationError(f"{item['resourceId']} is not a default security group")
        inbound, outbound = group.get("IpPermissions", []), group.get("IpPermissionsEgress", [])
        actions = [f"revoke {len(inbound)} inbound rule(s)"] if inbound else []
        actions += [f"revoke {len(outbound)} outbound rule(s)"] if outbound else []
        if not dry_run:
            ec2 = env.client("ec2", item.get("awsRegion"))
            if inbound:
                ec2.revoke_security_group_ingress(GroupId=item["resourceId"], IpPermissions=inbound)
            if outbound:
                ec2.revoke_security_group_egress(GroupId=item["resourceId"], IpPermissions=outbound)
        return RunbookOutput(bool(actions), actions)

    def ssm_parameters(self, item: dict[str, Any], params: Any) -> dict[str, list[str]]:
        return {"GroupId": [item["resourceId"]]}


class FlowLogParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    traffic_type: str = Field("ALL", pattern="^(ACCEPT|REJECT|ALL)$")
    destination_type: str = Field("cloud-watch-logs", pattern="^(cloud-watch-logs|s3)$")
    log_group_name: str = "assetguard-vpc-flow-logs"
    deliver_logs_permission_arn: str | None = None
    s3_bucket_arn: str | None = None


@runbooks.register("enable-vpc-flow-logs")
class EnableVpcFlowLogs(Runbook):
    """Create a flow log for the VPC (CloudWatch Logs with a delivery role, or S3).

    remediation: {rule: vpc-flow-logs-enabled, runbook: enable-vpc-flow-logs, approval: auto,
                  parameters: {deliver_logs_permission_arn: "arn:aws:iam::123456789012:role/flow-logs"}}
    """

    name = "enable-vpc-flow-logs"
    Params = FlowLogParams
    permissions = ("ec2:DescribeFlowLogs", "ec2:CreateFlowLogs", "logs:CreateLogGroup", "iam:PassRole")
    ssm_document = "AWS-EnableVPCFlowLogs"
    resource_types = ("AWS::EC2::VPC",)
    refresh_types = ("AWS::EC2::FlowLog",)

    def run(self, item: dict[str, Any], params: FlowLogParams, env: RunbookEnv, dry_run: bool) -> RunbookOutput:
        vpc = item["resourceId"]
        ec2 = env.client("ec2", item.get("awsRegion"))
        existing = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"]
        if any(fl.get("FlowLogStatus", "ACTIVE") == "ACTIVE" for fl in existing):
            return RunbookOutput(False, [])
        kwargs: dict[str, Any] = {"ResourceIds": [vpc], "ResourceType": "VPC", "TrafficType": params.traffic_type,
                                  "LogDestinationType": params.destination_type}
        if params.destination_type == "s3":
            if not params.s3_bucket_arn:
                raise ValidationError("s3_bucket_arn is required for destination_type s3", where="parameters")
            kwargs["LogDestination"] = params.s3_bucket_arn
        else:
            if not params.deliver_logs_permission_arn:
                raise ValidationError("deliver_logs_permission_arn (an IAM role for flow-log delivery) is required",
                                      where="parameters")
            kwargs.update(LogGroupName=params.log_group_name,
                          DeliverLogsPermissionArn=params.deliver_logs_permission_arn)
        action = f"create {params.traffic_type} flow log for {vpc} to {params.destination_type}"
        if not dry_run:
            ec2.create_flow_logs(**kwargs)
        return RunbookOutput(True, [action])

    def ssm_parameters(self, item: dict[str, Any], params: Any) -> dict[str, list[str]]:
        out = {"VPCIds": [item["resourceId"]], "TrafficType": [params.traffic_type]}
        if params.deliver_logs_permission_arn:
            out["DeliverLogsPermissionArn"] = [params.deliver_logs_permission_arn]
        return out
