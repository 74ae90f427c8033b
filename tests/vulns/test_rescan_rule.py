"""The shipped ``vulns-on-change`` rule re-scans an asset when the inventory reports a change."""

from __future__ import annotations

from assetguard.events.default_rules import load_default_rules
from assetguard.events.rule_store import RuleStore
from assetguard.events.worker import EventWorker
from assetguard.findings.hub import FindingsHub
from assetguard.inventory.service import InventoryService
from assetguard.runtime.platform import Platform
from assetguard.vulns.asff import finding_id, product_arn
from assetguard.vulns.database import AdvisoryDatabase

from .conftest import host, pypi

ARN = "urn:assetguard:host:web-1"


def test_default_rule_is_shipped() -> None:
    rule = next(r for r in load_default_rules() if r.name == "vulns-on-change")
    assert [t.type for t in rule.targets] == ["vulns-rescan"]


def test_inventory_change_rescans_that_asset(platform: Platform, fixture_db: AdvisoryDatabase) -> None:
    # Only this rule: the other shipped rules (compliance, alerts) are other engineers' to test.
    RuleStore(platform).install_defaults([r for r in load_default_rules() if r.name == "vulns-on-change"])
    worker = EventWorker(platform, install_defaults=False)
    inventory = InventoryService(platform)
    inventory.apply_collection("host", [host(ARN, [pypi("requests", "2.30.0")]),
                                        host("urn:assetguard:host:other", [pypi("six", "1.16.0")])])
    try:
        assert worker.drain(timeout=60)
        hub = FindingsHub(platform)
        fid = finding_id(ARN, "CVE-2099-2001")
        assert hub.get(product_arn("eu-west-1"), fid)["Workflow"]["Status"] in ("NEW", "NOTIFIED")
        assert len(platform.bus.recent(detail_type="Vulnerability Detected")) == 1
        inventory.apply_collection("host", [host(ARN, [pypi("requests", "2.32.0")])])
        assert worker.drain(timeout=60)
        doc = hub.get(product_arn("eu-west-1"), fid)
        assert (doc["Workflow"]["Status"], doc["RecordState"]) == ("RESOLVED", "ARCHIVED")
    finally:
        worker._finish()


def test_index_warm_job(platform: Platform, fixture_db: AdvisoryDatabase) -> None:
    from assetguard.runtime.scheduler import jobs
    from assetguard.vulns.matcher import IndexCache

    InventoryService(platform).apply_collection("host", [host(ARN, [pypi("requests", "2.30.0")])])
    job = jobs.get("vulns.index-warm")()
    assert job.run_at_start and job.func(platform) == 1
    cache = platform.singleton("vulns.index", lambda: None)
    assert isinstance(cache, IndexCache) and ("PyPI", "requests") in cache.loaded
