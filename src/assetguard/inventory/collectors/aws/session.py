"""Sessions, assumed roles and clients for the ``aws`` collector.

Standard boto3 configuration applies: ``AWS_PROFILE``, ``AWS_ACCESS_KEY_ID``…, ``AWS_ENDPOINT_URL``
(honoured by botocore itself), plus ``settings.aws.profile`` / ``endpoint_url``. Every client
retries throttling with botocore's *adaptive* mode (client-side rate limiting + backoff).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from assetguard.core.errors import provider_error


def retry_config() -> BotoConfig:
    """Adaptive retries; ``AWS_MAX_ATTEMPTS`` (the standard variable) overrides our default of 10."""
    attempts = int(os.environ.get("AWS_MAX_ATTEMPTS") or 10)
    return BotoConfig(retries={"mode": "adaptive", "max_attempts": attempts}, connect_timeout=10, read_timeout=60)

# Error codes that mean "this optional sub-resource is not configured", not a failure.
NOT_CONFIGURED = frozenset({
    "NoSuchPublicAccessBlockConfiguration", "ServerSideEncryptionConfigurationNotFoundError", "NoSuchBucketPolicy",
    "NoSuchTagSet", "NoSuchEntity", "ResourceNotFoundException", "NoSuchLifecycleConfiguration",
    "RepositoryPolicyNotFoundException", "WAFNonexistentItemException", "NoSuchConfiguration",
    "TrailNotFoundException", "NoSuchTagSetError",
})


@dataclass
class AwsContext:
    """One account and region being collected; ``client(service)`` caches clients."""

    session: boto3.Session
    account_id: str
    region: str
    capture_time: str
    endpoint_url: str | None = None
    partition: str = "aws"
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            kwargs: dict[str, Any] = {"region_name": self.region, "config": retry_config()}
            if self.endpoint_url:
                kwargs["endpoint_url"] = self.endpoint_url
            self._clients[service] = self.session.client(service, **kwargs)
        return self._clients[service]


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


def optional(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Call an AWS API; ``None`` when the answer is "not configured", raise on real failures."""
    try:
        return call(*args, **kwargs)
    except ClientError as exc:
        if error_code(exc) in NOT_CONFIGURED:
            return None
        raise


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    """All items of a paginated list operation."""
    out: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        out.extend(page.get(key, []))
    return out


def base_session(profile: str | None) -> boto3.Session:
    try:
        return boto3.Session(profile_name=profile) if profile else boto3.Session()
    except BotoCoreError as exc:
        raise provider_error("cannot create AWS session", exc) from None


def assume_role(session: boto3.Session, role_arn: str, endpoint_url: str | None,
                session_name: str = "assetguard-inventory") -> boto3.Session:
    """A session with the credentials of ``role_arn`` (STS AssumeRole)."""
    kwargs: dict[str, Any] = {"config": retry_config()}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    sts = session.client("sts", **kwargs)
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=session.region_name)


def caller_account(session: boto3.Session, endpoint_url: str | None) -> str:
    kwargs: dict[str, Any] = {"config": retry_config()}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    return str(session.client("sts", region_name=session.region_name or "us-east-1", **kwargs)
               .get_caller_identity()["Account"])
