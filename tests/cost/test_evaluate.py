"""Budget evaluation: the plan's three notifications over a generated month, via the CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assetguard.auth.principal import SYSTEM
from assetguard.cli.main import app
from assetguard.cost.budget import parse_definitions
from assetguard.cost.budgets import BudgetStore
from assetguard.cost.evaluate import DETAIL_TYPE, BudgetEvaluator
from assetguard.cost.ingest import CostIngestor
from assetguard.runtime.platform import Platform
from tests.cost.factory import daily_rows, write_focus_csv

BUDGET = """
Budget:
  BudgetName: team-month
  BudgetType: COST
  TimeUnit: MONTHLY
  BudgetLimit: {Amount: "1000", Unit: USD}
NotificationsWithSubscribers:
  - Notification: {NotificationType: ACTUAL, ComparisonOperator: GREATER_THAN, Threshold: 85, ThresholdType: PERCENTAGE}
    Subscribers: [{SubscriptionType: EMAIL, Address: ops@example.com}]
  - Notification: {NotificationType: ACTUAL, ComparisonOperator: GREATER_THAN, Threshold: 100, ThresholdType: PERCENTAGE}
    Subscribers: [{SubscriptionType: EMAIL, Address: ops@example.com}, {SubscriptionType: EMAIL, Address: cfo@example.com}]
  - Notification: {NotificationType: FORECASTED, ComparisonOperator: GREATER_THAN, Threshold: 100, ThresholdType: PERCENTAGE}
    Subscribers: [{SubscriptionType: EMAIL, Address: ops@example.com}]
