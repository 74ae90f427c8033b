"""The team's application on ECS Fargate with an ADOT collector sidecar, behind an HTTPS-only ALB
(HTTP redirected to HTTPS), with health checks and CPU-based autoscaling."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from assetguard_cdk.config import DeployConfig

ADOT_CONFIG = Path(__file__).resolve().parents[2] / "observability" / "collector" / "adot-ecs-fargate.yaml"


def adot_sidecar(task: ecs.TaskDefinition, cfg: DeployConfig, remote_write_url: str) -> ecs.ContainerDefinition:
    """The ADOT collector, configured from deploy/observability (OTLP in; AMP and X-Ray out)."""
    task.add_to_task_role_policy(iam.PolicyStatement(
        actions=["aps:RemoteWrite", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
                 "xray:GetSamplingRules", "xray:GetSamplingTargets"], resources=["*"]))
    return task.add_container(
        "adot-collector", image=ecs.ContainerImage.from_registry(cfg.adot_image), essential=False,
        command=["--config=env:AOT_CONFIG_CONTENT"], memory_reservation_mib=128,
        environment={"AOT_CONFIG_CONTENT": ADOT_CONFIG.read_text(), "AMP_REMOTE_WRITE_ENDPOINT": remote_write_url,
                     "AWS_REGION": Stack.of(task).region},
        logging=ecs.LogDrivers.aws_logs(stream_prefix="adot"), readonly_root_filesystem=True, user="10001")


class ServiceStack(Stack):
    def __init__(self, scope: Construct, cid: str, cfg: DeployConfig, vpc: ec2.IVpc, remote_write_url: str,
                 **kwargs: object) -> None:
        super().__init__(scope, cid, **kwargs)
        cluster = ecs.Cluster(self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
        task = ecs.FargateTaskDefinition(self, "Task", cpu=512, memory_limit_mib=1024)
        task.add_container(
            "app", image=ecs.ContainerImage.from_registry(cfg.app_image),
            port_mappings=[ecs.PortMapping(container_port=cfg.app_port)],
            logging=ecs.LogDrivers.aws_logs(stream_prefix="app"),
            environment={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4317", "OTEL_SERVICE_NAME": "app"})
        adot_sidecar(task, cfg, remote_write_url)
        self.service = ecs.FargateService(self, "Service", cluster=cluster, task_definition=task,
                                          desired_count=cfg.desired_count, assign_public_ip=False,
                                          vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS))
        logs_bucket = s3.Bucket(self, "AlbLogs", encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True,
                                block_public_access=s3.BlockPublicAccess.BLOCK_ALL, versioned=True,
                                removal_policy=RemovalPolicy.RETAIN)
        self.alb = elbv2.ApplicationLoadBalancer(self, "Alb", vpc=vpc, internet_facing=True,
                                                 drop_invalid_header_fields=True)
        self.alb.log_access_logs(logs_bucket, "alb")
        https = self.alb.add_listener("Https", port=443, protocol=elbv2.ApplicationProtocol.HTTPS,
                                      certificates=[elbv2.ListenerCertificate.from_arn(cfg.certificate_arn)],
                                      ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS, open=True)
        https.add_targets("App", port=cfg.app_port, protocol=elbv2.ApplicationProtocol.HTTP, targets=[self.service],
                          health_check=elbv2.HealthCheck(path=cfg.health_check_path, healthy_http_codes="200-399",
                                                         interval=Duration.seconds(30)))
        self.alb.add_redirect(source_port=80, target_port=443)
        scaling = self.service.auto_scale_task_count(min_capacity=cfg.desired_count, max_capacity=cfg.max_count)
        scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=60)
