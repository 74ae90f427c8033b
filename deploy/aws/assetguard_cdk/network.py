"""VPC with public and private subnets, one NAT gateway (so Fargate tasks can pull images such as the
ADOT collector), and VPC flow logs."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from assetguard_cdk.config import DeployConfig


class NetworkStack(Stack):
    def __init__(self, scope: Construct, cid: str, cfg: DeployConfig, **kwargs: object) -> None:
        super().__init__(scope, cid, **kwargs)
        flow_log_group = logs.LogGroup(self, "FlowLogs", retention=logs.RetentionDays.ONE_YEAR)
        self.vpc = ec2.Vpc(
            self, "Vpc", max_azs=2, nat_gateways=1,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22),
            ],
            flow_logs={"all": ec2.FlowLogOptions(
                destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_log_group),
                traffic_type=ec2.FlowLogTrafficType.ALL)},
        )
