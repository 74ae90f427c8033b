"""The web ACL generated from an assetguard ACL (``waf export``), associated with the ALB, with
logging. The capacity check runs at synth time and fails above 5,000 WCU."""

from __future__ import annotations

from aws_cdk import ArnFormat, CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from assetguard.deploy.aws_plan import cfn_web_acl_properties, web_acl
from assetguard_cdk.config import DeployConfig


class WafStack(Stack):
    def __init__(self, scope: Construct, cid: str, cfg: DeployConfig, load_balancer_arn: str,
                 **kwargs: object) -> None:
        super().__init__(scope, cid, **kwargs)
        plan = web_acl(cfg.acl)  # raises above 5,000 WCU: synth fails before anything is deployed
        props = cfn_web_acl_properties(plan)
        acl = wafv2.CfnWebACL(
            self, "WebAcl", scope="REGIONAL", default_action=wafv2.CfnWebACL.DefaultActionProperty(block={}),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=plan.name, sampled_requests_enabled=True))
        for key, value in props.items():  # the exported document, unchanged
            acl.add_property_override(key, value)
        self.web_acl = acl
        self.capacity = plan.capacity
        wafv2.CfnWebACLAssociation(self, "AlbAssociation", resource_arn=load_balancer_arn, web_acl_arn=acl.attr_arn)
        group_name = f"aws-waf-logs-{plan.name.lower()}"
        logs.LogGroup(self, "WafLogs", log_group_name=group_name, retention=logs.RetentionDays.ONE_YEAR,
                      removal_policy=RemovalPolicy.RETAIN)
        log_arn = self.format_arn(service="logs", resource="log-group", resource_name=group_name,
                                  arn_format=ArnFormat.COLON_RESOURCE_NAME)
        logging = wafv2.CfnLoggingConfiguration(self, "Logging", resource_arn=acl.attr_arn,
                                                log_destination_configs=[log_arn])
        logging.node.add_dependency(acl)
        CfnOutput(self, "WebAclCapacity", value=str(plan.capacity), description="WCU used by the web ACL")
