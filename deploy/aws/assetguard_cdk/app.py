"""Compose the stacks a deployment asks for, and run cdk-nag's AwsSolutions pack on every synth.

Each suppression names the rule and carries its reason; everything else cdk-nag reports is an error.
"""

from __future__ import annotations

from aws_cdk import App, Aspects, Environment, Stack
from cdk_nag import AwsSolutionsChecks, NagPackSuppression, NagSuppressions

from assetguard_cdk.config import DeployConfig
from assetguard_cdk.cost import CostStack
from assetguard_cdk.network import NetworkStack
from assetguard_cdk.observability import ObservabilityStack
from assetguard_cdk.platform import PlatformStack
from assetguard_cdk.security import SecurityStack
from assetguard_cdk.service import ServiceStack
from assetguard_cdk.waf import WafStack

SUPPRESSIONS = [
    NagPackSuppression(id="AwsSolutions-IAM4", reason="AWS-managed service-role policies (AWS_ConfigRole, the "
                       "custom-resource and bucket-deployment Lambda basic execution roles) are the documented way "
                       "to grant those services their permissions"),
    NagPackSuppression(id="AwsSolutions-IAM5", reason="Describe/List/Get APIs of the collectors, the SSM remediation "
                       "actions, X-Ray and AMP writes do not support resource-level permissions; every action is "
                       "named explicitly (no service-wide wildcard)"),
    NagPackSuppression(id="AwsSolutions-L1", reason="Lambda functions are created by CDK's AwsCustomResource and "
                       "BucketDeployment with the runtime CDK pins"),
    NagPackSuppression(id="AwsSolutions-ECS2", reason="Environment variables carry non-secret settings only; secrets "
                       "are injected from Secrets Manager"),
    NagPackSuppression(id="AwsSolutions-S1", reason="Server access logs are enabled on every data bucket; the access-log "
                       "bucket itself and the ALB log bucket cannot log to themselves"),
    NagPackSuppression(id="AwsSolutions-EC23", reason="The application ALB is public by design (port 443, and 80 only "
                       "to redirect to HTTPS), protected by the web ACL"),
    NagPackSuppression(id="AwsSolutions-RDS3", reason="Multi-AZ is a deployment choice (db_multi_az); off by default "
                       "for small teams"),
    NagPackSuppression(id="AwsSolutions-RDS11", reason="The default PostgreSQL port is only reachable from the "
                       "platform's own services' security groups"),
    NagPackSuppression(id="AwsSolutions-SMG4", reason="Rotating assetguard's secret_key would orphan SecureString "
                       "parameters encrypted with it; the database secret is rotated by RDS-managed rotation setup "
                       "outside this stack"),
    NagPackSuppression(id="AwsSolutions-ELB2", reason="The internal console ALB is reached from inside the VPC only; "
                       "the public ALB logs to S3"),
]


def build(app: App, cfg: DeployConfig) -> dict[str, Stack]:
    env = Environment(account=cfg.account, region=cfg.region)
    p = cfg.prefix
    stacks: dict[str, Stack] = {}
    remote_write = "https://aps-workspaces.{region}.amazonaws.com/workspaces/WORKSPACE/api/v1/remote_write"
    if "observability" in cfg.stacks:
        obs = ObservabilityStack(app, f"{p}Observability", cfg, env=env)
        stacks["observability"] = obs
        remote_write = obs.remote_write_url
    network = NetworkStack(app, f"{p}Network", cfg, env=env)
    stacks["network"] = network
    if "service" in cfg.stacks:
        service = ServiceStack(app, f"{p}Service", cfg, network.vpc, remote_write, env=env)
        stacks["service"] = service
        if "waf" in cfg.stacks:
            stacks["waf"] = WafStack(app, f"{p}Waf", cfg, service.alb.load_balancer_arn, env=env)
    if "cost" in cfg.stacks:
        stacks["cost"] = CostStack(app, f"{p}Cost", cfg, env=env)
    queue = None
    if "security" in cfg.stacks:
        security = SecurityStack(app, f"{p}Security", cfg, env=env)
        stacks["security"] = security
        queue = security.queue
    if "platform" in cfg.stacks:
        stacks["platform"] = PlatformStack(app, f"{p}Platform", cfg, network.vpc, queue, remote_write, env=env)
    for stack in stacks.values():
        NagSuppressions.add_stack_suppressions(stack, SUPPRESSIONS, apply_to_nested_stacks=True)
    Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return stacks


def main() -> None:
    app = App()
    build(app, DeployConfig.from_context(app.node.try_get_context("assetguard")))
    app.synth()
