"""assetguard itself on ECS Fargate: API, worker and scheduler services on RDS PostgreSQL, secrets in
Secrets Manager, and least-privilege task roles derived from the permissions each collector,
runbook and tagger declares. The worker reads the EventBridge queue, so AWS events enter the same
pipeline as local ones."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from assetguard.deploy.aws_plan import platform_permissions
from assetguard_cdk.config import DeployConfig
from assetguard_cdk.service import adot_sidecar

DB_URL = ('export ASSETGUARD_DATABASE_URL="postgresql://$DB_USER:$DB_PASSWORD@$DB_HOST:$DB_PORT/assetguard"; '
          'exec assetguard {command}')


class PlatformStack(Stack):
    def __init__(self, scope: Construct, cid: str, cfg: DeployConfig, vpc: ec2.IVpc, events_queue: sqs.IQueue | None,
                 remote_write_url: str, **kwargs: object) -> None:
        super().__init__(scope, cid, **kwargs)
        db_sg = ec2.SecurityGroup(self, "DbSg", vpc=vpc, description="assetguard database")
        self.db = rds.DatabaseInstance(
            self, "Db", engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_16),
            vpc=vpc, vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            instance_type=ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.SMALL),
            credentials=rds.Credentials.from_generated_secret("assetguard"), database_name="assetguard",
            storage_encrypted=True, multi_az=cfg.db_multi_az, deletion_protection=True,
            backup_retention=Duration.days(7), iam_authentication=True, security_groups=[db_sg],
            removal_policy=RemovalPolicy.SNAPSHOT, cloudwatch_logs_exports=["postgresql"])
        secret_key = secretsmanager.Secret(self, "SecretKey", description="assetguard secret_key",
                                           generate_secret_string=secretsmanager.SecretStringGenerator(
                                               exclude_punctuation=True, password_length=48))
        cluster = ecs.Cluster(self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
        perms = platform_permissions()
        db_secret = self.db.secret
        assert db_secret is not None
        secrets = {"DB_USER": ecs.Secret.from_secrets_manager(db_secret, "username"),
                   "DB_PASSWORD": ecs.Secret.from_secrets_manager(db_secret, "password"),
                   "DB_HOST": ecs.Secret.from_secrets_manager(db_secret, "host"),
                   "DB_PORT": ecs.Secret.from_secrets_manager(db_secret, "port"),
                   "ASSETGUARD_SECRET_KEY": ecs.Secret.from_secrets_manager(secret_key)}
        environment = {"ASSETGUARD_AWS__REGIONS": f'["{self.region}"]',
                       "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4317"}
        if events_queue is not None:
            environment["ASSETGUARD_TAGGING__SQS_QUEUE_URL"] = events_queue.queue_url
        self.services: dict[str, ecs.FargateService] = {}
        roles = {"api": [], "worker": perms["collect"] + perms["remediate"] + perms["tag"], "scheduler": perms["collect"]}
        for name, actions in roles.items():
            task = ecs.FargateTaskDefinition(self, f"{name.title()}Task", cpu=512, memory_limit_mib=1024)
            if actions:
                task.add_to_task_role_policy(iam.PolicyStatement(actions=sorted(set(actions)), resources=["*"]))
            if name == "worker" and events_queue is not None:
                events_queue.grant_consume_messages(task.task_role)
            container = task.add_container(
                name, image=ecs.ContainerImage.from_registry(cfg.assetguard_image),
                entry_point=["sh", "-c"], command=[DB_URL.format(command=name)],
                # The API must listen on the task's interface for the load balancer (default 127.0.0.1).
                environment={**environment, "ASSETGUARD_API__HOST": "0.0.0.0"} if name == "api" else environment,
                secrets=secrets, logging=ecs.LogDrivers.aws_logs(stream_prefix=name),
                port_mappings=[ecs.PortMapping(container_port=8080)] if name == "api" else None)
            container.add_ulimits(ecs.Ulimit(name=ecs.UlimitName.NOFILE, soft_limit=65536, hard_limit=65536))
            adot_sidecar(task, cfg, remote_write_url)
            service = ecs.FargateService(
                self, f"{name.title()}Service", cluster=cluster, task_definition=task,
                desired_count=1 if name == "scheduler" else 2, assign_public_ip=False,
                vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS))
            self.db.connections.allow_default_port_from(service)
            self.services[name] = service
        console = elbv2.ApplicationLoadBalancer(self, "ConsoleAlb", vpc=vpc, internet_facing=False,
                                                drop_invalid_header_fields=True)
        listener = console.add_listener("Https", port=443, protocol=elbv2.ApplicationProtocol.HTTPS,
                                        certificates=[elbv2.ListenerCertificate.from_arn(cfg.certificate_arn)],
                                        ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS, open=False)
        listener.add_targets("Api", port=8080, protocol=elbv2.ApplicationProtocol.HTTP,
                             targets=[self.services["api"]],
                             health_check=elbv2.HealthCheck(path="/healthz"))
        console.connections.allow_from(ec2.Peer.ipv4(vpc.vpc_cidr_block), ec2.Port.tcp(443), "console inside the VPC")
