"""Reading CloudTrail records: who created what.

>>> created_resources(record)      # [CreatedResource(arn=..., region=..., tagger="tagging", ...)]
>>> created_by(record["userIdentity"])   # "Admin/alice" for an assumed-role session
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from assetguard.core.errors import ValidationError
from assetguard.tagging.creates import CREATE_CALLS, RUN_INSTANCES_EXTRA, CreateSpec
from assetguard.tagging.limits import sanitize_value

REQUIRED_FIELDS = ("eventSource", "eventName", "eventTime", "userIdentity")


@dataclass(frozen=True, slots=True)
class CreatedResource:
    arn: str
    region: str
    account: str
    tagger: str
    resource_type: str
    name: str  # the identifier some tag calls need instead of the ARN (log group, ASG, IAM name)


def partition_for(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def walk(record: Any, path: str) -> Iterator[Any]:
    """Values at a dotted path; ``[*]`` fans out over a list (and over ``items`` wrappers)."""
    nodes = [record]
    for part in path.split("."):
        star = part.endswith("[*]")
        key = part[:-3] if star else part
        nxt = []
        for node in nodes:
            if not isinstance(node, dict) or key not in node:
                continue
            value = node[key]
            if star:
                if isinstance(value, list):
                    nxt.extend(value)
            else:
                nxt.append(value)
        nodes = nxt
    for node in nodes:
        if isinstance(node, str | int) and str(node):
            yield str(node)


def check_record(record: Any, where: str) -> dict[str, Any]:
    """A record must be an object with the fields the tagger needs; errors name the place."""
    if not isinstance(record, dict):
        raise ValidationError("a CloudTrail record must be a JSON object", where=where)
    missing = [f for f in REQUIRED_FIELDS if f not in record]
    if missing:
        raise ValidationError(f"record lacks {', '.join(missing)}", where=where)
    if not isinstance(record["userIdentity"], dict):
        raise ValidationError("userIdentity must be an object", where=f"{where}.userIdentity")
    return record


def record_region(record: dict[str, Any]) -> str:
    return str(record.get("awsRegion") or "us-east-1")


def record_account(record: dict[str, Any]) -> str:
    return str(record.get("recipientAccountId") or record["userIdentity"].get("accountId") or "000000000000")


def _arn(spec_arn: str, value: str, record: dict[str, Any]) -> str:
    if value.startswith("arn:"):
        return value
    region, account = record_region(record), record_account(record)
    if spec_arn.startswith("sqs-url:"):
        name = value.rstrip("/").rsplit("/", 1)[-1]
        return f"arn:{partition_for(region)}:sqs:{region}:{account}:{name}"
    return spec_arn.format(partition=partition_for(region), region=region, account=account, value=value)


def _region_of(arn: str, fallback: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else fallback


def created_resources(record: dict[str, Any]) -> list[CreatedResource]:
    """Every resource a successful create call made, with its exact ARN (empty for other calls)."""
    spec = CREATE_CALLS.get((record.get("eventSource", ""), record.get("eventName", "")))
    if spec is None:
        return []
    out: list[CreatedResource] = []
    seen: set[str] = set()

    def add(value: str, template: str, rtype: str, s: CreateSpec) -> None:
        arn = _arn(template, value, record)
        if arn in seen:
            return
        seen.add(arn)
        region = record_region(record) if s.tagger in ("iam",) else _region_of(arn, record_region(record))
        out.append(CreatedResource(arn, region, record_account(record), s.tagger, rtype, value.rsplit("/", 1)[-1]
                                   if s.tagger == "iam" else value))

    for path in spec.paths:
        values = list(walk(record, path))
        for value in values:
            add(value, spec.arn, spec.resource_type, spec)
        if values:
            break
    if record.get("eventName") == "RunInstances":
        for path, template, rtype in RUN_INSTANCES_EXTRA:
            for value in walk(record, path):
                add(value, template, rtype, spec)
    return out


def created_by(identity: dict[str, Any]) -> str:
    """The ``CreatedBy`` value for every CloudTrail ``userIdentity`` type."""
    kind = identity.get("type", "")
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
    arn = str(identity.get("arn", ""))
    if kind == "IAMUser":
        value = identity.get("userName") or arn.rsplit("/", 1)[-1]
    elif kind == "AssumedRole":
        session = arn.rsplit("/", 1)[-1] if arn.count("/") >= 2 else ""
        role = issuer.get("userName") or (arn.split("/")[1] if "/" in arn else "")
        value = f"{role}/{session}" if session else role
    elif kind == "FederatedUser":
        name = arn.rsplit("/", 1)[-1] if "/" in arn else identity.get("principalId", "")
        value = f"{issuer.get('userName')}/{name}" if issuer.get("userName") else name
    elif kind == "Root":
        value = "root"
    elif kind == "AWSService":
        value = identity.get("invokedBy") or "aws-service"
    elif kind == "IdentityCenterUser":
        on_behalf = identity.get("onBehalfOf") or {}
        value = f"identitycenter/{on_behalf.get('userId') or identity.get('userName') or 'unknown'}"
    elif kind == "AWSAccount":
        value = f"account/{identity.get('accountId', '')}/{identity.get('principalId', '')}"
    elif kind == "SAMLUser":
        value = identity.get("userName") or identity.get("principalId", "")
    elif kind == "WebIdentityUser":
        value = f"{identity.get('identityProvider', '')}/{identity.get('userName', '')}"
    else:
        value = identity.get("userName") or arn or identity.get("principalId") or "unknown"
    return sanitize_value(str(value))


def request_tags(record: dict[str, Any]) -> dict[str, str]:
    """Tags the create call itself already set (they are never overwritten by default)."""
    params = record.get("requestParameters") or {}
    out: dict[str, str] = {}
    if not isinstance(params, dict):
        return out
    spec_set = params.get("tagSpecificationSet") or params.get("TagSpecificationSet") or {}
    items = spec_set.get("items", []) if isinstance(spec_set, dict) else spec_set if isinstance(spec_set, list) else []
    for spec in items:
        tags = spec.get("tags", spec.get("Tags", [])) if isinstance(spec, dict) else []
        if isinstance(tags, dict):
            tags = tags.get("items", [])
        for t in tags if isinstance(tags, list) else []:
            if isinstance(t, dict):
                key = t.get("key", t.get("Key"))
                if key is not None:
                    out[str(key)] = str(t.get("value", t.get("Value", "")))
    for field in ("tags", "Tags", "tagList", "TagList"):
        tags = params.get(field)
        if isinstance(tags, dict):
            out.update({str(k): str(v) for k, v in tags.items()})
        elif isinstance(tags, list):
            for t in tags:
                if isinstance(t, dict):
                    key = t.get("key", t.get("Key"))
                    if key is not None:
                        out[str(key)] = str(t.get("value", t.get("Value", "")))
    return out


def skip_reason(record: dict[str, Any], marker: str) -> str | None:
    """Why the auto-tagger must not act on this record, or None."""
    if record.get("errorCode"):
        return f"failed call ({record['errorCode']})"
    identity = record.get("userIdentity", {})
    agent = str(record.get("userAgent", ""))
    if marker and (marker in agent or str(identity.get("arn", "")).endswith("/" + marker)):
        return "made by the auto-tagger itself"
    if (record.get("eventSource"), record.get("eventName")) not in CREATE_CALLS:
        return "not a supported create call"
    if record.get("readOnly") is True:
        return "read-only call"
    return None
