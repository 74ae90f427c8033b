"""Amazon Managed Prometheus and Amazon Managed Grafana, with the dashboards of deploy/observability
uploaded next to them for provisioning."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_aps as aps
from aws_cdk import aws_grafana as grafana
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from assetguard_cdk.config import DeployConfig
from assetguard_cdk.grafana_provisioner import HANDLER

DASHBOARDS = Path(__file__).resolve().parents[2] / "observability" / "grafana" / "dashboards"


class ObservabilityStack(Stack):
    def __init__(self, scope: Construct, cid: str, cfg: DeployConfig, **kwargs: object) -> None:
        super().__init__(scope, cid, **kwargs)
        self.workspace = aps.CfnWorkspace(self, "Prometheus", alias="assetguard")
        self.remote_write_url = f"{self.workspace.attr_prometheus_endpoint}api/v1/remote_write"
        role = iam.Role(self, "GrafanaRole", assumed_by=iam.ServicePrincipal("grafana.amazonaws.com"))
        role.add_to_policy(iam.PolicyStatement(actions=["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels",
                                                        "aps:GetMetricMetadata", "aps:ListWorkspaces",
                                                        "aps:DescribeWorkspace"], resources=["*"]))
        role.add_to_policy(iam.PolicyStatement(actions=["xray:BatchGetTraces", "xray:GetTraceSummaries",
                                                        "xray:GetTraceGraph", "xray:GetGroups",
                                                        "xray:GetTimeSeriesServiceStatistics",
                                                        "xray:GetInsightSummaries", "xray:GetServiceGraph"],
                                               resources=["*"]))
        workspace = grafana.CfnWorkspace(self, "Grafana", account_access_type="CURRENT_ACCOUNT",
                                         authentication_providers=["AWS_SSO"], permission_type="SERVICE_MANAGED",
                                         data_sources=["PROMETHEUS", "XRAY"], role_arn=role.role_arn,
                                         name="assetguard")
        bucket = s3.Bucket(self, "Dashboards", encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True,
                           block_public_access=s3.BlockPublicAccess.BLOCK_ALL, versioned=True,
                           removal_policy=RemovalPolicy.RETAIN)
        files = s3deploy.BucketDeployment(self, "DashboardFiles", destination_bucket=bucket,
                                          sources=[s3deploy.Source.asset(str(DASHBOARDS))],
                                          destination_key_prefix="grafana/")
        # Provision the workspace: the AMP datasource and every dashboard, on each deploy.
        provisioner = lambda_.Function(self, "GrafanaProvisioner", runtime=lambda_.Runtime.PYTHON_3_12,
                                       handler="index.handler", code=lambda_.Code.from_inline(HANDLER),
                                       timeout=Duration.minutes(2))
        provisioner.add_to_role_policy(iam.PolicyStatement(
            actions=["grafana:DescribeWorkspace", "grafana:CreateWorkspaceApiKey", "grafana:DeleteWorkspaceApiKey"],
            resources=[self.format_arn(service="grafana", resource="/workspaces", resource_name=workspace.attr_id)]))
        bucket.grant_read(provisioner)
        dashboards = sorted(f"grafana/{p.name}" for p in DASHBOARDS.glob("*.json"))
        provisioned = CustomResource(self, "GrafanaDashboards", service_token=provisioner.function_arn,
                                     resource_type="Custom::GrafanaDashboards",
                                     properties={"WorkspaceId": workspace.attr_id, "Bucket": bucket.bucket_name,
                                                 "Dashboards": dashboards, "Region": self.region,
                                                 "PrometheusUrl": self.workspace.attr_prometheus_endpoint,
                                                 "Version": str(sum(p.stat().st_size for p in DASHBOARDS.glob("*.json")))})
        provisioned.node.add_dependency(files)
        CfnOutput(self, "RemoteWriteUrl", value=self.remote_write_url)
        CfnOutput(self, "DashboardsBucket", value=bucket.bucket_name)
