"""ASFF filters (``GetFindings`` / automation-rule criteria) compiled to predicates.

Filter names are Security Hub's (``SeverityLabel``, ``WorkflowStatus``, ``ResourceType`` ...) or
a dotted ASFF path (``Compliance.Status``). String comparisons: EQUALS, PREFIX, CONTAINS (positive,
OR-ed together) and NOT_EQUALS, PREFIX_NOT_EQUALS, NOT_CONTAINS (negative, AND-ed); the two groups
are AND-ed. Numbers take ``Gte/Lte/Gt/Lt/Eq``; dates ``Start/End`` or ``DateRange {Value, Unit: DAYS}``;
maps (``ResourceTags``, ``UserDefinedFields``, ``ProductFields``) ``Key`` + ``Value`` + ``Comparison``.

>>> match = compile_filters({"SeverityLabel": [{"Value": "HIGH", "Comparison": "EQUALS"}]})
>>> match({"Severity": {"Label": "HIGH"}})
True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from assetguard.core.clock import utcnow
from assetguard.core.errors import ValidationError
from assetguard.findings.model import field_value, parse_time

FIELD_PATHS = {
    "Id": "Id", "ProductArn": "ProductArn", "GeneratorId": "GeneratorId", "AwsAccountId": "AwsAccountId",
    "Type": "Types", "Title": "Title", "Description": "Description", "ProductName": "ProductName",
    "CompanyName": "CompanyName", "Region": "Region",
    "SeverityLabel": "Severity.Label", "SeverityNormalized": "Severity.Normalized",
    "WorkflowStatus": "Workflow.Status", "RecordState": "RecordState", "ComplianceStatus": "Compliance.Status",
    "ComplianceSecurityControlId": "Compliance.SecurityControlId", "VerificationState": "VerificationState",
    "ResourceType": "Resources.Type", "ResourceId": "Resources.Id", "ResourceRegion": "Resources.Region",
    "ResourcePartition": "Resources.Partition", "ResourceTags": "Resources.Tags",
    "ProductFields": "ProductFields", "UserDefinedFields": "UserDefinedFields",
    "CreatedAt": "CreatedAt", "UpdatedAt": "UpdatedAt", "FirstObservedAt": "FirstObservedAt",
    "LastObservedAt": "LastObservedAt", "NoteText": "Note.Text", "Confidence": "Confidence",
    "Criticality": "Criticality", "RelatedFindingsId": "RelatedFindings.Id",
}
DATE_FIELDS = {"CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt", "NoteUpdatedAt"}
MAP_FIELDS = {"ResourceTags", "ProductFields", "UserDefinedFields"}
POSITIVE = {"EQUALS", "PREFIX", "CONTAINS"}
NEGATIVE = {"NOT_EQUALS", "PREFIX_NOT_EQUALS", "NOT_CONTAINS"}

Predicate = Callable[[dict[str, Any]], bool]
# A path into the finding (``Compliance.Status``, ``Resources.Details.AwsS3Bucket.Name``): two or more names.
_DOTTED = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+")


def path_for(name: str) -> str:
    return FIELD_PATHS.get(name, name)


def _values(finding: dict[str, Any], path: str) -> list[Any]:
    v = field_value(finding, path)
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _string_test(comparison: str, expected: str) -> Callable[[str], bool]:
    if comparison in ("EQUALS", "NOT_EQUALS"):
        return lambda s: s == expected
    if comparison in ("PREFIX", "PREFIX_NOT_EQUALS"):
        return lambda s: s.startswith(expected)
    if comparison in ("CONTAINS", "NOT_CONTAINS"):
        return lambda s: expected in s
    raise ValidationError(f"unknown string comparison {comparison!r}")


def _compile_field(name: str, conditions: list[dict[str, Any]]) -> Predicate:
    path = path_for(name)
    if not isinstance(conditions, list) or not conditions:
        raise ValidationError("a filter is a non-empty list of conditions", where=f"Filters.{name}")
    first = conditions[0]
    if name in MAP_FIELDS:
        return _compile_map(path, conditions, name)
    if name in DATE_FIELDS or "Start" in first or "End" in first or "DateRange" in first:
        return _compile_dates(path, conditions)
    if any(k in first for k in ("Gte", "Lte", "Gt", "Lt", "Eq")):
        return _compile_numbers(path, conditions)
    positive: list[Callable[[str], bool]] = []
    negative: list[Callable[[str], bool]] = []
    for i, cond in enumerate(conditions):
        comparison = cond.get("Comparison", "EQUALS")
        if "Value" not in cond:
            raise ValidationError("a string filter needs Value", where=f"Filters.{name}[{i}]")
        if comparison not in POSITIVE | NEGATIVE:
            raise ValidationError(f"Comparison must be one of {sorted(POSITIVE | NEGATIVE)}",
                                  where=f"Filters.{name}[{i}].Comparison")
        test = _string_test(comparison, str(cond["Value"]))
        (positive if comparison in POSITIVE else negative).append(test)

    def predicate(finding: dict[str, Any]) -> bool:
        values = [str(v) for v in _values(finding, path)]
        if positive and not any(t(v) for t in positive for v in values):
            return False
        return not any(t(v) for t in negative for v in values)

    return predicate


def _number_test(cond: dict[str, Any]) -> Callable[[float], bool]:
    bounds = [(op, float(cond[op])) for op in ("Gte", "Lte", "Gt", "Lt", "Eq") if op in cond]

    def test(x: float) -> bool:
        for op, b in bounds:
            if (op == "Gte" and x < b) or (op == "Lte" and x > b) or (op == "Gt" and x <= b) \
                    or (op == "Lt" and x >= b) or (op == "Eq" and x != b):
                return False
        return True

    return test


def _compile_numbers(path: str, conditions: list[dict[str, Any]]) -> Predicate:
    tests = [_number_test(c) for c in conditions]

    def predicate(finding: dict[str, Any]) -> bool:
        return any(t(float(v)) for t in tests for v in _values(finding, path) if isinstance(v, int | float))

    return predicate


def _date_test(cond: dict[str, Any]) -> Callable[[datetime], bool]:
    if "DateRange" in cond:
        rng = cond["DateRange"]
        if rng.get("Unit", "DAYS") != "DAYS":
            raise ValidationError("DateRange.Unit must be DAYS")
        days = int(rng["Value"])
        return lambda ts: ts >= utcnow() - timedelta(days=days)
    start = parse_time(cond["Start"]) if cond.get("Start") else None
    end = parse_time(cond["End"]) if cond.get("End") else None
    return lambda ts: (start is None or ts >= start) and (end is None or ts <= end)


def _compile_dates(path: str, conditions: list[dict[str, Any]]) -> Predicate:
    tests = [_date_test(c) for c in conditions]

    def predicate(finding: dict[str, Any]) -> bool:
        for v in _values(finding, path):
            try:
                ts = parse_time(v)
            except ValueError:
                continue
            if any(t(ts) for t in tests):
                return True
        return False

    return predicate


def _compile_map(path: str, conditions: list[dict[str, Any]], name: str) -> Predicate:
    positive: list[tuple[str, Callable[[str], bool]]] = []
    negative: list[tuple[str, Callable[[str], bool]]] = []
    for cond in conditions:
        comparison = cond.get("Comparison", "EQUALS")
        test = _string_test(comparison, str(cond.get("Value", "")))
        (positive if comparison in POSITIVE else negative).append((str(cond.get("Key")), test))

    def predicate(finding: dict[str, Any]) -> bool:
        maps = [m for m in _values(finding, path) if isinstance(m, dict)]
        if positive and not any(k in m and t(str(m[k])) for k, t in positive for m in maps):
            return False
        return not any(k in m and t(str(m[k])) for k, t in negative for m in maps)

    return predicate


NUMBER_FIELDS = {"SeverityNormalized", "Confidence", "Criticality"}
_COMPARISON: dict[str, Any] = {"enum": sorted(POSITIVE | NEGATIVE)}
STRING_CONDITION: dict[str, Any] = {"type": "object", "additionalProperties": False, "required": ["Value"],
                    "properties": {"Value": {"type": "string"}, "Comparison": _COMPARISON}}
MAP_CONDITION: dict[str, Any] = {"type": "object", "additionalProperties": False, "required": ["Key"],
                 "properties": {"Key": {"type": "string"}, "Value": {"type": "string"}, "Comparison": _COMPARISON}}
NUMBER_CONDITION: dict[str, Any] = {"type": "object", "additionalProperties": False, "minProperties": 1,
                    "properties": {op: {"type": "number"} for op in ("Gte", "Lte", "Gt", "Lt", "Eq")}}
MAX_DAYS = 36_500
DATE_CONDITION: dict[str, Any] = {"type": "object", "additionalProperties": False, "minProperties": 1,
                  "properties": {"Start": {"type": "string", "format": "date-time"},
                                 "End": {"type": "string", "format": "date-time"},
                                 "DateRange": {"type": "object", "additionalProperties": False, "required": ["Value"],
                                               "properties": {"Value": {"type": "integer", "minimum": 0,
                                                                        "maximum": MAX_DAYS},
                                                              "Unit": {"const": "DAYS"}}}}}
_KINDS: dict[str, dict[str, Any]] = {"string": STRING_CONDITION, "map": MAP_CONDITION, "number": NUMBER_CONDITION, "date": DATE_CONDITION}
DOTTED_PATTERN = "^" + _DOTTED.pattern + "$"


def _conditions(kind: str) -> dict[str, Any]:
    return {"type": "array", "minItems": 1, "items": _KINDS[kind]}


def field_kind(name: str) -> str:
    """How a named filter compares: map, date, number or string."""
    if name in MAP_FIELDS:
        return "map"
    if name in DATE_FIELDS:
        return "date"
    return "number" if name in NUMBER_FIELDS else "string"


def filters_schema() -> dict[str, Any]:
    """``Filters`` as JSON Schema: each Security Hub name with its kind of condition, or a dotted ASFF
    path whose conditions are all strings, all numbers or all dates (the first decides)."""
    names = sorted(set(FIELD_PATHS) | DATE_FIELDS)
    return {"type": "object", "properties": {name: _conditions(field_kind(name)) for name in names},
            "patternProperties": {DOTTED_PATTERN: {"anyOf": [_conditions(k) for k in ("string", "number", "date")]}},
            "additionalProperties": False,
            "description": "field name -> conditions, as Security Hub GetFindings Filters"}


def _path_kind(conditions: list[Any]) -> str:
    first = conditions[0]
    if "Start" in first or "End" in first or "DateRange" in first:
        return "date"
    return "number" if any(k in first for k in ("Gte", "Lte", "Gt", "Lt", "Eq")) else "string"


def _check_condition(kind: str, cond: dict[str, Any], where: str) -> None:
    """One condition against :data:`_KINDS` (the same rules the schema states)."""
    schema = _KINDS[kind]
    allowed = schema["properties"]
    unknown = sorted(set(cond) - set(allowed))
    if unknown:
        raise ValidationError(f"unknown key {unknown[0]!r} in a {kind} condition (keys: {', '.join(allowed)})",
                              where=where)
    for key in schema.get("required", []):
        if key not in cond:
            raise ValidationError(f"a {kind} condition needs {key}", where=where)
    if not cond and schema.get("minProperties"):
        raise ValidationError(f"a {kind} condition needs one of {', '.join(allowed)}", where=where)
    for key, value in cond.items():
        at = f"{where}.{key}"
        if kind in ("string", "map") and key != "Comparison" and not isinstance(value, str):
            raise ValidationError("must be a string", where=at)
        if key == "Comparison" and (not isinstance(value, str) or value not in POSITIVE | NEGATIVE):
            raise ValidationError(f"Comparison must be one of {sorted(POSITIVE | NEGATIVE)}", where=at)
        if kind == "number" and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise ValidationError("must be a number", where=at)
        if key in ("Start", "End"):
            try:
                parse_time(value)
            except (ValueError, TypeError):
                raise ValidationError("must be an ISO 8601 date-time such as 2024-01-31T12:00:00Z", where=at) from None
        if key == "DateRange":
            if not isinstance(value, dict) or set(value) - {"Value", "Unit"} or value.get("Unit", "DAYS") != "DAYS":
                raise ValidationError("must be {\"Value\": days, \"Unit\": \"DAYS\"}", where=at)
            days = value.get("Value")
            if isinstance(days, float) and days.is_integer():  # JSON has one number type: 30.0 is 30
                days = int(days)
            if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_DAYS:
                raise ValidationError(f"Value must be a whole number of days from 0 to {MAX_DAYS}", where=f"{at}.Value")


def compile_filters(filters: dict[str, Any] | None) -> Predicate:
    """One predicate for a whole ``Filters`` object (every field must match)."""
    if not filters:
        return lambda _f: True
    if not isinstance(filters, dict):
        raise ValidationError("Filters must be an object of field name → conditions")
    compiled = [_checked_field(name, conds) for name, conds in filters.items()]
    return lambda f: all(p(f) for p in compiled)


def _checked_field(name: Any, conditions: Any) -> Predicate:
    """A field's predicate; any malformed name, condition or value is a ValidationError naming it."""
    if not isinstance(name, str) or not (name in FIELD_PATHS or name in DATE_FIELDS or _DOTTED.fullmatch(name)):
        raise ValidationError(f"unknown filter field {name!r}: use a Security Hub filter name "
                              f"({', '.join(sorted(FIELD_PATHS))}) or a dotted ASFF path such as Compliance.Status",
                              where="Filters")
    if not isinstance(conditions, list) or not conditions:
        raise ValidationError("a filter is a non-empty list of conditions", where=f"Filters.{name}")
    for i, cond in enumerate(conditions):
        if not isinstance(cond, dict):
            raise ValidationError("a condition is an object such as {\"Value\": ..., \"Comparison\": \"EQUALS\"}",
                                  where=f"Filters.{name}[{i}]")
    kind = field_kind(name) if name in FIELD_PATHS or name in DATE_FIELDS else _path_kind(conditions)
    for i, cond in enumerate(conditions):
        _check_condition(kind, cond, f"Filters.{name}[{i}]")
    try:
        return _compile_field(name, conditions)
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
        raise ValidationError(f"invalid condition: {exc}", where=f"Filters.{name}") from None
