"""AWS Budgets push/pull and Cost Explorer ingestion, against moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.budgets.responses import BudgetsResponse
from moto.ce.models import ce_backends
from moto.core import DEFAULT_ACCOUNT_ID

from assetguard.auth.principal import SYSTEM
from assetguard.cost.aws_budgets import AwsBudgets
from assetguard.cost.budget import parse_definitions
from assetguard.cost.budgets import BudgetStore
from assetguard.cost.evaluate import BudgetEvaluator
from assetguard.cost.explorer import ingest_cost_explorer
from assetguard.runtime.platform import Platform


def _describe_subscribers_for_notification(self: BudgetsResponse) -> str:
    budget = self.backend.budgets[self._get_param("AccountId")][self._get_param("BudgetName")]
    wanted = self._get_param("Notification")
    for n in budget.notifications:
        if n.details == wanted:
            return json.dumps({"Subscribers": n.subscribers})
    return json.dumps({"Subscribers": []})


def _update_budget(self: BudgetsResponse) -> str:
    new = self._get_param("NewBudget")
    budget = self.backend.budgets[self._get_param("AccountId")][new["BudgetName"]]
    budget.budget.update(new)
    return json.dumps({})


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # moto 5.2 implements neither DescribeSubscribersForNotification nor UpdateBudget; these two shims
    # answer them from moto's own stored budget, as the AWS API reference describes the calls.
    monkeypatch.setattr(BudgetsResponse, "describe_subscribers_for_notification",
                        _describe_subscribers_for_notification, raising=False)
    monkeypatch.setattr(BudgetsResponse, "update_budget", _update_budget, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield


TEAM = """
Budget:
  BudgetName: team-web
  TimeUnit: QUARTERLY
  BudgetLimit: {Amount: "3000", Unit: USD}
  Metrics: [EffectiveCost]
  FilterExpression: {Tags: {Key: team, Values: [web]}}
NotificationsWithSubscribers:
  - Notification: {NotificationType: ACTUAL, ComparisonOperator: GREATER_THAN, Threshold: 90}
    Subscribers: [{SubscriptionType: EMAIL, Address: web@example.com}]
