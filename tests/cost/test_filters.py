"""Budget filters by tag, service, account and charge category select exactly the right spend."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from assetguard.auth.principal import SYSTEM
from assetguard.core.errors import ValidationError
from assetguard.cost.budget import parse_definitions
from assetguard.cost.budgets import BudgetStore
from assetguard.cost.evaluate import BudgetEvaluator
from assetguard.cost.ingest import CostIngestor
from assetguard.runtime.platform import Platform
from tests.cost.factory import focus_row, write_focus_csv

D = date(2026, 9, 3)
ROWS = [
    focus_row(D, 100.0, tags={"team": "web", "env": "prod"}, effective=80.0),
    focus_row(D, 40.0, tags={"team": "Data"}, account="222222222222", region="eu-west-1"),
    focus_row(D, 20.0, service="Amazon Simple Storage Service", resource="b1"),
    focus_row(D, 7.0, service="Amazon Simple Storage Service", tags={"team": ""}, resource="b2"),
    focus_row(D, 3.0, service="Tax", category="Tax", resource=""),
    focus_row(D, -5.0, category="Credit", resource="", tags={"team": "web"}),
]

CASES = [
    ("Tags: {Key: team, Values: [web]}", 95.0),
    ("Tags: {Key: 'user:team', Values: [web, Data]}", 135.0),
    ("Tags: {Key: team, Values: [data], MatchOptions: [EQUALS, CASE_INSENSITIVE]}", 40.0),
    ("Tags: {Key: team, MatchOptions: [ABSENT]}", 30.0),
    ("Tags: {Key: team, Values: ['']}", 30.0),
    ("Dimensions: {Key: SERVICE, Values: [Amazon Simple Storage Service]}", 27.0),
    ("Dimensions: {Key: SERVICE, Values: [Amazon], MatchOptions: [STARTS_WITH]}", 162.0),
    ("Dimensions: {Key: LINKED_ACCOUNT, Values: ['222222222222']}", 40.0),
    ("Dimensions: {Key: REGION, Values: [us-east-1]}", 125.0),
    ("Dimensions: {Key: CHARGE_CATEGORY, Values: [Usage]}", 167.0),
    ("Not: {Dimensions: {Key: RECORD_TYPE, Values: [Credit, Tax]}}", 167.0),
    ("And: [{Tags: {Key: env, Values: [prod]}}, {Dimensions: {Key: SERVICE, Values: "
     "[Amazon Elastic Compute Cloud]}}]", 100.0),
    ("Or: [{Tags: {Key: team, Values: [Data]}}, {Dimensions: {Key: RESOURCE_ID, Values: [b1]}}]", 60.0),
]


@pytest.fixture
def ingested(platform: Platform, tmp_path: Path) -> Platform:
    CostIngestor(platform).ingest(write_focus_csv(tmp_path / "f.csv", ROWS), evaluate=False)
    return platform


def _actual(platform: Platform, filter_yaml: str, metric: str = "BilledCost") -> float:
    text = (f"Budget: {{BudgetName: f, BudgetLimit: {{Amount: 1000}}, Metrics: [{metric}], "
            f"FilterExpression: {{{filter_yaml}}}}}")
    BudgetStore(platform).put(parse_definitions(text, "f.yaml"), actor=SYSTEM)
    [entry] = BudgetEvaluator(platform).evaluate(as_of=D, names=["f"])
    return float(entry["actual"])


def test_filters(ingested: Platform) -> None:
    for expression, expected in CASES:
        assert _actual(ingested, expression) == pytest.approx(expected), expression
    # EffectiveCost (amortised) is a separate metric.
    assert _actual(ingested, "Tags: {Key: team, Values: [web]}", "EffectiveCost") == pytest.approx(75.0)


def test_legacy_cost_filters(ingested: Platform) -> None:
    text = ("Budget: {BudgetName: f, BudgetLimit: {Amount: 1000}, CostFilters: {Service: "
            "[Amazon Simple Storage Service], TagKeyValue: ['user:team$']}}")
    BudgetStore(ingested).put(parse_definitions(text, "f.yaml"), actor=SYSTEM)
    [entry] = BudgetEvaluator(ingested).evaluate(as_of=D, names=["f"])
    assert entry["actual"] == 27.0


def test_unsupported_filter_is_rejected_at_put(ingested: Platform) -> None:
    text = "Budget: {BudgetName: f, BudgetLimit: {Amount: 1}, FilterExpression: {Dimensions: {Key: AZ, Values: [a]}}}"
    with pytest.raises(ValidationError, match="unsupported dimension 'AZ'"):
        BudgetStore(ingested).put(parse_definitions(text, "f.yaml"), actor=SYSTEM)
