"""Tag policies in AWS Organizations syntax, plus our ``required`` keys per resource type.

Example policy::

    {"tags": {"costcenter": {"tag_key": {"@@assign": "CostCenter"},
                             "tag_value": {"@@assign": ["100", "200", "300*"]},
                             "enforced_for": {"@@assign": ["ec2:instance"]}}},
     "required": {"AWS::EC2::Instance": ["CostCenter", "Owner"], "*": ["Owner"]}}

``evaluate(policy, "AWS::EC2::Instance", {"costcenter": "100"})`` reports the wrong capitalisation
of ``CostCenter`` and the missing ``Owner``. As in AWS, a key the policy names but the resource
lacks is compliant unless it is also listed under ``required``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assetguard.core.errors import ValidationError

OPERATOR = "@@assign"


@dataclass(frozen=True)
class TagKeyRule:
    policy_key: str
    tag_key: str
    values: tuple[str, ...] | None
    enforced_for: tuple[str, ...]
    _patterns: tuple[re.Pattern[str], ...] = field(default=(), repr=False, compare=False)

    def value_allowed(self, value: str) -> bool:
        return self.values is None or any(p.fullmatch(value) for p in self._patterns)


@dataclass(frozen=True)
class Problem:
    key: str
    kind: str  # missing | capitalization | value
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "kind": self.kind, "message": self.message}


@dataclass
class TagPolicy:
    rules: dict[str, TagKeyRule] = field(default_factory=dict)  # lower-case key → rule
    required: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def merged(self, other: TagPolicy) -> TagPolicy:
        """``other`` assigns over ``self`` key by key (the @@assign inheritance operator)."""
        return TagPolicy({**self.rules, **other.rules}, {**self.required, **other.required})


def _assign(value: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": [OPERATOR], "properties": {OPERATOR: value}}


# What parse_policy checks, as JSON Schema (the API publishes it for PUT /tags/policies/{name}). One rule
# is beyond it: a tag_key's @@assign equals its policy key except for capitalisation.
POLICY_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "properties": {
        "tags": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": False, "properties": {
                "tag_key": _assign({"type": "string", "description": "the policy key, capitalised as required"}),
                "tag_value": _assign({"type": "array", "items": {"type": "string", "pattern": r"^[^*]*\*?[^*]*$"},
                                      "description": "allowed values; one * wildcard each at most"}),
                "enforced_for": _assign({"type": "array", "items": {"type": "string", "pattern": ":"},
                                         "description": "service:resource names, e.g. ec2:instance"})}}},
        "required": {"type": "object", "additionalProperties": {"type": "array", "items": {
            "type": "string", "minLength": 1}}, "description": "resource type (or *) -> tag keys it must have"}}}


def _assigned(node: Any, path: str) -> Any:
    if not isinstance(node, dict) or set(node) != {OPERATOR}:
        raise ValidationError(f"expected an object with only {OPERATOR}", where=path)
    return node[OPERATOR]


def _value_pattern(value: str, path: str) -> re.Pattern[str]:
    if value.count("*") > 1:
        raise ValidationError("a tag value may contain at most one * wildcard", where=path)
    return re.compile(".*".join(re.escape(part) for part in value.split("*")), re.DOTALL)


def parse_policy(doc: Any, where: str = "policy") -> TagPolicy:
    """Validate and compile a policy document; errors name the JSON path."""
    if not isinstance(doc, dict):
        raise ValidationError("a tag policy must be a JSON object", where=where)
    unknown = set(doc) - {"tags", "required"}
    if unknown:
        raise ValidationError(f"unknown top-level key(s): {', '.join(sorted(unknown))}", where=where)
    policy = TagPolicy()
    tags = doc.get("tags", {})
    if not isinstance(tags, dict):
        raise ValidationError("must be an object of policy keys", where=f"{where}.tags")
    for policy_key, body in tags.items():
        path = f"{where}.tags.{policy_key}"
        if not isinstance(body, dict):
            raise ValidationError("must be an object", where=path)
        extra = set(body) - {"tag_key", "tag_value", "enforced_for"}
        if extra:
            raise ValidationError(f"unknown key(s): {', '.join(sorted(extra))}", where=path)
        tag_key = _assigned(body["tag_key"], f"{path}.tag_key") if "tag_key" in body else policy_key.lower()
        if not isinstance(tag_key, str) or tag_key.lower() != policy_key.lower():
            raise ValidationError("tag_key must equal the policy key except for capitalisation",
                                  where=f"{path}.tag_key")
        values = None
        patterns: tuple[re.Pattern[str], ...] = ()
        if "tag_value" in body:
            raw = _assigned(body["tag_value"], f"{path}.tag_value")
            if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
                raise ValidationError("must be a list of strings", where=f"{path}.tag_value.{OPERATOR}")
            values = tuple(raw)
            patterns = tuple(_value_pattern(v, f"{path}.tag_value[{i}]") for i, v in enumerate(raw))
        enforced: tuple[str, ...] = ()
        if "enforced_for" in body:
            raw = _assigned(body["enforced_for"], f"{path}.enforced_for")
            if not isinstance(raw, list) or not all(isinstance(v, str) and ":" in v for v in raw):
                raise ValidationError("must be a list of service:resource strings",
                                      where=f"{path}.enforced_for.{OPERATOR}")
            enforced = tuple(raw)
        policy.rules[policy_key.lower()] = TagKeyRule(policy_key, tag_key, values, enforced, patterns)
    required = doc.get("required", {})
    if not isinstance(required, dict):
        raise ValidationError("must map resource types to lists of keys", where=f"{where}.required")
    for rtype, keys in required.items():
        if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
            raise ValidationError("must be a list of tag keys", where=f"{where}.required.{rtype}")
        policy.required[rtype] = tuple(keys)
    return policy


def policy_resource_type(config_type: str) -> str:
    """``AWS::EC2::SecurityGroup`` → ``ec2:security-group`` (the tag-policy resource name)."""
    parts = config_type.split("::")
    if len(parts) != 3:
        return config_type.lower()
    resource = re.sub(r"(?<!^)(?=[A-Z][a-z])", "-", parts[2]).lower()
    return f"{parts[1].lower()}:{resource}"


def evaluate(policy: TagPolicy, resource_type: str, tags: dict[str, str]) -> list[Problem]:
    """Problems with ``tags`` on a resource of AWS Config type ``resource_type``."""
    problems: list[Problem] = []
    by_lower = {k.lower(): k for k in tags}
    for lower, rule in policy.rules.items():
        actual = by_lower.get(lower)
        if actual is None:
            continue
        if actual != rule.tag_key:
            problems.append(Problem(rule.tag_key, "capitalization",
                                    f"tag key {actual!r} must be written {rule.tag_key!r}"))
        if not rule.value_allowed(tags[actual]):
            allowed = ", ".join(rule.values or ())
            problems.append(Problem(rule.tag_key, "value",
                                    f"value {tags[actual]!r} of {rule.tag_key} is not one of: {allowed}"))
    for key in (*policy.required.get("*", ()), *policy.required.get(resource_type, ())):
        if key.lower() not in by_lower:
            problems.append(Problem(key, "missing", f"required tag {key} is missing"))
    seen: set[tuple[str, str]] = set()
    unique = []
    for p in problems:
        if (p.key, p.kind) not in seen:
            seen.add((p.key, p.kind))
            unique.append(p)
    return unique


def is_enforced(rule: TagKeyRule, resource_type: str) -> bool:
    """Whether ``enforced_for`` covers an AWS Config resource type."""
    target = policy_resource_type(resource_type)
    service = target.split(":")[0]
    return any(e == target or e in (f"{service}:*", f"{service}:ALL_SUPPORTED") for e in rule.enforced_for)