"""


def test_push_creates_updates_and_pull_imports(platform: Platform, aws: None) -> None:
    platform.settings.smtp.recipients = ["ops@example.com"]
    platform.settings.cost.sns_topic_arn = "arn:aws:sns:us-east-1:123456789012:budget-alerts"
    BudgetStore(platform).put(parse_definitions(TEAM, "team.yaml"), actor=SYSTEM)
    pusher = AwsBudgets(platform)
    assert pusher.push(names=None, sns_topic=None, dry_run=True, actor=SYSTEM) == [
        "created monthly-total (3 notifications)", "created team-web (1 notifications)"]
    client = boto3.client("budgets", region_name="us-east-1")
    assert client.describe_budgets(AccountId=DEFAULT_ACCOUNT_ID)["Budgets"] == []

    assert pusher.push(names=None, sns_topic=None, dry_run=False, actor=SYSTEM) == [
        "created monthly-total (3 notifications)", "created team-web (1 notifications)"]
    remote = client.describe_budget(AccountId=DEFAULT_ACCOUNT_ID, BudgetName="monthly-total")["Budget"]
    assert remote["TimeUnit"] == "MONTHLY" and float(remote["BudgetLimit"]["Amount"]) == 1000.0
    notes = client.describe_notifications_for_budget(AccountId=DEFAULT_ACCOUNT_ID,
                                                     BudgetName="monthly-total")["Notifications"]
    assert sorted((n["NotificationType"], n["Threshold"]) for n in notes) == [
        ("ACTUAL", 85.0), ("ACTUAL", 100.0), ("FORECASTED", 100.0)]
    subs = client.describe_subscribers_for_notification(
        AccountId=DEFAULT_ACCOUNT_ID, BudgetName="monthly-total", Notification=notes[0])["Subscribers"]
    assert {(s["SubscriptionType"], s["Address"]) for s in subs} == {
        ("EMAIL", "ops@example.com"), ("SNS", "arn:aws:sns:us-east-1:123456789012:budget-alerts")}
    team = client.describe_budget(AccountId=DEFAULT_ACCOUNT_ID, BudgetName="team-web")["Budget"]
    assert team["CostTypes"]["UseAmortized"] is True

    # Nothing changed: nothing to do.
    assert pusher.push(names=None, sns_topic=None, dry_run=False, actor=SYSTEM) == [
        "unchanged monthly-total", "unchanged team-web"]
    # A new limit and a moved threshold: UpdateBudget plus replace that one notification.
    edited = TEAM.replace('"3000"', '"3500"').replace("Threshold: 90", "Threshold: 95")
    BudgetStore(platform).put(parse_definitions(edited, "team.yaml"), actor=SYSTEM)
    assert pusher.push(names=["team-web"], sns_topic=None, dry_run=False, actor=SYSTEM) == [
        "updated team-web", "deleted notification ACTUAL:GREATER_THAN:90:PERCENTAGE of team-web",
        "created notification ACTUAL:GREATER_THAN:95:PERCENTAGE of team-web"]
    team = client.describe_budget(AccountId=DEFAULT_ACCOUNT_ID, BudgetName="team-web")["Budget"]
    assert float(team["BudgetLimit"]["Amount"]) == 3500.0
    assert [r["action"] for r in platform.audit.query(action="cost.budget.push")] == ["cost.budget.push"] * 3

    # Pull into an empty store reproduces the definitions (subscribers included).
    BudgetStore(platform).delete("team-web", actor=SYSTEM)
    client.create_budget(AccountId=DEFAULT_ACCOUNT_ID, Budget={
        "BudgetName": "usage", "BudgetType": "USAGE", "TimeUnit": "MONTHLY",
        "BudgetLimit": {"Amount": "10", "Unit": "GBP"}})
    results = AwsBudgets(platform).pull(actor=SYSTEM)
    assert results == ["skipped usage (type USAGE)", "updated budget monthly-total", "created budget team-web"]
    pulled = BudgetStore(platform).get("team-web")
    assert pulled.Budget.metric == "EffectiveCost" and pulled.Budget.limit_for(date(2026, 1, 1)) == 3500.0
    assert pulled.Budget.FilterExpression is not None and pulled.Budget.FilterExpression.Tags is not None
    [nws] = pulled.NotificationsWithSubscribers
    assert nws.Notification.Threshold == 95.0
    assert {s.Address for s in nws.Subscribers} == {"web@example.com",
                                                   "arn:aws:sns:us-east-1:123456789012:budget-alerts"}


def _ce_result(days: list[tuple[str, str, str, float, float]]) -> dict[str, Any]:
    by_day: dict[str, list[dict[str, Any]]] = {}
    for day, service, account, billed, amortized in days:
        by_day.setdefault(day, []).append({"Keys": [service, account], "Metrics": {
            "UnblendedCost": {"Amount": str(billed), "Unit": "USD"},
            "AmortizedCost": {"Amount": str(amortized), "Unit": "USD"}}})
    return {"ResultsByTime": [{"TimePeriod": {"Start": d, "End": d}, "Groups": g, "Estimated": False}
                              for d, g in sorted(by_day.items())]}


def test_cost_explorer_ingest(platform: Platform, aws: None) -> None:
    rows = [(f"2026-09-{d:02d}", svc, "222222222222", amt, amt * 0.9) for d in range(1, 21)
            for svc, amt in (("Amazon Elastic Compute Cloud - Compute", 30.0), ("Amazon Simple Storage Service", 10.0))]
    ce_backends[DEFAULT_ACCOUNT_ID]["global"].cost_usage_results_queue.append(_ce_result(rows))
    summary = ingest_cost_explorer(platform, date(2026, 9, 5), date(2026, 9, 21), actor=SYSTEM, evaluate=False)
    assert summary.rows_stored == 40
    assert [p["billingPeriodStart"] for p in summary.periods] == ["2026-09-01"]
    [entry] = BudgetEvaluator(platform).evaluate(as_of=date(2026, 9, 20), names=["monthly-total"])
    assert entry["actual"] == 800.0
    # Same request again (moto answers the same): replaced, not doubled.
    ingest_cost_explorer(platform, date(2026, 9, 5), date(2026, 9, 21), actor=SYSTEM, evaluate=False)
    [entry] = BudgetEvaluator(platform).evaluate(as_of=date(2026, 9, 20), names=["monthly-total"])
    assert entry["actual"] == 800.0
