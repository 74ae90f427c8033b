from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from assetguard.inventory.service import InventoryService
from assetguard.runtime.platform import Platform

from .conftest import FIXTURES, deb, host, pypi

ARN = "urn:assetguard:host:web-1"


def _records() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))]


def test_import_list_get_and_roles(client: TestClient, platform: Platform, operator_headers: dict[str, str],
                                   viewer_headers: dict[str, str]) -> None:
    assert client.post("/vulns/advisories", json=_records(), headers=viewer_headers).status_code == 403
    r = client.post("/vulns/advisories", json=_records() + [{"id": "X"}], headers=operator_headers)
    assert r.status_code == 200
    body = r.json()
    assert (body["added"], body["withdrawn"]) == (20, 1)
    assert body["errors"][0]["where"] == "body[21]" and "modified is required" in body["errors"][0]["error"]
    assert client.get("/vulns/stats", headers=viewer_headers).json()["advisories"] == 20
    listed = client.get("/vulns/advisories", params={"ecosystem": "PyPI", "package": "urllib3"},
                        headers=viewer_headers).json()
    assert sorted(a["id"] for a in listed) == ["GHSA-4444-5555-6666", "PYSEC-2099-12"]
    got = client.get("/vulns/advisories/CVE-2099-1001", headers=viewer_headers).json()
    assert got["id"] == "DEBIAN-CVE-2099-1001" and got["severity"] == "CRITICAL"
    assert client.get("/vulns/advisories/NOPE-1", headers=viewer_headers).status_code == 404


def test_match_scan_and_asset_packages(client: TestClient, platform: Platform, operator_headers: dict[str, str],
                                       viewer_headers: dict[str, str]) -> None:
    client.post("/vulns/advisories", json=_records(), headers=operator_headers)
    rows = client.post("/vulns/match", json={"packages": [pypi("requests", "2.30.0")]},
                       headers=operator_headers).json()
    assert rows == [{"package": "requests", "version": "2.30.0", "ecosystem": "PyPI",
                     "purl": "pkg:pypi/requests@2.30.0", "id": "GHSA-2222-3333-4444", "aliases": ["CVE-2099-2001"],
                     "severity": "MEDIUM", "cvss": 5.0, "fixed": "2.31.0"}]
    InventoryService(platform).apply_collection("host", [host(ARN, [
        deb("libssl3", "3.0.11-1~deb12u1", "openssl", "3.0.11-1~deb12u1"), pypi("six", "1.16.0")])])
    summary = client.post("/vulns/scan", json={"asset": ARN}, headers=operator_headers).json()
    assert summary["findings_opened"] == 1
    report = client.get(f"/vulns/assets/{ARN}/packages", headers=viewer_headers).json()
    assert report["vulnerable_packages"] == 1 and report["counts"] == {"CRITICAL": 1}
    first = report["packages"][0]
    assert first["name"] == "libssl3" and first["advisories"][0]["fixed"] == "3.0.11-1~deb12u2"
    assert report["packages"][1]["advisories"] == []
    assert client.get("/vulns/assets/urn:nope/packages", headers=viewer_headers).status_code == 404


def test_import_by_url_is_admin_only_and_url_only(client: TestClient, operator_headers: dict[str, str],
                                                  admin_headers: dict[str, str]) -> None:
    assert client.post("/vulns/import", json={"source": "https://example.invalid/x.zip"},
                       headers=operator_headers).status_code == 403
    r = client.post("/vulns/import", json={"source": "/etc/passwd-file"}, headers=admin_headers)
    assert r.status_code in (400, 422) and "http" in r.text
