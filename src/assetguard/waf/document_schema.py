"""The WAF documents the API takes, as JSON Schema: what ``PUT /waf/...`` publishes and checks.

IP sets and regex pattern sets are small and fully described: :data:`IP_SET` and
:data:`REGEX_PATTERN_SET` are pydantic models, the published schema is theirs, and the API validates a
body with the same model before the engine compiles it, so the schema and the check cannot drift.
``Addresses`` are CIDRs in AWS's notation (``192.0.2.0/24``, ``2001:db8::/32``) of the set's
``IPAddressVersion``; a regex is 1-512 characters of the AWS WAF subset (see :mod:`assetguard.waf.regex`).

Web ACLs and rule groups are described as far as JSON Schema reaches (:func:`web_acl_schema`,
:func:`rule_group_schema`): the keys AWS defines, what is required, the types and ranges the engine
checks. What it cannot say - rule names and priorities unique within ``Rules``, a statement's own
grammar, a ``CustomResponseBodyKey`` naming an entry of ``CustomResponseBodies``, capacity (WCU)
limits - the engine checks when it compiles the document (400 naming the JSON path). Everything the
schema refuses, the engine refuses too.

A body may also come wrapped as ``Get*`` answers it (``{"IPSet": {...}, "LockToken": "..."}``).
``Name`` may be left out; when given it must equal the name in the path.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter

from assetguard.core.bodyschema import inline_schema, validate_body
from assetguard.core.errors import ValidationError
from assetguard.waf.regex import MAX_REGEX_LENGTH, validate_aws_regex

_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
IPV4_CIDR = rf"^{_OCTET}(\.{_OCTET}){{3}}/(3[0-2]|[12]?[0-9])$"
_H = "[0-9A-Fa-f]{1,4}"
_IPV6 = "|".join([
    rf"({_H}:){{7}}{_H}", rf"({_H}:){{1,7}}:", rf"({_H}:){{1,6}}:{_H}", rf"({_H}:){{1,5}}(:{_H}){{1,2}}",
    rf"({_H}:){{1,4}}(:{_H}){{1,3}}", rf"({_H}:){{1,3}}(:{_H}){{1,4}}", rf"({_H}:){{1,2}}(:{_H}){{1,5}}",
    rf"{_H}:(:{_H}){{1,6}}", rf":((:{_H}){{1,7}}|:)"])
IPV6_CIDR = rf"^({_IPV6})/(12[0-8]|1[01][0-9]|[1-9]?[0-9])$"
MAX_ADDRESSES = 10_000  # AWS WAF's limit per IP set
MAX_REGEXES = 10  # AWS WAF's limit per regex pattern set


def _aws_regex(value: str) -> str:
    try:
        validate_aws_regex(value, where="RegexString")
    except ValidationError as exc:
        raise ValueError(exc.message) from None
    return value


AwsRegex = Annotated[str, Field(min_length=1, max_length=MAX_REGEX_LENGTH, json_schema_extra={"format": "regex"}),
                     AfterValidator(_aws_regex)]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Tag(_Doc):
    Key: str = Field(min_length=1, max_length=128)
    Value: str = Field(max_length=256)


class _Common(_Doc):
    Description: str = Field(None, min_length=1, max_length=256)  # type: ignore[assignment]
    Scope: Literal["REGIONAL", "CLOUDFRONT"] = "REGIONAL"
    Tags: list[Tag] = Field(None, max_length=50)  # type: ignore[arg-type]
    Id: str = Field(None, max_length=36)  # type: ignore[assignment]
    ARN: str = Field(None, min_length=1, max_length=2048)  # type: ignore[assignment]


def _cidr(pattern: str, example: str) -> Any:
    """A CIDR string published with ``pattern``, refused with a message a person can read."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(f"not a CIDR of this IPAddressVersion such as {example}")
        return value
    return Annotated[str, Field(json_schema_extra={"pattern": pattern}), AfterValidator(check)]


class IPv4Set(_Common):
    IPAddressVersion: Literal["IPV4"]
    Addresses: list[_cidr(IPV4_CIDR, "192.0.2.0/24")] = Field(max_length=MAX_ADDRESSES)  # type: ignore[valid-type]


class IPv6Set(_Common):
    IPAddressVersion: Literal["IPV6"]
    Addresses: list[_cidr(IPV6_CIDR, "2001:db8::/32")] = Field(max_length=MAX_ADDRESSES)  # type: ignore[valid-type]


class RegexEntry(_Doc):
    RegexString: AwsRegex


class RegexPatternSet(_Common):
    RegularExpressionList: list[RegexEntry] = Field(min_length=1, max_length=MAX_REGEXES)


IP_SET: TypeAdapter[Any] = TypeAdapter(Annotated[IPv4Set | IPv6Set, Field(discriminator="IPAddressVersion")])
REGEX_PATTERN_SET: TypeAdapter[Any] = TypeAdapter(RegexPatternSet)
MODELS = {"ip-set": IP_SET, "regex-pattern-set": REGEX_PATTERN_SET}


def _wrapped(schema: dict[str, Any], wrapper: str) -> dict[str, Any]:
    """``schema``, or the same document wrapped as a ``Get*`` answer."""
    return {"anyOf": [schema, {"type": "object", "required": [wrapper], "additionalProperties": False,
                               "properties": {wrapper: schema, "LockToken": {"type": "string"}}}]}