"""


def spend(day: date) -> float:
    # July and August at 20/day; September doubles to 40/day, so the month ends at 1,200 of 1,000.
    return 40.0 if day >= date(2026, 9, 1) else 20.0


def generate(tmp_path: Path) -> list[Path]:
    files = []
    for start, end in ((date(2026, 7, 1), date(2026, 8, 1)), (date(2026, 8, 1), date(2026, 9, 1)),
                       (date(2026, 9, 1), date(2026, 10, 1))):
        files.append(write_focus_csv(tmp_path / f"{start:%Y-%m}.csv", daily_rows(start, end, spend)))
    return files


def run(runner: CliRunner, *args: str) -> Any:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_month_fires_each_notification_once_on_the_right_day(platform: Platform, cli_env: CliRunner,
                                                             tmp_path: Path) -> None:
    for path in generate(tmp_path):
        run(cli_env, "cost", "ingest", str(path))
    budget_file = tmp_path / "budget.yaml"
    budget_file.write_text(BUDGET)
    run(cli_env, "budgets", "put", str(budget_file))
    days: dict[int, dict[str, Any]] = {}
    for day in range(1, 31):
        out = run(cli_env, "budgets", "evaluate", "--as-of", f"2026-09-{day:02d}", "--budget", "team-month", "--json")
        [entry] = json.loads(out)
        days[day] = entry
    # ACTUAL: 40 × d crosses 850 on the 22nd (880) and 1,000 on the 26th (1,040).
    actual85, actual100, forecast100 = (days[30]["notifications"][i] for i in range(3))
    assert actual85 == {"type": "ACTUAL", "operator": "GREATER_THAN", "threshold": 85.0, "thresholdType": "PERCENTAGE",
                        "fired": True, "firedAt": "2026-09-22"}
    assert actual100["firedAt"] == "2026-09-26" and actual100["fired"] is True
    assert days[21]["notifications"][0]["fired"] is False and days[22]["actual"] == 880.0
    assert days[25]["notifications"][1]["fired"] is False
    # FORECASTED fires on the first day the forecast mean passes 1,000, well before the actual does.
    first_forecast_day = min(d for d, e in days.items() if e["forecast"] and e["forecast"]["mean"] > 1000)
    assert forecast100["firedAt"] == f"2026-09-{first_forecast_day:02d}"
    assert first_forecast_day < 22
    assert all(e["forecast"]["mean"] > 1000 for d, e in days.items() if d >= first_forecast_day)
    for entry in days.values():
        f = entry["forecast"]
        assert f["lower"] <= f["mean"] <= f["upper"]
    # Exactly one event per notification, carrying the subscribers.
    events = [e for e in platform.bus.recent(detail_type=DETAIL_TYPE, limit=100)
              if e["detail"]["budget"] == "team-month"]
    assert sorted((e["detail"]["notification"]["type"], e["detail"]["notification"]["threshold"],
                   e["detail"]["asOf"]) for e in events) == sorted([
        ("ACTUAL", 85.0, "2026-09-22"), ("ACTUAL", 100.0, "2026-09-26"),
        ("FORECASTED", 100.0, f"2026-09-{first_forecast_day:02d}")])
    by_threshold = {(e["detail"]["notification"]["type"], e["detail"]["notification"]["threshold"]): e for e in events}
    hundred = by_threshold[("ACTUAL", 100.0)]
    assert hundred["source"] == "assetguard.cost"
    assert hundred["detail"]["subscribers"] == ["ops@example.com", "cfo@example.com"]
    assert hundred["detail"]["period"] == {"start": "2026-09-01", "end": "2026-10-01"}
    assert hundred["detail"]["actual"] == 1040.0
    assert hundred["detail"]["notification"] == {"type": "ACTUAL", "operator": "GREATER_THAN", "threshold": 100.0,
                                                 "thresholdType": "PERCENTAGE"}
    # Evaluating again (a restart, the scheduler) sends nothing new.
    run(cli_env, "budgets", "evaluate", "--as-of", "2026-09-30", "--budget", "team-month", "--json")
    again = [e for e in platform.bus.recent(detail_type=DETAIL_TYPE, limit=100) if e["detail"]["budget"] == "team-month"]
    assert len(again) == 3


def test_json_contract_shape(platform: Platform, cli_env: CliRunner, tmp_path: Path) -> None:
    rows = daily_rows(date(2026, 8, 1), date(2026, 9, 20), lambda d: 26.95 if d.month == 9 else 10.0)
    run(cli_env, "cost", "ingest", str(write_focus_csv(tmp_path / "a.csv", rows)))
    out = json.loads(run(cli_env, "budgets", "evaluate", "--as-of", "2026-09-19", "--json"))
    assert [e["budget"] for e in out] == ["monthly-total"]
    [entry] = out
    assert list(entry) == ["budget", "period", "limit", "actual", "forecast", "notifications"]
    assert entry["period"] == {"start": "2026-09-01", "end": "2026-10-01"}
    assert entry["limit"] == 1000.0 and isinstance(entry["limit"], float)
    assert entry["actual"] == pytest.approx(512.05)
    assert list(entry["forecast"]) == ["mean", "lower", "upper"]
    assert all(isinstance(v, float) for v in entry["forecast"].values())
    assert [list(n) for n in entry["notifications"]] == [
        ["type", "operator", "threshold", "thresholdType", "fired", "firedAt"]] * 3
    assert entry["notifications"][0] == {"type": "ACTUAL", "operator": "GREATER_THAN", "threshold": 85.0,
                                         "thresholdType": "PERCENTAGE", "fired": False, "firedAt": None}
    assert entry["notifications"][2]["type"] == "FORECASTED"
    assert entry["notifications"][2]["fired"] is (entry["forecast"]["mean"] > 1000)


def test_too_little_history_gives_no_forecast_and_no_forecasted_firing(platform: Platform, tmp_path: Path) -> None:
    rows = daily_rows(date(2026, 9, 1), date(2026, 9, 6), lambda d: 500.0)
    CostIngestor(platform).ingest(write_focus_csv(tmp_path / "a.csv", rows), evaluate=False)
    [entry] = BudgetEvaluator(platform).evaluate(as_of=date(2026, 9, 5), names=["monthly-total"])
    assert entry["forecast"] is None
    assert entry["actual"] == 2500.0
    assert [n["fired"] for n in entry["notifications"]] == [True, True, False]


def test_daily_budget_has_no_forecast_and_fires_once_per_day(platform: Platform, tmp_path: Path) -> None:
    rows = daily_rows(date(2026, 8, 1), date(2026, 9, 6), lambda d: 30.0 if d.day % 2 else 10.0)
    CostIngestor(platform).ingest(write_focus_csv(tmp_path / "a.csv", rows), evaluate=False)
    [d] = parse_definitions("""
