from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from assetguard.inventory.service import InventoryService
from assetguard.runtime.platform import Platform
from assetguard.vulns.database import AdvisoryDatabase
from assetguard.vulns.scanner import VulnerabilityScanner

from .conftest import deb, host, pypi

ARN = "urn:assetguard:host:web-1"


def test_vulnerability_pages(client: TestClient, platform: Platform, fixture_db: AdvisoryDatabase,
                             console_login: Callable[[str], str]) -> None:
    InventoryService(platform).apply_collection("host", [host(ARN, [
        deb("libssl3", "3.0.11-1~deb12u1", "openssl", "3.0.11-1~deb12u1"), pypi("six", "1.16.0"),
        pypi("urllib3", "2.0.6")])])
    VulnerabilityScanner(platform).scan_assets()
    console_login("viewer")
    html = client.get("/console/vulns").text
    assert 'data-stat="advisories">20<' in html
    assert f'data-arn="{ARN}"' in html and '<span class="badge bad">2</span>' in html
    html = client.get("/console/vulns", params={"ecosystem": "PyPI", "package": "urllib3"}).text
    assert 'data-advisory="GHSA-4444-5555-6666"' in html and 'data-advisory="PYSEC-2099-12"' in html
    page = client.get("/console/vulns/asset", params={"arn": ARN})
    assert page.status_code == 200
    html = page.text
    assert 'data-stat="vulnerable">2<' in html
    assert html.index('data-package="libssl3"') < html.index('data-package="six"')  # vulnerable first
    assert "3.0.11-1~deb12u2" in html and "(source openssl)" in html
    only = client.get("/console/vulns/asset", params={"arn": ARN, "only_vulnerable": 1}).text
    assert 'data-package="six"' not in only and 'data-package="urllib3"' in only
    assert client.get("/console/vulns/asset", params={"arn": "urn:nope"}).status_code == 404


def test_pages_need_a_session(client: TestClient) -> None:
    resp = client.get("/console/vulns", follow_redirects=False)
    assert resp.status_code in (302, 303) and "/login" in resp.headers["location"]
