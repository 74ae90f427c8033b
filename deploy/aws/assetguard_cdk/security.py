"""Config recorder with the conformance pack's rules and their SSM remediations, Security Hub,
Inspector, CloudTrail with log file validation to an encrypted bucket, and EventBridge rules generated
from assetguard's rules feeding an SQS queue (with a dead-letter queue) that assetguard's worker reads."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_config as config
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_securityhub as securityhub
from aws_cdk import aws_sqs as sqs
from aws_cdk import custom_resources as cr
from constructs import Construct

from assetguard.deploy.aws_plan import config_rules, eventbridge_rules
from assetguard_cdk.config import DeployConfig


def secure_bucket(scope: Construct, cid: str, *, key: kms.IKey | None = None,
                  access_logs: s3.IBucket | None = None) -> s3.Bucket:
    return s3.Bucket(scope, cid, encryption=s3.BucketEncryption.KMS if key else s3.BucketEncryption.S3_MANAGED,
                     encryption_key=key, enforce_ssl=True, block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                     versioned=True, removal_policy=RemovalPolicy.RETAIN, server_access_logs_bucket=access_logs,
                     server_access_logs_prefix=f"{cid.lower()}/" if access_logs else None)


class SecurityStack(Stack):
    def __init__(self, scope: Construct, cid: str, cfg: DeployConfig, **kwargs: object) -> None:
        super().__init__(scope, cid, **kwargs)
        access_logs = s3.Bucket(self, "AccessLogs", encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True,
                                block_public_access=s3.BlockPublicAccess.BLOCK_ALL, versioned=True,
                                removal_policy=RemovalPolicy.RETAIN)

        # --- AWS Config: recorder, delivery, the pack's rules and their remediations ------------
        config_bucket = secure_bucket(self, "ConfigBucket", access_logs=access_logs)
        config_role = iam.Role(self, "ConfigRole", assumed_by=iam.ServicePrincipal("config.amazonaws.com"))
        config_role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWS_ConfigRole"))
        config_bucket.grant_put(config_role)
        config_bucket.grant_read(config_role)
        recorder = config.CfnConfigurationRecorder(
            self, "Recorder", role_arn=config_role.role_arn,
            recording_group=config.CfnConfigurationRecorder.RecordingGroupProperty(
                all_supported=True, include_global_resource_types=True))
        channel = config.CfnDeliveryChannel(self, "Delivery", s3_bucket_name=config_bucket.bucket_name)
        remediation_role = iam.Role(self, "RemediationRole", assumed_by=iam.ServicePrincipal("ssm.amazonaws.com"),
                                    description="Assumed by SSM Automation for assetguard's Config remediations")
        self.config_rules: dict[str, config.CfnConfigRule] = {}
        remediation_actions: set[str] = set()
        for plan in config_rules(cfg.conformance_pack):
            params = None
            if plan.source_identifier == "REQUIRED_TAGS":
                params = {f"tag{i + 1}Key": key for i, key in enumerate(cfg.required_tags)}
            rule = config.CfnConfigRule(
                self, f"Rule-{plan.rule_id}", config_rule_name=f"assetguard-{plan.rule_id}",
                source=config.CfnConfigRule.SourceProperty(owner="AWS", source_identifier=plan.source_identifier),
                scope=config.CfnConfigRule.ScopeProperty(compliance_resource_types=list(plan.resource_types))
                if plan.resource_types else None,
                input_parameters=params)
            rule.add_dependency(recorder)
            rule.add_dependency(channel)
            self.config_rules[plan.rule_id] = rule
            if plan.remediation_document:
                parameters = {"AutomationAssumeRole": {"StaticValue": {"Values": [remediation_role.role_arn]}}}
                if plan.resource_parameter:
                    parameters[plan.resource_parameter] = {"ResourceValue": {"Value": "RESOURCE_ID"}}
                config.CfnRemediationConfiguration(
                    self, f"Remediation-{plan.rule_id}", config_rule_name=rule.ref, target_type="SSM_DOCUMENT",
                    target_id=plan.remediation_document, automatic=plan.automatic, maximum_automatic_attempts=3,
                    retry_attempt_seconds=600, parameters=parameters)
                remediation_actions.update(plan.permissions)
        if remediation_actions:
            remediation_role.add_to_policy(iam.PolicyStatement(actions=sorted(remediation_actions), resources=["*"]))

        # --- Security Hub and Inspector ----------------------------------------------------------
        securityhub.CfnHub(self, "SecurityHub", enable_default_standards=False)
        cr.AwsCustomResource(
            self, "Inspector",
            on_create=cr.AwsSdkCall(service="Inspector2", action="enable",
                                    parameters={"resourceTypes": ["EC2", "ECR", "LAMBDA"]},
                                    physical_resource_id=cr.PhysicalResourceId.of("assetguard-inspector2")),
            policy=cr.AwsCustomResourcePolicy.from_statements([iam.PolicyStatement(
                actions=["inspector2:Enable", "iam:CreateServiceLinkedRole"], resources=["*"])]),
            install_latest_aws_sdk=False)

        # --- CloudTrail with log file validation to a KMS-encrypted bucket ----------------------
        trail_key = kms.Key(self, "TrailKey", enable_key_rotation=True)
        trail_bucket = secure_bucket(self, "TrailBucket", key=trail_key, access_logs=access_logs)
        self.trail = cloudtrail.Trail(self, "Trail", bucket=trail_bucket, encryption_key=trail_key,
                                      enable_file_validation=True, is_multi_region_trail=True,
                                      include_global_service_events=True, send_to_cloud_watch_logs=True)

        # --- EventBridge rules from assetguard's rules → SQS (with a DLQ) ------------------------
        queue_key = kms.Key(self, "QueueKey", enable_key_rotation=True)
        queue_key.grant_encrypt_decrypt(iam.ServicePrincipal("events.amazonaws.com"))
        dlq = sqs.Queue(self, "EventsDlq", encryption=sqs.QueueEncryption.KMS, encryption_master_key=queue_key,
                        enforce_ssl=True, retention_period=Duration.days(14))
        self.queue = sqs.Queue(self, "Events", encryption=sqs.QueueEncryption.KMS, encryption_master_key=queue_key,
                               enforce_ssl=True, visibility_timeout=Duration.minutes(5),
                               dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=5, queue=dlq))
        self.event_rules: dict[str, events.CfnRule] = {}
        for plan in eventbridge_rules():
            rule = events.CfnRule(
                self, f"EventRule-{plan.name}", name=f"assetguard-{plan.name}", description=plan.description,
                state="ENABLED", event_pattern=plan.pattern,
                targets=[events.CfnRule.TargetProperty(
                    arn=self.queue.queue_arn, id="assetguard-queue",
                    dead_letter_config=events.CfnRule.DeadLetterConfigProperty(arn=dlq.queue_arn),
                    retry_policy=events.CfnRule.RetryPolicyProperty(maximum_event_age_in_seconds=86400,
                                                                    maximum_retry_attempts=185))])
            self.event_rules[plan.name] = rule
            for q in (self.queue, dlq):
                q.add_to_resource_policy(iam.PolicyStatement(
                    principals=[iam.ServicePrincipal("events.amazonaws.com")], actions=["sqs:SendMessage"],
                    resources=[q.queue_arn], conditions={"ArnEquals": {"aws:SourceArn": rule.attr_arn}}))