Budget: {BudgetName: daily, TimeUnit: DAILY, BudgetLimit: {Amount: 20, Unit: USD}}
NotificationsWithSubscribers:
  - Notification: {NotificationType: ACTUAL, ComparisonOperator: GREATER_THAN, Threshold: 100}
""", "daily.yaml")
    BudgetStore(platform).put([d], actor=SYSTEM)
    evaluator = BudgetEvaluator(platform)
    fired = []
    for day in range(1, 6):
        for _ in range(2):
            [entry] = evaluator.evaluate(as_of=date(2026, 9, day), names=["daily"])
        assert entry["forecast"] is None
        assert entry["period"] == {"start": f"2026-09-{day:02d}", "end": f"2026-09-{day + 1:02d}"}
        fired.append(entry["notifications"][0]["fired"])
    assert fired == [True, False, True, False, True]
    events = [e for e in platform.bus.recent(detail_type=DETAIL_TYPE) if e["detail"]["budget"] == "daily"]
    assert len(events) == 3


def test_forecasted_rearms_after_falling_back(platform: Platform, tmp_path: Path) -> None:
    ingestor = CostIngestor(platform)
    history = daily_rows(date(2026, 8, 1), date(2026, 9, 1), lambda d: 30.0)
    ingestor.ingest(write_focus_csv(tmp_path / "aug.csv", history), evaluate=False)
    evaluator = BudgetEvaluator(platform)

    def september(level: float, day: int) -> dict[str, Any]:
        rows = daily_rows(date(2026, 9, 1), date(2026, 9, day + 1), lambda d: level)
        ingestor.ingest(write_focus_csv(tmp_path / f"sep-{level}-{day}.csv", rows), evaluate=False)
        [entry] = evaluator.evaluate(as_of=date(2026, 9, day), names=["monthly-total"])
        return entry["notifications"][2] | {"mean": entry["forecast"]["mean"]}

    high = september(45.0, 10)          # heading for ~1,350: fires
    assert high["fired"] and high["firedAt"] == "2026-09-10" and high["mean"] > 1000
    restated = september(20.0, 12)      # a restated export pulls the forecast under 1,000: re-arms
    assert restated["mean"] < 1000
    assert september(50.0, 14)["firedAt"] == "2026-09-14"   # and it may fire again
    events = [e for e in platform.bus.recent(detail_type=DETAIL_TYPE) if e["detail"]["notification"]["type"] ==
              "FORECASTED"]
    assert [e["detail"]["asOf"] for e in events] == ["2026-09-14", "2026-09-10"]
    states = BudgetStore(platform).states("monthly-total")
    forecasted = [s for s in states if s["notification"].startswith("FORECASTED")]
    assert forecasted[0]["fired_count"] == 2 and forecasted[0]["first_fired_on"] == date(2026, 9, 10)
    assert [r["action"] for r in platform.audit.query(action="cost.budget.rearm")] == ["cost.budget.rearm"]


def test_evaluate_on_ingest(platform: Platform, tmp_path: Path) -> None:
    rows = daily_rows(date(2020, 5, 1), date(2020, 5, 20), lambda d: 60.0)
    CostIngestor(platform).ingest(write_focus_csv(tmp_path / "a.csv", rows))
    fired = {(e["detail"]["notification"]["type"], e["detail"]["notification"]["threshold"])
             for e in platform.bus.recent(detail_type=DETAIL_TYPE)}
    # 19 × 60 = 1,140 > 1,000: both ACTUAL notifications fire on ingest; the forecast too.
    assert fired == {("ACTUAL", 85.0), ("ACTUAL", 100.0), ("FORECASTED", 100.0)}
    assert all(e["detail"]["asOf"] == "2020-05-19" for e in platform.bus.recent(detail_type=DETAIL_TYPE))


def test_planned_limits_and_absolute_thresholds(platform: Platform, tmp_path: Path) -> None:
    rows = daily_rows(date(2026, 9, 1), date(2026, 9, 11), lambda d: 10.0)
    CostIngestor(platform).ingest(write_focus_csv(tmp_path / "a.csv", rows), evaluate=False)
    [d] = parse_definitions(json.dumps({"Budget": {
        "BudgetName": "planned", "BudgetType": "COST", "TimeUnit": "MONTHLY",
        "PlannedBudgetLimits": {"1788220800": {"Amount": "80", "Unit": "USD"},      # 2026-09-01
                                "2026-10-01": {"Amount": "500", "Unit": "USD"}}},
        "NotificationsWithSubscribers": [
            {"Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN",
                              "Threshold": 99.5, "ThresholdType": "ABSOLUTE_VALUE"}, "Subscribers": []},
            {"Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN",
                              "Threshold": 120, "ThresholdType": "PERCENTAGE"}, "Subscribers": []}]}), "p.json")
    BudgetStore(platform).put([d], actor=SYSTEM)
    [entry] = BudgetEvaluator(platform).evaluate(as_of=date(2026, 9, 10), names=["planned"])
    assert entry["limit"] == 80.0 and entry["actual"] == 100.0
    assert [n["fired"] for n in entry["notifications"]] == [True, True]
    [entry] = BudgetEvaluator(platform).evaluate(as_of=date(2026, 11, 2), names=["planned"])
    assert entry["limit"] is None and entry["actual"] == 0.0
    assert [n["fired"] for n in entry["notifications"]] == [False, False]


def test_scheduled_job_evaluates_and_keeps_the_interval_across_leaders(platform: Platform, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The job runs every cost.evaluate_interval_seconds from its last recorded run (scheduler_runs),
    whoever led then: a new leader does not evaluate again at takeover."""
    import asyncio
    import time

    from assetguard.core.clock import utcnow
    from assetguard.core.registry import Registry
    from assetguard.cost.plugins import evaluate_budgets
    from assetguard.runtime.leader import LeaderLease
    from assetguard.runtime.scheduler import Scheduler, jobs

    job = jobs.get("cost.budgets.evaluate")()
    assert job.func is evaluate_budgets and job.run_at_start
    platform.settings.cost.evaluate_interval_seconds = 7200
    assert job.interval(platform.settings) == 7200
    today = utcnow().date()
    rows = daily_rows(today.replace(day=1), today + timedelta(days=1), lambda d: 1100.0)
    CostIngestor(platform).ingest(write_focus_csv(tmp_path / "now.csv", rows), evaluate=False)
    runs: list[float] = []
    real = BudgetEvaluator.evaluate
    monkeypatch.setattr(BudgetEvaluator, "evaluate", lambda self, *a, **k: runs.append(time.time()) or real(self, *a, **k))
    only: Registry[Any] = Registry("job")
    only.add(job.name, lambda: job)
    monkeypatch.setattr("assetguard.runtime.scheduler.jobs", only)

    def lead_for(seconds: float) -> None:
        """One scheduler process: a platform of its own (no memory shared with the others)."""
        own = Platform.create(platform.settings, upgrade=False)
        lease = LeaderLease(own.db, ttl=30, check=0.2)
        scheduler = Scheduler(own, lease=lease)

        async def main() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(scheduler.run(stop))
            await asyncio.sleep(seconds)
            stop.set()
            await asyncio.wait_for(task, 10)

        try:
            asyncio.run(main())
        finally:
            own.close()

    lead_for(2.0)  # the deployment's first leader evaluates at start ...
    assert len(runs) == 1
    fired = {e["detail"]["notification"]["threshold"] for e in platform.bus.recent(detail_type=DETAIL_TYPE)}
    assert {85.0, 100.0} <= fired
    lead_for(2.0)  # ... a leader taking over a moment later does not evaluate again
    assert len(runs) == 1
    platform.settings.cost.evaluate_interval_seconds = 60  # once the interval has passed since that run, it does
    monkeypatch.setattr(time, "time", lambda real_time=time.time: real_time() + 61)
    lead_for(2.0)
    assert len(runs) == 2
