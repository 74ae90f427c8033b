"""Structural validation of web ACL and rule group documents, and action parsing.

The document itself stays a plain dict (so ``waf export`` writes back exactly what was read);
validation walks it and raises :class:`ValidationError` naming the JSON path, e.g.
``acl.json (Rules[2].Action.Block.CustomResponse.ResponseCode)``. Statements are validated by
their compilers in :mod:`assetguard.waf.statements`.

Example::

    validate_web_acl({"Name": "x", "DefaultAction": {"Allow": {}}, "Rules": [],
                      "VisibilityConfig": {...}}, "x.json")
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assetguard.core.errors import ValidationError

if TYPE_CHECKING:
    from assetguard.waf.compiled import CompileContext

NAME = re.compile(r"^[\w\-]{1,128}$")
ACL_KEYS = {"Name", "Scope", "DefaultAction", "Description", "Rules", "VisibilityConfig", "Tags",
            "CustomResponseBodies", "CaptchaConfig", "ChallengeConfig", "TokenDomains", "AssociationConfig",
            "Id", "ARN", "Capacity", "LabelNamespace", "ManagedByFirewallManager", "LockToken",
            "DataProtectionConfig", "OnSourceDDoSProtectionConfig", "RetrofittedByFirewallManager"}
RULE_KEYS = {"Name", "Priority", "Statement", "Action", "OverrideAction", "RuleLabels", "VisibilityConfig",
             "CaptchaConfig", "ChallengeConfig"}
GROUP_KEYS = {"Name", "Scope", "Capacity", "Description", "Rules", "VisibilityConfig", "Tags",
              "CustomResponseBodies", "Id", "ARN", "LabelNamespace", "VendorName", "Version",
              "AvailableLabels", "ConsumedLabels", "LockToken"}
CONTENT_TYPES = ("TEXT_PLAIN", "TEXT_HTML", "APPLICATION_JSON")


@dataclass(frozen=True)
class ParsedAction:
    kind: str  # ALLOW | BLOCK | COUNT
    status: int = 403
    body_key: str | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    insert_headers: tuple[tuple[str, str], ...] = ()


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationError("must be an object", where=where)
    return value


def _headers(items: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(items, list):
        raise ValidationError("must be a list of {Name, Value}", where=where)
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str) or not isinstance(item.get("Value"), str):
            raise ValidationError("each header needs Name and Value strings", where=f"{where}[{i}]")
        out.append((item["Name"], item["Value"]))
    return tuple(out)


def parse_action(action: Any, where: str, ctx: CompileContext, *, default: bool = False) -> ParsedAction:
    """``{"Allow"|"Block"|"Count": {...}}``; CAPTCHA and Challenge are refused with a clear message."""
    allowed = ("Allow", "Block") if default else ("Allow", "Block", "Count")
    if not isinstance(action, dict) or len(action) != 1:
        raise ValidationError(f"needs exactly one of {', '.join(allowed)}", where=where)
    (kind, spec), = action.items()
    if kind in ("Captcha", "Challenge"):
        raise ValidationError(f"{kind} actions are not supported by the assetguard engine (they need AWS's "
                              f"browser token service); use Block or Count", where=f"{where}.{kind}")
    if kind not in allowed:
        raise ValidationError(f"unknown action {kind!r}; use one of {', '.join(allowed)}", where=f"{where}.{kind}")
    spec = _obj(spec, f"{where}.{kind}")
    if kind == "Block":
        response = spec.get("CustomResponse")
        if response is None:
            return ParsedAction("BLOCK")
        at = f"{where}.Block.CustomResponse"
        response = _obj(response, at)
        code = response.get("ResponseCode")
        if not isinstance(code, int) or not 200 <= code <= 599:
            raise ValidationError("ResponseCode must be an HTTP status from 200 to 599", where=f"{at}.ResponseCode")
        key = response.get("CustomResponseBodyKey")
        if key is not None and key not in ctx.response_bodies:
            raise ValidationError(f"no CustomResponseBodies entry {key!r}", where=f"{at}.CustomResponseBodyKey")
        headers = _headers(response.get("ResponseHeaders", []), f"{at}.ResponseHeaders")
        return ParsedAction("BLOCK", code, key, headers)
    handling = spec.get("CustomRequestHandling")
    inserts: tuple[tuple[str, str], ...] = ()
    if handling is not None:
        at = f"{where}.{kind}.CustomRequestHandling"
        inserts = tuple((f"x-amzn-waf-{n}", v) for n, v in
                        _headers(_obj(handling, at).get("InsertHeaders"), f"{at}.InsertHeaders"))
    return ParsedAction(kind.upper(), 0, None, (), inserts)


def parse_override_action(rule: dict[str, Any], where: str) -> str:
    """A rule-group rule's ``OverrideAction``: ``NONE`` or ``COUNT``."""
    if "Action" in rule:
        raise ValidationError("a rule group rule takes OverrideAction, not Action", where=f"{where}.Action")
    override = rule.get("OverrideAction", {"None": {}})
    if not isinstance(override, dict) or len(override) != 1 or next(iter(override)) not in ("None", "Count"):
        raise ValidationError("OverrideAction must be {\"None\": {}} or {\"Count\": {}}", where=f"{where}.OverrideAction")
    return str(next(iter(override))).upper()


