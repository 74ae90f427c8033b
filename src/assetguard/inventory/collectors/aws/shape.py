"""Turn boto3 responses into AWS Config's configuration shape.

AWS Config serialises most SDK models with bean naming: the first letter of each key is
lowered (``VpcId`` → ``vpcId``, an all-capital key is lowered whole (``ID`` → ``id``), ``DBInstanceIdentifier`` → ``dBInstanceIdentifier``,
``TrailARN`` → ``trailARN``); timestamps become ISO-8601 strings::

    >>> camel({"VpcId": "vpc-1", "Tags": [{"Key": "env", "Value": "prod"}]})
    {'vpcId': 'vpc-1', 'tags': [{'key': 'env', 'value': 'prod'}]}
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote


def camel(value: Any) -> Any:
    """Recursively lower the first letter of every key; datetimes to ISO strings."""
    if isinstance(value, dict):
        return {_key(k): camel(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [camel(v) for v in value]
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _key(key: Any) -> Any:
    if not isinstance(key, str):
        return key
    if key.isupper():  # "ID" -> "id", as AWS Config writes owner ids
        return key.lower()
    return key[:1].lower() + key[1:]


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def tag_dict(tags: Any) -> dict[str, str]:
    """``[{"Key": k, "Value": v}]`` (any key case) or a plain dict → ``{k: v}``."""
    if not tags:
        return {}
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    out: dict[str, str] = {}
    for t in tags:
        key = t.get("Key", t.get("key", t.get("TagKey")))
        if key is not None:
            out[str(key)] = str(t.get("Value", t.get("value", t.get("TagValue", ""))))
    return out


def policy_document(value: Any) -> Any:
    """IAM returns policy documents URL-encoded (or already decoded by boto3): return a dict."""
    if isinstance(value, str):
        text = unquote(value) if value.startswith("%7B") else value
        try:
            return json.loads(text)
        except ValueError:
            return text
    return value


def relation(resource_type: str, resource_id: str | None, name: str) -> dict[str, Any]:
    return {"resourceType": resource_type, "resourceId": resource_id, "resourceName": None, "relationshipName": name}


def item(ctx: Any, resource_type: str, resource_id: str, arn: str, *, name: str | None = None,
         configuration: dict[str, Any] | None = None, supplementary: dict[str, Any] | None = None,
         tags: dict[str, str] | None = None, relationships: list[dict[str, Any]] | None = None,
         region: str | None = None, availability_zone: str | None = None, created: Any = None) -> dict[str, Any]:
    """A configuration item for an AWS resource in ``ctx``'s account and region."""
    return {
        "version": "1.3",
        "accountId": ctx.account_id,
        "configurationItemCaptureTime": ctx.capture_time,
        "configurationItemStatus": "OK",
        "arn": arn,
        "resourceType": resource_type,
        "resourceId": resource_id,
        "resourceName": name,
        "awsRegion": region or ctx.region,
        "availabilityZone": availability_zone,
        "resourceCreationTime": iso(created) if isinstance(created, datetime) else created,
        "tags": tags or {},
        "relationships": relationships or [],
        "configuration": configuration or {},
        "supplementaryConfiguration": supplementary or {},
    }
