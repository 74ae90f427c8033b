"""JSON Schema of what ``PUT /cost/budgets`` takes: one ``CreateBudget`` input, a list of them, or
``{"Budgets": [...]}`` - the shapes :func:`assetguard.cost.budget.parse_definitions` reads.

It states what the models in :mod:`assetguard.cost.budget` and the filter compiler in
:mod:`assetguard.cost.filters` check: names, enums, ranges, exactly one of ``BudgetLimit`` and
``PlannedBudgetLimits``, one metric of the known names, exactly one operator per filter expression
(nested up to :data:`EXPRESSION_DEPTH` levels here; deeper ones are accepted too), an ``@`` in an
e-mail address and ``arn:`` before a topic, at most 10 e-mail and 1 SNS subscriber per
notification, no forecast notification on a DAILY budget. Two rules are left to the models because
JSON Schema cannot say them: budget names unique within one request, and notifications unique by
type, operator, threshold and threshold type within a budget (400 naming both).
"""

from __future__ import annotations

from typing import Any

from assetguard.cost.budget import MAX_AMOUNT, METRIC_ALIASES
from assetguard.cost.filters import COST_FILTER_KEYS, DIMENSIONS, MATCH_OPTIONS

EXPRESSION_DEPTH = 3
_NULL = {"type": "null"}
# A decimal from 0 to MAX_AMOUNT (15,000,000,000,000) with at most 10 decimal places, in plain notation.
_AMOUNT_TEXT = r"^((0|[1-9][0-9]{0,12}|1[0-4][0-9]{12})(\.[0-9]{1,10})?|15000000000000(\.0{1,10})?)$"
SPEND = {"type": "object", "additionalProperties": False, "required": ["Amount"], "properties": {
    "Amount": {"anyOf": [{"type": "string", "pattern": _AMOUNT_TEXT},
                         {"type": "number", "minimum": 0, "maximum": int(MAX_AMOUNT),
                          "description": "a JSON number is kept to 10 decimal places"}]},
    "Unit": {"type": "string"}}}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, _NULL]}


def _strings() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}}


def _match_options() -> dict[str, Any]:
    return _nullable({"type": "array", "items": {"enum": sorted(MATCH_OPTIONS)}})


def expression(depth: int = EXPRESSION_DEPTH) -> dict[str, Any]:
    """A Cost Explorer ``Expression`` (exactly one operator; CostCategories is not supported)."""
    leaves: dict[str, Any] = {
        "Dimensions": {"type": "object", "additionalProperties": False, "required": ["Key"], "properties": {
            "Key": {"enum": sorted(DIMENSIONS)}, "Values": _strings(), "MatchOptions": _match_options()}},
        "Tags": {"type": "object", "additionalProperties": False, "required": ["Key"], "properties": {
            "Key": {"type": "string", "minLength": 1}, "Values": _strings(), "MatchOptions": _match_options()}},
    }
    operators = dict(leaves)
    if depth > 1:
        inner = expression(depth - 1)
        operators.update(And={"type": "array", "items": inner}, Or={"type": "array", "items": inner}, Not=inner)
    properties = {name: _nullable(schema) for name, schema in operators.items()}
    properties["CostCategories"] = _NULL
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "oneOf": [{"required": [name], "properties": {name: {"not": _NULL}}} for name in operators]}


_PERIOD_KEY = {"anyOf": [{"pattern": "^[0-9]{1,11}$"}, {"format": "date"}],
               "description": "epoch seconds (as AWS sends them) or YYYY-MM-DD"}
_ANY_OBJECT = _nullable({"type": "object"})

