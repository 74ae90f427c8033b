from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from assetguard.cost.evaluate import DETAIL_TYPE
from assetguard.cost.ingest import CostIngestor
from assetguard.runtime.platform import Platform
from tests.cost.factory import daily_rows, write_focus_csv

BUDGET = {"Budget": {"BudgetName": "api", "BudgetType": "COST", "TimeUnit": "MONTHLY",
                     "BudgetLimit": {"Amount": "100", "Unit": "USD"},
                     "FilterExpression": {"Tags": {"Key": "team", "Values": ["web"]}}},
          "NotificationsWithSubscribers": [{"Notification": {
              "NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 50,
              "ThresholdType": "PERCENTAGE"}, "Subscribers": [{"SubscriptionType": "EMAIL",
                                                              "Address": "a@example.com"}]}]}


def test_cost_api(platform: Platform, client: Any, operator_headers: dict[str, str],
                  viewer_headers: dict[str, str], tmp_path: Path) -> None:
    CostIngestor(platform).ingest(write_focus_csv(tmp_path / "a.csv", daily_rows(
        date(2026, 9, 1), date(2026, 9, 11), lambda d: 10.0)), evaluate=False)
    overview = client.get("/cost/overview", params={"start": "2026-09-01", "end": "2026-10-01"},
                          headers=viewer_headers).json()
    assert overview["total"] == 100.0 and len(overview["daily"]) == 10
    assert overview["untagged"] == {"cost": 25.0, "share": 0.25}
    assert overview["services"][0] == {"service": "Amazon Elastic Compute Cloud", "cost": 75.0}
    team = next(t for t in overview["tags"] if t["key"] == "team")
    assert team["values"] == [{"value": "web", "cost": 75.0}] and team["untagged"] == 25.0

    assert client.put("/cost/budgets", json=BUDGET, headers=viewer_headers).status_code == 403
    assert client.put("/cost/budgets", json=BUDGET, headers=operator_headers).json() == {"results": ["created:api"]}
    bad = client.put("/cost/budgets", json={"Budget": {"BudgetName": "x"}}, headers=operator_headers)
    assert bad.status_code == 400 and "BudgetLimit" in bad.json()["detail"]
    assert [b["Budget"]["BudgetName"] for b in client.get("/cost/budgets", headers=viewer_headers).json()] == [
        "api", "monthly-total"]

    status = client.get("/cost/budgets/api/status", params={"asOf": "2026-09-10"}, headers=viewer_headers).json()
    assert status["actual"] == 75.0 and status["notifications"][0]["fired"] is False
    assert platform.bus.recent(detail_type=DETAIL_TYPE) == []      # viewing fires nothing
    assert client.post("/cost/budgets/evaluate", params={"asOf": "2026-09-10"},
                       headers=viewer_headers).status_code == 403
    [entry] = client.post("/cost/budgets/evaluate", params={"asOf": "2026-09-10", "budget": "api"},
                          headers=operator_headers).json()
    assert entry["notifications"][0] == {"type": "ACTUAL", "operator": "GREATER_THAN", "threshold": 50.0,
                                         "thresholdType": "PERCENTAGE", "fired": True, "firedAt": "2026-09-10"}
    assert len(platform.bus.recent(detail_type=DETAIL_TYPE)) == 1
    assert client.get("/cost/budgets/nope", headers=viewer_headers).status_code == 404
    assert client.delete("/cost/budgets/api", headers=operator_headers).json() == {"deleted": "api"}
    assert client.get("/cost/ingestions", headers=viewer_headers).json()[0]["billing_period_start"] == "2026-09-01"
