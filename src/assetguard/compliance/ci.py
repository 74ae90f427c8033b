"""Reading configuration items the way AWS Config records them.

AWS Config is not consistent about key case (``ipPermissions`` for EC2, ``ContainerDefinitions``
for ECS from CloudFormation schemas, ``PublicAccessBlockConfiguration`` in supplementary
configuration) and stores some documents as JSON strings (bucket policies, ACLs, Lambda
policies). These helpers hide both::

    >>> item = {"configuration": {"IpPermissions": [{"FromPort": 22}]}}
    >>> get(item, "configuration", "ipPermissions")
    [{'FromPort': 22}]
"""

from __future__ import annotations

import json
from typing import Any


def key(obj: Any, name: str) -> Any:
    """``obj[name]`` with case-insensitive fallback; None when absent or obj is not a dict."""
    if not isinstance(obj, dict):
        return None
    if name in obj:
        return obj[name]
    lowered = name.lower()
    for k, v in obj.items():
        if isinstance(k, str) and k.lower() == lowered:
            return v
    return None


def get(obj: Any, *path: str) -> Any:
    """Walk ``path`` with :func:`key`; JSON strings met on the way are parsed."""
    cur = obj
    for part in path:
        cur = maybe_json(key(cur, part))
        if cur is None:
            return None
    return cur


def maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def truthy(value: Any) -> bool | None:
    """Booleans as AWS Config writes them (true / "true" / "Enabled"); None when unknown."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in ("true", "enabled", "on", "yes", "1", "active")
    return bool(value)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def policy_statements(policy: Any) -> list[dict[str, Any]]:
    """Statements of an IAM-style policy given as a dict or a JSON string (``policyText`` too)."""
    doc = maybe_json(policy)
    if isinstance(doc, dict) and "policyText" in doc:
        doc = maybe_json(doc["policyText"])
    if not isinstance(doc, dict):
        return []
    return [s for s in as_list(doc.get("Statement")) if isinstance(s, dict)]


def is_public_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any(v == "*" or (isinstance(v, list) and "*" in v) for v in principal.values())
    return False


def has_restricting_condition(statement: dict[str, Any]) -> bool:
    """A Condition that pins the caller to accounts, organisations, source ARNs or VPCs."""
    cond = statement.get("Condition")
    if not isinstance(cond, dict):
        return False
    restricting = ("aws:sourceaccount", "aws:sourcearn", "aws:principalorgid", "aws:sourcevpc",
                   "aws:sourcevpce", "aws:principalaccount", "aws:sourceowner", "aws:principalarn",
                   "aws:sourceip")
    for operator in cond.values():
        if isinstance(operator, dict) and any(k.lower() in restricting for k in operator):
            return True
    return False
