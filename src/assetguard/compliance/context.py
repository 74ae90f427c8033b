"""What a rule may look at besides its own item: the other items of the same evaluation.

Rules like ``vpc-flow-logs-enabled`` (a VPC and its flow logs), ``alb-http-to-https-redirection-check``
(a load balancer and its listeners) or ``cloudtrail-enabled`` (an account and its trails) need
related items. The context indexes the evaluated items once by type and by id::

    ctx = EvaluationContext(items)
    ctx.of_type("AWS::EC2::FlowLog")
    ctx.account_item("AWS::IAM::AccountSummary", "123456789012")   # account-wide settings item
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

# Account-wide settings are items of their own (as the inventory collector records them).
PASSWORD_POLICY = "AWS::IAM::AccountPasswordPolicy"
ACCOUNT_SUMMARY = "AWS::IAM::AccountSummary"
ACCOUNT_PAB = "AWS::S3::AccountPublicAccessBlock"
EBS_DEFAULT = "AWS::EC2::EBSEncryptionByDefault"
ACCOUNT_TYPES = (PASSWORD_POLICY, ACCOUNT_SUMMARY, ACCOUNT_PAB, EBS_DEFAULT)


class EvaluationContext:
    def __init__(self, items: Iterable[dict[str, Any]] = (), *, related: Iterable[dict[str, Any]] = ()) -> None:
        self.by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.by_arn: dict[str, dict[str, Any]] = {}
        for item in (*items, *related):
            arn = item.get("arn") or f"{item.get('resourceType')}/{item.get('resourceId')}"
            if arn in self.by_arn:
                continue
            self.by_arn[arn] = item
            self.by_type[item.get("resourceType", "")].append(item)
        self._cache: dict[str, Any] = {}

    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        return self.by_type.get(resource_type, [])

    def account_item(self, resource_type: str, account_id: str | None,
                     region: str | None = None) -> dict[str, Any] | None:
        """The account-wide settings item of ``resource_type`` for ``account_id``, preferring ``region``."""
        candidates = [i for i in self.of_type(resource_type) if not account_id or i.get("accountId") == account_id]
        for c in candidates:
            if region and c.get("awsRegion") == region:
                return c
        return candidates[0] if candidates else None

    def memo(self, key: str, build: Any) -> Any:
        """Cache a derived index (e.g. flow logs by VPC id) for the whole evaluation."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]
