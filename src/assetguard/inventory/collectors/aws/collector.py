"""The ``aws`` collector: every configured account (own credentials or an assumed role) and
region, one task per service. A task that fails (AccessDenied, throttled past the retries, an
endpoint down) is reported as a partial collection with its reason; its resource types are
left out of the scope, so nothing it would have listed is marked deleted.

Example ``assetguard.yaml``::

    aws:
      regions: [us-east-1, eu-west-1]
      accounts:
        - account_id: "111122223333"
          role_arn: arn:aws:iam::111122223333:role/assetguard-inventory
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field

from assetguard.core.clock import utcnow
from assetguard.inventory.collectors.aws import ec2, iam, s3, services
from assetguard.inventory.collectors.aws.session import (
    AwsContext,
    assume_role,
    base_session,
    caller_account,
    error_code,
)
from assetguard.inventory.collectors.aws.shape import iso
from assetguard.inventory.collectors.base import CollectionResult, Progress, collectors
from assetguard.inventory.model import scope_key
from assetguard.inventory.service import CollectionError


@dataclass(frozen=True)
class Task:
    """One service listing: ``account_wide`` tasks run once per account (IAM, S3)."""

    label: str
    resource_types: tuple[str, ...]
    run: Callable[[AwsContext], list[dict[str, Any]]]
    account_wide: bool = False
    scope_region: str | None = None  # region written into scope keys for account-wide types


TASKS: tuple[Task, ...] = (
    Task("ec2.instances", ("AWS::EC2::Instance",), ec2.instances),
    Task("ec2.security-groups", ("AWS::EC2::SecurityGroup",), ec2.security_groups),
    Task("ec2.vpcs", ("AWS::EC2::VPC",), ec2.vpcs),
    Task("ec2.subnets", ("AWS::EC2::Subnet",), ec2.subnets),
    Task("ec2.volumes", ("AWS::EC2::Volume",), ec2.volumes),
    Task("ec2.snapshots", ("AWS::EC2::Snapshot",), ec2.snapshots),
    Task("ec2.ebs-encryption", ("AWS::EC2::EBSEncryptionByDefault",), ec2.ebs_default_encryption),
    Task("ec2.flow-logs", ("AWS::EC2::FlowLog",), ec2.flow_logs),
    Task("rds", ("AWS::RDS::DBInstance",), services.rds_instances),
    Task("ecs", ("AWS::ECS::Cluster", "AWS::ECS::Service", "AWS::ECS::TaskDefinition"), services.ecs_resources),
    Task("elbv2", ("AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::Listener"),
         services.load_balancers),
    Task("lambda", ("AWS::Lambda::Function",), services.lambda_functions),
    Task("cloudtrail", ("AWS::CloudTrail::Trail",), services.trails),
    Task("kms", ("AWS::KMS::Key",), services.kms_keys),
    Task("ecr", ("AWS::ECR::Repository",), services.ecr_repositories),
    Task("s3.buckets", ("AWS::S3::Bucket",), s3.buckets, account_wide=True, scope_region=""),
    Task("s3.account-public-access-block", ("AWS::S3::AccountPublicAccessBlock",), s3.account_public_access_block,
         account_wide=True, scope_region="global"),
    Task("iam.users", ("AWS::IAM::User",), iam.users, account_wide=True, scope_region="global"),
    Task("iam.roles", ("AWS::IAM::Role",), iam.roles, account_wide=True, scope_region="global"),
    Task("iam.password-policy", ("AWS::IAM::AccountPasswordPolicy",), iam.password_policy, account_wide=True,
         scope_region="global"),
    Task("iam.account-summary", ("AWS::IAM::AccountSummary",), iam.account_summary, account_wide=True,
         scope_region="global"),
)


class AwsAccountTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account_id: str | None = None
    role_arn: str | None = None
    regions: list[str] | None = None


class AwsCollectorConfig(BaseModel):
    """Which accounts, regions and services to collect. No ``accounts`` = the caller's own account."""

    model_config = ConfigDict(extra="forbid")
    profile: str | None = None
    regions: list[str] = Field(default_factory=lambda: ["us-east-1"], min_length=1)
    accounts: list[AwsAccountTarget] = Field(default_factory=list)
    endpoint_url: str | None = None
    services: list[str] | None = Field(None, description="task labels or prefixes, e.g. ['ec2', 's3.buckets']")


@collectors.register("aws")
class AwsCollector:
    """Collect AWS resources into AWS Config-shaped configuration items."""

    name: ClassVar[str] = "aws"
    Config: ClassVar[type[BaseModel]] = AwsCollectorConfig
    permissions: ClassVar[tuple[str, ...]] = tuple(sorted({*ec2.PERMISSIONS, *s3.PERMISSIONS, *iam.PERMISSIONS,
                                                           *services.PERMISSIONS, "sts:AssumeRole"}))

    def collect(self, config: AwsCollectorConfig, progress: Progress | None = None) -> CollectionResult:
        result = CollectionResult()
        tasks = [t for t in TASKS if _selected(t.label, config.services)]
        base = base_session(config.profile)
        targets = config.accounts or [AwsAccountTarget()]
        for target in targets:
            group = target.account_id or "default"
            try:
                session = assume_role(base, target.role_arn, config.endpoint_url) if target.role_arn else base
                account = caller_account(session, config.endpoint_url)
            except (ClientError, BotoCoreError) as exc:
                result.errors.append(CollectionError(f"{group}", error_code(exc), f"cannot open account: {exc}"))
                continue
            regions = target.regions or config.regions
            capture = iso(utcnow())
            for index, region in enumerate(regions):
                ctx = AwsContext(session, account, region, str(capture), config.endpoint_url)
                todo = [t for t in tasks if not t.account_wide or index == 0]
                for done, task in enumerate(todo):
                    if progress:
                        progress(f"{account}/{region}", task.label, done, len(todo))
                    self._run_task(ctx, task, result)
                if progress:
                    progress(f"{account}/{region}", "done", len(todo), len(todo))
        return result

    @staticmethod
    def _run_task(ctx: AwsContext, task: Task, result: CollectionResult) -> None:
        try:
            items = task.run(ctx)
        except (ClientError, BotoCoreError) as exc:
            result.errors.append(CollectionError(f"{ctx.account_id}/{ctx.region}/{task.label}", error_code(exc),
                                                 str(exc)))
            return
        except Exception as exc:  # noqa: BLE001 - one broken service must not abort the rest of the account
            result.errors.append(CollectionError(f"{ctx.account_id}/{ctx.region}/{task.label}", type(exc).__name__,
                                                 str(exc)))
            return
        result.items.extend(items)
        region = ctx.region if task.scope_region is None else task.scope_region
        for rtype in task.resource_types:
            result.scope.add(scope_key({"accountId": ctx.account_id, "awsRegion": region, "resourceType": rtype,
                                        "arn": ""}))


def _selected(label: str, wanted: list[str] | None) -> bool:
    if not wanted:
        return True
    return any(label == w or label.startswith(w + ".") for w in wanted)