def resource_schema(kind: str, wrapper: str) -> dict[str, Any]:
    """The published body of ``PUT /waf/<kind>s/{name}``."""
    if kind in MODELS:
        schema = inline_schema(MODELS[kind])
    else:
        schema = rule_group_schema()
    return _wrapped(schema, wrapper)


def check_resource(kind: str, name: str, document: dict[str, Any], where: str) -> None:
    """Check ``document`` against its published schema (IP sets and regex pattern sets); a ``Name``
    equal to ``name`` only repeats the path and is left out of the check, any other ``Name`` is refused."""
    if "Name" in document:
        if document["Name"] != name:
            raise ValidationError("Name must equal the name in the path", where=f"{where} (Name)")
        document = {k: v for k, v in document.items() if k != "Name"}
    model = MODELS.get(kind)
    if model is not None:
        validate_body(model, document, where, tags=frozenset({"IPV4", "IPV6"}))


# --- web ACLs and rule groups: the structure the engine checks --------------------------------------

_NAME = {"type": "string", "pattern": r"^[\w-]{1,128}$"}
_VISIBILITY = {"type": "object", "required": ["SampledRequestsEnabled", "CloudWatchMetricsEnabled", "MetricName"],
               "properties": {"SampledRequestsEnabled": {"type": "boolean"},
                              "CloudWatchMetricsEnabled": {"type": "boolean"},
                              "MetricName": {"type": "string", "minLength": 1}}}
_HEADERS = {"type": "array", "items": {"type": "object", "required": ["Name", "Value"],
                                       "properties": {"Name": {"type": "string"}, "Value": {"type": "string"}}}}
_HANDLING = {"type": "object", "properties": {"CustomRequestHandling": {
    "type": "object", "required": ["InsertHeaders"], "properties": {"InsertHeaders": _HEADERS}}}}
_BLOCK = {"type": "object", "properties": {"CustomResponse": {
    "type": "object", "required": ["ResponseCode"],
    "properties": {"ResponseCode": {"type": "integer", "minimum": 200, "maximum": 599},
                   "CustomResponseBodyKey": {"type": "string"}, "ResponseHeaders": _HEADERS}}}}


def _one_of(options: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
            "properties": options}


_ACTION = _one_of({"Allow": _HANDLING, "Block": _BLOCK, "Count": _HANDLING})
_DEFAULT_ACTION = _one_of({"Allow": _HANDLING, "Block": _BLOCK})
_OVERRIDE = _one_of({"None": {"type": "object"}, "Count": {"type": "object"}})
_STATEMENT = {"type": "object", "minProperties": 1, "maxProperties": 1,
              "description": "exactly one statement (ByteMatchStatement, IPSetReferenceStatement, AndStatement, ...);"
                             " its grammar is the engine's (docs/waf.md)",
              "additionalProperties": {"type": "object"}}


def _rules(*, group: bool) -> dict[str, Any]:
    rule = {"type": "object", "additionalProperties": False,
            "required": ["Name", "Priority", "Statement", *([] if group else ["VisibilityConfig"])],
            "properties": {"Name": _NAME, "Priority": {"type": "integer", "minimum": 0}, "Statement": _STATEMENT,
                           "Action": _ACTION, "OverrideAction": _OVERRIDE,
                           "RuleLabels": {"type": "array", "items": {"type": "object", "required": ["Name"],
                                                                     "properties": {"Name": {"type": "string"}}}},
                           "VisibilityConfig": _VISIBILITY, "CaptchaConfig": {}, "ChallengeConfig": {}}}
    return {"type": "array", "items": rule,
            "description": "rule Names and Priorities are unique within the list (checked when compiled)"}


_BODIES = {"type": "object", "additionalProperties": {
    "type": "object", "required": ["ContentType", "Content"],
    "properties": {"ContentType": {"enum": ["TEXT_PLAIN", "TEXT_HTML", "APPLICATION_JSON"]},
                   "Content": {"type": "string"}}}}


def web_acl_schema() -> dict[str, Any]:
    from assetguard.waf.acl_model import ACL_KEYS

    properties: dict[str, Any] = {key: {} for key in sorted(ACL_KEYS)}  # kept as given, not read by the engine
    properties.update(Name=_NAME, DefaultAction=_DEFAULT_ACTION, VisibilityConfig=_VISIBILITY,
                      CustomResponseBodies=_BODIES, Rules=_rules(group=False))
    return _wrapped({"type": "object", "additionalProperties": False,
                     "required": ["Name", "DefaultAction", "VisibilityConfig"], "properties": properties}, "WebACL")


def rule_group_schema() -> dict[str, Any]:
    from assetguard.waf.acl_model import GROUP_KEYS

    properties: dict[str, Any] = {key: {} for key in sorted(GROUP_KEYS)}
    properties.update(Name={**_NAME, "description": "the name in the path (may be left out)"},
                      Capacity={"type": "integer", "minimum": 1}, Rules=_rules(group=True))
    return {"type": "object", "additionalProperties": False, "required": ["Capacity", "Rules"],
            "properties": properties}
