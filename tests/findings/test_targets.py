"""Targets through the real worker: findings-notified (security-alerts) and compliance-evaluate (on change)."""

from __future__ import annotations

from assetguard.auth.principal import SYSTEM
from assetguard.events.rule_store import RuleStore
from assetguard.events.worker import EventWorker
from assetguard.findings.hub import FindingsHub
from assetguard.inventory.service import InventoryService
from tests.compliance.items import perm, sg
from tests.findings.factory import PRODUCT, make_finding


def test_security_alerts_marks_high_findings_notified(platform):
    RuleStore(platform).install_defaults()
    hub = FindingsHub(platform)
    hub.batch_import([make_finding("hi", severity="HIGH"), make_finding("lo", severity="LOW")])
    assert EventWorker(platform).drain(30)
    assert hub.get(PRODUCT, "hi")["Workflow"]["Status"] == "NOTIFIED"
    assert hub.get(PRODUCT, "lo")["Workflow"]["Status"] == "NEW"
    # With no e-mail or Slack configured the alert lands in the outbox (events engineer's default).
    notes = [r for r in platform.audit.query(action="findings.update")]
    assert len(notes) == 1 and notes[0]["after"]["Workflow"] == {"Status": "NOTIFIED"}


def test_asset_change_is_evaluated_for_that_asset_only(platform):
    RuleStore(platform).install_defaults()
    RuleStore(platform).set_state("security-alerts", "DISABLED", actor=SYSTEM)
    inventory = InventoryService(platform)
    inventory.apply_collection("test", [sg("sg-1", [perm(22)], name="web"), sg("sg-2", [perm(443)], name="api")])
    assert EventWorker(platform).drain(30)
    ssh = [f for f in FindingsHub(platform).list() if f["GeneratorId"] == "restricted-ssh"]
    assert [f["Resources"][0]["Id"].rsplit(":", 1)[-1] for f in ssh] == ["sg-1"]
    changes = platform.bus.recent(detail_type="Compliance Rule Evaluation Change", limit=500)
    before = len(changes)
    inventory.apply_collection("test", [sg("sg-1", [perm(22, "10.0.0.0/8")], name="web")])
    assert EventWorker(platform).drain(30)
    after = platform.bus.recent(detail_type="Compliance Rule Evaluation Change", limit=500)
    new = [e["detail"] for e in after[: len(after) - before]]
    assert {(d["resourceId"], d["configRuleName"]) for d in new} == {("sg-1", "restricted-ssh")}
    assert FindingsHub(platform).list(generator_id="restricted-ssh")[0]["Workflow"]["Status"] == "RESOLVED"