BUDGET = {
    "type": "object", "additionalProperties": False, "required": ["BudgetName"],
    "properties": {
        "BudgetName": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"^[^:\\]+$"},
        "BudgetType": {"const": "COST"},
        "TimeUnit": {"enum": ["DAILY", "MONTHLY", "QUARTERLY", "ANNUALLY"]},
        "BudgetLimit": _nullable(SPEND),
        "PlannedBudgetLimits": _nullable({"type": "object", "minProperties": 1, "propertyNames": _PERIOD_KEY,
                                          "additionalProperties": SPEND}),
        "FilterExpression": _nullable(expression()),
        "CostFilters": _nullable({"type": "object", "additionalProperties": False, "properties": {
            **{key: _strings() for key in sorted(COST_FILTER_KEYS)},
            "TagKeyValue": {"type": "array", "items": {"type": "string", "pattern": r"^user:[^$]+\$"}}}}),
        "Metrics": _nullable({"type": "array", "maxItems": 1, "items": {"enum": sorted(METRIC_ALIASES)}}),
        "CostTypes": _ANY_OBJECT, "TimePeriod": _ANY_OBJECT,
        # what DescribeBudget answers besides the input, accepted so a pulled budget can be put back
        "CalculatedSpend": _ANY_OBJECT, "LastUpdatedTime": {}, "AutoAdjustData": _ANY_OBJECT,
        "BillingViewArn": _nullable({"type": "string"}), "HealthStatus": _ANY_OBJECT,
    },
    "oneOf": [{"required": ["BudgetLimit"], "properties": {"BudgetLimit": {"type": "object"}}},
              {"required": ["PlannedBudgetLimits"], "properties": {"PlannedBudgetLimits": {"type": "object"}}}],
}

_SUBSCRIBER = {"type": "object", "additionalProperties": False, "required": ["SubscriptionType", "Address"],
               "properties": {"SubscriptionType": {"enum": ["EMAIL", "SNS"]}, "Address": {"type": "string",
                                                                                          "minLength": 1}},
               "oneOf": [{"properties": {"SubscriptionType": {"const": "EMAIL"}, "Address": {"pattern": "@"}}},
                         {"properties": {"SubscriptionType": {"const": "SNS"}, "Address": {"pattern": "^arn:"}}}]}


def _at_most(count: int, kind: str) -> dict[str, Any]:
    return {"contains": {"properties": {"SubscriptionType": {"const": kind}}}, "minContains": 0,
            "maxContains": count}


NOTIFICATION = {
    "type": "object", "additionalProperties": False, "required": ["Notification"],
    "properties": {
        "Notification": {"type": "object", "additionalProperties": False,
                         "required": ["NotificationType", "ComparisonOperator", "Threshold"], "properties": {
                             "NotificationType": {"enum": ["ACTUAL", "FORECASTED"]},
                             "ComparisonOperator": {"enum": ["GREATER_THAN", "LESS_THAN", "EQUAL_TO"]},
                             "Threshold": {"type": "number", "minimum": 0, "maximum": int(MAX_AMOUNT)},
                             "ThresholdType": {"enum": ["PERCENTAGE", "ABSOLUTE_VALUE"]},
                             "NotificationState": _nullable({"enum": ["OK", "ALARM"]})}},
        "Subscribers": {"type": "array", "items": _SUBSCRIBER,
                        "allOf": [_at_most(10, "EMAIL"), _at_most(1, "SNS")]}},
}

DEFINITION = {
    "type": "object", "additionalProperties": False, "required": ["Budget"],
    "properties": {"AccountId": _nullable({"type": "string"}), "Budget": BUDGET,
                   "NotificationsWithSubscribers": {"type": "array", "maxItems": 10, "items": NOTIFICATION}},
    # a DAILY budget has no forecast
    "if": {"required": ["Budget"], "properties": {"Budget": {"required": ["TimeUnit"],
                                                             "properties": {"TimeUnit": {"const": "DAILY"}}}}},
    "then": {"properties": {"NotificationsWithSubscribers": {"items": {"properties": {"Notification": {
        "properties": {"NotificationType": {"const": "ACTUAL"}}}}}}}},
}


def budgets_body_schema() -> dict[str, Any]:
    """The request body of ``PUT /cost/budgets``."""
    return {"anyOf": [
        {**DEFINITION, "description": "one CreateBudget input"},
        {"type": "array", "minItems": 1, "items": DEFINITION, "description": "a list of CreateBudget inputs"},
        {"type": "object", "additionalProperties": False, "required": ["Budgets"],
         "properties": {"Budgets": {"type": "array", "minItems": 1, "items": DEFINITION}}},
    ]}
