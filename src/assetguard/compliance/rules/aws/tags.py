"""required-tags: resources carry the required tag keys (and allowed values).

Parameters follow AWS Config (``tag1Key``/``tag1Value`` ... collapsed into ``tags``) plus an
optional tag policy in AWS Organizations syntax, evaluated with the tagging domain's
:func:`assetguard.tagging.policy.evaluate` when that module is installed::

    required-tags:
      tags: {CostCenter: null, Owner: null, env: [prod, dev]}
      policy: {"tags": {"costcenter": {"tag_key": {"@@assign": "CostCenter"}}}}
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assetguard.compliance.context import EvaluationContext
from assetguard.compliance.rule import Result, compliance_rule

TAGGABLE = ("AWS::EC2::Instance", "AWS::EC2::SecurityGroup", "AWS::EC2::Volume", "AWS::EC2::VPC",
            "AWS::S3::Bucket", "AWS::RDS::DBInstance", "AWS::Lambda::Function",
            "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::KMS::Key", "AWS::ECS::Cluster", "AWS::ECR::Repository")


class RequiredTagsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tags: dict[str, list[str] | None] = Field(default_factory=lambda: {"Owner": None})  # type: ignore[arg-type]
    policy: dict[str, Any] | None = None


def _policy_problems(policy_doc: dict[str, Any], resource_type: str, tags: dict[str, str]) -> list[str] | None:
    try:
        from assetguard.tagging import policy as tag_policy
    except ImportError:
        return None
    parsed = tag_policy.parse_policy(policy_doc)
    return [p.message for p in tag_policy.evaluate(parsed, resource_type, tags)]


@compliance_rule(
    id="required-tags", title="Resources carry the required tags", severity="LOW",
    resource_types=TAGGABLE, trigger="on-change",
    risk="Untagged resources have no owner or cost centre: nobody answers alerts and nobody pays attention.",
    remediation="Add the required tags (Tag Editor: assetguard tags edit), or let auto-tagging add defaults.",
    params=RequiredTagsParams)
def required_tags(item: dict[str, Any], ctx: EvaluationContext, params: RequiredTagsParams) -> Result:
    """NON_COMPLIANT when a required key is missing or its value is not allowed (or the tag policy objects)."""
    tags = {str(k): str(v) for k, v in (item.get("tags") or {}).items()}
    problems = []
    for name, allowed in params.tags.items():
        if name not in tags:
            problems.append(f"missing tag {name}")
        elif allowed and tags[name] not in allowed:
            problems.append(f"tag {name}={tags[name]} not in {allowed}")
    if params.policy:
        extra = _policy_problems(params.policy, str(item.get("resourceType")), tags)
        if extra:
            problems.extend(extra)
    return Result.non_compliant("; ".join(problems)) if problems else Result.compliant()