def qualify_label(name: Any, namespace: str) -> str:
    if not isinstance(name, str) or not name:
        raise ValidationError("a label needs a Name", where="RuleLabels")
    if name.startswith("awswaf:"):
        return name
    return namespace + name


def _visibility(value: Any, where: str) -> None:
    config = _obj(value, where)
    for key in ("SampledRequestsEnabled", "CloudWatchMetricsEnabled"):
        if not isinstance(config.get(key), bool):
            raise ValidationError(f"{key} must be true or false", where=f"{where}.{key}")
    if not isinstance(config.get("MetricName"), str) or not config["MetricName"]:
        raise ValidationError("MetricName is required", where=f"{where}.MetricName")


def _rules(rules: Any, where: str, *, require_visibility: bool) -> None:
    if not isinstance(rules, list):
        raise ValidationError("Rules must be a list", where=where)
    names: set[str] = set()
    priorities: set[int] = set()
    for i, rule in enumerate(rules):
        at = f"{where}[{i}]"
        rule = _obj(rule, at)
        unknown = set(rule) - RULE_KEYS
        if unknown:
            raise ValidationError(f"unknown key {sorted(unknown)[0]!r}", where=f"{at}.{sorted(unknown)[0]}")
        name = rule.get("Name")
        if not isinstance(name, str) or not NAME.match(name):
            raise ValidationError("Name must be 1-128 letters, digits, _ or -", where=f"{at}.Name")
        if name in names:
            raise ValidationError(f"duplicate rule name {name!r}", where=f"{at}.Name")
        names.add(name)
        priority = rule.get("Priority")
        if not isinstance(priority, int) or isinstance(priority, bool) or priority < 0:
            raise ValidationError("Priority must be a non-negative integer", where=f"{at}.Priority")
        if priority in priorities:
            raise ValidationError(f"duplicate Priority {priority}", where=f"{at}.Priority")
        priorities.add(priority)
        statement = rule.get("Statement")
        if not isinstance(statement, dict) or len(statement) != 1:
            raise ValidationError("Statement must have exactly one statement type", where=f"{at}.Statement")
        is_group = next(iter(statement)) in ("ManagedRuleGroupStatement", "RuleGroupReferenceStatement")
        if not is_group and "Action" not in rule:
            raise ValidationError("Action is required", where=f"{at}.Action")
        if not is_group and "OverrideAction" in rule:
            raise ValidationError("OverrideAction is only for rule group statements", where=f"{at}.OverrideAction")
        labels = rule.get("RuleLabels", [])
        if not isinstance(labels, list) or not all(isinstance(x, dict) and isinstance(x.get("Name"), str) for x in labels):
            raise ValidationError("RuleLabels must be a list of {Name}", where=f"{at}.RuleLabels")
        if require_visibility or "VisibilityConfig" in rule:
            _visibility(rule.get("VisibilityConfig"), f"{at}.VisibilityConfig")


def _bodies(value: Any, where: str) -> None:
    for key, body in _obj(value, where).items():
        at = f"{where}.{key}"
        body = _obj(body, at)
        if body.get("ContentType") not in CONTENT_TYPES:
            raise ValidationError(f"ContentType must be one of {', '.join(CONTENT_TYPES)}", where=f"{at}.ContentType")
        if not isinstance(body.get("Content"), str):
            raise ValidationError("Content must be a string", where=f"{at}.Content")


def validate_web_acl(doc: Any, source: str) -> None:
    """Raise ValidationError (``<source> (<json path>)``) unless ``doc`` is a CreateWebACL object."""
    try:
        doc = _obj(doc, "")
        unknown = set(doc) - ACL_KEYS
        if unknown:
            key = sorted(unknown)[0]
            raise ValidationError(f"unknown key {key!r} (valid: {', '.join(sorted(ACL_KEYS))})", where=key)
        if not isinstance(doc.get("Name"), str) or not NAME.match(doc["Name"]):
            raise ValidationError("Name must be 1-128 letters, digits, _ or -", where="Name")
        if "DefaultAction" not in doc:
            raise ValidationError("DefaultAction is required ({\"Allow\": {}} or {\"Block\": {}})", where="DefaultAction")
        _visibility(doc.get("VisibilityConfig"), "VisibilityConfig")
        if "CustomResponseBodies" in doc:
            _bodies(doc["CustomResponseBodies"], "CustomResponseBodies")
        _rules(doc.get("Rules", []), "Rules", require_visibility=True)
    except ValidationError as exc:
        raise ValidationError(exc.message, where=f"{source} ({exc.where})" if exc.where else source) from None


def validate_rule_group(doc: Any, source: str) -> None:
    """Raise ValidationError unless ``doc`` is a CreateRuleGroup object (managed groups add VendorName etc.)."""
    try:
        doc = _obj(doc, "")
        unknown = set(doc) - GROUP_KEYS
        if unknown:
            key = sorted(unknown)[0]
            raise ValidationError(f"unknown key {key!r}", where=key)
        capacity = doc.get("Capacity")
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
            raise ValidationError("Capacity must be a positive integer", where="Capacity")
        _rules(doc.get("Rules"), "Rules", require_visibility=False)
    except ValidationError as exc:
        raise ValidationError(exc.message, where=f"{source} ({exc.where})" if exc.where else source) from None
