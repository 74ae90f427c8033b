"""Security Hub's automatic workflow transitions, as a table, and end to end through the hub."""

from __future__ import annotations

import pytest

from assetguard.auth.principal import SYSTEM
from assetguard.findings.automation import AutomationRules
from assetguard.findings.hub import FindingsHub
from assetguard.findings.workflow import auto_transition
from tests.findings.factory import PRODUCT, make_finding

# (status, old compliance, new compliance, old record, new record) -> expected status
TABLE = [
    ("NEW", None, "PASSED", None, "ACTIVE", "RESOLVED"),
    ("NEW", "FAILED", "PASSED", "ACTIVE", "ACTIVE", "RESOLVED"),
    ("NOTIFIED", "FAILED", "PASSED", "ACTIVE", "ACTIVE", "RESOLVED"),
    ("SUPPRESSED", "FAILED", "PASSED", "ACTIVE", "ACTIVE", "SUPPRESSED"),
    ("RESOLVED", "PASSED", "FAILED", "ACTIVE", "ACTIVE", "NEW"),
    ("NOTIFIED", "PASSED", "WARNING", "ACTIVE", "ACTIVE", "NEW"),
    ("RESOLVED", "PASSED", "NOT_AVAILABLE", "ACTIVE", "ACTIVE", "NEW"),
    ("SUPPRESSED", "PASSED", "FAILED", "ACTIVE", "ACTIVE", "SUPPRESSED"),
    ("NEW", "FAILED", "FAILED", "ACTIVE", "ACTIVE", "NEW"),
    ("NOTIFIED", "FAILED", "FAILED", "ACTIVE", "ACTIVE", "NOTIFIED"),
    ("RESOLVED", None, None, "ARCHIVED", "ACTIVE", "NEW"),
    ("NOTIFIED", None, None, "ARCHIVED", "ACTIVE", "NEW"),
    ("SUPPRESSED", None, None, "ARCHIVED", "ACTIVE", "SUPPRESSED"),
    ("NEW", None, None, "ACTIVE", "ARCHIVED", "NEW"),
    ("RESOLVED", None, None, "ACTIVE", "ACTIVE", "RESOLVED"),
]


@pytest.mark.parametrize(("status", "old_c", "new_c", "old_r", "new_r", "expected"), TABLE)
def test_transition_table(status, old_c, new_c, old_r, new_r, expected):
    assert auto_transition(status, old_compliance=old_c, new_compliance=new_c, old_record=old_r,
                           new_record=new_r) == expected


def test_compliance_cycle_through_the_hub(platform):
    hub = FindingsHub(platform)
    hub.batch_import([make_finding("a", compliance="FAILED", at="2026-01-01T00:00:00.000Z")])
    hub.update_workflow(PRODUCT, "a", "NOTIFIED")
    hub.batch_import([make_finding("a", compliance="PASSED", at="2026-01-02T00:00:00.000Z")])
    assert hub.get(PRODUCT, "a")["Workflow"]["Status"] == "RESOLVED"
    hub.batch_import([make_finding("a", compliance="FAILED", at="2026-01-03T00:00:00.000Z")])
    assert hub.get(PRODUCT, "a")["Workflow"]["Status"] == "NEW"
    hub.update_workflow(PRODUCT, "a", "RESOLVED")
    hub.batch_import([make_finding("a", compliance="FAILED", RecordState="ARCHIVED", at="2026-01-04T00:00:00.000Z")])
    assert hub.get(PRODUCT, "a")["Workflow"]["Status"] == "RESOLVED"
    hub.batch_import([make_finding("a", compliance="FAILED", RecordState="ACTIVE", at="2026-01-05T00:00:00.000Z")])
    assert hub.get(PRODUCT, "a")["Workflow"]["Status"] == "NEW"


def test_automation_rules_set_fields_and_suppress(platform):
    rules = AutomationRules(platform)
    rules.create({"RuleName": "suppress-dev", "RuleOrder": 1, "IsTerminal": True,
                  "Criteria": {"ResourceTags": [{"Key": "env", "Value": "dev", "Comparison": "EQUALS"}]},
                  "Actions": [{"Type": "FINDING_FIELDS_UPDATE",
                               "FindingFieldsUpdate": {"Workflow": {"Status": "SUPPRESSED"}}}]}, actor=SYSTEM)
    rules.create({"RuleName": "raise-ssh", "RuleOrder": 2,
                  "Criteria": {"GeneratorId": [{"Value": "restricted-ssh", "Comparison": "EQUALS"}]},
                  "Actions": [{"Type": "FINDING_FIELDS_UPDATE",
                               "FindingFieldsUpdate": {"Severity": {"Label": "CRITICAL"},
                                                       "Note": {"Text": "ssh open to the world"}}}]},
                 actor=SYSTEM)
    dev = make_finding("dev")
    dev["Resources"][0]["Tags"] = {"env": "dev"}
    FindingsHub(platform).batch_import([dev, make_finding("prod")])
    hub = FindingsHub(platform)
    d, p = hub.get(PRODUCT, "dev"), hub.get(PRODUCT, "prod")
    assert d["Workflow"]["Status"] == "SUPPRESSED" and d["Severity"]["Label"] == "HIGH"  # terminal rule
    assert p["Severity"] == {"Label": "CRITICAL", "Normalized": 90}
    assert p["Note"]["Text"] == "ssh open to the world"
    assert p["Workflow"]["Status"] == "NEW"
    assert [r["RuleName"] for r in rules.list()] == ["suppress-dev", "raise-ssh"]
    assert platform.audit.query(action="findings.automation_rule.create")
