"""``demo load`` on a fresh platform (SQLite and PostgreSQL): every domain holds the story, and twice is once."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from assetguard.compliance.stats import pack_scores
from assetguard.cost.budgets import BudgetStore
from assetguard.cost.store import CostStore
from assetguard.demo.story import (
    DEMO_ARCHIVE,
    DEMO_REPLAY_RULE,
    MONTH_TO_DATE_TARGET,
    StoryLoader,
    focus_rows,
    write_focus_csv,
)
from assetguard.demo.story_data import ACCOUNT, REGION
from assetguard.events.archive import Archives
from assetguard.findings.hub import FindingsHub
from assetguard.inventory.service import InventoryService
from assetguard.runtime.platform import Platform
from assetguard.targets.outbox import list_notifications

VOLUMES = [f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-0auto000{i}" for i in (1, 2)]


def _counts(platform: Platform, today: date) -> dict[str, int]:
    hub = FindingsHub(platform)
    start = today.replace(day=1) - timedelta(days=40)
    return {"assets": len(InventoryService(platform).list_assets()),
            "findings": len(hub.list(limit=None)),
            "notifications": len(list_notifications(platform, limit=10_000)),
            "cost_rows": CostStore(platform).window(start, today + timedelta(days=1)).num_rows,
            "budget_states": len(BudgetStore(platform).states("monthly-total"))}


def test_demo_load_fills_every_domain_and_is_idempotent(platform: Platform) -> None:
    today = date.today()
    loader = StoryLoader(platform, scan_filesystem=False, focus_sample=None, today=today)
    started: list[str] = []
    results = loader.run(on_start=started.append)
    assert [r.name for r in results] == started == [name for name, _ in loader.steps]
    assert all(r.ok for r in results), [(r.name, r.summary) for r in results if not r.ok]

    inventory = InventoryService(platform)
    types = {a["resourceType"] for a in inventory.list_assets()}
    assert {"AWS::EC2::SecurityGroup", "AWS::S3::Bucket", "AWS::IAM::User", "AssetGuard::Host::Linux",
            "AssetGuard::Software::SBOM"} <= types

    for arn in VOLUMES:  # (c) created in the CloudTrail day, tagged in the inventory by the auto-tagger
        tags = inventory.get(arn)["tags"]
        assert tags["CreatedBy"] in {"alice", "bob", "ci-deploy"}
        assert "CreatedAt" in tags
    # the step's log line counts resources, as the Tags page shows them
    created_by = [a for a in inventory.list_assets() if "CreatedBy" in (a.get("tags") or {})]
    assert f"; {len(created_by)} resource(s) tagged" in next(r for r in results if r.name == "autotag").summary

    hub = FindingsHub(platform)
    assert hub.list(severity="CRITICAL", limit=None) and hub.list(severity="HIGH", limit=None)
    vulns = hub.list(generator_id="assetguard-vulns", limit=None)
    assert any("log4j" in str(f.get("Vulnerabilities")) for f in vulns), "the image's log4j-core is found"

    scores = {s.pack: s for s in pack_scores(platform)}
    assert scores["baseline"].score is not None and scores["baseline"].score < 1
    assert scores["kisa-unix"].score is not None

    cost = next(r for r in results if r.name == "cost").data
    total = next(b for b in cost["budgets"] if b["budget"] == "monthly-total")
    assert total["actual"] == pytest.approx(MONTH_TO_DATE_TARGET, abs=0.05)
    fired = {(n["type"], n["threshold"]) for n in total["notifications"] if n["fired"]}
    assert ("ACTUAL", 85.0) in fired and ("ACTUAL", 100.0) not in fired
    states = BudgetStore(platform).states("monthly-total")
    assert any(s["notification"].startswith("ACTUAL:GREATER_THAN:85") for s in states)

    notes = list_notifications(platform, limit=10_000)
    rules = {n["rule"] for n in notes}
    assert {"security-alerts", "budget-alerts"} <= rules
    assert {n["severity"] for n in notes if n["rule"] == "security-alerts"} <= {"HIGH", "CRITICAL"}
    assert platform.bus.recent(detail_type="Budget Threshold Breached")

    # Archives: the story's findings events are archived, and replayed once to a rule that only logs
    archives = Archives(platform)
    archive = archives.get(DEMO_ARCHIVE)
    assert archive["event_count"] > 0
    [replay] = archives.list_replays()
    assert replay["state"] == "COMPLETED" and replay["events_replayed"] == archive["event_count"]
    assert [n for n in list_notifications(platform, limit=10_000) if n["rule"] == DEMO_REPLAY_RULE] == []
    assert len(list_notifications(platform, limit=10_000)) == len(notes)  # no alert was sent twice

    before = _counts(platform, today)
    again = StoryLoader(platform, scan_filesystem=False, focus_sample=None, today=today).run()
    assert all(r.ok for r in again), [(r.name, r.summary) for r in again if not r.ok]
    assert _counts(platform, today) == before
    snapshot = next(r for r in again if r.name == "aws-config").data
    assert snapshot["created"] == 0
    autotag = next(r for r in again if r.name == "autotag").data
    assert autotag["counts"] == {"duplicate": autotag["counts"].get("duplicate", 0)} and autotag["counts"]
    for arn in VOLUMES:  # the re-collected snapshot keeps the applied tags
        assert "CreatedBy" in inventory.get(arn)["tags"]
    assert len(archives.list_replays()) == 1  # the replay of a story day runs once


def test_a_failing_step_is_reported_and_the_rest_runs(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    loader = StoryLoader(platform, scan_filesystem=False, focus_sample=None)

    def broken() -> tuple[str, dict[str, object]]:
        raise RuntimeError("cost store unavailable")

    monkeypatch.setattr(loader, "load_cost", broken)
    monkeypatch.setattr(loader, "load_host", broken)
    monkeypatch.setattr(loader, "evaluate_compliance", lambda: ("skipped", {}))
    results = {r.name: r for r in loader.run()}
    assert not results["cost"].ok and "cost store unavailable" in results["cost"].summary
    assert not results["host"].ok
    assert results["aws-config"].ok and results["autotag"].ok and results["alerts"].ok
    assert len(InventoryService(platform).list_assets()) >= 27


@pytest.mark.parametrize("day", [date(2026, 3, 1), date(2026, 11, 29), date(2024, 2, 29)])
def test_focus_rows_put_the_month_at_ninety_percent(day: date, tmp_path: Path) -> None:
    rows = focus_rows(day)
    this_month = [r for r in rows if r["BillingPeriodStart"].startswith(day.replace(day=1).isoformat())]
    assert sum(float(r["BilledCost"]) for r in this_month) == pytest.approx(MONTH_TO_DATE_TARGET, abs=0.01)
    assert max(r["ChargePeriodStart"][:10] for r in rows) == day.isoformat()
    previous = [r for r in rows if r not in this_month]
    assert {r["ChargePeriodStart"][:10] for r in previous} >= {(day.replace(day=1) - timedelta(days=1)).isoformat()}
    assert any(r["Tags"] == "{}" for r in rows), "untagged spend is part of the story"
    assert sum(1 for r in rows if r["ChargeCategory"] == "Purchase") == 2  # one month-start charge per month
    assert write_focus_csv(tmp_path / "f.csv", day) == len(rows)


def test_load_once_per_data_dir(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    from assetguard.demo.background import load_once, marker_path, proxy_target

    calls: list[bool] = []

    def fake_run(self: StoryLoader, on_start: object = None, on_step: object = None) -> list[object]:
        calls.append(self.drain)
        return []

    monkeypatch.setattr(StoryLoader, "run", fake_run)
    assert load_once(platform) is True and marker_path(platform).exists()
    assert load_once(platform) is False
    assert calls == [False]  # inside ``up`` the running worker delivers the alerts
    assert proxy_target("0.0.0.0:8000") == "http://127.0.0.1:8000"
    assert proxy_target("127.0.0.1:18000") == "http://127.0.0.1:18000"
    assert proxy_target("[::]:8000") == "http://[::1]:8000"


def test_cli_load_prints_a_line_per_step_and_fails_when_one_failed(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from assetguard.cli.main import app

    def broken() -> tuple[str, dict[str, object]]:
        raise RuntimeError("no route to the cost store")

    monkeypatch.setattr(StoryLoader, "steps", property(lambda self: [
        ("rules", self.install_rules), ("cost", broken), ("aws-config", self.load_snapshot)]))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "load"], env={"COLUMNS": "200", "ASSETGUARD_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1, result.output
    assert "[1/3] rules" in result.output and "[3/3] aws-config" in result.output
    assert "RuntimeError: no route to the cost store" in result.output
    assert "1 step(s) failed: cost" in result.output
    assert "26 AWS resources: 26 new" in result.output
