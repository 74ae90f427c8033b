"""Security dashboard and state gauges, filled by a real compliance evaluation of the demo account."""

from __future__ import annotations

from typing import Any

import pytest

from assetguard.compliance.evaluator import ComplianceEvaluator
from assetguard.compliance.stats import pack_scores
from assetguard.demo.story_data import aws_config_snapshot
from assetguard.findings import stats
from assetguard.inventory.collectors.snapshot import normalise
from assetguard.runtime.platform import Platform


def _evaluate(platform: Platform) -> None:
    items = [normalise(raw, f"configurationItems[{i}]")
             for i, raw in enumerate(aws_config_snapshot()["configurationItems"])]
    from assetguard.inventory.service import InventoryService

    InventoryService(platform).apply_collection("snapshot", items)
    ComplianceEvaluator(platform).evaluate(pack="baseline")
    platform.bus.publish("assetguard.waf", "WAF Request Blocked", {
        "terminatingRuleId": "AWS-AWSManagedRulesSQLiRuleSet", "action": "BLOCK",
        "ruleGroupList": [{"ruleGroupId": "AWS#AWSManagedRulesSQLiRuleSet",
                           "terminatingRule": {"ruleId": "SQLi_QUERYARGUMENTS", "action": "BLOCK"}}],
        "httpRequest": {"clientIp": "198.51.100.23", "uri": "/user", "args": "id=1'--"}})


def test_stats_reflect_the_misconfigured_account(platform: Platform) -> None:
    _evaluate(platform)
    open_counts = stats.open_by_severity(platform)
    assert sum(open_counts.values()) >= 10
    generators = dict(stats.open_top(platform, "generator_id", 50))
    assert any("restricted-ssh" in g for g in generators)
    baseline = next(s for s in pack_scores(platform) if s.pack == "baseline")
    assert baseline.non_compliant >= 10 and baseline.compliant >= 1
    assert 0 < (baseline.score or 0) < 1


def test_security_page_and_metrics(client: Any, platform: Platform, console_login: Any) -> None:
    _evaluate(platform)
    console_login("viewer")
    page = client.get("/console/security")
    assert page.status_code == 200
    for key in ("severity", "rules", "compliance", "categories"):
        assert f"chart-{key}" in page.text, key
    assert "SQL injection" in page.text and "198.51.100.23" in page.text
    metrics = client.get("/metrics").text
    assert 'assetguard_compliance_score_ratio{pack="baseline"}' in metrics
    high = [line for line in metrics.splitlines() if line.startswith('assetguard_findings_open{severity="HIGH"}')]
    assert high and float(high[0].split()[-1]) >= 1


@pytest.mark.parametrize(("record", "category"), [
    ({"terminatingRuleId": "Default_Action"}, "Path not allowed (default Block)"),
    ({"terminatingRuleId": "x", "ruleGroupList": [{"terminatingRule": {"ruleId": "CrossSiteScripting_BODY"}}]},
     "Cross-site scripting"),
    ({"terminatingRuleId": "x", "ruleGroupList": [{"terminatingRule": {"ruleId": "LFI_URIPATH"}}]},
     "Path traversal / LFI"),
])
def test_attack_categories(record: dict[str, Any], category: str) -> None:
    from assetguard.console.pages.security import attack_category

    assert attack_category(record) == category


def test_notified_findings_give_a_mean_time_to_notification(platform: Platform) -> None:
    from assetguard.runtime.plugins import load_builtin_plugins
    from assetguard.targets.base import Delivery, build_target

    _evaluate(platform)
    load_builtin_plugins()
    [event] = [e for e in platform.bus.recent(detail_type="Findings - Imported", limit=500)
               if e["detail"]["findings"][0]["Severity"]["Label"] in ("HIGH", "CRITICAL")][:1]
    target = build_target("findings-notified", {}, platform)
    assert "NOTIFIED" in (target.deliver(Delivery(event=event, payload=event, rule="security-alerts",
                                                  target_id="findings-notified")) or "")
    mean = stats.mean_time_to_notify(platform)
    assert mean is not None and mean >= 0
