"""The AWS calls that put tags on resources, one per service family.

Most services take the Resource Groups Tagging API (``TagResources``, at most 20 ARNs per call
and per region); ECS wants lower-case ``key``/``value``; CloudWatch Logs tags by group name;
IAM and Auto Scaling have their own calls. Each returns ``{arn: error-or-None}``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from assetguard.core.registry import Registry
from assetguard.tagging.cloudtrail import CreatedResource

TAG_BATCH = 20

TagCall = Callable[[Any, Sequence[CreatedResource], dict[str, str]], dict[str, str | None]]
taggers: Registry[TagCall] = Registry("tagger")

PERMISSIONS = {
    "tagging": ("tag:TagResources",),
    "ecs": ("ecs:TagResource",),
    "logs": ("logs:TagLogGroup", "logs:TagResource"),
    "iam": ("iam:TagUser", "iam:TagRole", "iam:TagPolicy"),
    "autoscaling": ("autoscaling:CreateOrUpdateTags",),
}


def _error(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        err = response.get("Error", {})
        return f"{err.get('Code', 'Error')}: {err.get('Message', '')}"
    return str(exc)


@taggers.register("tagging")
def tag_with_tagging_api(clients: Any, resources: Sequence[CreatedResource], tags: dict[str, str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    by_region: dict[str, list[CreatedResource]] = {}
    for r in resources:
        by_region.setdefault(r.region, []).append(r)
    for region, group in by_region.items():
        client = clients("resourcegroupstaggingapi", region)
        for i in range(0, len(group), TAG_BATCH):
            batch = [r.arn for r in group[i:i + TAG_BATCH]]
            try:
                failed = client.tag_resources(ResourceARNList=batch, Tags=tags).get("FailedResourcesMap", {})
            except Exception as exc:  # noqa: BLE001 - each ARN records the failure, nothing is dropped
                out.update(dict.fromkeys(batch, _error(exc)))
                continue
            for arn in batch:
                info = failed.get(arn)
                out[arn] = f"{info.get('ErrorCode')}: {info.get('ErrorMessage')}" if info else None
    return out


def _per_resource(resources: Sequence[CreatedResource], call: Callable[[CreatedResource], Any]) -> dict[str, str | None]:
    """Services whose tag call takes one resource: call it for each, recording each failure."""
    out: dict[str, str | None] = {}
    for r in resources:
        try:
            call(r)
            out[r.arn] = None
        except Exception as exc:  # noqa: BLE001 - each resource records its own failure
            out[r.arn] = _error(exc)
    return out


@taggers.register("ecs")
def tag_ecs(clients: Any, resources: Sequence[CreatedResource], tags: dict[str, str]) -> dict[str, str | None]:
    ecs_tags = [{"key": k, "value": v} for k, v in tags.items()]  # ECS wants lower-case key/value
    return _per_resource(resources, lambda r: clients("ecs", r.region).tag_resource(resourceArn=r.arn, tags=ecs_tags))


@taggers.register("logs")
def tag_logs(clients: Any, resources: Sequence[CreatedResource], tags: dict[str, str]) -> dict[str, str | None]:
    return _per_resource(resources, lambda r: clients("logs", r.region).tag_log_group(logGroupName=r.name, tags=tags))


@taggers.register("iam")
def tag_iam(clients: Any, resources: Sequence[CreatedResource], tags: dict[str, str]) -> dict[str, str | None]:
    tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]

    def call(r: CreatedResource) -> Any:
        client = clients("iam", "us-east-1")
        if ":user/" in r.arn:
            return client.tag_user(UserName=r.name, Tags=tag_list)
        if ":role/" in r.arn:
            return client.tag_role(RoleName=r.name, Tags=tag_list)
        return client.tag_policy(PolicyArn=r.arn, Tags=tag_list)

    return _per_resource(resources, call)


@taggers.register("autoscaling")
def tag_autoscaling(clients: Any, resources: Sequence[CreatedResource], tags: dict[str, str]) -> dict[str, str | None]:
    return _per_resource(resources, lambda r: clients("autoscaling", r.region).create_or_update_tags(Tags=[
        {"ResourceId": r.name, "ResourceType": "auto-scaling-group", "Key": k, "Value": v, "PropagateAtLaunch": False}
        for k, v in tags.items()]))


class BotoClients:
    """Cached boto3 clients per (service, region), marked with the tagger's user agent."""

    def __init__(self, *, profile: str | None = None, endpoint_url: str | None = None, marker: str = "") -> None:
        import boto3
        from botocore.config import Config

        self._session = boto3.Session(profile_name=profile)
        self._config = Config(user_agent_extra=marker, retries={"mode": "adaptive", "max_attempts": 8})
        self._endpoint = endpoint_url
        self._cache: dict[tuple[str, str], Any] = {}

    def __call__(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._cache:
            kwargs: dict[str, Any] = {"region_name": region, "config": self._config}
            if self._endpoint:
                kwargs["endpoint_url"] = self._endpoint
            self._cache[key] = self._session.client(service, **kwargs)
        return self._cache[key]


def push_tag_changes(clients: Any, arn: str, region: str, set_tags: dict[str, str], remove: list[str]) -> str | None:
    """Apply one resource's edits in AWS; returns an error message or None."""
    try:
        if ":ecs:" in arn:
            client = clients("ecs", region)
            if set_tags:
                client.tag_resource(resourceArn=arn, tags=[{"key": k, "value": v} for k, v in set_tags.items()])
            if remove:
                client.untag_resource(resourceArn=arn, tagKeys=remove)
        elif ":iam::" in arn and (":user/" in arn or ":role/" in arn):
            client = clients("iam", "us-east-1")
            kind, name = ("User", arn.rsplit("/", 1)[-1]) if ":user/" in arn else ("Role", arn.rsplit("/", 1)[-1])
            if set_tags:
                getattr(client, f"tag_{kind.lower()}")(**{f"{kind}Name": name},
                                                       Tags=[{"Key": k, "Value": v} for k, v in set_tags.items()])
            if remove:
                getattr(client, f"untag_{kind.lower()}")(**{f"{kind}Name": name}, TagKeys=remove)
        else:
            client = clients("resourcegroupstaggingapi", region)
            failed: dict[str, Any] = {}
            if set_tags:
                failed.update(client.tag_resources(ResourceARNList=[arn], Tags=set_tags).get("FailedResourcesMap", {}))
            if remove:
                failed.update(client.untag_resources(ResourceARNList=[arn], TagKeys=remove)
                              .get("FailedResourcesMap", {}))
            if arn in failed:
                return f"{failed[arn].get('ErrorCode')}: {failed[arn].get('ErrorMessage')}"
    except Exception as exc:  # noqa: BLE001 - reported per resource; the rest of the batch continues
        return _error(exc)
    return None
