from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from assetguard.cli.main import app
from assetguard.runtime.platform import Platform
from tests.cost.conftest import FOCUS_SAMPLE


def test_ingest_summary_list_and_errors(platform: Platform, cli_env: CliRunner, tmp_path: Path) -> None:
    result = cli_env.invoke(app, ["cost", "ingest", str(FOCUS_SAMPLE), "--json"], catch_exceptions=False)
    summary = json.loads(result.output)
    assert summary["rowsRead"] == 1000 and summary["format"] == "focus" and len(summary["periods"]) == 4
    report = json.loads(cli_env.invoke(app, ["cost", "summary", "--start", "2024-09-01", "--end", "2024-10-01",
                                             "--json"]).output)
    assert report["total"] == 20.52
    assert report["services"][0]["service"] == "Amazon Elastic Compute Cloud"
    listed = json.loads(cli_env.invoke(app, ["budgets", "list", "--json"]).output)
    assert [b["Budget"]["BudgetName"] for b in listed] == ["monthly-total"]
    assert [n["Notification"]["Threshold"] for n in listed[0]["NotificationsWithSubscribers"]] == [85, 100, 100]

    bad = tmp_path / "b.yaml"
    bad.write_text("Budget:\n  BudgetName: x\n  TimeUnit: WEEKLY\n  BudgetLimit: {Amount: 5}\n")
    result = cli_env.invoke(app, ["budgets", "put", str(bad)])
    assert result.exit_code == 2 and "b.yaml:3 (Budget.TimeUnit)" in result.stderr
    result = cli_env.invoke(app, ["cost", "ingest", str(bad), "--format", "xml"])
    assert result.exit_code == 2 and "--format must be focus or cur" in result.stderr
    result = cli_env.invoke(app, ["budgets", "evaluate", "--as-of", "19-09-2026"])
    assert result.exit_code == 2 and "expected a date YYYY-MM-DD" in result.stderr
