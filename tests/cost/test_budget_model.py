from __future__ import annotations

from datetime import date

import pytest

from assetguard.core.errors import ValidationError
from assetguard.cost.budget import parse_definitions
from assetguard.cost.period import budget_period

NOTE = ("  - Notification: {NotificationType: ACTUAL, ComparisonOperator: GREATER_THAN, Threshold: %d}\n"
        "    Subscribers: [{SubscriptionType: EMAIL, Address: a@example.com}]\n")


def test_yaml_errors_name_line_and_key() -> None:
    text = "Budget:\n  BudgetName: x\n  TimeUnit: WEEKLY\n  BudgetLimit: {Amount: 5}\n"
    with pytest.raises(ValidationError) as info:
        parse_definitions(text, "b.yaml")
    assert "b.yaml:3 (Budget.TimeUnit)" in str(info.value)


@pytest.mark.parametrize(("text", "message"), [
    ("Budget: {BudgetName: x, TimeUnit: MONTHLY}", "exactly one of BudgetLimit and PlannedBudgetLimits"),
    ("Budget: {BudgetName: x, BudgetLimit: {Amount: -1}}", "must not be negative"),
    ("Budget: {BudgetName: 'a:b', BudgetLimit: {Amount: 1}}", "BudgetName"),
    ("Budget: {BudgetName: x, BudgetType: USAGE, BudgetLimit: {Amount: 1}}", "BudgetType"),
    ("Budget: {BudgetName: x, BudgetLimit: {Amount: 1}, Metrics: [Hours]}", "unknown metric"),
    ("Budget: {BudgetName: x, TimeUnit: DAILY, BudgetLimit: {Amount: 1}}\nNotificationsWithSubscribers:\n"
     "  - Notification: {NotificationType: FORECASTED, ComparisonOperator: GREATER_THAN, Threshold: 1}\n",
     "DAILY budgets have no forecast"),
    ("Budget: {BudgetName: x, BudgetLimit: {Amount: 1}}\nNotificationsWithSubscribers:\n"
     + "".join(NOTE % i for i in range(11)), "at most 10"),
    ("Budget: {BudgetName: x, BudgetLimit: {Amount: 1}}\nNotificationsWithSubscribers:\n"
     "  - Notification: {NotificationType: ACTUAL, ComparisonOperator: GREATER_THAN, Threshold: 1}\n"
     "    Subscribers: [" + ", ".join(f"{{SubscriptionType: EMAIL, Address: u{i}@x.org}}" for i in range(11)) + "]\n",
     "at most 10 EMAIL"),
    ("Budget: {BudgetName: x, BudgetLimit: {Amount: 1}, FilterExpression: {Tags: {Key: a}, "
     "Dimensions: {Key: SERVICE, Values: [b]}}}", "exactly one of And"),
    ("Budget: {BudgetName: x, BudgetLimit: {Amount: 1}, PlannedBudgetLimits: {'2026-01-01': {Amount: 1}}}",
     "exactly one of"),
])
def test_invalid_definitions(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_definitions(text, "b.yaml")


def test_aws_json_list_and_metric_aliases() -> None:
    text = """{"Budgets": [
      {"AccountId": "123456789012", "Budget": {"BudgetName": "a", "BudgetType": "COST", "TimeUnit": "ANNUALLY",
        "BudgetLimit": {"Amount": "12000.0", "Unit": "USD"}, "CostTypes": {"UseAmortized": true}}},
      {"Budget": {"BudgetName": "b", "TimeUnit": "QUARTERLY", "BudgetLimit": {"Amount": 3, "Unit": "USD"},
        "Metrics": ["UnblendedCost"]}}]}"""
    a, b = parse_definitions(text, "b.json")
    assert a.Budget.metric == "EffectiveCost" and a.Budget.limit_for(date(2026, 1, 1)) == 12000.0
    assert b.Budget.metric == "BilledCost"
    with pytest.raises(ValidationError, match="defined twice"):
        parse_definitions(text.replace('"BudgetName": "b"', '"BudgetName": "a"'), "b.json")


def test_periods() -> None:
    assert budget_period("DAILY", date(2026, 2, 28)) == (date(2026, 2, 28), date(2026, 3, 1))
    assert budget_period("MONTHLY", date(2026, 12, 31)) == (date(2026, 12, 1), date(2027, 1, 1))
    assert budget_period("QUARTERLY", date(2026, 11, 5)) == (date(2026, 10, 1), date(2027, 1, 1))
    assert budget_period("QUARTERLY", date(2026, 5, 5)) == (date(2026, 4, 1), date(2026, 7, 1))
    assert budget_period("ANNUALLY", date(2026, 5, 5)) == (date(2026, 1, 1), date(2027, 1, 1))
