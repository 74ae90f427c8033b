"""Scanning inventory assets into findings: open, unchanged, resolved, re-opened, re-scans."""

from __future__ import annotations

import json
from typing import Any

from assetguard.findings.hub import FindingsHub
from assetguard.inventory.service import InventoryService
from assetguard.runtime.platform import Platform
from assetguard.vulns.asff import finding_id, product_arn
from assetguard.vulns.database import AdvisoryDatabase
from assetguard.vulns.scanner import VulnerabilityScanner

from .conftest import deb, host, pypi

ARN = "urn:assetguard:host:web-1"
PRODUCT = product_arn("eu-west-1")


def put(platform: Platform, *assets: dict[str, Any]) -> None:
    InventoryService(platform).apply_collection("host", list(assets))


def test_scan_creates_findings_with_vulnerabilities_section(platform: Platform,
                                                            fixture_db: AdvisoryDatabase) -> None:
    put(platform, host(ARN, [deb("libssl3", "3.0.11-1~deb12u1", "openssl", "3.0.11-1~deb12u1"),
                             deb("openssl", "3.0.11-1~deb12u1"), pypi("requests", "2.30.0"),
                             deb("tar", "1.34+dfsg-1.2")]),
        host("urn:assetguard:host:clean", [pypi("requests", "2.31.0")]))
    summary = VulnerabilityScanner(platform).scan_assets()
    assert (summary.assets, summary.findings_opened, summary.failed) == (2, 3, [])
    hub = FindingsHub(platform)
    ssl = hub.get(PRODUCT, finding_id(ARN, "CVE-2099-1001"))
    vuln = ssl["Vulnerabilities"][0]
    assert vuln["Id"] == "CVE-2099-1001"
    assert vuln["FixAvailable"] == "YES"
    assert vuln["Cvss"] == [{"Version": "3.1", "BaseScore": 9.8, "BaseVector":
                             "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "Source": "OSV"}]
    # one finding per (asset, advisory): both packages built from the openssl source are listed
    assert sorted((p["Name"], p["FixedInVersion"]) for p in vuln["VulnerablePackages"]) == [
        ("libssl3", "3.0.11-1~deb12u2"), ("openssl", "3.0.11-1~deb12u2")]
    assert "https://security-tracker.debian.org/tracker/CVE-2099-1001" in vuln["ReferenceUrls"]
    assert "DEBIAN-CVE-2099-1001" in vuln["RelatedVulnerabilities"]
    assert ssl["Severity"]["Label"] == "CRITICAL"
    assert ssl["Resources"][0]["Id"] == ARN and ssl["AwsAccountId"] == "123456789012"
    assert ssl["Workflow"]["Status"] == "NEW" and ssl["RecordState"] == "ACTIVE"
    tar = hub.get(PRODUCT, finding_id(ARN, "CVE-2099-1006"))
    assert tar["Vulnerabilities"][0]["FixAvailable"] == "NO" and tar["Severity"]["Label"] == "LOW"
    events = platform.bus.recent(detail_type="Vulnerability Detected")
    assert len(events) == 3 and {e["source"] for e in events} == {"assetguard.vulns"}
    detail = next(e["detail"] for e in events if e["detail"]["vulnerability"] == "CVE-2099-2001")
    assert (detail["package"], detail["version"], detail["fixedVersion"], detail["cvss"]) == (
        "requests", "2.30.0", "2.31.0", 5.0)
    assert events[0]["resources"] == [ARN]


def test_rescan_unchanged_then_upgrade_resolves_then_downgrade_reopens(platform: Platform,
                                                                      fixture_db: AdvisoryDatabase) -> None:
    put(platform, host(ARN, [pypi("requests", "2.30.0")]))
    scanner = VulnerabilityScanner(platform)
    hub = FindingsHub(platform)
    fid = finding_id(ARN, "CVE-2099-2001")
    assert scanner.scan_assets().findings_opened == 1
    again = scanner.scan_assets()
    assert (again.findings_opened, again.findings_unchanged) == (0, 1)
    assert len(platform.bus.recent(detail_type="Vulnerability Detected")) == 1
    put(platform, host(ARN, [pypi("requests", "2.31.0")]))          # upgraded past the fix
    resolved = scanner.scan_asset(ARN)
    assert resolved.findings_resolved == 1
    doc = hub.get(PRODUCT, fid)
    assert (doc["Workflow"]["Status"], doc["RecordState"], doc["Compliance"]["Status"]) == (
        "RESOLVED", "ARCHIVED", "PASSED")
    put(platform, host(ARN, [pypi("requests", "2.29.0")]))          # downgraded again
    reopened = scanner.scan_asset(ARN)
    assert reopened.findings_opened == 1
    doc = hub.get(PRODUCT, fid)
    assert (doc["Workflow"]["Status"], doc["RecordState"]) == ("NEW", "ACTIVE")
    assert len(platform.bus.recent(detail_type="Vulnerability Detected")) == 2


def test_database_update_rescans_only_affected_assets(platform: Platform, fixture_db: AdvisoryDatabase) -> None:
    put(platform, host(ARN, [pypi("flask", "2.0.0")]), host("urn:assetguard:host:other", [pypi("six", "1.0.0")]))
    scanner = VulnerabilityScanner(platform)
    assert scanner.scan_assets().findings_opened == 0
    new = {"id": "GHSA-9999-2222-3333", "modified": "2026-02-01T00:00:00Z", "aliases": ["CVE-2099-9001"],
           "affected": [{"package": {"ecosystem": "PyPI", "name": "Flask"},
                         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.2.5"}]}]}]}
    summary = fixture_db.import_records([("new.json", new)], source="t")
    rescan = scanner.rescan_packages(summary.changed_packages)
    assert (rescan.assets, rescan.findings_opened) == (1, 1)
    withdrawn = dict(new, modified="2026-03-01T00:00:00Z", withdrawn="2026-03-01T00:00:00Z")
    summary = fixture_db.import_records([("new.json", withdrawn)], source="t")
    rescan = scanner.rescan_packages(summary.changed_packages)
    assert (rescan.assets, rescan.findings_resolved) == (1, 1)
    assert FindingsHub(platform).get(PRODUCT, finding_id(ARN, "CVE-2099-9001"))["Workflow"]["Status"] == "RESOLVED"


def test_deleted_asset_resolves_its_findings(platform: Platform, fixture_db: AdvisoryDatabase) -> None:
    put(platform, host(ARN, [pypi("requests", "2.30.0")]))
    scanner = VulnerabilityScanner(platform)
    scanner.scan_assets()
    assert scanner.forget_asset(ARN).findings_resolved == 1
    assert scanner.forget_asset(ARN).findings_resolved == 0


def test_match_packages_is_read_only(platform: Platform, fixture_db: AdvisoryDatabase) -> None:
    matches = VulnerabilityScanner(platform).match_packages([pypi("urllib3", "1.26.17")])
    assert [json.loads(json.dumps(m.contract())) for m in matches] == [{
        "package": "urllib3", "version": "1.26.17", "ecosystem": "PyPI", "purl": "pkg:pypi/urllib3@1.26.17",
        "id": "GHSA-4444-5555-6666", "aliases": ["CVE-2099-2002", "PYSEC-2099-12"], "severity": "MEDIUM",
        "cvss": 5.0, "fixed": "1.26.18"}]
    assert FindingsHub(platform).list() == []


def test_full_scan_resolves_findings_of_assets_gone_from_inventory(platform: Platform,
                                                                   fixture_db: AdvisoryDatabase) -> None:
    inventory = InventoryService(platform)
    inventory.apply_collection("host", [host(ARN, [pypi("requests", "2.30.0")])], scope=[])
    scanner = VulnerabilityScanner(platform)
    assert scanner.scan_assets().findings_opened == 1
    item = inventory.get(ARN)
    inventory.apply_collection("host", [{**item, "configurationItemStatus": "ResourceDeleted"}])
    assert inventory.list_assets() == []
    assert scanner.scan_assets().findings_resolved == 1
    doc = FindingsHub(platform).get(PRODUCT, finding_id(ARN, "CVE-2099-2001"))
    assert (doc["Workflow"]["Status"], doc["RecordState"]) == ("RESOLVED", "ARCHIVED")


def test_single_host_paths_query_only_the_hosts_package_keys(platform: Platform, fixture_db: AdvisoryDatabase,
                                                             monkeypatch: Any) -> None:
    # The ad-hoc path (CLI --sbom/--image/--host, API /vulns/match) and the one-asset path (scan_asset,
    # API /vulns/scan) ask the database for their own package keys only, each key once per process.
    asked: list[set[tuple[str, str]]] = []
    real = AdvisoryDatabase.affected_specs

    def spy(self: AdvisoryDatabase, keys: Any) -> Any:
        asked.append(set(keys))
        return real(self, asked[-1])

    monkeypatch.setattr(AdvisoryDatabase, "affected_specs", spy)
    scanner = VulnerabilityScanner(platform)
    adhoc = [pypi("urllib3", "2.0.6"), deb("libssl3", "3.0.11-1~deb12u1", "openssl", "3.0.11-1~deb12u1")]
    assert {m.id for m in scanner.match_packages(adhoc)} == {"GHSA-4444-5555-6666", "DEBIAN-CVE-2099-1001"}
    assert asked == [{("PyPI", "urllib3"), ("Debian", "libssl3"), ("Debian", "openssl")}]
    put(platform, host(ARN, [pypi("urllib3", "2.0.6"), pypi("requests", "2.30.0")]))
    summary = scanner.scan_asset(ARN)
    assert summary.findings_opened == 2
    assert asked[1:] == [{("PyPI", "requests")}]          # urllib3 is already compiled in this process
