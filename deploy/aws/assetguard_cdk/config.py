"""Deployment settings, from CDK context (``cdk.json`` or ``-c assetguard='{...}'``).

Example ``cdk.json`` context::

    "assetguard": {"region": "eu-west-1", "app_image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4",
                   "app_port": 8080, "certificate_arn": "arn:aws:acm:...", "alert_emails": ["ops@example.com"],
                   "acl": "baseline", "stacks": ["network", "service", "waf", "cost", "security", "platform",
                   "observability"]}
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ALL_STACKS = ("network", "service", "waf", "cost", "security", "platform", "observability")
PLACEHOLDER_CERT = "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000"


class DeployConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: str | None = None
    region: str = "us-east-1"
    prefix: str = "AssetGuard"
    stacks: list[str] = Field(default_factory=lambda: list(ALL_STACKS))
    app_image: str = "public.ecr.aws/nginx/nginx:stable"
    app_port: int = 80
    health_check_path: str = "/"
    desired_count: int = 2
    max_count: int = 6
    certificate_arn: str = PLACEHOLDER_CERT
    acl: str = "baseline"
    alert_emails: list[str] = Field(default_factory=list, max_length=10)
    conformance_pack: str = "baseline"
    required_tags: list[str] = Field(default_factory=lambda: ["Owner", "CostCenter"], max_length=6)
    assetguard_image: str = "public.ecr.aws/assetguard/assetguard:0.1.0"
    adot_image: str = "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.1"
    db_multi_az: bool = False

    @classmethod
    def from_context(cls, value: Any) -> DeployConfig:
        return cls.model_validate(value or {})
